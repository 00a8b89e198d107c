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
};

pub const DOC: &str = "\
What it flags
  With a look-back window (`--lookback-days`, or a CloudTrail trail configured), a connector
  role whose RoleLastUsed date (from IAM, or the dump) is older than the window, or empty.

Why it matters
  A connector nobody uses any more still holds its trust and its grants: an unused door that
  the vendor (or whoever compromises it) can still open.

Example
  RoleLastUsed 2025-11-02 with a 90-day window ending 2026-11-23.

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
    let last_day = last.and_then(crate::usage::date_of);
    if last_day.is_some_and(|d| d >= start) {
        return;
    }
    out.push(role.finding(
        &RULE,
        PolicyRef::Trust,
        None,
        match last {
            Some(l) => format!("the role was last used {l}, more than {days} days ago"),
            None => format!("IAM has no record of the role being used (look-back window {days} days)"),
        },
        json!({ "last_used": last, "window_days": days }),
        "Confirm with the integration's owners that the connector is retired, then delete the role, or at least its trust statement for the vendor".to_string(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, role};
    use time::macros::date;

    fn run(last_used: Option<&str>, window: Option<u32>) -> Vec<Finding> {
        let mut snapshot = role(SAME_ACCOUNT_TRUST, &[], &[]);
        snapshot.last_used = last_used.map(str::to_string);
        let view = RoleView::new(&snapshot);
        let ctx = RuleContext {
            lookback_days: window,
            today: Some(date!(2026 - 11 - 23)),
            ..RuleContext::default()
        };
        let mut out = vec![];
        check(&view, &ctx, &mut out);
        out
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
}
