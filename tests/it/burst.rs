//! A burst of IAM changes (a Terraform apply), buffered in SQS as the template's change path
//! does: 200 change events, plus one ambiguous message, sent to a queue in the emulator, then
//! read as Lambda's SQS event source mapping would (batches of up to 100 messages) and handed
//! to the function. It audits the union of each batch's roles once: 2 audits, not 200; each of
//! exactly the connector roles its batch named; the bad message is a batch item failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use connector_audit::aws::Clients;
use connector_audit::lambda::handle;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{Moto, drain, fixture, seed_demo_account, topic_with_queue};

/// The batch size of the event source mapping (template.yaml).
const BATCH: usize = 100;

fn change_event(i: usize, role: &str) -> Value {
    let name = [
        "PutRolePolicy",
        "TagRole",
        "AttachRolePolicy",
        "UpdateAssumeRolePolicy",
    ][i % 4];
    json!({
        "version": "0", "id": format!("ev-{i}"), "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.iam", "account": support::ACCOUNT, "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1", "resources": [],
        "detail": {
            "eventSource": "iam.amazonaws.com", "eventName": name, "eventID": format!("e-{i}"),
            "eventTime": "2026-01-01T00:00:00Z", "recipientAccountId": support::ACCOUNT,
            "userIdentity": {"arn": "arn:aws:iam::123456789012:user/terraform"},
            "requestParameters": {"roleName": role, "policyName": "p"}
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_changes_are_two_audits_of_the_right_roles() {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    seed_demo_account(&conf).await;
    let dump: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("demo-account.json")).unwrap())
            .unwrap();
    let roles: Vec<(String, bool)> = dump["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let tagged = r["Tags"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| t["Key"] == "connector");
            (r["RoleName"].as_str().unwrap().to_string(), tagged)
        })
        .collect();
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let queue = sqs
        .create_queue()
        .queue_name("iam-changes")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let mut sent: Vec<String> = Vec::new();
    for i in 0..200 {
        let role = &roles[i % roles.len()].0;
        sent.push(role.clone());
        sqs.send_message()
            .queue_url(&queue)
            .message_body(change_event(i, role).to_string())
            .send()
            .await
            .unwrap();
    }
    // one ambiguous message: its role named twice
    sqs.send_message()
        .queue_url(&queue)
        .message_body(r#"{"source": "aws.iam", "detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "TagRole", "requestParameters": {"roleName": "a", "roleName": "b"}}}"#)
        .send()
        .await
        .unwrap();

    let (topic, findings_queue) = topic_with_queue(&conf, "findings").await;
    let clients = Clients::from_conf(&conf);
    let deps = support::deps(&clients, &[("FINDINGS_TOPIC_ARN", topic.as_str())]);

    let mut invocations = 0;
    let mut audit_count = 0;
    let mut audited: Vec<BTreeSet<String>> = Vec::new();
    let mut named: Vec<BTreeSet<String>> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    loop {
        // Lambda's poller: up to BATCH messages (10 a receive) into one invocation
        let mut records: Vec<Value> = Vec::new();
        let mut handles: Vec<(String, String)> = Vec::new();
        while records.len() < BATCH {
            let got = sqs
                .receive_message()
                .queue_url(&queue)
                .max_number_of_messages(10)
                .visibility_timeout(600)
                .send()
                .await
                .unwrap();
            if got.messages().is_empty() {
                break;
            }
            for m in got.messages() {
                let id = m.message_id().unwrap().to_string();
                records.push(json!({
                    "messageId": id, "receiptHandle": m.receipt_handle().unwrap(),
                    "body": m.body().unwrap(), "attributes": {}, "messageAttributes": {},
                    "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:iam-changes"
                }));
                handles.push((id, m.receipt_handle().unwrap().to_string()));
            }
        }
        if records.is_empty() {
            break;
        }
        let names: BTreeSet<String> = records
            .iter()
            .filter_map(|r| {
                let body: Value = serde_json::from_str(r["body"].as_str().unwrap()).ok()?;
                Some(
                    body["detail"]["requestParameters"]["roleName"]
                        .as_str()?
                        .to_string(),
                )
            })
            .collect();
        named.push(names);
        invocations += 1;
        let mut context = Context::default();
        context.request_id = format!("batch-{invocations}");
        let answer = handle(
            LambdaEvent::new(json!({"Records": records}), context),
            &deps,
        )
        .await
        .unwrap();
        let failed: Vec<String> = answer["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
            .collect();
        let audits = answer["audits"].as_array().unwrap();
        assert!(
            audits.len() <= 1,
            "one account: one audit a batch: {answer}"
        );
        audit_count += audits.len();
        audited.push(
            audits
                .iter()
                .flat_map(|a| a["roles_audited"].as_array().unwrap())
                .map(|r| r.as_str().unwrap().to_string())
                .collect(),
        );
        // the poller deletes what succeeded
        for (id, handle) in &handles {
            if !failed.contains(id) {
                sqs.delete_message()
                    .queue_url(&queue)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .unwrap();
            }
        }
        failures.extend(failed);
    }
    assert!(
        invocations <= 3,
        "201 messages in batches of {BATCH}: {invocations}"
    );
    assert_eq!(audit_count, 2, "200 change events: 2 audits");
    assert_eq!(
        failures.len(),
        1,
        "only the ambiguous message: {failures:?}"
    );
    // each audit: exactly the connector roles its batch named
    let connector: BTreeSet<String> = roles
        .iter()
        .filter(|(_, tagged)| *tagged)
        .map(|(n, _)| n.clone())
        .collect();
    for (names, roles) in named.iter().zip(&audited) {
        let want: BTreeSet<String> = names.intersection(&connector).cloned().collect();
        assert_eq!(roles, &want);
    }
    let all: BTreeSet<String> = audited.iter().flatten().cloned().collect();
    let want: BTreeSet<String> = sent
        .iter()
        .filter(|r| connector.contains(*r))
        .cloned()
        .collect();
    assert_eq!(all, want, "every connector role named was audited");
    // one summary per audit, not per event
    let messages = drain(&conf, &findings_queue).await;
    eprintln!(
        "burst: 200 change events + 1 bad -> {invocations} invocations, {audit_count} audits, {} messages published",
        messages.len()
    );
}
