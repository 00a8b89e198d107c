//! The Lambda function's logic, callable from tests with `LambdaEvent::new(event, Context::default())`:
//! configuration from the environment, the events it accepts, and the handler. The binary
//! (`bin/bootstrap.rs`) only builds clients once and hands them to [`handle`].
//!
//! Events (a contract; examples in `events/`):
//! - an EventBridge Scheduled Event: full audit with the environment's settings, publish;
//! - an EventBridge "AWS API Call via CloudTrail" event of IAM ([`CHANGE_EVENTS`]): audit only
//!   the connector roles the call concerns (a managed policy's change: every connector role
//!   it is attached to), publish; a call that concerns no connector role publishes nothing;
//! - a console test event: a JSON object whose optional fields override the environment:
//!   `roles`, `tag_key`, `tag_value`, `trusted_accounts`, `publish`, `min_severity`, `probe`,
//!   `probe_delete`, `org` (every account of the organization, or only this one);
//! - the organization state machine's events (see [`crate::org`]): `{"list_accounts": true}`
//!   answers the organization's active accounts; `{"account_id": "...", "account_name": ...,
//!   "summary_only": true}` audits one member account through the org role (stored and
//!   published as usual) and answers its section of the report;
//! - anything else fails the invocation with an error naming the accepted fields.
//!
//! With `ORG_AUDIT_ROLE_NAME` set, scheduled and console runs audit every active account of
//! the organization into one report (unless the event says `"org": false`).

use crate::audit::{AuditOptions, Live, LiveError, LiveRun};
use crate::aws::{Clients, S3ReportStore, SnsSink};
use crate::model::{IamChange, Report, Severity};
use crate::notify::PublishMode;
use crate::policy::document::kind;
use crate::policy::principal::is_account_id;
use crate::probe::{DEFAULT_CONCURRENCY, ProbeOptions};
use crate::suppress::SuppressionSet;
use lambda_runtime::LambdaEvent;
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Lambda's limit on a synchronous response.
pub const MAX_RESPONSE_BYTES: usize = 6_291_456;
/// Room for the envelope the runtime adds.
const RESPONSE_MARGIN: usize = 64 * 1024;
/// At most this many entries in an event's `roles` or `trusted_accounts`.
pub const MAX_EVENT_LIST: usize = 1_000;

const ACCEPTED: &str = "an EventBridge Scheduled Event, an EventBridge `AWS API Call via \
CloudTrail` event of IAM (CreateRole, UpdateAssumeRolePolicy, PutRolePolicy, DeleteRolePolicy, \
AttachRolePolicy, DetachRolePolicy, TagRole, UntagRole, CreatePolicyVersion, \
SetDefaultPolicyVersion), or a JSON object with the optional fields \
`roles` (array of role names or ARNs), `tag_key` (string), `tag_value` (string), \
`trusted_accounts` (array of 12-digit account ids), `publish` (boolean), `min_severity` \
(critical|high|medium|low|info), `probe` (boolean), `probe_delete` (boolean), `org` (boolean); \
or `{\"list_accounts\": true}`; or `account_id` (12 digits) with the optional `account_name` \
(string) and `summary_only` (boolean)";

/// The log filter for `LOG_LEVEL` (`error`, `warn`, `info`, `debug`, `trace`): that level for
/// the function's own code, `info` for the AWS SDK and the HTTP stack, whose debug lines
/// carry request details such as access key ids. A full directive (with `=` or `,`, e.g.
/// `info,aws_smithy_runtime=debug`) is used as given: the operator asked for it.
pub fn log_filter(level: &str) -> tracing_subscriber::EnvFilter {
    let level = level.trim();
    let directive = if level.contains(['=', ',']) {
        level.to_string()
    } else {
        let level = match level.to_ascii_lowercase().as_str() {
            l @ ("error" | "warn" | "info" | "debug" | "trace") => l.to_string(),
            _ => "info".to_string(),
        };
        let quiet = if level == "error" || level == "warn" {
            level.clone()
        } else {
            "info".to_string()
        };
        format!("{quiet},connector_audit={level},bootstrap={level}")
    };
    tracing_subscriber::EnvFilter::try_new(&directive)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

/// A bad environment variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable `{name}`: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

/// The function's settings, from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub tag_key: String,
    pub tag_value: Option<String>,
    pub trusted_accounts: Vec<String>,
    pub topic_arn: Option<String>,
    pub min_severity: Severity,
    /// Probe effective access with the roles' credentials (`PROBE=on`).
    pub probe: bool,
    pub probe_options: ProbeOptions,
    /// Time kept free at the end of an invocation for reporting and publishing.
    pub deadline_margin: Duration,
    /// Where each run's report is written before publishing (`REPORT_BUCKET`).
    pub report_bucket: Option<String>,
    /// The CloudTrail trail to read usage evidence from (`CLOUDTRAIL_BUCKET`, ...).
    pub usage: Option<crate::usage::UsageOptions>,
    /// Publish every finding or only new ones (`PUBLISH_MODE`, default `all`).
    pub publish_mode: PublishMode,
    /// The central suppressions file (`SUPPRESSIONS_S3_URI`), read on every invocation.
    pub suppressions: Option<S3Uri>,
    /// The role assumed in each member account (`ORG_AUDIT_ROLE_NAME`): when set, runs audit
    /// every account of the organization.
    pub org_role_name: Option<String>,
    /// Accounts audited at once in an organization-wide run (`ORG_CONCURRENCY`).
    pub org_concurrency: usize,
}

