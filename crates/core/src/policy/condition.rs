//! The `Condition` element: operators with their `...IfExists` suffix and `ForAllValues:` /
//! `ForAnyValue:` qualifiers, evaluated against what a scenario says of each key: absent,
//! chosen by an adversary, or known. Three-valued: a key the scenario does not model is
//! `Unknown`, and callers decide which way the doubt falls. PURE.
//!
//! Semantics follow the IAM reference ("Condition operators"): a missing key makes a condition
//! false, except negated operators (true), `...IfExists` (true), `ForAllValues:` (true) and
//! `Null`. Several values of one operator are ORed, but ANDed for negated operators.

use super::adversary::Space;
use super::wildcard;
use serde::Serialize;
use std::net::IpAddr;

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    /// Depends on something the scenario does not pin down.
    Unknown,
}

impl Truth {
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }
    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
    /// True or Unknown.
    pub fn possible(self) -> bool {
        self != Truth::False
    }
}

/// Base operators of the IAM grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Null,
}

const OPERATORS: &[(&str, BaseOperator)] = &[
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("NumericEquals", BaseOperator::NumericEquals),
    ("NumericNotEquals", BaseOperator::NumericNotEquals),
    ("NumericLessThan", BaseOperator::NumericLessThan),
    ("NumericLessThanEquals", BaseOperator::NumericLessThanEquals),
    ("NumericGreaterThan", BaseOperator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        BaseOperator::NumericGreaterThanEquals,
    ),
    ("DateEquals", BaseOperator::DateEquals),
    ("DateNotEquals", BaseOperator::DateNotEquals),
    ("DateLessThan", BaseOperator::DateLessThan),
    ("DateLessThanEquals", BaseOperator::DateLessThanEquals),
    ("DateGreaterThan", BaseOperator::DateGreaterThan),
    ("DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals),
    ("Bool", BaseOperator::Bool),
    ("BinaryEquals", BaseOperator::BinaryEquals),
    ("IpAddress", BaseOperator::IpAddress),
    ("NotIpAddress", BaseOperator::NotIpAddress),
    ("ArnEquals", BaseOperator::ArnEquals),
    ("ArnNotEquals", BaseOperator::ArnNotEquals),
    ("ArnLike", BaseOperator::ArnLike),
    ("ArnNotLike", BaseOperator::ArnNotLike),
    ("Null", BaseOperator::Null),
];

impl BaseOperator {
    /// Negated operators are true when the key is missing and AND their values.
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// The positive form of a negated operator (itself otherwise).
    fn positive(self) -> BaseOperator {
        use BaseOperator::*;
        match self {
            StringNotEquals => StringEquals,
            StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
            StringNotLike => StringLike,
            NumericNotEquals => NumericEquals,
            DateNotEquals => DateEquals,
            NotIpAddress => IpAddress,
            ArnNotEquals => ArnEquals,
            ArnNotLike => ArnLike,
            other => other,
        }
    }

    /// Operators whose values may hold `*` / `?` wildcards (ArnEquals does too, per the reference).
    fn takes_wildcards(self) -> bool {
        use BaseOperator::*;
        matches!(self.positive(), StringLike | ArnLike | ArnEquals)
    }

    /// String and ARN operators: the ones that compare text (and take policy variables).
    pub fn is_string_or_arn(self) -> bool {
        use BaseOperator::*;
        matches!(
            self.positive(),
            StringEquals | StringEqualsIgnoreCase | StringLike | ArnEquals | ArnLike
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// A full operator: `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub base: BaseOperator,
    pub if_exists: bool,
    pub qualifier: Option<SetQualifier>,
    /// As written.
    pub name: String,
}

impl Operator {
    /// Parses an operator name; `None` when IAM would reject it.
    pub fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (if_exists, base_name) = match rest.len().checked_sub("IfExists".len()) {
            Some(cut)
                if rest.is_char_boundary(cut)
                    && rest
                        .get(cut..)
                        .is_some_and(|s| s.eq_ignore_ascii_case("IfExists")) =>
            {
                (true, rest.get(..cut).unwrap_or_default())
            }
            _ => (false, rest),
        };
        let base = OPERATORS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(base_name))
            .map(|(_, op)| *op)?;
        if base == BaseOperator::Null && (if_exists || qualifier.is_some()) {
            return None;
        }
        Some(Operator {
            base,
            if_exists,
            qualifier,
            name: name.to_string(),
        })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// One `operator: { key: values }` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written (`sts:ExternalId`); compare with [`Condition::is_key`].
    pub key: String,
    /// Values as strings (IAM accepts numbers and booleans and compares their text).
    pub values: Vec<String>,
}

/// What a scenario says of a condition key in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// Not in the request context.
    Absent,
    /// Present with a value the adversary controls and that equals no literal it does not know.
    Adversary(Adversary),
    /// Present with these values (several for multi-valued keys).
    Known(Vec<String>),
}

/// How an adversary-controlled value can match patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adversary {
    /// The values the adversary can come to present (its own account ids, organization ids,
    /// principal ARNs, ...): a wildcard pattern matching one of them is satisfiable.
    pub space: Option<Space>,
    /// Concrete values the adversary can present (for example any EKS service account name):
    /// a wildcard pattern matching one of them is satisfiable.
    pub samples: Vec<String>,
    /// The adversary may also leave the key out of the request (the cautious default: it is
    /// why `...IfExists` never counts as protection).
    pub may_be_absent: bool,
}

