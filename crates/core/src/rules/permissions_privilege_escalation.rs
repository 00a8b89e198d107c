//! `permissions-privilege-escalation` (critical): see [`DOC`].

use super::{RoleView, Rule, RuleContext, statement_label};
use crate::fix::{self, FixInput, Placeholder};
use crate::model::{Finding, Severity};
use crate::policy::escalation::{Found, paths};
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "permissions-privilege-escalation",
    severity: Severity::Critical,
    title: "the role can raise its own or another principal's privileges",
    doc: DOC,
    check,
    fix: Some(fix),
};

pub const DOC: &str = "\
What it flags
  A role whose policies make one of the published privilege-escalation paths (Rhino Security
  Labs' list, and those Cloudsplaining and PMapper check): writing or attaching policies
  (iam:CreatePolicyVersion, iam:SetDefaultPolicyVersion, iam:Put*Policy, iam:Attach*Policy),
  rewriting a trust policy (iam:UpdateAssumeRolePolicy), credentials for IAM users
  (iam:CreateAccessKey, iam:CreateLoginProfile, iam:UpdateLoginProfile), removing a permissions
  boundary, iam:PassRole of another role to a service together with the action that runs code
  under it (EC2, Lambda, Glue, CloudFormation, Data Pipeline, CodeBuild, SageMaker, ECS, Auto
  Scaling), changing code that runs under other roles (lambda:UpdateFunctionCode or
  ssm:SendCommand on resources nobody named, glue:UpdateDevEndpoint), and sts:AssumeRole on
  roles nobody named. Each step is decided like every other permission: a Deny that applies,
  a condition (iam:PassedToService is set to the path's service), the resource a statement is
  scoped to and the permissions boundary all count. The evidence lists every path found, with
  its actions, the statements that grant them and where the path is published.

Why it matters
  A connector needs data, not power over identities. With any of these paths the vendor (or
  whoever steals its credentials) can give itself, or a principal it controls, every
  permission in the account: the role is as good as administrator access even when no
  statement says `*`.

Example
  {\"Effect\": \"Allow\", \"NotAction\": [\"iam:*\", \"organizations:*\"], \"Resource\": \"*\"}
  leaves sts:AssumeRole on every role and lambda:UpdateFunctionCode on every function.

Fix
  Remove the IAM, STS and compute actions from the connector's policies, or scope them: name
  the function or role the connector owns, and limit iam:PassRole with a condition on
  iam:PassedToService to a service that runs no code of the caller's choosing.";

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let reach = role.reach();
    let found = paths(&reach);
    let Some(first) = found.first() else {
        return;
    };
    let Some(&(pi, si)) = first
        .steps
        .first()
        .and_then(|s| s.granted.statements.iter().next())
    else {
        return;
    };
    let Some(statement) = role.statement(pi, si) else {
        return;
    };
    let policy = role.policy_ref(pi);
    let names: Vec<String> = found
        .iter()
        .map(|f| {
            let actions: Vec<&str> = f.steps.iter().map(|s| s.step.action).collect();
            format!("{} ({})", f.path.id, actions.join(" + "))
        })
        .collect();
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    let more = names.len().saturating_sub(shown.len());
    let message = format!(
        "{} of {policy} (with the role's other statements) makes {} privilege-escalation path(s): {}{}; the connector can {}",
        statement_label(statement),
        found.len(),
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
        first.path.summary
    );
    let actions: BTreeSet<&str> = found
        .iter()
        .flat_map(|f| f.steps.iter().map(|s| s.step.action))
        .collect();
    let remediation = format!(
        "Remove {} from the connector's policies, or scope them to resources the connector owns (and limit iam:PassRole with iam:PassedToService to a service that runs no code)",
        actions.into_iter().collect::<Vec<_>>().join(", ")
    );
    let sources: BTreeSet<&str> = found.iter().map(|f| f.path.source).collect();
    let evidence = json!({
        "paths": found.iter().map(|f| path_evidence(role, f)).collect::<Vec<Value>>(),
        "sources": sources,
    });
    out.push(role.finding(
        &RULE,
        policy,
        Some(statement),
        message,
        evidence,
        remediation,
    ));
}

/// The fix: a step of every path found taken out of the document's Allow statements (`*` and
/// `NotAction` become the S3 actions the connector's declared access needs). Only
/// when no other document of the role grants one of them: otherwise this one alone does not
/// clear the finding.
fn fix(input: &FixInput<'_>, doc: &mut Value) -> Option<Vec<Placeholder>> {
    // a path is broken by one missing step: its IAM and STS steps go (passing a role,
    // writing a policy) and the service it passes a role to keeps its other actions; a path
    // of other steps only (changing a function's code) loses them all
    let mut actions: Vec<&str> = Vec::new();
    let evidence = input.finding.evidence.value();
    for path in evidence.get("paths")?.as_array()? {
        let steps: Vec<&str> = path
            .get("actions")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let identity: Vec<&str> = steps
            .iter()
            .copied()
            .filter(|a| a.starts_with("iam:") || a.starts_with("sts:"))
            .collect();
        actions.extend(if identity.is_empty() { steps } else { identity });
    }
    if actions.is_empty() {
        return None;
    }
    let objectionable =
        |action: &str, _wild: bool| actions.iter().any(|a| a.eq_ignore_ascii_case(action));
    if fix::granted_elsewhere(input.view, &input.finding.policy, &objectionable) {
        return None;
    }
    // what another finding's fix already took out counts: the document is cleared either way
    let declared = input.view.declared_services();
    let kept = |prefix: &str| matches!(prefix, "s3" | "kms") || declared.contains_key(prefix);
    fix::remove_actions(doc, input.view.access, &objectionable, &kept);
    Some(Vec::new())
}

/// One path, compactly: its id, its actions, the statements that grant them (`policy#index`),
/// the resources of its scoped steps, the service a role is passed to.
fn path_evidence(role: &RoleView<'_>, found: &Found) -> Value {
    let statements: BTreeSet<String> = found
        .steps
        .iter()
        .flat_map(|s| s.granted.statements.iter())
        .map(|(pi, si)| format!("{}#{si}", role.policy_ref(*pi)))
        .collect();
    let mut out = json!({
        "path": found.path.id,
        "actions": found.steps.iter().map(|s| s.step.action).collect::<Vec<&str>>(),
        "statements": statements,
    });
    if let Some(obj) = out.as_object_mut() {
        let resources: BTreeSet<String> = found
            .steps
            .iter()
            .filter(|s| s.step.target.is_some())
            .flat_map(|s| s.granted.resources.iter().map(|w| w.display()))
            .collect();
        if !resources.is_empty() {
            obj.insert("resources".into(), json!(resources));
        }
        if let Some(to) = found.steps.iter().find_map(|s| s.step.passed_to) {
            obj.insert("passed_to_service".into(), json!(to));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::escalation::PATHS;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, bounded, check as run, role, seed_roles};

    fn allow(actions: &[&str]) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Ops","Effect":"Allow","Action":{},"Resource":"*"}}]}}"#,
            serde_json::to_string(actions).unwrap()
        )
    }

    fn path_ids(f: &Finding) -> Vec<String> {
        f.evidence["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["path"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn every_path_fires_with_its_actions_and_statements() {
        for path in PATHS {
            let actions: Vec<&str> = path.steps.iter().map(|s| s.action).collect();
            let f = run(&RULE, &role(SAME_ACCOUNT_TRUST, &[&allow(&actions)], &[]));
            assert_eq!(f.len(), 1, "{}", path.id);
            assert_eq!(f[0].severity, Severity::Critical);
            assert!(
                path_ids(&f[0]).contains(&path.id.to_string()),
                "{}",
                path.id
            );
            let p = f[0].evidence["paths"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["path"] == path.id)
                .unwrap();
            assert_eq!(p["actions"], json!(actions));
            assert_eq!(p["statements"], json!(["inline:p0#0"]));
            assert!(f[0].message.contains(path.id), "{}", f[0].message);
        }
    }

    #[test]
    fn the_issue_s_not_action_role() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}"#;
        let f = run(&RULE, &role(SAME_ACCOUNT_TRUST, &[doc], &[]));
        assert_eq!(f.len(), 1);
        let ids = path_ids(&f[0]);
        assert!(ids.contains(&"assume-any-role".to_string()), "{ids:?}");
        assert!(ids.contains(&"update-lambda-code".to_string()), "{ids:?}");
    }

    #[test]
    fn boundary_deny_and_scoping_count() {
        let pass = allow(&["iam:PassRole", "ec2:RunInstances"]);
        let s3_only = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        assert!(
            run(
                &RULE,
                &bounded(role(SAME_ACCOUNT_TRUST, &[&pass], &[]), s3_only)
            )
            .is_empty()
        );
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}}"#;
        assert!(run(&RULE, &role(SAME_ACCOUNT_TRUST, &[&pass, deny], &[])).is_empty());
        let to_s3 = r#"{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*",
            "Condition":{"StringEquals":{"iam:PassedToService":"s3.amazonaws.com"}}},
            {"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}]}"#;
        assert!(run(&RULE, &role(SAME_ACCOUNT_TRUST, &[to_s3], &[])).is_empty());
        let own_function = r#"{"Statement":{"Effect":"Allow","Action":"lambda:UpdateFunctionCode",
            "Resource":"arn:aws:lambda:us-east-1:123456789012:function:connector-sync"}}"#;
        assert!(run(&RULE, &role(SAME_ACCOUNT_TRUST, &[own_function], &[])).is_empty());
    }

    #[test]
    fn counter_cases_stay_silent() {
        for doc in [
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme/*"},
              {"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}"#,
            r#"{"Statement":{"Effect":"Allow","Action":["glue:GetDatabase*","glue:GetTable*","glue:GetPartition*"],"Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":["iam:GetRole","sts:GetCallerIdentity"],"Resource":"*"}}"#,
        ] {
            assert!(
                run(&RULE, &role(SAME_ACCOUNT_TRUST, &[doc], &[])).is_empty(),
                "{doc}"
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
