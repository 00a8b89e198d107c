//! Reads a CloudTrail trail's log files from S3: the regions present, each day of the window,
//! each file streamed and decompressed as it arrives (one record in memory at a time, a few
//! files at once), tallied by [`crate::usage`]. A file that cannot be read is an error entry
//! and the scan goes on; at the deadline the scan stops and says how far it got.

use super::AwsError;
use crate::app::ports::{BoxFuture, UsageSource};
use crate::model::{ErrorEntry, Operation};
use crate::usage::{UsageEvidence, UsageOptions, day_prefix, read_records, regions_prefix, window};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;
use time::Date;

/// Files read at once.
const FILE_CONCURRENCY: usize = 4;

/// Every key (and common prefix, with a delimiter) under `prefix`, all pages.
async fn list(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
) -> Result<(Vec<String>, Vec<String>), AwsError> {
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_delimiter(delimiter.map(str::to_string))
        .into_paginator()
        .send();
    let (mut keys, mut prefixes) = (Vec::new(), Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("s3:ListObjectsV2", &e))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key())
                .map(str::to_string),
        );
        prefixes.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix())
                .map(str::to_string),
        );
    }
    Ok((keys, prefixes))
}

/// One file, streamed: S3 body -> gzip -> records, on a blocking thread.
async fn read_file(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<UsageEvidence, String> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:GetObject", &e).to_string())?;
    let reader = tokio_util::io::SyncIoBridge::new(out.body.into_async_read());
    let bucket = bucket.to_string();
    tokio::task::spawn_blocking(move || {
        let mut part = UsageEvidence::new(&bucket, 0);
        let gz = flate2::read::MultiGzDecoder::new(reader);
        read_records(gz, &mut |r| part.observe(r))?;
        part.files_scanned = 1;
        Ok(part)
    })
    .await
    .map_err(|e| format!("the reader stopped: {e}"))?
}

fn error(code: impl Into<crate::model::ErrorCode>, message: String) -> ErrorEntry {
    ErrorEntry::new(Operation::ReadCloudtrail, code, message)
}

/// Scans the window of the trail for `account`. Never fails: what could not be read is in the
/// returned errors, and the evidence's coverage says what it is worth.
pub async fn scan(
    s3: &aws_sdk_s3::Client,
    options: &UsageOptions,
    account: &str,
    today: Date,
    deadline: Option<Instant>,
) -> (UsageEvidence, Vec<ErrorEntry>) {
    let mut evidence = UsageEvidence::new(&options.bucket, options.lookback_days);
    let mut errors = Vec::new();
    let base = regions_prefix(options.prefix.as_deref(), account);
    let regions: Vec<String> = match list(s3, &options.bucket, &base, Some("/")).await {
        Ok((_, prefixes)) => prefixes
            .iter()
            .filter_map(|p| p.strip_prefix(&base))
            .map(|r| r.trim_end_matches('/').to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        Err(e) => {
            errors.push(error(
                e.code.clone(),
                format!("cannot list `s3://{}/{base}`: {e}", options.bucket),
            ));
            evidence.finish();
            return (evidence, errors);
        }
    };
    evidence.regions = regions.clone();
    let days = window(today, options.lookback_days);
    // (day, region) -> keys
    let mut files: Vec<String> = Vec::new();
    let mut covered: BTreeMap<Date, BTreeSet<&str>> = BTreeMap::new();
    for day in &days {
        for region in &regions {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                evidence.stopped_early = true;
                break;
            }
            let prefix = day_prefix(&base, region, *day);
            match list(s3, &options.bucket, &prefix, None).await {
                Ok((keys, _)) => {
                    if !keys.is_empty() {
                        covered.entry(*day).or_default().insert(region.as_str());
                    }
                    files.extend(keys);
                }
                Err(e) => errors.push(error(
                    e.code.clone(),
                    format!("cannot list `s3://{}/{prefix}`: {e}", options.bucket),
                )),
            }
        }
    }
    evidence.days_covered = covered
        .values()
        .filter(|r| !regions.is_empty() && r.len() == regions.len())
        .count() as u32;
    let bucket = options.bucket.as_str();
    let results: Vec<(String, Option<Result<UsageEvidence, String>>)> =
        futures::stream::iter(files)
            .map(|key| async move {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return (key, None);
                }
                let read = read_file(s3, bucket, &key);
                let result = match deadline {
                    None => Some(read.await),
                    Some(d) => tokio::time::timeout_at(tokio::time::Instant::from_std(d), read)
                        .await
                        .ok(),
                };
                (key, result)
            })
            .buffer_unordered(FILE_CONCURRENCY)
            .collect()
            .await;
    for (key, result) in results {
        match result {
            Some(Ok(part)) => evidence.merge(part),
            Some(Err(e)) => {
                evidence.files_failed += 1;
                errors.push(error(
                    "UnreadableLogFile",
                    format!("`s3://{bucket}/{key}` was skipped: {e}"),
                ));
            }
            None => evidence.stopped_early = true,
        }
    }
    if evidence.stopped_early {
        errors.push(error(
            "DeadlineExceeded",
            format!(
                "the CloudTrail scan stopped at the deadline after {} file(s)",
                evidence.files_scanned
            ),
        ));
    }
    evidence.finish();
    (evidence, errors)
}

impl UsageSource for super::Clients {
    fn scan<'a>(
        &'a self,
        options: &'a UsageOptions,
        account: &'a str,
        today: Date,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, (UsageEvidence, Vec<ErrorEntry>)> {
        Box::pin(scan(&self.s3, options, account, today, deadline))
    }
}
