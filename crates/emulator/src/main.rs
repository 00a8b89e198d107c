//! Helper for `make demo` and the Lambda end-to-end check: drives the AWS emulator
//! (moto server) at `AWS_ENDPOINT_URL` with the Rust SDK.
//!
//! - `emulator seed DUMP`: creates the dump's roles and policies, a findings topic and an SQS
//!   queue subscribed to it; prints `TOPIC_ARN=...` and `QUEUE_URL=...` lines for the shell.
//! - `emulator drain QUEUE_URL [--json] [--bodies FILE]`: prints what a subscriber received,
//!   one line per message with its filter attributes and subject (with `--bodies FILE`, every
//!   SNS envelope is also written to FILE as a JSON array), or with `--json` every envelope
//!   as a JSON array on standard output.
//! - `emulator hub`: prints how many findings Security Hub holds (active and archived); `seed`
//!   turns Security Hub on.

#![allow(
    clippy::indexing_slicing,
    reason = "serde_json::Value indexing yields Null for a missing key; it does not panic"
)]

#[path = "../../../tests/it/support/mod.rs"]
mod support;

use serde_json::Value;
use std::error::Error;

async fn conf() -> Result<aws_config::SdkConfig, Box<dyn Error>> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "AWS_ENDPOINT_URL is not set")?;
    Ok(aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "static",
        ))
        .load()
        .await)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let conf = conf().await?;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["seed", dump] => {
            let dump: Value = serde_json::from_str(&std::fs::read_to_string(dump)?)?;
            support::seed_from_dump(&conf, &dump).await;
            support::enable_security_hub(&conf).await;
            let (topic, queue) = support::topic_with_queue(&conf, "connector-audit-findings").await;
            println!("TOPIC_ARN={topic}");
            println!("QUEUE_URL={queue}");
        }
        ["drain", queue, rest @ ..] => {
            let envelopes = support::drain(&conf, queue).await;
            if rest.contains(&"--json") {
                println!("{}", serde_json::to_string_pretty(&envelopes)?);
                return Ok(());
            }
            let bodies = rest
                .iter()
                .position(|a| *a == "--bodies")
                .and_then(|i| rest.get(i + 1));
            println!(
                "{} message(s) received by the SQS subscriber of the findings topic{}:",
                envelopes.len(),
                bodies
                    .map(|f| format!(" (bodies: {f})"))
                    .unwrap_or_default()
            );
            for e in &envelopes {
                let attrs = &e["MessageAttributes"];
                let attr = |k: &str| attrs[k]["Value"].as_str().unwrap_or("-").to_string();
                let line = if attr("kind") == "finding" {
                    format!(
                        "finding  {:<8}  {:<32}  {}",
                        attr("severity").to_uppercase(),
                        attr("rule"),
                        attr("role")
                    )
                } else {
                    format!(
                        "{:<7}  {}",
                        attr("kind"),
                        e["Subject"].as_str().unwrap_or_default()
                    )
                };
                println!("  {line}");
            }
            if let Some(file) = bodies {
                std::fs::write(file, serde_json::to_string_pretty(&envelopes)? + "\n")?;
            }
        }
        ["hub"] => {
            let found = support::hub_findings(&conf).await;
            let active = found
                .iter()
                .filter(|f| f.record_state().map(|r| r.as_str()) == Some("ACTIVE"))
                .count();
            println!(
                "Security Hub holds {} finding(s): {active} active, {} archived",
                found.len(),
                found.len() - active
            );
        }
        _ => {
            return Err(
                "usage: emulator seed DUMP | emulator drain QUEUE_URL [--json] [--bodies FILE] | emulator hub"
                    .into(),
            );
        }
    }
    Ok(())
}
