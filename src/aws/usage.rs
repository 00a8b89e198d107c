//! Reads a CloudTrail trail's log files from S3: where the account's files are (its own
//! trail's folder and any organization trail's), the regions present, each day of the window,
//! each log file streamed and decompressed as it arrives (one record in memory at a time, a
//! few files at once), tallied by [`crate::usage`]. Objects that are not log files are
//! skipped and counted; a log file that cannot be read is an error entry and the scan goes
//! on; at the deadline the scan stops and says how far it got.

use super::AwsError;
use crate::app::ports::{BoxFuture, UsageSource};
use crate::app::progress;
use crate::model::{ErrorCode, ErrorEntry, Operation};
use crate::usage::layout::{
    day_prefix, is_log_file, is_organization_id, is_region, log_prefixes, logs_root,
    organization_ids,
};
use crate::usage::{UsageEvidence, UsageOptions, no_logs_message, read_records, window};
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
    let (bucket, key) = (bucket.to_string(), key.to_string());
    tokio::task::spawn_blocking(move || {
        let mut part = UsageEvidence::new(&bucket, 0);
        let gz = flate2::read::MultiGzDecoder::new(reader);
        read_records(gz, &mut |r| part.observe(r))?;
        part.files_scanned = 1;
        // where the first unreadable record is, for the coverage note
        part.first_skipped_record = part
            .first_skipped_record
            .take()
            .map(|r| format!("`s3://{bucket}/{key}` {r}"));
        Ok(part)
    })
    .await
    .map_err(|e| format!("the reader stopped: {e}"))?
}

