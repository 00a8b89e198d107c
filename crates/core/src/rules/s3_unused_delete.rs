//! `s3-unused-delete` (medium): see [`DOC`].

use super::s3_wildcard_bucket::join_short;
use super::{RoleView, Rule, RuleContext, actions_and_buckets, statement_label, witnessed};
use crate::fix::{self, FixInput, Placeholder};
use crate::model::{Access, Finding, Severity};
use serde_json::Value;
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "s3-unused-delete",
    severity: Severity::Medium,
    title: "the role can delete objects it has no use deleting",
    doc: DOC,
    check,
    fix: Some(fix),
};

pub const DOC: &str = "\
What it flags
  s3:DeleteObject or s3:DeleteObjectVersion reachable (directly, or through s3:*, s3:Delete*,
  `*` or NotAction), after Deny statements, while the evidence says the connector does not need
  to delete. Evidence: the role's `connector-access` tag (`read`, `write`, `append` and
  `read-write` exclude delete; `full` includes it; no tag means unknown), and, with a
  CloudTrail trail configured, the trail: no delete event by the role's sessions in the
  look-back window (unless the trail has no S3 data events at all). A role that did delete in
  the window is never reported here (see s3-unexpected-delete).

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

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let usage = ctx.usage.as_ref();
    let deleted = usage
        .and_then(|u| u.deletes.get(&role.snapshot.arn))
        .is_some_and(|d| d.count > 0);
    if deleted {
        // it does delete: s3-unexpected-delete says so when the tag excludes it
        return;
    }
    let tag = role.access.filter(|a| !a.allows_delete());
    let trail = usage.filter(|u| u.can_claim_absence());
    if tag.is_none() && trail.is_none() {
        return;
    }
    let trail_evidence = trail.map(|u| {
        json!({
            "source": "cloudtrail",
            "coverage": u.coverage,
            "window_days": u.window_days,
            "days_covered": u.days_covered,
            "files_scanned": u.files_scanned,
            "events_scanned": u.events_scanned,
            "last_delete": null,
        })
    });
    for ((pi, si), grants) in role.grants_by_statement(|g| g.action.is_object_delete()) {
        let Some(statement) = role.statement(pi, si) else {
            continue;
        };
        let (actions, buckets) = actions_and_buckets(&grants);
        let policy = role.policy_ref(pi);
        let reason = match (tag, trail) {
            (Some(access), _) => format!(
                "although the role is tagged {}={}",
                Access::TAG,
                access.as_str()
            ),
            (None, Some(u)) => format!(
                "and CloudTrail shows no delete by the role in the last {} days ({} of them covered)",
                u.window_days, u.days_covered
            ),
            (None, None) => String::new(),
        };
        let mut evidence = json!({
            "actions": actions,
            "buckets": buckets,
            "evidence": match tag {
                Some(access) => json!({ "source": "tag", "tag": Access::TAG, "value": access.as_str() }),
                None => trail_evidence.clone().unwrap_or_default(),
            },
        });
        if let (Some(_), Some(t), Some(obj)) = (tag, &trail_evidence, evidence.as_object_mut()) {
            obj.insert("usage".into(), t.clone());
        }
        let witness = super::representative(&grants)
            .and_then(|g| role.access_witness(&g.action.qualified(), &g.witness));
        let mut f = witnessed(
            witness,
            role.finding(
            &RULE,
            policy.clone(),
            Some(statement),
            format!(
                "{} of {policy} grants {} on {} {reason}",
                statement_label(statement),
                join_short(&actions),
                join_short(&buckets),
            ),
            evidence,
            format!(
                "Remove {} from {} (a vendor's connection test needs it once, the connector does not); if the connector must delete, tag the role {}=full",
                join_short(&actions),
                statement_label(statement),
                Access::TAG
            ),
        ));
        // the probe tries DeleteObject only: it says nothing of DeleteObjectVersion alone
        if actions.contains("s3:DeleteObject") {
            role.add_probe_evidence(&mut f, |c| {
                c.action == crate::model::ProbeAction::DeleteObject
            });
        }
        out.push(f);
    }
}

/// The fix: the delete actions taken out (wildcards expanded into the declared access).
fn fix(input: &FixInput<'_>, doc: &mut Value) -> Option<Vec<Placeholder>> {
    let st = fix::statement(doc, input.finding)?;
    fix::narrow_actions(st, input.view.access, |a| a.is_object_delete());
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, check as run, role, seed, seed_roles};

    const PUT_DELETE: &str = r#"{"Statement":{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::exports/*"}}"#;

    #[test]
    fn the_trail_says_unused_or_not() {
        use crate::usage::{RoleDeletes, UsageEvidence};
        let snapshot = role(
            SAME_ACCOUNT_TRUST,
            &[PUT_DELETE],
            &[("connector-access", "full")],
        );
        let run_with = |deletes: u64, data_events: u64| {
            let mut usage = UsageEvidence::new("trail", 90);
            usage.days_covered = 90;
            usage.s3_data_events = data_events;
            if deletes > 0 {
                usage.deletes.insert(
                    snapshot.arn.clone(),
                    RoleDeletes {
                        count: deletes,
                        ..RoleDeletes::default()
                    },
                );
            }
            usage.finish();
            let ctx = RuleContext {
                usage: Some(usage),
                ..RuleContext::default()
            };
            let view = RoleView::new(&snapshot);
            let mut out = vec![];
            (RULE.check)(&view, &ctx, &mut out);
            out
        };
        // tagged full, but the trail shows no delete in 90 days: fires on the trail's word
        let f = run_with(0, 1000);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence["evidence"]["source"], "cloudtrail");
        assert_eq!(
            f[0].evidence["evidence"]["last_delete"],
            serde_json::Value::Null
        );
        assert_eq!(f[0].evidence["evidence"]["coverage"], "full");
        assert!(f[0].message.contains("CloudTrail shows no delete"));
        // it deleted: not unused
        assert!(run_with(3, 1000).is_empty());
        // the trail has no S3 data events: it cannot say anything
        assert!(run_with(0, 0).is_empty());
    }

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
