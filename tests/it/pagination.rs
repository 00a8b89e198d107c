//! GetAccountAuthorizationDetails pagination. moto answers in one page whatever MaxItems says,
//! so these answers are replayed: two real-format pages (IsTruncated + Marker), and a second
//! page that fails. Every page is read, and a failing page fails the inventory instead of
//! silently ending it. The answers come from a small HTTP server on a loopback port, in
//! order, which keeps every request's body.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aws_config::BehaviorVersion;
use connector_audit::app::{Run, Services, Settings};
use connector_audit::aws::{Clients, inventory};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const TRUST_ANY: &str = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22%2A%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
const TRUST_SAME: &str = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22123456789012%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%7D";
const STAR: &str = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D";

fn role(name: &str, trust: &str, attached: &str) -> String {
    format!(
        "<member><Path>/</Path><RoleName>{name}</RoleName><RoleId>AROAEXAMPLE{name}</RoleId>\
         <Arn>arn:aws:iam::123456789012:role/{name}</Arn><CreateDate>2025-01-01T00:00:00Z</CreateDate>\
         <AssumeRolePolicyDocument>{trust}</AssumeRolePolicyDocument><InstanceProfileList/>\
         <RolePolicyList/><AttachedManagedPolicies>{attached}</AttachedManagedPolicies>\
         <Tags><member><Key>connector</Key><Value>vendor</Value></member></Tags><RoleLastUsed/></member>"
    )
}

fn page(truncated: Option<&str>, roles: &str, policies: &str) -> String {
    let marker = truncated
        .map(|m| format!("<Marker>{m}</Marker>"))
        .unwrap_or_default();
    format!(
        "<GetAccountAuthorizationDetailsResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <GetAccountAuthorizationDetailsResult><IsTruncated>{}</IsTruncated>{marker}\
         <UserDetailList/><GroupDetailList/><RoleDetailList>{roles}</RoleDetailList><Policies>{policies}</Policies>\
         </GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>req-{}</RequestId></ResponseMetadata>\
         </GetAccountAuthorizationDetailsResponse>",
        truncated.is_some(),
        if truncated.is_some() { 1 } else { 2 }
    )
}

/// An answer: HTTP status and XML body.
fn event(status: u16, body: String) -> (u16, String) {
    (status, body)
}

/// Answers the requests with `events`, one each, in order (`connection: close`, as IAM's
/// query API is happy with), and keeps the requests' bodies.
struct Replay {
    port: u16,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Replay {
    fn new(events: Vec<(u16, String)>) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for (status, body) in events {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut request = vec![0; length];
                reader.read_exact(&mut request).unwrap();
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&request).to_string());
                let request_id = if status == 200 {
                    "req-ok"
                } else {
                    "req-denied"
                };
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: text/xml\r\nx-amzn-requestid: {request_id}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Replay { port, bodies }
    }

    fn actual_bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

/// A live run (no publishing) over the replayed answers.
async fn live_report(replay: &Replay) -> connector_audit::model::Report {
    let run = Run::new("r", "t");
    let services = Services::new(clients(replay).await);
    connector_audit::app::run(&Settings::default(), &run, &services)
        .await
        .unwrap()
        .report
}

async fn clients(replay: &Replay) -> Clients {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{}", replay.port))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "AKID", "SECRET", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    Clients::from_conf(&conf)
}

#[tokio::test]
async fn every_page_is_read_and_policies_resolve_across_pages() {
    let attached = "<member><PolicyName>Star</PolicyName><PolicyArn>arn:aws:iam::123456789012:policy/Star</PolicyArn></member>";
    let policy = format!(
        "<member><PolicyName>Star</PolicyName><Arn>arn:aws:iam::123456789012:policy/Star</Arn><DefaultVersionId>v1</DefaultVersionId>\
         <PolicyVersionList><member><Document>{STAR}</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></member></PolicyVersionList></member>"
    );
    let replay = Replay::new(vec![
        event(
            200,
            page(Some("page-2"), &role("first", TRUST_SAME, attached), ""),
        ),
        event(200, page(None, &role("second", TRUST_ANY, ""), &policy)),
    ]);
    let inv = inventory::fetch(&clients(&replay).await).await.unwrap();
    let names: Vec<&str> = inv.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["first", "second"]);
    assert!(inv.errors.is_empty(), "{:?}", inv.errors);
    // the policy listed on page 2 resolves the attachment of the role on page 1
    assert_eq!(inv.roles[0].managed.len(), 1);
    let bodies = replay.actual_bodies();
    assert_eq!(bodies.len(), 2);
    assert!(
        bodies[0].contains("Filter.member.1=Role") && bodies[0].contains("LocalManagedPolicy"),
        "{}",
        bodies[0]
    );
    assert!(!bodies[0].contains("Marker="));
    assert!(bodies[1].contains("Marker=page-2"), "{}", bodies[1]);

    // and the rules see both pages' roles
    let replay = Replay::new(vec![
        event(
            200,
            page(Some("page-2"), &role("first", TRUST_SAME, attached), ""),
        ),
        event(200, page(None, &role("second", TRUST_ANY, ""), &policy)),
    ]);
    let report = live_report(&replay).await;
    let rules: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.role_name.as_str(), f.rule.as_str()))
        .collect();
    assert!(
        rules.contains(&("second", "trust-any-principal")),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("first", "s3-wildcard-bucket")),
        "{rules:?}"
    );
}

#[tokio::test]
async fn a_failing_page_fails_the_inventory_loudly() {
    let denied = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
        <Code>AccessDenied</Code><Message>not authorized to perform iam:GetAccountAuthorizationDetails</Message></Error>\
        <RequestId>req-denied</RequestId></ErrorResponse>";
    let replay = Replay::new(vec![
        event(
            200,
            page(Some("page-2"), &role("first", TRUST_SAME, ""), ""),
        ),
        event(403, denied.to_string()),
    ]);
    let err = inventory::fetch(&clients(&replay).await).await.unwrap_err();
    assert_eq!(err.code, "AccessDenied");
    assert_eq!(err.operation, "iam:GetAccountAuthorizationDetails");
    assert_eq!(err.request_id.as_deref(), Some("req-denied"));
    assert!(err.to_string().contains("not authorized"), "{err}");

    // a live run turns it into an incomplete report that says why
    let replay = Replay::new(vec![
        event(
            200,
            page(Some("page-2"), &role("first", TRUST_SAME, ""), ""),
        ),
        event(403, denied.to_string()),
    ]);
    let report = live_report(&replay).await;
    assert!(!report.complete);
    assert_eq!(report.summary.roles_audited, 0);
    assert!(
        report.errors[0].message.contains("AccessDenied"),
        "{:?}",
        report.errors
    );
}
