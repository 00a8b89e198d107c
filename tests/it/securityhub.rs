//! Security Hub against the emulator (moto server's BatchImportFindings and GetFindings;
//! moto ignores GetFindings' filters, so the adapter's own filtering is exercised too). After
//! a run, Security Hub holds exactly the report's findings with the mapped fields; a second
//! run that resolves one archives it (from the previous report in the report bucket, and
//! without one from the findings Security Hub holds); the SNS messages are the same with or
//! without Security Hub, but for the summary's added fields.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use connector_audit::app::{Run, Settings};
use connector_audit::aws::{Clients, services};
use connector_audit::model::Report;
use std::collections::BTreeMap;
use support::{
    Moto, drain, enable_security_hub, hub_findings, seed_demo_account, topic_with_queue,
};

/// An emulator holding the demo account, with Security Hub turned on.
async fn demo_with_security_hub() -> (Moto, aws_config::SdkConfig) {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    seed_demo_account(&conf).await;
    enable_security_hub(&conf).await;
    (moto, conf)
}

async fn run(clients: &Clients, settings: &Settings, id: &str) -> Report {
    let services = services(clients, settings);
    connector_audit::app::run(settings, &Run::new(id, "2026-01-01T00:00:00Z"), &services)
        .await
        .unwrap()
        .report
}

fn by_id(
    found: &[aws_sdk_securityhub::types::AwsSecurityFinding],
) -> BTreeMap<String, &aws_sdk_securityhub::types::AwsSecurityFinding> {
    found
        .iter()
        .map(|f| (f.id().unwrap().to_string(), f))
        .collect()
}

async fn untrust_anyone(conf: &aws_config::SdkConfig, role: &str) {
    aws_sdk_iam::Client::new(conf)
        .update_assume_role_policy()
        .role_name(role)
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
}

