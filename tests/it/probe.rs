//! The probe against the emulator WITH IAM ENFORCEMENT ON (moto's `reset-auth`): the auditor
//! is an IAM user with only the permissions the function's role has, and each connector
//! role's S3 requests are authorized by moto against that role's policies. What moto does not
//! enforce (session policies, conditions, case-insensitive actions) is proved elsewhere with
//! our own engine; `lowercase-actions` uses moto's case-sensitive matching to stand for a
//! control outside the role (an SCP) that denies what the documents allow.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use aws_sdk_iam::types::Tag;
use connector_audit::app::{Run, RunError, Services, Settings};
use connector_audit::aws::Clients;
use connector_audit::lambda::handle;
use connector_audit::model::{Outcome, Report, RoleProbe};
use connector_audit::probe::{PREFIX, ProbeOptions};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::{Moto, deps, now_ms, object, s3_client};

const VENDOR: &str = "arn:aws:iam::428641199958:root";
const AUDITOR: &str = "arn:aws:iam::123456789012:user/auditor";

/// What the auditor may do: the function's execution role, in an IAM user (moto refuses
/// sessions of a trusted role as principals, which AWS accepts).
const AUDITOR_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["iam:GetAccountAuthorizationDetails","iam:GetPolicy","iam:GetPolicyVersion",
     "sts:AssumeRole","sts:GetCallerIdentity","sns:Publish"],"Resource":"*"},
  {"Effect":"Deny","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/blocked"}]}"#;

/// moto re-signs form bodies with `+` for spaces where the Rust SDK sends `%20`: documents
/// sent while enforcement is on must have no spaces, or the signature check fails.
fn compact(doc: &str) -> String {
    serde_json::from_str::<Value>(doc).unwrap().to_string()
}

/// The trust policy: the auditor's own statement, or the vendor's. (moto answers a trust
/// policy with several principals' statements with a denial for all but a lone matching
/// one, so each role here trusts one principal.)
fn trust(auditor: bool) -> String {
    let (principal, external_id) = if auditor {
        (AUDITOR, "auditor-external-id")
    } else {
        (VENDOR, "vendor-external-id")
    };
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}
    }]})
    .to_string()
}

fn allow(actions: &[&str], resources: &[&str]) -> Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": resources})
}

/// The connector roles: (name, trusts the auditor, tags, statements).
/// A connector role: name, trusts the auditor, tags, statements.
type RoleSpec = (
    &'static str,
    bool,
    Vec<(&'static str, &'static str)>,
    Vec<Value>,
);

