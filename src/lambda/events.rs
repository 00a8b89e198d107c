//! The events the function accepts (a contract; examples in `events/`):
//! - an EventBridge Scheduled Event: full audit with the environment's settings, publish;
//! - an EventBridge "AWS API Call via CloudTrail" event of IAM ([`CHANGE_EVENTS`]): audit only
//!   the connector roles the call concerns (a managed policy's change: every connector role
//!   it is attached to), publish; a call that concerns no connector role publishes nothing;
//! - an SQS event (`Records`) whose messages are such IAM change events (the template buffers
//!   them in a queue): the union of the batch's roles audited once per account; messages that
//!   are not change events are answered as `batchItemFailures`;
//! - in every event, a key that appears twice in an object fails the invocation, naming it;
//! - a console test event: a JSON object whose optional fields override the environment:
//!   `roles`, `tag_key`, `tag_value`, `trusted_accounts`, `publish`, `min_severity`, `probe`,
//!   `probe_delete`, `org` (every account of the organization, or only this one);
//! - the organization state machine's events: `{"list_accounts": true}` answers the
//!   organization's active accounts; `{"account_id": "...", "account_name": ...,
//!   "summary_only": true}` audits one member account through the org role (stored and
//!   published as usual) and answers its section of the report;
//! - anything else fails the invocation with an error naming the accepted fields.

use crate::app::settings::Overrides;
use crate::model::ids::{is_account_id, is_role_name};
use crate::model::{AccountId, IamChange, Severity};
use crate::policy::document::kind;
use serde::Deserialize;
use serde_json::Value;

/// At most this many entries in an event's `roles` or `trusted_accounts`.
pub const MAX_EVENT_LIST: usize = 1_000;

const ACCEPTED: &str = "an EventBridge Scheduled Event, an EventBridge `AWS API Call via \
CloudTrail` event of IAM (alone, or as the bodies of an SQS event's `Records`) (CreateRole, UpdateAssumeRolePolicy, PutRolePolicy, DeleteRolePolicy, \
AttachRolePolicy, DetachRolePolicy, TagRole, UntagRole, CreatePolicyVersion, \
SetDefaultPolicyVersion), or a JSON object with the optional fields \
`roles` (array of role names or ARNs), `tag_key` (string), `tag_value` (string), \
`trusted_accounts` (array of 12-digit account ids), `publish` (boolean), `min_severity` \
(critical|high|medium|low|info), `probe` (boolean), `probe_delete` (boolean), `org` (boolean); \
or `{\"list_accounts\": true}`; or `account_id` (12 digits) with the optional `account_name` \
(string) and `summary_only` (boolean)";

/// A console test event's overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnDemand {
    pub roles: Option<Vec<String>>,
    pub tag_key: Option<String>,
    pub tag_value: Option<String>,
    pub trusted_accounts: Option<Vec<String>>,
    pub publish: Option<bool>,
    pub min_severity: Option<Severity>,
    pub probe: Option<bool>,
    pub probe_delete: Option<bool>,
    /// Audit every account of the organization (default: when `ORG_AUDIT_ROLE_NAME` is set).
    pub org: Option<bool>,
    /// Answer the organization's active accounts, audit nothing (the state machine's items).
    pub list_accounts: Option<bool>,
    /// Audit only this account of the organization, through the org role.
    pub account_id: Option<String>,
    /// The account's name, for its section of the report.
    pub account_name: Option<String>,
    /// Answer the account's section instead of the whole report (a Step Functions state holds
    /// at most 256 KiB).
    pub summary_only: Option<bool>,
}

/// What an event asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    Scheduled,
    OnDemand(OnDemand),
    /// An IAM change reported by CloudTrail: audit the roles it concerns.
    Change(IamChange),
    /// IAM changes buffered in the SQS queue (the template's change path): the union of their
    /// roles is audited once per account.
    Changes(ChangeBatch),
}

/// A batch of SQS messages, each an IAM change event (its `body`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeBatch {
    /// `(messageId, change)` of each message that is an accepted change event.
    pub changes: Vec<(String, IamChange)>,
    /// `(messageId, why)` of each message that is not: reported back as a batch item failure
    /// (SQS delivers it again, then to the dead-letter queue), never silently dropped.
    pub rejected: Vec<(String, String)>,
}

