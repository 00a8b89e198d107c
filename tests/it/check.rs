//! `connector-audit check` end to end: the bundled demo dump against the expected findings
//! (an oracle written from the rule definitions, tests/fixtures/README.md), the JSON report
//! snapshot, exit codes, and bad input. No AWS here: `check` is offline.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use connector_audit::audit::{AuditOptions, audit};
use connector_audit::dump::parse_dump;
use connector_audit::model::{Report, Source};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn report_of(name: &str, options: &AuditOptions) -> Report {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    audit(
        parse_dump(&text).unwrap(),
        options,
        Source::File,
        "2026-01-01T00:00:00Z".into(),
    )
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn demo_dump_matches_the_expected_findings() {
    let report = report_of("demo-account.json", &AuditOptions::default());
    let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &report.roles {
        got.insert(r.role_name.clone(), vec![]);
    }
    for f in &report.findings {
        got.get_mut(&f.role_name)
            .unwrap()
            .push(format!("{}:{}", f.rule, f.severity));
    }
    for v in got.values_mut() {
        v.sort();
    }
    let expected: BTreeMap<String, Vec<String>> = [
        ("amazon-q-s3-source", vec![]),
        ("amazon-q-unpinned", vec!["trust-confused-deputy:medium"]),
        ("datasync-destination", vec!["s3-unused-delete:medium"]),
        (
            "google-unpinned",
            vec!["trust-unscoped-federation:critical"],
        ),
        (
            "legacy-s3-star",
            vec![
                "s3-bucket-admin:high",
                "s3-unused-delete:medium",
                "s3-wildcard-bucket:critical",
            ],
        ),
        (
            "milvus-any-serviceaccount",
            vec!["trust-unscoped-federation:high"],
        ),
        ("milvus-s3-access", vec![]),
        ("onyx-readonly-managed", vec!["s3-wildcard-bucket:high"]),
        ("onyx-s3-reader", vec![]),
        ("onyx-scoped-with-deny", vec![]),
        ("upsolver-ifexists", vec!["trust-missing-external-id:high"]),
        (
            "upsolver-no-external-id",
            vec!["trust-missing-external-id:high"],
        ),
        (
            "upsolver-placeholder-id",
            vec!["trust-weak-external-id:medium"],
        ),
        ("upsolver-s3-reader", vec![]),
        (
            "vendor-admin",
            vec![
                "permissions-admin:critical",
                "permissions-beyond-connector:high",
                "permissions-privilege-escalation:critical",
                "s3-bucket-admin:high",
                "s3-unused-delete:medium",
                "s3-wildcard-bucket:critical",
            ],
        ),
        ("vendor-any-principal", vec!["trust-any-principal:critical"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(got, expected);
    // the untagged break-glass role is never audited
    assert!(!report.roles.iter().any(|r| r.role_name == "ops-breakglass"));
    assert_eq!(report.summary.roles_audited, 16);
    assert!(report.complete);
    assert!(report.errors.is_empty());
}

/// Every way into the demo's roles is named: the seed vendors' parties, from the list of known
/// AWS accounts (Upsolver's account), the role's own account, the issuers and the service.
#[test]
fn demo_names_who_is_behind_every_role() {
    let report = report_of("demo-account.json", &AuditOptions::default());
    let got: BTreeMap<&str, Vec<String>> = report
        .roles
        .iter()
        .map(|r| (r.role_name.as_str(), report.trusted_by(&r.role_arn)))
        .collect();
    let own = "your account (123456789012)";
    let upsolver = "Upsolver (428641199958)";
    let google = "Google";
    let eks = "EKS cluster 5C2F9A17D3B84E60A1F7C9E2B4D8A613 (us-east-1)";
    let qbusiness = "AWS service qbusiness.amazonaws.com";
    let expected: BTreeMap<&str, Vec<String>> = [
        ("amazon-q-s3-source", qbusiness),
        ("amazon-q-unpinned", qbusiness),
        ("datasync-destination", google),
        ("google-unpinned", google),
        ("legacy-s3-star", own),
        ("milvus-any-serviceaccount", eks),
        ("milvus-s3-access", eks),
        ("onyx-readonly-managed", own),
        ("onyx-s3-reader", own),
        ("onyx-scoped-with-deny", own),
        ("upsolver-ifexists", upsolver),
        ("upsolver-no-external-id", upsolver),
        ("upsolver-placeholder-id", upsolver),
        ("upsolver-s3-reader", upsolver),
        ("vendor-admin", upsolver),
        ("vendor-any-principal", "any AWS account"),
    ]
    .into_iter()
    .map(|(role, party)| (role, vec![party.to_string()]))
    .collect();
    assert_eq!(got, expected);
}

#[test]
fn demo_report_snapshot() {
    let report = report_of("demo-account.json", &AuditOptions::default());
    insta::assert_json_snapshot!("demo-report", report, { ".tool.version" => "[version]" });
}

#[test]
fn finding_ids_are_stable_and_unique() {
    let a = report_of("demo-account.json", &AuditOptions::default());
    let b = report_of("demo-account.json", &AuditOptions::default());
    let ids: Vec<&str> = a.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        b.findings.iter().map(|f| f.id.as_str()).collect::<Vec<_>>()
    );
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len());
    assert!(ids.iter().all(|i| i.len() == 16));
}

#[test]
fn trusted_account_silences_external_id_findings() {
    let options = AuditOptions {
        trusted_accounts: vec!["428641199958".into()],
        ..AuditOptions::default()
    };
    let report = report_of("demo-account.json", &options);
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.rule.starts_with("trust-missing-external-id"))
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.rule == "trust-weak-external-id")
    );
}