fn roles() -> Vec<RoleSpec> {
    let a = ["arn:aws:s3:::data-a", "arn:aws:s3:::data-a/*"];
    vec![
        (
            "reader",
            true,
            vec![("connector-access", "read")],
            vec![
                allow(&["s3:ListBucket"], &["arn:aws:s3:::data-a"]),
                allow(&["s3:GetObject"], &["arn:aws:s3:::data-a/*"]),
            ],
        ),
        (
            "deleter",
            true,
            vec![("connector-access", "read")],
            vec![allow(
                &["s3:ListBucket", "s3:GetObject", "s3:DeleteObject"],
                &a,
            )],
        ),
        (
            "wildcard",
            true,
            vec![("connector-buckets", "data-a")],
            vec![allow(&["s3:*"], &["*"])],
        ),
        (
            "deny-delete",
            true,
            vec![("connector-access", "read")],
            vec![
                allow(&["s3:*"], &a),
                json!({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::data-a/*"}),
            ],
        ),
        (
            "out-of-scope",
            true,
            vec![("connector-buckets", "data-a")],
            vec![allow(
                &["s3:ListBucket", "s3:GetObject"],
                &[a[0], a[1], "arn:aws:s3:::data-b", "arn:aws:s3:::data-b/*"],
            )],
        ),
        (
            "lowercase-actions",
            true,
            vec![],
            vec![allow(
                &["s3:listbucket", "s3:getobject", "s3:deleteobject"],
                &a,
            )],
        ),
        (
            "vendor-only",
            false,
            vec![],
            vec![allow(&["s3:ListBucket"], &["arn:aws:s3:::data-a"])],
        ),
        (
            "blocked",
            true,
            vec![],
            vec![allow(&["s3:ListBucket"], &["arn:aws:s3:::data-a"])],
        ),
    ]
}

/// An enforcing emulator with the account above: returns the emulator, the admin's and the
/// auditor's configurations.
async fn account() -> (Moto, aws_config::SdkConfig, aws_config::SdkConfig) {
    let (moto, admin, auditor, _) = account_with_keys().await;
    (moto, admin, auditor)
}

/// [`account`], and the auditor's access key id and secret.
async fn account_with_keys() -> (
    Moto,
    aws_config::SdkConfig,
    aws_config::SdkConfig,
    (String, String),
) {
    let moto = Moto::start_with(&[("MOTO_ENABLE_RECORDING", "True")]);
    let admin = moto.enforce_iam().await;
    let iam = aws_sdk_iam::Client::new(&admin);
    iam.create_user().user_name("auditor").send().await.unwrap();
    iam.put_user_policy()
        .user_name("auditor")
        .policy_name("connector-audit")
        .policy_document(compact(AUDITOR_POLICY))
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("auditor")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let auditor = moto
        .sdk_config_as(key.access_key_id(), key.secret_access_key())
        .await;
    let s3 = s3_client(&admin);
    for bucket in ["data-a", "data-b", "canary"] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        for key in ["reports/q3.csv", "connector-audit-probe-like.txt", "x"] {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(format!("{bucket}/{key}").into_bytes().into())
                .send()
                .await
                .unwrap();
        }
    }
    for (name, trusts_auditor, tags, statements) in roles() {
        let mut create = iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust(trusts_auditor))
            .tags(Tag::builder().key("connector").value(name).build().unwrap());
        for (k, v) in tags {
            create = create.tags(Tag::builder().key(k).value(v).build().unwrap());
        }
        create.send().await.unwrap();
        iam.put_role_policy()
            .role_name(name)
            .policy_name("s3")
            .policy_document(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
            .send()
            .await
            .unwrap();
    }
    let keys = (
        key.access_key_id().to_string(),
        key.secret_access_key().to_string(),
    );
    (moto, admin, auditor, keys)
}

/// Every object of every bucket, with its content.
async fn objects(admin: &aws_config::SdkConfig) -> BTreeMap<String, Vec<u8>> {
    let s3 = s3_client(admin);
    let mut out = BTreeMap::new();
    for b in s3.list_buckets().send().await.unwrap().buckets() {
        let bucket = b.name().unwrap();
        let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
        for o in listed.contents() {
            let key = o.key().unwrap();
            let body = object(&s3, bucket, key).await;
            out.insert(format!("{bucket}/{key}"), body);
        }
    }
    out
}

/// A run that probes with `probe`, until `deadline`: its settings and the run.
fn run(probe: ProbeOptions, deadline: Option<Instant>) -> (Settings, Run) {
    let settings = Settings {
        probe: true,
        probe_options: probe,
        ..Settings::default()
    };
    let run = Run {
        deadline,
        ..Run::new("probe-test", "2026-01-01T00:00:00Z")
    };
    (settings, run)
}

/// A live run with these clients' roles and prober (no store, no sink).
async fn probe_run(
    clients: &Clients,
    (settings, run): (Settings, Run),
) -> Result<connector_audit::app::Outcome, RunError> {
    let mut services = Services::new(clients.clone());
    services.prober = Some(Box::new(clients.prober.clone()));
    connector_audit::app::run(&settings, &run, &services).await
}

fn canary() -> ProbeOptions {
    ProbeOptions {
        canary_bucket: Some("canary".into()),
        ..ProbeOptions::default()
    }
}

fn probe_of<'a>(report: &'a Report, role: &str) -> &'a RoleProbe {
    report
        .roles
        .iter()
        .find(|r| r.role_name == role)
        .and_then(|r| r.probe.as_ref())
        .unwrap_or_else(|| panic!("no probe for {role}"))
}

/// `bucket action` -> outcome letter (a allowed, d denied, e error), for compact tables.
fn outcomes(p: &RoleProbe) -> Vec<String> {
    p.checks
        .iter()
        .map(|c| {
            let o = match c.outcome {
                Outcome::Allowed => "a",
                Outcome::Denied => "d",
                Outcome::Error => "e",
            };
            format!("{} {} {o}", c.bucket, c.action.as_str())
        })
        .collect()
}

fn findings_of<'a>(report: &'a Report, rule: &str) -> Vec<&'a connector_audit::model::Finding> {
    report.findings.iter().filter(|f| f.rule == rule).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observed_access_matches_each_roles_policies_and_nothing_is_touched() {
    let (moto, admin, auditor) = account().await;
    let before = objects(&admin).await;
    assert_eq!(before.len(), 9);
    let clients = Clients::from_conf(&auditor);
    moto.start_recording();
    let report = probe_run(&clients, run(canary(), None))
        .await
        .unwrap()
        .report;
    let recording = moto.recording();

    let table = |role: &str| outcomes(probe_of(&report, role));
    assert_eq!(
        table("reader"),
        [
            "data-a s3:ListBucket a",
            "data-a s3:GetObject a",
            "data-a s3:DeleteObject d",
            "canary s3:ListBucket d",
            "canary s3:GetObject d",
            "canary s3:DeleteObject d"
        ]
    );
    assert_eq!(
        table("deleter")[..3],
        [
            "data-a s3:ListBucket a",
            "data-a s3:GetObject a",
            "data-a s3:DeleteObject a"
        ]
    );
    assert_eq!(table("deny-delete")[2], "data-a s3:DeleteObject d");
    assert_eq!(
        table("wildcard")[3..],
        [
            "canary s3:ListBucket a",
            "canary s3:GetObject a",
            "canary s3:DeleteObject a"
        ]
    );
    assert_eq!(
        table("out-of-scope")[3..5],
        ["data-b s3:ListBucket a", "data-b s3:GetObject a"]
    );
    assert!(table("lowercase-actions").iter().all(|c| c.ends_with(" d")));
    // the auditor passed its own statement's external id (moto enforces a wrong one)
    assert!(probe_of(&report, "reader").external_id_used);

    // findings: out of scope, mismatches, unavailable, and evidence on the static findings
    let oos = findings_of(&report, "probe-out-of-scope-access");
    let oos: Vec<(&str, &Value)> = oos
        .iter()
        .map(|f| (f.role_name.as_str(), &f.evidence["bucket"]))
        .collect();
    assert_eq!(
        oos,
        [
            ("out-of-scope", &json!("data-b")),
            ("wildcard", &json!("canary"))
        ]
    );
    let mismatch: Vec<(&str, &Value, &Value)> = findings_of(&report, "probe-static-mismatch")
        .iter()
        .map(|f| {
            (
                f.role_name.as_str(),
                &f.evidence["action"],
                &f.evidence["observed"],
            )
        })
        .collect();
    assert_eq!(
        mismatch,
        [
            (
                "lowercase-actions",
                &json!("s3:ListBucket"),
                &json!("denied")
            ),
            (
                "lowercase-actions",
                &json!("s3:DeleteObject"),
                &json!("denied")
            ),
        ]
    );
    let unavailable: BTreeMap<&str, &Value> = findings_of(&report, "probe-unavailable")
        .iter()
        .map(|f| (f.role_name.as_str(), &f.evidence["error_code"]))
        .collect();
    assert_eq!(unavailable["vendor-only"], "NotTrusted");
    assert_ne!(unavailable["blocked"], "NotTrusted");
    assert_eq!(unavailable.len(), 2);
    let vendor_only = findings_of(&report, "probe-unavailable")
        .into_iter()
        .find(|f| f.role_name == "vendor-only")
        .unwrap();
    assert_eq!(
        vendor_only.evidence["statement"]["Principal"]["AWS"],
        AUDITOR
    );
    let unused: Vec<(&str, &Value, Option<&Value>)> = findings_of(&report, "s3-unused-delete")
        .iter()
        .map(|f| {
            (
                f.role_name.as_str(),
                &f.evidence["actions"],
                f.evidence.get("confirmed_by_probe"),
            )
        })
        .collect();
    // deny-delete still has s3:DeleteObjectVersion, which the probe does not try
    assert_eq!(
        unused,
        [
            ("deleter", &json!(["s3:DeleteObject"]), Some(&json!(true))),
            ("deny-delete", &json!(["s3:DeleteObjectVersion"]), None),
        ]
    );
    let wildcard = findings_of(&report, "s3-wildcard-bucket");
    assert_eq!(wildcard[0].evidence["confirmed_by_probe"], true);
    assert_eq!(wildcard[0].evidence["probe_buckets"], json!(["canary"]));
    let summary = report.probe.as_ref().unwrap();
    assert_eq!(summary.auditor_arn.as_deref(), Some(AUDITOR));
    assert_eq!((summary.roles_probed, summary.roles_unavailable), (6, 2));
    assert!(summary.roles_not_probed.is_empty());
    assert!(report.complete, "{:?}", report.errors);

    // every object that existed is still there, unchanged, and nothing was added
    assert_eq!(objects(&admin).await, before);

    // the emulator's request log: every S3 request is a GET or DELETE under the prefix
    let s3_requests: Vec<&Value> = recording
        .iter()
        .filter(|r| {
            r["headers"]["Authorization"]
                .as_str()
                .is_some_and(|a| a.contains("/s3/aws4_request"))
        })
        .collect();
    // 6 assumed roles: 2 buckets each, 3 requests per bucket (out-of-scope: 3 buckets)
    assert_eq!(s3_requests.len(), 6 * 2 * 3 + 3);
    for r in s3_requests {
        let method = r["method"].as_str().unwrap();
        let url = r["url"].as_str().unwrap();
        let path = url.split_once("://").unwrap().1.split_once('/').unwrap().1;
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let path = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .unwrap();
        match path.split_once('/').filter(|(_, key)| !key.is_empty()) {
            Some((_bucket, key)) => {
                assert!(key.starts_with(PREFIX), "{method} {url}");
                assert!(method == "GET" || method == "DELETE", "{method} {url}");
            }
            None => {
                let query = percent_encoding::percent_decode_str(query)
                    .decode_utf8()
                    .unwrap();
                assert_eq!(method, "GET", "{url}");
                assert!(query.contains(&format!("prefix={PREFIX}")), "{url}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_deadline_ends_in_time_and_lists_the_roles_not_probed() {
    let (_moto, _admin, auditor) = account().await;
    let clients = Clients::from_conf(&auditor);
    // the Lambda path: 3 s left, 2 s kept for publishing: less than a role needs
    let d = deps(
        &clients,
        &[
            ("PROBE", "on"),
            ("PROBE_CANARY_BUCKET", "canary"),
            ("DEADLINE_MARGIN_SECONDS", "2"),
        ],
    );
    let mut context = Context::default();
    context.deadline = now_ms() + 3_000;
    let started = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(120),
        handle(LambdaEvent::new(json!({"publish": false}), context), &d),
    )
    .await
    .expect("the handler did not return")
    .unwrap();
    let report: Report = serde_json::from_value(response).unwrap();
    let summary = report.probe.as_ref().unwrap();
    // the roles the auditor may assume were never started; the static audit is whole
    let trusted: Vec<&str> = {
        let mut v: Vec<&str> = roles().iter().filter(|r| r.1).map(|r| r.0).collect();
        v.sort();
        v
    };
    assert_eq!(summary.roles_not_probed, trusted);
    assert_eq!(summary.roles_probed, 0);
    assert_eq!(report.summary.roles_audited, 8);
    assert!(!report.complete);
    let not_probed: Vec<&str> = report
        .errors
        .iter()
        .filter(|e| e.code == "DeadlineExceeded")
        .map(|e| e.role_name.as_deref().unwrap())
        .collect();
    assert_eq!(not_probed, trusted);
    // the role that does not trust the auditor needs no call and is still reported
    assert_eq!(
        probe_of(&report, "vendor-only")
            .error_code
            .as_ref()
            .map(|c| c.as_str()),
        Some("NotTrusted")
    );
    assert!(findings_of(&report, "probe-out-of-scope-access").is_empty());
    eprintln!("short deadline run: {:?}", started.elapsed());

    // a budget that lets work start but ends mid-way: every role is probed or listed
    let short = run(
        canary(),
        Some(Instant::now() + Duration::from_millis(2_300)),
    );
    let report = tokio::time::timeout(Duration::from_secs(120), probe_run(&clients, short))
        .await
        .expect("the run did not return")
        .unwrap()
        .report;
    let summary = report.probe.as_ref().unwrap();
    assert_eq!(
        summary.roles_probed + summary.roles_unavailable + summary.roles_not_probed.len(),
        8,
        "{summary:?}"
    );
    for r in &report.roles {
        assert!(r.probe.is_some(), "{} has no probe entry", r.role_name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_probes_on_request_and_not_by_default() {
    let (_moto, _admin, auditor) = account().await;
    let clients = Clients::from_conf(&auditor);
    let d = deps(&clients, &[]);
    let plain: Report = serde_json::from_value(
        handle(
            LambdaEvent::new(json!({"publish": false}), Context::default()),
            &d,
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert!(plain.probe.is_none() && plain.roles.iter().all(|r| r.probe.is_none()));
    let probed: Report = serde_json::from_value(
        handle(
            LambdaEvent::new(
                json!({"publish": false, "probe": true, "probe_delete": false, "roles": ["reader"]}),
                Context::default(),
            ),
            &d,
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        outcomes(probe_of(&probed, "reader")),
        ["data-a s3:ListBucket a", "data-a s3:GetObject a"]
    );
    assert_eq!(probed.summary.roles_audited, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_probes_with_its_flags() {
    let (moto, _admin, _auditor, (key, secret)) = account_with_keys().await;
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_connector-audit"))
            .args(["audit", "--region", "us-east-1"])
            .args(args)
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", &key)
            .env("AWS_SECRET_ACCESS_KEY", &secret)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .output()
            .unwrap()
    };
    let out = cli(&[
        "--format",
        "json",
        "--probe",
        "--probe-canary",
        "canary",
        "--probe-no-delete",
        "--probe-concurrency",
        "2",
        "--roles",
        "wildcard",
        "reader",
    ]);
    // the wildcard role reached the canary: critical, exit 1
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        outcomes(probe_of(&report, "wildcard")),
        [
            "data-a s3:ListBucket a",
            "data-a s3:GetObject a",
            "canary s3:ListBucket a",
            "canary s3:GetObject a"
        ]
    );
    assert_eq!(findings_of(&report, "probe-out-of-scope-access").len(), 1);
    assert!(!report.probe.as_ref().unwrap().delete_checks);
    // the table says what was probed
    let out = cli(&["--format", "table", "--probe", "--roles", "reader"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Probe: 1 role(s) probed, 0 unavailable, 0 not probed in time | as arn:aws:iam::123456789012:user/auditor"),
        "{text}"
    );
    // probe flags without --probe, and a bad canary name, are usage errors
    let out = cli(&["--probe-canary", "canary"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli(&["--probe", "--probe-canary", "Bad_Bucket"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`Bad_Bucket`"));
}
