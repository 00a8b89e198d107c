//! `trust-weak-external-id` (medium): see [`DOC`].

use super::{RoleView, Rule, RuleContext, statement_label, witnessed};
use crate::model::{Finding, PolicyRef, Severity};
use crate::policy::principal::is_account_id;
use crate::policy::trust::{ASSUME_ROLE, external_id_gap, foreign_principals, pinned_external_ids};
use crate::policy::wildcard;
use serde_json::json;
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "trust-weak-external-id",
    severity: Severity::Medium,
    title: "the external id is enforced but guessable or shared",
    doc: DOC,
    check,
    fix: Some(crate::fix::require_external_id),
};

pub const DOC: &str = "\
What it flags
  A trust statement that enforces sts:ExternalId for another account's principal, with a value
  that gives little protection: shorter than 8 characters; a 12-digit AWS account id; a
  placeholder left from a guide (`YOUR_EXTERNAL_ID`, `<external-id>`, `{{external_id}}`,
  `external-id`, `12345...`, `example`, `changeme`); a pattern with a partial wildcard
  (`StringLike` `abc*`); or the same value on roles that trust different accounts.

Why it matters
  The external id is what stops another customer of the vendor from using the vendor to reach
  your role. A value another customer can guess, or that you gave to two vendors, does not.

Example
  \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"YOUR_EXTERNAL_ID\"}}

Fix
  Use the unique id the vendor issued for your tenant (or generate 32 random characters and
  register it with the vendor), one per vendor, with StringEquals and no wildcards.";

/// Why a value is weak; `None` when it is fine on its own.
fn weakness(value: &str) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    if wildcard::has_wildcard(value) {
        return Some("a wildcard pattern: any id matching it is accepted");
    }
    if is_account_id(value) {
        return Some("a 12-digit AWS account id, which is not secret");
    }
    let placeholder = (value.starts_with('<') && value.ends_with('>'))
        || (value.starts_with("{{") && value.ends_with("}}"))
        || (value.starts_with('[') && value.ends_with(']'))
        || lower.contains("your")
        || lower.contains("example")
        || lower.contains("changeme")
        || lower.contains("placeholder")
        || lower.starts_with("12345")
        || matches!(
            lower.replace(['-', '_', ' '], "").as_str(),
            "externalid" | "extid" | "id" | "secret" | "password" | "xxxxxxxx" | "test" | "none"
        );
    if placeholder {
        return Some("a placeholder from a set-up guide");
    }
    if value.chars().count() < 8 {
        return Some("shorter than 8 characters");
    }
    None
}

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Ok(trust) = &role.trust else { return };
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for fp in foreign_principals(trust, role.account_id(), &ctx.trusted_accounts) {
        if external_id_gap(trust, &fp).is_some() || reported.contains(&fp.statement.index) {
            continue; // missing ids are trust-missing-external-id's
        }
        let mut reasons = Vec::new();
        for value in pinned_external_ids(fp.statement) {
            if let Some(why) = weakness(value) {
                reasons.push(json!({ "value": value, "reason": why }));
            }
            if let Some(accounts) = ctx.external_id_accounts.get(value)
                && accounts.len() > 1
            {
                reasons.push(json!({
                    "value": value,
                    "reason": "the same id is required on roles that trust different accounts",
                    "accounts": accounts,
                }));
            }
        }
        if reasons.is_empty() {
            continue;
        }
        reported.insert(fp.statement.index);
        let party = ctx.resolver(role).label(&fp.account);
        let first = reasons
            .first()
            .and_then(|r| r["reason"].as_str())
            .unwrap_or_default()
            .to_string();
        let witness = role.trust_witness(fp.caller(), ASSUME_ROLE, &fp.scenario());
        out.push(witnessed(
            witness,
            role.finding(
            &RULE,
            PolicyRef::Trust,
            Some(fp.statement),
            format!(
                "{party} must send an external id to assume the role, but the id is weak: {first} ({} trusts `{}`)",
                statement_label(fp.statement),
                fp.principal.value
            ),
            json!({ "principal": fp.principal.value, "account": fp.account, "party": party, "weaknesses": reasons }),
            "Replace the value with the unique external id the vendor issued for your tenant (or 32 random characters registered with the vendor), one per vendor, under StringEquals without wildcards".to_string(),
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{check as run, check_many, role, seed_roles};

    fn trust(account: &str, op: &str, id: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:role/vendor"}},"Action":"sts:AssumeRole","Condition":{{"{op}":{{"sts:ExternalId":"{id}"}}}}}}]}}"#
        )
    }

    #[test]
    fn weak_values() {
        for id in [
            "abc123",
            "428641199958",
            "YOUR_EXTERNAL_ID",
            "<external-id>",
            "{{external_id}}",
            "external-id",
            "1234567890",
            "example-external-id",
        ] {
            let f = run(
                &RULE,
                &role(&trust("428641199958", "StringEquals", id), &[], &[]),
            );
            assert_eq!(f.len(), 1, "{id}");
            assert_eq!(f[0].severity, Severity::Medium);
        }
        let f = run(
            &RULE,
            &role(&trust("428641199958", "StringLike", "GTWK*"), &[], &[]),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("wildcard"));
        assert!(
            f[0].message.starts_with(
                "Upsolver (428641199958) must send an external id to assume the role, but the id is weak"
            ),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn strong_values_pass() {
        for id in [
            "GTWKRE6K",
            "q8Zr2vN5tLx7Wm4KcB9pHd3Y",
            "a1b2c3d4-e5f6-7890-abcd-ef0123456789",
        ] {
            assert!(
                run(
                    &RULE,
                    &role(&trust("428641199958", "StringEquals", id), &[], &[])
                )
                .is_empty(),
                "{id}"
            );
        }
        // missing or any-value ids are another rule's
        assert!(
            run(
                &RULE,
                &role(&trust("428641199958", "StringLike", "*"), &[], &[])
            )
            .is_empty()
        );
        assert!(
            run(
                &RULE,
                &role(
                    &trust("428641199958", "StringEqualsIfExists", "abc"),
                    &[],
                    &[]
                )
            )
            .is_empty()
        );
    }

    #[test]
    fn same_id_for_different_accounts() {
        let a = role(
            &trust("428641199958", "StringEquals", "Shared-Id-9f8e7d"),
            &[],
            &[],
        );
        let mut b = role(
            &trust("111122223333", "StringEquals", "Shared-Id-9f8e7d"),
            &[],
            &[],
        );
        b.name = "other".into();
        b.arn = "arn:aws:iam::123456789012:role/other".into();
        let f = check_many(&RULE, &[a.clone(), b], &[]);
        assert_eq!(f.len(), 2);
        assert!(f[0].evidence["weaknesses"][0]["accounts"].is_array());
        // the same id on two roles trusting the same account is fine
        let mut c = a.clone();
        c.name = "third".into();
        c.arn = "arn:aws:iam::123456789012:role/third".into();
        assert!(check_many(&RULE, &[a, c], &[]).is_empty());
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
