//! Usage evidence from CloudTrail S3 data events: which connector roles deleted objects in
//! the look-back window, and how much of the window the trail covers. The pure half: the
//! window and the prefixes to list, a streaming reader of CloudTrail log files (one record in
//! memory at a time), and the tally. Listing and fetching are in `aws/usage.rs`.
//!
//! PURE: no AWS SDK; `std::io::Read` in, plain data out.

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::Read;
use time::{Date, Duration, OffsetDateTime};

pub use crate::model::{Coverage, RoleDeletes, UsageEvidence};

/// Default look-back window.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 90;

/// The S3 events that delete objects.
pub const DELETE_EVENTS: &[&str] = &["DeleteObject", "DeleteObjects", "DeleteObjectVersion"];

/// Where the trail is and how far back to look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageOptions {
    pub bucket: String,
    /// The trail's S3 key prefix, if it has one (without a trailing `/`).
    pub prefix: Option<String>,
    pub lookback_days: u32,
}

/// The days of the window, oldest first, ending with `today` (UTC).
pub fn window(today: Date, days: u32) -> Vec<Date> {
    (0..days.max(1))
        .rev()
        .filter_map(|back| today.checked_sub(Duration::days(i64::from(back))))
        .collect()
}

/// `[<prefix>/]AWSLogs/<account>/CloudTrail/`: where the regions are listed.
pub fn regions_prefix(prefix: Option<&str>, account: &str) -> String {
    let base = prefix
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
        .map(|p| format!("{p}/"))
        .unwrap_or_default();
    format!("{base}AWSLogs/{account}/CloudTrail/")
}

