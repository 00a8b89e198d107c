//! The edge where policy text enters: IAM returns documents URL-encoded, the CLI and most dumps
//! print them as JSON, moto mixes both. Accept either, once, here. PURE.

use super::PolicyError;

/// Documents larger than this are refused before parsing: IAM's own limits are a few KiB
/// (trust 4,096 characters, inline 10,240, managed 6,144), so 1 MiB bounds memory with room to spare.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// Returns the JSON text of a policy document given either its JSON or its URL-encoded form.
pub fn decode_document(text: &str) -> Result<std::borrow::Cow<'_, str>, PolicyError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(PolicyError::TooLarge {
            size: text.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || !trimmed.contains('%') {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    // Validate every escape first: percent_encoding passes malformed ones through silently.
    let bytes = text.as_bytes();
    for (at, b) in bytes.iter().enumerate() {
        if *b == b'%' {
            let ok = bytes
                .get(at + 1..at + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !ok {
                let end = (at + 3).min(text.len());
                let shown = String::from_utf8_lossy(bytes.get(at..end).unwrap_or_default());
                return Err(PolicyError::Encoding(format!(
                    "bad percent-escape `{shown}` at byte {at}"
                )));
            }
        }
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map_err(|e| PolicyError::Encoding(format!("decoded bytes are not UTF-8: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_encoded() {
        let plain = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert_eq!(decode_document(plain).unwrap(), plain);
        let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_document(enc).unwrap(), plain);
    }

    #[test]
    fn bad_escapes() {
        let err = decode_document("%7B%2").unwrap_err();
        assert!(err.to_string().contains("bad percent-escape `%2`"), "{err}");
        let err = decode_document("%7B%zz%7D").unwrap_err();
        assert!(err.to_string().contains("`%zz`"), "{err}");
        let err = decode_document("%7B%FF%7D").unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn too_large() {
        let big = "x".repeat(MAX_DOCUMENT_BYTES + 1);
        assert!(matches!(
            decode_document(&big),
            Err(PolicyError::TooLarge { .. })
        ));
    }
}
