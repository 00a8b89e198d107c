//! Credentials never leave the process: an emulator audit with probing and publishing, the
//! function's handler logging with the function's own filter at `LOG_LEVEL=debug`, then the logs,
//! the report and every SNS message are searched for the auditor's secret key and for every
//! session credential the probe used (the access key ids and session tokens moto recorded on
//! the S3 requests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use aws_sdk_iam::types::Tag;
use connector_audit::app::Settings;
use connector_audit::aws::Clients;
use connector_audit::lambda::{Deps, handle};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::json;
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::{Moto, drain, s3_client, topic_with_queue};

const KEY: &str = "AKIAAUDITORKEY000001";
const SECRET: &str = "auditor-secret-0123456789abcdefXYZ";

/// Log lines, collected.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_credential_reaches_logs_reports_or_messages() {
    let moto = Moto::start_with(&[("MOTO_ENABLE_RECORDING", "True")]);
    let conf = moto.sdk_config_as(KEY, SECRET).await;
    let iam = aws_sdk_iam::Client::new(&conf);
    let s3 = s3_client(&conf);
    for i in 0..3 {
        let bucket = format!("data-{i}");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        iam.create_role()
            .role_name(format!("connector-{i}"))
            .assume_role_policy_document(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
                .to_string(),
            )
            .tags(Tag::builder().key("connector").value("x").build().unwrap())
            .send()
            .await
            .unwrap();
        iam.put_role_policy()
            .role_name(format!("connector-{i}"))
            .policy_name("s3")
            .policy_document(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                    "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}]})
                .to_string(),
            )
            .send()
            .await
            .unwrap();
    }
    let (topic, queue) = topic_with_queue(&conf, "findings").await;
    let settings = Settings::from_env(|k| match k {
        "FINDINGS_TOPIC_ARN" => Some(topic.clone()),
        "MIN_SEVERITY" => Some("info".into()),
        "PROBE" => Some("on".into()),
        _ => None,
    })
    .unwrap();
    let deps = Deps {
        services: connector_audit::aws::services(&Clients::from_conf(&conf), &settings),
        settings,
    };

    let logs = Sink::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter(connector_audit::lambda::log_filter("debug"))
        .with_writer(move || writer.clone())
        .finish();
    moto.start_recording();
    let response = {
        let _guard = tracing::subscriber::set_default(subscriber);
        handle(LambdaEvent::new(json!({}), Context::default()), &deps)
            .await
            .unwrap()
    };
    let recording = moto.recording();
    let report = response.to_string();
    let messages = serde_json::to_string(&drain(&conf, &queue).await).unwrap();
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();

    // the run really probed, published and logged at debug level
    assert_eq!(response["probe"]["roles_probed"], 3, "{report}");
    assert!(messages.contains("\"kind\\\":\\\"summary\\\"") || messages.contains("summary"));
    assert!(logs.lines().count() >= 15, "{logs}");
    assert!(logs.contains("\"level\":\"DEBUG\""));
    // (the SDK's own debug lines print access key ids: they stay off unless asked for, see
    // `log_filter`; this test would catch them)

    // the session credentials the probe used, as moto saw them
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    for r in &recording {
        let headers = &r["headers"];
        if let Some(token) = headers["X-Amz-Security-Token"].as_str() {
            secrets.insert(token.to_string());
        }
        if let Some(auth) = headers["Authorization"].as_str()
            && let Some(key) = auth
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split('/').next())
            && key.starts_with("ASIA")
        {
            secrets.insert(key.to_string());
        }
    }
    assert!(
        secrets.len() >= 6,
        "expected 3 sessions' keys and tokens in the recording, got {secrets:?}"
    );
    secrets.insert(SECRET.to_string());
    for (name, text) in [
        ("logs", &logs),
        ("report", &report),
        ("messages", &messages),
    ] {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a credential ({}...) appears in the {name}",
                &secret[..8]
            );
        }
    }
}