#[test]
fn cli_json_report_and_exit_codes() {
    let input = fixture("demo-account.json");
    let input = input.to_str().unwrap();
    let out = cli(&["check", "--input", input, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout_json(&out);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["source"], "file");
    assert_eq!(json["tool"]["name"], "connector-audit");
    assert_eq!(json["summary"]["findings"]["critical"], 6);
    for key in [
        "account_id",
        "generated_at",
        "complete",
        "roles",
        "findings",
        "errors",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    let f = &json["findings"][0];
    for key in [
        "id",
        "rule",
        "severity",
        "role_name",
        "role_arn",
        "policy",
        "statement",
        "message",
        "evidence",
        "remediation",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}");
    }

    // only the Amazon Q roles: one medium finding, under the default --fail-on high
    let out = cli(&[
        "check",
        "--input",
        input,
        "--tag-value",
        "amazon-q",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out)["summary"]["roles_audited"], 2);
    let out = cli(&[
        "check",
        "--input",
        input,
        "--tag-value",
        "amazon-q",
        "--fail-on",
        "medium",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));

    // a tag key nobody uses: nothing audited, exit 0
    let out = cli(&[
        "check",
        "--input",
        input,
        "--tag-key",
        "nope",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out)["summary"]["roles_audited"], 0);
}

#[test]
fn cli_table_and_stdin() {
    let text = std::fs::read(fixture("demo-account.json")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .args([
            "check",
            "--input",
            "-",
            "--format",
            "table",
            "--fail-on",
            "info",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("16 connector role(s) audited"), "{table}");
    assert!(
        table.contains("Findings: 6 critical, 7 high, 5 medium, 0 low, 0 info"),
        "{table}"
    );
    assert!(table.contains("fix: "));
}

#[test]
fn cli_input_errors_exit_2_and_name_the_place() {
    let dir = std::env::temp_dir().join(format!("connector-audit-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("truncated.json");
    std::fs::write(
        &bad,
        "{\n  \"RoleDetailList\": [\n    {\"RoleName\": \"x\",\n",
    )
    .unwrap();
    let out = cli(&["check", "--input", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("truncated.json"), "{err}");
    assert!(
        err.contains("line 4, column 0") || err.contains("line 3"),
        "{err}"
    );

    let wrong = dir.join("wrong-shape.json");
    std::fs::write(&wrong, r#"{"Roles": []}"#).unwrap();
    let out = cli(&["check", "--input", wrong.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RoleDetailList"));

    let out = cli(&[
        "check",
        "--input",
        dir.join("absent.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("absent.json"));

    let demo = fixture("demo-account.json");
    let out = cli(&[
        "check",
        "--input",
        demo.to_str().unwrap(),
        "--trusted-account",
        "4286",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`4286`"));

    let out = cli(&[
        "check",
        "--input",
        demo.to_str().unwrap(),
        "--fail-on",
        "severe",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("severe"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_trust_is_a_finding_and_the_other_role_is_audited() {
    let report = report_of("malformed-trust.json", &AuditOptions::default());
    assert_eq!(report.summary.roles_audited, 2);
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let f = &report.findings[0];
    assert_eq!(f.rule, "policy-unparseable");
    assert_eq!(f.role_name, "onyx-broken-trust");
    assert_eq!(f.policy.to_string(), "trust");
    assert!(f.message.contains("not valid JSON"), "{}", f.message);
}

#[test]
fn missing_managed_policy_is_an_error_entry() {
    let report = report_of("missing-managed.json", &AuditOptions::default());
    assert!(!report.complete);
    assert_eq!(report.summary.roles_audited, 2);
    assert_eq!(report.errors.len(), 1);
    let e = &report.errors[0];
    assert_eq!(e.role_name.as_deref(), Some("onyx-s3-full-missing"));
    assert_eq!(e.operation, "resolve-managed-policy");
    assert_eq!(e.code, "NoSuchEntity");
    assert!(
        e.message
            .contains("arn:aws:iam::aws:policy/AmazonS3FullAccess")
    );
}

#[test]
fn an_incomplete_audit_exits_3_and_names_the_roles() {
    let input = fixture("missing-managed.json");
    // exit 3 even with --fail-on info and findings present: findings may be missing
    for fail_on in ["critical", "info"] {
        let out = cli(&[
            "check",
            "--input",
            input.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            fail_on,
        ]);
        assert_eq!(out.status.code(), Some(3), "{fail_on}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("incomplete") && err.contains("onyx-s3-full-missing"),
            "{err}"
        );
        assert_eq!(stdout_json(&out)["complete"], false);
    }
}

#[test]
fn rules_command() {
    let out = cli(&["rules"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for id in [
        "trust-any-principal",
        "s3-unused-delete",
        "policy-unparseable",
    ] {
        assert!(text.contains(id), "{id}");
    }
    let out = cli(&["rules", "trust-weak-external-id"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("What it flags") && text.contains("Fix"),
        "{text}"
    );
    let out = cli(&["rules", "no-such-rule"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`no-such-rule`"));
}

#[test]
fn render_prints_a_saved_report() {
    let demo = fixture("demo-account.json");
    let out = cli(&[
        "check",
        "--input",
        demo.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let dir = std::env::temp_dir().join(format!("connector-audit-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let saved = dir.join("report.json");
    std::fs::write(&saved, &out.stdout).unwrap();
    let out = cli(&[
        "render",
        "--report",
        saved.to_str().unwrap(),
        "--format",
        "table",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("Findings: 6 critical, 7 high, 5 medium"),
        "{table}"
    );
    let out = cli(&[
        "render",
        "--report",
        saved.to_str().unwrap(),
        "--fail-on",
        "critical",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["schema_version"], 1);
    // not a report: exit 2, naming the file
    let out = cli(&["render", "--report", demo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("demo-account.json"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--fixes DIR` writes one corrected document per document with a finding that has a fix,
/// and `apply.sh`, which names each AWS CLI command and refuses to run while a placeholder is
/// left; `render --fixes` writes the same set from a saved report.
#[test]
fn fixes_are_written_never_applied() {
    let dir = std::env::temp_dir().join(format!("connector-audit-fixes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let demo = fixture("demo-account.json");
    let out = cli(&[
        "check",
        "--input",
        demo.to_str().unwrap(),
        "--format",
        "json",
        "--fixes",
        dir.to_str().unwrap(),
    ]);
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    let documents: std::collections::BTreeSet<(String, String)> = report
        .findings
        .iter()
        .filter_map(|f| {
            f.fix
                .as_ref()
                .map(|x| (f.role_arn.clone(), x.policy.to_string()))
        })
        .collect();
    assert!(documents.len() >= 8, "{documents:?}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), documents.len() + 1, "{names:?}");
    assert!(names.contains(&"123456789012.upsolver-no-external-id.trust.json".to_string()));
    let fixed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("123456789012.upsolver-no-external-id.trust.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        fixed["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        "<VENDOR_EXTERNAL_ID>"
    );
    let script = std::fs::read_to_string(dir.join("apply.sh")).unwrap();
    assert!(script.contains(
        "aws iam update-assume-role-policy --role-name 'upsolver-no-external-id' --policy-document file://123456789012.upsolver-no-external-id.trust.json"
    ));
    assert!(script.contains("aws iam detach-role-policy --role-name 'onyx-readonly-managed'"));
    // placeholders left: the script stops before any AWS call (no `aws` on its PATH at all)
    let run = Command::new("sh")
        .arg(dir.join("apply.sh"))
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("fill the placeholders"),
        "{run:?}"
    );
    // the same set from the saved report
    let saved = dir.join("report.json.saved");
    std::fs::write(&saved, &out.stdout).unwrap();
    let again = std::env::temp_dir().join(format!(
        "connector-audit-fixes-render-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&again);
    let rendered = cli(&[
        "render",
        "--report",
        saved.to_str().unwrap(),
        "--format",
        "json",
        "--fixes",
        again.to_str().unwrap(),
    ]);
    assert!(
        rendered.status.code().is_some_and(|c| c <= 1),
        "{rendered:?}"
    );
    for name in names {
        assert_eq!(
            std::fs::read(dir.join(&name)).unwrap(),
            std::fs::read(again.join(&name)).unwrap(),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&again);
}
