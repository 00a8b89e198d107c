//! Usage evidence from a CloudTrail trail in the emulator: real-format log files (gzip,
//! `{"Records": [...]}`, CloudTrail's field names, file names and key layouts, the records
//! shaped as AWS documents them) over several days and two regions, read by the live audit.
//! Both layouts (a trail of the account, `AWSLogs/<account>/CloudTrail/`, and an organization
//! trail, `AWSLogs/<o-id>/<account>/CloudTrail/`), in single-account and organization runs;
//! refused deletes; stray objects; odd records; the organization's id asked of Organizations
//! when the bucket's `AWSLogs/` cannot be listed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_iam::types::Tag;
use connector_audit::app::organization::every_account;
use connector_audit::app::ports::UsageSource;
use connector_audit::app::{Run, Services, Settings};
use connector_audit::audit::now_rfc3339;
use connector_audit::aws::Clients;
use connector_audit::model::{Finding, Report, RoleName};
use connector_audit::suppress::SuppressionSet;
use connector_audit::usage::{Coverage, UsageOptions};
use serde_json::{Value, json};
use std::io::Write;
use std::time::Duration as StdDuration;
use support::fault_proxy::{FaultProxy, Faults};
use support::{ACCOUNT, Moto, s3_client};
use time::{Date, Duration, OffsetDateTime};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// An organization id as AWS shapes them (the folder of an organization trail).
const ORG_ID: &str = "o-a1b2c3d4e5";
/// A vendor's account.
const VENDOR: &str = "428641199958";

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// A successful S3 data event made by a session of the role `issuer` (an ARN, path included),
/// shaped as AWS documents it.
fn event_by(issuer: &str, name: &str, time: &str, bucket: &str) -> Value {
    let account = issuer.split(':').nth(4).unwrap();
    let role = issuer.rsplit('/').next().unwrap();
    let (key, resources) = if name == "DeleteObjects" {
        // one record for the batch: CloudTrail logs no key, and the object ARN as a prefix
        (
            None,
            json!([{"type": "AWS::S3::Object", "ARNPrefix": format!("arn:aws:s3:::{bucket}/")},
                {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]),
        )
    } else {
        (
            Some("exports/part-0001.csv"),
            json!([{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/exports/part-0001.csv")},
                {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]),
        )
    };
    let mut parameters =
        json!({"bucketName": bucket, "Host": format!("{bucket}.s3.amazonaws.com")});
    match key {
        Some(k) => parameters["key"] = json!(k),
        None => parameters["delete"] = json!(""),
    }
    if name == "DeleteObjectVersion" {
        parameters["versionId"] = json!("3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY");
    }
    json!({
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:vendor-session",
            "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/vendor-session"),
            "accountId": account,
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                    "arn": issuer, "accountId": account, "userName": role},
                "attributes": {"creationDate": time, "mfaAuthenticated": "false"}
            }
        },
        "eventTime": time,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "[aws-sdk-java/2.25.0]",
        "requestParameters": parameters,
        "responseElements": null,
        "additionalEventData": {"SignatureVersion": "SigV4", "bytesTransferredIn": 0, "x-amz-id-2": "EXAMPLE"},
        "requestID": "EXAMPLE1234567890",
        "eventID": "0f7a7bd8-4f2e-4d3c-9a2b-1c5e6f7a8b9c",
        "readOnly": name.starts_with("Get"),
        "resources": resources,
        "eventType": "AwsApiCall",
        "managementEvent": false,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"}
    })
}

/// A successful S3 data event by a session of this account's role `role`.
fn event(name: &str, role: &str, time: &str, bucket: &str) -> Value {
    event_by(&role_arn(role), name, time, bucket)
}

/// The same request, refused: AWS adds `errorCode` and `errorMessage`.
fn refused(name: &str, role: &str, time: &str, bucket: &str) -> Value {
    let mut e = event(name, role, time, bucket);
    e["errorCode"] = json!("AccessDenied");
    e["errorMessage"] = json!("Access Denied");
    e
}

/// A request made with credentials from AssumeRoleWithWebIdentity: an `AssumedRole` identity
/// whose session context carries the OIDC provider.
fn web_identity(name: &str, role: &str, time: &str, bucket: &str) -> Value {
    let mut e = event(name, role, time, bucket);
    e["userIdentity"]["sessionContext"]["webIdFederationData"] = json!({
        "federatedProvider": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"),
        "attributes": {}
    });
    e
}

