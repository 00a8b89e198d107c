//! `trust-any-principal` (critical): see [`DOC`].

use super::{RoleView, Rule, RuleContext, statement_label, witnessed};
use crate::fix::{self, FixInput, Placeholder};
use crate::model::{Finding, PolicyRef, Severity};
use crate::policy::Effect;
use crate::policy::adversary;
use crate::policy::principal::{Caller, Principal};
use crate::policy::trust::{ADVERSARY_ACCOUNT, ASSUME_ROLE, statement_grants};
use serde_json::Value;
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "trust-any-principal",
    severity: Severity::Critical,
    title: "any AWS principal can assume the role",
    doc: DOC,
    check,
    fix: Some(fix),
};

pub const DOC: &str = "\
What it flags
  A trust statement that lets any AWS principal assume the role: `\"Principal\": \"*\"`,
  `{\"AWS\": \"*\"}`, or `NotPrincipal` with Allow, unless an enforced condition restricts the
  caller to known principals (aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount,
  aws:PrincipalArn with a literal account) or a Deny statement shuts everyone else out.

Why it matters
  Anyone with an AWS account can call sts:AssumeRole on the role and read or write what the
  connector can. An sts:ExternalId condition does not help: the caller simply supplies it, and
  external ids are not secrets. `...IfExists` conditions, `ForAllValues:` and wildcard-only
  values do not restrict either.

Example
  {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"*\"}, \"Action\": \"sts:AssumeRole\",
   \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"q8Zr2vN5tLx7Wm4K\"}}}

Fix
  Name the vendor's principal (`{\"AWS\": \"arn:aws:iam::VENDOR_ACCOUNT:role/VENDOR_ROLE\"}`) and
  keep the sts:ExternalId condition; or, for your own organization, add
  `\"Condition\": {\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-yourorg\"}}`.";

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Ok(trust) = &role.trust else { return };
    let caller = Caller::Aws {
        arn: format!("arn:aws:iam::{ADVERSARY_ACCOUNT}:role/connector-audit-adversary"),
        account: ADVERSARY_ACCOUNT.to_string(),
    };
    // the caller is anyone's principal: it picks its own account, organization and ARN
    let scenario = adversary::principal_scenario();
    for statement in trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let Some(clause) = &statement.principal else {
            continue;
        };
        let wildcard = clause.negated
            || clause
                .items
                .iter()
                .any(|p| matches!(p, Principal::Any { .. }));
        if !wildcard || !statement_grants(trust, statement, &caller, ASSUME_ROLE, scenario) {
            continue;
        }
        let element = if clause.negated {
            "NotPrincipal"
        } else {
            "Principal"
        };
        let conditions: Vec<String> = statement.conditions.iter().map(|c| c.describe()).collect();
        // the party: `"*"` and NotPrincipal let in anyone, `{"AWS": "*"}` any AWS account
        let party = if clause.negated
            || clause
                .items
                .iter()
                .any(|p| matches!(p, Principal::Any { aws_only: false }))
        {
            "anyone"
        } else {
            "any AWS account"
        };
        let witness = role.trust_witness(caller.clone(), ASSUME_ROLE, scenario);
        out.push(witnessed(
            witness,
            role.finding(
            &RULE,
            PolicyRef::Trust,
            Some(statement),
            format!(
                "{party} can assume the role: {} of the trust policy has a {element} that matches everyone{}",
                statement_label(statement),
                if conditions.is_empty() { "" } else { ", and its conditions do not restrict who the caller is" }
            ),
            json!({ "element": element, "principal": clause.items, "party": party, "conditions": conditions }),
            "Name the vendor's principal instead of `*` (`\"Principal\": {\"AWS\": \"arn:aws:iam::VENDOR_ACCOUNT:role/VENDOR_ROLE\"}`) and keep an `sts:ExternalId` condition, or add `\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-YOURORG\"}`".to_string(),
        )));
    }
}

/// The fix: the vendor's principal instead of `*` (or of `NotPrincipal`), with its external id.
fn fix(input: &FixInput<'_>, doc: &mut Value) -> Option<Vec<Placeholder>> {
    let st = fix::statement(doc, input.finding)?;
    let vendor = serde_json::json!({ "AWS": fix::PRINCIPAL });
    if st.remove("NotPrincipal").is_some() {
        st.insert("Principal".into(), vendor);
    } else {
        match st.get_mut("Principal") {
            Some(p @ Value::String(_)) => *p = vendor,
            Some(Value::Object(o)) => {
                let star = |v: &Value| v.as_str() == Some("*");
                match o.get_mut("AWS") {
                    Some(aws) if star(aws) => *aws = Value::from(fix::PRINCIPAL),
                    Some(Value::Array(list)) => {
                        for v in list.iter_mut().filter(|v| star(v)) {
                            *v = Value::from(fix::PRINCIPAL);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let mut placeholders = vec![Placeholder {
        token: fix::PRINCIPAL.into(),
        what: "the vendor's IAM role (or account root) that assumes this role".into(),
        find: "the vendor's set-up page for this connector; for your own organization, your role's ARN".into(),
    }];
    if !fix::has_condition(st, "StringEquals", "sts:ExternalId") {
        fix::set_condition(
            st,
            "StringEquals",
            "sts:ExternalId",
            Value::from(fix::EXTERNAL_ID),
        );
        placeholders.push(fix::external_id_placeholder());
    }
    Some(placeholders)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{check as run, role, seed_roles};

    fn trust(statements: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
    }

    #[test]
    fn fires() {
        for st in [
            r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"sts:*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"q8Zr2vN5tLx7Wm4KcB9p"}}}"#,
            r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc123"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalOrgID":"*"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/vendor"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#,
            // wildcard values anyone can satisfy: anyone can create an organization, and
            // accounts until one has a matching id
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalOrgID":"o-??????????"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-*/*"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalAccount":"????????????"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalAccount":"1*"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::????????????:*"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::1*:role/x"}}}"#,
        ] {
            let f = run(&RULE, &role(&trust(st), &[], &[]));
            assert_eq!(f.len(), 1, "{st}");
            assert_eq!(f[0].severity, Severity::Critical);
            assert_eq!(f[0].statement.as_ref().unwrap().index, 0);
            let party = if st.contains(r#""Principal":"*""#) || st.contains("NotPrincipal") {
                "anyone"
            } else {
                "any AWS account"
            };
            assert!(
                f[0].message
                    .starts_with(&format!("{party} can assume the role")),
                "{}",
                f[0].message
            );
        }
    }

    #[test]
    fn does_not_fire() {
        for st in [
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalAccount":["111122223333"]}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/vendor"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-abc/r-ab12/ou-ab12-11111111/*"}}}"#,
            // literal ids are the parties the policy meant
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalOrgID":"o-abcdefghij"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/vendor-*"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}}"#,
            // a Deny that excludes everyone else
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"},
               {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}}"#,
            r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
               {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/vendor"},"Action":"sts:AssumeRole"}"#,
            // named principals are other rules' business
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}"#,
            // a Deny with a wildcard principal is not a grant
            r#"{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}"#,
            // a wildcard principal that may only tag sessions cannot assume
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:TagSession"}"#,
        ] {
            assert!(run(&RULE, &role(&trust(st), &[], &[])).is_empty(), "{st}");
        }
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
