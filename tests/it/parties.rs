//! Who is behind every way in, end to end through `connector-audit check` on
//! `tests/fixtures/parties-account.json` (see tests/fixtures/README.md): a listed vendor is
//! named, an unlisted foreign account is flagged low, a `connector-vendor` tag declares an
//! account the list does not know and contradicts one it does, an account of the user's own
//! organization given with `--trusted-account` is silent, and every kind of identity provider
//! is named by its issuer. No AWS here: the list of known accounts is embedded.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

const ORG_ACCOUNT: &str = "210987654321";

fn fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parties-account.json")
        .to_string_lossy()
        .into_owned()
}

fn check(extra: &[&str]) -> Output {
    let input = fixture();
    let mut args = vec!["check", "--input", input.as_str()];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .args(&args)
        .output()
        .unwrap()
}

fn report(extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = check(&args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// role -> sorted `rule:severity` of its findings.
fn findings(report: &Value) -> BTreeMap<String, Vec<String>> {
    let mut got: BTreeMap<String, Vec<String>> = report["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["role_name"].as_str().unwrap().to_string(), vec![]))
        .collect();
    for f in report["findings"].as_array().unwrap() {
        got.get_mut(f["role_name"].as_str().unwrap())
            .unwrap()
            .push(format!(
                "{}:{}",
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            ));
    }
    for v in got.values_mut() {
        v.sort();
    }
    got
}

fn expected(with_org_account: bool) -> BTreeMap<String, Vec<String>> {
    let org: &[&str] = if with_org_account {
        &[]
    } else {
        &[
            "trust-missing-external-id:high",
            "trust-unknown-account:low",
        ]
    };
    [
        ("cognito-pool", &[][..]),
        ("datadog-integration", &[]),
        ("datadog-tag-unknown-trust", &["trust-vendor-mismatch:high"]),
        ("declared-vendor", &[]),
        ("eks-pinned", &[]),
        ("github-actions-deploy", &[]),
        ("google-pinned", &[]),
        ("keycloak-oidc", &[]),
        ("org-data-platform", org),
        ("saml-okta", &[]),
        ("unlisted-vendor", &["trust-unknown-account:low"]),
        (
            "upsolver-tag-datadog-trust",
            &["trust-vendor-mismatch:high"],
        ),
        ("upsolver-tagged", &[]),
    ]
    .into_iter()
    .map(|(role, fs)| (role.to_string(), fs.iter().map(|f| f.to_string()).collect()))
    .collect()
}

#[test]
fn the_fixture_gives_the_expected_findings() {
    let with_org = report(&["--trusted-account", ORG_ACCOUNT]);
    assert_eq!(findings(&with_org), expected(true));
    assert_eq!(with_org["complete"], true);
    let without = report(&[]);
    assert_eq!(findings(&without), expected(false));
}

#[test]
fn every_way_in_is_named() {
    let report = report(&["--trusted-account", ORG_ACCOUNT]);
    let parties: BTreeMap<&str, Vec<(&str, &str)>> = report["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let ps = r["trusted_parties"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p["name"].as_str().unwrap(), p["owner"].as_str().unwrap()))
                .collect();
            (r["role_name"].as_str().unwrap(), ps)
        })
        .collect();
    let want: BTreeMap<&str, Vec<(&str, &str)>> = [
        (
            "cognito-pool",
            (
                "Amazon Cognito identity pool eu-west-1:0f8e2c4a-6b1d-4e3f-9a7c-5d2b8e1f4a6c",
                "identity-provider",
            ),
        ),
        ("datadog-integration", ("Datadog", "vendor")),
        ("datadog-tag-unknown-trust", ("unknown", "unknown")),
        ("declared-vendor", ("Acme Analytics", "declared")),
        (
            "eks-pinned",
            (
                "EKS cluster 9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D (eu-west-1)",
                "identity-provider",
            ),
        ),
        (
            "github-actions-deploy",
            ("GitHub Actions", "identity-provider"),
        ),
        ("google-pinned", ("Google", "identity-provider")),
        (
            "keycloak-oidc",
            ("OIDC provider auth.example.com", "identity-provider"),
        ),
        ("org-data-platform", ("your account", "yours")),
        ("saml-okta", ("SAML provider Okta", "identity-provider")),
        ("unlisted-vendor", ("unknown", "unknown")),
        ("upsolver-tag-datadog-trust", ("Datadog", "vendor")),
        ("upsolver-tagged", ("Upsolver", "vendor")),
    ]
    .into_iter()
    .map(|(role, p)| (role, vec![p]))
    .collect();
    assert_eq!(parties, want);

    let role = |name: &str| -> &Value {
        report["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["role_name"] == name)
            .unwrap()
    };
    // the vendor's source, and the conditions that bind each party
    let datadog = &role("datadog-integration")["trusted_parties"][0];
    assert_eq!(datadog["account"], "464622532012");
    assert!(
        datadog["source"][0]
            .as_str()
            .unwrap()
            .starts_with("https://docs.datadoghq.com/")
    );
    assert_eq!(
        datadog["conditions"]["external_id"][0],
        "d4c1e8a0b7f94c2e9a63f1b5"
    );
    let eks = &role("eks-pinned")["trusted_parties"][0];
    assert_eq!(
        eks["issuer"],
        "oidc.eks.eu-west-1.amazonaws.com/id/9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D"
    );
    assert_eq!(
        eks["conditions"]["sub"][0],
        "system:serviceaccount:ingest:loader"
    );
    let github = &role("github-actions-deploy")["trusted_parties"][0];
    assert_eq!(
        github["conditions"]["sub"][0],
        "repo:acme/data-pipeline:ref:refs/heads/main"
    );
    assert_eq!(github["issuer"], "token.actions.githubusercontent.com");
}

#[test]
fn messages_and_the_table_name_the_party() {
    let report = report(&["--trusted-account", ORG_ACCOUNT]);
    let message = |role: &str| -> String {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["role_name"] == role)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        message("upsolver-tag-datadog-trust").starts_with(
            "the role is tagged connector-vendor=Upsolver, but Datadog (464622532012) can assume it"
        ),
        "{}",
        message("upsolver-tag-datadog-trust")
    );
    assert!(message("unlisted-vendor").starts_with("unknown account 111122223333 can assume"));
    let evidence = &report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "trust-unknown-account")
        .unwrap()["evidence"];
    assert!(
        evidence["how_to_declare"]
            .as_str()
            .unwrap()
            .contains("connector-vendor=")
    );

    let out = check(&["--trusted-account", ORG_ACCOUNT, "--format", "table"]);
    assert_eq!(out.status.code(), Some(1), "high findings fail the run");
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("trusted by: Datadog (464622532012)"),
        "{table}"
    );
    assert!(
        table.contains("but Datadog (464622532012) can assume it"),
        "{table}"
    );
}

#[test]
fn the_rules_command_documents_both_rules() {
    let list = Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .arg("rules")
        .output()
        .unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.contains("trust-unknown-account") && text.contains("trust-vendor-mismatch"));
    for id in ["trust-unknown-account", "trust-vendor-mismatch"] {
        let out = Command::new(env!("CARGO_BIN_EXE_connector-audit"))
            .args(["rules", id])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let doc = String::from_utf8(out.stdout).unwrap();
        assert!(doc.contains("connector-vendor"), "{doc}");
        assert!(
            doc.contains("What it flags") && doc.contains("Fix"),
            "{doc}"
        );
    }
}
