//! CloudTrail log files read record by record, leniently: the few fields the tally needs are
//! copied into one reused [`Record`] (no allocation per record once warm), everything else is
//! skipped unread, whatever its type. A record whose needed field has an unexpected type is
//! marked unreadable (the tally skips and counts it) and the rest of its file is still read;
//! only a file that is not JSON, or not `{"Records": [...]}`, is an error.
//!
//! The fields and their shapes are AWS's
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>):
//! `eventSource`, `eventName`, `eventTime`, `eventCategory` (`Data` for data events; absent in
//! records older than event version 1.07), `errorCode` (present only when the request
//! failed), `userIdentity.sessionContext.sessionIssuer.arn` (the role whose session made the
//! request, for `AssumedRole` identities, web identity sessions included:
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html>),
//! `requestParameters.bucketName` and `resources[].type` (`AWS::S3::Object` for object-level
//! S3 data events: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html>).
//! Any field may be null or absent (`responseElements`, `resources` and `requestParameters`
//! are null in some records).

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::Read;

/// `resources[].type` of an S3 object.
const S3_OBJECT: &str = "AWS::S3::Object";

/// Why a record could not be read: a field the tally needs had another type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable {
    /// The field's path in the record (`userIdentity.sessionContext`), empty for the record
    /// itself.
    pub field: &'static str,
    /// What it was: `a number`, `an array`, ...
    pub found: &'static str,
    /// What the tally needs: `a string`, `an object`, ...
    pub expected: &'static str,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "the record is {}, not {}", self.found, self.expected)
        } else {
            write!(
                f,
                "`{}` is {}, not {}",
                self.field, self.found, self.expected
            )
        }
    }
}

/// The fields of one CloudTrail record that the tally needs. An empty text is an absent
/// field (AWS never sends these fields empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    event_source: String,
    event_name: String,
    event_time: String,
    event_category: String,
    error_code: String,
    session_issuer: String,
    bucket: String,
    object_resource: bool,
    unreadable: Option<Unreadable>,
}

fn text(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

impl Record {
    pub fn event_source(&self) -> Option<&str> {
        text(&self.event_source)
    }
    pub fn event_name(&self) -> Option<&str> {
        text(&self.event_name)
    }
    /// `eventTime`, e.g. `2026-03-01T10:00:00Z` (UTC, so that texts compare as times).
    pub fn event_time(&self) -> Option<&str> {
        text(&self.event_time)
    }
    pub fn event_category(&self) -> Option<&str> {
        text(&self.event_category)
    }
    /// `errorCode`: the request failed (`AccessDenied`, `NoSuchBucket`, ...).
    pub fn error_code(&self) -> Option<&str> {
        text(&self.error_code)
    }
    /// `userIdentity.sessionContext.sessionIssuer.arn`: the role whose session made the
    /// request.
    pub fn session_issuer(&self) -> Option<&str> {
        text(&self.session_issuer)
    }
    /// `requestParameters.bucketName`.
    pub fn bucket(&self) -> Option<&str> {
        text(&self.bucket)
    }
    /// Does `resources` name an S3 object?
    pub fn names_an_object(&self) -> bool {
        self.object_resource
    }
    /// Why the record cannot be counted, if it cannot.
    pub fn unreadable(&self) -> Option<Unreadable> {
        self.unreadable
    }

    fn clear(&mut self) {
        for s in [
            &mut self.event_source,
            &mut self.event_name,
            &mut self.event_time,
            &mut self.event_category,
            &mut self.error_code,
            &mut self.session_issuer,
            &mut self.bucket,
        ] {
            s.clear();
        }
        self.object_resource = false;
        self.unreadable = None;
    }

    /// Notes the first field of an unexpected type.
    fn wrong(&mut self, field: &'static str, found: &'static str, expected: &'static str) {
        if self.unreadable.is_none() {
            self.unreadable = Some(Unreadable {
                field,
                found,
                expected,
            });
        }
    }
}

/// Reads a CloudTrail log file (`{"Records": [...]}`, decompressed) record by record, handing
/// each to `each`; never holds more than one record. Returns how many records were read
/// (unreadable ones included). Fails only when the file itself is not a log file's JSON.
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
        // one record, cleared and refilled: its texts keep their capacity
        let mut record = Record::default();
        let mut n = 0;
        while seq
            .next_element_seed(Object(RecordFields(&mut record)))?
            .is_some()
        {
            (self.each)(&record);
            record.clear();
            n += 1;
        }
        Ok(n)
    }
}

