//! Usage evidence from CloudTrail S3 data events: which connector roles deleted objects in
//! the look-back window (and which tried and were refused), when each role was last active,
//! and how much of the window the trail covers. The pure half: the window and the prefixes
//! to list ([`layout`]), a lenient streaming reader of CloudTrail log files ([`record`]: one
//! record in memory at a time), and the tally. Listing and fetching are in `aws/usage.rs`.
//!
//! PURE: no AWS SDK; `std::io::Read` in, plain data out.

pub mod layout;
pub mod record;

use time::{Date, Duration, OffsetDateTime};

pub use crate::model::{Coverage, RoleDeletes, UsageEvidence};
pub use layout::{day_prefix, regions_prefix};
pub use record::{Record, Unreadable, read_records};

/// Default look-back window.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 90;

/// The S3 events that delete objects.
pub const DELETE_EVENTS: &[&str] = &["DeleteObject", "DeleteObjects", "DeleteObjectVersion"];

/// The `errorCode` of a request that AWS refused for want of permission (an identity,
/// bucket, boundary, session or organization policy, an ACL, a KMS key policy).
pub const ACCESS_DENIED: &str = "AccessDenied";

/// How many skipped objects the note names.
const EXAMPLES: usize = 3;

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

/// Adds one event of `issuer` to `tally`, allocating only for a role not seen before.
fn count(
    tally: &mut std::collections::BTreeMap<String, RoleDeletes>,
    issuer: &str,
    record: &Record,
) {
    match tally.get_mut(issuer) {
        Some(d) => d.add(record.event_time(), record.bucket()),
        None => {
            let mut d = RoleDeletes::default();
            d.add(record.event_time(), record.bucket());
            tally.insert(issuer.to_string(), d);
        }
    }
}

impl UsageEvidence {
    /// Counts one record. Only a request that succeeded (no `errorCode`) is a use of the
    /// role, or a delete; a delete refused with `AccessDenied` is counted apart; one that
    /// failed otherwise (throttled, no such bucket) is neither.
    pub fn observe(&mut self, record: &Record) {
        self.events_scanned += 1;
        if let Some(why) = record.unreadable() {
            self.records_skipped += 1;
            if self.first_skipped_record.is_none() {
                self.first_skipped_record = Some(format!("record {}: {why}", self.events_scanned));
            }
            return;
        }
        let issuer = record.session_issuer();
        let failed = record.error_code();
        if failed.is_none()
            && let (Some(issuer), Some(time)) = (issuer, record.event_time())
        {
            match self.last_activity.get_mut(issuer) {
                Some(last) if time > last.as_str() => {
                    last.clear();
                    last.push_str(time);
                }
                Some(_) => {}
                None => {
                    self.last_activity
                        .insert(issuer.to_string(), time.to_string());
                }
            }
        }
        if record.event_source() != Some("s3.amazonaws.com") {
            return;
        }
        let data = match record.event_category() {
            Some(c) => c == "Data",
            // older records have no category: object-level events are data events
            None => record.names_an_object(),
        };
        if !data {
            return;
        }
        self.s3_data_events += 1;
        if !record
            .event_name()
            .is_some_and(|n| DELETE_EVENTS.contains(&n))
        {
            return;
        }
        let tally = match failed {
            None => &mut self.deletes,
            Some(ACCESS_DENIED) => {
                self.denied_deletes += 1;
                &mut self.denied
            }
            Some(_) => return,
        };
        if let Some(issuer) = issuer {
            count(tally, issuer, record);
        }
    }

