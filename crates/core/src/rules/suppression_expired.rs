//! `suppression-expired` (low): see [`DOC`].

use super::{RoleView, Rule, RuleContext, keyed};
use crate::model::{Finding, PolicyRef, Severity};
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "suppression-expired",
    severity: Severity::Low,
    title: "a suppression of this role is past its until date and no longer applies",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  A suppression of the role (its `connector-audit-ignore` tag, or an entry of the central
  suppressions file) whose `until=` day has passed. It no longer applies: the findings it
  covered are counted and published again.

Why it matters
  An accepted risk was accepted for a while, on a ticket: the date is when someone promised
  to fix it or to look again. An expired exception left in place reads as if it still held.

Example
  Tag `connector-audit-ignore` = `s3-unused-delete until=2026-10-31 ticket=SEC-123`, audited on
  2026-11-23.

Fix
  Fix what the suppressed rule reports and remove the suppression; or, after review, renew it
  with a new `until=` day and the ticket that approved the extension.";

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Some(list) = ctx.expired_suppressions.get(&role.snapshot.arn) else {
        return;
    };
    for s in list {
        let until = &s.until;
        out.push(keyed(
role.finding(&RULE, PolicyRef::Suppression(s.by.clone()), None, format!(
                "the suppression of `{}` ({}) ended on {until}: the rule's findings on this role count again",
                s.rule, s.by
            ), json!({ "by": s.by, "rule": s.rule, "until": until, "reason": s.reason }), format!(
                "Fix what `{}` reports and remove the suppression, or renew it after review with a new `until=` day and the approving ticket",
                s.rule
            )),
&s.rule,
));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, role};
    use crate::suppress::parse_tag;
    use time::macros::date;

    fn run(tag: &str, today: time::Date) -> Vec<Finding> {
        let snapshot = role(SAME_ACCOUNT_TRUST, &[], &[]);
        let view = RoleView::new(&snapshot);
        let mut ctx = RuleContext {
            today: Some(today),
            ..RuleContext::default()
        };
        let by_role = [(
            snapshot.arn.clone(),
            parse_tag(tag, &snapshot.name).unwrap(),
        )]
        .into();
        ctx.expired_suppressions = crate::suppress::expired(&by_role, ctx.today);
        let mut out = vec![];
        check(&view, &ctx, &mut out);
        out
    }

    #[test]
    fn only_past_their_day() {
        let tag = "s3-unused-delete until=2026-10-31 ticket=SEC-1 role-unused until=2027-01-31 trust-confused-deputy";
        let f = run(tag, date!(2026 - 11 - 23));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "suppression-expired");
        assert_eq!(
            f[0].policy,
            PolicyRef::Suppression("tag:connector-audit-ignore".into())
        );
        assert_eq!(f[0].evidence["rule"], "s3-unused-delete");
        assert_eq!(f[0].evidence["until"], "2026-10-31");
        assert_eq!(f[0].evidence["reason"], "ticket=SEC-1");
        assert!(run(tag, date!(2026 - 10 - 31)).is_empty());
        assert_eq!(run(tag, date!(2027 - 02 - 01)).len(), 2);
        // one finding per expired rule, with distinct ids
        let two = run(tag, date!(2027 - 02 - 01));
        assert_ne!(two[0].id, two[1].id);
    }
}