/// Security Hub holds exactly the report's findings, mapped; a resolved one is archived.
#[tokio::test]
async fn security_hub_holds_the_reports_findings_and_archives_the_resolved() {
    let (_moto, conf) = demo_with_security_hub().await;
    let s3 = support::s3_client(&conf);
    s3.create_bucket().bucket("reports").send().await.unwrap();
    let clients = Clients::from_conf(&conf);
    let settings = Settings {
        security_hub: true,
        report_bucket: Some("reports".into()),
        ..Settings::default()
    };
    let first = run(&clients, &settings, "run-1").await;
    assert!(first.complete, "{:?}", first.errors);
    let hub = first.summary.security_hub.clone().unwrap();
    assert_eq!(hub.imported, first.findings.len());
    assert_eq!((hub.archived, hub.failed), (0, 0));
    assert_eq!(
        hub.product_arn,
        "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    );
    let found = hub_findings(&conf).await;
    let held = by_id(&found);
    assert_eq!(
        held.keys().cloned().collect::<Vec<_>>(),
        {
            let mut ids: Vec<String> = first.findings.iter().map(|f| f.id.clone()).collect();
            ids.sort();
            ids
        },
        "Security Hub holds exactly the report's findings"
    );
    for f in &first.findings {
        let a = held[&f.id];
        assert_eq!(a.generator_id(), Some(f.rule.as_str()));
        assert_eq!(a.aws_account_id(), Some("123456789012"));
        assert_eq!(a.product_arn(), Some(hub.product_arn.as_str()));
        assert_eq!(
            a.severity().unwrap().label().unwrap().as_str(),
            connector_audit::render::asff::severity_label(f.severity)
        );
        assert_eq!(
            a.description().unwrap(),
            f.message.chars().take(1024).collect::<String>()
        );
        assert_eq!(a.record_state().unwrap().as_str(), "ACTIVE");
        assert_eq!(a.compliance().unwrap().status().unwrap().as_str(), "FAILED");
        let r = &a.resources()[0];
        assert_eq!(
            (r.r#type(), r.id()),
            (Some("AwsIamRole"), Some(f.role_arn.as_str()))
        );
        assert_eq!(
            r.details().unwrap().aws_iam_role().unwrap().role_name(),
            Some(f.role_name.as_str())
        );
        let fields = a.product_fields().unwrap();
        assert_eq!(fields["connector-audit/rule"], f.rule);
        assert_eq!(fields["connector-audit/policy"], f.policy.to_string());
        assert!(
            a.remediation()
                .unwrap()
                .recommendation()
                .unwrap()
                .text()
                .is_some()
        );
        assert!(!a.title().unwrap().is_empty());
    }
    // the HTML page is beside the JSON report
    let listed = s3.list_objects_v2().bucket("reports").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert!(keys.iter().any(|k| k.ends_with("/run-1.html")), "{keys:?}");
    assert!(keys.iter().any(|k| k.ends_with("/run-1.json")), "{keys:?}");

    // the open trust policy is fixed: its finding is resolved, and archived in Security Hub
    let any = first
        .findings
        .iter()
        .find(|f| f.rule == "trust-any-principal")
        .unwrap()
        .clone();
    untrust_anyone(&conf, &any.role_name).await;
    let second = run(&clients, &settings, "run-2").await;
    assert!(!second.findings.iter().any(|f| f.id == any.id));
    let hub = second.summary.security_hub.clone().unwrap();
    assert!(hub.archived >= 1, "{hub:?}");
    assert_eq!(hub.imported, second.findings.len());
    let found = hub_findings(&conf).await;
    let held = by_id(&found);
    assert_eq!(held[&any.id].record_state().unwrap().as_str(), "ARCHIVED");
    let active: Vec<&String> = held
        .iter()
        .filter(|(_, f)| f.record_state().unwrap().as_str() == "ACTIVE")
        .map(|(id, _)| id)
        .collect();
    let mut now: Vec<&String> = second.findings.iter().map(|f| &f.id).collect();
    now.sort();
    assert_eq!(
        active, now,
        "the active findings are exactly the second report's"
    );
}

/// Without a report bucket, the findings Security Hub holds stand for the previous report.
#[tokio::test]
async fn without_a_report_bucket_security_hub_is_read_back() {
    let (_moto, conf) = demo_with_security_hub().await;
    let clients = Clients::from_conf(&conf);
    let settings = Settings {
        security_hub: true,
        ..Settings::default()
    };
    let first = run(&clients, &settings, "run-1").await;
    let any = first
        .findings
        .iter()
        .find(|f| f.rule == "trust-any-principal")
        .unwrap()
        .clone();
    untrust_anyone(&conf, &any.role_name).await;
    let second = run(&clients, &settings, "run-2").await;
    assert!(second.complete, "{:?}", second.errors);
    assert!(second.summary.security_hub.as_ref().unwrap().archived >= 1);
    let found = hub_findings(&conf).await;
    assert_eq!(
        by_id(&found)[&any.id].record_state().unwrap().as_str(),
        "ARCHIVED"
    );
}

/// The SNS messages do not change with Security Hub, but for the summary's added fields.
#[tokio::test]
async fn the_sns_path_is_unchanged() {
    let (_moto, conf) = demo_with_security_hub().await;
    let (topic, queue) = topic_with_queue(&conf, "connector-audit-findings").await;
    let clients = Clients::from_conf(&conf);
    let plain = Settings {
        topic_arn: Some(topic.clone()),
        ..Settings::default()
    };
    let with_hub = Settings {
        security_hub: true,
        ..plain.clone()
    };
    let messages = |envelopes: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        let mut out: Vec<serde_json::Value> = envelopes
            .iter()
            .map(|e| {
                let body: serde_json::Value =
                    serde_json::from_str(e["Message"].as_str().unwrap()).unwrap();
                let mut body = body;
                if let Some(o) = body.as_object_mut() {
                    o.remove("security_hub");
                }
                serde_json::json!({"subject": e["Subject"], "body": body})
            })
            .collect();
        out.sort_by_key(|v| v.to_string());
        out
    };
    run(&clients, &plain, "same-run").await;
    let before = messages(drain(&conf, &queue).await);
    let report = run(&clients, &with_hub, "same-run").await;
    let after = messages(drain(&conf, &queue).await);
    assert!(report.summary.security_hub.is_some());
    assert_eq!(
        before.len(),
        report
            .findings
            .iter()
            .filter(|f| f.is_active() && f.severity >= plain.min_severity)
            .count()
            + 1
    );
    assert_eq!(before, after);
}
