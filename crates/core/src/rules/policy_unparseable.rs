//! `policy-unparseable` (high): see [`DOC`].

use super::{RoleView, Rule, RuleContext};
use crate::model::{Finding, PolicyRef, Severity};
use crate::policy::PolicyError;
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "policy-unparseable",
    severity: Severity::High,
    title: "a policy document could not be read",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  A trust, inline or managed policy document that is not valid JSON, not valid URL encoding,
  or not a valid IAM policy (unknown element, wrong type, unknown condition operator). The
  finding names the document and the parse error with its place. The role's other documents
  are still audited.

Why it matters
  What cannot be read cannot be checked: every other rule is blind to this document, so the
  role may be far more exposed than the report shows.

Example
  \"AssumeRolePolicyDocument\": \"not json\"

Fix
  Fix or re-export the document (`aws iam get-role --role-name NAME`), then audit again.";

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let trust = role.trust.as_ref().err().map(|e| (PolicyRef::Trust, e));
    let others = role
        .documents
        .iter()
        .chain(role.boundary.as_ref())
        .filter_map(|(r, p)| p.as_ref().err().map(|e| (r.clone(), e)));
    for (policy, error) in trust.into_iter().chain(others) {
        out.push(role.finding(
            &RULE,
            policy.clone(),
            None,
            format!("{policy} could not be parsed: {error}"),
            evidence(error),
            format!("Fix or re-export {policy}; until then no rule can check it"),
        ));
    }
}

fn evidence(error: &PolicyError) -> serde_json::Value {
    match error {
        PolicyError::Json {
            message,
            line,
            column,
        } => {
            json!({ "error": "json", "message": message, "line": line, "column": column })
        }
        PolicyError::Shape { path, message } => {
            json!({ "error": "shape", "path": path, "message": message })
        }
        PolicyError::Encoding(m) => json!({ "error": "encoding", "message": m }),
        PolicyError::TooLarge { size, limit } => {
            json!({ "error": "too-large", "size": size, "limit": limit })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, check as run, role, seed_roles};

    #[test]
    fn an_unparseable_boundary_and_an_ambiguous_document_are_reported() {
        use crate::rules::testing::bounded;
        let r = bounded(role(SAME_ACCOUNT_TRUST, &[], &[]), "{");
        let f = run(&RULE, &r);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].policy,
            PolicyRef::Boundary("arn:aws:iam::123456789012:policy/connector-boundary".into())
        );
        // duplicate keys: the document says two things
        let twice =
            r#"{"Statement":{"Effect":"Deny","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        let f = run(&RULE, &role(SAME_ACCOUNT_TRUST, &[twice], &[]));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("duplicate key `Effect`"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].evidence["path"], "Statement");
    }

    #[test]
    fn names_the_document_and_error() {
        let f = run(&RULE, &role("not json", &[], &[]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].policy, PolicyRef::Trust);
        assert!(f[0].message.contains("not valid JSON"), "{}", f[0].message);
        assert_eq!(f[0].evidence["line"], 1);

        let wrong_type = r#"{"Statement":{"Effect":"Allow","Action":42,"Resource":"*"}}"#;
        let f = run(&RULE, &role(SAME_ACCOUNT_TRUST, &[wrong_type], &[]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].policy, PolicyRef::Inline("p0".into()));
        assert_eq!(f[0].evidence["path"], "Statement.Action");
    }

    #[test]
    fn other_documents_still_audited() {
        use crate::rules::registry::RULES;
        let broken = "%7B%ZZ";
        let wide = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
        let r = role("not json", &[broken, wide], &[]);
        let mut rules: Vec<String> = RULES
            .iter()
            .flat_map(|rule| run(rule, &r))
            .map(|f| f.rule)
            .collect();
        rules.sort();
        assert_eq!(
            rules,
            [
                "policy-unparseable",
                "policy-unparseable",
                "s3-wildcard-bucket"
            ]
        );
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
