//! `permissions-admin` (critical): see [`DOC`].

use super::{RoleView, Rule, RuleContext, statement_label, witnessed};
use crate::model::{Finding, Severity};
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "permissions-admin",
    severity: Severity::Critical,
    title: "the role can do everything",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  A role whose policies allow every action on every resource (`\"Action\": \"*\"` with
  `\"Resource\": \"*\"`, as in AdministratorAccess) with no Deny statement carving anything out.

Why it matters
  A third party holding administrator credentials to your account can do anything: create
  users, read every bucket, delete the audit trail.

Example
  The AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess attached to a connector role.

Fix
  Detach the policy and grant the connector only the S3 actions on its buckets.";

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Some((pi, si)) = role.permissions.grants_everything() else {
        return;
    };
    let Some(statement) = role.statement(pi, si) else {
        return;
    };
    let policy = role.policy_ref(pi);
    let witness = role.access_witness("iam:AttachRolePolicy", &role.snapshot.arn);
    out.push(witnessed(
        witness,
        role.finding(
        &RULE,
        policy.clone(),
        Some(statement),
        format!(
            "{} of {policy} allows every action on every resource: the connector holds administrator access",
            statement_label(statement)
        ),
        json!({ "actions": statement.action.items, "resources": statement.resource.as_ref().map(|r| r.items.clone()) }),
        format!("Detach or remove {policy} and grant only the S3 actions the connector needs on its buckets"),
    )));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NamedDocument, PolicyRef};
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, bounded, check as run, role, seed_roles};

    #[test]
    fn administrator_access() {
        let mut r = role(SAME_ACCOUNT_TRUST, &[], &[]);
        r.managed.push(NamedDocument {
            name: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
            document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#.into(),
        });
        let f = run(&RULE, &r);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].policy,
            PolicyRef::Managed("arn:aws:iam::aws:policy/AdministratorAccess".into())
        );
        assert_eq!(f[0].severity, Severity::Critical);
    }

    #[test]
    fn not_everything() {
        for docs in [
            vec![r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#],
            vec![r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}}"#],
            vec![r#"{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#],
            vec![
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
                r#"{"Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}"#,
            ],
        ] {
            assert!(
                run(&RULE, &role(SAME_ACCOUNT_TRUST, &docs, &[])).is_empty(),
                "{docs:?}"
            );
        }
    }

    #[test]
    fn a_boundary_that_is_not_everything_is_no_admin() {
        let admin = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let s3_only = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        assert!(
            run(
                &RULE,
                &bounded(role(SAME_ACCOUNT_TRUST, &[admin], &[]), s3_only)
            )
            .is_empty()
        );
        assert_eq!(
            run(
                &RULE,
                &bounded(role(SAME_ACCOUNT_TRUST, &[admin], &[]), admin)
            )
            .len(),
            1
        );
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
