//! `trust-missing-external-id` (high): see [`DOC`].

use super::{RoleView, Rule, RuleContext, statement_label, witnessed};
use crate::model::{Finding, PolicyRef, Severity};
use crate::policy::trust::{
    ASSUME_ROLE, EXTERNAL_ID, ExternalIdGap, external_id_gap, foreign_principals, gap_scenario,
};
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "trust-missing-external-id",
    severity: Severity::High,
    title: "another account can assume the role without the external id",
    doc: DOC,
    check,
    fix: Some(crate::fix::require_external_id),
};

pub const DOC: &str = "\
What it flags
  A trust statement that allows sts:AssumeRole to an AWS principal of another account (not the
  role's own account, not one given with --trusted-account) without an enforced sts:ExternalId.
  Not enforced: no condition; `StringEqualsIfExists` (true when the id is absent);
  `ForAllValues:` (true when the key is absent); `Null: false` alone (any value passes);
  `StringLike` with a wildcard-only value such as `*`; `StringNotEquals` in an Allow.

Why it matters
  The vendor's account assumes your role on behalf of every one of its customers. Without an
  external id that only your tenant knows, another customer can point the vendor at your role
  ARN and read your data through the vendor: the confused-deputy problem.

Example
  {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::428641199958:role/upsolver-role\"},
   \"Action\": \"sts:AssumeRole\",
   \"Condition\": {\"StringEqualsIfExists\": {\"sts:ExternalId\": \"GTWKRE6K\"}}}

Fix
  \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<the id the vendor shows you>\"}}";

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Ok(trust) = &role.trust else { return };
    for fp in foreign_principals(trust, role.account_id(), &ctx.trusted_accounts) {
        let Some(gap) = external_id_gap(trust, &fp) else {
            continue;
        };
        let conditions: Vec<String> = fp
            .statement
            .conditions_on(EXTERNAL_ID)
            .map(|c| c.describe())
            .collect();
        let principal = if fp.through_guard {
            format!(
                "`*` (which the organization's resource control policies narrow to `{}`)",
                fp.principal.value
            )
        } else {
            format!("`{}`", fp.principal.value)
        };
        let how = match (gap, conditions.is_empty()) {
            (ExternalIdGap::Missing, true) => {
                format!("trusts {principal} with no sts:ExternalId condition")
            }
            (ExternalIdGap::Missing, false) => format!(
                "trusts {principal}, and `{}` passes when no external id is sent",
                conditions.join("`, `")
            ),
            (ExternalIdGap::AnyValue, true) => format!(
                "trusts {principal} with no sts:ExternalId condition: a guardrail of the organization demands that an external id be sent, but any value passes"
            ),
            (ExternalIdGap::AnyValue, false) => format!(
                "trusts {principal}, and `{}` accepts any external id the caller sends",
                conditions.join("`, `")
            ),
        };
        let party = ctx.resolver(role).label(&fp.account);
        let witness = role.trust_witness(fp.caller(), ASSUME_ROLE, &gap_scenario(&fp, gap));
        out.push(witnessed(
            witness,
            role.finding(
            &RULE,
            PolicyRef::Trust,
            Some(fp.statement),
            format!(
                "{party} can assume the role without the external id: {} {how}",
                statement_label(fp.statement),
            ),
            json!({
                "principal": fp.principal.value,
                "account": fp.account,
                "party": party,
                "external_id_conditions": conditions,
                "gap": match gap { ExternalIdGap::Missing => "missing", ExternalIdGap::AnyValue => "any-value" },
            }),
            format!(
                "Require the vendor's external id on {}: `\"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"<id the vendor issued you>\"}}}}` (not IfExists, no wildcards); if account {} is yours, pass --trusted-account {}",
                statement_label(fp.statement),
                fp.account,
                fp.account
            ),
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{check as run, check_many, role, seed_roles};

    fn trust(condition: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::428641199958:role/upsolver-role"}},"Action":"sts:AssumeRole","Condition":{condition}}}]}}"#
        )
    }

    #[test]
    fn a_wildcard_principal_pinned_to_a_vendor_needs_the_external_id_too() {
        let star = |condition: &str| {
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"sts:AssumeRole","Condition":{condition}}}]}}"#
            )
        };
        for cond in [
            r#"{"StringEquals":{"aws:PrincipalAccount":"428641199958"}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::428641199958:role/vendor-*"}}"#,
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::428641199958:role/upsolver-role"},"StringEqualsIfExists":{"sts:ExternalId":"GTWKRE6K"}}"#,
        ] {
            let f = run(&RULE, &role(&star(cond), &[], &[]));
            assert_eq!(f.len(), 1, "{cond}");
            assert_eq!(f[0].evidence["account"], "428641199958", "{cond}");
        }
        for cond in [
            r#"{"StringEquals":{"aws:PrincipalAccount":"428641199958","sts:ExternalId":"GTWKRE6K"}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::428641199958:role/vendor-*"},"StringEquals":{"sts:ExternalId":"GTWKRE6K"}}"#,
            // the role's own account needs none
            r#"{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}"#,
        ] {
            assert!(
                run(&RULE, &role(&star(cond), &[], &[])).is_empty(),
                "{cond}"
            );
        }
    }

    #[test]
    fn fires_on_unenforced_ids() {
        for cond in [
            "{}",
            r#"{"StringEqualsIfExists":{"sts:ExternalId":"GTWKRE6K"}}"#,
            r#"{"StringLike":{"sts:ExternalId":"*"}}"#,
            r#"{"StringLike":{"sts:ExternalId":["GTWKRE6K","*"]}}"#,
            r#"{"Null":{"sts:ExternalId":"false"}}"#,
            r#"{"ForAllValues:StringEquals":{"sts:ExternalId":"GTWKRE6K"}}"#,
            r#"{"StringNotEquals":{"sts:ExternalId":"GTWKRE6K"}}"#,
            r#"{"StringEquals":{"aws:SourceAccount":"428641199958"}}"#,
        ] {
            let f = run(&RULE, &role(&trust(cond), &[], &[]));
            assert_eq!(f.len(), 1, "{cond}");
            assert_eq!(f[0].severity, Severity::High);
            assert_eq!(f[0].evidence["account"], "428641199958");
            assert!(
                f[0].message.starts_with(
                    "Upsolver (428641199958) can assume the role without the external id: statement 0 trusts `arn:aws:iam::428641199958:role/upsolver-role`"
                ),
                "{}",
                f[0].message
            );
            assert_eq!(f[0].evidence["party"], "Upsolver (428641199958)");
        }
    }

    #[test]
    fn names_who_is_behind_the_account() {
        let doc = |account: &str| {
            format!(
                r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}}}"#
            )
        };
        let datadog = run(&RULE, &role(&doc("464622532012"), &[], &[]));
        assert!(
            datadog[0]
                .message
                .starts_with("Datadog (464622532012) can assume the role without the external id"),
            "{}",
            datadog[0].message
        );
        let unknown = run(&RULE, &role(&doc("111122223333"), &[], &[]));
        assert!(
            unknown[0]
                .message
                .starts_with("unknown account 111122223333 can assume"),
            "{}",
            unknown[0].message
        );
    }

    #[test]
    fn account_id_without_arn_and_root() {
        for principal in [
            r#""428641199958""#,
            r#""arn:aws:iam::428641199958:root""#,
            r#"["428641199958"]"#,
        ] {
            let doc = format!(
                r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":{principal}}},"Action":"sts:AssumeRole"}}}}"#
            );
            assert_eq!(run(&RULE, &role(&doc, &[], &[])).len(), 1, "{principal}");
        }
    }

    #[test]
    fn does_not_fire() {
        for cond in [
            r#"{"StringEquals":{"sts:ExternalId":"GTWKRE6K"}}"#,
            r#"{"StringEquals":{"sts:externalid":["GTWKRE6K","other-id-123"]}}"#,
            r#"{"StringLike":{"sts:ExternalId":"GTWK*"}}"#,
            r#"{"ForAnyValue:StringEquals":{"sts:ExternalId":"GTWKRE6K"}}"#,
        ] {
            assert!(
                run(&RULE, &role(&trust(cond), &[], &[])).is_empty(),
                "{cond}"
            );
        }
        // a Deny carve-out enforces the id
        let deny = r#"{"Statement":[
            {"Effect":"Allow","Principal":{"AWS":"428641199958"},"Action":"sts:AssumeRole"},
            {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"sts:ExternalId":"GTWKRE6K"}}}]}"#;
        assert!(run(&RULE, &role(deny, &[], &[])).is_empty());
        // same account, and accounts the user trusts
        let same = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}"#;
        assert!(run(&RULE, &role(same, &[], &[])).is_empty());
        assert!(check_many(&RULE, &[role(&trust("{}"), &[], &[])], &["428641199958"]).is_empty());
        // a Deny statement is not a grant
        let only_deny = r#"{"Statement":{"Effect":"Deny","Principal":{"AWS":"428641199958"},"Action":"sts:AssumeRole"}}"#;
        assert!(run(&RULE, &role(only_deny, &[], &[])).is_empty());
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