impl ChangeBatch {
    /// The batch's changes merged per account (`None`: the function's own): one change naming
    /// the union of their roles and policies, and the message ids it stands for. Changes that
    /// concern no role (failed calls) stand for their messages without a role.
    pub fn per_account(&self) -> Vec<(IamChange, Vec<String>)> {
        let mut groups: Vec<(IamChange, Vec<String>)> = Vec::new();
        for (id, c) in &self.changes {
            let group = match groups.iter_mut().find(|(g, _)| g.account == c.account) {
                Some(g) => g,
                None => {
                    groups.push((
                        IamChange {
                            account: c.account.clone(),
                            ..IamChange::default()
                        },
                        Vec::new(),
                    ));
                    let last = groups.len() - 1;
                    match groups.get_mut(last) {
                        Some(g) => g,
                        None => continue,
                    }
                }
            };
            let (merged, ids) = group;
            ids.push(id.clone());
            let first = ids.len() == 1;
            for name in c.event_name.split(',') {
                if !merged.event_name.split(',').any(|n| n == name) {
                    if !merged.event_name.is_empty() {
                        merged.event_name.push(',');
                    }
                    merged.event_name.push_str(name);
                }
            }
            if first {
                merged.event_id = c.event_id.clone();
                merged.event_time = c.event_time.clone();
                merged.changed_by = c.changed_by.clone();
            } else {
                // one change's id, time and author would misname a batch's
                if merged.event_id != c.event_id {
                    merged.event_id = None;
                }
                if merged.changed_by != c.changed_by {
                    merged.changed_by = None;
                }
                if c.event_time > merged.event_time {
                    merged.event_time = c.event_time.clone();
                }
            }
            for r in &c.roles {
                if !merged.roles.contains(r) {
                    merged.roles.push(r.clone());
                }
            }
            for p in &c.policies {
                if !merged.policies.contains(p) {
                    merged.policies.push(p.clone());
                }
            }
        }
        groups
    }
}

/// An SQS event (`Records` of `aws:sqs` messages) whose bodies are IAM change events.
fn parse_batch(records: &[Value]) -> Result<ChangeBatch, String> {
    let mut batch = ChangeBatch::default();
    for (i, record) in records.iter().enumerate() {
        if record.get("eventSource").and_then(Value::as_str) != Some("aws:sqs") {
            return Err(format!(
                "`Records[{i}]` is not an SQS message (`eventSource` is not `aws:sqs`)"
            ));
        }
        let Some(id) = record.get("messageId").and_then(Value::as_str) else {
            return Err(format!("`Records[{i}]` has no `messageId`"));
        };
        let body = record.get("body").and_then(Value::as_str).unwrap_or("");
        let change = read_json(body).and_then(|v| parse_event(&v));
        match change {
            Ok(Invocation::Change(c)) => batch.changes.push((id.to_string(), c)),
            Ok(_) => batch.rejected.push((
                id.to_string(),
                "the message is not an IAM change event".to_string(),
            )),
            Err(e) => batch.rejected.push((id.to_string(), e.reason)),
        }
    }
    Ok(batch)
}

impl OnDemand {
    /// The event's overrides of the function's settings.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            roles: self.roles.clone(),
            tag_key: self.tag_key.clone(),
            tag_value: self.tag_value.clone(),
            // checked by `parse_event`
            trusted_accounts: self.trusted_accounts.as_ref().map(|list| {
                list.iter()
                    .filter_map(|a| AccountId::parse(a).ok())
                    .collect()
            }),
            publish: self.publish,
            min_severity: self.min_severity,
            probe: self.probe,
            probe_delete: self.probe_delete,
        }
    }
}

/// The IAM calls whose CloudTrail events trigger an audit of the roles they concern (the
/// EventBridge rule of `template.yaml` lists the same).
pub const CHANGE_EVENTS: [&str; 10] = [
    "CreateRole",
    "UpdateAssumeRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "TagRole",
    "UntagRole",
    "CreatePolicyVersion",
    "SetDefaultPolicyVersion",
];