    /// Adds what another part of the scan (another file) counted.
    pub fn merge(&mut self, other: UsageEvidence) {
        self.files_scanned += other.files_scanned;
        self.events_scanned += other.events_scanned;
        self.s3_data_events += other.s3_data_events;
        self.denied_deletes += other.denied_deletes;
        self.records_skipped += other.records_skipped;
        self.objects_skipped += other.objects_skipped;
        for (role, d) in other.deletes {
            self.deletes.entry(role).or_default().merge(d);
        }
        for (role, d) in other.denied {
            self.denied.entry(role).or_default().merge(d);
        }
        for (role, time) in other.last_activity {
            let last = self.last_activity.entry(role).or_default();
            if time > *last {
                *last = time;
            }
        }
        let room = EXAMPLES.saturating_sub(self.skipped_examples.len());
        self.skipped_examples
            .extend(other.skipped_examples.into_iter().take(room));
        if self.first_skipped_record.is_none() {
            self.first_skipped_record = other.first_skipped_record;
        }
        self.remarks.extend(other.remarks);
    }

    /// Counts an object under the log prefixes that is not a log file (it is not read).
    pub fn skip_object(&mut self, key: &str) {
        self.objects_skipped += 1;
        if self.skipped_examples.len() < EXAMPLES {
            self.skipped_examples.push(key.to_string());
        }
    }

    /// Decides the coverage, and words the note, once the scan is over.
    pub fn finish(&mut self) {
        self.coverage = Some(if self.s3_data_events == 0 {
            Coverage::None
        } else if self.days_covered < self.window_days
            || self.files_failed > 0
            || self.records_skipped > 0
            || self.stopped_early
        {
            Coverage::Partial
        } else {
            Coverage::Full
        });
        let mut parts = self.remarks.clone();
        if self.objects_skipped > 0 {
            let mut examples: Vec<String> = self
                .skipped_examples
                .iter()
                .map(|k| format!("`{k}`"))
                .collect();
            let more = self.objects_skipped - examples.len() as u64;
            if more > 0 {
                examples.push(format!("{more} more"));
            }
            parts.push(format!(
                "{} object(s) and folder(s) that are not CloudTrail log files were skipped: {}",
                self.objects_skipped,
                examples.join(", ")
            ));
        }
        if self.records_skipped > 0 {
            parts.push(format!(
                "{} record(s) could not be read and were skipped, the rest of their files read (the first: {})",
                self.records_skipped,
                self.first_skipped_record.as_deref().unwrap_or("unknown")
            ));
        }
        self.note = (!parts.is_empty()).then(|| parts.join("; "));
    }

    /// May the evidence be used to claim that a role did not delete?
    pub fn can_claim_absence(&self) -> bool {
        matches!(self.coverage, Some(Coverage::Full | Coverage::Partial))
    }
}

