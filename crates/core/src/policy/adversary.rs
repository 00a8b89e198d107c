//! The adversary's view, written down once. The adversary is another AWS customer (or anyone
//! with an identity-provider account): it can create accounts, organizations, roles and
//! sessions of its own, and it picks the values of the request context keys that describe
//! them. It cannot pick the audited account's own ids, nor values a service sets for the
//! resource owner (`aws:SourceAccount` of a request made on the customer's own resource).
//!
//! For each key the adversary controls there is a [`Space`]: every value the adversary can
//! come to present. A wildcard pattern (`StringLike`, `ArnLike`) that can match some value of
//! the space is satisfiable: the adversary creates organizations or accounts until one has a
//! matching id, or simply names its role to match. A literal value is not: an id is assigned
//! by AWS, and the literal is the party the policy meant. PURE.
//!
//! Shapes of the ids, from the AWS references:
//! - account ids: 12 digits (IAM User Guide, "AWS account identifiers");
//! - organization ids `^o-[a-z0-9]{10,32}$`, root ids `^r-[0-9a-z]{4,32}$`, OU ids
//!   `^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$` (AWS Organizations API Reference, `Organization.Id`,
//!   `Root.Id`, `OrganizationalUnit.Id`); `aws:PrincipalOrgPaths` entries are
//!   `o-id/r-id/ou-id/.../` (IAM User Guide, "AWS global condition context keys");
//! - IAM names: `[\w+=,.@-]` up to 64 characters, paths `/.../` (IAM API Reference, `Role`).

use super::wildcard;

/// A set of characters a segment of a value may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chars {
    /// Exactly this character.
    One(char),
    Digits,
    /// Lowercase letters and digits.
    LowerAlnum,
    /// Characters of IAM names and paths: letters, digits, `+=,.@_-` and `/`.
    IamName,
}

impl Chars {
    fn contains(self, c: char) -> bool {
        match self {
            Chars::One(x) => c == x,
            Chars::Digits => c.is_ascii_digit(),
            Chars::LowerAlnum => c.is_ascii_lowercase() || c.is_ascii_digit(),
            Chars::IamName => c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c),
        }
    }

    /// A character of the set, preferring `want`.
    fn pick(self, want: Option<char>) -> Option<char> {
        match want {
            Some(c) => self.contains(c).then_some(c),
            None => Some(match self {
                Chars::One(x) => x,
                Chars::Digits => '7',
                Chars::LowerAlnum | Chars::IamName => 'q',
            }),
        }
    }
}

/// A run of `min..=max` characters of one set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    chars: Chars,
    min: usize,
    max: usize,
    /// An id AWS assigns (an account id): the adversary gets one that a wildcard of the
    /// pattern matches, never one the pattern spells out.
    assigned: bool,
}

/// The values the adversary can present for a key: any string of one of these shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    shapes: Vec<Vec<Segment>>,
}

fn lit(text: &str) -> Vec<Segment> {
    text.chars()
        .map(|c| Segment {
            chars: Chars::One(c),
            min: 1,
            max: 1,
            assigned: false,
        })
        .collect()
}

fn run(chars: Chars, min: usize, max: usize) -> Vec<Segment> {
    vec![Segment {
        chars,
        min,
        max,
        assigned: false,
    }]
}

/// An account id inside an ARN.
fn account_id() -> Vec<Segment> {
    vec![Segment {
        chars: Chars::Digits,
        min: 12,
        max: 12,
        assigned: true,
    }]
}

fn shape(parts: Vec<Vec<Segment>>) -> Vec<Segment> {
    parts.into_iter().flatten().collect()
}

impl Space {
    /// 12-digit account ids: the adversary's own accounts (`aws:PrincipalAccount`,
    /// `aws:SourceAccount` of its own resources).
    pub fn account() -> Space {
        Space {
            shapes: vec![run(Chars::Digits, 12, 12)],
        }
    }

    /// Organization ids (`aws:PrincipalOrgID`, `aws:SourceOrgID`): anyone can create one.
    pub fn org_id() -> Space {
        Space {
            shapes: vec![shape(vec![lit("o-"), run(Chars::LowerAlnum, 10, 32)])],
        }
    }

    /// Organization paths (`aws:PrincipalOrgPaths`): the root, or an OU under it.
    pub fn org_path() -> Space {
        let org = shape(vec![
            lit("o-"),
            run(Chars::LowerAlnum, 10, 32),
            lit("/r-"),
            run(Chars::LowerAlnum, 4, 32),
            lit("/"),
        ]);
        let ou = shape(vec![
            org.clone(),
            lit("ou-"),
            run(Chars::LowerAlnum, 4, 32),
            lit("-"),
            run(Chars::LowerAlnum, 8, 32),
            lit("/"),
        ]);
        Space {
            shapes: vec![org, ou],
        }
    }

