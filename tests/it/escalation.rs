//! Privilege escalation and access a connector never needs, on a fixture account
//! (`tests/fixtures/escalation-account.json`): one role per published escalation path
//! (`esc-<path>`, exactly the path's actions on `*`), the "everything but IAM" role,
//! and counter-cases that must stay silent. Offline through the CLI, and the same account
//! created in the emulator and audited live (moto stores and returns the documents; it
//! enforces nothing here: every decision is connector-audit's). Each role states the findings
//! it must produce, and so every other rule must stay silent on it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support::{self, Moto};
use connector_audit::app::{Run, Services, Settings};
use connector_audit::model::Report;
use connector_audit::policy::escalation::PATHS;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const FIXTURE: &str = "tests/fixtures/escalation-account.json";
const ESCALATION: &str = "permissions-privilege-escalation";
const BEYOND: &str = "permissions-beyond-connector";

/// Each role, the rules it must raise (and no other), and why.
fn expected() -> BTreeMap<String, (Vec<&'static str>, &'static str)> {
    let mut out: BTreeMap<String, (Vec<&'static str>, &'static str)> = PATHS
        .iter()
        .map(|p| {
            (
                format!("esc-{}", p.id),
                (
                    vec![BEYOND, ESCALATION],
                    "the path's actions on `*`: IAM, STS or compute access beyond S3 too",
                ),
            )
        })
        .collect();
    for (role, rules, why) in [
        (
            "everything-but-iam",
            vec![
                BEYOND,
                ESCALATION,
                "s3-bucket-admin",
                "s3-unused-delete",
                "s3-wildcard-bucket",
            ],
            "`NotAction: [iam:*, organizations:*]` on `*`: not every action, so not permissions-admin",
        ),
        (
            "scoped-s3-and-one-key",
            vec![],
            "S3 on one bucket and KMS on one key",
        ),
        (
            "glue-catalog-reader",
            vec![],
            "read-only Glue catalog actions",
        ),
        (
            "identity-reader",
            vec![],
            "iam:GetRole and sts:GetCallerIdentity",
        ),
        (
            "pass-role-to-batch-operations",
            vec![BEYOND],
            "iam:PassRole only to S3 Batch Operations, which runs no code: no escalation, though passing a role is an IAM write the tag does not declare",
        ),
        (
            "own-function-and-role",
            vec![],
            "UpdateFunctionCode and AssumeRole on the resources the policy names, their services declared",
        ),
        (
            "iam-writes-denied",
            vec![],
            "iam:* and sts:*, with a Deny of everything but reads",
        ),
        (
            "bounded-admin",
            vec![],
            "`*` on `*`, within a boundary that allows reading one bucket",
        ),
    ] {
        out.insert(role.to_string(), (rules, why));
    }
    out
}

fn rules_by_role(report: &Report) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = report
        .roles
        .iter()
        .map(|r| (r.role_name.clone(), BTreeSet::new()))
        .collect();
    for f in &report.findings {
        out.entry(f.role_name.clone())
            .or_default()
            .insert(f.rule.clone());
    }
    out
}

fn assert_expected(report: &Report, how: &str) {
    let got = rules_by_role(report);
    let expected = expected();
    for (role, (rules, why)) in &expected {
        let want: BTreeSet<String> = rules.iter().map(|r| r.to_string()).collect();
        assert_eq!(got.get(role), Some(&want), "{how}: `{role}` ({why})");
    }
    assert_eq!(got.len(), expected.len(), "{how}: {got:?}");
    // each path role's escalation finding names its own path, its actions and its statement
    for path in PATHS {
        let role = format!("esc-{}", path.id);
        let f = report
            .findings
            .iter()
            .find(|f| f.role_name == role && f.rule == ESCALATION)
            .unwrap();
        let found = f.evidence["paths"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["path"] == path.id)
            .unwrap_or_else(|| panic!("{how}: {role}: {}", f.evidence));
        let want: Vec<&str> = path.steps.iter().map(|s| s.action).collect();
        assert_eq!(found["actions"], serde_json::json!(want), "{how}: {role}");
        assert_eq!(
            found["statements"],
            serde_json::json!([format!("inline:{role}-policy#0")]),
            "{how}"
        );
    }
}

#[test]
fn offline_every_path_and_every_counter_case() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .args(["check", "--input", FIXTURE, "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report.complete, "{:?}", report.errors);
    assert_expected(&report, "check");
    // the role: many services, secrets among them, no IAM (excluded by NotAction)
    let beyond = report
        .findings
        .iter()
        .find(|f| f.role_name == "everything-but-iam" && f.rule == BEYOND)
        .unwrap();
    let services: Vec<&str> = beyond.evidence["services"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(services.len() > 300, "{}", services.len());
    assert!(!services.contains(&"iam"));
    assert!(
        beyond.evidence["secrets"]
            .to_string()
            .contains("secretsmanager:GetSecretValue"),
        "{}",
        beyond.evidence["secrets"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_the_same_account_in_the_emulator_gives_the_same_answers() {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    let dump: Value = serde_json::from_str(
        &std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE))
            .unwrap(),
    )
    .unwrap();
    support::seed_from_dump(&conf, &dump).await;
    let clients = connector_audit::aws::Clients::from_conf(&conf);
    let outcome = connector_audit::app::run(
        &Settings::default(),
        &Run::new("escalation", "2026-11-29T00:00:00Z"),
        &Services::new(clients),
    )
    .await
    .unwrap();
    assert!(outcome.report.complete, "{:?}", outcome.report.errors);
    assert_expected(&outcome.report, "live");
}
