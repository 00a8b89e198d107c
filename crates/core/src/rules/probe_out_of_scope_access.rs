//! `probe-out-of-scope-access` (critical): see [`DOC`].

use super::{RoleView, Rule, RuleContext, keyed, statement_label};
use crate::model::{BucketScope, Finding, Outcome, PolicyRef, ProbeCheck, Severity};
use crate::probe::{ProbeKey, request};
use serde_json::json;
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    id: "probe-out-of-scope-access",
    severity: Severity::Critical,
    title: "with its own credentials, the role reached a bucket outside its scope",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  With probing on, a request made with the role's own (session-limited) credentials that
  succeeded on the canary bucket (`--probe-canary`, PROBE_CANARY_BUCKET) or on a bucket the
  role's policies name but its `connector-buckets` tag does not.

Why it matters
  This is not a reading of documents: AWS itself let the connector's role into a bucket it
  should never see. Whoever holds the connector's credentials (the vendor, or whoever
  compromised the vendor) can do the same.

Example
  A role with {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"} listing the
  security team's canary bucket.

Fix
  Narrow the statement's Resource to the connector's buckets (`arn:aws:s3:::BUCKET` and
  `arn:aws:s3:::BUCKET/*`); if the connector does need the bucket, add it to the role's
  `connector-buckets` tag.";

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Some(probe) = role.probe else { return };
    let mut by_bucket: BTreeMap<&str, Vec<&ProbeCheck>> = BTreeMap::new();
    for c in probe
        .checks
        .iter()
        .filter(|c| c.scope != BucketScope::InScope && c.outcome == Outcome::Allowed)
    {
        by_bucket.entry(c.bucket.as_str()).or_default().push(c);
    }
    let partition = role.snapshot.arn.split(':').nth(1).unwrap_or("aws");
    for (bucket, checks) in by_bucket {
        let actions: Vec<&str> = checks.iter().map(|c| c.action.as_str()).collect();
        let scope = checks
            .first()
            .map(|c| c.scope)
            .unwrap_or(BucketScope::Canary);
        let explained = checks.iter().find_map(|c| {
            let (resource, scenario) =
                request(partition, bucket, c.action, &ProbeKey::derive("explain"));
            role.permissions
                .allowing_statement(c.action.as_str(), &resource, &scenario)
        });
        let (policy, statement) = match explained {
            Some((pi, si)) => (role.policy_ref(pi), role.statement(pi, si)),
            None => (PolicyRef::Live, None),
        };
        let what = match scope {
            BucketScope::Canary => "the canary bucket",
            _ => "a bucket outside its connector-buckets tag",
        };
        let source = match statement {
            Some(s) => format!(" (granted by {} of {policy})", statement_label(s)),
            None => " (no statement of the role explains it)".to_string(),
        };
        out.push(keyed(
role.finding(&RULE, policy, statement, format!(
                "with its own credentials the role reached {what} `{bucket}`: {} allowed{source}",
                actions.join(", ")
            ), json!({
                "bucket": bucket,
                "scope": scope,
                "actions": actions,
                "source": "probe",
            }), format!(
                "Narrow the Resource of the granting statement to the connector's buckets so that `{bucket}` is not matched; if the connector needs `{bucket}`, add it to the role's connector-buckets tag"
            )),
bucket,
));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Predicted, ProbeAction, RoleProbe};
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, role};

    pub(crate) fn probed(
        doc: &str,
        checks: &[(&str, BucketScope, ProbeAction, Outcome)],
    ) -> (crate::model::RoleSnapshot, RoleProbe) {
        let snapshot = role(SAME_ACCOUNT_TRUST, &[doc], &[("connector", "x")]);
        let probe = RoleProbe {
            assumed: true,
            checks: checks
                .iter()
                .map(|(b, scope, action, outcome)| ProbeCheck {
                    bucket: b.to_string(),
                    scope: *scope,
                    action: *action,
                    predicted: Predicted::Denied,
                    outcome: *outcome,
                    error_code: None,
                    note: None,
                })
                .collect(),
            ..RoleProbe::default()
        };
        (snapshot, probe)
    }

    fn run(snapshot: &crate::model::RoleSnapshot, probe: &RoleProbe) -> Vec<Finding> {
        let view = RoleView::new(snapshot).with_probe(Some(probe));
        let ctx = RuleContext::default();
        let mut out = vec![];
        check(&view, &ctx, &mut out);
        out
    }

    #[test]
    fn canary_reached_is_critical_and_points_at_the_statement() {
        use BucketScope::*;
        use Outcome::*;
        use ProbeAction::*;
        let (s, p) = probed(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            &[
                ("data-a", InScope, ListBucket, Allowed),
                ("canary", Canary, ListBucket, Allowed),
                ("canary", Canary, GetObject, Allowed),
                ("canary", Canary, DeleteObject, Denied),
                ("other", OutOfScope, ListBucket, Denied),
            ],
        );
        let f = run(&s, &p);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(f[0].evidence["bucket"], "canary");
        assert_eq!(
            f[0].evidence["actions"],
            json!(["s3:ListBucket", "s3:GetObject"])
        );
        assert_eq!(f[0].policy, PolicyRef::Inline("p0".into()));
        assert_eq!(f[0].statement.as_ref().unwrap().index, 0);
        assert!(f[0].message.contains("canary bucket `canary`"));
    }

    #[test]
    fn access_no_document_explains_is_live_and_ids_differ_per_bucket() {
        use BucketScope::*;
        let (s, p) = probed(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data-a/*"}]}"#,
            &[
                ("canary", Canary, ProbeAction::ListBucket, Outcome::Allowed),
                (
                    "data-b",
                    OutOfScope,
                    ProbeAction::ListBucket,
                    Outcome::Allowed,
                ),
            ],
        );
        let f = run(&s, &p);
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|f| f.policy == PolicyRef::Live));
        assert_ne!(f[0].id, f[1].id);
        assert!(run(&s, &RoleProbe::default()).is_empty());
    }
}
