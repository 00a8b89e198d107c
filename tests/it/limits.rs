//! Reading back from S3 within the function's memory: the previous report and the central
//! suppressions file are refused over an eighth of `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (16 MiB at
//! 128 MB), with an error entry that says so, and the run goes on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use connector_audit::app::Settings;
use connector_audit::aws::Clients;
use connector_audit::lambda::handle;
use connector_audit::model::Report;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::json;
use support::{Moto, s3_client, seed_demo_account};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_objects_are_refused_by_the_memory_limit() {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    seed_demo_account(&conf).await;
    let s3 = s3_client(&conf);
    for b in ["reports", "cfg"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let options = Settings::default().audit_options(None, Default::default());
    let scope = connector_audit::baseline::scope_id(&options, false);
    let latest = connector_audit::baseline::latest_key(support::ACCOUNT, &scope);
    // 17 MiB: over the 16 MiB of a 128 MB function
    let big = vec![b' '; 17 * 1024 * 1024];
    for (bucket, key) in [("reports", latest.as_str()), ("cfg", "suppressions.json")] {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(big.clone().into())
            .send()
            .await
            .unwrap();
    }
    let clients = Clients::from_conf(&conf);
    let deps = support::deps(
        &clients,
        &[
            ("REPORT_BUCKET", "reports"),
            ("SUPPRESSIONS_S3_URI", "s3://cfg/suppressions.json"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ],
    );
    assert_eq!(deps.settings.read_limit, 16 * 1024 * 1024);
    let answer = handle(
        LambdaEvent::new(json!({"publish": false}), Context::default()),
        &deps,
    )
    .await
    .unwrap();
    let report: Report = serde_json::from_value(answer).unwrap();
    assert!(!report.complete);
    assert_eq!(report.summary.roles_audited, 16, "the run went on");
    for (operation, limit) in [
        ("read-previous-report", 16 * 1024 * 1024),
        ("read-suppressions", 1024 * 1024),
    ] {
        let e = report
            .errors
            .iter()
            .find(|e| e.operation == operation)
            .unwrap_or_else(|| panic!("no {operation} error: {:?}", report.errors));
        assert!(
            e.message
                .contains(&format!("17825792 bytes, over the {limit}-byte limit"))
                && e.message.contains("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
            "{}",
            e.message
        );
    }
}
