//! `permissions-beyond-connector` (high): see [`DOC`].

use super::{RoleView, Rule, RuleContext, statement_label};
use crate::fix::{self, FixInput, Placeholder};
use crate::model::{Finding, Severity};
use crate::policy::eval::Scenario;
use crate::policy::reach::Granted;
use crate::policy::service_reference::{self, AccessLevel};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub static RULE: Rule = Rule {
    id: "permissions-beyond-connector",
    severity: Severity::High,
    title: "the role can change other services or read secrets",
    doc: DOC,
    check,
    fix: Some(fix),
};

pub const DOC: &str = "\
What it flags
  A role that may use an action the AWS Service Authorization Reference lists as Write,
  Permissions management or Tagging in any service other than Amazon S3 and AWS KMS, or that
  may read secrets: secretsmanager:GetSecretValue, ssm:GetParameter, ssm:GetParameters,
  ssm:GetParametersByPath, ssm:GetParameterHistory, or kms:Decrypt on keys nobody named. Each
  action is decided like every other permission (Deny, conditions, resource scoping, the
  permissions boundary). Services the connector legitimately uses are left alone: those named
  in the role's `connector-services` tag (IAM prefixes, comma-separated:
  `connector-services=glue,athena`), and the service whose principal the trust policy lets in
  (a role Amazon Q Business assumes works in Amazon Q Business). The evidence lists each
  service with its access levels and some of its actions, and the statements that grant them.

Why it matters
  A connector reads and writes objects in its buckets. Access to other services is access
  the vendor was never meant to have: it can change infrastructure, tag its way past
  attribute-based controls, or read the credentials stored for everything else.