/// An event the function does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported event: {reason}. Accepted: {ACCEPTED}")]
pub struct EventError {
    pub reason: String,
}

/// Classifies and validates an event.
pub fn parse_event(event: &Value) -> Result<Invocation, EventError> {
    let err = |reason: String| EventError { reason };
    let Value::Object(obj) = event else {
        return Err(err(format!(
            "the event is {}, not a JSON object",
            kind(event)
        )));
    };
    if let Some(Value::Array(records)) = obj.get("Records") {
        if obj.len() != 1 {
            return Err(err("an SQS event takes only `Records`".into()));
        }
        return parse_batch(records).map(Invocation::Changes).map_err(err);
    }
    if obj.get("source").and_then(Value::as_str) == Some("aws.iam") {
        return parse_change(obj).map(Invocation::Change).map_err(err);
    }
    if obj.get("source").and_then(Value::as_str) == Some("aws.events") {
        return match obj.get("detail-type").and_then(Value::as_str) {
            Some("Scheduled Event") => check_scheduled(obj)
                .map(|()| Invocation::Scheduled)
                .map_err(err),
            other => Err(err(format!(
                "EventBridge event with detail-type `{}`",
                other.unwrap_or("(none)")
            ))),
        };
    }
    let od: OnDemand = serde_path_to_error::deserialize(event).map_err(|e| {
        let path = e.path().to_string();
        err(if path == "." {
            e.inner().to_string()
        } else {
            format!("field `{path}`: {}", e.inner())
        })
    })?;
    for (name, list) in [
        ("roles", &od.roles),
        ("trusted_accounts", &od.trusted_accounts),
    ] {
        if let Some(l) = list
            && l.len() > MAX_EVENT_LIST
        {
            return Err(err(format!(
                "field `{name}` has {} entries, more than {MAX_EVENT_LIST}",
                l.len()
            )));
        }
    }
    if let Some(bad) = od
        .trusted_accounts
        .iter()
        .flatten()
        .find(|a| !is_account_id(a))
    {
        return Err(err(format!(
            "field `trusted_accounts`: `{bad}` is not a 12-digit AWS account id"
        )));
    }
    if od.tag_key.as_deref().is_some_and(|k| k.trim().is_empty()) {
        return Err(err("field `tag_key` is empty".into()));
    }
    check_org_fields(&od).map_err(err)?;
    Ok(Invocation::OnDemand(od))
}

/// The fields of an EventBridge Scheduled Event (its `detail` is empty). Anything else (a
/// console's `"publish": false` pasted into one, say) fails, rather than being ignored.
const SCHEDULED_FIELDS: [&str; 9] = [
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
];

fn check_scheduled(obj: &serde_json::Map<String, Value>) -> Result<(), String> {
    if let Some(unknown) = obj.keys().find(|k| !SCHEDULED_FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "Scheduled Event with unknown field `{unknown}`: a Scheduled Event takes no options (send a console event, a JSON object of the fields below, to override settings)"
        ));
    }
    match obj.get("detail") {
        None => Ok(()),
        Some(Value::Object(d)) if d.is_empty() => Ok(()),
        Some(_) => Err("Scheduled Event whose `detail` is not `{}`".into()),
    }
}

/// The event as the runtime received it: JSON text, checked for duplicate keys before it is
/// read (`{"publish": false, "publish": true}` is valid JSON that parsers read differently).
#[derive(Debug, serde::Deserialize)]
#[serde(transparent)]
pub struct RawEvent(pub Box<serde_json::value::RawValue>);

impl RawEvent {
    /// The event's JSON, or the first duplicate key (with its path) as the reason it fails.
    pub fn value(&self) -> Result<Value, EventError> {
        read_json(self.0.get())
    }
}

/// JSON text of an event (or of an SQS message's body): a duplicate key anywhere fails, naming
/// the key and where it is.
pub fn read_json(text: &str) -> Result<Value, EventError> {
    if let Some((path, key)) = crate::policy::duplicates::first_duplicate(text) {
        let at = if path.is_empty() {
            "the top level".to_string()
        } else {
            format!("`{path}`")
        };
        return Err(EventError {
            reason: format!("duplicate key `{key}` at {at}: the event is ambiguous"),
        });
    }
    serde_json::from_str(text).map_err(|e| EventError {
        reason: format!("not JSON: {e}"),
    })
}