/// An `s3://bucket/key` location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub key: String,
}

impl std::fmt::Display for S3Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

impl std::str::FromStr for S3Uri {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| format!("`{s}` is not an s3://bucket/key URI"))?;
        match rest.split_once('/') {
            Some((bucket, key)) if crate::probe::is_bucket_name(bucket) && !key.is_empty() => {
                Ok(S3Uri {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                })
            }
            _ => Err(format!(
                "`{s}` is not an s3://bucket/key URI with a valid bucket name and a key"
            )),
        }
    }
}

/// `on`/`off` and the usual spellings of a boolean.
fn switch(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(ConfigError {
            name,
            message: format!("`{value}`: expected on or off"),
        }),
    }
}

/// A positive whole number within `range`.
fn number(
    name: &'static str,
    value: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ConfigError {
            name,
            message: format!(
                "`{value}`: expected a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        })
}

impl Config {
    /// Reads `CONNECTOR_TAG_KEY`, `CONNECTOR_TAG_VALUE`, `TRUSTED_ACCOUNT_IDS` (comma or space
    /// separated), `FINDINGS_TOPIC_ARN`, `MIN_SEVERITY` (default `medium`), `PROBE` (on/off,
    /// default off), `PROBE_CANARY_BUCKET`, `PROBE_NO_DELETE` (on/off), `PROBE_CONCURRENCY`
    /// (default 8), `DEADLINE_MARGIN_SECONDS` (default 30), `REPORT_BUCKET`,
    /// `CLOUDTRAIL_BUCKET`, `CLOUDTRAIL_PREFIX`, `USAGE_LOOKBACK_DAYS` (default 90),
    /// `PUBLISH_MODE` (`all` or `new`, default `all`), `SUPPRESSIONS_S3_URI` (`s3://bucket/key`),
    /// `ORG_AUDIT_ROLE_NAME`, `ORG_CONCURRENCY` (default 4).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let nonempty = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let trusted_accounts: Vec<String> = nonempty("TRUSTED_ACCOUNT_IDS")
            .map(|v| {
                v.split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(bad) = trusted_accounts.iter().find(|a| !is_account_id(a)) {
            return Err(ConfigError {
                name: "TRUSTED_ACCOUNT_IDS",
                message: format!("`{bad}` is not a 12-digit AWS account id"),
            });
        }
        let min_severity = match nonempty("MIN_SEVERITY") {
            None => Severity::Medium,
            Some(v) => v
                .parse()
                .map_err(|e: crate::model::UnknownSeverity| ConfigError {
                    name: "MIN_SEVERITY",
                    message: e.to_string(),
                })?,
        };
        let topic_arn = nonempty("FINDINGS_TOPIC_ARN");
        if let Some(t) = &topic_arn
            && !t.starts_with("arn:")
        {
            return Err(ConfigError {
                name: "FINDINGS_TOPIC_ARN",
                message: format!("`{t}` is not an SNS topic ARN"),
            });
        }
        let probe = match nonempty("PROBE") {
            Some(v) => switch("PROBE", &v)?,
            None => false,
        };
        let no_delete = match nonempty("PROBE_NO_DELETE") {
            Some(v) => switch("PROBE_NO_DELETE", &v)?,
            None => false,
        };
        let concurrency = match nonempty("PROBE_CONCURRENCY") {
            Some(v) => number("PROBE_CONCURRENCY", &v, 1..=64)? as usize,
            None => DEFAULT_CONCURRENCY,
        };
        let probe_options = ProbeOptions {
            canary_bucket: nonempty("PROBE_CANARY_BUCKET"),
            delete: !no_delete,
            concurrency,
        };
        probe_options.validate().map_err(|e| ConfigError {
            name: "PROBE_CANARY_BUCKET",
            message: e.to_string(),
        })?;
        let deadline_margin = Duration::from_secs(match nonempty("DEADLINE_MARGIN_SECONDS") {
            Some(v) => number("DEADLINE_MARGIN_SECONDS", &v, 0..=600)?,
            None => 30,
        });
        let report_bucket = nonempty("REPORT_BUCKET");
        if let Some(b) = &report_bucket
            && !crate::probe::is_bucket_name(b)
        {
            return Err(ConfigError {
                name: "REPORT_BUCKET",
                message: format!("`{b}` is not a valid S3 bucket name"),
            });
        }
        let lookback_days = match nonempty("USAGE_LOOKBACK_DAYS") {
            Some(v) => number("USAGE_LOOKBACK_DAYS", &v, 1..=3650)? as u32,
            None => crate::usage::DEFAULT_LOOKBACK_DAYS,
        };
        let usage = match nonempty("CLOUDTRAIL_BUCKET") {
            Some(b) if !crate::probe::is_bucket_name(&b) => {
                return Err(ConfigError {
                    name: "CLOUDTRAIL_BUCKET",
                    message: format!("`{b}` is not a valid S3 bucket name"),
                });
            }
            Some(bucket) => Some(crate::usage::UsageOptions {
                bucket,
                prefix: nonempty("CLOUDTRAIL_PREFIX"),
                lookback_days,
            }),
            None => None,
        };
        let publish_mode = match nonempty("PUBLISH_MODE") {
            Some(v) => v.parse().map_err(|message| ConfigError {
                name: "PUBLISH_MODE",
                message,
            })?,
            None => PublishMode::All,
        };
        let suppressions = nonempty("SUPPRESSIONS_S3_URI")
            .map(|v| v.parse::<S3Uri>())
            .transpose()
            .map_err(|message| ConfigError {
                name: "SUPPRESSIONS_S3_URI",
                message,
            })?;
        let org_role_name = nonempty("ORG_AUDIT_ROLE_NAME");
        if let Some(r) = &org_role_name
            && !crate::org::is_role_name(r)
        {
            return Err(ConfigError {
                name: "ORG_AUDIT_ROLE_NAME",
                message: format!("`{r}` is not an IAM role name (a name, without path)"),
            });
        }
        let org_concurrency = match nonempty("ORG_CONCURRENCY") {
            Some(v) => number("ORG_CONCURRENCY", &v, 1..=32)? as usize,
            None => crate::org::DEFAULT_CONCURRENCY,
        };
        Ok(Config {
            tag_key: nonempty("CONNECTOR_TAG_KEY").unwrap_or_else(|| "connector".to_string()),
            tag_value: nonempty("CONNECTOR_TAG_VALUE"),
            trusted_accounts,
            topic_arn,
            min_severity,
            probe,
            probe_options,
            deadline_margin,
            report_bucket,
            usage,
            publish_mode,
            suppressions,
            org_role_name,
            org_concurrency,
        })
    }
}

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
    if obj.get("source").and_then(Value::as_str) == Some("aws.iam") {
        return parse_change(obj).map(Invocation::Change).map_err(err);
    }
    if obj.get("source").and_then(Value::as_str) == Some("aws.events") {
        return match obj.get("detail-type").and_then(Value::as_str) {
            Some("Scheduled Event") => Ok(Invocation::Scheduled),
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
            Some(role) if crate::org::is_role_name(&role) => change.roles.push(role),
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

/// The central suppressions for this invocation: read from S3 each time (edits apply at the
/// next run); a file that cannot be read or parsed suppresses nothing and is an error entry.
async fn central_suppressions(deps: &Deps) -> SuppressionSet {
    let Some(uri) = &deps.config.suppressions else {
        return SuppressionSet::default();
    };
    let source = uri.to_string();
    match crate::aws::read_object(
        &deps.clients.s3,
        &uri.bucket,
        &uri.key,
        crate::suppress::MAX_FILE_BYTES,
    )
    .await
    {
        Err(e) => SuppressionSet::unreadable(&source, &e.code, e.to_string()),
        Ok(bytes) => match String::from_utf8(bytes) {
            Err(e) => SuppressionSet::unreadable(
                &source,
                "InvalidSuppressionsFile",
                format!(
                    "not UTF-8 text: invalid byte at offset {}",
                    e.utf8_error().valid_up_to()
                ),
            ),
            Ok(text) => SuppressionSet::parse(&text, &source).unwrap_or_else(|e| {
                SuppressionSet::unreadable(&source, "InvalidSuppressionsFile", e.to_string())
            }),
        },
    }
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

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct Deps {
    pub clients: Clients,
    pub config: Config,
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error("{source} (the full report was written to the log)")]
    Publish {
        #[source]
        source: LiveError,
    },
    #[error("publishing was requested but FINDINGS_TOPIC_ARN is not set")]
    NoTopic,
    #[error(
        "an organization's account was asked for (`org`, `account_id`) but ORG_AUDIT_ROLE_NAME is not set"
    )]
    NoOrgRole,
    #[error("listing the organization's accounts failed: {0}")]
    ListAccounts(crate::aws::AwsError),
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        let error_type = match &e {
            HandlerError::Event(_) => "UnsupportedEvent",
            HandlerError::Publish { .. } => "PublishFailed",
            HandlerError::NoTopic => "NoTopic",
            HandlerError::NoOrgRole => "NoOrgRole",
            HandlerError::ListAccounts(_) => "ListAccountsFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_string(),
            error_message: e.to_string(),
        }
    }
}

/// The handler: audit, publish, return the report.
pub async fn handle(event: LambdaEvent<Value>, deps: &Deps) -> Result<Value, HandlerError> {
    let (payload, context) = event.into_parts();
    let invocation = parse_event(&payload)?;
    tracing::info!(
        remaining_ms = remaining_ms(context.deadline),
        "audit started"
    );
    let cfg = &deps.config;
    let (od, change) = match invocation {
        Invocation::Scheduled => (OnDemand::default(), None),
        Invocation::OnDemand(od) => (od, None),
        Invocation::Change(c) if c.roles.is_empty() && c.policies.is_empty() => {
            tracing::info!(event = %c.event_name, "the IAM call changed no role: nothing audited");
            return Ok(serde_json::json!({
                "change": c,
                "skipped": "the IAM call changed no role's trust, permissions or tags (it failed: the event has an errorCode; or it created a policy version that is not the default): nothing was audited",
            }));
        }
        Invocation::Change(c) => (OnDemand::default(), Some(c)),
    };
    // the organization: its accounts listing, every account, or one member account; a change
    // is audited in the account it happened in
    let scope = match (&change, &cfg.org_role_name) {
        (Some(c), Some(role)) => match c
            .account
            .as_deref()
            .map(|a| crate::org::Account::parse(a, None))
        {
            Some(Ok(account)) => Scope::Org(OrgRun::Member {
                role: role.clone(),
                account,
                summary_only: false,
            }),
            _ => Scope::ThisAccount,
        },
        (Some(_), None) => Scope::ThisAccount,
        (None, _) => match Scope::of(&od, cfg)? {
            Scope::ListAccounts => return list_accounts(deps).await,
            scope => scope,
        },
    };
    let options = AuditOptions {
        tag_key: od.tag_key.unwrap_or_else(|| cfg.tag_key.clone()),
        tag_value: od.tag_value.or_else(|| cfg.tag_value.clone()),
        trusted_accounts: od
            .trusted_accounts
            .unwrap_or_else(|| cfg.trusted_accounts.clone()),
        roles: match &change {
            Some(c) => c.roles.clone(),
            None => od.roles.unwrap_or_default(),
        },
        policies: change
            .as_ref()
            .map(|c| c.policies.clone())
            .unwrap_or_default(),
        lenient_names: change.is_some(),
        suppressions: central_suppressions(deps).await,
    };
    let min_severity = od.min_severity.unwrap_or(cfg.min_severity);
    let probe = od.probe.unwrap_or(cfg.probe).then(|| ProbeOptions {
        delete: od.probe_delete.unwrap_or(cfg.probe_options.delete),
        ..cfg.probe_options.clone()
    });
    let run = LiveRun {
        options,
        min_severity,
        publish_mode: cfg.publish_mode,
        change,
        run_id: if context.request_id.is_empty() {
            crate::audit::new_run_id()
        } else {
            context.request_id.clone()
        },
        generated_at: crate::audit::now_rfc3339(),
        probe,
        deadline: work_deadline(context.deadline, cfg.deadline_margin),
        usage: cfg.usage.clone(),
    };
    let sink = match (od.publish.unwrap_or(true), &cfg.topic_arn) {
        (false, _) => None,
        (true, Some(topic)) => Some(SnsSink {
            client: deps.clients.sns.clone(),
            topic_arn: topic.clone(),
        }),
        (true, None) => return Err(HandlerError::NoTopic),
    };
    let store = cfg.report_bucket.as_ref().map(|bucket| S3ReportStore {
        client: deps.clients.s3.clone(),
        bucket: bucket.clone(),
    });
    let live = Live::new(&deps.clients)
        .prober(Some(&deps.clients.prober))
        .store(store.as_ref())
        .sink(sink.as_ref())
        .usage(Some(&deps.clients));
    let result = match &scope {
        Scope::Org(org) => Box::pin(org.run(deps, &run, store.as_ref(), sink.as_ref())).await,
        _ => Box::pin(live.run(&run)).await,
    };
    match result {
        Ok(outcome) => {
            log_outcome(
                &outcome.report,
                &run,
                outcome.published,
                outcome.stored.as_deref(),
            );
            Ok(scope.response(&outcome))
        }
        Err(e) => {
            let LiveError::Publish { report, stored, .. } = &e;
            tracing::error!(
                run_id = %run.run_id,
                stored = stored.as_deref().unwrap_or("-"),
                report = %serde_json::to_string(report).unwrap_or_default(),
                error = %e,
                "publishing failed; the full report follows in this line"
            );
            Err(HandlerError::Publish { source: e })
        }
    }
}

/// Which accounts a run audits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// The function's own account.
    ThisAccount,
    /// None: the answer is the organization's accounts.
    ListAccounts,
    Org(OrgRun),
}

/// A run in the organization, through the org role.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OrgRun {
    /// Every active account.
    Organization { role: String },
    /// One member account.
    Member {
        role: String,
        account: crate::org::Account,
        summary_only: bool,
    },
}