/// The organization these credentials belong to (`organizations:DescribeOrganization`, which
/// any account of an organization may call); `None` when the account is in none.
async fn organization_id(
    organizations: &aws_sdk_organizations::Client,
) -> Result<Option<String>, AwsError> {
    match organizations.describe_organization().send().await {
        Ok(out) => Ok(out
            .organization()
            .and_then(|o| o.id())
            .filter(|id| is_organization_id(id))
            .map(str::to_string)),
        Err(e) => {
            let e = AwsError::from_sdk("organizations:DescribeOrganization", &e);
            if e.code == "AWSOrganizationsNotInUseException" {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

fn error(code: impl Into<ErrorCode>, message: String) -> ErrorEntry {
    ErrorEntry::new(Operation::ReadCloudtrail, code, message)
}

/// Scans the window of the trail for `account` (see [`scan_with`]); the organization's id
/// comes only from the bucket's listing.
pub async fn scan(
    s3: &aws_sdk_s3::Client,
    options: &UsageOptions,
    account: &str,
    today: Date,
    deadline: Option<Instant>,
) -> (UsageEvidence, Vec<ErrorEntry>) {
    scan_with(s3, None, options, account, today, deadline).await
}

/// Scans the window of the trail for `account`. Never fails: what could not be read is in the
/// returned errors, what was skipped is in the evidence's note, and its coverage says what it
/// is worth. The account's files are looked for under its own folder and under each
/// organization's folder found in the bucket's `AWSLogs/` (or, when that cannot be listed,
/// the organization `organizations` names).
pub async fn scan_with(
    s3: &aws_sdk_s3::Client,
    organizations: Option<&aws_sdk_organizations::Client>,
    options: &UsageOptions,
    account: &str,
    today: Date,
    deadline: Option<Instant>,
) -> (UsageEvidence, Vec<ErrorEntry>) {
    let bucket = options.bucket.as_str();
    let prefix = options.prefix.as_deref();
    let mut evidence = UsageEvidence::new(bucket, options.lookback_days);
    let mut errors = Vec::new();

    // the organizations whose trails may hold the account's files
    let root = logs_root(prefix);
    let org_ids = match list(s3, bucket, &root, Some("/")).await {
        Ok((_, folders)) => organization_ids(&root, &folders),
        Err(listing) => match organizations {
            Some(client) => match organization_id(client).await {
                Ok(id) => id.into_iter().collect(),
                Err(e) => {
                    evidence.remarks.push(format!(
                        "`s3://{bucket}/{root}` could not be listed ({}) nor the organization read ({}): an organization trail's files were not looked for",
                        listing.code, e.code
                    ));
                    Vec::new()
                }
            },
            None => {
                evidence.remarks.push(format!(
                    "`s3://{bucket}/{root}` could not be listed ({}): an organization trail's files were not looked for",
                    listing.code
                ));
                Vec::new()
            }
        },
    };

    // the regions under each of the account's prefixes
    let prefixes = log_prefixes(prefix, account, &org_ids);
    let mut series: Vec<(&str, String)> = Vec::new();
    let mut listed_all = true;
    for base in &prefixes {
        match list(s3, bucket, base, Some("/")).await {
            Ok((keys, folders)) => {
                for key in &keys {
                    evidence.skip_object(key);
                }
                for folder in &folders {
                    match folder
                        .strip_prefix(base.as_str())
                        .map(|f| f.trim_end_matches('/'))
                    {
                        Some(region) if is_region(region) => {
                            series.push((base.as_str(), region.to_string()));
                        }
                        // `_CloudTrail-Digest/`, a copy, anything that is not a region
                        _ => evidence.skip_object(folder),
                    }
                }
            }
            Err(e) => {
                listed_all = false;
                errors.push(error(
                    e.code.clone(),
                    format!("cannot list `s3://{bucket}/{base}`: {e}"),
                ));
            }
        }
    }
    if series.is_empty() {
        if listed_all {
            errors.push(error(
                ErrorCode::NoCloudTrailLogs,
                no_logs_message(bucket, account, &prefixes),
            ));
        }
        evidence.finish();
        return (evidence, errors);
    }
    evidence.log_prefixes = prefixes
        .iter()
        .filter(|p| series.iter().any(|(b, _)| *b == p.as_str()))
        .cloned()
        .collect();
    let regions: BTreeSet<&str> = series.iter().map(|(_, r)| r.as_str()).collect();
    evidence.regions = regions.iter().map(|r| r.to_string()).collect();

    // the log files of each day, in every region of every prefix
    let mut files: Vec<String> = Vec::new();
    let mut covered: BTreeMap<Date, BTreeSet<&str>> = BTreeMap::new();
    let days = window(today, options.lookback_days);
    progress::add(progress::TRAIL_DAYS, days.len() * series.len());
    'days: for day in days {
        for (base, region) in &series {
            progress::done(progress::TRAIL_DAYS);
            if deadline.is_some_and(|d| Instant::now() >= d) {
                evidence.stopped_early = true;
                break 'days;
            }
            let day_prefix = day_prefix(base, region, day);
            match list(s3, bucket, &day_prefix, None).await {
                Ok((keys, _)) => {
                    for key in keys {
                        if is_log_file(&day_prefix, &key) {
                            covered.entry(day).or_default().insert(region.as_str());
                            files.push(key);
                        } else {
                            // a folder marker, a digest, a copy: never read, never an error
                            evidence.skip_object(&key);
                        }
                    }
                }
                Err(e) => errors.push(error(
                    e.code.clone(),
                    format!("cannot list `s3://{bucket}/{day_prefix}`: {e}"),
                )),
            }
        }
    }
    evidence.days_covered = covered
        .values()
        .filter(|r| r.len() == regions.len())
        .count() as u32;

    progress::add(progress::TRAIL_FILES, files.len());
    let mut results: Vec<(String, Option<Result<UsageEvidence, String>>)> =
        futures::stream::iter(files)
            .map(|key| async move {
                let _counted = progress::Done(progress::TRAIL_FILES);
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
    // in key order, so that the errors and the note's first examples do not depend on timing
    results.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, result) in results {
        match result {
            Some(Ok(part)) => evidence.merge(part),
            Some(Err(e)) => {
                evidence.files_failed += 1;
                errors.push(error(
                    ErrorCode::UnreadableLogFile,
                    format!("`s3://{bucket}/{key}` was skipped: {e}"),
                ));
            }
            None => evidence.stopped_early = true,
        }
    }
    if evidence.stopped_early {
        errors.push(error(
            ErrorCode::DeadlineExceeded,
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
        Box::pin(async move {
            // only asked when the bucket's `AWSLogs/` cannot be listed
            let organizations = aws_sdk_organizations::Client::new(&self.conf);
            scan_with(
                &self.s3,
                Some(&organizations),
                options,
                account,
                today,
                deadline,
            )
            .await
        })
    }
}
