//! `probe-static-mismatch` (medium): see [`DOC`].

use super::{RoleView, Rule, RuleContext, keyed, statement_label};
use crate::model::{Finding, Outcome, PolicyRef, Predicted, ProbeAction, Severity};
use crate::probe::{ProbeKey, request};
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "probe-static-mismatch",
    severity: Severity::Medium,
    title: "what AWS answered the probe contradicts what the role's documents say",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  With probing on, a probe request whose live outcome contradicts the engine's prediction
  from the role's own policies: denied although the documents certainly allow it, or allowed
  although they certainly do not. Predictions that depend on request context (source IP, VPC
  endpoint, ...) are `conditional` and never compared. A denied GetObject is not compared
  either: S3 answers 403 for a missing key to callers that may not list the bucket.

Why it matters
  Denied-though-allowed usually means a control outside the role: an SCP, a permissions
  boundary, a bucket policy or a KMS key policy; good to know, and the role's documents
  promise more than the connector gets. Allowed-though-denied means access that no document
  of the role explains: a bucket policy or ACL granting the role (or everyone), which document
  scanners cannot see.

Example
  The role allows s3:ListBucket on `exports`, the bucket policy denies it: the probe's
  ListObjectsV2 answers AccessDenied.

Fix
  Allowed-though-denied: find the bucket policy, ACL or access point that grants it and
  remove the grant. Denied-though-allowed: remove from the role what it can never use, or fix
  the SCP or bucket policy if the connector needs it.";

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Some(probe) = role.probe else { return };
    let partition = role.snapshot.arn.split(':').nth(1).unwrap_or("aws");
    for c in &probe.checks {
        let denied_though_allowed = c.predicted == Predicted::Allowed
            && c.outcome == Outcome::Denied
            && c.action != ProbeAction::GetObject;
        let allowed_though_denied =
            c.predicted == Predicted::Denied && c.outcome == Outcome::Allowed;
        if !denied_though_allowed && !allowed_though_denied {
            continue;
        }
        let (resource, scenario) =
            request(partition, &c.bucket, c.action, &ProbeKey::derive("explain"));
        let explained =
            role.permissions
                .allowing_statement(c.action.as_str(), &resource, &scenario);
        let (policy, statement) = match explained {
            Some((pi, si)) if denied_though_allowed => {
                (role.policy_ref(pi), role.statement(pi, si))
            }
            _ => (PolicyRef::Live, None),
        };
        let (message, remediation) = if denied_though_allowed {
            (
                format!(
                    "{} on `{}` was denied ({}) although {} allows it: a control outside the role (SCP, permissions boundary, bucket or KMS key policy) denies it",
                    c.action.as_str(),
                    c.bucket,
                    c.error_code.as_deref().unwrap_or("AccessDenied"),
                    statement
                        .map(|s| format!("{} of {policy}", statement_label(s)))
                        .unwrap_or_else(|| "the role's policies".to_string())
                ),
                format!(
                    "If the connector needs {} on `{}`, find the SCP, boundary or bucket policy that denies it; if not, remove the grant from the role",
                    c.action.as_str(),
                    c.bucket
                ),
            )
        } else {
            (
                format!(
                    "{} on `{}` was allowed although no policy of the role allows it: something outside the role's documents grants it",
                    c.action.as_str(),
                    c.bucket
                ),
                format!(
                    "Look for a bucket policy, ACL or access point of `{}` that grants the role (or everyone) {} and remove that grant",
                    c.bucket,
                    c.action.as_str()
                ),
            )
        };
        out.push(keyed(
            role.finding(
                &RULE,
                policy,
                statement,
                message,
                json!({
                    "bucket": c.bucket,
                    "action": c.action,
                    "predicted": c.predicted,
                    "observed": c.outcome,
                    "error_code": c.error_code,
                }),
                remediation,
            ),
            &format!("{}\n{}", c.bucket, c.action.as_str()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BucketScope, ProbeCheck, RoleProbe};
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, role};

    fn run(doc: &str, checks: &[(ProbeAction, Predicted, Outcome)]) -> Vec<Finding> {
        let snapshot = role(SAME_ACCOUNT_TRUST, &[doc], &[("connector", "x")]);
        let probe = RoleProbe {
            assumed: true,
            checks: checks
                .iter()
                .map(|(action, predicted, outcome)| ProbeCheck {
                    bucket: "data-a".into(),
                    scope: BucketScope::InScope,
                    action: *action,
                    predicted: *predicted,
                    outcome: *outcome,
                    error_code: (*outcome == Outcome::Denied).then(|| "AccessDenied".into()),
                    note: None,
                })
                .collect(),
            ..RoleProbe::default()
        };
        let view = RoleView::new(&snapshot).with_probe(Some(&probe));
        let mut out = vec![];
        check(&view, &RuleContext::default(), &mut out);
        out
    }

    const READ: &str = r#"{"Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::data-a","arn:aws:s3:::data-a/*"]}]}"#;

    #[test]
    fn contradictions_in_both_directions() {
        use Outcome as O;
        use Predicted as P;
        use ProbeAction::*;
        let f = run(
            READ,
            &[
                (ListBucket, P::Allowed, O::Denied),
                (DeleteObject, P::Denied, O::Allowed),
                // agreements, conditional predictions and errors are not mismatches
                (ListBucket, P::Allowed, O::Allowed),
                (DeleteObject, P::Denied, O::Denied),
                (ListBucket, P::Conditional, O::Denied),
                (ListBucket, P::Allowed, O::Error),
                // S3 hides missing keys from callers that may not list
                (GetObject, P::Allowed, O::Denied),
            ],
        );
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].evidence["predicted"], "allowed");
        assert_eq!(f[0].evidence["observed"], "denied");
        assert_eq!(f[0].evidence["action"], "s3:ListBucket");
        assert_eq!(f[0].policy, PolicyRef::Inline("p0".into()));
        assert!(f[0].message.contains("SCP"));
        assert_eq!(f[1].evidence["observed"], "allowed");
        assert_eq!(f[1].policy, PolicyRef::Live);
        assert!(f[1].remediation.contains("bucket policy"));
        assert_ne!(f[0].id, f[1].id);
    }
}
