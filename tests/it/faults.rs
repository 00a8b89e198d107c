//! The live audit under injected faults: a fault proxy (`support/fault_proxy.rs`) between the
//! SDK and the emulator answers a share of requests with throttling (400/429, S3 SlowDown),
//! 500/503, slow answers and dropped connections. With retries, the audit must give exactly
//! the findings of a clean run and lose no message; when retries run out, the roles concerned
//! must be reported as not audited, never silently skipped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use connector_audit::app::{Outcome, Run, RunError, Services, Settings};
use connector_audit::aws::{Clients, SnsSink};
use connector_audit::lambda::handle;
use connector_audit::model::Report;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use serde_json::json;
use std::time::Duration;
use support::fault_proxy::{FaultProxy, Faults};
use support::{Moto, deps, drain, now_ms, object, s3_client, seed_demo_account, topic_with_queue};

fn live_run() -> Run {
    Run::new("faults", "2026-01-01T00:00:00Z")
}

/// A live run with the default settings, these clients' roles, publishing to `sink`.
async fn run_live(clients: &Clients, sink: &SnsSink) -> Result<Outcome, RunError> {
    let mut services = Services::new(clients.clone());
    services.sink = Some(Box::new(sink.clone()));
    connector_audit::app::run(&Settings::default(), &live_run(), &services).await
}

/// SDK configuration through `endpoint`, retrying up to `attempts` times with short backoff
/// (the test's time goes to faults, not to waiting).
async fn conf_via(endpoint: &str, attempts: u32) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "static",
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(50)),
        )
        .load()
        .await
}

fn findings_key(r: &Report) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.id.clone(), f.rule.clone(), f.role_name.clone()))
        .collect();
    v.sort();
    v
}

async fn demo() -> (Moto, aws_config::SdkConfig, String, String) {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    seed_demo_account(&conf).await;
    let (topic, queue) = topic_with_queue(&conf, "findings").await;
    (moto, conf, topic, queue)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_percent_faults_give_the_clean_runs_findings_and_messages() {
    let (moto, conf, topic, queue) = demo().await;
    let clean_clients = Clients::from_conf(&conf);
    let sink = SnsSink {
        client: clean_clients.sns.clone(),
        topic_arn: topic.clone(),
    };
    let clean = run_live(&clean_clients, &sink).await.unwrap();
    let clean_messages = drain(&conf, &queue).await.len();
    assert_eq!(clean_messages, clean.published);

    for seed in 1..=6 {
        let proxy = FaultProxy::start(moto.port, Faults::new(0.3, seed));
        let clients = Clients::from_conf(&conf_via(&proxy.endpoint(), 12).await);
        let sink = SnsSink {
            client: clients.sns.clone(),
            topic_arn: topic.clone(),
        };
        let faulty = run_live(&clients, &sink).await.unwrap();
        assert!(
            proxy.stats.faults() > 0,
            "no fault was injected: {}",
            proxy.stats.line()
        );
        assert!(
            faulty.report.complete,
            "seed {seed}: {:?}",
            faulty.report.errors
        );
        assert_eq!(
            findings_key(&faulty.report),
            findings_key(&clean.report),
            "seed {seed}"
        );
        assert_eq!(faulty.report.summary, clean.report.summary);
        // every message arrived exactly once
        assert_eq!(faulty.published, clean.published);
        let received = drain(&conf, &queue).await;
        assert_eq!(
            received.len(),
            clean_messages,
            "seed {seed}: {}",
            proxy.stats.line()
        );
        eprintln!("seed {seed}: {}", proxy.stats.line());
    }
}

/// Every GetPolicyVersion fails, whatever the retries: the roles attaching AWS managed
/// policies are reported as not audited in full; the others are audited; the summary message
/// names them; the CLI exits 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_name_the_roles_not_audited() {
    let (moto, conf, topic, queue) = demo().await;
    let proxy = FaultProxy::start(
        moto.port,
        Faults::new(1.0, 7)
            .failing()
            .only("Action=GetPolicyVersion"),
    );
    let clients = Clients::from_conf(&conf_via(&proxy.endpoint(), 3).await);
    let sink = SnsSink {
        client: clients.sns.clone(),
        topic_arn: topic.clone(),
    };
    let out = run_live(&clients, &sink).await.unwrap();
    let report = &out.report;
    assert!(!report.complete);
    let failed: Vec<&str> = report
        .errors
        .iter()
        .filter(|e| e.operation == "resolve-managed-policy")
        .map(|e| e.role_name.as_deref().unwrap())
        .collect();
    assert!(!failed.is_empty(), "{:?}", report.errors);
    // every role is in the report: audited (without the unreadable policy) or named in errors
    assert_eq!(report.summary.roles_audited, 16);
    let summary = drain(&conf, &queue)
        .await
        .into_iter()
        .map(|e| serde_json::from_str::<Value>(e["Message"].as_str().unwrap()).unwrap())
        .find(|m| m["kind"] == "summary")
        .unwrap();
    assert_eq!(summary["complete"], false);
    for role in &failed {
        assert!(
            summary["roles_with_errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == role),
            "{role} not in {summary}"
        );
    }

    // the CLI, through the same failing proxy: exit 3, report printed
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .args([
            "audit",
            "--region",
            "us-east-1",
            "--format",
            "json",
            "--max-attempts",
            "2",
            "--retry-mode",
            "standard",
        ])
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!printed.complete);
    assert!(String::from_utf8_lossy(&out.stderr).contains("incomplete"));
}

