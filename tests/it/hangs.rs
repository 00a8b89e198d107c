//! Endpoints that accept the connection and never answer, at each request of a run that
//! matters: the roles (GetAccountAuthorizationDetails), the central suppressions, the previous
//! report, the run's report, the publication marker, PublishBatch, the latest report and the
//! probe's AssumeRole. The hang is the fault proxy's (`support/fault_proxy.rs`, `hang_on`): it
//! reads the request and holds the connection. Every invocation must answer before its
//! deadline with the right error; when publishing is what hangs, the invocation fails and the
//! full report is in the report bucket. Twice: cut by the SDK's timeouts (the error names the
//! operation), and with timeouts longer than the invocation, cut by the deadline.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use connector_audit::app::settings::TimeoutSettings;
use connector_audit::app::{Run, Services, Settings};
use connector_audit::aws::Clients;
use connector_audit::lambda::{HandlerError, handle};
use connector_audit::model::Report;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::json;
use std::time::{Duration, Instant};
use support::fault_proxy::{FaultProxy, Faults};
use support::{Moto, drain, now_ms, s3_client, seed_demo_account, topic_with_queue};

/// SDK configuration through `endpoint`: two attempts, short backoff.
async fn conf_via(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "static",
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(50)),
        )
        .load()
        .await
}

fn timeouts(attempt: u64, operation: u64) -> TimeoutSettings {
    TimeoutSettings {
        connect: Duration::from_secs(1),
        attempt: Duration::from_secs(attempt),
        operation: Duration::from_secs(operation),
    }
}

/// A listener that accepts connections and never reads or answers: the CLI's run (no
/// deadline) ends within the SDK's timeouts, with the operation named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_answers_ends_a_run_without_deadline_in_its_timeouts() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        // accept a few connections, keep them open, answer nothing
        let mut open = Vec::new();
        for conn in listener.incoming().take(8) {
            open.push(conn);
        }
        std::thread::sleep(Duration::from_secs(30));
        drop(open);
    });
    let clients = Clients::with_timeouts(
        &conf_via(&format!("http://127.0.0.1:{port}")).await,
        &timeouts(1, 2),
    );
    let started = Instant::now();
    let out = connector_audit::app::run(
        &Settings::default(),
        &Run::new("hang", "2026-01-01T00:00:00Z"),
        &Services::new(clients),
    )
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let e = &out.report.errors[0];
    assert_eq!(
        (e.operation.as_str(), e.code.as_str()),
        ("inventory", "InventoryFailed")
    );
    assert!(
        e.message.contains("iam:GetAccountAuthorizationDetails") && e.message.contains("Timeout"),
        "{}",
        e.message
    );
    assert!(!out.report.complete);
    drop(held);
}