/// The keys the tally reads, at any level; every other key is `Other` (and skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    EventSource,
    EventName,
    EventTime,
    EventCategory,
    ErrorCode,
    UserIdentity,
    RequestParameters,
    Resources,
    SessionContext,
    SessionIssuer,
    Arn,
    BucketName,
    Type,
    Other,
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match v {
            "eventSource" => Key::EventSource,
            "eventName" => Key::EventName,
            "eventTime" => Key::EventTime,
            "eventCategory" => Key::EventCategory,
            "errorCode" => Key::ErrorCode,
            "userIdentity" => Key::UserIdentity,
            "requestParameters" => Key::RequestParameters,
            "resources" => Key::Resources,
            "sessionContext" => Key::SessionContext,
            "sessionIssuer" => Key::SessionIssuer,
            "arn" => Key::Arn,
            "bucketName" => Key::BucketName,
            "type" => Key::Type,
            _ => Key::Other,
        })
    }
}

/// An object of the record whose fields the tally reads.
trait Fields {
    /// Its path in the record, for [`Unreadable`] (empty: the record itself).
    const PATH: &'static str;
    /// May it be null? (The record itself may not.)
    const NULLABLE: bool = true;
    fn record(&mut self) -> &mut Record;
    /// Reads the value of `key`, or skips it.
    fn field<'de, A: MapAccess<'de>>(&mut self, key: Key, map: &mut A) -> Result<(), A::Error>;
}

fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// Reads an object through its [`Fields`]; any other value is noted as unreadable (and
/// consumed), never an error.
struct Object<F>(F);

impl<'de, F: Fields> DeserializeSeed<'de> for Object<F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<F: Fields> Object<F> {
    fn wrong<E: serde::de::Error>(mut self, found: &'static str) -> Result<(), E> {
        self.0.record().wrong(F::PATH, found, "an object");
        Ok(())
    }
}

impl<'de, F: Fields> Visitor<'de> for Object<F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            self.0.field(key, &mut map)?;
        }
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        if F::NULLABLE {
            Ok(())
        } else {
            self.wrong("null")
        }
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.wrong("a boolean")
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.wrong("a string")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.wrong("an array")
    }
}

/// A text field: a string is copied into `out`, null leaves it absent, anything else is
/// noted as unreadable.
struct Text<'a> {
    out: &'a mut String,
    record: &'a mut Option<Unreadable>,
    field: &'static str,
}

impl<'a> Text<'a> {
    fn new(out: &'a mut String, record: &'a mut Option<Unreadable>, field: &'static str) -> Self {
        Text { out, record, field }
    }
    fn wrong<E: serde::de::Error>(self, found: &'static str) -> Result<(), E> {
        if self.record.is_none() {
            *self.record = Some(Unreadable {
                field: self.field,
                found,
                expected: "a string",
            });
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Text<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.out.clear();
        self.out.push_str(v);
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.out.clear();
        Ok(())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.wrong("a boolean")
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.wrong("an array")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.wrong("an object")
    }
}

struct RecordFields<'a>(&'a mut Record);

impl Fields for RecordFields<'_> {
    const PATH: &'static str = "";
    const NULLABLE: bool = false;
    fn record(&mut self) -> &mut Record {
        self.0
    }
    fn field<'de, A: MapAccess<'de>>(&mut self, key: Key, map: &mut A) -> Result<(), A::Error> {
        let r = &mut *self.0;
        match key {
            Key::EventSource => map.next_value_seed(Text::new(
                &mut r.event_source,
                &mut r.unreadable,
                "eventSource",
            )),
            Key::EventName => {
                map.next_value_seed(Text::new(&mut r.event_name, &mut r.unreadable, "eventName"))
            }
            Key::EventTime => {
                map.next_value_seed(Text::new(&mut r.event_time, &mut r.unreadable, "eventTime"))
            }
            Key::EventCategory => map.next_value_seed(Text::new(
                &mut r.event_category,
                &mut r.unreadable,
                "eventCategory",
            )),
            Key::ErrorCode => {
                map.next_value_seed(Text::new(&mut r.error_code, &mut r.unreadable, "errorCode"))
            }
            Key::UserIdentity => map.next_value_seed(Object(UserIdentity(r))),
            Key::RequestParameters => map.next_value_seed(Object(RequestParameters(r))),
            Key::Resources => map.next_value_seed(Resources(r)),
            _ => skip(map),
        }
    }
}

struct UserIdentity<'a>(&'a mut Record);

impl Fields for UserIdentity<'_> {
    const PATH: &'static str = "userIdentity";
    fn record(&mut self) -> &mut Record {
        self.0
    }
    fn field<'de, A: MapAccess<'de>>(&mut self, key: Key, map: &mut A) -> Result<(), A::Error> {
        match key {
            Key::SessionContext => map.next_value_seed(Object(SessionContext(&mut *self.0))),
            _ => skip(map),
        }
    }
}