impl Default for Adversary {
    fn default() -> Self {
        Adversary {
            space: None,
            samples: Vec::new(),
            may_be_absent: true,
        }
    }
}

impl Adversary {
    /// Can the adversary make a value that `pattern` matches under `op` (positive form)?
    fn can_match(&self, op: BaseOperator, pattern: &str) -> Truth {
        let op = op.positive();
        if op.takes_wildcards() && wildcard::matches_anything(pattern) {
            return Truth::True;
        }
        let sample_hit = self.samples.iter().any(|s| match op {
            BaseOperator::StringEqualsIgnoreCase => s.eq_ignore_ascii_case(pattern),
            BaseOperator::ArnEquals | BaseOperator::ArnLike => wildcard::matches_arn(pattern, s),
            o if o.takes_wildcards() => wildcard::matches(pattern, s),
            _ => s == pattern,
        });
        let in_space =
            op.takes_wildcards() && self.space.as_ref().is_some_and(|s| s.satisfies(pattern));
        if sample_hit || in_space {
            Truth::Unknown
        } else {
            Truth::False
        }
    }
}

impl Condition {
    /// Case-insensitive key comparison (condition keys are not case-sensitive).
    pub fn is_key(&self, key: &str) -> bool {
        self.key.eq_ignore_ascii_case(key)
    }

    /// Evaluates against a scenario's view of this key (`None`: not modelled).
    pub fn evaluate(&self, state: Option<&KeyState>) -> Truth {
        let op = &self.operator;
        match state {
            None => Truth::Unknown,
            Some(KeyState::Absent) => {
                if op.base == BaseOperator::Null {
                    self.null_holds(false)
                } else if op.if_exists
                    || op.qualifier == Some(SetQualifier::ForAllValues)
                    || (op.base.is_negated() && op.qualifier.is_none())
                {
                    Truth::True
                } else {
                    Truth::False
                }
            }
            Some(KeyState::Adversary(adv)) => {
                let present = self.evaluate_adversary_value(adv);
                if !adv.may_be_absent {
                    return present;
                }
                // the adversary picks: a value, or no key at all
                match self.evaluate(Some(&KeyState::Absent)) {
                    absent if absent == present => present,
                    _ => Truth::Unknown,
                }
            }
            Some(KeyState::Known(request)) => self.evaluate_known(request),
        }
    }

    /// The key is present with a value the adversary controls.
    fn evaluate_adversary_value(&self, adv: &Adversary) -> Truth {
        let op = &self.operator;
        if op.base == BaseOperator::Null {
            return self.null_holds(true);
        }
        if !op.base.is_string_or_arn() {
            return Truth::Unknown;
        }
        let any = self.values.iter().map(|p| adv.can_match(op.base, p)).fold(
            Truth::False,
            |acc, t| match (acc, t) {
                (Truth::True, _) | (_, Truth::True) => Truth::True,
                (Truth::Unknown, _) | (_, Truth::Unknown) => Truth::Unknown,
                _ => Truth::False,
            },
        );
        if op.base.is_negated() { any.not() } else { any }
    }

    /// `Null`: `true` holds when the key is absent, `false` when it is present; several values
    /// are ORed, so `[true, false]` always holds.
    fn null_holds(&self, present: bool) -> Truth {
        let wanted = if present { "false" } else { "true" };
        if self.values.iter().any(|v| v.eq_ignore_ascii_case(wanted)) {
            Truth::True
        } else {
            Truth::False
        }
    }