impl Scope {
    fn of(od: &OnDemand, cfg: &Config) -> Result<Scope, HandlerError> {
        if od.list_accounts == Some(true) {
            return Ok(Scope::ListAccounts);
        }
        let role = cfg.org_role_name.clone();
        if let Some(id) = &od.account_id {
            let account = crate::org::Account::parse(id, od.account_name.clone()).map_err(|e| {
                EventError {
                    reason: format!("field `account_id`: {e}"),
                }
            })?;
            return Ok(Scope::Org(OrgRun::Member {
                role: role.ok_or(HandlerError::NoOrgRole)?,
                account,
                summary_only: od.summary_only.unwrap_or(false),
            }));
        }
        match (od.org, role) {
            (Some(true), None) => Err(HandlerError::NoOrgRole),
            (Some(false), _) | (None, None) => Ok(Scope::ThisAccount),
            (_, Some(_)) if od.roles.is_some() => Err(EventError {
                reason: "field `roles` names roles of one account, and this function audits the organization (ORG_AUDIT_ROLE_NAME): add `\"org\": false` to audit them in this account".into(),
            }
            .into()),
            (_, Some(role)) => Ok(Scope::Org(OrgRun::Organization { role })),
        }
    }

    /// The report, or (`summary_only`) the account's section with where the report went.
    fn response(&self, outcome: &crate::audit::LiveOutcome) -> Value {
        let Scope::Org(OrgRun::Member {
            summary_only: true, ..
        }) = self
        else {
            return response(&outcome.report);
        };
        let mut section =
            serde_json::to_value(outcome.report.accounts.first()).unwrap_or(Value::Null);
        if let Some(obj) = section.as_object_mut() {
            obj.insert(
                "generated_at".into(),
                outcome.report.generated_at.clone().into(),
            );
            obj.insert("stored".into(), outcome.stored.clone().into());
            obj.insert("published".into(), outcome.published.into());
        }
        section
    }
}