/// Where the run hangs, and what must come of it.
struct Position {
    name: &'static str,
    /// Text of the request that hangs (`{b}` is the position's bucket).
    hang: &'static str,
    /// The operation and code of the error entry it leaves (`None`: the invocation fails).
    error: Option<(&'static str, &'static [&'static str])>,
    probe: bool,
}

const POSITIONS: [Position; 8] = [
    Position {
        name: "roles",
        hang: "Action=GetAccountAuthorizationDetails",
        error: Some(("inventory", &["InventoryFailed", "DeadlineExceeded"])),
        probe: false,
    },
    Position {
        name: "suppressions",
        hang: "GET /cfg/suppressions.json",
        error: Some(("read-suppressions", &["Timeout", "DeadlineExceeded"])),
        probe: false,
    },
    Position {
        name: "previous",
        hang: "/reports/latest/",
        error: Some((
            "read-previous-report",
            &["PreviousReportUnreadable", "DeadlineExceeded"],
        )),
        probe: false,
    },
    Position {
        name: "report",
        hang: "PUT /{b}/reports/20",
        error: Some(("store-report", &["StoreFailed", "DeadlineExceeded"])),
        probe: false,
    },
    Position {
        name: "marker",
        hang: "/reports/published/",
        error: None,
        probe: false,
    },
    Position {
        name: "publish",
        hang: "Action=PublishBatch",
        error: None,
        probe: false,
    },
    Position {
        name: "latest",
        hang: "PUT /{b}/reports/latest/",
        error: Some(("store-report", &["StoreFailed", "DeadlineExceeded"])),
        probe: false,
    },
    Position {
        name: "probe",
        hang: "Action=AssumeRole&",
        error: Some(("probe", &["Timeout", "DeadlineExceeded"])),
        probe: true,
    },
];

/// The invocation's time, and the margin kept for reporting and publishing.
const INVOCATION: Duration = Duration::from_secs(14);
const MARGIN: &str = "5";

/// What one position gave: its name, how long the invocation took, its result.
struct Outcome {
    name: &'static str,
    took: Duration,
    result: Result<Report, HandlerError>,
    published: usize,
    stored: Vec<String>,
}

async fn at(moto: &Moto, index: usize, p: &Position, sdk: TimeoutSettings) -> Outcome {
    let conf = moto.sdk_config().await;
    let bucket = format!("reports-{index}");
    let s3 = s3_client(&conf);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let (topic, queue) = topic_with_queue(&conf, &format!("findings-{index}")).await;
    // the hang text names this position's bucket, so that one proxy serves one position
    let hang: &'static str = Box::leak(p.hang.replace("{b}", &bucket).into_boxed_str());
    let proxy = FaultProxy::start(moto.port, Faults::hang_on(hang));
    let clients = Clients::with_timeouts(&conf_via(&proxy.endpoint()).await, &sdk);
    let mut env = vec![
        ("FINDINGS_TOPIC_ARN", topic.as_str()),
        ("REPORT_BUCKET", bucket.as_str()),
        ("DEADLINE_MARGIN_SECONDS", MARGIN),
        ("SUPPRESSIONS_S3_URI", "s3://cfg/suppressions.json"),
    ];
    if p.probe {
        env.push(("PROBE", "on"));
    }
    let deps = support::deps(&clients, &env);
    let mut context = Context::default();
    context.request_id = format!("hang-{}", p.name);
    context.deadline = now_ms() + INVOCATION.as_millis() as u64;
    let started = Instant::now();
    let result = handle(LambdaEvent::new(json!({}), context), &deps)
        .await
        .map(|v| serde_json::from_value::<Report>(v).unwrap());
    let took = started.elapsed();
    drop(proxy);
    let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    Outcome {
        name: p.name,
        took,
        result,
        published: drain(&conf, &queue).await.len(),
        stored: listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect(),
    }
}

/// Every position at once (one emulator), each behind its own hanging proxy.
async fn every_position(sdk: TimeoutSettings) -> Vec<Outcome> {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    seed_demo_account(&conf).await;
    let s3 = s3_client(&conf);
    s3.create_bucket().bucket("cfg").send().await.unwrap();
    s3.put_object()
        .bucket("cfg")
        .key("suppressions.json")
        .body(br#"{"suppressions": []}"#.to_vec().into())
        .send()
        .await
        .unwrap();
    let runs = POSITIONS
        .iter()
        .enumerate()
        .map(|(i, p)| at(&moto, i, p, sdk));
    futures::future::join_all(runs).await
}

fn check(outcomes: &[Outcome], deadline_cut: bool) {
    for (o, p) in outcomes.iter().zip(&POSITIONS) {
        let name = o.name;
        // one line per position, for BENCHMARKS.md (`--nocapture`)
        let what = match &o.result {
            Ok(r) => {
                let e = p
                    .error
                    .and_then(|(op, _)| r.errors.iter().find(|e| e.operation == op));
                e.map_or("ok".to_string(), |e| format!("{} {}", e.operation, e.code))
            }
            Err(e) => format!(
                "invocation failed: {}",
                e.to_string().chars().take(60).collect::<String>()
            ),
        };
        eprintln!(
            "hang at {name:<12} answered after {:>5.1} s of {} s: {what}; {} message(s) published",
            o.took.as_secs_f64(),
            INVOCATION.as_secs(),
            o.published
        );
        assert!(
            o.took < INVOCATION,
            "{name}: answered after {:?}, past the invocation's deadline",
            o.took
        );
        let report_stored = o
            .stored
            .iter()
            .any(|k| k.starts_with("reports/20") && k.ends_with(&format!("/hang-{name}.json")));
        match (&o.result, p.error) {
            (Ok(report), Some((operation, codes))) => {
                let entries: Vec<_> = report
                    .errors
                    .iter()
                    .filter(|e| e.operation == operation)
                    .collect();
                // a probe that could not assume the role says why on the role itself
                let probe_codes = report
                    .roles
                    .iter()
                    .filter_map(|r| r.probe.as_ref())
                    .filter_map(|p| p.error_code.as_ref())
                    .map(|c| c.as_str().to_string());
                let found: Vec<String> = entries
                    .iter()
                    .map(|e| e.code.as_str().to_string())
                    .chain(probe_codes)
                    .collect();
                assert!(
                    found.iter().any(|c| codes.contains(&c.as_str())),
                    "{name}: {found:?} {:?}",
                    report.errors
                );
                let entry = entries.first().copied();
                assert!(!report.complete, "{name}");
                if deadline_cut && operation != "probe" {
                    assert!(
                        report.errors.iter().any(|e| e.code == "DeadlineExceeded"),
                        "{name}: {:?}",
                        report.errors
                    );
                }
                let cut_by_sdk = entry.is_some_and(|e| e.code != "DeadlineExceeded");
                if !deadline_cut && operation != "probe" && cut_by_sdk {
                    // the SDK's timeout names the operation that hung
                    let message = entry.map(|e| e.message.as_str()).unwrap_or_default();
                    assert!(
                        message.contains("s3:GetObject")
                            || message.contains("s3:PutObject")
                            || message.contains("iam:GetAccountAuthorizationDetails"),
                        "{name}: {message}"
                    );
                }
                assert!(o.published >= 1, "{name}: the summary is published");
                if name != "report" {
                    assert!(report_stored, "{name}: {:?}", o.stored);
                }
            }
            (Ok(_), None) => {
                // the publication marker hung: published anyway, once
                assert_eq!(name, "marker");
                assert!(o.published >= 1, "{name}");
                assert!(report_stored, "{name}: {:?}", o.stored);
            }
            (Err(e), None) => {
                assert_eq!(name, "publish", "{e}");
                assert!(matches!(e, HandlerError::Publish { .. }), "{e}");
                assert!(
                    e.to_string().contains("publishing the findings failed"),
                    "{e}"
                );
                // the full report is in the bucket; the latest state did not move on
                assert!(report_stored, "{name}: {:?}", o.stored);
                assert!(!o.stored.iter().any(|k| k.starts_with("reports/latest/")));
                assert!(!o.stored.iter().any(|k| k.starts_with("reports/published/")));
            }
            (Err(e), Some(_)) => panic!("{name}: the invocation failed: {e}"),
        }
    }
}

/// The SDK's timeouts (2 s attempts, 4 s calls) cut each hang: the error names the operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_at_each_request_is_cut_by_the_sdk_timeouts() {
    let outcomes = every_position(timeouts(2, 4)).await;
    check(&outcomes, false);
}

/// Timeouts longer than the invocation (60 s): the deadline cuts each hang, and the run
/// still answers in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_at_each_request_is_cut_by_the_deadline() {
    let outcomes = every_position(timeouts(60, 120)).await;
    check(&outcomes, true);
}

/// Lambda retries a failed asynchronous invocation with the same request id: a run that
/// already published does not publish again; another run does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_invocation_does_not_publish_twice() {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    seed_demo_account(&conf).await;
    s3_client(&conf)
        .create_bucket()
        .bucket("reports")
        .send()
        .await
        .unwrap();
    let (topic, queue) = topic_with_queue(&conf, "findings").await;
    let clients = Clients::from_conf(&conf);
    let deps = support::deps(
        &clients,
        &[
            ("FINDINGS_TOPIC_ARN", topic.as_str()),
            ("REPORT_BUCKET", "reports"),
        ],
    );
    let invoke = |id: &str| {
        let mut context = Context::default();
        context.request_id = id.to_string();
        handle(LambdaEvent::new(json!({}), context), &deps)
    };
    invoke("run-1").await.unwrap();
    let first = drain(&conf, &queue).await.len();
    assert!(first > 1);
    invoke("run-1").await.unwrap();
    assert_eq!(drain(&conf, &queue).await.len(), 0, "published twice");
    invoke("run-2").await.unwrap();
    assert_eq!(drain(&conf, &queue).await.len(), first);
}