    /// ARNs of the adversary's own principals (`aws:PrincipalArn`, or an AWS principal it
    /// presents): its account's root, its roles and users (any path and name), their sessions,
    /// in every partition.
    pub fn principal_arn() -> Space {
        let mut shapes = Vec::new();
        for partition in ["aws", "aws-cn", "aws-us-gov"] {
            let iam = |tail: Vec<Vec<Segment>>| {
                let mut parts = vec![
                    lit(&format!("arn:{partition}:iam::")),
                    account_id(),
                    lit(":"),
                ];
                parts.extend(tail);
                shape(parts)
            };
            shapes.push(iam(vec![lit("root")]));
            shapes.push(iam(vec![lit("role/"), run(Chars::IamName, 1, 576)]));
            shapes.push(iam(vec![lit("user/"), run(Chars::IamName, 1, 576)]));
            shapes.push(shape(vec![
                lit(&format!("arn:{partition}:sts::")),
                account_id(),
                lit(":assumed-role/"),
                run(Chars::IamName, 1, 640),
            ]));
        }
        Space { shapes }
    }

    /// ARNs of resources the adversary owns, of any service (`aws:SourceArn`).
    pub fn resource_arn() -> Space {
        let mut shapes = Vec::new();
        for partition in ["aws", "aws-cn", "aws-us-gov"] {
            shapes.push(shape(vec![
                lit(&format!("arn:{partition}:")),
                run(Chars::IamName, 1, 64),
                lit(":"),
                run(Chars::IamName, 0, 32),
                lit(":"),
                account_id(),
                lit(":"),
                run(Chars::IamName, 1, 1024),
            ]));
            // resources whose ARN holds no account: S3 buckets and objects, named by their
            // creator (bucket names are global, and the adversary picks its own)
            shapes.push(shape(vec![
                lit(&format!("arn:{partition}:s3:::")),
                run(Chars::IamName, 1, 1024),
            ]));
        }
        Space { shapes }
    }

    /// Can the adversary present a value that the wildcard `pattern` matches? Patterns without
    /// a wildcard are literals: an id the adversary cannot choose.
    pub fn satisfies(&self, pattern: &str) -> bool {
        wildcard::has_wildcard(pattern) && self.witness(pattern).is_some()
    }

    /// A value of the space that `pattern` matches, when there is one.
    pub fn witness(&self, pattern: &str) -> Option<String> {
        let p: Vec<char> = pattern.chars().collect();
        self.shapes.iter().find_map(|s| intersect(&p, s))
    }
}

/// A string both matched by the glob `p` and made of `shape`, by a search over the pairs
/// (position in the pattern, position in the shape, characters used in the current segment).
fn intersect(p: &[char], shape: &[Segment]) -> Option<String> {
    use std::collections::{HashMap, VecDeque};
    // (pattern position, segment, characters in it, a wildcard supplied one of them)
    type State = (usize, usize, usize, bool);
    // the longest segment bounds the count; states stay few (pattern x segments x count)
    let mut seen: HashMap<State, Option<(State, Option<char>)>> = HashMap::new();
    let mut queue: VecDeque<State> = VecDeque::new();
    let start = (0, 0, 0, false);
    seen.insert(start, None);
    queue.push_back(start);
    // a segment may end with enough characters, and, when AWS assigns it, one of them wild
    let may_end = |seg: &Segment, k: usize, wild: bool| k >= seg.min && (wild || !seg.assigned);
    let done = |(pi, si, k, wild): State| {
        pi == p.len()
            && (si == shape.len()
                || (si + 1 == shape.len() && shape.get(si).is_some_and(|s| may_end(s, k, wild))))
    };
    let mut budget = 200_000usize;
    while let Some(state) = queue.pop_front() {
        budget = budget.checked_sub(1)?;
        if done(state) {
            let mut out = Vec::new();
            let mut at = state;
            while let Some(Some((prev, c))) = seen.get(&at) {
                if let Some(c) = c {
                    out.push(*c);
                }
                at = *prev;
            }
            return Some(out.into_iter().rev().collect());
        }
        let (pi, si, k, wild) = state;
        let mut next: Vec<(State, Option<char>)> = Vec::new();
        // leave the current segment when it may end
        if let Some(seg) = shape.get(si)
            && may_end(seg, k, wild)
        {
            next.push(((pi, si + 1, 0, false), None));
        }
        // a `*` may match nothing
        if p.get(pi) == Some(&'*') {
            next.push(((pi + 1, si, k, wild), None));
        }
        // consume one character
        if let Some(seg) = shape.get(si)
            && k < seg.max
        {
            match p.get(pi) {
                Some('*') => {
                    if let Some(c) = seg.chars.pick(None) {
                        next.push(((pi, si, k + 1, true), Some(c)));
                    }
                }
                Some('?') => {
                    if let Some(c) = seg.chars.pick(None) {
                        next.push(((pi + 1, si, k + 1, true), Some(c)));
                    }
                }
                Some(c) => {
                    if let Some(c) = seg.chars.pick(Some(*c)) {
                        next.push(((pi + 1, si, k + 1, wild), Some(c)));
                    }
                }
                None => {}
            }
        }
        for (n, c) in next {
            if let std::collections::hash_map::Entry::Vacant(e) = seen.entry(n) {
                e.insert(Some((state, c)));
                queue.push_back(n);
            }
        }
    }
    None
}

