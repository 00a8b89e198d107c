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
    /// Some days have no files, a file or a record could not be read, or the scan stopped
    /// early.
    Partial,
    /// No S3 data event at all in the window: the trail does not log them.
    None,
}

/// The delete events one role made in the window (successful ones, or refused ones).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleDeletes {
    pub count: u64,
    /// The latest delete's `eventTime`.
    pub last: Option<String>,
    pub buckets: BTreeSet<String>,
}

impl RoleDeletes {
    /// Counts one event at `time` on `bucket`.
    pub fn add(&mut self, time: Option<&str>, bucket: Option<&str>) {
        self.count += 1;
        if let Some(t) = time
            && self.last.as_deref().is_none_or(|l| t > l)
        {
            self.last = Some(t.to_string());
        }
        if let Some(b) = bucket
            && !self.buckets.contains(b)
        {
            self.buckets.insert(b.to_string());
        }
    }

    /// Adds what another part of the scan counted.
    pub fn merge(&mut self, other: RoleDeletes) {
        self.count += other.count;
        if other.last > self.last {
            self.last = other.last;
        }
        self.buckets.extend(other.buckets);
    }
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
    /// Records read (those skipped as unreadable included).
    pub events_scanned: u64,
    /// S3 data events seen (any event from `s3.amazonaws.com` of category `Data`).
    pub s3_data_events: u64,
    pub coverage: Option<Coverage>,
    /// Files that could not be read (each also an entry in the report's `errors`).
    pub files_failed: u64,
    /// The scan stopped at the deadline before every file was read.
    pub stopped_early: bool,
    /// Where the account's log files were found and read: `[<prefix>/]AWSLogs/<account>/CloudTrail/`
    /// (a trail of the account) and `[<prefix>/]AWSLogs/<o-id>/<account>/CloudTrail/` (an
    /// organization trail).
    #[serde(default)]
    pub log_prefixes: Vec<String>,
    /// S3 delete events that AWS refused (`errorCode` `AccessDenied`), by any principal: they
    /// are not deletes, and are counted here instead.
    #[serde(default)]
    pub denied_deletes: u64,
    /// Objects under the log prefixes that are not CloudTrail log files (folder markers,
    /// digests, folders that are not regions, anything else): skipped, never read.
    #[serde(default)]
    pub objects_skipped: u64,
    /// Records that could not be read (a field the tally needs had an unexpected type):
    /// skipped, the rest of their file read.
    #[serde(default)]
    pub records_skipped: u64,
    /// What was skipped or could not be looked at, in words (with the first examples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Successful delete events by role ARN (the session issuer of the session that deleted).
    #[serde(skip)]
    pub deletes: BTreeMap<String, RoleDeletes>,
    /// Refused delete events by role ARN.
    #[serde(skip)]
    pub denied: BTreeMap<String, RoleDeletes>,
    /// The latest `eventTime` of any successful event by the role's sessions, by role ARN.
    #[serde(skip)]
    pub last_activity: BTreeMap<String, String>,
    /// The first objects skipped, for the note.
    #[serde(skip)]
    pub skipped_examples: Vec<String>,
    /// Where the first unreadable record was, and why, for the note.
    #[serde(skip)]
    pub first_skipped_record: Option<String>,
    /// Remarks of the scan for the note (e.g. a layout that could not be looked for).
    #[serde(skip)]
    pub remarks: Vec<String>,
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
