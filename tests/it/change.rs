//! Beyond a plain scheduled run, against the emulator (moto server) seeded with the demo
//! account: audits on IAM change (every `events/iam-change-*.json` through the handler),
//! suppressions (role tags and the central file in S3), and new / known / resolved findings
//! against the previous report in the report bucket, with `PUBLISH_MODE=new`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use connector_audit::aws::Clients;
use connector_audit::lambda::{Deps, handle};
use connector_audit::model::{FindingStatus, Report, Severity};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{Moto, deps, drain, object, s3_client, seed_demo_account, topic_with_queue};

const BUCKET: &str = "audit-reports";

struct Account {
    _moto: Moto,
    conf: aws_config::SdkConfig,
    clients: Clients,
    topic: String,
    queue: String,
}

async fn demo_account() -> Account {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    seed_demo_account(&conf).await;
    let (topic, queue) = topic_with_queue(&conf, "connector-audit-findings").await;
    s3_client(&conf)
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let clients = Clients::from_conf(&conf);
    Account {
        _moto: moto,
        conf,
        clients,
        topic,
        queue,
    }
}

/// The function with a report bucket, publishing only new findings.
fn publishing_new_only(a: &Account) -> Deps {
    let env = [
        ("FINDINGS_TOPIC_ARN", a.topic.as_str()),
        ("REPORT_BUCKET", BUCKET),
        ("PUBLISH_MODE", "new"),
    ];
    deps(&a.clients, &env)
}

