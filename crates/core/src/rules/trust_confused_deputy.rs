//! `trust-confused-deputy` (medium): see [`DOC`].

use super::{RoleView, Rule, RuleContext, statement_label, witnessed};
use crate::fix::{self, FixInput, Placeholder};
use crate::model::{Finding, PolicyRef, Severity};
use crate::parties::service_name;
use crate::policy::Effect;
use crate::policy::adversary;
use crate::policy::principal::{Caller, Principal};
use crate::policy::services;
use crate::policy::trust::{ASSUME_ROLE, statement_grants};
use serde_json::Value;
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "trust-confused-deputy",
    severity: Severity::Medium,
    title: "a multi-tenant AWS service is trusted without pinning the source",
    doc: DOC,
    check,
    fix: Some(fix),
};

pub const DOC: &str = "\
What it flags
  A trust statement for an AWS service principal that acts for many customers (for example
  `qbusiness.amazonaws.com`) without an enforced aws:SourceAccount, aws:SourceArn,
  aws:SourceOrgID or aws:SourceOrgPaths condition pinning the source to a literal account,
  resource or organization (a wildcard in the account field of an aws:SourceArn pattern does
  not pin). A pin to another literal account is accepted: the Amazon Q guide itself names a
  `source_account` that may be the account hosting the application.
  Services that only assume a role your own account hands them with iam:PassRole are exempt
  (ec2, lambda, ecs-tasks, eks, eks-fargate-pods, EKS Pod Identity's pods.eks, edgelambda):
  the table in `policy/services.rs` lists each with the AWS page that says so. Any other
  service counts as one that acts for many customers.

Why it matters
  The service assumes roles on behalf of whichever customer configures it. Without a source
  condition, another customer can configure the service with your role ARN and have it read
  your buckets: the cross-service confused deputy.

Example
  {\"Effect\": \"Allow\", \"Principal\": {\"Service\": \"qbusiness.amazonaws.com\"},
   \"Action\": \"sts:AssumeRole\"}

Fix
  \"Condition\": {\"StringEquals\": {\"aws:SourceAccount\": \"<your account id>\"},
                \"ArnLike\": {\"aws:SourceArn\": \"arn:aws:qbusiness:<region>:<account>:application/<id>\"}}";

/// The keys of [`adversary::source_keys`]: the conditions the finding quotes.
const SOURCE_KEYS: [&str; 4] = [
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
];

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Ok(trust) = &role.trust else { return };
    // another customer of the service: its own account, resource and organization
    let scenario = adversary::source_scenario();
    for statement in trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        for principal in statement.principals() {
            let Principal::Service { name } = principal else {
                continue;
            };
            if !services::confused_deputy_prone(name) {
                continue;
            }
            let caller = Caller::Service(name.clone());
            let party = service_name(name);
            if !statement_grants(trust, statement, &caller, ASSUME_ROLE, scenario) {
                continue;
            }
            let conditions: Vec<String> = statement
                .conditions
                .iter()
                .filter(|c| SOURCE_KEYS.iter().any(|k| c.is_key(k)))
                .map(|c| c.describe())
                .collect();
            let witness = role.trust_witness(caller.clone(), ASSUME_ROLE, scenario);
            out.push(witnessed(
                witness,
                role.finding(
                &RULE,
                PolicyRef::Trust,
                Some(statement),
                format!(
                    "{party}, acting for any of its customers, can assume the role: {} does not pin aws:SourceAccount / aws:SourceArn to a known account, so another customer of the service could have it assume this role",
                    statement_label(statement)
                ),
                json!({ "service": name, "party": party, "source_conditions": conditions }),
                format!(
                    "Add `\"Condition\": {{\"StringEquals\": {{\"aws:SourceAccount\": \"{}\"}}}}` (and an `ArnLike` on `aws:SourceArn` naming your resource) to {}",
                    role.account_id(),
                    statement_label(statement)
                ),
            )));
        }
    }
}

/// The fix: the service may act only for this account (`aws:SourceAccount`).
fn fix(input: &FixInput<'_>, doc: &mut Value) -> Option<Vec<Placeholder>> {
    let account = input.view.account_id().to_string();
    let st = fix::statement(doc, input.finding)?;
    fix::set_condition(
        st,
        "StringEquals",
        "aws:SourceAccount",
        Value::from(account),
    );
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quoted_keys_are_the_adversarys_source_keys() {
        let keys: Vec<&str> = crate::policy::adversary::source_keys()
            .into_iter()
            .map(|(k, _, _)| k)
            .collect();
        assert_eq!(keys, super::SOURCE_KEYS);
    }

    use super::*;
    use crate::rules::testing::{check as run, role, seed_roles};

    fn trust(service: &str, condition: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole","Condition":{condition}}}]}}"#
        )
    }

    #[test]
    fn services_only_the_own_account_can_point_at_the_role_are_silent() {
        // EKS Pod Identity: an association needs iam:PassRole on the role in the cluster's account
        for service in [
            "pods.eks.amazonaws.com",
            "ec2.amazonaws.com",
            "lambda.amazonaws.com",
        ] {
            assert!(
                run(&RULE, &role(&trust(service, "{}"), &[], &[])).is_empty(),
                "{service}"
            );
        }
        // a service the table does not know counts as one that acts for many customers
        let f = run(&RULE, &role(&trust("glue.amazonaws.com", "{}"), &[], &[]));
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn fires() {
        for cond in [
            "{}",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:qbusiness:*:*:application/*"}}"#,
            r#"{"StringEqualsIfExists":{"aws:SourceAccount":"123456789012"}}"#,
            r#"{"StringLike":{"aws:SourceAccount":"*"}}"#,
        ] {
            let f = run(
                &RULE,
                &role(&trust("qbusiness.amazonaws.com", cond), &[], &[]),
            );
            assert_eq!(f.len(), 1, "{cond}");
            assert_eq!(f[0].severity, Severity::Medium);
            assert!(
                f[0].message.starts_with(
                    "AWS service qbusiness.amazonaws.com, acting for any of its customers, can assume the role"
                ),
                "{}",
                f[0].message
            );
        }
    }

    #[test]
    fn does_not_fire() {
        for cond in [
            r#"{"StringEquals":{"aws:SourceAccount":"123456789012"}}"#,
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:qbusiness:us-east-1:123456789012:application/abc"}}"#,
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:qbusiness:*:123456789012:application/*"}}"#,
            r#"{"StringEquals":{"aws:SourceOrgID":"o-abc123"}}"#,
            // the Amazon Q application may live in another (named) account
            r#"{"StringEquals":{"aws:SourceAccount":"999988887777"}}"#,
        ] {
            assert!(
                run(
                    &RULE,
                    &role(&trust("qbusiness.amazonaws.com", cond), &[], &[])
                )
                .is_empty(),
                "{cond}"
            );
        }
        for exempt in [
            "ec2.amazonaws.com",
            "lambda.amazonaws.com",
            "ecs-tasks.amazonaws.com",
        ] {
            assert!(
                run(&RULE, &role(&trust(exempt, "{}"), &[], &[])).is_empty(),
                "{exempt}"
            );
        }
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
