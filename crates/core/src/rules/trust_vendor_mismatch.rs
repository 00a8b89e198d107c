//! `trust-vendor-mismatch` (high): see [`DOC`].

use super::{RoleView, Rule, RuleContext, keyed, statement_label, witnessed};
use crate::model::{Finding, PolicyRef, Severity, VENDOR_TAG};
use crate::policy::trust::{ASSUME_ROLE, foreign_principals, may_assume};
use serde_json::json;
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "trust-vendor-mismatch",
    severity: Severity::High,
    title: "the role's vendor tag names one vendor, its trust lets in another",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  A role tagged `connector-vendor=<vendor>` whose trust policy lets in an account of someone
  else: an account the list of known AWS accounts (fwdcloudsec/known_aws_accounts, embedded)
  gives to another vendor, or, when the list knows the tagged vendor, an account that is not
  among that vendor's listed accounts. Your own accounts (the role's, TRUSTED_ACCOUNT_IDS) are
  never judged. A tag naming a vendor the list does not know declares the accounts the list
  does not know either. Names compare ignoring case, spaces and punctuation (`new-relic` is
  `New Relic`), and a listing that joins names answers to each (`Redlock - PrismaCloud` to
  `PrismaCloud`).

Why it matters
  The tag says who the connector is for; the trust policy says who can actually get in. When
  they disagree, either the tag is wrong, or the role lets in a party nobody meant to trust:
  a copied trust policy, a role reused for another vendor, or an account swapped in.

Example
  A role tagged `connector-vendor=Upsolver` with
  {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::464622532012:root\"},
   \"Action\": \"sts:AssumeRole\", ...}
  (464622532012 is Datadog's; Upsolver's listed account is 428641199958).

Fix
  Trust only the vendor's documented account (remove the other principal), or correct the
  tag if the role belongs to the other vendor. An account of the vendor that the list does not
  know yet: a vendor's own documentation settles it, and the list takes additions upstream.";

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Ok(trust) = &role.trust else { return };
    let (Some(tag), Some(known)) = (role.vendor_tag(), ctx.known_accounts) else {
        return;
    };
    let vendor_accounts = known.vendor_accounts(tag);
    let resolver = ctx.resolver(role);
    let mut reported: BTreeSet<(usize, String)> = BTreeSet::new();
    for fp in foreign_principals(trust, role.account_id(), &ctx.trusted_accounts) {
        if !may_assume(trust, &fp) {
            continue;
        }
        let listing = known.lookup(&fp.account);
        let agrees = match (&listing, &vendor_accounts) {
            (Some(listing), _) => listing.answers_to(tag),
            // the list knows the vendor, and this is not one of its accounts
            (None, Some(_)) => false,
            // neither is on the list: the tag declares the account
            (None, None) => true,
        };
        if agrees || !reported.insert((fp.statement.index, fp.account.to_string())) {
            continue;
        }
        let party = resolver.label(&fp.account);
        let listed: Option<Vec<&str>> = vendor_accounts
            .as_ref()
            .map(|accounts| accounts.iter().copied().collect());
        let why = match &listed {
            Some(accounts) => format!(
                "; the list gives {tag} {} {}",
                if accounts.len() == 1 {
                    "only the account"
                } else {
                    "only the accounts"
                },
                accounts.join(", ")
            ),
            None => String::new(),
        };
        let witness = role.trust_witness(fp.caller(), ASSUME_ROLE, &fp.scenario());
        let finding = witnessed(
            witness,
            role.finding(
            &RULE,
            PolicyRef::Trust,
            Some(fp.statement),
            format!(
                "the role is tagged {VENDOR_TAG}={tag}, but {party} can assume it: {} trusts `{}`{why}",
                statement_label(fp.statement),
                fp.principal.value,
            ),
            json!({
                "tag": tag,
                "principal": fp.principal.value,
                "account": fp.account,
                "party": party,
                "listed_as": listing.as_ref().map(|l| l.name()),
                "vendor_accounts": listed,
            }),
            format!(
                "If {tag} is the vendor behind this role, remove `{}` from {} and trust only {tag}'s documented account; if the role is for another vendor, correct the tag `{VENDOR_TAG}`; if account {} is yours, add it to TRUSTED_ACCOUNT_IDS (--trusted-account {})",
                fp.principal.value,
                statement_label(fp.statement),
                fp.account,
                fp.account
            ),
        ));
        out.push(keyed(finding, &fp.account));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{check as run, check_many, role, seed_roles};

    fn trust(principal: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"8f2c61d0a4b94e7c"}}}}}}]}}"#
        )
    }

    fn tagged(principal: &str, vendor: &str) -> crate::model::RoleSnapshot {
        role(&trust(principal), &[], &[("connector-vendor", vendor)])
    }

    #[test]
    fn another_vendors_account() {
        let f = run(&RULE, &tagged("arn:aws:iam::464622532012:root", "Upsolver"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(
            f[0].message,
            "the role is tagged connector-vendor=Upsolver, but Datadog (464622532012) can assume it: statement 0 trusts `arn:aws:iam::464622532012:root`; the list gives Upsolver only the account 428641199958"
        );
        assert_eq!(f[0].evidence["listed_as"], "Datadog");
        // a tag naming a vendor the list does not know, on a listed account of another
        let f = run(&RULE, &tagged("464622532012", "Acme Analytics"));
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence["vendor_accounts"].is_null());
    }

    #[test]
    fn an_account_the_listed_vendor_does_not_have() {
        let f = run(
            &RULE,
            &tagged("arn:aws:iam::111122223333:role/sync", "upsolver"),
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("but unknown account 111122223333 can assume it"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].evidence["vendor_accounts"], json!(["428641199958"]));
    }

    #[test]
    fn matching_declared_and_own_accounts_pass() {
        // the tagged vendor's own listed account, however the tag is spelled
        for vendor in ["Upsolver", "upsolver", " UPSOLVER "] {
            assert!(
                run(
                    &RULE,
                    &tagged("arn:aws:iam::428641199958:role/upsolver-role", vendor)
                )
                .is_empty(),
                "{vendor}"
            );
        }
        assert!(run(&RULE, &tagged("464622532012", "datadog")).is_empty());
        // a vendor the list does not know, on an account it does not know: declared
        assert!(run(&RULE, &tagged("111122223333", "Acme Analytics")).is_empty());
        // the role's own account, and one the user trusts
        assert!(run(&RULE, &tagged("123456789012", "Upsolver")).is_empty());
        assert!(
            check_many(
                &RULE,
                &[tagged("210987654321", "Upsolver")],
                &["210987654321"]
            )
            .is_empty()
        );
        // no tag: trust-unknown-account's business
        assert!(run(&RULE, &role(&trust("111122223333"), &[], &[])).is_empty());
    }

    /// The seed vendors, tagged with the vendor their guide is for, agree with their trust.
    #[test]
    fn seed_vendors_are_clean() {
        let names = [
            ("onyx", "Onyx"),
            ("amazon-q", "Amazon Q Business"),
            ("upsolver", "Upsolver"),
            ("milvus", "Milvus"),
            ("google-datasync", "Google"),
        ];
        for (vendor, mut r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
            let (_, name) = names.iter().find(|(v, _)| *v == vendor).unwrap();
            r.tags.insert("connector-vendor".into(), name.to_string());
            assert!(run(&RULE, &r).is_empty(), "{vendor} tagged {name}");
        }
    }
}
