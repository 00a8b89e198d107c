//! Usage evidence from a CloudTrail trail in the emulator: real-format log files (gzip,
//! `{"Records": [...]}`, CloudTrail's field names and key layout) over several days and two
//! regions, read by the live audit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use aws_sdk_iam::types::Tag;
use connector_audit::app::{Run, Services, Settings};
use connector_audit::audit::now_rfc3339;
use connector_audit::aws::Clients;
use connector_audit::model::Report;
use connector_audit::usage::{Coverage, UsageOptions};
use serde_json::{Value, json};
use std::io::Write;
use support::{ACCOUNT, Moto, s3_client};
use time::{Duration, OffsetDateTime};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

fn event(name: &str, role: &str, time: &str, bucket: &str) -> Value {
    json!({
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:vendor-session",
            "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/vendor-session"),
            "accountId": ACCOUNT,
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                    "arn": role_arn(role), "accountId": ACCOUNT, "userName": role},
                "attributes": {"creationDate": time, "mfaAuthenticated": "false"}
            }
        },
        "eventTime": time,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "requestParameters": {"bucketName": bucket, "Host": format!("{bucket}.s3.amazonaws.com"), "key": "exports/part-0001.csv"},
        "responseElements": null,
        "readOnly": name.starts_with("Get"),
        "resources": [
            {"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/exports/part-0001.csv")},
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}
        ],
        "eventType": "AwsApiCall",
        "managementEvent": false,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data"
    })
}

fn gzip(v: &Value) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(v.to_string().as_bytes()).unwrap();
    enc.finish().unwrap()
}

/// Writes one log file per region for each of the last `days` days (today first), with the
/// records `records(day, region)` returns; returns nothing, the trail is in `bucket`.
async fn write_trail(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    days: i64,
    records: impl Fn(i64, &str) -> Vec<Value>,
) {
    let today = OffsetDateTime::now_utc().date();
    for back in 0..days {
        let day = today - Duration::days(back);
        for region in REGIONS {
            let (y, m, d) = (day.year(), u8::from(day.month()), day.day());
            let key = format!(
                "AWSLogs/{ACCOUNT}/CloudTrail/{region}/{y:04}/{m:02}/{d:02}/{ACCOUNT}_CloudTrail_{region}_{y:04}{m:02}{d:02}T0000Z_x{back}.json.gz"
            );
            let body = gzip(&json!({"Records": records(back, region)}));
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(body.into())
                .send()
                .await
                .unwrap();
        }
    }
}

fn time_of(back: i64) -> String {
    let t = OffsetDateTime::now_utc() - Duration::days(back);
    format!(
        "{:04}-{:02}-{:02}T10:00:00Z",
        t.year(),
        u8::from(t.month()),
        t.day()
    )
}

async fn account(moto: &Moto) -> (aws_config::SdkConfig, aws_sdk_s3::Client) {
    let conf = moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&conf);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::428641199958:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"k7Qp2vX9mL4sR8tW"}}}]}"#;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::exports/*"}]}"#;
    for (name, access) in [
        ("deleter-full", "full"),
        ("idle-full", "full"),
        ("reader-deletes", "read"),
    ] {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(trust)
            .tags(Tag::builder().key("connector").value("x").build().unwrap())
            .tags(
                Tag::builder()
                    .key("connector-access")
                    .value(access)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        iam.put_role_policy()
            .role_name(name)
            .policy_name("s3")
            .policy_document(policy)
            .send()
            .await
            .unwrap();
    }
    let s3 = s3_client(&conf);
    s3.create_bucket().bucket("trail").send().await.unwrap();
    (conf, s3)
}

/// A run reading the trail over the last `days` days: its settings and the run.
fn run(days: u32) -> (Settings, Run) {
    let settings = Settings {
        usage: Some(UsageOptions {
            bucket: "trail".into(),
            prefix: None,
            lookback_days: days,
        }),
        ..Settings::default()
    };
    (settings, Run::new("usage", now_rfc3339()))
}

/// A live audit reading the trail over the last `days` days.
async fn audit_with_trail(conf: &aws_config::SdkConfig, days: u32) -> Report {
    let clients = Clients::from_conf(conf);
    let mut services = Services::new(clients.clone());
    services.usage = Some(Box::new(clients));
    let (settings, run) = run(days);
    connector_audit::app::run(&settings, &run, &services)
        .await
        .unwrap()
        .report
}

