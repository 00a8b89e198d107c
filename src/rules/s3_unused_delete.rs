//! `s3-unused-delete` (medium): see [`DOC`].

use super::s3_wildcard_bucket::join_short;
use super::{RoleView, Rule, RuleContext, statement_label};
use crate::model::{Access, Finding, Severity};
use crate::policy::s3::Bucket;
use serde_json::json;
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "s3-unused-delete",
    severity: Severity::Medium,
    title: "the role can delete objects it has no use deleting",
    doc: DOC,
    check,
};

pub const DOC: &str = "\
What it flags
  s3:DeleteObject or s3:DeleteObjectVersion reachable (directly, or through s3:*, s3:Delete*,
  `*` or NotAction), after Deny statements, while the evidence says the connector does not need
  to delete. Evidence: the role's `connector-access` tag. `read`, `write`, `append` and
  `read-write` exclude delete; `full` includes it; no tag means unknown and nothing is reported.

Why it matters
  Vendors often ask for delete only for a connection test (\"s3:DeleteObject is required to
  clean up test artifacts ... this action can be safely removed\") and it stays forever. A
  compromised or buggy connector with delete can destroy the data it was meant to read or
  append to.

Example
  connector-access=append with
  {\"Effect\": \"Allow\", \"Action\": [\"s3:PutObject\", \"s3:DeleteObject\"],
   \"Resource\": \"arn:aws:s3:::exports/*\"}

Fix
  Remove s3:DeleteObject / s3:DeleteObjectVersion from the statement (or narrow s3:* to the
  actions the connector uses); if the connector really deletes, tag the role
  connector-access=full.";

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Some(access) = role.access else { return };
    if access.allows_delete() {
        return;
    }
    for ((pi, si), grants) in role.grants_by_statement(|g| g.action.is_object_delete()) {
        let Some(statement) = role.statement(pi, si) else {
            continue;
        };
        let actions: BTreeSet<String> = grants.iter().map(|g| g.action.qualified()).collect();
        let buckets: BTreeSet<String> = grants
            .iter()
            .map(|g| match &g.bucket {
                Bucket::Named(b) => b.clone(),
                Bucket::Unnamed => "*".to_string(),
            })
            .collect();
        let policy = role.policy_ref(pi);
        let mut f = role.finding(
            &RULE,
            policy.clone(),
            Some(statement),
            format!(
                "{} of {policy} grants {} on {} although the role is tagged {}={}",
                statement_label(statement),
                join_short(&actions),
                join_short(&buckets),
                Access::TAG,
                access.as_str()
            ),
            json!({
                "actions": actions,
                "buckets": buckets,
                "evidence": { "source": "tag", "tag": Access::TAG, "value": access.as_str() },
            }),
            format!(
                "Remove {} from {} (a vendor's connection test needs it once, the connector does not); if the connector must delete, tag the role {}=full",
                join_short(&actions),
                statement_label(statement),
                Access::TAG
            ),
        );
        // the probe tries DeleteObject only: it says nothing of DeleteObjectVersion alone
        if actions.contains("s3:DeleteObject") {
            role.add_probe_evidence(&mut f, |c| {
                c.action == crate::model::ProbeAction::DeleteObject
            });
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, check as run, role, seed, seed_roles};

    const PUT_DELETE: &str = r#"{"Statement":{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::exports/*"}}"#;

    #[test]
    fn the_probe_confirms_or_not() {
        use crate::model::{BucketScope, Outcome, Predicted, ProbeAction, ProbeCheck, RoleProbe};
        let snapshot = role(
            SAME_ACCOUNT_TRUST,
            &[PUT_DELETE],
            &[("connector-access", "append")],
        );
        let probe = |outcome| RoleProbe {
            assumed: true,
            checks: vec![ProbeCheck {
                bucket: "exports".into(),
                scope: BucketScope::InScope,
                action: ProbeAction::DeleteObject,
                predicted: Predicted::Allowed,
                outcome,
                error_code: None,
                note: None,
            }],
            ..RoleProbe::default()
        };
        for (outcome, confirmed) in [(Outcome::Allowed, true), (Outcome::Denied, false)] {
            let p = probe(outcome);
            let view = RoleView::new(&snapshot).with_probe(Some(&p));
            let mut out = vec![];
            (RULE.check)(&view, &RuleContext::default(), &mut out);
            assert_eq!(out[0].evidence["confirmed_by_probe"], confirmed);
        }
        // no probe: no claim either way
        let f = run(&RULE, &snapshot);
        assert!(f[0].evidence.get("confirmed_by_probe").is_none());
    }

    #[test]
    fn fires_for_access_without_delete() {
        for access in ["read", "write", "append", "read-write"] {
            let f = run(
                &RULE,
                &role(
                    SAME_ACCOUNT_TRUST,
                    &[PUT_DELETE],
                    &[("connector-access", access)],
                ),
            );
            assert_eq!(f.len(), 1, "{access}");
            assert_eq!(f[0].evidence["actions"][0], "s3:DeleteObject");
            assert_eq!(f[0].evidence["buckets"][0], "exports");
        }
    }

    #[test]
    fn through_wildcards() {
        for doc in [
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:Delete*","Resource":"arn:aws:s3:::b/*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:deleteobjectversion","Resource":"arn:aws:s3:::b/*"}}"#,
        ] {
            assert_eq!(
                run(
                    &RULE,
                    &role(SAME_ACCOUNT_TRUST, &[doc], &[("connector-access", "read")])
                )
                .len(),
                1,
                "{doc}"
            );
        }
    }

    #[test]
    fn does_not_fire() {
        // full access, no tag, delete denied, or delete on bucket resources only
        assert!(
            run(
                &RULE,
                &role(
                    SAME_ACCOUNT_TRUST,
                    &[PUT_DELETE],
                    &[("connector-access", "full")]
                )
            )
            .is_empty()
        );
        assert!(run(&RULE, &role(SAME_ACCOUNT_TRUST, &[PUT_DELETE], &[])).is_empty());
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}}"#;
        assert!(
            run(
                &RULE,
                &role(
                    SAME_ACCOUNT_TRUST,
                    &[PUT_DELETE, deny],
                    &[("connector-access", "append")]
                )
            )
            .is_empty()
        );
        let bucket_only =
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b"}}"#;
        assert!(
            run(
                &RULE,
                &role(
                    SAME_ACCOUNT_TRUST,
                    &[bucket_only],
                    &[("connector-access", "read")]
                )
            )
            .is_empty()
        );
    }

    #[test]
    fn seed_google_datasync_as_written_is_flagged() {
        let findings: Vec<_> = seed_roles()
            .into_iter()
            .flat_map(|(vendor, r)| run(&RULE, &r).into_iter().map(move |f| (vendor, f)))
            .collect();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].0, "google-datasync");
        // the same document tagged full is fine
        let r = role(
            &seed("google-datasync", "trust"),
            &[&seed("google-datasync", "permissions")],
            &[("connector-access", "full")],
        );
        assert!(run(&RULE, &r).is_empty());
    }
}