    fn evaluate_known(&self, request: &[String]) -> Truth {
        let op = &self.operator;
        if op.base == BaseOperator::Null {
            return self.null_holds(true);
        }
        let positive = op.base.positive();
        let one = |r: &str| -> bool {
            let hit = self.values.iter().any(|p| value_matches(positive, p, r));
            hit != op.base.is_negated()
        };
        let result = match op.qualifier {
            Some(SetQualifier::ForAllValues) => request.iter().all(|r| one(r)),
            Some(SetQualifier::ForAnyValue) | None => request.iter().any(|r| one(r)),
        };
        if result { Truth::True } else { Truth::False }
    }

    /// The values this condition pins the key to, when it requires the key to be present and
    /// equal to (or match) one of them: positive string or ARN operator, no `IfExists`, no
    /// `ForAllValues:`. `None` when the condition does not enforce a value.
    pub fn pinned_values(&self) -> Option<&[String]> {
        let op = &self.operator;
        let enforcing = op.base.is_string_or_arn()
            && !op.base.is_negated()
            && !op.if_exists
            && op.qualifier != Some(SetQualifier::ForAllValues);
        enforcing.then_some(self.values.as_slice())
    }

    /// The values a negated string or ARN condition excepts (`StringNotEquals`,
    /// `ArnNotLike`, with or without `IfExists`): in a Deny, the callers it lets through.
    pub fn excepted_values(&self) -> Option<&[String]> {
        let op = &self.operator;
        let excepting = op.base.is_string_or_arn()
            && op.base.is_negated()
            && op.qualifier != Some(SetQualifier::ForAllValues);
        excepting.then_some(self.values.as_slice())
    }

    /// `StringEqualsIfExists sts:ExternalId [a, b]`, for evidence.
    pub fn describe(&self) -> String {
        format!(
            "{} {} [{}]",
            self.operator.name,
            self.key,
            self.values.join(", ")
        )
    }
}

fn value_matches(op: BaseOperator, pattern: &str, value: &str) -> bool {
    use BaseOperator::*;
    match op {
        StringEquals => pattern == value,
        StringEqualsIgnoreCase => pattern.to_lowercase() == value.to_lowercase(),
        StringLike => wildcard::matches(pattern, value),
        ArnEquals | ArnLike => wildcard::matches_arn(pattern, value),
        Bool => pattern.eq_ignore_ascii_case(value),
        BinaryEquals => pattern == value,
        NumericEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => match (pattern.parse::<f64>(), value.parse::<f64>()) {
            (Ok(p), Ok(v)) => compare(op, v.partial_cmp(&p)),
            _ => false,
        },
        DateEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => match (parse_date(pattern), parse_date(value)) {
            (Some(p), Some(v)) => compare(op, Some(v.cmp(&p))),
            _ => false,
        },
        IpAddress => ip_in_cidr(pattern, value),
        _ => false,
    }
}

fn compare(op: BaseOperator, ord: Option<std::cmp::Ordering>) -> bool {
    use BaseOperator::*;
    use std::cmp::Ordering::*;
    matches!(
        (op, ord),
        (NumericEquals | DateEquals, Some(Equal))
            | (NumericLessThan | DateLessThan, Some(Less))
            | (
                NumericLessThanEquals | DateLessThanEquals,
                Some(Less | Equal)
            )
            | (NumericGreaterThan | DateGreaterThan, Some(Greater))
            | (
                NumericGreaterThanEquals | DateGreaterThanEquals,
                Some(Greater | Equal)
            )
    )
}

