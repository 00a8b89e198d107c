//! `trust-unknown-account` (low): see [`DOC`].

use super::{RoleView, Rule, RuleContext, keyed, statement_label, witnessed};
use crate::model::{Finding, PartyOwner, PolicyRef, Severity, VENDOR_TAG};
use crate::policy::trust::{ASSUME_ROLE, foreign_principals, may_assume};
use serde_json::json;
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "trust-unknown-account",
    severity: Severity::Low,
    title: "the role trusts an account nobody has put a name to",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  A trust statement that lets an AWS principal of another account assume the role, when that
  account is neither yours (the role's own account, or one given with --trusted-account /
  TRUSTED_ACCOUNT_IDS) nor on the list of AWS accounts that vendors publicly document as
  theirs (fwdcloudsec/known_aws_accounts, embedded in connector-audit), and the role carries no
  `connector-vendor` tag naming its vendor. One finding per account and statement; the
  evidence names the account and the principal.

Why it matters
  Every way into a connector role should have a name. An account nobody can name may be the
  vendor's (one the public list does not know yet), one of your own that was never declared,
  or someone who should not be there: the reader of the report cannot tell which, and neither
  can the next reviewer of the role.

Example
  {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:role/sync\"},
   \"Action\": \"sts:AssumeRole\",
   \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"8f2c61d0a4b94e7c\"}}}
  on a role without a `connector-vendor` tag.

Fix
  If the account is the vendor's, declare it: tag the role `connector-vendor=<the vendor's
  name>` (the report then names the vendor, and this rule is silent). If it is yours, add it
  to TRUSTED_ACCOUNT_IDS (--trusted-account). Otherwise remove the principal.";

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Ok(trust) = &role.trust else { return };
    // a vendor tag declares the account (or, for a listed vendor, trust-vendor-mismatch
    // judges it); without the list nothing can be called unknown
    if role.vendor_tag().is_some() || ctx.known_accounts.is_none() {
        return;
    }
    let resolver = ctx.resolver(role);
    let mut reported: BTreeSet<(usize, String)> = BTreeSet::new();
    for fp in foreign_principals(trust, role.account_id(), &ctx.trusted_accounts) {
        if !may_assume(trust, &fp) || resolver.account(&fp.account).owner != PartyOwner::Unknown {
            continue;
        }
        if !reported.insert((fp.statement.index, fp.account.to_string())) {
            continue;
        }
        let party = resolver.label(&fp.account);
        let declare = format!(
            "tag the role `{VENDOR_TAG}=<the vendor's name>` if the account is the vendor's; add it to TRUSTED_ACCOUNT_IDS (--trusted-account {}) if it is yours",
            fp.account
        );
        let witness = role.trust_witness(fp.caller(), ASSUME_ROLE, &fp.scenario());
        let finding = witnessed(
            witness,
            role.finding(
            &RULE,
            PolicyRef::Trust,
            Some(fp.statement),
            format!(
                "{party} can assume the role: {} trusts `{}`, and the account is neither yours nor on the list of known vendor accounts",
                statement_label(fp.statement),
                fp.principal.value,
            ),
            json!({
                "principal": fp.principal.value,
                "account": fp.account,
                "party": party,
                "how_to_declare": declare,
            }),
            format!(
                "Find out who account {} is. If it is the vendor's, tag the role `{VENDOR_TAG}=<the vendor's name>`; if it is yours, add it to TRUSTED_ACCOUNT_IDS (--trusted-account {}); otherwise remove `{}` from {}",
                fp.account,
                fp.account,
                fp.principal.value,
                statement_label(fp.statement)
            ),
        ));
        out.push(keyed(finding, &fp.account));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, check as run, check_many, role, seed_roles};

    fn trust(principals: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":{principals}}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"8f2c61d0a4b94e7c"}}}}}}]}}"#
        )
    }

    #[test]
    fn flags_an_account_nobody_named() {
        let f = run(
            &RULE,
            &role(&trust(r#""arn:aws:iam::111122223333:role/sync""#), &[], &[]),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        assert_eq!(
            f[0].message,
            "unknown account 111122223333 can assume the role: statement 0 trusts `arn:aws:iam::111122223333:role/sync`, and the account is neither yours nor on the list of known vendor accounts"
        );
        assert_eq!(f[0].evidence["account"], "111122223333");
        assert!(
            f[0].evidence["how_to_declare"]
                .as_str()
                .unwrap()
                .contains("connector-vendor=")
        );
        // one finding per account and statement, each with its own id
        let two = run(
            &RULE,
            &role(
                &trust(
                    r#"["111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:role/x"]"#,
                ),
                &[],
                &[],
            ),
        );
        assert_eq!(two.len(), 2);
        assert_ne!(two[0].id, two[1].id);
    }

    #[test]
    fn named_accounts_pass() {
        // a listed vendor, the role's own account, and one the user trusts
        for principal in [
            r#""arn:aws:iam::464622532012:root""#,
            r#""arn:aws:iam::123456789012:role/own""#,
        ] {
            assert!(
                run(&RULE, &role(&trust(principal), &[], &[])).is_empty(),
                "{principal}"
            );
        }
        let org = role(&trust(r#""210987654321""#), &[], &[]);
        assert!(check_many(&RULE, &[org], &["210987654321"]).is_empty());
        // a vendor tag declares it
        let tagged = role(
            &trust(r#""111122223333""#),
            &[],
            &[("connector-vendor", "Acme Analytics")],
        );
        assert!(run(&RULE, &tagged).is_empty());
        // a statement that cannot let it in, and a Deny that shuts it out
        let tag_only = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:TagSession"}}"#;
        assert!(run(&RULE, &role(tag_only, &[], &[])).is_empty());
        let denied = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},
            {"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}"#;
        assert!(run(&RULE, &role(denied, &[], &[])).is_empty());
        assert!(run(&RULE, &role(SAME_ACCOUNT_TRUST, &[], &[])).is_empty());
    }

    /// The seed vendors as their guides write them: the only other account they trust is
    /// Upsolver's, which the list knows.
    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
