//! `s3-denied-delete` (low): see [`DOC`].

use super::{RoleView, Rule, RuleContext};
use crate::model::{Access, Finding, PolicyRef, Severity};
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "s3-denied-delete",
    severity: Severity::Low,
    title: "the role tried to delete objects, against its connector-access tag, and was refused",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  With a CloudTrail trail configured (CLOUDTRAIL_BUCKET, --cloudtrail-bucket), a role whose
  `connector-access` tag excludes deleting (`read`, `write`, `append`, `read-write`) and whose
  sessions made S3 delete requests (DeleteObject, DeleteObjects, DeleteObjectVersion) in the
  look-back window that AWS refused (`errorCode` AccessDenied), and no delete that succeeded
  (that is s3-unexpected-delete, critical, which counts the refused ones too). Evidence: how
  many, the latest time, the buckets.

Why it matters
  Nothing was deleted: the role's permissions held. But a connector declared to read or append
  tried to delete, against what its vendor said it needs: a misconfigured integration, a
  feature nobody asked for, or someone probing what the role can do. The vendor should know,
  and a later grant of delete (a broader managed policy, a bucket policy) would let it through.

Example
  connector-access=read, and CloudTrail shows 212 DeleteObject requests by the role's sessions
  on `exports` in the last 90 days, each with errorCode AccessDenied.

Fix
  Ask the vendor why its connector deletes (the events' session names, source IPs and user
  agents are in the trail) and have it turned off. Keep delete out of the role's policies. If
  the connector really must delete, tag the role connector-access=full and grant delete on
  purpose.";

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let (Some(access), Some(usage)) = (role.access, ctx.usage.as_ref()) else {
        return;
    };
    if access.allows_delete() {
        return;
    }
    let arn = &role.snapshot.arn;
    if usage.deletes.get(arn).is_some_and(|d| d.count > 0) {
        // it did delete: s3-unexpected-delete says so, refused attempts included
        return;
    }
    let Some(denied) = usage.denied.get(arn).filter(|d| d.count > 0) else {
        return;
    };
    out.push(role.finding(
        &RULE,
        PolicyRef::Live,
        None,
        format!(
            "the role's sessions tried to delete objects {} time(s) in the last {} days (latest {}) and AWS refused each time; it is tagged {}={}",
            denied.count,
            usage.window_days,
            denied.last.as_deref().unwrap_or("unknown"),
            Access::TAG,
            access.as_str()
        ),
        json!({
            "source": "cloudtrail",
            "count": denied.count,
            "last_denied": denied.last,
            "buckets": denied.buckets,
            "error_code": crate::usage::ACCESS_DENIED,
            "window_days": usage.window_days,
            "access": access.as_str(),
        }),
        "Ask the vendor why its connector deletes (session names, source IPs and user agents are in the trail) and have it stopped; keep delete out of the role's policies".to_string(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, role, seed_roles};
    use crate::usage::{RoleDeletes, UsageEvidence};

    fn deletes(count: u64, bucket: &str) -> RoleDeletes {
        RoleDeletes {
            count,
            last: Some("2026-03-01T10:00:00Z".into()),
            buckets: [bucket.to_string()].into(),
        }
    }

    /// Runs the rule on `snapshot` with a trail in which its sessions made `ok` successful
    /// and `refused` refused deletes.
    fn run_on(snapshot: &crate::model::RoleSnapshot, ok: u64, refused: u64) -> Vec<Finding> {
        let mut usage = UsageEvidence::new("trail", 90);
        if ok > 0 {
            usage
                .deletes
                .insert(snapshot.arn.clone(), deletes(ok, "exports"));
        }
        if refused > 0 {
            usage
                .denied
                .insert(snapshot.arn.clone(), deletes(refused, "exports"));
        }
        let ctx = RuleContext {
            usage: Some(usage),
            ..RuleContext::default()
        };
        let view = RoleView::new(snapshot);
        let mut out = vec![];
        check(&view, &ctx, &mut out);
        out
    }

    fn run(access: Option<&str>, ok: u64, refused: u64) -> Vec<Finding> {
        let tags: Vec<(&str, &str)> = access
            .map(|a| ("connector-access", a))
            .into_iter()
            .collect();
        run_on(&role(SAME_ACCOUNT_TRUST, &[], &tags), ok, refused)
    }

    #[test]
    fn refused_deletes_against_the_tag() {
        for access in ["read", "write", "append", "read-write"] {
            let f = run(Some(access), 0, 7);
            assert_eq!(f.len(), 1, "{access}");
            assert_eq!(f[0].severity, Severity::Low);
            assert_eq!(f[0].rule, "s3-denied-delete");
            assert_eq!(f[0].evidence["count"], 7);
            assert_eq!(f[0].evidence["last_denied"], "2026-03-01T10:00:00Z");
            assert_eq!(f[0].evidence["buckets"][0], "exports");
            assert_eq!(f[0].evidence["access"], access);
            assert!(f[0].message.contains("refused"), "{}", f[0].message);
        }
    }

    #[test]
    fn does_not_fire() {
        // declared to delete: a refusal is the connector's problem, not a security finding
        assert!(run(Some("full"), 0, 7).is_empty());
        // nothing declared: nothing to go against
        assert!(run(None, 0, 7).is_empty());
        // it also deleted: s3-unexpected-delete (critical) tells the story
        assert!(run(Some("read"), 2, 7).is_empty());
        // nothing refused
        assert!(run(Some("read"), 0, 0).is_empty());
        // no trail
        let snapshot = role(SAME_ACCOUNT_TRUST, &[], &[("connector-access", "read")]);
        let mut out = vec![];
        check(&RoleView::new(&snapshot), &RuleContext::default(), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn seed_vendors_as_written() {
        // with a trail of refused deletes by each seed role, only the roles whose tag
        // excludes delete are flagged: onyx and amazon-q (read), google-datasync (append)
        let flagged: Vec<&str> = seed_roles()
            .into_iter()
            .filter(|(_, r)| !run_on(r, 0, 3).is_empty())
            .map(|(vendor, _)| vendor)
            .collect();
        assert_eq!(flagged, ["onyx", "amazon-q", "google-datasync"]);
        // and with a clean trail, none
        for (vendor, r) in seed_roles() {
            assert!(run_on(&r, 0, 0).is_empty(), "{vendor}");
        }
    }
}