/// The AssumeRoleWithWebIdentity call itself: a `WebIdentityUser`, with no session issuer.
fn assume_role_with_web_identity(role: &str, time: &str) -> Value {
    json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "WebIdentityUser",
            "principalId": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/app:ref:refs/heads/main"),
            "userName": "repo:acme/app:ref:refs/heads/main",
            "identityProvider": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com")},
        "eventTime": time, "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRoleWithWebIdentity", "awsRegion": "us-east-1",
        "requestParameters": {"roleArn": role_arn(role), "roleSessionName": "gha"},
        "resources": [{"ARN": role_arn(role), "accountId": ACCOUNT, "type": "AWS::IAM::Role"}],
        "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": ACCOUNT,
        "eventCategory": "Management"
    })
}

fn gzip(v: &Value) -> Vec<u8> {
    gzip_bytes(v.to_string().as_bytes())
}

fn gzip_bytes(b: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b).unwrap();
    enc.finish().unwrap()
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

fn ymd(day: Date) -> (i32, u8, u8) {
    (day.year(), u8::from(day.month()), day.day())
}

/// `<base><region>/YYYY/MM/DD/`.
fn day_folder(base: &str, region: &str, day: Date) -> String {
    let (y, m, d) = ymd(day);
    format!("{base}{region}/{y:04}/{m:02}/{d:02}/")
}

/// A log file's key, named as CloudTrail names them.
fn log_key(base: &str, account: &str, region: &str, day: Date, unique: &str) -> String {
    let (y, m, d) = ymd(day);
    format!(
        "{}{account}_CloudTrail_{region}_{y:04}{m:02}{d:02}T0000Z_{unique}.json.gz",
        day_folder(base, region, day)
    )
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

/// Writes one log file per region for each day `back` in `days` (0 is today) under `base`
/// (`[<prefix>/]AWSLogs/[<o-id>/]<account>/CloudTrail/`), with the records
/// `records(back, region)` returns.
async fn write_logs(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    base: &str,
    account: &str,
    days: std::ops::Range<i64>,
    records: impl Fn(i64, &str) -> Vec<Value>,
) {
    for back in days {
        let day = today() - Duration::days(back);
        for region in REGIONS {
            let key = log_key(
                base,
                account,
                region,
                day,
                &format!("Mu0KsOhtH1ar{back:04}"),
            );
            put(
                s3,
                bucket,
                &key,
                gzip(&json!({"Records": records(back, region)})),
            )
            .await;
        }
    }
}

/// A trail of the account: the last `days` days under `AWSLogs/<account>/CloudTrail/`.
async fn write_trail(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    days: i64,
    records: impl Fn(i64, &str) -> Vec<Value>,
) {
    let base = format!("AWSLogs/{ACCOUNT}/CloudTrail/");
    write_logs(s3, bucket, &base, ACCOUNT, 0..days, records).await;
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

/// Now, as CloudTrail writes times: a request made minutes ago.
fn just_now() -> String {
    let t = OffsetDateTime::now_utc() - Duration::minutes(3);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::428641199958:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"k7Qp2vX9mL4sR8tW"}}}]}"#;