Example
  {\"Effect\": \"Allow\", \"Action\": [\"s3:*\", \"glue:*\"], \"Resource\": \"*\"} on a role whose
  guide asks for S3 only; {\"Effect\": \"Allow\", \"Action\": \"secretsmanager:GetSecretValue\",
  \"Resource\": \"*\"}.

Fix
  Remove the other services' actions, or keep the read-only ones the guide asks for. If the
  vendor's guide does need a service (Glue for a catalog, for example), scope its actions to
  the resources the guide names and declare it: tag the role
  `connector-services=<prefix>[,<prefix>...]`.";

/// Services the rule never judges by access level: the connector's own.
const CONNECTOR_SERVICES: &[&str] = &["s3", "kms"];

/// Reads that return secrets, whatever their access level.
const SECRET_READS: &[&str] = &[
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
];

/// At most this many example actions per service in the evidence (one per access level).
const EXAMPLES: usize = 5;

#[derive(Default)]
struct ServiceAccess {
    levels: BTreeSet<AccessLevel>,
    actions: BTreeSet<String>,
    secrets: BTreeSet<String>,
    statements: BTreeSet<(usize, usize)>,
}

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let declared = role.declared_services();
    let reach = role.reach();
    let scenario = Scenario::new();
    let skip = |prefix: &str| CONNECTOR_SERVICES.contains(&prefix) || declared.contains_key(prefix);
    let mut found: BTreeMap<&'static str, ServiceAccess> = BTreeMap::new();

    // the services the role's Allow statements can name, S3 and KMS and declared ones aside
    let mut services: BTreeMap<&'static str, &'static service_reference::Service> = BTreeMap::new();
    for s in role
        .permissions
        .policies()
        .iter()
        .flat_map(|p| p.statements.iter())
        .filter(|s| s.effect == crate::policy::Effect::Allow)
    {
        for service in service_reference::services_of(&s.action) {
            if !skip(service.prefix) {
                services.insert(service.prefix, service);
            }
        }
    }
    for (prefix, service) in &services {
        // one granted action is enough to know a level: it is the level's example
        let mut done: BTreeSet<AccessLevel> = BTreeSet::new();
        for action in &service.actions {
            if !action.access.changes() || done.contains(&action.access) {
                continue;
            }
            if let Some(g) = reach.action(service, action, &scenario, None) {
                done.insert(action.access);
                record(&mut found, prefix, Some(action.access), g);
            }
        }
    }
    for name in SECRET_READS {
        let Some((service, action)) = service_reference::action(name) else {
            continue;
        };
        if skip(service.prefix) {
            continue;
        }
        if let Some(g) = reach.action(service, action, &scenario, None) {
            record(&mut found, service.prefix, Some(action.access), g.clone());
            record(&mut found, service.prefix, None, g);
        }
    }
    // kms:Decrypt on a key nobody named: every secret encrypted under any key
    if !declared.contains_key("kms")
        && let Some((service, action)) = service_reference::action("kms:Decrypt")
        && let Some(mut g) = reach.action(service, action, &scenario, Some("key"))
    {
        g.resources.retain(|w| !w.named);
        if !g.resources.is_empty() {
            record(&mut found, service.prefix, None, g);
        }
    }
    // secrets are reported as such; a judged service's levels as levels
    let Some(&(pi, si)) = found.values().find_map(|e| e.statements.iter().next()) else {
        return;
    };
    let Some(statement) = role.statement(pi, si) else {
        return;
    };
    let policy = role.policy_ref(pi);
    let secrets: Vec<&String> = found.values().flat_map(|e| e.secrets.iter()).collect();
    let changed: Vec<String> = found
        .iter()
        .filter(|(prefix, e)| !skip(prefix) && e.levels.iter().any(|l| l.changes()))
        .map(|(prefix, e)| {
            let levels: Vec<&str> = e
                .levels
                .iter()
                .filter(|l| l.changes())
                .map(|l| l.label())
                .collect();
            format!("{prefix} ({})", levels.join(", "))
        })
        .collect();
    let mut what = Vec::new();
    if !changed.is_empty() {
        let shown: Vec<&str> = changed.iter().take(5).map(String::as_str).collect();
        let more = changed.len().saturating_sub(shown.len());
        what.push(format!(
            "changes {} service(s) beyond S3 and KMS: {}{}",
            changed.len(),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if !secrets.is_empty() {
        let shown: Vec<&str> = secrets.iter().take(3).map(|s| s.as_str()).collect();
        what.push(format!("reads secrets ({})", shown.join("; ")));
    }
    let message = format!(
        "{} of {policy} (with the role's other statements) lets the connector do what it never needs: it {}",
        statement_label(statement),
        what.join(", and ")
    );
    // compact: a role with `*` reaches every service
    let services: BTreeMap<&str, String> = found
        .iter()
        .filter(|(_, e)| !e.levels.is_empty())
        .map(|(prefix, e)| {
            let levels: Vec<&str> = e.levels.iter().map(|l| l.label()).collect();
            (*prefix, levels.join(", "))
        })
        .collect();
    let examples: Vec<&String> = found
        .values()
        .flat_map(|e| e.actions.iter())
        .take(EXAMPLES * 2)
        .collect();
    let statements: BTreeSet<String> = found
        .values()
        .flat_map(|e| e.statements.iter())
        .map(|(pi, si)| format!("{}#{si}", role.policy_ref(*pi)))
        .collect();
    let evidence = json!({
        "services": services,
        "example_actions": examples,
        "statements": statements,
        "secrets": secrets,
        "declared_services": declared,
    });
    let prefixes: Vec<&str> = found.keys().copied().collect();
    let named = match prefixes.len() {
        0..=5 => prefixes.join(", "),
        n => format!(
            "{} and {} more",
            prefixes
                .iter()
                .take(5)
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
            n - 5
        ),
    };
    let remediation = format!(
        "Remove the actions of {named} from the connector's policies; if the vendor's guide needs one of these services, scope its actions to the resources the guide names and tag the role `connector-services=<prefix>`"
    );
    out.push(role.finding(
        &RULE,
        policy,
        Some(statement),
        message,
        evidence,
        remediation,
    ));
}

/// The fix: every action the rule objects to taken out of the document's Allow statements
/// (the other services' changes and secret reads, `kms:Decrypt` on keys nobody named);
/// `*` and `NotAction` become the S3 actions the connector's declared access needs. Only when
/// no other document of the role grants such an action: otherwise this one alone does not
/// clear the finding.
fn fix(input: &FixInput<'_>, doc: &mut Value) -> Option<Vec<Placeholder>> {
    let declared = input.view.declared_services();
    let objectionable = |action: &str, wild: bool| {
        let Some((service, a)) = service_reference::action(action) else {
            return false;
        };
        if action.eq_ignore_ascii_case("kms:Decrypt") {
            return wild && !declared.contains_key("kms");
        }
        let judged =
            !CONNECTOR_SERVICES.contains(&service.prefix) && !declared.contains_key(service.prefix);
        judged
            && (a.access.changes() || SECRET_READS.iter().any(|s| s.eq_ignore_ascii_case(action)))
    };
    if fix::granted_elsewhere(input.view, &input.finding.policy, &objectionable) {
        return None;
    }
    // what another finding's fix already took out counts: the document is cleared either way
    let kept = |prefix: &str| CONNECTOR_SERVICES.contains(&prefix) || declared.contains_key(prefix);
    fix::remove_actions(doc, input.view.access, &objectionable, &kept);
    Some(Vec::new())
}

/// Adds a granted action to its service's entry: an access level (with the action as an
/// example) or, without a level, a secret read with the resources it reaches.
fn record(
    found: &mut BTreeMap<&'static str, ServiceAccess>,
    prefix: &'static str,
    access: Option<AccessLevel>,
    g: Granted,
) {
    let entry = found.entry(prefix).or_default();
    match access {
        Some(level) => {
            entry.levels.insert(level);
            if entry.actions.len() < EXAMPLES {
                entry.actions.insert(g.action.clone());
            }
        }
        None => {
            let on: BTreeSet<String> = g.resources.iter().map(|w| w.display()).collect();
            let on = if on.is_empty() {
                "*".to_string()
            } else {
                on.into_iter().collect::<Vec<_>>().join(" ")
            };
            entry.secrets.insert(format!("{} on {on}", g.action));
        }
    }
    entry.statements.extend(g.statements);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, bounded, check as run, role, seed_roles};

    fn one(doc: &str, tags: &[(&str, &str)]) -> Vec<Finding> {
        run(&RULE, &role(SAME_ACCOUNT_TRUST, &[doc], tags))
    }

    fn services(f: &Finding) -> Vec<String> {
        f.evidence["services"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn other_services_writes() {
        let f = one(
            r#"{"Statement":{"Sid":"Catalog","Effect":"Allow","Action":["s3:*","glue:*"],"Resource":"*"}}"#,
            &[],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(services(&f[0]), vec!["glue"]);
        let glue = f[0].evidence["services"]["glue"].as_str().unwrap();
        assert!(glue.contains("Write"), "{glue}");
        assert_eq!(f[0].evidence["statements"], json!(["inline:p0#0"]));
        assert!(f[0].message.contains("glue (Write"), "{}", f[0].message);
        // declared: silent
        assert!(
            one(
                r#"{"Statement":{"Effect":"Allow","Action":["s3:*","glue:*"],"Resource":"*"}}"#,
                &[("connector-services", " Glue ,athena")],
            )
            .is_empty()
        );
    }

    #[test]
    fn the_issue_s_not_action_role_lists_many_services() {
        let f = one(
            r#"{"Statement":{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}"#,
            &[],
        );
        assert_eq!(f.len(), 1);
        let s = services(&f[0]);
        assert!(s.len() > 300, "{}", s.len());
        assert!(!s.contains(&"iam".to_string()));
        assert!(!s.contains(&"s3".to_string()));
        assert!(s.contains(&"ec2".to_string()));
        assert!(!f[0].evidence["secrets"].as_array().unwrap().is_empty());
    }

    #[test]
    fn secrets() {
        for (doc, want) in [
            (
                r#"{"Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
                "secretsmanager:GetSecretValue",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"ssm:GetParameter*","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/vendor/*"}}"#,
                "ssm:GetParametersByPath",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}"#,
                "kms:Decrypt",
            ),
        ] {
            let f = one(doc, &[]);
            assert_eq!(f.len(), 1, "{doc}");
            let secrets = f[0].evidence["secrets"].to_string();
            assert!(secrets.contains(want), "{doc}: {secrets}");
        }
    }

    #[test]
    fn counter_cases_stay_silent() {
        for doc in [
            // scoped S3 and KMS on one key
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::acme/*"},
              {"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}"#,
            // a read-only Glue catalog
            r#"{"Statement":{"Effect":"Allow","Action":["glue:GetDatabase*","glue:GetTable*","glue:GetPartition*"],"Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":["iam:GetRole","sts:GetCallerIdentity"],"Resource":"*"}}"#,
            // KMS writes are the connector's own business (S3 encryption)
            r#"{"Statement":{"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Encrypt"],"Resource":"*"}}"#,
            // a Deny takes the writes away
            r#"{"Statement":[{"Effect":"Allow","Action":"glue:*","Resource":"*"},
              {"Effect":"Deny","NotAction":["glue:GetDatabase*","glue:GetTable*","glue:GetPartition*"],"Resource":"*"}]}"#,
        ] {
            let f = one(doc, &[]);
            assert!(f.is_empty(), "{doc}: {:?}", f.first().map(|f| &f.evidence));
        }
        // a boundary that allows S3 only
        let r = bounded(
            role(
                SAME_ACCOUNT_TRUST,
                &[r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#],
                &[],
            ),
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        );
        assert!(run(&RULE, &r).is_empty());
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            let f = run(&RULE, &r);
            assert!(
                f.is_empty(),
                "{vendor}: {:?}",
                f.first().map(|f| &f.evidence)
            );
        }
    }
}