/// The message of the error entry when no log prefix of the account holds a region folder:
/// where the scan looked, and why it may have missed an organization's folder.
pub fn no_logs_message(bucket: &str, account: &str, looked: &[String]) -> String {
    let looked: Vec<String> = looked.iter().map(|p| format!("`{p}`")).collect();
    format!(
        "no CloudTrail log files of account `{account}` in bucket `{bucket}`: looked under {}; check the trail's bucket and its S3 key prefix (`--cloudtrail-prefix`, CLOUDTRAIL_PREFIX)",
        looked.join(" and ")
    )
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
    use serde_json::{Value, json};
    use time::macros::date;

    const ACCOUNT: &str = "123456789012";

    /// A successful S3 data event by a session of `issuer`, shaped as AWS documents it.
    fn record(name: &str, issuer: &str, time: &str, bucket: &str) -> Value {
        let role = issuer.rsplit('/').next().unwrap_or(issuer);
        json!({
            "eventVersion": "1.09", "eventSource": "s3.amazonaws.com", "eventName": name,
            "eventTime": time, "eventCategory": "Data", "awsRegion": "us-east-1",
            "userIdentity": {"type": "AssumedRole",
                "principalId": "AROAIDPPEZS35WEXAMPLE:vendor-session",
                "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/vendor-session"),
                "accountId": ACCOUNT,
                "sessionContext": {"sessionIssuer": {"type": "Role",
                    "principalId": "AROAIDPPEZS35WEXAMPLE", "arn": issuer,
                    "accountId": ACCOUNT, "userName": role},
                    "attributes": {"creationDate": time, "mfaAuthenticated": "false"}}},
            "requestParameters": {"bucketName": bucket, "Host": format!("{bucket}.s3.amazonaws.com"), "key": "a/b.csv"},
            "responseElements": null,
            "readOnly": false,
            "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/a/b.csv")},
                {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}],
            "eventType": "AwsApiCall", "managementEvent": false,
            "recipientAccountId": ACCOUNT, "eventCategory": "Data"
        })
    }

    /// The same, refused: AWS adds `errorCode` and `errorMessage`, and `responseElements` is
    /// null.
    fn denied(name: &str, issuer: &str, time: &str, bucket: &str) -> Value {
        let mut r = record(name, issuer, time, bucket);
        r["errorCode"] = json!("AccessDenied");
        r["errorMessage"] = json!("Access Denied");
        r
    }

    /// DeleteObjects: one record for the batch, without the keys (CloudTrail logs the bucket
    /// and the `delete` parameter's shape only).
    fn delete_objects(issuer: &str, time: &str, bucket: &str) -> Value {
        let mut r = record("DeleteObjects", issuer, time, bucket);
        r["requestParameters"] = json!({"bucketName": bucket, "Host": format!("{bucket}.s3.amazonaws.com"), "delete": ""});
        r["resources"] = json!([{"type": "AWS::S3::Object", "ARNPrefix": format!("arn:aws:s3:::{bucket}/")},
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]);
        r
    }

    fn tally(records: &[Value]) -> UsageEvidence {
        let file = json!({"Records": records}).to_string();
        let mut ev = UsageEvidence::new("trail", 90);
        let n = read_records(file.as_bytes(), &mut |r| ev.observe(r)).unwrap();
        assert_eq!(n as usize, records.len());
        ev
    }

    #[test]
    fn window_of_days() {
        let w = window(date!(2026 - 03 - 02), 3);
        assert_eq!(
            w,
            [
                date!(2026 - 02 - 28),
                date!(2026 - 03 - 01),
                date!(2026 - 03 - 02)
            ]
        );
        assert_eq!(window(date!(2026 - 03 - 02), 0).len(), 1);
    }

    #[test]
    fn tallies_deletes_by_issuer_and_ignores_the_rest() {
        let role = "arn:aws:iam::123456789012:role/connector";
        let file = json!({"Records": [
            record("DeleteObject", role, "2026-03-01T10:00:00Z", "data"),
            delete_objects(role, "2026-03-02T10:00:00Z", "other"),
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
        // the GetObject is the role's latest activity
        assert_eq!(ev.last_activity[role], "2026-03-03T10:00:00Z");
        assert_eq!(ev.denied_deletes, 0);
    }

    #[test]
    fn a_refused_delete_is_not_a_delete() {
        let reader = "arn:aws:iam::123456789012:role/reader";
        let ev = tally(&[
            denied("DeleteObject", reader, "2026-03-01T10:00:00Z", "data"),
            denied(
                "DeleteObjectVersion",
                reader,
                "2026-03-02T10:00:00Z",
                "data",
            ),
            {
                let mut r = delete_objects(reader, "2026-03-03T10:00:00Z", "archive");
                r["errorCode"] = json!("AccessDenied");
                r
            },
            // failed otherwise: neither a delete nor a refusal
            {
                let mut r = record("DeleteObject", reader, "2026-03-04T10:00:00Z", "gone");
                r["errorCode"] = json!("NoSuchBucket");
                r
            },
            // refused, of no role (an IAM user): counted run-wide only
            {
                let mut r = denied("DeleteObject", reader, "2026-03-04T11:00:00Z", "data");
                r["userIdentity"] = json!({"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice",
                    "accountId": ACCOUNT, "userName": "Alice"});
                r
            },
        ]);
        assert!(ev.deletes.is_empty(), "{:?}", ev.deletes);
        assert_eq!(ev.denied_deletes, 4);
        let d = &ev.denied[reader];
        assert_eq!(d.count, 3);
        assert_eq!(d.last.as_deref(), Some("2026-03-03T10:00:00Z"));
        assert_eq!(d.buckets.iter().collect::<Vec<_>>(), ["archive", "data"]);
        // a refused or failed request is not a use of the role
        assert!(ev.last_activity.is_empty(), "{:?}", ev.last_activity);
        // they are still S3 data events: the trail logs them
        assert_eq!(ev.s3_data_events, 5);
    }

    #[test]
    fn sessions_are_told_apart_by_their_issuers_full_arn() {
        let with_path = "arn:aws:iam::123456789012:role/service-role/vendor/connector";
        let foreign = "arn:aws:iam::428641199958:role/connector";
        let web = "arn:aws:iam::123456789012:role/github-deployer";
        let mut web_session = record("DeleteObject", web, "2026-03-01T10:00:00Z", "data");
        // a session from AssumeRoleWithWebIdentity: still an AssumedRole with its issuer
        web_session["userIdentity"]["sessionContext"]["webIdFederationData"] = json!({
            "federatedProvider": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            "attributes": {}});
        // the AssumeRoleWithWebIdentity call itself: a WebIdentityUser, no session issuer
        let sts = json!({"eventVersion": "1.08", "eventSource": "sts.amazonaws.com",
            "eventName": "AssumeRoleWithWebIdentity", "eventTime": "2026-03-01T09:59:00Z",
            "eventCategory": "Management",
            "userIdentity": {"type": "WebIdentityUser",
                "principalId": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/app:ref:refs/heads/main",
                "userName": "repo:acme/app:ref:refs/heads/main",
                "identityProvider": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
            "requestParameters": {"roleArn": web, "roleSessionName": "gha"},
            "resources": [{"ARN": web, "accountId": ACCOUNT, "type": "AWS::IAM::Role"}]});
        let ev = tally(&[
            record("DeleteObject", with_path, "2026-03-01T10:00:00Z", "data"),
            // another account's role of the same name, deleting in this account's bucket
            record("DeleteObject", foreign, "2026-03-01T11:00:00Z", "data"),
            web_session,
            sts,
        ]);
        assert_eq!(ev.deletes[with_path].count, 1);
        assert_eq!(ev.deletes[foreign].count, 1);
        assert_eq!(ev.deletes[web].count, 1);
        assert!(
            !ev.deletes
                .contains_key("arn:aws:iam::123456789012:role/connector")
        );
        assert_eq!(ev.deletes.len(), 3);
    }

    #[test]
    fn older_records_without_a_category_count_when_they_name_an_object() {
        let role = "arn:aws:iam::123456789012:role/connector";
        let mut old = record("DeleteObject", role, "2016-03-01T10:00:00Z", "data");
        if let Some(o) = old.as_object_mut() {
            o.remove("eventCategory");
        }
        let mut bucket_level = record("DeleteBucketPolicy", role, "2016-03-01T10:00:00Z", "data");
        if let Some(o) = bucket_level.as_object_mut() {
            o.remove("eventCategory");
        }
        bucket_level["resources"] =
            json!([{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::data"}]);
        let ev = tally(&[old, bucket_level]);
        assert_eq!(ev.s3_data_events, 1);
        assert_eq!(ev.deletes[role].count, 1);
    }

    #[test]
    fn an_odd_record_is_skipped_and_the_rest_of_its_file_counted() {
        let role = "arn:aws:iam::123456789012:role/connector";
        let mut null_resources = record("DeleteObject", role, "2026-03-01T10:00:00Z", "data");
        null_resources["resources"] = Value::Null;
        let mut bad = record("DeleteObject", role, "2026-03-01T11:00:00Z", "data");
        bad["eventName"] = json!(["DeleteObject"]);
        let mut ev = tally(&[
            null_resources,
            bad,
            record("DeleteObject", role, "2026-03-01T12:00:00Z", "data"),
        ]);
        // `resources: null` is not needed for a categorised record: it counts
        assert_eq!(ev.deletes[role].count, 2);
        assert_eq!((ev.events_scanned, ev.records_skipped), (3, 1));
        ev.days_covered = 90;
        ev.finish();
        assert_eq!(ev.coverage, Some(Coverage::Partial));
        let note = ev.note.unwrap();
        assert!(
            note.contains("1 record(s) could not be read")
                && note.contains("record 2: `eventName` is an array, not a string"),
            "{note}"
        );
    }

    #[test]
    fn parts_merge() {
        let role = "arn:aws:iam::123456789012:role/connector";
        let mut a = tally(&[
            record("DeleteObject", role, "2026-03-01T10:00:00Z", "a"),
            denied("DeleteObject", role, "2026-03-01T10:00:00Z", "a"),
        ]);
        let mut b = tally(&[
            record("DeleteObject", role, "2026-03-02T10:00:00Z", "b"),
            denied("DeleteObject", role, "2026-03-03T10:00:00Z", "b"),
            json!({"eventName": 1}),
        ]);
        b.first_skipped_record = Some("`s3://trail/k` record 3".into());
        a.files_scanned = 1;
        b.files_scanned = 1;
        a.merge(b);
        assert_eq!(
            (a.files_scanned, a.events_scanned, a.records_skipped),
            (2, 5, 1)
        );
        assert_eq!(a.deletes[role].count, 2);
        assert_eq!(
            a.deletes[role].last.as_deref(),
            Some("2026-03-02T10:00:00Z")
        );
        assert_eq!(a.denied[role].count, 2);
        assert_eq!(a.denied[role].last.as_deref(), Some("2026-03-03T10:00:00Z"));
        assert_eq!(a.denied_deletes, 2);
        assert_eq!(a.last_activity[role], "2026-03-02T10:00:00Z");
        assert_eq!(
            a.first_skipped_record.as_deref(),
            Some("`s3://trail/k` record 3")
        );
    }

    #[test]
    fn coverage_is_honest_and_skipped_objects_are_noted_not_held_against_it() {
        let mut ev = UsageEvidence::new("trail", 3);
        ev.days_covered = 3;
        ev.finish();
        assert_eq!(ev.coverage, Some(Coverage::None));
        assert!(!ev.can_claim_absence());
        assert_eq!(ev.note, None);
        ev.s3_data_events = 1;
        for k in ["a/", "b/_CloudTrail-Digest/", "c/x.txt", "d/y.txt"] {
            ev.skip_object(k);
        }
        ev.finish();
        assert_eq!(ev.coverage, Some(Coverage::Full));
        assert_eq!(
            ev.note.as_deref(),
            Some(
                "4 object(s) and folder(s) that are not CloudTrail log files were skipped: `a/`, `b/_CloudTrail-Digest/`, `c/x.txt`, 1 more"
            )
        );
        ev.days_covered = 2;
        ev.finish();
        assert_eq!(ev.coverage, Some(Coverage::Partial));
        assert!(ev.can_claim_absence());
        assert_eq!(date_of("2026-03-02T23:59:59Z"), Some(date!(2026 - 03 - 02)));
    }

    #[test]
    fn the_no_logs_message_names_where_it_looked() {
        let m = no_logs_message(
            "trail",
            ACCOUNT,
            &layout::log_prefixes(None, ACCOUNT, &["o-exampleorgid".into()]),
        );
        assert_eq!(
            m,
            "no CloudTrail log files of account `123456789012` in bucket `trail`: looked under `AWSLogs/123456789012/CloudTrail/` and `AWSLogs/o-exampleorgid/123456789012/CloudTrail/`; check the trail's bucket and its S3 key prefix (`--cloudtrail-prefix`, CLOUDTRAIL_PREFIX)"
        );
    }
}