impl OrgRun {
    /// Every account (or the one), merged into one report, then stored and published once.
    async fn run(
        &self,
        deps: &Deps,
        run: &LiveRun,
        store: Option<&S3ReportStore>,
        sink: Option<&SnsSink>,
    ) -> Result<crate::audit::LiveOutcome, LiveError> {
        let clients = &deps.clients;
        let mut report = match self {
            OrgRun::Organization { role } => {
                let org = clients.organization(role);
                let concurrency = deps.config.org_concurrency;
                Box::pin(crate::org::assess_organization(
                    &org,
                    Some(clients),
                    run,
                    concurrency,
                ))
                .await
            }
            OrgRun::Member { role, account, .. } => {
                let org = clients.organization(role);
                Box::pin(crate::org::assess_member(
                    &org,
                    Some(clients),
                    account.clone(),
                    run,
                ))
                .await
            }
        };
        report.change = run.change.clone();
        crate::audit::deliver(report, run, store, sink).await
    }
}

/// The organization's active accounts, as the `list_accounts` answer.
async fn list_accounts(deps: &Deps) -> Result<Value, HandlerError> {
    let listing = crate::aws::org::list_accounts(&deps.clients)
        .await
        .map_err(HandlerError::ListAccounts)?;
    tracing::info!(
        accounts = listing.accounts.len(),
        inactive = listing.inactive_accounts,
        "organization's accounts listed"
    );
    Ok(serde_json::to_value(&listing).unwrap_or(Value::Null))
}

