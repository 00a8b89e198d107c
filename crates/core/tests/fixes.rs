//! The fixes, proven on every fixture account (the seed vendors' demo account with its good and
//! risky variants, the semantics, parties, guardrails and escalation accounts): apply every corrected
//! document, its placeholders filled with valid, strong values, audit again, and each fixed
//! finding is gone while no new finding appears on the role.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use connector_audit_core::audit::{AuditOptions, audit};
use connector_audit_core::dump::parse_dump;
use connector_audit_core::fix::fill;
use connector_audit_core::model::{Finding, Inventory, PolicyRef, Report, Source};
use std::collections::{BTreeMap, BTreeSet};

const FIXTURES: &[&str] = &[
    "demo-account.json",
    "semantics-account.json",
    "parties-account.json",
    "guardrails-account.json",
    "escalation-account.json",
];

fn read(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What a team would fill in: strong, valid values.
fn values(own_account: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "<VENDOR_EXTERNAL_ID>".into(),
            "kT7vQ2mX9pL4wR8zN3cF6hJ1sD5gB0yE".into(),
        ),
        (
            "<VENDOR_PRINCIPAL_ARN>".into(),
            format!("arn:aws:iam::{own_account}:role/connector-gateway"),
        ),
        (
            "<OIDC_SUBJECT>".into(),
            "system:serviceaccount:connector:reader".into(),
        ),
        (
            "<OIDC_AUDIENCE>".into(),
            "us-east-1:2b7c9e4f-1a3d-4e5f-8a6b-9c0d1e2f3a4b".into(),
        ),
        ("<BUCKET>".into(), "acme-connector-data".into()),
    ])
}

fn run(inventory: Inventory) -> Report {
    audit(
        inventory,
        &AuditOptions::default(),
        Source::File,
        "2026-11-30T00:00:00Z".into(),
    )
}

fn key(f: &Finding) -> (String, String, Option<usize>) {
    (
        f.rule.clone(),
        f.policy.to_string(),
        f.statement.as_ref().map(|s| s.index),
    )
}

#[test]
fn every_fix_clears_its_finding_and_opens_nothing() {
    let mut fixed_total = 0;
    let mut fixed_rules = BTreeSet::new();
    for name in FIXTURES {
        let inventory = parse_dump(&read(name)).unwrap();
        let before = run(inventory.clone());
        let mut after_inventory = inventory.clone();
        for role in &mut after_inventory.roles {
            let values = values(role.account_id());
            let fixes: BTreeMap<String, (PolicyRef, serde_json::Value)> = before
                .findings
                .iter()
                .filter(|f| f.role_arn == role.arn)
                .filter_map(|f| f.fix.as_ref())
                .map(|fx| {
                    (
                        fx.policy.to_string(),
                        (fx.policy.clone(), fill(&fx.document, &values)),
                    )
                })
                .collect();
            for (policy, document) in fixes.into_values() {
                let text = document.to_string();
                assert!(!text.contains("<"), "{name}: a placeholder is left: {text}");
                match policy {
                    PolicyRef::Trust => role.trust = text,
                    PolicyRef::Inline(n) => {
                        role.inline
                            .iter_mut()
                            .find(|d| d.name == n)
                            .unwrap()
                            .document = text.into()
                    }
                    PolicyRef::Managed(arn) => {
                        role.managed
                            .iter_mut()
                            .find(|d| d.name == arn)
                            .unwrap()
                            .document = text.into()
                    }
                    PolicyRef::Boundary(_) => {
                        role.boundary.as_mut().unwrap().document = text.into()
                    }
                    other => panic!("{name}: a fix for {other}"),
                }
            }
        }
        let after = run(after_inventory);
        for role in &before.roles {
            let was: Vec<&Finding> = before
                .findings
                .iter()
                .filter(|f| f.role_arn == role.role_arn)
                .collect();
            let now: BTreeSet<_> = after
                .findings
                .iter()
                .filter(|f| f.role_arn == role.role_arn)
                .map(key)
                .collect();
            for f in was.iter().filter(|f| f.fix.is_some()) {
                fixed_total += 1;
                fixed_rules.insert(f.rule.clone());
                assert!(
                    !now.contains(&key(f)),
                    "{name}: `{}`: the fix of {} does not clear it: {}",
                    role.role_name,
                    f.rule,
                    serde_json::to_string(&f.fix).unwrap()
                );
            }
            let was_rules: BTreeSet<(String, String)> = was
                .iter()
                .map(|f| (f.rule.clone(), f.policy.to_string()))
                .collect();
            for k in &now {
                assert!(
                    was_rules.contains(&(k.0.clone(), k.1.clone())),
                    "{name}: `{}`: the fixes opened {k:?}",
                    role.role_name
                );
            }
        }
    }
    assert!(fixed_total >= 20, "only {fixed_total} fixed findings");
    // every rule that offers fixes has one proven here
    let fixers: BTreeSet<String> = connector_audit_core::rules::registry::RULES
        .iter()
        .filter(|r| r.fix.is_some())
        .map(|r| r.id.to_string())
        .collect();
    let unproven: Vec<&String> = fixers.difference(&fixed_rules).collect();
    assert!(unproven.is_empty(), "no fix proven for {unproven:?}");
}

