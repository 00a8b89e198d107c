//! Policy variables (`${aws:PrincipalTag/bucket}`) in a role's identity policies, resolved to
//! what they can be when the connector uses the role. A value the connector controls (a
//! session tag it may set, its session name inside `aws:userid`, the request's region) can be
//! anything: it becomes `*`. A value fixed by the customer (the role's own tags when sessions
//! cannot be tagged, its account and ARN) is substituted. A key that cannot be present (a
//! role session has no `aws:username`) makes the pattern match nothing.
//!
//! From the IAM User Guide, "IAM policy elements: Variables and tags": variables work only in
//! documents of `"Version": "2012-10-17"` (elsewhere `${...}` is literal text); `${*}`, `${?}`
//! and `${$}` stand for the literal characters; `${key, 'default'}` gives a default when the
//! key is absent; "session tags override role tags with the same key" (IAM User Guide,
//! "Passing session tags in AWS STS"), and a caller may pass them only when the trust policy
//! allows it `sts:TagSession`. [`resolve_for_request`] resolves them instead against the
//! context of one concrete request (for [`super::request`]). PURE.

use super::condition::{Condition, KeyState, Operator, Truth};
use super::document::{Clause, Policy};

/// What is known of the role whose policies hold the variables.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub account: String,
    pub role_arn: String,
    /// The role's own tags.
    pub tags: crate::model::Tags,
    /// The trust policy lets someone other than the account's own principals tag sessions
    /// (`sts:TagSession`): `aws:PrincipalTag/*` is theirs to set.
    pub caller_tags_sessions: bool,
    /// ... or set a source identity (`sts:SetSourceIdentity`).
    pub caller_sets_source_identity: bool,
}

/// What a variable stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolution {
    Value(String),
    /// Anything: the connector (or the request) picks it.
    Anything,
    /// The key cannot be present: the pattern matches nothing (without a default).
    Nothing,
}

impl Context {
    fn resolve(&self, key: &str) -> Resolution {
        let lower = key.to_ascii_lowercase();
        if let Some(tag) = lower.strip_prefix("aws:principaltag/") {
            if self.caller_tags_sessions {
                return Resolution::Anything;
            }
            // tag keys compare case-insensitively in conditions; IAM keeps one spelling
            return self
                .tags
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(tag))
                .map_or(Resolution::Nothing, |(_, v)| Resolution::Value(v.clone()));
        }
        match lower.as_str() {
            "aws:principalaccount" => Resolution::Value(self.account.clone()),
            "aws:principalarn" => Resolution::Value(self.role_arn.clone()),
            "aws:principaltype" => Resolution::Value("AssumedRole".into()),
            // a role session has no user name
            "aws:username" => Resolution::Nothing,
            "aws:sourceidentity" if !self.caller_sets_source_identity => Resolution::Nothing,
            // `role-id:session-name`: the session name is the caller's; everything else
            // (the request's region, IP, time, S3 prefix, ...) is the request's
            _ => Resolution::Anything,
        }
    }

    /// `text` with its variables resolved; `None` when it can match nothing.
    fn substitute(&self, text: &str) -> Option<String> {
        substitute_with(text, |key| self.resolve(key))
    }

    fn clause(&self, clause: &Clause<String>) -> Clause<String> {
        Clause {
            negated: clause.negated,
            items: clause
                .items
                .iter()
                // a NotResource item that matches nothing excludes nothing
                .filter_map(|item| self.substitute(item))
                .collect(),
        }
    }

    /// The policy with its variables resolved (only `2012-10-17` documents have variables).
    pub fn resolve_policy(&self, policy: &Policy) -> Policy {
        if !has_variables(policy) {
            return policy.clone();
        }
        let mut out = policy.clone();
        for s in &mut out.statements {
            if let Some(r) = &s.resource {
                s.resource = Some(self.clause(r));
            }
            for c in &mut s.conditions {
                // a condition value that can match nothing is dropped; with no value left the
                // condition cannot hold (for a negated operator: always holds), as for an
                // absent key
                c.values = c.values.iter().filter_map(|v| self.substitute(v)).collect();
            }
        }
        out
    }
}

/// `text` with each `${key}` / `${key, 'default'}` replaced through `resolve`; `None` when a
/// variable can be nothing (no value, no default): the text then matches nothing. `${*}`,
/// `${?}` and `${$}` stand for those characters; a `${` without its `}` is literal text.
fn substitute_with(text: &str, resolve: impl Fn(&str) -> Resolution) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start)?);
        let after = rest.get(start + 2..)?;
        let Some(end) = after.find('}') else {
            // no closing brace: literal text
            out.push_str(rest.get(start..)?);
            return Some(out);
        };
        let inner = after.get(..end)?;
        rest = after.get(end + 1..)?;
        let (key, default) = match inner.split_once(',') {
            Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').to_string())),
            None => (inner.trim(), None),
        };
        match key {
            "*" | "?" | "$" => out.push_str(key),
            _ => match (resolve(key), default) {
                (Resolution::Value(v), _) => out.push_str(&v),
                (Resolution::Anything, _) => out.push('*'),
                (Resolution::Nothing, Some(d)) => out.push_str(&d),
                (Resolution::Nothing, None) => return None,
            },
        }
    }
    out.push_str(rest);
    Some(out)
}