fn rules_of<'a>(r: &'a Report, role: &str) -> Vec<&'a str> {
    r.findings
        .iter()
        .filter(|f| f.role_name == role)
        .map(|f| f.rule.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_in_the_trail_decide_unused_and_unexpected() {
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    write_trail(&s3, "trail", 5, |back, region| {
        let t = time_of(back);
        let mut v = vec![
            // other roles and other event names are ignored
            event("DeleteObject", "someone-else", &t, "exports"),
            event("PutObject", "idle-full", &t, "exports"),
            event("GetObject", "reader-deletes", &t, "exports"),
        ];
        if back == 1 && region == "eu-west-1" {
            v.push(event("DeleteObject", "deleter-full", &t, "exports"));
        }
        if back == 3 && region == "us-east-1" {
            v.push(event("DeleteObjects", "reader-deletes", &t, "exports"));
            v.push(event("DeleteObject", "reader-deletes", &t, "archive"));
        }
        v
    })
    .await;
    // a corrupt file among them: reported, skipped, the rest is read
    s3.put_object()
        .bucket("trail")
        .key(format!(
            "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/{}/corrupt.json.gz",
            time_of(2)[..10].replace('-', "/")
        ))
        .body(b"\x1f\x8b not really gzip".to_vec().into())
        .send()
        .await
        .unwrap();
    let report = audit_with_trail(&conf, 5).await;
    let usage = report.usage.as_ref().unwrap();
    assert_eq!(usage.files_scanned, 10, "{usage:?}");
    assert_eq!(usage.files_failed, 1);
    assert_eq!(usage.days_covered, 5);
    assert_eq!(usage.regions.len(), 2);
    assert_eq!(usage.events_scanned, 33);
    // the unreadable file makes the coverage partial, and is an error entry
    assert_eq!(usage.coverage, Some(Coverage::Partial));
    let corrupt: Vec<_> = report
        .errors
        .iter()
        .filter(|e| e.code == "UnreadableLogFile")
        .collect();
    assert_eq!(corrupt.len(), 1);
    assert!(corrupt[0].message.contains("corrupt.json.gz"));

    // deleted in the window: not unused
    assert!(!rules_of(&report, "deleter-full").contains(&"s3-unused-delete"));
    // never deleted: unused, on the trail's word
    let idle = report
        .findings
        .iter()
        .find(|f| f.role_name == "idle-full" && f.rule == "s3-unused-delete")
        .unwrap();
    assert_eq!(idle.evidence["evidence"]["source"], "cloudtrail");
    assert_eq!(idle.evidence["evidence"]["window_days"], 5);
    assert_eq!(idle.evidence["evidence"]["days_covered"], 5);
    assert_eq!(idle.evidence["evidence"]["files_scanned"], 10);
    assert_eq!(idle.evidence["evidence"]["last_delete"], Value::Null);
    // read-declared but deleting: critical
    let unexpected = report
        .findings
        .iter()
        .find(|f| f.rule == "s3-unexpected-delete")
        .unwrap();
    assert_eq!(unexpected.role_name, "reader-deletes");
    assert_eq!(unexpected.evidence["count"], 2);
    assert_eq!(
        unexpected.evidence["buckets"],
        json!(["archive", "exports"])
    );
    assert!(!rules_of(&report, "reader-deletes").contains(&"s3-unused-delete"));
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.rule == "s3-unexpected-delete")
            .count(),
        1
    );
    // moto has no RoleLastUsed for roles nobody assumed: all unused in the window
    assert!(rules_of(&report, "idle-full").contains(&"role-unused"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_days_make_the_coverage_partial_and_no_data_events_none() {
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    // 3 days of files for a 7-day window
    write_trail(&s3, "trail", 3, |back, _| {
        vec![event("GetObject", "idle-full", &time_of(back), "exports")]
    })
    .await;
    let report = audit_with_trail(&conf, 7).await;
    let usage = report.usage.as_ref().unwrap();
    assert_eq!((usage.days_covered, usage.window_days), (3, 7));
    assert_eq!(usage.coverage, Some(Coverage::Partial));
    assert!(report.complete, "{:?}", report.errors);
    // partial evidence still speaks, and says it is partial
    let idle = report
        .findings
        .iter()
        .find(|f| f.role_name == "idle-full" && f.rule == "s3-unused-delete")
        .unwrap();
    assert_eq!(idle.evidence["evidence"]["coverage"], "partial");

    // a trail with management events only: coverage none, no claim of "unused"
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    write_trail(&s3, "trail", 7, |back, _| {
        vec![
            json!({"eventSource": "iam.amazonaws.com", "eventName": "ListRoles",
            "eventTime": time_of(back), "eventCategory": "Management"}),
        ]
    })
    .await;
    let report = audit_with_trail(&conf, 7).await;
    assert_eq!(
        report.usage.as_ref().unwrap().coverage,
        Some(Coverage::None)
    );
    assert!(!rules_of(&report, "idle-full").contains(&"s3-unused-delete"));
}

/// At the deadline the scan stops, and the evidence says how far it got.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scan_stops_at_the_deadline_and_says_so() {
    let moto = Moto::start();
    let (_conf, s3) = account(&moto).await;
    write_trail(&s3, "trail", 3, |back, _| {
        vec![event(
            "DeleteObject",
            "idle-full",
            &time_of(back),
            "exports",
        )]
    })
    .await;
    let options = UsageOptions {
        bucket: "trail".into(),
        prefix: None,
        lookback_days: 3,
    };
    let today = OffsetDateTime::now_utc().date();
    let (evidence, errors) = connector_audit::aws::usage::scan(
        &s3,
        &options,
        ACCOUNT,
        today,
        Some(std::time::Instant::now()),
    )
    .await;
    assert!(evidence.stopped_early);
    assert_eq!(evidence.files_scanned, 0);
    // nothing read: nothing claimed
    assert_eq!(evidence.coverage, Some(Coverage::None));
    assert!(
        errors
            .iter()
            .any(|e| e.code == "DeadlineExceeded" && e.message.contains("after 0 file(s)")),
        "{errors:?}"
    );
    // without a deadline the same trail is read whole
    let (evidence, errors) =
        connector_audit::aws::usage::scan(&s3, &options, ACCOUNT, today, None).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!((evidence.files_scanned, evidence.stopped_early), (6, false));
    assert_eq!(evidence.deletes[&role_arn("idle-full")].count, 6);
}
