//! Duplicate object keys in JSON text. `{"Effect": "Deny", "Effect": "Allow"}` is valid JSON
//! that parsers read differently (serde_json keeps the last value, others the first, IAM
//! itself rejects such a document when it is written): an ambiguous document, which must
//! not be audited as if it said one thing. Found in one streaming pass, with the path of the
//! first duplicate (`Statement[1].Effect`). PURE.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// The first duplicate key of a JSON text: its path and the key. `None` when there is none,
/// or when the text is not JSON (the parser that follows says why).
pub fn first_duplicate(json: &str) -> Option<(String, String)> {
    let mut found = None;
    let mut de = serde_json::Deserializer::from_str(json);
    let seed = Walk {
        path: String::new(),
        found: &mut found,
    };
    // not JSON: the caller's parser reports it
    let _ = seed.deserialize(&mut de);
    found
}

/// Walks one value, recording the first duplicate key below it.
struct Walk<'a> {
    path: String,
    found: &'a mut Option<(String, String)>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let here = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !keys.insert(key.clone()) && self.found.is_none() {
                *self.found = Some((self.path.clone(), key));
            }
            map.next_value_seed(Walk {
                path: here,
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let here = format!("{}[{i}]", self.path);
            let next = seq.next_element_seed(Walk {
                path: here,
                found: &mut *self.found,
            })?;
            if next.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_duplicate_and_its_path() {
        assert_eq!(first_duplicate(r#"{"a": 1, "b": [1, {"c": 2}]}"#), None);
        assert_eq!(
            first_duplicate(
                r#"{"Statement": [{"Effect": "Allow"}, {"Effect": "Deny", "Effect": "Allow"}]}"#
            ),
            Some(("Statement[1]".to_string(), "Effect".to_string()))
        );
        assert_eq!(
            first_duplicate(r#"{"Version": "2012-10-17", "Version": "2008-10-17"}"#),
            Some((String::new(), "Version".to_string()))
        );
        assert_eq!(
            first_duplicate(
                r#"{"Statement": {"Condition": {"StringEquals": {"sts:ExternalId": "a", "sts:ExternalId": "b"}}}}"#
            ),
            Some((
                "Statement.Condition.StringEquals".to_string(),
                "sts:ExternalId".to_string()
            ))
        );
        // escaped spellings of the same key are the same key
        assert!(first_duplicate(r#"{"Effect": 1, "Eff\u0065ct": 2}"#).is_some());
        assert_eq!(first_duplicate("not json"), None);
    }
}