/// Nothing answers at all: the inventory fails, and the report (and the summary) says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_iam_gives_an_incomplete_report_not_a_crash() {
    let (moto, conf, topic, queue) = demo().await;
    let proxy = FaultProxy::start(
        moto.port,
        Faults::new(1.0, 9)
            .failing()
            .only("Action=GetAccountAuthorizationDetails"),
    );
    let clients = Clients::from_conf(&conf_via(&proxy.endpoint(), 2).await);
    let sink = SnsSink {
        client: clients.sns.clone(),
        topic_arn: topic,
    };
    let out = run_live(&clients, &sink).await.unwrap();
    assert!(!out.report.complete);
    assert_eq!(out.report.errors[0].code, "InventoryFailed");
    let received = drain(&conf, &queue).await;
    assert_eq!(received.len(), 1, "the summary is still published");
}

/// The function with 6 s left and reading the roles taking 20 s: it stops waiting at its
/// margin (4 s before the deadline: room for publishing on a loaded machine), returns an
/// incomplete report in time and publishes the summary that says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_answers_before_its_deadline() {
    let (moto, conf, topic, queue) = demo().await;
    let proxy = FaultProxy::start(
        moto.port,
        Faults::new(1.0, 3)
            .slow_only(Duration::from_secs(20))
            .only("Action=GetAccountAuthorizationDetails"),
    );
    let clients = Clients::from_conf(&conf_via(&proxy.endpoint(), 2).await);
    let env = [
        ("FINDINGS_TOPIC_ARN", topic.as_str()),
        ("DEADLINE_MARGIN_SECONDS", "4"),
    ];
    let deps = deps(&clients, &env);
    let mut context = Context::default();
    context.deadline = now_ms() + 6_000;
    let started = std::time::Instant::now();
    let response = handle(LambdaEvent::new(json!({}), context), &deps)
        .await
        .unwrap();
    let answered_after = started.elapsed();
    let report: Report = serde_json::from_value(response).unwrap();
    assert!(!report.complete);
    assert_eq!(
        report.errors[0].code, "DeadlineExceeded",
        "{:?}",
        report.errors
    );
    // it answered before the invocation's deadline, not after the slow call
    assert!(
        answered_after < Duration::from_millis(6_000),
        "answered after {answered_after:?}"
    );
    let summary = drain(&conf, &queue).await;
    assert_eq!(summary.len(), 1);
    let body: Value = serde_json::from_str(summary[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(body["complete"], false);
}

/// SNS is down (every PublishBatch fails, whatever the retries): the invocation fails, so
/// EventBridge retries it and the failure queue keeps it; the report was written to the report
/// bucket first and is whole there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sns_outage_fails_the_invocation_but_the_report_is_in_s3() {
    let (moto, conf, topic, queue) = demo().await;
    let s3 = s3_client(&conf);
    s3.create_bucket()
        .bucket("audit-reports")
        .send()
        .await
        .unwrap();
    let proxy = FaultProxy::start(
        moto.port,
        Faults::new(1.0, 5).failing().only("Action=PublishBatch"),
    );
    let clients = Clients::from_conf(&conf_via(&proxy.endpoint(), 3).await);
    let env = [
        ("FINDINGS_TOPIC_ARN", topic.as_str()),
        ("REPORT_BUCKET", "audit-reports"),
    ];
    let deps = deps(&clients, &env);
    let mut context = Context::default();
    context.request_id = "0a1f7a8c-807c-4085-b3f3-6b06e064d736".into();
    let err = handle(LambdaEvent::new(json!({}), context), &deps)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("publishing the findings failed"),
        "{err}"
    );
    let diagnostic: lambda_runtime::Diagnostic = err.into();
    assert_eq!(diagnostic.error_type, "PublishFailed");
    assert!(drain(&conf, &queue).await.is_empty());

    let listed = s3
        .list_objects_v2()
        .bucket("audit-reports")
        .prefix("reports/")
        .send()
        .await
        .unwrap();
    let all: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    // the report, and its HTML page beside it
    let keys: Vec<&str> = all
        .iter()
        .copied()
        .filter(|k| k.ends_with(".json"))
        .collect();
    assert_eq!(keys.len(), 1, "{all:?}");
    assert_eq!(all.len(), 2, "{all:?}");
    let key = keys[0];
    assert!(
        key.starts_with("reports/20")
            && key.ends_with("/0a1f7a8c-807c-4085-b3f3-6b06e064d736.json"),
        "{key}"
    );
    let body = object(&s3, "audit-reports", key).await;
    let stored: Report = serde_json::from_slice(&body).unwrap();
    assert_eq!(stored.summary.roles_audited, 16);
    assert!(stored.complete);
    // the same date as the report says
    assert!(key.contains(&stored.generated_at[..10].replace('-', "/")));
}