/// An EventBridge "AWS API Call via CloudTrail" event of IAM: the call, and the role or
/// managed policy it names (`requestParameters.roleName` / `policyArn`).
fn parse_change(obj: &serde_json::Map<String, Value>) -> Result<IamChange, String> {
    let detail_type = obj.get("detail-type").and_then(Value::as_str);
    if detail_type != Some("AWS API Call via CloudTrail") {
        return Err(format!(
            "IAM event with detail-type `{}`: only `AWS API Call via CloudTrail` is accepted",
            detail_type.unwrap_or("(none)")
        ));
    }
    let Some(detail) = obj.get("detail").and_then(Value::as_object) else {
        return Err("IAM event without a `detail` object".into());
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let Some(name) = text(detail.get("eventName")) else {
        return Err("IAM event without `detail.eventName`".into());
    };
    if !CHANGE_EVENTS.contains(&name.as_str()) {
        return Err(format!(
            "IAM event `{name}`: the audit on change takes {}",
            CHANGE_EVENTS.join(", ")
        ));
    }
    let params = detail.get("requestParameters").filter(|p| !p.is_null());
    let param = |key: &str| text(params.and_then(|p| p.get(key)));
    let mut change = IamChange {
        event_name: name.clone(),
        event_id: text(detail.get("eventID")),
        event_time: text(detail.get("eventTime")),
        changed_by: text(detail.get("userIdentity").and_then(|u| u.get("arn"))),
        account: text(detail.get("recipientAccountId"))
            .or_else(|| text(obj.get("account")))
            .filter(|a| is_account_id(a)),
        roles: Vec::new(),
        policies: Vec::new(),
    };
    if detail.get("errorCode").is_some_and(|c| !c.is_null()) {
        // the call failed: nothing changed
        return Ok(change);
    }
    if name == "CreatePolicyVersion"
        && params
            .and_then(|p| p.get("setAsDefault"))
            .and_then(Value::as_bool)
            == Some(false)
    {
        // a version that is not the default changes no role's permissions
        return Ok(change);
    }
    if matches!(
        name.as_str(),
        "CreatePolicyVersion" | "SetDefaultPolicyVersion"
    ) {
        match param("policyArn") {
            Some(arn) if arn.starts_with("arn:") && arn.contains(":policy/") => {
                change.policies.push(arn)
            }
            Some(bad) => {
                return Err(format!(
                    "`{name}` event: `detail.requestParameters.policyArn` is `{bad}`, not a managed policy ARN"
                ));
            }
            None => {
                return Err(format!(
                    "`{name}` event without `detail.requestParameters.policyArn`"
                ));
            }
        }
    } else {
        match param("roleName") {
            Some(role) if is_role_name(&role) => change.roles.push(role),
            Some(bad) => {
                return Err(format!(
                    "`{name}` event: `detail.requestParameters.roleName` is `{bad}`, not an IAM role name"
                ));
            }
            None => {
                return Err(format!(
                    "`{name}` event without `detail.requestParameters.roleName`"
                ));
            }
        }
    }
    Ok(change)
}

/// The organization fields of a console event, together.
fn check_org_fields(od: &OnDemand) -> Result<(), String> {
    if od.list_accounts == Some(true) {
        let alone = OnDemand {
            list_accounts: Some(true),
            ..OnDemand::default()
        };
        if *od != alone {
            return Err("field `list_accounts` takes no other field".into());
        }
    }
    match &od.account_id {
        Some(id) => {
            crate::org::Account::parse(id, None).map_err(|e| format!("field `account_id`: {e}"))?;
            if od.org == Some(true) {
                return Err("fields `account_id` and `org` exclude each other".into());
            }
            if od.roles.is_some() {
                return Err("fields `account_id` and `roles` exclude each other: a member account's run audits all of its connector roles".into());
            }
        }
        None => {
            for (name, set) in [
                ("account_name", od.account_name.is_some()),
                ("summary_only", od.summary_only.is_some()),
            ] {
                if set {
                    return Err(format!("field `{name}` needs `account_id`"));
                }
            }
        }
    }
    if od.org == Some(true) && od.roles.is_some() {
        return Err(
            "field `roles` names roles of one account: it cannot be used with `org`".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events() {
        assert_eq!(
            parse_event(
                &json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
            )
            .unwrap(),
            Invocation::Scheduled
        );
        assert_eq!(
            parse_event(&json!({})).unwrap(),
            Invocation::OnDemand(OnDemand::default())
        );
        let od = parse_event(&json!({"roles": ["a"], "publish": false})).unwrap();
        assert!(matches!(
            od,
            Invocation::OnDemand(OnDemand {
                publish: Some(false),
                ..
            })
        ));
        for (bad, want) in [
            (json!([1, 2]), "not a JSON object"),
            (json!("hello"), "a string"),
            (json!({"rolez": ["a"]}), "unknown field `rolez`"),
            (json!({"roles": "a"}), "field `roles`"),
            (json!({"publish": "yes"}), "field `publish`"),
            (json!({"probe": "on"}), "field `probe`"),
            (json!({"min_severity": "urgent"}), "`urgent`"),
            (json!({"trusted_accounts": ["12"]}), "`12`"),
            (
                json!({"source": "aws.events", "detail-type": "AWS API Call via CloudTrail"}),
                "AWS API Call via CloudTrail",
            ),
            (
                json!({"source": "aws.iam", "detail-type": "AWS Console Sign In via CloudTrail"}),
                "only `AWS API Call via CloudTrail`",
            ),
            (
                json!({"source": "aws.iam", "detail-type": "AWS API Call via CloudTrail"}),
                "without a `detail` object",
            ),
            (
                json!({"source": "aws.iam", "detail-type": "AWS API Call via CloudTrail",
                    "detail": {"eventName": "CreatePolicyVersion", "requestParameters": {"policyArn": "MyPolicy"}}}),
                "`MyPolicy`, not a managed policy ARN",
            ),
            (
                json!({"source": "aws.iam", "detail-type": "AWS API Call via CloudTrail",
                    "detail": {"eventName": "TagRole", "requestParameters": {"roleName": "a/b"}}}),
                "`a/b`, not an IAM role name",
            ),
            (
                json!({"roles": vec!["r"; MAX_EVENT_LIST + 1]}),
                "more than 1000",
            ),
            (
                json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}, "publish": false}),
                "unknown field `publish`",
            ),
            (
                json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {"publish": false}}),
                "`detail` is not `{}`",
            ),
        ] {
            let e = parse_event(&bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
            assert!(e.contains("Accepted:"), "{e}");
        }
    }

    #[test]
    fn duplicate_keys_fail_naming_the_key() {
        for (text, want) in [
            (
                r#"{"publish": false, "publish": true}"#,
                "duplicate key `publish` at the top level",
            ),
            (
                r#"{"source": "aws.iam", "detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "TagRole", "requestParameters": {"roleName": "a", "roleName": "b"}}}"#,
                "duplicate key `roleName` at `detail.requestParameters`",
            ),
            (r#"{"roles": [{"a": 1, "a": 2}]}"#, "`roles[0]`"),
        ] {
            let e = read_json(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
        let raw: RawEvent = serde_json::from_str(r#"{"publish": false}"#).unwrap();
        assert_eq!(raw.value().unwrap(), json!({"publish": false}));
        // as the runtime reads an event (lambda_runtime 1.5: serde_path_to_error over
        // serde_json's slice deserializer), the text is kept whole, duplicates included
        let body = br#"{"publish": false, "publish": true}"#;
        let raw: RawEvent =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body))
                .unwrap();
        assert!(raw.value().unwrap_err().to_string().contains("`publish`"));
    }

    #[test]
    fn every_file_in_events_is_accepted() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let v: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let invalid = path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("invalid");
                assert_eq!(parse_event(&v).is_err(), invalid, "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen >= 4);
    }
}