struct SessionContext<'a>(&'a mut Record);

impl Fields for SessionContext<'_> {
    const PATH: &'static str = "userIdentity.sessionContext";
    fn record(&mut self) -> &mut Record {
        self.0
    }
    fn field<'de, A: MapAccess<'de>>(&mut self, key: Key, map: &mut A) -> Result<(), A::Error> {
        match key {
            Key::SessionIssuer => map.next_value_seed(Object(SessionIssuer(&mut *self.0))),
            _ => skip(map),
        }
    }
}

struct SessionIssuer<'a>(&'a mut Record);

impl Fields for SessionIssuer<'_> {
    const PATH: &'static str = "userIdentity.sessionContext.sessionIssuer";
    fn record(&mut self) -> &mut Record {
        self.0
    }
    fn field<'de, A: MapAccess<'de>>(&mut self, key: Key, map: &mut A) -> Result<(), A::Error> {
        let r = &mut *self.0;
        match key {
            Key::Arn => map.next_value_seed(Text::new(
                &mut r.session_issuer,
                &mut r.unreadable,
                "userIdentity.sessionContext.sessionIssuer.arn",
            )),
            _ => skip(map),
        }
    }
}

struct RequestParameters<'a>(&'a mut Record);

impl Fields for RequestParameters<'_> {
    const PATH: &'static str = "requestParameters";
    fn record(&mut self) -> &mut Record {
        self.0
    }
    fn field<'de, A: MapAccess<'de>>(&mut self, key: Key, map: &mut A) -> Result<(), A::Error> {
        let r = &mut *self.0;
        match key {
            Key::BucketName => map.next_value_seed(Text::new(
                &mut r.bucket,
                &mut r.unreadable,
                "requestParameters.bucketName",
            )),
            _ => skip(map),
        }
    }
}

/// `resources`: an array of `{type, ARN, accountId}`, or null.
struct Resources<'a>(&'a mut Record);

impl<'de> DeserializeSeed<'de> for Resources<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Resources<'_> {
    fn wrong<E: serde::de::Error>(self, found: &'static str) -> Result<(), E> {
        self.0.wrong("resources", found, "an array");
        Ok(())
    }
}

impl<'de> Visitor<'de> for Resources<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Object(Resource(&mut *self.0)))?
            .is_some()
        {}
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.wrong("a boolean")
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.wrong("a string")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.wrong("an object")
    }
}

struct Resource<'a>(&'a mut Record);

impl Fields for Resource<'_> {
    const PATH: &'static str = "resources[]";
    fn record(&mut self) -> &mut Record {
        self.0
    }
    fn field<'de, A: MapAccess<'de>>(&mut self, key: Key, map: &mut A) -> Result<(), A::Error> {
        match key {
            Key::Type => map.next_value_seed(ResourceType(&mut *self.0)),
            _ => skip(map),
        }
    }
}

/// `resources[].type`: only whether it is an S3 object matters.
struct ResourceType<'a>(&'a mut Record);

impl<'de> DeserializeSeed<'de> for ResourceType<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl ResourceType<'_> {
    fn wrong<E: serde::de::Error>(self, found: &'static str) -> Result<(), E> {
        self.0.wrong("resources[].type", found, "a string");
        Ok(())
    }
}

