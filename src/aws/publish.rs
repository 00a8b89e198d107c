//! SNS PublishBatch: up to 10 entries and 262,144 bytes per call (see [`crate::notify::batches`]).
//! Entries SNS reports as failed are sent again (a few times, with a pause); a message that
//! still fails makes the whole publish fail, so that the Lambda invocation fails and its retry
//! and failure destination catch the run.

use super::AwsError;
use crate::notify::{Message, batches};
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use std::time::Duration;

/// Attempts for entries that SNS rejected one by one (the SDK already retries whole calls).
const ENTRY_ATTEMPTS: u32 = 3;

/// Why publishing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("{failed} of {total} message(s) could not be published to `{topic}`; first: {first}")]
    Entries {
        topic: String,
        failed: usize,
        total: usize,
        first: String,
    },
    #[error("message `{id}` could not be built: {reason}")]
    Build { id: String, reason: String },
}

/// Publishes every message to `topic`; returns how many were accepted.
pub async fn publish(
    sns: &aws_sdk_sns::Client,
    topic: &str,
    messages: &[Message],
) -> Result<usize, PublishError> {
    let mut published = 0usize;
    for batch in batches(messages) {
        let mut pending: Vec<&Message> = batch;
        let mut last_failure = String::new();
        for attempt in 1..=ENTRY_ATTEMPTS {
            let entries = pending
                .iter()
                .map(|m| entry(m))
                .collect::<Result<Vec<_>, _>>()?;
            let out = sns
                .publish_batch()
                .topic_arn(topic)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("sns:PublishBatch", &e))?;
            published += out.successful().len();
            tracing::debug!(
                attempt,
                accepted = out.successful().len(),
                failed = out.failed().len(),
                "sns:PublishBatch answered"
            );
            let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
            if let Some(f) = out.failed().first() {
                last_failure = format!(
                    "{}: {}: {}",
                    f.id(),
                    f.code(),
                    f.message().unwrap_or_default()
                );
                // a sender fault (bad input) will not get better by trying again
                if out.failed().iter().all(|f| f.sender_fault()) {
                    return Err(PublishError::Entries {
                        topic: topic.to_string(),
                        failed: failed.len(),
                        total: messages.len(),
                        first: last_failure,
                    });
                }
            }
            pending.retain(|m| failed.contains(&m.id.as_str()));
            if pending.is_empty() {
                break;
            }
            tracing::warn!(attempt, failed = pending.len(), first = %last_failure, "sns entries failed, retrying");
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
        if !pending.is_empty() {
            return Err(PublishError::Entries {
                topic: topic.to_string(),
                failed: pending.len(),
                total: messages.len(),
                first: last_failure,
            });
        }
    }
    Ok(published)
}

fn entry(m: &Message) -> Result<PublishBatchRequestEntry, PublishError> {
    let build_err = |e: &dyn std::fmt::Display| PublishError::Build {
        id: m.id.clone(),
        reason: e.to_string(),
    };
    let mut b = PublishBatchRequestEntry::builder()
        .id(&m.id)
        .subject(&m.subject)
        .message(&m.structured)
        .message_structure("json");
    for (k, v) in &m.attributes {
        let value = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .map_err(|e| build_err(&e))?;
        b = b.message_attributes(k, value);
    }
    b.build().map_err(|e| build_err(&e))
}
