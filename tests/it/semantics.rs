//! IAM semantics an attacker must not slip through, on a fixture account beside the seed
//! vendors' (`tests/fixtures/semantics-account.json`, one role per class): offline through the
//! CLI, and the same account created in the emulator and audited live. Each role states the
//! findings it must produce, and so every other rule must stay silent on it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support::{self, Moto};
use connector_audit::app::{Run, Services, Settings};
use connector_audit::model::Report;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const FIXTURE: &str = "tests/fixtures/semantics-account.json";

/// Each role, the rules it must raise (and no other), and why.
fn expected() -> BTreeMap<&'static str, (Vec<&'static str>, &'static str)> {
    BTreeMap::from([
        (
            "bounded-reader",
            (
                vec![],
                "GetObject on `*`, but the permissions boundary allows one bucket",
            ),
        ),
        (
            "star-pinned-to-vendor",
            (
                vec!["trust-missing-external-id"],
                "a `*` principal pinned by aws:PrincipalAccount to Upsolver, without an external id",
            ),
        ),
        (
            "star-any-organization",
            (
                vec!["trust-any-principal"],
                "`StringLike aws:PrincipalOrgID o-*`: anyone can create an organization",
            ),
        ),
        (
            "one-character-bucket",
            (
                vec!["s3-unused-delete", "s3-wildcard-bucket"],
                "`data?` is one character of buckets nobody named",
            ),
        ),
        (
            "session-tag-bucket",
            (
                vec!["s3-wildcard-bucket"],
                "the vendor may tag its sessions, and the resource is `${aws:PrincipalTag/bucket}`",
            ),
        ),
        (
            "two-eks-clusters",
            (
                vec![],
                "a token of the second cluster carries no `sub` of the first: neither gets in unpinned",
            ),
        ),
        (
            "pod-identity",
            (
                vec![],
                "EKS Pod Identity uses only roles passed in the cluster's own account",
            ),
        ),
        (
            "duplicate-effect",
            (
                vec!["policy-unparseable"],
                "`Effect` twice: the trust policy says two things",
            ),
        ),
    ])
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
    for (role, (rules, why)) in expected() {
        let want: BTreeSet<String> = rules.iter().map(|r| r.to_string()).collect();
        assert_eq!(got.get(role), Some(&want), "{how}: `{role}` ({why})");
    }
    assert_eq!(got.len(), expected().len(), "{how}: {got:?}");
}

#[test]
fn offline_every_class_is_judged_as_aws_would() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .args(["check", "--input", FIXTURE, "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report.complete, "{:?}", report.errors);
    assert_expected(&report, "check");
    // the boundary is what keeps the reader in one bucket: the report says so
    let bounded = report
        .roles
        .iter()
        .find(|r| r.role_name == "bounded-reader")
        .unwrap();
    assert_eq!(bounded.limited_by.len(), 1);
    assert_eq!(bounded.limited_by[0].control, "permissions-boundary");
    assert!(
        bounded.limited_by[0]
            .removes
            .contains(&"s3:GetObject on *".to_string()),
        "{:?}",
        bounded.limited_by
    );
    // the ambiguous document names the key and where it is
    let dup = report
        .findings
        .iter()
        .find(|f| f.role_name == "duplicate-effect")
        .unwrap();
    assert!(
        dup.message.contains("duplicate key `Effect`"),
        "{}",
        dup.message
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
        &Run::new("semantics", "2026-11-29T00:00:00Z"),
        &Services::new(clients),
    )
    .await
    .unwrap();
    assert!(outcome.report.complete, "{:?}", outcome.report.errors);
    assert_expected(&outcome.report, "live");
    let bounded = outcome
        .report
        .roles
        .iter()
        .find(|r| r.role_name == "bounded-reader")
        .unwrap();
    assert_eq!(
        bounded.limited_by.len(),
        1,
        "the emulator's GAAD carries the boundary"
    );
}

/// Class 9 offline: the organization's guardrails over the dump's account, from a file
/// (`check --guardrails`), in the shape an organization-wide audit reads them. Without the
/// file every way in is reported; with it, what an SCP or RCP certainly takes away is gone,
/// each role's entry names the control, and an account the RCP lets through a `*` principal
/// still needs its external id.
#[test]
fn offline_guardrails_take_away_only_what_they_certainly_deny() {
    let run = |extra: &[&str]| -> Report {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_connector-audit"))
            .args([
                "check",
                "--input",
                "tests/fixtures/guardrails-account.json",
                "--format",
                "json",
            ])
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let pairs = |r: &Report| -> BTreeSet<(String, String)> {
        r.findings
            .iter()
            .map(|f| (f.role_name.clone(), f.rule.clone()))
            .collect()
    };
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    let open = run(&[]);
    assert_eq!(
        pairs(&open),
        BTreeSet::from([
            pair("open-to-anyone", "trust-any-principal"),
            pair("vendor-no-external-id", "trust-missing-external-id"),
            pair("vendor-bucket-admin", "s3-bucket-admin"),
        ])
    );
    let guarded = run(&["--guardrails", "tests/fixtures/guardrails.json"]);
    assert!(guarded.complete, "{:?}", guarded.errors);
    assert_eq!(
        pairs(&guarded),
        BTreeSet::from([
            // the RCP keeps outsiders out, except the vendor's account it names
            pair("open-to-anyone", "trust-missing-external-id"),
            pair("vendor-no-external-id", "trust-missing-external-id"),
        ])
    );
    let through = guarded
        .findings
        .iter()
        .find(|f| f.role_name == "open-to-anyone")
        .unwrap();
    assert!(
        through.message.contains("narrow to `428641199958`"),
        "{}",
        through.message
    );
    let limits = |name: &str| {
        guarded
            .roles
            .iter()
            .find(|r| r.role_name == name)
            .unwrap()
            .limited_by
            .clone()
    };
    let anyone = limits("open-to-anyone");
    assert_eq!(anyone.len(), 1);
    assert_eq!(
        (anyone[0].control.as_str(), anyone[0].policy.as_str()),
        ("resource-control-policy", "OrgOnly (p-orgonly1)")
    );
    assert_eq!(
        anyone[0].removes,
        ["trust-any-principal on trust statement 0"]
    );
    let admin = limits("vendor-bucket-admin");
    assert_eq!(admin.len(), 1);
    assert_eq!(
        (admin[0].control.as_str(), admin[0].policy.as_str()),
        ("service-control-policy", "ObjectsOnly (p-objects1)")
    );
    assert!(
        admin[0]
            .removes
            .contains(&"s3:DeleteBucket on acme-data".to_string())
    );
    assert!(
        !admin[0]
            .removes
            .iter()
            .any(|r| r.starts_with("s3:GetObject "))
    );
    assert!(limits("vendor-no-external-id").is_empty());

    // a file that is not guardrails: a clear error naming the file and the field
    let bad = std::env::temp_dir().join(format!(
        "connector-audit-guardrails-{}.json",
        std::process::id()
    ));
    std::fs::write(&bad, r#"{"scps": [{"target": "r-ab12", "policy": []}]}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .args([
            "check",
            "--input",
            "tests/fixtures/guardrails-account.json",
            "--guardrails",
        ])
        .arg(&bad)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not a guardrails file")
            && err.contains("scps[0]")
            && err.contains("policy"),
        "{err}"
    );
}