/// A deadline before this (September 2001, in milliseconds since the epoch) is no epoch time:
/// some local Runtime API emulators send the timeout itself (e.g. `600000`).
const PLAUSIBLE_DEADLINE_MS: u64 = 1_000_000_000_000;

/// Milliseconds until the invocation's deadline (milliseconds since the epoch); `None` when
/// the runtime gave none, or no plausible one.
fn remaining_ms(deadline_ms: u64) -> Option<u64> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    (deadline_ms >= PLAUSIBLE_DEADLINE_MS).then(|| deadline_ms.saturating_sub(now_ms))
}

/// The instant by which work must stop: the invocation's deadline (milliseconds since the
/// epoch, 0 when unknown) minus the margin kept for reporting and publishing.
pub fn work_deadline(deadline_ms: u64, margin: Duration) -> Option<Instant> {
    let remaining = Duration::from_millis(remaining_ms(deadline_ms)?);
    Some(Instant::now() + remaining.saturating_sub(margin))
}

fn log_outcome(report: &Report, run: &LiveRun, published: usize, stored: Option<&str>) {
    let c = &report.summary.findings;
    tracing::info!(
        run_id = %run.run_id,
        account = report.account_id.as_deref().unwrap_or("unknown"),
        roles_audited = report.summary.roles_audited,
        critical = c.critical,
        high = c.high,
        medium = c.medium,
        low = c.low,
        complete = report.complete,
        errors = report.errors.len(),
        published,
        stored = stored.unwrap_or("-"),
        "audit finished"
    );
    for e in &report.errors {
        tracing::warn!(role = e.role_name.as_deref().unwrap_or("-"), operation = %e.operation, code = %e.code, message = %e.message, "not audited in full");
    }
}