fn has_variables(policy: &Policy) -> bool {
    policy.version.as_deref() == Some("2012-10-17")
        && policy.statements.iter().any(|s| {
            s.resource
                .as_ref()
                .is_some_and(|r| r.items.iter().any(|i| i.contains("${")))
                || s.conditions
                    .iter()
                    .any(|c| c.values.iter().any(|v| v.contains("${")))
        })
}

/// The policy with its variables replaced by the values of one concrete request: `value_of`
/// gives a key's value when the request holds exactly one (keys compare case-insensitively;
/// a key that is absent, or multivalued, has none: the IAM User Guide, "Single-valued vs.
/// multivalued context keys", says only single-valued keys can be variables).
///
/// Where variables count follows the IAM User Guide, "IAM policy elements: Variables and
/// tags" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>):
/// "You can use policy variables in the Resource element and in string comparisons in the
/// Condition element" (string and ARN operators here), only in `2012-10-17` documents; a
/// variable without value takes its default, and otherwise "If AWS cannot resolve a variable
/// this might cause the entire statement to be invalid". Read for one request: a `Resource`
/// item that cannot be resolved matches nothing (a `NotResource` one excludes nothing); a
/// condition value that cannot be resolved is one the key never equals, so a positive
/// operator cannot hold by it, and a negated operator (`StringNotEquals`: the key equals none
/// of the values) cannot hold at all once the key is present.
pub fn resolve_for_request(
    policy: &Policy,
    value_of: impl Fn(&str) -> Option<String>,
) -> std::borrow::Cow<'_, Policy> {
    if !has_variables(policy) {
        return std::borrow::Cow::Borrowed(policy);
    }
    let resolve = |key: &str| value_of(key).map_or(Resolution::Nothing, Resolution::Value);
    let mut out = policy.clone();
    for s in &mut out.statements {
        if let Some(r) = &s.resource {
            s.resource = Some(Clause {
                negated: r.negated,
                items: r
                    .items
                    .iter()
                    .filter_map(|item| substitute_with(item, resolve))
                    .collect(),
            });
        }
        for c in &mut s.conditions {
            if !c.operator.base.is_string_or_arn() {
                continue;
            }
            let resolved: Vec<Option<String>> = c
                .values
                .iter()
                .map(|v| substitute_with(v, resolve))
                .collect();
            if c.operator.base.is_negated() && resolved.iter().any(Option::is_none) {
                *c = never_holds_when_present(c);
            } else {
                c.values = resolved.into_iter().flatten().collect();
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A condition that holds exactly where `c` does when its key is absent, and never when the
/// key is present.
fn never_holds_when_present(c: &Condition) -> Condition {
    let holds_when_absent = c.evaluate(Some(&KeyState::Absent)) == Truth::True;
    let (operator, values) = if holds_when_absent {
        // `Null: true` holds exactly when the key is absent
        ("Null", vec!["true".to_string()])
    } else {
        // no value to equal: never holds
        ("StringEquals", Vec::new())
    };
    Condition {
        operator: Operator::parse(operator).unwrap_or_else(|| c.operator.clone()),
        key: c.key.clone(),
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(tags_sessions: bool) -> Context {
        Context {
            account: "123456789012".into(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            tags: [("bucket".to_string(), "exports".to_string())].into(),
            caller_tags_sessions: tags_sessions,
            caller_sets_source_identity: false,
        }
    }

    #[test]
    fn resolves_what_the_caller_controls_to_anything() {
        let fixed = ctx(false);
        assert_eq!(
            fixed
                .substitute("arn:aws:s3:::${aws:PrincipalTag/bucket}/*")
                .as_deref(),
            Some("arn:aws:s3:::exports/*")
        );
        assert_eq!(
            ctx(true)
                .substitute("arn:aws:s3:::${aws:PrincipalTag/bucket}/*")
                .as_deref(),
            Some("arn:aws:s3:::*/*")
        );
        assert_eq!(
            fixed
                .substitute("arn:aws:s3:::b/${aws:userid}/*")
                .as_deref(),
            Some("arn:aws:s3:::b/*/*")
        );
        assert_eq!(
            fixed.substitute("arn:aws:s3:::${aws:PrincipalTag/none}/*"),
            None
        );
        assert_eq!(fixed.substitute("arn:aws:s3:::b/${aws:username}"), None);
        assert_eq!(
            fixed
                .substitute("arn:aws:s3:::${aws:PrincipalTag/none, 'fallback'}/*")
                .as_deref(),
            Some("arn:aws:s3:::fallback/*")
        );
        assert_eq!(
            fixed.substitute("a${*}b${?}c${$}").as_deref(),
            Some("a*b?c$")
        );
        assert_eq!(
            fixed.substitute("no ${ closing").as_deref(),
            Some("no ${ closing")
        );
    }

    #[test]
    fn only_in_version_2012_documents() {
        let doc = |version: &str| {
            Policy::parse(&format!(
                r#"{{{version}"Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${{aws:PrincipalTag/bucket}}/*"}}}}"#
            ))
            .unwrap()
        };
        let resolved = ctx(true).resolve_policy(&doc(r#""Version":"2012-10-17","#));
        let r = &resolved.statements[0].resource.as_ref().unwrap().items;
        assert_eq!(r, &["arn:aws:s3:::*/*"]);
        let literal = ctx(true).resolve_policy(&doc(""));
        let r = &literal.statements[0].resource.as_ref().unwrap().items;
        assert_eq!(r, &["arn:aws:s3:::${aws:PrincipalTag/bucket}/*"]);
    }
}