fn event_file(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn invoke(payload: Value, d: &Deps) -> Value {
    handle(LambdaEvent::new(payload, Context::default()), d)
        .await
        .unwrap()
}

async fn report(payload: Value, d: &Deps) -> Report {
    serde_json::from_value(invoke(payload, d).await).unwrap()
}

fn names(r: &Report) -> Vec<&str> {
    r.roles.iter().map(|x| x.role_name.as_str()).collect()
}

/// (kind, role) of each message a subscriber received.
fn received(messages: &[Value]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = messages
        .iter()
        .map(|m| {
            let a = &m["MessageAttributes"];
            (
                a["kind"]["Value"].as_str().unwrap().to_string(),
                a["role"]["Value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_iam_change_event_audits_only_the_roles_it_concerns() {
    let a = demo_account().await;
    let d = deps(&a.clients, &[("FINDINGS_TOPIC_ARN", &a.topic)]);
    let full = report(json!({ "publish": false }), &d).await;
    assert_eq!(full.summary.roles_audited, 16);

    let cases: [(&str, &[&str]); 10] = [
        ("create-role", &["upsolver-no-external-id"]),
        ("update-assume-role-policy", &["vendor-any-principal"]),
        ("put-role-policy", &["legacy-s3-star"]),
        ("delete-role-policy", &["milvus-s3-access"]),
        ("attach-role-policy", &["vendor-admin"]),
        ("detach-role-policy", &["onyx-readonly-managed"]),
        ("tag-role", &["datasync-destination"]),
        // not a connector role: nothing audited, nothing published
        ("untag-role", &[]),
        // a customer managed policy attached to three connector roles
        (
            "create-policy-version",
            &[
                "upsolver-ifexists",
                "upsolver-no-external-id",
                "upsolver-placeholder-id",
            ],
        ),
        ("set-default-policy-version", &["onyx-s3-reader"]),
    ];
    let mut seen = BTreeSet::new();
    for (name, roles) in cases {
        let event = event_file(&format!("iam-change-{name}.json"));
        let r = report(event.clone(), &d).await;
        assert_eq!(names(&r), roles, "{name}");
        assert!(r.complete, "{name}: {:?}", r.errors);
        let change = r.change.as_ref().unwrap();
        assert_eq!(change.event_name, event["detail"]["eventName"], "{name}");
        assert_eq!(
            change.changed_by.as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/platform-admin/jane")
        );
        // the same findings as the full audit gives these roles
        let want: BTreeSet<&str> = full
            .findings
            .iter()
            .filter(|f| roles.contains(&f.role_name.as_str()))
            .map(|f| f.id.as_str())
            .collect();
        let got: BTreeSet<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(got, want, "{name}");
        let messages = drain(&a.conf, &a.queue).await;
        if roles.is_empty() {
            assert!(messages.is_empty(), "{name}: {messages:?}");
        } else {
            let published = r
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::Medium)
                .count();
            assert_eq!(messages.len(), published + 1, "{name}");
            let summary = messages
                .iter()
                .find(|m| m["MessageAttributes"]["kind"]["Value"] == "summary")
                .unwrap();
            let body: Value = serde_json::from_str(summary["Message"].as_str().unwrap()).unwrap();
            assert_eq!(body["change"]["event_name"], change.event_name.as_str());
        }
        seen.insert(name);
    }
    // every iam-change file of events/ is covered
    let files: BTreeSet<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/events"))
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().to_string();
            n.strip_prefix("iam-change-")
                .and_then(|n| n.strip_suffix(".json"))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        files,
        seen.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_change_events_that_are_not_audited() {
    let a = demo_account().await;
    let d = deps(&a.clients, &[("FINDINGS_TOPIC_ARN", &a.topic)]);
    // a call that failed changed nothing
    let mut failed = event_file("iam-change-put-role-policy.json");
    failed["detail"]["errorCode"] = json!("AccessDenied");
    failed["detail"]["requestParameters"] = Value::Null;
    let out = invoke(failed, &d).await;
    assert!(
        out["skipped"].as_str().unwrap().contains("errorCode"),
        "{out}"
    );
    assert!(drain(&a.conf, &a.queue).await.is_empty());
    // a policy version that is not made the default changes nothing either
    let mut draft = event_file("iam-change-create-policy-version.json");
    draft["detail"]["requestParameters"]["setAsDefault"] = json!(false);
    let out = invoke(draft, &d).await;
    assert!(
        out["skipped"].as_str().unwrap().contains("not the default"),
        "{out}"
    );
    assert!(out.get("roles").is_none());
    assert!(drain(&a.conf, &a.queue).await.is_empty());
    // a call outside the list, and one without its role, are refused with the reason
    let mut other = event_file("iam-change-put-role-policy.json");
    other["detail"]["eventName"] = json!("DeleteUser");
    let e = handle(LambdaEvent::new(other, Context::default()), &d)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("`DeleteUser`") && e.contains("Accepted:"), "{e}");
    let mut nameless = event_file("iam-change-tag-role.json");
    nameless["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("roleName");
    let e = handle(LambdaEvent::new(nameless, Context::default()), &d)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("requestParameters.roleName"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_known_and_resolved_across_runs_with_publish_mode_new() {
    let a = demo_account().await;
    let d = publishing_new_only(&a);

    // the first run: no previous report, everything new and published
    let first = report(event_file("scheduled.json"), &d).await;
    let c = first.summary.changes.as_ref().unwrap();
    assert_eq!(c.previous_report, None);
    assert_eq!(
        (c.new, c.known, c.resolved.len()),
        (first.findings.len(), 0, 0)
    );
    assert!(
        first
            .findings
            .iter()
            .all(|f| f.status == Some(FindingStatus::New))
    );
    assert_eq!(
        drain(&a.conf, &a.queue).await.len(),
        first.findings.len() + 1
    );

    // nothing changed: all known, only the summary is published
    let second = report(event_file("scheduled.json"), &d).await;
    let c = second.summary.changes.as_ref().unwrap();
    assert_eq!((c.new, c.known), (0, first.findings.len()));
    assert!(
        c.previous_report
            .as_deref()
            .unwrap()
            .starts_with("s3://audit-reports/reports/latest/123456789012/connector-")
    );
    assert_eq!(
        received(&drain(&a.conf, &a.queue).await),
        [("summary".to_string(), String::new())]
    );
    // first_seen is carried over
    assert!(
        second
            .findings
            .iter()
            .all(|f| f.first_seen.as_deref() == Some(first.generated_at.as_str()))
    );

    // a change: legacy-s3-star's s3:* is narrowed, and vendor-admin gets s3:* on *
    let iam = aws_sdk_iam::Client::new(&a.conf);
    iam.put_role_policy()
        .role_name("legacy-s3-star")
        .policy_name("legacy-s3-full")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::legacy-exports/*"}]}"#)
        .send()
        .await
        .unwrap();
    let change = report(event_file("iam-change-put-role-policy.json"), &d).await;
    assert_eq!(names(&change), ["legacy-s3-star"]);
    let c = change.summary.changes.as_ref().unwrap();
    assert_eq!(c.new, 0);
    assert!(!c.resolved.is_empty());
    assert!(c.resolved.iter().all(|r| r.role_name == "legacy-s3-star"));
    let resolved = c.resolved.len();
    // only the summary, which lists what was resolved
    let messages = drain(&a.conf, &a.queue).await;
    assert_eq!(messages.len(), 1);
    let body: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["changes"]["resolved"].as_array().unwrap().len(),
        resolved
    );

    iam.put_role_policy()
        .role_name("vendor-admin")
        .policy_name("extra")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let mut event = event_file("iam-change-put-role-policy.json");
    event["detail"]["requestParameters"]["roleName"] = json!("vendor-admin");
    let change = report(event, &d).await;
    let new: Vec<&str> = change
        .findings
        .iter()
        .filter(|f| f.status == Some(FindingStatus::New))
        .map(|f| f.rule.as_str())
        .collect();
    assert!(new.contains(&"s3-wildcard-bucket"), "{new:?}");
    let messages = received(&drain(&a.conf, &a.queue).await);
    let findings: Vec<&(String, String)> =
        messages.iter().filter(|(k, _)| k == "finding").collect();
    assert_eq!(findings.len(), new.len(), "{messages:?}");
    assert!(findings.iter().all(|(_, role)| role == "vendor-admin"));

    // the next full run: the change runs' results are already known, the rest too
    let full = report(event_file("scheduled.json"), &d).await;
    let c = full.summary.changes.as_ref().unwrap();
    assert_eq!(
        c.new,
        0,
        "{:?}",
        full.findings
            .iter()
            .filter(|f| f.status == Some(FindingStatus::New))
            .collect::<Vec<_>>()
    );
    assert!(c.resolved.is_empty());
    assert_eq!(c.known, full.findings.len());
    // the dated reports are all there, and the latest holds the full run's findings
    let s3 = s3_client(&a.conf);
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("reports/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(
        keys.iter()
            .filter(|k| !k.starts_with("reports/latest/") && !k.starts_with("reports/published/"))
            .filter(|k| k.ends_with(".json"))
            .count(),
        5,
        "{keys:?}"
    );
    let latest_key = keys
        .iter()
        .find(|k| k.starts_with("reports/latest/"))
        .unwrap();
    let latest: Report = serde_json::from_slice(&object(&s3, BUCKET, latest_key).await).unwrap();
    assert_eq!(latest.findings.len(), full.findings.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_previous_report_is_an_error_and_everything_is_published() {
    let a = demo_account().await;
    let d = publishing_new_only(&a);
    let first = report(event_file("scheduled.json"), &d).await;
    drain(&a.conf, &a.queue).await;
    let key = first.summary.changes.as_ref().map(|_| {
        let scope = connector_audit::baseline::scope_id(&Default::default(), false);
        connector_audit::baseline::latest_key("123456789012", &scope)
    });
    let s3 = s3_client(&a.conf);
    s3.put_object()
        .bucket(BUCKET)
        .key(key.as_deref().unwrap())
        .body(b"{not a report".to_vec().into())
        .send()
        .await
        .unwrap();
    let second = report(event_file("scheduled.json"), &d).await;
    assert!(!second.complete);
    let e = second
        .errors
        .iter()
        .find(|e| e.code == "InvalidPreviousReport")
        .unwrap();
    assert!(e.message.contains("reports/latest/123456789012/"), "{e}");
    assert!(second.findings.iter().all(|f| f.status.is_none()));
    // nothing could be compared: every finding is published, as in mode `all`
    assert_eq!(
        drain(&a.conf, &a.queue).await.len(),
        second.findings.len() + 1
    );
    // and the broken file was left as it was
    assert_eq!(
        object(&s3, BUCKET, key.as_deref().unwrap()).await,
        b"{not a report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppressions_from_tags_and_the_central_file() {
    let a = demo_account().await;
    let iam = aws_sdk_iam::Client::new(&a.conf);
    let tag = |role: &'static str, value: &'static str| {
        let iam = iam.clone();
        async move {
            iam.tag_role()
                .role_name(role)
                .tags(
                    aws_sdk_iam::types::Tag::builder()
                        .key("connector-audit-ignore")
                        .value(value)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        }
    };
    // live until the end of next year; expired; malformed
    tag(
        "vendor-any-principal",
        "trust-any-principal until=2099-12-31 ticket=SEC-123",
    )
    .await;
    tag(
        "upsolver-ifexists",
        "trust-missing-external-id until=2020-01-31 ticket=SEC-9",
    )
    .await;
    tag(
        "milvus-any-serviceaccount",
        "until=2027-01-31 trust-unscoped-federation",
    )
    .await;
    let s3 = s3_client(&a.conf);
    let file = json!({"suppressions": [
        {"rule": "s3-wildcard-bucket", "role": "legacy-*", "account": "123456789012",
         "until": "2099-01-01", "reason": "SEC-200: bucket list pending from the vendor"},
        {"rule": "no-such-rule", "role": "vendor-admin", "reason": "typo"},
    ]});
    s3.put_object()
        .bucket(BUCKET)
        .key("config/suppressions.json")
        .body(file.to_string().into_bytes().into())
        .send()
        .await
        .unwrap();
    let env = [
        ("FINDINGS_TOPIC_ARN", a.topic.as_str()),
        (
            "SUPPRESSIONS_S3_URI",
            "s3://audit-reports/config/suppressions.json",
        ),
    ];
    let d = deps(&a.clients, &env);
    let r = report(event_file("scheduled.json"), &d).await;

    let by_tag = r
        .findings
        .iter()
        .find(|f| f.role_name == "vendor-any-principal" && f.rule == "trust-any-principal")
        .unwrap();
    let s = by_tag.suppressed.as_ref().unwrap();
    assert_eq!(s.by, "tag:connector-audit-ignore");
    assert_eq!(s.reason.as_deref(), Some("ticket=SEC-123"));
    assert_eq!(s.until.as_deref(), Some("2099-12-31"));
    let by_file = r
        .findings
        .iter()
        .find(|f| f.role_name == "legacy-s3-star" && f.rule == "s3-wildcard-bucket")
        .unwrap();
    assert_eq!(
        by_file.suppressed.as_ref().unwrap().by,
        "file:s3://audit-reports/config/suppressions.json#1"
    );
    // expired: the finding counts again, and says so
    let expired = r
        .findings
        .iter()
        .find(|f| f.role_name == "upsolver-ifexists" && f.rule == "suppression-expired")
        .unwrap();
    assert_eq!(expired.severity, Severity::Low);
    assert_eq!(expired.evidence["until"], "2020-01-31");
    assert!(r.findings.iter().any(|f| f.role_name == "upsolver-ifexists"
        && f.rule == "trust-missing-external-id"
        && f.suppressed.is_none()));
    // malformed: an error entry naming the role and the text; nothing suppressed
    let bad_tag = r
        .errors
        .iter()
        .find(|e| e.role_name.as_deref() == Some("milvus-any-serviceaccount"))
        .unwrap();
    assert_eq!(bad_tag.code, "InvalidSuppression");
    assert!(
        bad_tag
            .message
            .contains("`until=2027-01-31 trust-unscoped-federation`")
    );
    assert!(
        r.findings
            .iter()
            .filter(|f| f.role_name == "milvus-any-serviceaccount")
            .all(|f| f.suppressed.is_none())
    );
    let bad_entry = r
        .errors
        .iter()
        .find(|e| e.role_name.as_deref() == Some("vendor-admin"))
        .unwrap();
    assert!(bad_entry.message.contains("entry 2") && bad_entry.message.contains("`no-such-rule`"));
    assert!(!r.complete);
    // counts and messages leave the suppressed out
    let suppressed: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(suppressed.len(), 2);
    assert_eq!(r.summary.suppressed, 2);
    let counted = r.summary.findings;
    assert_eq!(
        counted.critical + counted.high + counted.medium + counted.low + counted.info,
        r.findings.len() - 2
    );
    let messages = drain(&a.conf, &a.queue).await;
    let ids: Vec<String> = messages
        .iter()
        .filter(|m| m["MessageAttributes"]["kind"]["Value"] == "finding")
        .map(|m| {
            let body: Value = serde_json::from_str(m["Message"].as_str().unwrap()).unwrap();
            body["finding"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(suppressed.iter().all(|s| !ids.iter().any(|i| i == s)));
    let active_published = r
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none() && f.severity >= Severity::Medium)
        .count();
    assert_eq!(ids.len(), active_published);

    // a central file that cannot be read suppresses nothing, and the audit goes on
    let env = [
        ("FINDINGS_TOPIC_ARN", a.topic.as_str()),
        (
            "SUPPRESSIONS_S3_URI",
            "s3://audit-reports/config/missing.json",
        ),
    ];
    let d = deps(&a.clients, &env);
    let r = report(json!({ "publish": false }), &d).await;
    assert_eq!(r.summary.roles_audited, 16);
    let e = r
        .errors
        .iter()
        .find(|e| e.operation == "read-suppressions")
        .unwrap();
    assert_eq!(e.code, "NoSuchKey");
    assert!(
        e.message.contains("s3://audit-reports/config/missing.json"),
        "{e}"
    );
    assert_eq!(r.summary.suppressed, 1, "only the tag's live suppression");
}