/// The report as the response, within Lambda's 6 MB: lowest-severity findings are dropped
/// first, and `truncated` says how many were left out.
pub fn response(report: &Report) -> Value {
    let full = serde_json::to_value(report).unwrap_or(Value::Null);
    if full.to_string().len() <= MAX_RESPONSE_BYTES - RESPONSE_MARGIN {
        return full;
    }
    let mut trimmed = report.clone();
    let total = trimmed.findings.len();
    // findings are sorted most severe first: cut from the end, halving the step
    let mut keep = total;
    while keep > 0 {
        keep /= 2;
        trimmed.findings.truncate(keep);
        if serde_json::to_string(&trimmed)
            .map(|s| s.len())
            .unwrap_or(usize::MAX)
            <= MAX_RESPONSE_BYTES - RESPONSE_MARGIN - 1024
        {
            break;
        }
    }
    let mut value = serde_json::to_value(&trimmed).unwrap_or(Value::Null);
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "truncated".into(),
            serde_json::json!({
                "findings_total": total,
                "findings_returned": trimmed.findings.len(),
                "note": "the response would exceed Lambda's 6 MB limit: the least severe findings were left out here; every finding at or above MIN_SEVERITY was published to SNS",
            }),
        );
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn config_defaults_and_errors() {
        let c = Config::from_env(env(&[])).unwrap();
        assert_eq!(c.tag_key, "connector");
        assert_eq!(c.min_severity, Severity::Medium);
        let c = Config::from_env(env(&[
            ("TRUSTED_ACCOUNT_IDS", "111122223333, 444455556666"),
            ("MIN_SEVERITY", "HIGH"),
        ]))
        .unwrap();
        assert_eq!(c.trusted_accounts, ["111122223333", "444455556666"]);
        assert_eq!(c.min_severity, Severity::High);
        let e = Config::from_env(env(&[("MIN_SEVERITY", "urgent")])).unwrap_err();
        assert!(
            e.to_string().contains("`MIN_SEVERITY`") && e.to_string().contains("`urgent`"),
            "{e}"
        );
        let c = Config::from_env(env(&[
            ("PROBE", "on"),
            ("PROBE_CANARY_BUCKET", "canary-bucket"),
            ("PROBE_NO_DELETE", "true"),
            ("PROBE_CONCURRENCY", "4"),
        ]))
        .unwrap();
        assert!(c.probe && !c.probe_options.delete);
        assert_eq!(c.probe_options.concurrency, 4);
        assert_eq!(
            c.probe_options.canary_bucket.as_deref(),
            Some("canary-bucket")
        );
        for (name, value, want) in [
            ("PROBE", "maybe", "`maybe`"),
            ("PROBE_CANARY_BUCKET", "Not_A_Bucket", "`Not_A_Bucket`"),
            ("PROBE_CONCURRENCY", "0", "from 1 to 64"),
            ("REPORT_BUCKET", "s3://reports", "`s3://reports`"),
            ("CLOUDTRAIL_BUCKET", "Trail_Bucket", "`Trail_Bucket`"),
            ("USAGE_LOOKBACK_DAYS", "0", "from 1 to 3650"),
            ("DEADLINE_MARGIN_SECONDS", "-1", "`-1`"),
            ("PUBLISH_MODE", "changed", "expected all or new"),
            (
                "SUPPRESSIONS_S3_URI",
                "bucket/key.json",
                "`bucket/key.json`",
            ),
            (
                "SUPPRESSIONS_S3_URI",
                "s3://bucket",
                "with a valid bucket name and a key",
            ),
        ] {
            let e = Config::from_env(env(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains(name) && e.contains(want), "{e}");
        }
        let c = Config::from_env(env(&[
            ("PUBLISH_MODE", "New"),
            (
                "SUPPRESSIONS_S3_URI",
                "s3://sec-config/connector-audit/suppressions.json",
            ),
        ]))
        .unwrap();
        assert_eq!(c.publish_mode, PublishMode::New);
        assert_eq!(
            c.suppressions.unwrap().to_string(),
            "s3://sec-config/connector-audit/suppressions.json"
        );
        let e = Config::from_env(env(&[("TRUSTED_ACCOUNT_IDS", "1234")])).unwrap_err();
        assert!(e.to_string().contains("`1234`"));
        assert!(Config::from_env(env(&[("FINDINGS_TOPIC_ARN", "my-topic")])).is_err());
    }

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
        ] {
            let e = parse_event(&bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
            assert!(e.contains("Accepted:"), "{e}");
        }
    }

    #[test]
    fn organization_settings_and_events() {
        let c = Config::from_env(env(&[])).unwrap();
        assert_eq!((c.org_role_name.as_deref(), c.org_concurrency), (None, 4));
        let org = Config::from_env(env(&[
            ("ORG_AUDIT_ROLE_NAME", "ConnectorAuditRole"),
            ("ORG_CONCURRENCY", "8"),
        ]))
        .unwrap();
        assert_eq!(org.org_role_name.as_deref(), Some("ConnectorAuditRole"));
        assert_eq!(org.org_concurrency, 8);
        for (name, value, want) in [
            ("ORG_AUDIT_ROLE_NAME", "path/role", "`path/role`"),
            ("ORG_CONCURRENCY", "33", "from 1 to 32"),
        ] {
            let e = Config::from_env(env(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains(name) && e.contains(want), "{e}");
        }

        let od = |v: Value| match parse_event(&v).unwrap() {
            Invocation::OnDemand(od) => od,
            Invocation::Scheduled | Invocation::Change(_) => OnDemand::default(),
        };
        let scope = |v: Value, cfg: &Config| Scope::of(&od(v), cfg);
        // without ORG_AUDIT_ROLE_NAME: this account, unless the organization is asked for
        assert_eq!(scope(json!({}), &c).unwrap(), Scope::ThisAccount);
        assert!(matches!(
            scope(json!({"org": true}), &c),
            Err(HandlerError::NoOrgRole)
        ));
        assert!(matches!(
            scope(json!({"account_id": "111122223333"}), &c),
            Err(HandlerError::NoOrgRole)
        ));
        assert_eq!(
            scope(json!({"list_accounts": true}), &c).unwrap(),
            Scope::ListAccounts
        );
        // with it: the organization, unless told otherwise
        let role = "ConnectorAuditRole".to_string();
        assert_eq!(
            scope(json!({}), &org).unwrap(),
            Scope::Org(OrgRun::Organization { role: role.clone() })
        );
        assert_eq!(
            scope(json!({"org": false, "roles": ["a"]}), &org).unwrap(),
            Scope::ThisAccount
        );
        let e = scope(json!({"roles": ["a"]}), &org)
            .unwrap_err()
            .to_string();
        assert!(e.contains(r#""org": false"#), "{e}");
        assert_eq!(
            scope(
                json!({"account_id": "111122223333", "account_name": "prod", "summary_only": true}),
                &org
            )
            .unwrap(),
            Scope::Org(OrgRun::Member {
                role,
                account: crate::org::Account {
                    account_id: "111122223333".into(),
                    name: Some("prod".into()),
                },
                summary_only: true,
            })
        );
        // the Map passes `null` for an account without a name
        assert!(parse_event(&json!({"account_id": "111122223333", "account_name": null})).is_ok());
        for (bad, want) in [
            (
                json!({"list_accounts": true, "publish": false}),
                "takes no other field",
            ),
            (json!({"account_id": "1111"}), "`1111`"),
            (
                json!({"account_id": "111122223333", "org": true}),
                "exclude each other",
            ),
            (
                json!({"account_id": "111122223333", "roles": ["a"]}),
                "exclude each other",
            ),
            (
                json!({"summary_only": true}),
                "`summary_only` needs `account_id`",
            ),
            (
                json!({"account_name": "x"}),
                "`account_name` needs `account_id`",
            ),
            (
                json!({"org": true, "roles": ["a"]}),
                "cannot be used with `org`",
            ),
            (json!({"list_accounts": "yes"}), "field `list_accounts`"),
        ] {
            let e = parse_event(&bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
            assert!(
                e.contains("Accepted:") && e.contains("list_accounts"),
                "{e}"
            );
        }
    }

    #[test]
    fn responses_fit_lambdas_limit() {
        use crate::model::{Finding, PolicyRef, SeverityCounts, Source, Summary, Tool};
        let finding = |i: usize| Finding {
            id: format!("{i:016x}"),
            rule: "s3-wildcard-bucket".into(),
            severity: if i < 10 {
                Severity::Critical
            } else {
                Severity::Low
            },
            role_name: format!("role-{i}"),
            role_arn: format!("arn:aws:iam::123456789012:role/role-{i}"),
            policy: PolicyRef::Trust,
            statement: None,
            message: "m".repeat(1000),
            evidence: json!({ "blob": "x".repeat(9000) }),
            remediation: "r".into(),
            suppressed: None,
            status: None,
            first_seen: None,
        };
        let findings: Vec<Finding> = (0..1000).map(finding).collect();
        let report = Report {
            schema_version: 1,
            tool: Tool::default(),
            account_id: Some("123456789012".into()),
            generated_at: "t".into(),
            source: Source::Live,
            complete: true,
            summary: Summary {
                roles_audited: 1000,
                findings: SeverityCounts::of(&findings),
                suppressed: 0,
                changes: None,
            },
            roles: vec![],
            findings,
            errors: vec![],
            probe: None,
            usage: None,
            change: None,
            accounts: vec![],
        };
        let v = response(&report);
        assert!(
            v.to_string().len() <= MAX_RESPONSE_BYTES,
            "{}",
            v.to_string().len()
        );
        assert_eq!(v["truncated"]["findings_total"], 1000);
        let kept = v["findings"].as_array().unwrap();
        assert!(!kept.is_empty() && kept.len() < 1000);
        // the most severe are kept first
        assert_eq!(kept[0]["severity"], "critical");
        assert_eq!(v["summary"]["findings"]["low"], 990);
        // a small report is returned whole
        let mut small = report.clone();
        small.findings.truncate(3);
        assert!(response(&small).get("truncated").is_none());
    }

    #[test]
    fn deadlines() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let margin = Duration::from_secs(30);
        assert_eq!(work_deadline(0, margin), None);
        // a local emulator's "600000" is a timeout, not a deadline
        assert_eq!(work_deadline(600_000, margin), None);
        let d = work_deadline(now_ms + 100_000, margin).unwrap();
        let left = d.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_secs(60) && left <= Duration::from_secs(70),
            "{left:?}"
        );
        // less time than the margin: stop now
        let d = work_deadline(now_ms + 10_000, margin).unwrap();
        assert!(d <= Instant::now());
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