#[test]
fn findings_on_one_document_share_one_corrected_document() {
    let report = run(parse_dump(&read("demo-account.json")).unwrap());
    let mut by_document: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.fix.is_some()) {
        let fx = f.fix.as_ref().unwrap();
        by_document
            .entry((f.role_arn.clone(), fx.policy.to_string()))
            .or_default()
            .insert(fx.document.to_string());
    }
    assert!(!by_document.is_empty());
    for (k, docs) in by_document {
        assert_eq!(docs.len(), 1, "{k:?}");
    }
    // every placeholder in a document is described, and only those
    for f in report.findings.iter().filter_map(|f| f.fix.as_ref()) {
        let text = f.document.to_string();
        for p in &f.placeholders {
            assert!(text.contains(&p.token), "{p:?} not in {text}");
            assert!(!p.what.is_empty() && !p.find.is_empty());
        }
    }
}

/// A dump of one connector role (same-account trust) with these inline policies and tags.
fn one_role(policies: &[&str], tags: &[(&str, &str)]) -> Report {
    let mut tag_list = vec![serde_json::json!({"Key": "connector", "Value": "acme"})];
    tag_list.extend(
        tags.iter()
            .map(|(k, v)| serde_json::json!({"Key": k, "Value": v})),
    );
    let inline: Vec<serde_json::Value> = policies
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            serde_json::json!({"PolicyName": format!("p{i}"),
                "PolicyDocument": serde_json::from_str::<serde_json::Value>(doc).unwrap()})
        })
        .collect();
    let dump = serde_json::json!({"RoleDetailList": [{
        "RoleName": "vendor", "Arn": "arn:aws:iam::123456789012:role/vendor",
        "Tags": tag_list,
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": inline}]});
    run(parse_dump(&dump.to_string()).unwrap())
}

fn fix_of<'a>(r: &'a Report, rule: &str) -> Option<&'a connector_audit_core::model::Fix> {
    r.findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no {rule} finding: {:?}", r.findings))
        .fix
        .as_ref()
}

fn actions(document: &serde_json::Value) -> Vec<Vec<String>> {
    document["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["Action"]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                .unwrap_or_else(|| vec![s["Action"].as_str().unwrap().to_string()])
        })
        .collect()
}

#[test]
fn other_services_and_escalation_actions_are_taken_out_declared_ones_stay() {
    let data = r#"{"Sid": "Data", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::acme", "arn:aws:s3:::acme/*"]}"#;
    let extra = r#"{"Sid": "Extra", "Effect": "Allow",
        "Action": ["glue:*", "ec2:*", "ec2:DescribeInstances", "iam:PassRole"], "Resource": "*"}"#;
    let doc = format!(r#"{{"Version": "2012-10-17", "Statement": [{data}, {extra}]}}"#);
    let r = one_role(&[&doc], &[("connector-services", "glue")]);
    let fix = fix_of(&r, "permissions-beyond-connector").expect("a fix");
    // ec2:* and iam:PassRole go; S3 and a read stay; the declared service keeps every action
    // but the one that runs code under another role (its escalation path)
    let after = actions(&fix.document);
    assert_eq!(
        after[0],
        vec!["s3:GetObject".to_string(), "s3:ListBucket".into()]
    );
    let extra = &after[1];
    assert!(
        extra.contains(&"ec2:DescribeInstances".to_string()),
        "{extra:?}"
    );
    assert!(extra.contains(&"glue:GetTable".to_string()), "{extra:?}");
    for gone in [
        "ec2:*",
        "ec2:RunInstances",
        "iam:PassRole",
        "glue:*",
        "glue:UpdateDevEndpoint",
    ] {
        assert!(!extra.iter().any(|a| a == gone), "{gone}: {extra:?}");
    }
    assert!(fix.placeholders.is_empty());
    // audited again, the corrected document clears both
    let again = one_role(
        &[&fix.document.to_string()],
        &[("connector-services", "glue")],
    );
    assert!(
        again
            .findings
            .iter()
            .all(|f| !f.rule.starts_with("permissions-")),
        "{:?}",
        again.findings
    );
    // one corrected document for both rules on it
    assert_eq!(
        fix_of(&r, "permissions-privilege-escalation").map(|f| &f.document),
        Some(&fix.document)
    );
}

#[test]
fn not_action_becomes_the_declared_s3_access() {
    let doc = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]}"#;
    let r = one_role(&[doc], &[("connector-access", "read")]);
    let fix = fix_of(&r, "permissions-privilege-escalation").expect("a fix");
    let granted = &actions(&fix.document)[0];
    assert!(granted.contains(&"s3:GetObject".to_string()), "{granted:?}");
    assert!(
        granted
            .iter()
            .all(|a| a.starts_with("s3:Get") || a.starts_with("s3:List")),
        "{granted:?}"
    );
    assert!(fix.document["Statement"][0].get("NotAction").is_none());
}

#[test]
fn no_fix_when_another_document_grants_it_too_or_nothing_would_be_left() {
    // the path's step is granted by another document too: this one alone cannot clear it
    let pass = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["iam:PassRole", "ec2:RunInstances", "s3:GetObject"], "Resource": "*"}]}"#;
    let again = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["iam:PassRole", "s3:ListBucket"], "Resource": "*"}]}"#;
    let r = one_role(&[pass, again], &[]);
    assert!(fix_of(&r, "permissions-privilege-escalation").is_none());
    // in one document only: the fix takes the step out and keeps the rest
    let r = one_role(&[pass], &[]);
    let fix = fix_of(&r, "permissions-privilege-escalation").expect("a fix");
    assert_eq!(
        actions(&fix.document)[0],
        vec!["s3:GetObject".to_string()],
        "ec2:RunInstances goes with beyond-connector's fix of the same document"
    );
    // a document of nothing but the path: IAM refuses an empty policy
    let only = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "iam:PutRolePolicy", "Resource": "*"}]}"#;
    let r = one_role(&[only], &[]);
    assert!(fix_of(&r, "permissions-privilege-escalation").is_none());
    assert!(fix_of(&r, "permissions-beyond-connector").is_none());
}
