//! `role-unused` (low): see [`DOC`].

use super::{RoleView, Rule, RuleContext};
use crate::model::{Finding, PolicyRef, Severity};
use serde_json::json;
use time::Duration;

pub static RULE: Rule = Rule {
    id: "role-unused",
    severity: Severity::Low,
    title: "the role has not been used within the look-back window",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  With a look-back window (`--lookback-days`, or a CloudTrail trail configured), a connector
  role whose RoleLastUsed date (from IAM, or the dump) is older than the window, or empty,
  and, with a trail, whose sessions made no successful request in the trail within the
  window either (a request refused with an error code is not a use).

Why it matters
  A connector nobody uses any more still holds its trust and its grants: an unused door that
  the vendor (or whoever compromises it) can still open.

Example
  RoleLastUsed 2025-11-02 with a 90-day window ending 2026-11-23, and no event by the role's
  sessions in the trail since 2026-08-25.

Fix
  Confirm with the team that owned the integration, then delete the role (or at least its
  trust statement for the vendor).";

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let (Some(days), Some(today)) = (ctx.lookback_days, ctx.today) else {
        return;
    };
    let Some(start) = today.checked_sub(Duration::days(i64::from(days))) else {
        return;
    };
    let last = role.snapshot.last_used.as_deref();
    if last.is_some_and(|l| crate::usage::date_of(l).is_none()) {
        // not a date: the audit lists it as an error entry, nothing is judged on it
        return;
    }
    // IAM's RoleLastUsed lags (and misses some services); the trail knows the role's
    // sessions' latest successful request
    let trail = ctx
        .usage
        .as_ref()
        .map(|u| u.last_activity.get(&role.snapshot.arn).map(String::as_str));
    let used_within = |t: Option<&str>| {
        t.and_then(crate::usage::date_of)
            .is_some_and(|d| d >= start)
    };
    if used_within(last) || trail.is_some_and(used_within) {
        return;
    }
    let mut evidence = json!({ "last_used": last, "window_days": days });
    if let (Some(trail), Some(obj)) = (trail, evidence.as_object_mut()) {
        obj.insert("last_activity_in_trail".into(), json!(trail));
    }
    let seen = match trail {
        Some(Some(t)) => format!("; the trail's latest request by its sessions is {t}"),
        Some(None) => "; the trail shows no request by its sessions".to_string(),
        None => String::new(),
    };
    out.push(role.finding(
        &RULE,
        PolicyRef::Trust,
        None,
        match last {
            Some(l) => format!("the role was last used {l}, more than {days} days ago{seen}"),
            None => format!(
                "IAM has no record of the role being used (look-back window {days} days){seen}"
            ),
        },
        evidence,
        "Confirm with the integration's owners that the connector is retired, then delete the role, or at least its trust statement for the vendor".to_string(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, role};
    use crate::usage::UsageEvidence;
    use time::macros::date;

    fn run_with(
        last_used: Option<&str>,
        window: Option<u32>,
        usage: Option<UsageEvidence>,
    ) -> Vec<Finding> {
        let mut snapshot = role(SAME_ACCOUNT_TRUST, &[], &[]);
        snapshot.last_used = last_used.map(str::to_string);
        let view = RoleView::new(&snapshot);
        let ctx = RuleContext {
            lookback_days: window,
            today: Some(date!(2026 - 11 - 23)),
            usage,
            ..RuleContext::default()
        };
        let mut out = vec![];
        check(&view, &ctx, &mut out);
        out
    }

    fn run(last_used: Option<&str>, window: Option<u32>) -> Vec<Finding> {
        run_with(last_used, window, None)
    }

    /// A trail in which the fixture role's sessions were last active at `time`.
    fn trail(time: Option<&str>) -> UsageEvidence {
        let mut usage = UsageEvidence::new("trail", 90);
        if let Some(t) = time {
            usage
                .last_activity
                .insert(role(SAME_ACCOUNT_TRUST, &[], &[]).arn, t.to_string());
        }
        usage
    }

    #[test]
    fn old_or_never_used() {
        assert_eq!(run(None, Some(90)).len(), 1);
        assert_eq!(run(Some("2025-11-02T10:00:00Z"), Some(90)).len(), 1);
        assert!(run(Some("2026-11-01T10:00:00Z"), Some(90)).is_empty());
        // the window's first day counts as used within it
        assert!(run(Some("2026-08-25T00:00:00Z"), Some(90)).is_empty());
        // no window, no judgement
        assert!(run(None, None).is_empty());
    }

    #[test]
    fn the_trail_knows_better_than_iam() {
        // IAM says never, the trail saw the role's sessions minutes ago
        assert!(run_with(None, Some(90), Some(trail(Some("2026-11-23T09:58:00Z")))).is_empty());
        // IAM says long ago, the trail agrees that nothing happened since
        let f = run_with(Some("2025-11-02T10:00:00Z"), Some(90), Some(trail(None)));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence["last_activity_in_trail"],
            serde_json::Value::Null
        );
        assert!(
            f[0].message
                .ends_with("; the trail shows no request by its sessions"),
            "{}",
            f[0].message
        );
        // activity older than the window (a late-delivered file) does not count
        let f = run_with(None, Some(90), Some(trail(Some("2026-01-01T00:00:00Z"))));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence["last_activity_in_trail"],
            "2026-01-01T00:00:00Z"
        );
        // without a trail the evidence does not mention one
        assert!(
            run(None, Some(90))[0]
                .evidence
                .get("last_activity_in_trail")
                .is_none()
        );
    }
}
