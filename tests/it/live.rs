//! The live audit against a real emulator (moto server): inventory from IAM, the Lambda
//! handler with every event in `events/`, and what an SQS subscriber of the findings topic
//! receives. moto does not enforce IAM here: these tests show the audit reads, judges and
//! publishes what the account holds, not how AWS would authorize the auditor.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use connector_audit::app::ports::FindingSink;
use connector_audit::app::{Outcome, Run, RunError, Services, Settings};
use connector_audit::audit::{AuditOptions, audit};
use connector_audit::aws::{Clients, SnsSink};
use connector_audit::dump::parse_dump;
use connector_audit::lambda::{Deps, handle};
use connector_audit::model::{Report, Severity, Source};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use support::{Moto, drain, fixture, seed_from_dump, topic_with_queue};

fn dump_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn live_run() -> Run {
    Run::new("test-run", "2026-01-01T00:00:00Z")
}

/// A live run with the default settings: the account's roles, no probe, no store, and
/// publishing to `sink` when given.
async fn run_live(clients: &Clients, sink: Option<&SnsSink>) -> Result<Outcome, RunError> {
    let mut services = Services::new(clients.clone());
    services.sink = sink.map(|s| Box::new(s.clone()) as Box<dyn FindingSink>);
    connector_audit::app::run(&Settings::default(), &live_run(), &services).await
}

/// A seeded emulator with the demo account, a findings topic and its subscribed queue.
async fn demo_account() -> (Moto, aws_config::SdkConfig, Clients, String, String) {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    seed_from_dump(&conf, &dump_json("demo-account.json")).await;
    let (topic, queue) = topic_with_queue(&conf, "connector-audit-findings").await;
    let clients = Clients::from_conf(&conf);
    (moto, conf, clients, topic, queue)
}

fn deps(clients: &Clients, topic: Option<&str>) -> Deps {
    let mut env = vec![];
    if let Some(t) = topic {
        env.push(("FINDINGS_TOPIC_ARN", t));
    }
    support::deps(clients, &env)
}