/// The keys that say who an AWS caller is, the values an outside caller can present for each,
/// and whether the key can be missing from its request. `aws:PrincipalArn` and
/// `aws:PrincipalAccount` are in every request of an IAM principal; the organization keys only
/// when the caller's account is in an organization (IAM User Guide, "AWS global condition
/// context keys": aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID,
/// aws:PrincipalOrgPaths).
pub fn principal_keys() -> Vec<(&'static str, Space, bool)> {
    vec![
        ("aws:PrincipalArn", Space::principal_arn(), false),
        ("aws:PrincipalAccount", Space::account(), false),
        ("aws:PrincipalOrgID", Space::org_id(), true),
        ("aws:PrincipalOrgPaths", Space::org_path(), true),
    ]
}

/// The keys a service sets when it acts for the owner of a resource: another customer of the
/// service makes them its own account, resource and organization, or leaves them out (not
/// every service sets them: IAM User Guide, "The confused deputy problem").
pub fn source_keys() -> Vec<(&'static str, Space, bool)> {
    vec![
        ("aws:SourceAccount", Space::account(), true),
        ("aws:SourceArn", Space::resource_arn(), true),
        ("aws:SourceOrgID", Space::org_id(), true),
        ("aws:SourceOrgPaths", Space::org_path(), true),
    ]
}

/// [`scenario`] of [`principal_keys`], built once: every trust check of every role asks it.
pub fn principal_scenario() -> &'static super::Scenario {
    static SCENARIO: std::sync::OnceLock<super::Scenario> = std::sync::OnceLock::new();
    SCENARIO.get_or_init(|| scenario(principal_keys()))
}

/// [`scenario`] of [`source_keys`], built once: every service trust of every role asks it.
pub fn source_scenario() -> &'static super::Scenario {
    static SCENARIO: std::sync::OnceLock<super::Scenario> = std::sync::OnceLock::new();
    SCENARIO.get_or_init(|| scenario(source_keys()))
}

/// What an outside caller's request says of `keys`: each adversary-controlled.
pub fn scenario(keys: Vec<(&'static str, Space, bool)>) -> super::Scenario {
    keys.into_iter()
        .fold(super::Scenario::new(), |s, (key, space, may_be_absent)| {
            s.with(
                key,
                super::condition::KeyState::Adversary(super::condition::Adversary {
                    space: Some(space),
                    samples: Vec::new(),
                    may_be_absent,
                }),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_anyone_can_satisfy() {
        let org = Space::org_id();
        for p in ["o-*", "o-??????????", "o-a*", "*", "o-*z"] {
            let w = org.witness(p).unwrap_or_default();
            assert!(org.satisfies(p), "{p}");
            assert!(wildcard::matches(p, &w), "{p} -> {w}");
        }
        // literals are ids AWS assigned: not the adversary's to pick
        assert!(!org.satisfies("o-abcdefghij"));
        // shapes no organization id has
        assert!(!org.satisfies("o-???"));
        assert!(!org.satisfies("x-*"));
        assert!(!org.satisfies("o-ABC*"));

        let acct = Space::account();
        for p in ["????????????", "1*", "12345678901?", "*"] {
            assert!(acct.satisfies(p), "{p}");
        }
        assert!(!acct.satisfies("123456789012"));
        assert!(!acct.satisfies("1234567890?"));
        assert!(!acct.satisfies("a*"));

        let paths = Space::org_path();
        assert!(paths.satisfies("o-*/*"));
        assert!(paths.satisfies("o-*/r-*/ou-*/"));
        assert!(paths.satisfies("o-??????????/*"));
        assert!(!paths.satisfies("o-abcdefghij/r-ab12/"));

        let arns = Space::principal_arn();
        for p in [
            "arn:aws:iam::????????????:*",
            "arn:aws:iam::1*:role/x",
            "arn:aws:iam::*:role/vendor-*",
            "arn:*:iam::*:root",
            "arn:aws:sts::*:assumed-role/*",
        ] {
            let w = arns.witness(p).unwrap_or_default();
            assert!(arns.satisfies(p) && wildcard::matches(p, &w), "{p} -> {w}");
        }
        // a literal account: only that account's principals
        assert!(!arns.satisfies("arn:aws:iam::999999999999:role/vendor-*"));
        assert!(!arns.satisfies("arn:aws:iam::999999999999:role/vendor"));
    }

    #[test]
    fn long_patterns_stay_cheap() {
        let arns = Space::principal_arn();
        let p = format!("arn:aws:iam::*:role/{}", "a*".repeat(200));
        assert!(arns.satisfies(&p));
        let p = format!("arn:aws:iam::*:role/{}x", "?".repeat(700));
        assert!(!arns.satisfies(&p));
    }
}
