//! The fixes, proven on every fixture account (the seed vendors' demo account with its good and
//! risky variants, the semantics, parties and guardrails accounts): apply every corrected
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
                            .document = text
                    }
                    PolicyRef::Managed(arn) => {
                        role.managed
                            .iter_mut()
                            .find(|d| d.name == arn)
                            .unwrap()
                            .document = text
                    }
                    PolicyRef::Boundary(_) => role.boundary.as_mut().unwrap().document = text,
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