const DELETE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::exports/*"}]}"#;

/// Connector roles `(name, connector-access, path)`, each granted delete on `exports`.
async fn connector_roles(iam: &aws_sdk_iam::Client, roles: &[(&str, &str, &str)]) {
    for (name, access, path) in roles {
        iam.create_role()
            .role_name(*name)
            .path(*path)
            .assume_role_policy_document(TRUST)
            .tags(Tag::builder().key("connector").value("x").build().unwrap())
            .tags(
                Tag::builder()
                    .key("connector-access")
                    .value(*access)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        iam.put_role_policy()
            .role_name(*name)
            .policy_name("s3")
            .policy_document(DELETE_POLICY)
            .send()
            .await
            .unwrap();
    }
}

const ROLES: &[(&str, &str, &str)] = &[
    ("deleter-full", "full", "/"),
    ("idle-full", "full", "/"),
    ("reader-deletes", "read", "/"),
];

/// The account with `ROLES` and `extra` roles, and the trail's bucket.
async fn account_with(
    moto: &Moto,
    extra: &[(&str, &str, &str)],
) -> (aws_config::SdkConfig, aws_sdk_s3::Client) {
    let conf = moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&conf);
    connector_roles(&iam, ROLES).await;
    connector_roles(&iam, extra).await;
    let s3 = s3_client(&conf);
    s3.create_bucket().bucket("trail").send().await.unwrap();
    (conf, s3)
}

async fn account(moto: &Moto) -> (aws_config::SdkConfig, aws_sdk_s3::Client) {
    account_with(moto, &[]).await
}

fn trail(days: u32) -> UsageOptions {
    UsageOptions {
        bucket: "trail".into(),
        prefix: None,
        lookback_days: days,
    }
}

/// A live audit of the account reading the trail `options` names.
async fn audit_with(conf: &aws_config::SdkConfig, options: UsageOptions) -> Report {
    let clients = Clients::from_conf(conf);
    let mut services = Services::new(clients.clone());
    services.usage = Some(Box::new(clients));
    let settings = Settings {
        usage: Some(options),
        ..Settings::default()
    };
    let run = Run::new("usage", now_rfc3339());
    connector_audit::app::run(&settings, &run, &services)
        .await
        .unwrap()
        .report
}

/// A live audit reading the trail over the last `days` days.
async fn audit_with_trail(conf: &aws_config::SdkConfig, days: u32) -> Report {
    audit_with(conf, trail(days)).await
}

fn rules_of<'a>(r: &'a Report, role: &str) -> Vec<&'a str> {
    r.findings
        .iter()
        .filter(|f| f.role_name == role)
        .map(|f| f.rule.as_str())
        .collect()
}

fn finding<'a>(r: &'a Report, role: &str, rule: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.role_name == role && f.rule == rule)
        .unwrap_or_else(|| panic!("no {rule} on {role}: {:#?}", r.findings))
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
            v.push(event(
                "DeleteObjectVersion",
                "reader-deletes",
                &t,
                "archive",
            ));
        }
        v
    })
    .await;
    // a corrupt log file among them: reported, skipped, the rest is read
    let corrupt = log_key(
        &format!("AWSLogs/{ACCOUNT}/CloudTrail/"),
        ACCOUNT,
        "us-east-1",
        today() - Duration::days(2),
        "corrupt000000001",
    );
    put(&s3, "trail", &corrupt, b"\x1f\x8b not really gzip".to_vec()).await;
    let report = audit_with_trail(&conf, 5).await;
    let usage = report.usage.as_ref().unwrap();
    assert_eq!(usage.files_scanned, 10, "{usage:?}");
    assert_eq!(usage.files_failed, 1);
    assert_eq!(usage.days_covered, 5);
    assert_eq!(usage.regions, ["eu-west-1", "us-east-1"]);
    assert_eq!(usage.events_scanned, 33);
    assert_eq!(
        usage.log_prefixes,
        [format!("AWSLogs/{ACCOUNT}/CloudTrail/")]
    );
    assert_eq!((usage.objects_skipped, usage.records_skipped), (0, 0));
    // the unreadable file makes the coverage partial, and is an error entry
    assert_eq!(usage.coverage, Some(Coverage::Partial));
    let unreadable: Vec<_> = report
        .errors
        .iter()
        .filter(|e| e.code == "UnreadableLogFile")
        .collect();
    assert_eq!(unreadable.len(), 1, "{:?}", report.errors);
    assert!(unreadable[0].message.contains("corrupt000000001"));
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);

    // deleted in the window: not unused
    assert!(!rules_of(&report, "deleter-full").contains(&"s3-unused-delete"));
    // never deleted: unused, on the trail's word
    let idle = finding(&report, "idle-full", "s3-unused-delete");
    assert_eq!(idle.evidence["evidence"]["source"], "cloudtrail");
    assert_eq!(idle.evidence["evidence"]["window_days"], 5);
    assert_eq!(idle.evidence["evidence"]["days_covered"], 5);
    assert_eq!(idle.evidence["evidence"]["files_scanned"], 10);
    assert_eq!(idle.evidence["evidence"]["last_delete"], Value::Null);
    // read-declared but deleting: critical
    let unexpected = finding(&report, "reader-deletes", "s3-unexpected-delete");
    assert_eq!(unexpected.evidence["count"], 2);
    assert_eq!(
        unexpected.evidence["buckets"],
        json!(["archive", "exports"])
    );
    assert_eq!(unexpected.evidence["denied_deletes"], 0);
    assert!(!rules_of(&report, "reader-deletes").contains(&"s3-unused-delete"));
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.rule == "s3-unexpected-delete")
            .count(),
        1
    );
    // moto has no RoleLastUsed for roles nobody assumed, but the trail saw their sessions
    // within the window: only the role the trail never saw is unused
    assert!(!rules_of(&report, "idle-full").contains(&"role-unused"));
    assert!(!rules_of(&report, "reader-deletes").contains(&"role-unused"));
}

/// A delete that AWS refused deleted nothing: it is no delete (no s3-unexpected-delete, the
/// grant is still unused), it is counted apart, and a role declared not to delete that tried
/// gets s3-denied-delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_deletes_are_not_deletes_and_are_reported_apart() {
    let moto = Moto::start();
    let (conf, s3) = account_with(&moto, &[("reader-refused", "read", "/")]).await;
    write_trail(&s3, "trail", 3, |back, region| {
        let t = time_of(back);
        if region != "us-east-1" {
            return vec![event("GetObject", "reader-refused", &t, "exports")];
        }
        match back {
            0 => vec![
                refused("DeleteObject", "reader-refused", &t, "exports"),
                refused("DeleteObjects", "reader-refused", &t, "exports"),
                refused("DeleteObjectVersion", "reader-refused", &t, "archive"),
                event("GetObject", "reader-refused", &t, "exports"),
            ],
            1 => vec![
                event("DeleteObject", "reader-deletes", &t, "exports"),
                refused("DeleteObject", "reader-deletes", &t, "exports"),
                refused("DeleteObjects", "reader-deletes", &t, "exports"),
            ],
            _ => vec![refused("DeleteObject", "idle-full", &t, "exports")],
        }
    })
    .await;
    let report = audit_with_trail(&conf, 3).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let usage = report.usage.as_ref().unwrap();
    assert_eq!(usage.denied_deletes, 6);
    assert_eq!(usage.coverage, Some(Coverage::Full));

    // tried three ways, refused each time: s3-denied-delete, and the grant is still unused
    let rules = rules_of(&report, "reader-refused");
    assert!(!rules.contains(&"s3-unexpected-delete"), "{rules:?}");
    assert!(rules.contains(&"s3-unused-delete"), "{rules:?}");
    let denied = finding(&report, "reader-refused", "s3-denied-delete");
    assert_eq!(denied.severity, connector_audit::model::Severity::Low);
    assert_eq!(denied.evidence["count"], 3);
    assert_eq!(denied.evidence["buckets"], json!(["archive", "exports"]));
    assert_eq!(denied.evidence["last_denied"], time_of(0));
    assert_eq!(denied.evidence["access"], "read");

    // deleted once and was refused twice: critical, with the refusals in the evidence
    let unexpected = finding(&report, "reader-deletes", "s3-unexpected-delete");
    assert_eq!(unexpected.evidence["count"], 1);
    assert_eq!(unexpected.evidence["denied_deletes"], 2);
    assert!(!rules_of(&report, "reader-deletes").contains(&"s3-denied-delete"));

    // declared to delete, refused: not a finding of its own; its grant is unused
    let idle = rules_of(&report, "idle-full");
    assert!(!idle.contains(&"s3-denied-delete"), "{idle:?}");
    assert!(idle.contains(&"s3-unused-delete"), "{idle:?}");
    // a refused request is not a use of the role either
    assert!(idle.contains(&"role-unused"), "{idle:?}");
    assert_eq!(
        finding(&report, "idle-full", "role-unused").evidence["last_activity_in_trail"],
        Value::Null
    );
}

/// Web identity sessions and roles with a path are attributed by their session issuer's
/// full ARN; another account's role of the same name is not this account's role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_attributed_by_their_issuers_arn() {
    let moto = Moto::start();
    let (conf, s3) = account_with(
        &moto,
        &[
            ("oidc-reader", "read", "/"),
            ("pathed-reader", "read", "/vendor/acme/"),
        ],
    )
    .await;
    write_trail(&s3, "trail", 2, |back, region| {
        let t = time_of(back);
        if back != 0 || region != "us-east-1" {
            return vec![event("GetObject", "deleter-full", &t, "exports")];
        }
        vec![
            assume_role_with_web_identity("oidc-reader", &t),
            web_identity("DeleteObject", "oidc-reader", &t, "exports"),
            event_by(
                &role_arn("vendor/acme/pathed-reader"),
                "DeleteObject",
                &t,
                "exports",
            ),
            // the vendor's own role of the same name, deleting through a bucket policy
            event_by(
                &format!("arn:aws:iam::{VENDOR}:role/reader-deletes"),
                "DeleteObject",
                &t,
                "exports",
            ),
            // a path-less ARN of the pathed role's name is another role
            event_by(&role_arn("pathed-reader"), "DeleteObject", &t, "archive"),
        ]
    })
    .await;
    let report = audit_with_trail(&conf, 2).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let oidc = finding(&report, "oidc-reader", "s3-unexpected-delete");
    assert_eq!(oidc.evidence["count"], 1);
    let pathed = finding(&report, "pathed-reader", "s3-unexpected-delete");
    assert_eq!(pathed.role_arn, role_arn("vendor/acme/pathed-reader"));
    assert_eq!(
        (
            pathed.evidence["count"].clone(),
            pathed.evidence["buckets"].clone()
        ),
        (json!(1), json!(["exports"]))
    );
    assert!(
        !rules_of(&report, "reader-deletes").contains(&"s3-unexpected-delete"),
        "{:#?}",
        report.findings
    );
}

/// An organization trail's files (`AWSLogs/<o-id>/<account>/CloudTrail/`) are read like the
/// account's own, both layouts at once add up, and the trail's key prefix applies to both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_trail_is_read_and_both_layouts_add_up() {
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    let own = format!("AWSLogs/{ACCOUNT}/CloudTrail/");
    let org = format!("AWSLogs/{ORG_ID}/{ACCOUNT}/CloudTrail/");
    // the organization trail holds the last three days, the account's own trail the two before
    write_logs(&s3, "trail", &org, ACCOUNT, 0..3, |back, region| {
        let t = time_of(back);
        let mut v = vec![event("GetObject", "idle-full", &t, "exports")];
        if back == 1 && region == "eu-west-1" {
            v.push(event("DeleteObject", "reader-deletes", &t, "exports"));
        }
        v
    })
    .await;
    write_logs(&s3, "trail", &own, ACCOUNT, 3..5, |back, _| {
        vec![event(
            "DeleteObject",
            "deleter-full",
            &time_of(back),
            "exports",
        )]
    })
    .await;
    // another account of the organization: not read
    write_logs(
        &s3,
        "trail",
        &format!("AWSLogs/{ORG_ID}/999999999999/CloudTrail/"),
        "999999999999",
        0..5,
        |back, _| {
            vec![event(
                "DeleteObject",
                "idle-full",
                &time_of(back),
                "exports",
            )]
        },
    )
    .await;
    let report = audit_with_trail(&conf, 5).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let usage = report.usage.as_ref().unwrap();
    assert_eq!(usage.log_prefixes, [own.clone(), org.clone()]);
    assert_eq!((usage.files_scanned, usage.days_covered), (10, 5));
    assert_eq!(usage.coverage, Some(Coverage::Full));
    assert_eq!(usage.note, None);
    assert_eq!(
        finding(&report, "reader-deletes", "s3-unexpected-delete").evidence["count"],
        1
    );
    assert!(!rules_of(&report, "deleter-full").contains(&"s3-unused-delete"));
    assert!(rules_of(&report, "idle-full").contains(&"s3-unused-delete"));

    // the same organization trail under a key prefix
    s3.create_bucket().bucket("org-trail").send().await.unwrap();
    let prefixed = format!("central/AWSLogs/{ORG_ID}/{ACCOUNT}/CloudTrail/");
    write_logs(&s3, "org-trail", &prefixed, ACCOUNT, 0..2, |back, _| {
        vec![event(
            "DeleteObject",
            "reader-deletes",
            &time_of(back),
            "exports",
        )]
    })
    .await;
    let report = audit_with(
        &conf,
        UsageOptions {
            bucket: "org-trail".into(),
            prefix: Some("central".into()),
            lookback_days: 2,
        },
    )
    .await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let usage = report.usage.as_ref().unwrap();
    assert_eq!(usage.log_prefixes, [prefixed]);
    assert_eq!(usage.coverage, Some(Coverage::Full));
    assert_eq!(
        finding(&report, "reader-deletes", "s3-unexpected-delete").evidence["count"],
        4
    );
}

/// A bucket where neither layout holds the account's files: an error entry that says where it
/// looked, never a silent `none`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_without_the_accounts_logs_says_where_it_looked() {
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    for base in [
        "AWSLogs/999999999999/CloudTrail/".to_string(),
        format!("AWSLogs/{ORG_ID}/999999999999/CloudTrail/"),
    ] {
        write_logs(&s3, "trail", &base, "999999999999", 0..2, |back, _| {
            vec![event(
                "DeleteObject",
                "reader-deletes",
                &time_of(back),
                "exports",
            )]
        })
        .await;
    }
    // the account's folder holds a digest only
    put(
        &s3,
        "trail",
        &format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/01/01/digest.json.gz"),
        gzip(&json!({})),
    )
    .await;
    let report = audit_with_trail(&conf, 2).await;
    assert!(!report.complete);
    let missing: Vec<_> = report
        .errors
        .iter()
        .filter(|e| e.code == "NoCloudTrailLogs")
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", report.errors);
    assert_eq!(missing[0].operation, "read-cloudtrail");
    let m = &missing[0].message;
    assert!(
        m.contains(&format!("`AWSLogs/{ACCOUNT}/CloudTrail/`"))
            && m.contains(&format!("`AWSLogs/{ORG_ID}/{ACCOUNT}/CloudTrail/`"))
            && m.contains("`trail`"),
        "{m}"
    );
    let usage = report.usage.as_ref().unwrap();
    assert_eq!(usage.coverage, Some(Coverage::None));
    assert!(usage.log_prefixes.is_empty());
    // nothing read: nothing claimed, the other account's deletes are not this account's
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.rule != "s3-unexpected-delete")
    );
    assert!(!rules_of(&report, "idle-full").contains(&"s3-unused-delete"));
}

/// Folder markers, digests, folders that are not regions and other objects are skipped and
/// counted in the note; they are never read, never errors, never coverage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stray_objects_are_skipped_and_counted_never_errors() {
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    let base = format!("AWSLogs/{ACCOUNT}/CloudTrail/");
    write_trail(&s3, "trail", 3, |back, _| {
        vec![event(
            "DeleteObject",
            "deleter-full",
            &time_of(back),
            "exports",
        )]
    })
    .await;
    let day = |back: i64| today() - Duration::days(back);
    let stray = [
        // folder markers made in the console: 0 bytes, keys ending in `/`
        base.clone(),
        day_folder(&base, "us-east-1", day(0)),
        day_folder(&base, "eu-west-1", day(1)),
        // a digest folder where a region would be
        format!(
            "{base}_CloudTrail-Digest/us-east-1/{ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20260101T0000Z.json.gz"
        ),
        // anything else in a day's folder, or below it
        format!("{}README.txt", day_folder(&base, "us-east-1", day(1))),
        format!(
            "{}.bak",
            log_key(&base, ACCOUNT, "us-east-1", day(2), "Mu0KsOhtH1ar0002")
        ),
        format!(
            "{}old/{ACCOUNT}_CloudTrail_us-east-1_20260101T0000Z_Mu0KsOhtH1ar9999.json.gz",
            day_folder(&base, "eu-west-1", day(2))
        ),
        // an Insights file next to the log files
        format!(
            "{}{ACCOUNT}_CloudTrail-Insight_us-east-1_20260101T0000Z_Mu0KsOhtH1ar9999.json.gz",
            day_folder(&base, "us-east-1", day(0))
        ),
    ];
    for key in &stray {
        let body = if key.ends_with('/') {
            Vec::new()
        } else {
            b"not a log file".to_vec()
        };
        put(&s3, "trail", key, body).await;
    }
    // a folder marker of a day without log files: the day is not covered
    put(
        &s3,
        "trail",
        &day_folder(&base, "us-east-1", day(3)),
        Vec::new(),
    )
    .await;
    let report = audit_with_trail(&conf, 4).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.complete);
    let usage = report.usage.as_ref().unwrap();
    assert_eq!((usage.files_scanned, usage.files_failed), (6, 0));
    // one folder (the digest's) counts once
    assert_eq!(usage.objects_skipped, stray.len() as u64 + 1);
    assert_eq!(usage.regions, ["eu-west-1", "us-east-1"]);
    assert_eq!(usage.days_covered, 3);
    assert_eq!(usage.coverage, Some(Coverage::Partial));
    let note = usage.note.as_deref().unwrap();
    assert!(
        note.starts_with(&format!(
            "{} object(s) and folder(s) that are not CloudTrail log files were skipped: `{base}`, `{base}_CloudTrail-Digest/`",
            stray.len() + 1
        )),
        "{note}"
    );
    // the files it did read count: no claim of unused delete for the deleter
    assert!(!rules_of(&report, "deleter-full").contains(&"s3-unused-delete"));
}

/// A record with `"resources": null`, or one that cannot be read at all, loses nothing else:
/// the rest of its file is read, the odd record counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_records_are_skipped_and_the_rest_of_their_file_read() {
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    write_trail(&s3, "trail", 2, |back, region| {
        let t = time_of(back);
        if back != 0 || region != "us-east-1" {
            return vec![event("GetObject", "idle-full", &t, "exports")];
        }
        let mut null_resources = event("DeleteObject", "reader-deletes", &t, "exports");
        null_resources["resources"] = Value::Null;
        let mut null_fields = event("DeleteObject", "reader-deletes", &t, "exports");
        null_fields["requestParameters"] = Value::Null;
        null_fields["additionalEventData"] = json!("not an object");
        null_fields["tlsDetails"] = json!(42);
        let mut bad_name = event("DeleteObject", "reader-deletes", &t, "exports");
        bad_name["eventName"] = json!(7);
        vec![
            null_resources,
            bad_name,
            json!("not a record"),
            null_fields,
            event("DeleteObject", "reader-deletes", &t, "exports"),
        ]
    })
    .await;
    let report = audit_with_trail(&conf, 2).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let usage = report.usage.as_ref().unwrap();
    assert_eq!((usage.events_scanned, usage.records_skipped), (8, 2));
    assert_eq!(usage.coverage, Some(Coverage::Partial));
    let note = usage.note.as_deref().unwrap();
    let first = log_key(
        &format!("AWSLogs/{ACCOUNT}/CloudTrail/"),
        ACCOUNT,
        "us-east-1",
        today(),
        "Mu0KsOhtH1ar0000",
    );
    assert!(
        note.contains(&format!(
            "2 record(s) could not be read and were skipped, the rest of their files read (the first: `s3://trail/{first}` record 2: `eventName` is a number, not a string)"
        )),
        "{note}"
    );
    let unexpected = finding(&report, "reader-deletes", "s3-unexpected-delete");
    assert_eq!(unexpected.evidence["count"], 3);
}

/// `role-unused` takes the trail's last activity of the role into account: IAM's
/// RoleLastUsed is empty in the emulator, the trail saw the role's session minutes ago.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_the_trail_saw_is_not_unused() {
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    let now = just_now();
    write_trail(&s3, "trail", 2, |back, region| {
        if back == 0 && region == "us-east-1" {
            vec![
                event("DeleteObject", "deleter-full", &now, "exports"),
                refused("GetObject", "reader-deletes", &now, "exports"),
            ]
        } else {
            vec![
                json!({"eventSource": "iam.amazonaws.com", "eventName": "ListRoles",
                "eventTime": time_of(back), "eventCategory": "Management"}),
            ]
        }
    })
    .await;
    let report = audit_with_trail(&conf, 2).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(!rules_of(&report, "deleter-full").contains(&"role-unused"));
    let unused = finding(&report, "idle-full", "role-unused");
    assert_eq!(unused.evidence["last_used"], Value::Null);
    assert_eq!(unused.evidence["last_activity_in_trail"], Value::Null);
    // refused only: not a use
    assert!(rules_of(&report, "reader-deletes").contains(&"role-unused"));

    // the same account without a trail: IAM's word alone
    let clients = Clients::from_conf(&conf);
    let services = Services::new(clients);
    let settings = Settings {
        lookback_days: Some(2),
        ..Settings::default()
    };
    let report =
        connector_audit::app::run(&settings, &Run::new("no-trail", now_rfc3339()), &services)
            .await
            .unwrap()
            .report;
    let unused = finding(&report, "deleter-full", "role-unused");
    assert!(unused.evidence.get("last_activity_in_trail").is_none());
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
    let idle = finding(&report, "idle-full", "s3-unused-delete");
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
    let options = trail(3);
    let (evidence, errors) = connector_audit::aws::usage::scan(
        &s3,
        &options,
        ACCOUNT,
        today(),
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
        connector_audit::aws::usage::scan(&s3, &options, ACCOUNT, today(), None).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!((evidence.files_scanned, evidence.stopped_early), (6, false));
    assert_eq!(evidence.deletes[&role_arn("idle-full")].count, 6);
}

/// When the bucket's `AWSLogs/` cannot be listed (a bucket policy may allow listing the
/// account's own folder only), Organizations names the organization, and its trail's folder
/// for the account is read. Without Organizations the note says what was not looked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_names_the_folder_when_awslogs_cannot_be_listed() {
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    let org_id = aws_sdk_organizations::Client::new(&conf)
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap()
        .organization
        .unwrap()
        .id
        .unwrap();
    let base = format!("AWSLogs/{org_id}/{ACCOUNT}/CloudTrail/");
    write_logs(&s3, "trail", &base, ACCOUNT, 0..2, |back, _| {
        vec![event(
            "DeleteObject",
            "reader-deletes",
            &time_of(back),
            "exports",
        )]
    })
    .await;
    // every listing of `AWSLogs/` itself fails; the folders below it answer
    let proxy = FaultProxy::start(
        moto.port,
        Faults::new(1.0, 3).failing().only("prefix=AWSLogs%2F HTTP"),
    );
    let via_proxy = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(proxy.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "static",
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(StdDuration::from_millis(5))
                .with_max_backoff(StdDuration::from_millis(20)),
        )
        .load()
        .await;
    let clients = Clients::from_conf(&via_proxy);
    let options = trail(2);
    let (evidence, errors) = clients.scan(&options, ACCOUNT, today(), None).await;
    assert!(
        proxy.stats.faults() >= 1,
        "the listing of AWSLogs/ was not failed: {}",
        proxy.stats.line()
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(evidence.log_prefixes, [base]);
    assert_eq!(evidence.deletes[&role_arn("reader-deletes")].count, 4);
    assert_eq!(evidence.coverage, Some(Coverage::Full));
    assert_eq!(evidence.note, None);

    // S3 alone: the organization's folder is not found, and both the error and the note say
    // why
    let (evidence, errors) =
        connector_audit::aws::usage::scan(&clients.s3, &options, ACCOUNT, today(), None).await;
    assert_eq!(evidence.files_scanned, 0);
    let note = evidence.note.as_deref().unwrap();
    assert!(
        note.contains("`s3://trail/AWSLogs/` could not be listed")
            && note.contains("an organization trail's files were not looked for"),
        "{note}"
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "NoCloudTrailLogs");
    assert!(
        errors[0]
            .message
            .contains(&format!("`AWSLogs/{ACCOUNT}/CloudTrail/`"))
    );
}

/// An organization-wide run reads each account's folder of the organization trail in the
/// management account's bucket: every account's section carries its own evidence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_run_reads_each_accounts_folder() {
    let moto = Moto::start();
    let (conf, s3) = account(&moto).await;
    let orgs = aws_sdk_organizations::Client::new(&conf);
    let org_id = orgs
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap()
        .organization
        .unwrap()
        .id
        .unwrap();
    let member = orgs
        .create_account()
        .account_name("member")
        .email("member@example.com")
        .send()
        .await
        .unwrap()
        .create_account_status
        .unwrap()
        .account_id
        .unwrap();
    // the member's connector role, made as the member (moto's CreateAccount makes
    // OrganizationAccountAccessRole; with IAM enforcement off any AssumeRole succeeds)
    let creds = aws_sdk_sts::Client::new(&conf)
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name("setup")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let member_conf = conf
        .to_builder()
        .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
            aws_sdk_iam::config::Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token().to_string()),
                None,
                "assumed",
            ),
        ))
        .build();
    connector_roles(
        &aws_sdk_iam::Client::new(&member_conf),
        &[("member-reader", "read", "/")],
    )
    .await;
    let member_arn = format!("arn:aws:iam::{member}:role/member-reader");
    for account in [ACCOUNT, member.as_str()] {
        let base = format!("AWSLogs/{org_id}/{account}/CloudTrail/");
        let member_arn = member_arn.clone();
        write_logs(&s3, "trail", &base, account, 0..2, move |back, _| {
            let t = time_of(back);
            // each account's files hold its own events
            if account == ACCOUNT {
                vec![event("DeleteObject", "deleter-full", &t, "exports")]
            } else {
                vec![event_by(&member_arn, "DeleteObject", &t, "exports"), {
                    let mut e = event_by(&member_arn, "DeleteObject", &t, "exports");
                    e["errorCode"] = json!("AccessDenied");
                    e
                }]
            }
        })
        .await;
    }

    let clients = Clients::from_conf(&conf);
    let role = RoleName::parse("OrganizationAccountAccessRole").unwrap();
    let settings = Settings {
        org_role_name: Some(role.clone()),
        usage: Some(trail(2)),
        ..Settings::default()
    };
    let run = Run::new("org-usage", now_rfc3339());
    let options = settings.audit_options(run.change.as_ref(), SuppressionSet::default());
    let organization = clients.organization(Some(role));
    let report = every_account(&organization, Some(&clients), &settings, &options, &run).await;
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.operation != "read-cloudtrail"),
        "{:?}",
        report.errors
    );
    assert_eq!(report.accounts.len(), 2);
    for section in &report.accounts {
        let usage = section.usage.as_ref().unwrap();
        assert_eq!(
            usage.log_prefixes,
            [format!(
                "AWSLogs/{org_id}/{}/CloudTrail/",
                section.account_id
            )]
        );
        assert_eq!(usage.coverage, Some(Coverage::Full), "{usage:?}");
        assert_eq!(usage.files_scanned, 4);
    }
    let member_usage = report
        .accounts
        .iter()
        .find(|a| a.account_id == member)
        .and_then(|a| a.usage.as_ref())
        .unwrap();
    assert_eq!(member_usage.denied_deletes, 4);
    let unexpected = finding(&report, "member-reader", "s3-unexpected-delete");
    assert_eq!(unexpected.role_arn, member_arn);
    assert_eq!(
        (
            unexpected.evidence["count"].clone(),
            unexpected.evidence["denied_deletes"].clone()
        ),
        (json!(4), json!(4))
    );
    assert!(!rules_of(&report, "deleter-full").contains(&"s3-unused-delete"));
}