/// ISO 8601 / RFC 3339 or epoch seconds, as seconds since the epoch.
fn parse_date(text: &str) -> Option<i64> {
    if let Ok(secs) = text.parse::<i64>() {
        return Some(secs);
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

fn ip_in_cidr(cidr: &str, value: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let (Ok(net), Ok(ip)) = (net.parse::<IpAddr>(), value.parse::<IpAddr>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition {
            operator: Operator::parse(op).unwrap(),
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }
    /// An adversary value that is always present.
    fn adv() -> KeyState {
        KeyState::Adversary(Adversary {
            may_be_absent: false,
            ..Adversary::default()
        })
    }
    fn known(v: &[&str]) -> KeyState {
        KeyState::Known(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.base, BaseOperator::StringLike);
        assert!(op.if_exists);
        assert_eq!(op.qualifier, Some(SetQualifier::ForAnyValue));
        assert!(Operator::parse("StringEqualz").is_none());
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("ForAllValues:Null").is_none());
        assert!(Operator::parse("stringequals").is_some());
        assert!(Operator::parse("IfExists").is_none());
    }

    #[test]
    fn absent_key_table() {
        // (operator, expected when the key is missing), per the IAM reference
        let cases = [
            ("StringEquals", Truth::False),
            ("StringEqualsIfExists", Truth::True),
            ("StringNotEquals", Truth::True),
            ("StringLike", Truth::False),
            ("StringNotLike", Truth::True),
            ("ArnLike", Truth::False),
            ("ArnNotLikeIfExists", Truth::True),
            ("ForAllValues:StringEquals", Truth::True),
            ("ForAnyValue:StringEquals", Truth::False),
            ("Bool", Truth::False),
        ];
        for (op, want) in cases {
            let c = cond(op, "sts:ExternalId", &["x"]);
            assert_eq!(c.evaluate(Some(&KeyState::Absent)), want, "{op}");
        }
        assert_eq!(
            cond("Null", "k", &["true"]).evaluate(Some(&KeyState::Absent)),
            Truth::True
        );
        assert_eq!(
            cond("Null", "k", &["false"]).evaluate(Some(&KeyState::Absent)),
            Truth::False
        );
        assert_eq!(
            cond("StringEquals", "k", &["x"]).evaluate(None),
            Truth::Unknown
        );
    }

    #[test]
    fn adversary_values() {
        assert_eq!(
            cond("StringEquals", "k", &["secret"]).evaluate(Some(&adv())),
            Truth::False
        );
        assert_eq!(
            cond("StringLike", "k", &["*"]).evaluate(Some(&adv())),
            Truth::True
        );
        assert_eq!(
            cond("StringLike", "k", &["abc*"]).evaluate(Some(&adv())),
            Truth::False
        );
        assert_eq!(
            cond("StringLike", "k", &["x", "*"]).evaluate(Some(&adv())),
            Truth::True
        );
        // StringEquals "*" is a literal star
        assert_eq!(
            cond("StringEquals", "k", &["*"]).evaluate(Some(&adv())),
            Truth::False
        );
        assert_eq!(
            cond("StringNotEquals", "k", &["a"]).evaluate(Some(&adv())),
            Truth::True
        );
        assert_eq!(
            cond("StringNotLike", "k", &["*"]).evaluate(Some(&adv())),
            Truth::False
        );
        assert_eq!(
            cond("Null", "k", &["false"]).evaluate(Some(&adv())),
            Truth::True
        );
        let eks = KeyState::Adversary(Adversary {
            samples: vec!["system:serviceaccount:evil:sa".into()],
            ..Adversary::default()
        });
        assert_eq!(
            cond("StringLike", "k", &["system:serviceaccount:*:*"]).evaluate(Some(&eks)),
            Truth::Unknown
        );
        assert_eq!(
            cond("StringLike", "k", &["system:serviceaccount:milvus:*"]).evaluate(Some(&eks)),
            Truth::False
        );
        let arn = KeyState::Adversary(Adversary {
            space: Some(Space::resource_arn()),
            ..Adversary::default()
        });
        assert_eq!(
            cond(
                "ArnLike",
                "aws:SourceArn",
                &["arn:aws:qbusiness:*:*:application/*"]
            )
            .evaluate(Some(&arn)),
            Truth::Unknown
        );
        assert_eq!(
            cond(
                "ArnLike",
                "aws:SourceArn",
                &["arn:aws:qbusiness:*:123456789012:application/*"]
            )
            .evaluate(Some(&arn)),
            Truth::False
        );
        assert_eq!(
            cond("ArnLike", "aws:SourceArn", &["arn:aws:s3:::my-bucket"]).evaluate(Some(&arn)),
            Truth::False
        );
        assert_eq!(
            cond("ArnLike", "aws:SourceArn", &["arn:aws:s3:::my-*"]).evaluate(Some(&arn)),
            Truth::Unknown
        );
    }

    #[test]
    fn adversary_may_omit_the_key() {
        let maybe = KeyState::Adversary(Adversary::default());
        // IfExists: the adversary leaves the key out
        assert_eq!(
            cond("StringEqualsIfExists", "k", &["secret"]).evaluate(Some(&maybe)),
            Truth::Unknown
        );
        assert_eq!(
            cond("StringEquals", "k", &["secret"]).evaluate(Some(&maybe)),
            Truth::False
        );
        // a Deny on a negated operator applies either way
        assert_eq!(
            cond("StringNotEquals", "k", &["secret"]).evaluate(Some(&maybe)),
            Truth::True
        );
    }

    #[test]
    fn known_values() {
        let c = cond("StringEquals", "k", &["a", "b"]);
        assert_eq!(c.evaluate(Some(&known(&["b"]))), Truth::True);
        assert_eq!(c.evaluate(Some(&known(&["c"]))), Truth::False);
        // negated operators AND their values
        let n = cond("StringNotEquals", "k", &["a", "b"]);
        assert_eq!(n.evaluate(Some(&known(&["a"]))), Truth::False);
        assert_eq!(n.evaluate(Some(&known(&["c"]))), Truth::True);
        let all = cond("ForAllValues:StringEquals", "aws:TagKeys", &["a", "b"]);
        assert_eq!(all.evaluate(Some(&known(&["a", "b"]))), Truth::True);
        assert_eq!(all.evaluate(Some(&known(&["a", "z"]))), Truth::False);
        let any = cond("ForAnyValue:StringEquals", "aws:TagKeys", &["a"]);
        assert_eq!(any.evaluate(Some(&known(&["z", "a"]))), Truth::True);
        assert_eq!(
            cond("StringEqualsIgnoreCase", "k", &["ABC"]).evaluate(Some(&known(&["abc"]))),
            Truth::True
        );
        assert_eq!(
            cond("Bool", "k", &["true"]).evaluate(Some(&known(&["TRUE"]))),
            Truth::True
        );
        assert_eq!(
            cond("NumericLessThan", "k", &["10"]).evaluate(Some(&known(&["9"]))),
            Truth::True
        );
        assert_eq!(
            cond("DateGreaterThan", "k", &["2020-01-01T00:00:00Z"])
                .evaluate(Some(&known(&["2021-01-01T00:00:00Z"]))),
            Truth::True
        );
        assert_eq!(
            cond("IpAddress", "k", &["10.0.0.0/8"]).evaluate(Some(&known(&["10.1.2.3"]))),
            Truth::True
        );
        assert_eq!(
            cond("NotIpAddress", "k", &["10.0.0.0/8"]).evaluate(Some(&known(&["11.1.2.3"]))),
            Truth::True
        );
        assert_eq!(
            cond("IpAddress", "k", &["2001:db8::/32"]).evaluate(Some(&known(&["2001:db8::1"]))),
            Truth::True
        );
        assert_eq!(
            cond("Null", "k", &["false"]).evaluate(Some(&known(&["x"]))),
            Truth::True
        );
    }

    #[test]
    fn arn_operators_compare_component_by_component() {
        let arn = known(&["arn:aws:iam::111122223333:role/app"]);
        // five components: matches no ARN, so the negated operator holds
        assert_eq!(
            cond("ArnLike", "aws:PrincipalArn", &["arn:aws:iam::*"]).evaluate(Some(&arn)),
            Truth::False
        );
        assert_eq!(
            cond("ArnNotLike", "aws:PrincipalArn", &["arn:aws:iam::*"]).evaluate(Some(&arn)),
            Truth::True
        );
        assert_eq!(
            cond("ArnEquals", "aws:PrincipalArn", &["arn:aws:iam::*:role/*"]).evaluate(Some(&arn)),
            Truth::True
        );
        // StringLike reads the whole text
        assert_eq!(
            cond("StringLike", "aws:PrincipalArn", &["arn:aws:iam::*"]).evaluate(Some(&arn)),
            Truth::True
        );
    }

    #[test]
    fn null_with_both_values_always_holds() {
        // values of one key are ORed: `Null: [true, false]` holds whether the key is there or
        // not (it used to be Unknown, so a concrete request could not be decided)
        let both = cond("Null", "k", &["true", "false"]);
        assert_eq!(both.evaluate(Some(&KeyState::Absent)), Truth::True);
        assert_eq!(both.evaluate(Some(&known(&["x"]))), Truth::True);
        assert_eq!(both.evaluate(Some(&adv())), Truth::True);
        let neither = cond("Null", "k", &["yes"]);
        assert_eq!(neither.evaluate(Some(&KeyState::Absent)), Truth::False);
        assert_eq!(neither.evaluate(Some(&known(&["x"]))), Truth::False);
    }

    #[test]
    fn pinned() {
        assert!(cond("StringEquals", "k", &["v"]).pinned_values().is_some());
        assert!(
            cond("StringEqualsIfExists", "k", &["v"])
                .pinned_values()
                .is_none()
        );
        assert!(
            cond("ForAllValues:StringEquals", "k", &["v"])
                .pinned_values()
                .is_none()
        );
        assert!(
            cond("ForAnyValue:StringLike", "k", &["v*"])
                .pinned_values()
                .is_some()
        );
        assert!(
            cond("StringNotEquals", "k", &["v"])
                .pinned_values()
                .is_none()
        );
        assert!(cond("Null", "k", &["false"]).pinned_values().is_none());
    }
}
