//! IAM wildcard matching: `*` matches any run of characters (also `/` and `:`), `?` exactly one.
//! Actions compare case-insensitively, resource ARNs and condition values case-sensitively: the
//! caller picks. PURE.

/// Does `text` match the IAM `pattern`, case-sensitively?
pub fn matches(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        // bytes are characters here: no allocation on the hot path
        return glob(pattern.as_bytes(), text.as_bytes(), |a, b| a == b);
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob(&p, &t, |a, b| a == b)
}

/// Does `text` match the IAM `pattern` ignoring case (action names)?
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return glob(pattern.as_bytes(), text.as_bytes(), |a, b| {
            a.eq_ignore_ascii_case(b)
        });
    }
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    glob(&p, &t, |a, b| a == b)
}

/// Does the ARN `text` match the ARN `pattern` (`ArnLike`, `ArnEquals`)? "Each of the six
/// colon-delimited components of the ARN is checked separately and each can include
/// multi-character match wildcards (*) or single-character match wildcards (?)" (IAM User
/// Guide, "IAM JSON policy elements: Condition operators", ARN condition operators): a
/// wildcard does not reach across a colon into the next component, and a pattern without six
/// components matches no ARN. The sixth component (the resource) is the rest of the text.
pub fn matches_arn(pattern: &str, text: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let t: Vec<&str> = text.splitn(6, ':').collect();
    p.len() == 6 && t.len() == 6 && p.iter().zip(t.iter()).all(|(p, t)| matches(p, t))
}

/// True when the pattern holds a `*` or `?`.
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// True when the pattern is made of wildcards only and holds a `*`: it matches every value
/// (of at least as many characters as it has `?`), so it pins nothing.
pub fn matches_anything(pattern: &str) -> bool {
    pattern.contains('*') && pattern.chars().all(|c| c == '*' || c == '?')
}

/// A `*` or `?` in either representation.
trait Wild: Copy {
    fn is_star(self) -> bool;
    fn is_one(self) -> bool;
}

impl Wild for u8 {
    fn is_star(self) -> bool {
        self == b'*'
    }
    fn is_one(self) -> bool {
        self == b'?'
    }
}

impl Wild for char {
    fn is_star(self) -> bool {
        self == '*'
    }
    fn is_one(self) -> bool {
        self == '?'
    }
}

/// Iterative glob with single-star backtracking: linear in practice, no recursion, no panics.
fn glob<T: Wild>(p: &[T], t: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some(pc), _) if pc.is_star() => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(pc), Some(_)) if pc.is_one() => {
                pi += 1;
                ti += 1;
            }
            (Some(pc), Some(tc)) if eq(pc, tc) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.iter().skip(pi).all(|c| c.is_star())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("*", "", true),
            ("*", "anything/at:all", true),
            ("s3:Get*", "s3:GetObject", true),
            ("s3:Get*", "s3:PutObject", false),
            ("s3:?etObject", "s3:GetObject", true),
            ("s3:?etObject", "s3:etObject", false),
            ("arn:aws:s3:::acme-*", "arn:aws:s3:::acme-logs/a/b", true),
            ("arn:aws:s3:::acme", "arn:aws:s3:::acme/x", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("**", "x", true),
            ("", "", true),
            ("", "x", false),
            ("abc", "ab", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(matches(p, t), want, "{p} vs {t}");
        }
    }

    #[test]
    fn case() {
        assert!(matches_ignore_case("S3:getobject", "s3:GetObject"));
        assert!(!matches("arn:aws:s3:::Acme", "arn:aws:s3:::acme"));
        assert!(matches_ignore_case("s3:DELETE*", "s3:DeleteObjectVersion"));
        // non-ASCII takes the character path: `?` is one character, not one byte
        assert!(matches("caf?", "café"));
        assert!(matches_ignore_case("ÉTÉ*", "été-2026"));
        assert!(!matches("a?c", "abbc"));
    }

    #[test]
    fn arns_match_component_by_component() {
        // found by the differential test: `arn:aws:iam::*` matched every IAM ARN as text, but
        // AWS checks the six components one by one, and this pattern has five
        assert!(!matches_arn(
            "arn:aws:iam::*",
            "arn:aws:iam::111122223333:role/app"
        ));
        assert!(matches(
            "arn:aws:iam::*",
            "arn:aws:iam::111122223333:role/app"
        ));
        assert!(matches_arn(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/team/app"
        ));
        assert!(matches_arn(
            "arn:aws:*:*:111122223333:*",
            "arn:aws:iam::111122223333:user/alice"
        ));
        // a `*` stays inside its component
        assert!(!matches_arn(
            "arn:aws:*:111122223333:*:*",
            "arn:aws:iam::111122223333:role/app"
        ));
        assert!(matches_arn(
            "arn:aws:glue:us-east-1:1111????3333:job/*",
            "arn:aws:glue:us-east-1:111122223333:job/etl:v2"
        ));
        assert!(!matches_arn("*", "arn:aws:iam::111122223333:role/app"));
        assert!(!matches_arn(
            "arn:aws:iam::111122223333:role/app",
            "not-an-arn"
        ));
    }

    #[test]
    fn anything() {
        assert!(matches_anything("*"));
        assert!(matches_anything("?*"));
        assert!(!matches_anything("???"));
        assert!(!matches_anything("a*"));
        assert!(!matches_anything(""));
        assert!(has_wildcard("a?b"));
        assert!(!has_wildcard("abc"));
    }
}
