//! The single table of rules. Adding a rule: write `rules/<id>.rs` and list it here once.
//! Order is the order of the report and of `connector-audit rules`.

use super::{
    Rule, permissions_admin, permissions_beyond_connector, permissions_privilege_escalation,
    policy_unparseable, probe_out_of_scope_access, probe_static_mismatch, probe_unavailable,
    role_unused, s3_bucket_admin, s3_denied_delete, s3_unexpected_delete, s3_unused_delete,
    s3_wildcard_bucket, suppression_expired, trust_any_principal, trust_confused_deputy,
    trust_missing_external_id, trust_unknown_account, trust_unscoped_federation,
    trust_vendor_mismatch, trust_weak_external_id,
};

pub static RULES: &[&Rule] = &[
    &trust_any_principal::RULE,
    &trust_missing_external_id::RULE,
    &trust_weak_external_id::RULE,
    &trust_unscoped_federation::RULE,
    &trust_confused_deputy::RULE,
    &trust_vendor_mismatch::RULE,
    &trust_unknown_account::RULE,
    &s3_wildcard_bucket::RULE,
    &s3_unused_delete::RULE,
    &s3_bucket_admin::RULE,
    &permissions_admin::RULE,
    &permissions_privilege_escalation::RULE,
    &permissions_beyond_connector::RULE,
    &policy_unparseable::RULE,
    &probe_out_of_scope_access::RULE,
    &probe_static_mismatch::RULE,
    &probe_unavailable::RULE,
    &s3_unexpected_delete::RULE,
    &s3_denied_delete::RULE,
    &role_unused::RULE,
    &suppression_expired::RULE,
];

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Security Hub's `SourceUrl` is `docs/rules.md#<rule-id>`: every rule has its row there,
    /// with that anchor, and the page lists no rule that does not exist.
    #[test]
    fn every_rule_has_its_anchor_in_the_rules_page() {
        let page = include_str!("../../../../docs/rules.md");
        for rule in RULES {
            let row = format!("| <a id=\"{id}\"></a>`{id}` |", id = rule.id);
            assert!(page.contains(&row), "docs/rules.md has no row `{row}`");
        }
        let anchors = page.matches("<a id=\"").count();
        assert_eq!(
            anchors,
            RULES.len(),
            "docs/rules.md anchors a rule that does not exist"
        );
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let ids: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len());
        for r in RULES {
            assert!(
                r.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.id
            );
            for section in ["What it flags", "Why it matters", "Example", "Fix"] {
                assert!(r.doc.contains(section), "{} lacks {section}", r.id);
            }
        }
        assert!(find("s3-unused-delete").is_some());
        assert!(find("nope").is_none());
    }

    /// The released ids: a contract with users' suppressions and SNS filter policies.
    #[test]
    fn released_ids_never_change() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        for id in [
            "trust-any-principal",
            "trust-missing-external-id",
            "trust-weak-external-id",
            "trust-unscoped-federation",
            "trust-confused-deputy",
            "s3-wildcard-bucket",
            "s3-unused-delete",
            "s3-bucket-admin",
            "permissions-admin",
            "policy-unparseable",
            "probe-out-of-scope-access",
            "probe-static-mismatch",
            "probe-unavailable",
            "s3-unexpected-delete",
            "role-unused",
            "suppression-expired",
            "trust-vendor-mismatch",
            "trust-unknown-account",
            "s3-denied-delete",
            "permissions-privilege-escalation",
            "permissions-beyond-connector",
        ] {
            assert!(ids.contains(&id), "{id} missing");
        }
    }
}