fn event_file(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn invoke(payload: Value) -> LambdaEvent<Value> {
    LambdaEvent::new(payload, Context::default())
}

/// The handler's response to `payload`, as a report.
async fn invoke_report(payload: Value, d: &Deps) -> Report {
    serde_json::from_value(handle(invoke(payload), d).await.unwrap()).unwrap()
}

fn role_names(r: &Report) -> Vec<&str> {
    r.roles.iter().map(|x| x.role_name.as_str()).collect()
}

fn findings_key(r: &Report) -> Vec<(String, String, String, Severity)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.id.clone(),
                f.rule.clone(),
                f.role_name.clone(),
                f.severity,
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_audit_gives_the_same_findings_as_check_on_the_dump() {
    let (_moto, _conf, clients, _topic, _queue) = demo_account().await;
    let live = run_live(&clients, None).await.unwrap();
    let offline = audit(
        parse_dump(&std::fs::read_to_string(fixture("demo-account.json")).unwrap()).unwrap(),
        &AuditOptions::default(),
        Source::File,
        "t".into(),
    );
    let report = live.report;
    assert_eq!(report.source, Source::Live);
    assert_eq!(report.account_id.as_deref(), Some(support::ACCOUNT));
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.complete);
    assert_eq!(report.summary.roles_audited, 16);
    // the same ids: same rule, role ARN (paths included), document and statement
    assert_eq!(findings_key(&report), findings_key(&offline));
    // the AWS managed policy was fetched from IAM, not from the dump
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.role_name == "onyx-readonly-managed"
                && f.policy.to_string()
                    == "managed:arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    );
    assert!(!report.roles.iter().any(|r| r.role_name == "ops-breakglass"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_receive_one_message_per_finding_and_a_summary() {
    let (_moto, conf, clients, topic, queue) = demo_account().await;
    let out = handle(
        invoke(event_file("on-demand.json")),
        &deps(&clients, Some(&topic)),
    )
    .await
    .unwrap();
    let report: Report = serde_json::from_value(out).unwrap();
    let received = drain(&conf, &queue).await;
    // 18 findings, all medium or above, and the summary
    assert_eq!(received.len(), report.findings.len() + 1);
    let mut bodies = Vec::new();
    for envelope in &received {
        let attrs = &envelope["MessageAttributes"];
        let kind = attrs["kind"]["Value"].as_str().unwrap();
        assert_eq!(attrs["account"]["Value"], support::ACCOUNT);
        let subject = envelope["Subject"].as_str().unwrap();
        assert!(
            subject.starts_with("[connector-audit] ") && subject.chars().count() <= 99,
            "{subject}"
        );
        // subscribers of the sqs protocol get the JSON body, not the e-mail text
        let body: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
        assert_eq!(body["kind"], kind);
        if kind == "finding" {
            let f = &body["finding"];
            assert_eq!(attrs["severity"]["Value"], f["severity"]);
            assert_eq!(attrs["rule"]["Value"], f["rule"]);
            assert_eq!(attrs["role"]["Value"], f["role_name"]);
            assert_eq!(body["role_arn"], f["role_arn"]);
            assert_eq!(
                subject,
                format!(
                    "[connector-audit] {} {}: {}",
                    f["severity"].as_str().unwrap().to_uppercase(),
                    f["rule"].as_str().unwrap(),
                    f["role_name"].as_str().unwrap()
                )
            );
        } else {
            assert_eq!(body["roles_audited"], 16);
            assert_eq!(body["findings"]["critical"], 6);
        }
        bodies.push(json!({ "subject": subject, "attributes": attrs, "body": body }));
    }
    bodies.sort_by_key(|b| b["subject"].as_str().unwrap().to_string() + &b["body"].to_string());
    insta::assert_json_snapshot!("sns-messages", bodies, {
        "[].body.run_id" => "[run]",
        "[].body.generated_at" => "[time]",
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_behaves_as_documented() {
    let (_moto, conf, clients, topic, queue) = demo_account().await;
    let d = deps(&clients, Some(&topic));

    // scheduled: everything, published
    let r = invoke_report(event_file("scheduled.json"), &d).await;
    assert_eq!(r.summary.roles_audited, 16);
    assert_eq!(drain(&conf, &queue).await.len(), r.findings.len() + 1);

    // single role: only that role, published
    let r = invoke_report(event_file("single-role.json"), &d).await;
    assert_eq!(role_names(&r), ["upsolver-no-external-id"]);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].rule, "trust-missing-external-id");
    assert_eq!(drain(&conf, &queue).await.len(), 2);

    // dry run: the report, nothing published
    let r = invoke_report(event_file("dry-run.json"), &d).await;
    assert_eq!(r.summary.roles_audited, 16);
    assert!(drain(&conf, &queue).await.is_empty());

    // on-demand with min_severity critical: only the 6 critical findings and the summary
    let r = invoke_report(json!({"min_severity": "critical"}), &d).await;
    assert_eq!(r.findings.len(), 18);
    assert_eq!(drain(&conf, &queue).await.len(), 7);

    // anything else: a clear error, nothing published
    let err = handle(invoke(event_file("invalid-unknown-field.json")), &d)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown field `role`"), "{err}");
    assert!(err.to_string().contains("`roles`"), "{err}");
    let err = handle(invoke(json!(["not", "an", "object"])), &d)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a JSON object"), "{err}");
    assert!(drain(&conf, &queue).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untagged_roles_are_never_audited_even_when_named() {
    let (_moto, _conf, clients, _topic, _queue) = demo_account().await;
    let d = deps(&clients, None);
    let r = invoke_report(
        json!({"roles": ["ops-breakglass", "onyx-s3-reader"], "publish": false}),
        &d,
    )
    .await;
    assert_eq!(role_names(&r), ["onyx-s3-reader"]);
    assert!(!r.complete);
    assert_eq!(r.errors[0].code, "NotAConnectorRole");
    assert!(r.findings.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trust_that_is_not_json_is_a_finding_and_the_others_are_audited() {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    seed_from_dump(&conf, &dump_json("malformed-trust.json")).await;
    let clients = Clients::from_conf(&conf);
    let r = run_live(&clients, None).await.unwrap().report;
    assert_eq!(r.summary.roles_audited, 2);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].rule, "policy-unparseable");
    assert_eq!(r.findings[0].role_name, "onyx-broken-trust");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_to_a_missing_topic_fails_and_keeps_the_report() {
    let (_moto, _conf, clients, _topic, _queue) = demo_account().await;
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic";
    let sink = SnsSink {
        client: clients.sns.clone(),
        topic_arn: missing.into(),
    };
    match run_live(&clients, Some(&sink)).await {
        Err(RunError::Publish { report, source, .. }) => {
            assert_eq!(report.summary.roles_audited, 16);
            assert_eq!(report.findings.len(), 18);
            let msg = source.to_string();
            assert!(
                msg.contains("sns:PublishBatch") && msg.contains("NotFound"),
                "{msg}"
            );
        }
        other => panic!("expected a publish failure, got {other:?}"),
    }
    // through the handler: the invocation fails with the reason
    let err = handle(invoke(json!({})), &deps(&clients, Some(missing)))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("publishing the findings failed"),
        "{err}"
    );
    // and publishing without a topic is refused up front
    let err = handle(invoke(json!({})), &deps(&clients, None))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("FINDINGS_TOPIC_ARN"), "{err}");
    // the sink on its own reports the same
    assert!(sink.publish(&[]).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_audits_the_live_account_and_publishes() {
    let (moto, conf, _clients, topic, queue) = demo_account().await;
    // `connector-audit audit --region us-east-1 --format json ARGS...` against the emulator
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_connector-audit"))
            .args(["audit", "--region", "us-east-1", "--format", "json"])
            .args(args)
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    };
    let out = cli(&["--publish", &topic]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.source, Source::Live);
    assert_eq!(report.summary.roles_audited, 16);
    assert!(String::from_utf8_lossy(&out.stderr).contains("published 19 message(s)"));
    assert_eq!(drain(&conf, &queue).await.len(), 19);

    // one role, nothing at or above critical: exit 0
    let out = cli(&["--roles", "amazon-q-unpinned", "--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(0));

    // a missing topic: the report is still printed, the exit status says it failed
    let out = cli(&["--publish", "arn:aws:sns:us-east-1:123456789012:nope"]);
    assert_eq!(out.status.code(), Some(2));
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.summary.roles_audited, 16);
    assert!(String::from_utf8_lossy(&out.stderr).contains("publishing the findings failed"));
}

/// The fixes applied as a team would apply them: `audit --fixes DIR` against the emulated demo
/// account, every placeholder filled with a strong value, the generated `apply.sh` run with the
/// pinned AWS CLI (`requirements-cli.txt`, `make test` installs it) against the emulator, and
/// the account audited again: each fixed finding is gone and no role has a finding of a rule it
/// did not have before (by rule: a corrected AWS managed policy comes back as an inline one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_script_applies_the_fixes_and_they_clear_the_findings() {
    let (moto, _conf, _clients, _topic, _queue) = demo_account().await;
    let cli_venv = std::env::var("CONNECTOR_AUDIT_CLI_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-cli"));
    assert!(
        cli_venv.join("bin/aws").exists(),
        "{} has no AWS CLI: run `make .venv-cli/.installed` (`make test` does)",
        cli_venv.display()
    );
    let dir = std::env::temp_dir().join(format!(
        "connector-audit-apply-{}-{}",
        std::process::id(),
        moto.port
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let with_aws = |c: &mut std::process::Command| {
        c.env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE");
    };
    let audit = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_connector-audit"));
        c.args(["audit", "--region", "us-east-1", "--format", "json"])
            .args(args);
        with_aws(&mut c);
        let out = c.output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Report>(&out.stdout).unwrap()
    };
    let before = audit(&["--fixes", dir.to_str().unwrap()]);
    let fixed: Vec<&connector_audit::model::Finding> =
        before.findings.iter().filter(|f| f.fix.is_some()).collect();
    assert!(fixed.len() >= 10, "only {} fixed findings", fixed.len());

    // the team's part: the placeholders, filled with valid, strong values
    let values = [
        (
            "<VENDOR_EXTERNAL_ID>",
            "kT7vQ2mX9pL4wR8zN3cF6hJ1sD5gB0yE".to_string(),
        ),
        (
            "<VENDOR_PRINCIPAL_ARN>",
            format!("arn:aws:iam::{}:role/connector-gateway", support::ACCOUNT),
        ),
        (
            "<OIDC_SUBJECT>",
            "system:serviceaccount:connector:reader".into(),
        ),
        (
            "<OIDC_AUDIENCE>",
            "us-east-1:2b7c9e4f-1a3d-4e5f-8a6b-9c0d1e2f3a4b".into(),
        ),
        ("<BUCKET>", "acme-connector-data".into()),
    ];
    let mut documents = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let mut text = std::fs::read_to_string(&path).unwrap();
            for (token, value) in &values {
                text = text.replace(token, value);
            }
            std::fs::write(&path, text).unwrap();
            documents += 1;
        }
    }
    assert!(documents >= 8, "{documents} corrected documents");

    let mut apply = std::process::Command::new("sh");
    apply.arg(dir.join("apply.sh")).env(
        "PATH",
        format!("{}:/usr/bin:/bin", cli_venv.join("bin").display()),
    );
    with_aws(&mut apply);
    let applied = apply.output().unwrap();
    assert!(
        applied.status.success(),
        "apply.sh: {}\n{}",
        String::from_utf8_lossy(&applied.stdout),
        String::from_utf8_lossy(&applied.stderr)
    );

    let after = audit(&[]);
    let key = |f: &connector_audit::model::Finding| {
        (
            f.role_arn.clone(),
            f.rule.clone(),
            f.policy.to_string(),
            f.statement.as_ref().map(|s| s.index),
        )
    };
    let now: std::collections::BTreeSet<_> = after.findings.iter().map(key).collect();
    for f in &fixed {
        assert!(
            !now.contains(&key(f)),
            "the fix of {} on {} did not clear it",
            f.rule,
            f.role_name
        );
    }
    let was: std::collections::BTreeSet<(String, String)> = before
        .findings
        .iter()
        .map(|f| (f.role_arn.clone(), f.rule.clone()))
        .collect();
    for f in &after.findings {
        assert!(
            was.contains(&(f.role_arn.clone(), f.rule.clone())),
            "the fixes opened {} on {}: {}",
            f.rule,
            f.role_name,
            f.message
        );
    }
    assert!(after.findings.len() < before.findings.len());
    let _ = std::fs::remove_dir_all(&dir);
}