/// `.../CloudTrail/<region>/YYYY/MM/DD/`: one day of one region.
pub fn day_prefix(regions_prefix: &str, region: &str, day: Date) -> String {
    format!(
        "{regions_prefix}{region}/{:04}/{:02}/{:02}/",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

impl UsageEvidence {
    /// Counts one record.
    pub fn observe(&mut self, record: &Record) {
        self.events_scanned += 1;
        if record.event_source.as_deref() != Some("s3.amazonaws.com") {
            return;
        }
        let data = match record.event_category.as_deref() {
            Some(c) => c == "Data",
            // older records have no category: object-level events are data events
            None => record
                .resources
                .iter()
                .any(|r| r.kind.as_deref() == Some("AWS::S3::Object")),
        };
        if !data {
            return;
        }
        self.s3_data_events += 1;
        let Some(name) = record.event_name.as_deref() else {
            return;
        };
        if !DELETE_EVENTS.contains(&name) {
            return;
        }
        let Some(issuer) = record
            .user_identity
            .as_ref()
            .and_then(|u| u.session_context.as_ref())
            .and_then(|s| s.session_issuer.as_ref())
            .and_then(|i| i.arn.clone())
        else {
            return;
        };
        let entry = self.deletes.entry(issuer).or_default();
        entry.count += 1;
        if let Some(t) = &record.event_time
            && entry.last.as_ref().is_none_or(|l| t > l)
        {
            entry.last = Some(t.clone());
        }
        if let Some(b) = record
            .request_parameters
            .as_ref()
            .and_then(|p| p.bucket_name.clone())
        {
            entry.buckets.insert(b);
        }
    }

    /// Adds what another part of the scan (another file) counted.
    pub fn merge(&mut self, other: UsageEvidence) {
        self.files_scanned += other.files_scanned;
        self.events_scanned += other.events_scanned;
        self.s3_data_events += other.s3_data_events;
        for (role, d) in other.deletes {
            let e = self.deletes.entry(role).or_default();
            e.count += d.count;
            if d.last > e.last {
                e.last = d.last;
            }
            e.buckets.extend(d.buckets);
        }
    }

    /// Decides the coverage once the scan is over.
    pub fn finish(&mut self) {
        self.coverage = Some(if self.s3_data_events == 0 {
            Coverage::None
        } else if self.days_covered < self.window_days
            || self.files_failed > 0
            || self.stopped_early
        {
            Coverage::Partial
        } else {
            Coverage::Full
        });
    }

    /// May the evidence be used to claim that a role did not delete?
    pub fn can_claim_absence(&self) -> bool {
        matches!(self.coverage, Some(Coverage::Full | Coverage::Partial))
    }
}

/// The fields of a CloudTrail record the tally needs; everything else is skipped unread.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    pub event_time: Option<String>,
    pub event_category: Option<String>,
    pub user_identity: Option<UserIdentity>,
    pub request_parameters: Option<RequestParameters>,
    #[serde(default)]
    pub resources: Vec<ResourceRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    pub session_context: Option<SessionContext>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    pub session_issuer: Option<SessionIssuer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SessionIssuer {
    pub arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestParameters {
    pub bucket_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourceRef {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// Reads a CloudTrail log file (`{"Records": [...]}`, decompressed) record by record, handing
/// each to `each`; never holds more than one record. Returns how many records were read.
pub fn read_records<R: Read>(reader: R, each: &mut dyn FnMut(&Record)) -> Result<u64, String> {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let count = FileSeed { each }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(count)
}

struct FileSeed<'a> {
    each: &'a mut dyn FnMut(&Record),
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = u64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail log file: an object with `Records`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut count = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "Records" {
                count = Some(map.next_value_seed(RecordsSeed {
                    each: &mut *self.each,
                })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        count.ok_or_else(|| serde::de::Error::missing_field("Records"))
    }
}

struct RecordsSeed<'a> {
    each: &'a mut dyn FnMut(&Record),
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = u64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut n = 0;
        while let Some(record) = seq.next_element::<Record>()? {
            (self.each)(&record);
            n += 1;
        }
        Ok(n)
    }
}

/// Today (UTC) from an RFC 3339 time, e.g. a report's `generated_at`.
pub fn date_of(rfc3339: &str) -> Option<Date> {
    OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.to_offset(time::UtcOffset::UTC).date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn record(name: &str, issuer: &str, time: &str, bucket: &str) -> serde_json::Value {
        serde_json::json!({
            "eventVersion": "1.09", "eventSource": "s3.amazonaws.com", "eventName": name,
            "eventTime": time, "eventCategory": "Data", "awsRegion": "us-east-1",
            "userIdentity": {"type": "AssumedRole", "arn": format!("{issuer}/session"),
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": issuer}}},
            "requestParameters": {"bucketName": bucket, "key": "a/b.csv"},
            "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/a/b.csv")}]
        })
    }

    #[test]
    fn window_and_prefixes() {
        let w = window(date!(2026 - 03 - 02), 3);
        assert_eq!(
            w,
            [
                date!(2026 - 02 - 28),
                date!(2026 - 03 - 01),
                date!(2026 - 03 - 02)
            ]
        );
        let r = regions_prefix(Some("/trails/org/"), "123456789012");
        assert_eq!(r, "trails/org/AWSLogs/123456789012/CloudTrail/");
        assert_eq!(
            day_prefix(&r, "eu-west-1", date!(2026 - 03 - 02)),
            "trails/org/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/03/02/"
        );
        assert_eq!(regions_prefix(None, "1"), "AWSLogs/1/CloudTrail/");
    }

    #[test]
    fn tallies_deletes_by_issuer_and_ignores_the_rest() {
        let role = "arn:aws:iam::123456789012:role/connector";
        let file = serde_json::json!({"Records": [
            record("DeleteObject", role, "2026-03-01T10:00:00Z", "data"),
            record("DeleteObjects", role, "2026-03-02T10:00:00Z", "other"),
            record("GetObject", role, "2026-03-03T10:00:00Z", "data"),
            record("DeleteObject", "arn:aws:iam::123456789012:role/someone-else", "2026-03-04T10:00:00Z", "data"),
            {"eventSource": "iam.amazonaws.com", "eventName": "DeleteRole", "eventCategory": "Management"},
        ], "extra": {"ignored": [1, 2, 3]}})
        .to_string();
        let mut ev = UsageEvidence::new("trail", 90);
        let n = read_records(file.as_bytes(), &mut |r| ev.observe(r)).unwrap();
        assert_eq!(n, 5);
        assert_eq!((ev.events_scanned, ev.s3_data_events), (5, 4));
        let d = &ev.deletes[role];
        assert_eq!(d.count, 2);
        assert_eq!(d.last.as_deref(), Some("2026-03-02T10:00:00Z"));
        assert_eq!(d.buckets.iter().collect::<Vec<_>>(), ["data", "other"]);
        assert_eq!(ev.deletes.len(), 2);
    }

    #[test]
    fn corrupt_files_are_errors() {
        let mut ev = UsageEvidence::new("trail", 1);
        for bad in [
            r#"{"Records": [{"eventName": 5}]}"#,
            r#"{"Records": ["#,
            "[]",
            r#"{"Other": 1}"#,
        ] {
            assert!(
                read_records(bad.as_bytes(), &mut |r| ev.observe(r)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn coverage_is_honest() {
        let mut ev = UsageEvidence::new("trail", 3);
        ev.days_covered = 3;
        ev.finish();
        assert_eq!(ev.coverage, Some(Coverage::None));
        assert!(!ev.can_claim_absence());
        ev.s3_data_events = 1;
        ev.finish();
        assert_eq!(ev.coverage, Some(Coverage::Full));
        ev.days_covered = 2;
        ev.finish();
        assert_eq!(ev.coverage, Some(Coverage::Partial));
        assert!(ev.can_claim_absence());
        assert_eq!(date_of("2026-03-02T23:59:59Z"), Some(date!(2026 - 03 - 02)));
    }
}
