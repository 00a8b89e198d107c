//! `s3-unexpected-delete` (critical): see [`DOC`].

use super::{RoleView, Rule, RuleContext};
use crate::model::{Access, Finding, PolicyRef, Severity};
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "s3-unexpected-delete",
    severity: Severity::Critical,
    title: "the role deleted objects although its connector-access tag excludes delete",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  With a CloudTrail trail configured (CLOUDTRAIL_BUCKET, --cloudtrail-bucket), a role whose
  `connector-access` tag excludes deleting (`read`, `write`, `append`, `read-write`) and whose
  sessions made S3 delete events (DeleteObject, DeleteObjects, DeleteObjectVersion) in the
  look-back window. Only requests that succeeded count: a delete that AWS refused
  (`errorCode` AccessDenied) deleted nothing (see s3-denied-delete). Evidence: how many, the
  latest time, the buckets, and how many other delete requests were refused.

Why it matters
  Either the tag is wrong (and the audit of the role's grants with it), or a connector that
  should only read or append is destroying data: a misbehaving or compromised integration.

Example
  connector-access=append, and CloudTrail shows 1,204 DeleteObject calls by the role's
  sessions on `exports` in the last 90 days.

Fix
  Find out who deleted (the events' session names and source IPs). If the connector must
  delete, tag the role connector-access=full; if not, remove s3:DeleteObject from its policies
  and check the vendor's integration.";

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let (Some(access), Some(usage)) = (role.access, ctx.usage.as_ref()) else {
        return;
    };
    if access.allows_delete() {
        return;
    }
    let Some(deletes) = usage
        .deletes
        .get(&role.snapshot.arn)
        .filter(|d| d.count > 0)
    else {
        return;
    };
    out.push(role.finding(
        &RULE,
        PolicyRef::Live,
        None,
        format!(
            "the role's sessions deleted objects {} time(s) in the last {} days (latest {}) although it is tagged {}={}",
            deletes.count,
            usage.window_days,
            deletes.last.as_deref().unwrap_or("unknown"),
            Access::TAG,
            access.as_str()
        ),
        json!({
            "source": "cloudtrail",
            "count": deletes.count,
            "last_delete": deletes.last,
            "buckets": deletes.buckets,
            "denied_deletes": usage.denied.get(&role.snapshot.arn).map_or(0, |d| d.count),
            "window_days": usage.window_days,
            "access": access.as_str(),
        }),
        format!(
            "Find who deleted (the events' session names and source IPs in the trail). If the connector must delete, tag the role {}=full; otherwise remove the delete grant and check the integration",
            Access::TAG
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, role};
    use crate::usage::{RoleDeletes, UsageEvidence};

    fn run(access: &str, count: u64) -> Vec<Finding> {
        let snapshot = role(SAME_ACCOUNT_TRUST, &[], &[("connector-access", access)]);
        let view = RoleView::new(&snapshot);
        let mut ctx = RuleContext::default();
        let mut usage = UsageEvidence::new("trail", 90);
        usage.deletes.insert(
            snapshot.arn.clone(),
            RoleDeletes {
                count,
                last: Some("2026-03-01T10:00:00Z".into()),
                buckets: ["exports".to_string()].into(),
            },
        );
        ctx.usage = Some(usage);
        let mut out = vec![];
        check(&view, &ctx, &mut out);
        out
    }

    #[test]
    fn deletes_against_the_tag() {
        let f = run("append", 12);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(f[0].evidence["count"], 12);
        assert_eq!(f[0].evidence["buckets"][0], "exports");
        assert_eq!(f[0].evidence["denied_deletes"], 0);
        assert!(run("full", 12).is_empty());
        assert!(run("read", 0).is_empty());
    }
}
