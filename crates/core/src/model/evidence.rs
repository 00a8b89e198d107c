//! What a CloudTrail trail says of the connector roles (report field `usage`): plain data.
//! The reading and the tally are in `usage`.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How much of the window the evidence covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    /// Every day of the window has log files, and S3 data events appear.
    Full,
    /// Some days have no files, a file could not be read, or the scan stopped early.
    Partial,
    /// No S3 data event at all in the window: the trail does not log them.
    None,
}

/// The delete events one role made in the window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleDeletes {
    pub count: u64,
    /// The latest delete's `eventTime`.
    pub last: Option<String>,
    pub buckets: BTreeSet<String>,
}

/// What the trail says, run-wide (report field `usage`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UsageEvidence {
    pub source: String,
    pub bucket: String,
    pub window_days: u32,
    /// Days of the window with at least one log file in every region present.
    pub days_covered: u32,
    pub regions: Vec<String>,
    pub files_scanned: u64,
    pub events_scanned: u64,
    /// S3 data events seen (any event from `s3.amazonaws.com` of category `Data`).
    pub s3_data_events: u64,
    pub coverage: Option<Coverage>,
    /// Files that could not be read (each also an entry in the report's `errors`).
    pub files_failed: u64,
    /// The scan stopped at the deadline before every file was read.
    pub stopped_early: bool,
    /// Delete events by role ARN (the session issuer of the session that deleted).
    #[serde(skip)]
    pub deletes: BTreeMap<String, RoleDeletes>,
}

impl UsageEvidence {
    /// Empty evidence for a scan of `bucket` over `window_days`.
    pub fn new(bucket: &str, window_days: u32) -> UsageEvidence {
        UsageEvidence {
            source: "cloudtrail".into(),
            bucket: bucket.into(),
            window_days,
            ..UsageEvidence::default()
        }
    }
}