impl<'de> Visitor<'de> for ResourceType<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        if v == S3_OBJECT {
            self.0.object_resource = true;
        }
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.wrong("a boolean")
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.wrong("a number")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.wrong("an array")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.wrong("an object")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Vec<Record>, String> {
        let mut out = Vec::new();
        let n = read_records(json.as_bytes(), &mut |r| out.push(r.clone()))?;
        assert_eq!(n as usize, out.len());
        Ok(out)
    }

    #[test]
    fn reads_the_fields_the_tally_needs() {
        let r = read(
            r#"{"Records": [{"eventVersion": "1.09", "eventSource": "s3.amazonaws.com",
            "eventName": "DeleteObject", "eventTime": "2026-03-01T10:00:00Z", "eventCategory": "Data",
            "errorCode": "AccessDenied", "errorMessage": "Access Denied",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::1:role/r"},
                    "webIdFederationData": {}, "attributes": {"mfaAuthenticated": "false"}}},
            "requestParameters": {"bucketName": "b", "key": "k", "Host": "b.s3.amazonaws.com"},
            "responseElements": null,
            "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/k"},
                {"accountId": "1", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}]}]}"#,
        )
        .unwrap();
        let r = &r[0];
        assert_eq!(r.event_source(), Some("s3.amazonaws.com"));
        assert_eq!(r.event_name(), Some("DeleteObject"));
        assert_eq!(r.event_time(), Some("2026-03-01T10:00:00Z"));
        assert_eq!(r.event_category(), Some("Data"));
        assert_eq!(r.error_code(), Some("AccessDenied"));
        assert_eq!(r.session_issuer(), Some("arn:aws:iam::1:role/r"));
        assert_eq!(r.bucket(), Some("b"));
        assert!(r.names_an_object());
        assert_eq!(r.unreadable(), None);
    }

    #[test]
    fn the_reused_record_carries_nothing_over() {
        let r = read(
            r#"{"Records": [{"eventName": "DeleteObject", "errorCode": "AccessDenied",
                "userIdentity": {"sessionContext": {"sessionIssuer": {"arn": "a"}}},
                "resources": [{"type": "AWS::S3::Object"}], "eventSource": 5},
            {"eventName": "GetObject"}]}"#,
        )
        .unwrap();
        assert!(r[0].unreadable().is_some());
        assert_eq!(
            r[1],
            Record {
                event_name: "GetObject".into(),
                ..Record::default()
            }
        );
    }

    #[test]
    fn fields_it_does_not_need_may_be_anything() {
        let r = read(
            r#"{"Records": [{"eventName": "DeleteObject", "resources": null, "requestParameters": null,
                "userIdentity": {"type": "WebIdentityUser", "sessionContext": null, "userName": 7},
                "responseElements": [1, {"x": null}], "additionalEventData": "text",
                "tlsDetails": {"clientProvidedHostHeader": ["a"]}, "readOnly": "false"},
            {"eventName": "DeleteObject", "resources": [null, {"type": null, "ARN": 3}],
                "userIdentity": {"sessionContext": {"sessionIssuer": {}, "webIdFederationData": null}}}]}"#,
        )
        .unwrap();
        for r in &r {
            assert_eq!(r.unreadable(), None, "{r:?}");
            assert_eq!(r.event_name(), Some("DeleteObject"));
            assert_eq!(r.session_issuer(), None);
            assert!(!r.names_an_object());
        }
    }

    #[test]
    fn a_needed_field_of_another_type_makes_the_record_unreadable() {
        for (record, field, found) in [
            (r#"{"eventName": 5}"#, "eventName", "a number"),
            (r#"{"eventSource": ["s3"]}"#, "eventSource", "an array"),
            (r#"{"errorCode": {"c": 1}}"#, "errorCode", "an object"),
            (r#"{"userIdentity": "role"}"#, "userIdentity", "a string"),
            (
                r#"{"userIdentity": {"sessionContext": {"sessionIssuer": {"arn": true}}}}"#,
                "userIdentity.sessionContext.sessionIssuer.arn",
                "a boolean",
            ),
            (r#"{"resources": {"type": "x"}}"#, "resources", "an object"),
            (
                r#"{"resources": [{"type": 1.5}]}"#,
                "resources[].type",
                "a number",
            ),
            (
                r#"{"resources": ["AWS::S3::Object"]}"#,
                "resources[]",
                "a string",
            ),
            (
                r#"{"requestParameters": {"bucketName": 1}}"#,
                "requestParameters.bucketName",
                "a number",
            ),
            ("null", "", "null"),
            ("7", "", "a number"),
            (r#"[{"eventName": "DeleteObject"}]"#, "", "an array"),
        ] {
            let file = format!(r#"{{"Records": [{record}, {{"eventName": "GetObject"}}]}}"#);
            let r = read(&file).unwrap();
            let why = r[0].unreadable().unwrap_or_else(|| panic!("{record}"));
            assert_eq!((why.field, why.found), (field, found), "{record}");
            // the next record is read
            assert_eq!(r[1].event_name(), Some("GetObject"));
            assert_eq!(r[1].unreadable(), None);
        }
        let why = Unreadable {
            field: "eventName",
            found: "a number",
            expected: "a string",
        };
        assert_eq!(why.to_string(), "`eventName` is a number, not a string");
    }

    #[test]
    fn files_that_are_not_log_files_are_errors() {
        for bad in [
            r#"{"Records": ["#,
            r#"{"Records": [{"eventName": "a"}"#,
            "[]",
            r#"{"Other": 1}"#,
            r#"{"Records": {}}"#,
            r#"{"Records": []} trailing"#,
            "",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
        assert_eq!(
            read(r#"{"Records": [], "x": {"y": [1]}}"#).unwrap().len(),
            0
        );
    }
}
