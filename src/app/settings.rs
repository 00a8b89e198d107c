//! The settings of a run, each option defined once: [`Settings`] with its defaults, read in
//! layers. The Lambda function reads its environment ([`Settings::from_env`]) and lets a
//! console event override a few options ([`Settings::with`]); the CLI starts from the
//! defaults and sets what its flags say. Values are checked where they come in, so a
//! `Settings` holds only valid ones (account ids and role names are types).

use connector_audit_core::audit::AuditOptions;
use connector_audit_core::model::{AccountId, IamChange, RoleName, Severity};
use connector_audit_core::notify::PublishMode;
use connector_audit_core::probe::{ProbeOptions, is_bucket_name};
use connector_audit_core::suppress::SuppressionSet;
use connector_audit_core::usage::{DEFAULT_LOOKBACK_DAYS, UsageOptions};
use std::time::Duration;

/// Everything that shapes a run, whatever started it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Roles carrying this tag key are connector roles (`CONNECTOR_TAG_KEY`, `--tag-key`).
    pub tag_key: String,
    /// When set, the tag must also have this value (`CONNECTOR_TAG_VALUE`, `--tag-value`).
    pub tag_value: Option<String>,
    /// Accounts that are the user's own: their principals need no external id
    /// (`TRUSTED_ACCOUNT_IDS`, `--trusted-account`).
    pub trusted_accounts: Vec<AccountId>,
    /// Only these roles (names or ARNs), when not empty (event `roles`, `--roles`).
    pub roles: Vec<String>,
    /// Publish to the topic (event `publish`, default true; the CLI publishes with `--publish`).
    pub publish: bool,
    /// The SNS topic (`FINDINGS_TOPIC_ARN`, `--publish TOPIC_ARN`).
    pub topic_arn: Option<String>,
    /// Findings below this are not published (`MIN_SEVERITY`, `--publish-min-severity`).
    pub min_severity: Severity,
    /// Publish every finding, or only new ones (`PUBLISH_MODE`, `--publish-mode`).
    pub publish_mode: PublishMode,
    /// Probe effective access with the roles' credentials (`PROBE`, `--probe`).
    pub probe: bool,
    pub probe_options: ProbeOptions,
    /// Time kept free at the end of an invocation for reporting and publishing
    /// (`DEADLINE_MARGIN_SECONDS`).
    pub deadline_margin: Duration,
    /// The run's own time budget, from its start (`--probe-budget`).
    pub time_budget: Option<Duration>,
    /// Where each run's report is written before publishing (`REPORT_BUCKET`), the JSON
    /// report and its HTML page beside it.
    pub report_bucket: Option<String>,
    /// Import every run's findings into Security Hub (`SECURITY_HUB`, `--security-hub`).
    pub security_hub: bool,
    /// Where the rules' documentation is published (`RULES_DOCS_URL`, an `https://` address):
    /// each Security Hub finding's `SourceUrl` is it with `#<rule-id>`.
    pub rules_docs_url: Option<String>,
    /// The CloudTrail trail to read usage evidence from (`CLOUDTRAIL_BUCKET`, ...).
    pub usage: Option<UsageOptions>,
    /// The usage window without a trail, for `role-unused` (`--lookback-days`).
    pub lookback_days: Option<u32>,
    /// The central suppressions file (`SUPPRESSIONS_S3_URI`), read on every invocation.
    pub suppressions: Option<S3Uri>,
    /// The role assumed in each member account (`ORG_AUDIT_ROLE_NAME`, `--org-role`): with
    /// it, the Lambda's runs audit every account of the organization.
    pub org_role_name: Option<RoleName>,
    /// Accounts audited at once in an organization-wide run (`ORG_CONCURRENCY`).
    pub org_concurrency: usize,
    /// How the AWS clients retry (`AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`, `--max-attempts`,
    /// `--retry-mode`).
    pub retry: RetrySettings,
    /// The most bytes read back from S3 for the previous report or the suppressions file:
    /// an eighth of the function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, 32 MiB at the
    /// template's 256 MB; parsing takes several times the text), at most 256 MiB (the CLI's).
    pub read_limit: usize,
    /// How long an AWS call may take (`AWS_CONNECT_TIMEOUT_SECONDS`,
    /// `AWS_ATTEMPT_TIMEOUT_SECONDS`, `AWS_OPERATION_TIMEOUT_SECONDS`).
    pub timeouts: TimeoutSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tag_key: "connector".to_string(),
            tag_value: None,
            trusted_accounts: Vec::new(),
            roles: Vec::new(),
            publish: true,
            topic_arn: None,
            min_severity: Severity::Medium,
            publish_mode: PublishMode::All,
            probe: false,
            probe_options: ProbeOptions::default(),
            deadline_margin: Duration::from_secs(30),
            time_budget: None,
            report_bucket: None,
            security_hub: false,
            rules_docs_url: None,
            usage: None,
            lookback_days: None,
            suppressions: None,
            org_role_name: None,
            org_concurrency: connector_audit_core::org::DEFAULT_CONCURRENCY,
            retry: RetrySettings::default(),
            read_limit: MAX_READ_BYTES,
            timeouts: TimeoutSettings::default(),
        }
    }
}

/// What a console event may override (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub roles: Option<Vec<String>>,
    pub tag_key: Option<String>,
    pub tag_value: Option<String>,
    pub trusted_accounts: Option<Vec<AccountId>>,
    pub publish: Option<bool>,
    pub min_severity: Option<Severity>,
    pub probe: Option<bool>,
    pub probe_delete: Option<bool>,
}

/// How the SDK retries throttling and 5xx answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    pub max_attempts: u32,
    /// Adaptive mode also rate-limits the client when AWS throttles.
    pub adaptive: bool,
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            max_attempts: 5,
            adaptive: true,
        }
    }
}

impl RetrySettings {
    /// `AWS_MAX_ATTEMPTS` (a positive number) and `AWS_RETRY_MODE` (`adaptive` or `standard`),
    /// the variables the AWS SDKs and CLI use; defaults otherwise.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<RetrySettings, ConfigError> {
        let mut r = RetrySettings::default();
        if let Some(v) = get("AWS_MAX_ATTEMPTS").filter(|v| !v.trim().is_empty()) {
            r.max_attempts = v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ConfigError {
                    name: "AWS_MAX_ATTEMPTS",
                    message: format!("`{v}` is not a positive number"),
                })?;
        }
        if let Some(v) = get("AWS_RETRY_MODE").filter(|v| !v.trim().is_empty()) {
            r.adaptive = match v.trim().to_ascii_lowercase().as_str() {
                "adaptive" => true,
                "standard" | "legacy" => false,
                _ => {
                    return Err(ConfigError {
                        name: "AWS_RETRY_MODE",
                        message: format!("`{v}`: expected adaptive or standard"),
                    });
                }
            };
        }
        Ok(r)
    }
}

/// The most bytes a run reads back from S3 for one object, whatever the memory.
pub const MAX_READ_BYTES: usize = 256 * 1024 * 1024;

/// The read limit for a function of `memory_mb` MB: an eighth of it (a report's text takes
/// several times its size once parsed), at least 1 MiB, at most [`MAX_READ_BYTES`].
pub fn read_limit_for(memory_mb: u64) -> usize {
    let bytes = memory_mb.saturating_mul(1024 * 1024) / 8;
    usize::try_from(bytes)
        .unwrap_or(MAX_READ_BYTES)
        .clamp(1024 * 1024, MAX_READ_BYTES)
}

/// How long one AWS call may take, whatever the service: an endpoint that accepts the
/// connection and never answers costs at most `operation`, and the call becomes an error
/// entry naming the operation (code `Timeout`). Every client the run uses has them (the
/// auditor's, the probe's, the member accounts').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutSettings {
    /// Opening the connection (`AWS_CONNECT_TIMEOUT_SECONDS`, default 3 s).
    pub connect: Duration,
    /// One attempt, from sending the request to the first byte of the answer
    /// (`AWS_ATTEMPT_TIMEOUT_SECONDS`, default 10 s).
    pub attempt: Duration,
    /// The call with all its retries (`AWS_OPERATION_TIMEOUT_SECONDS`, default 20 s: shorter
    /// than the default deadline margin, so that a hung call after the work deadline still
    /// leaves time to report).
    pub operation: Duration,
}

impl Default for TimeoutSettings {
    fn default() -> Self {
        TimeoutSettings {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(20),
        }
    }
}

impl TimeoutSettings {
    /// `AWS_CONNECT_TIMEOUT_SECONDS` (1-60), `AWS_ATTEMPT_TIMEOUT_SECONDS` (1-900),
    /// `AWS_OPERATION_TIMEOUT_SECONDS` (1-900, at least the attempt's); defaults otherwise.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<TimeoutSettings, ConfigError> {
        let mut t = TimeoutSettings::default();
        let read = |name: &'static str, range| -> Result<Option<Duration>, ConfigError> {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| number(name, &v, range).map(Duration::from_secs))
                .transpose()
        };
        if let Some(d) = read("AWS_CONNECT_TIMEOUT_SECONDS", 1..=60)? {
            t.connect = d;
        }
        if let Some(d) = read("AWS_ATTEMPT_TIMEOUT_SECONDS", 1..=900)? {
            t.attempt = d;
        }
        if let Some(d) = read("AWS_OPERATION_TIMEOUT_SECONDS", 1..=900)? {
            t.operation = d;
        }
        if t.operation < t.attempt {
            return Err(ConfigError {
                name: "AWS_OPERATION_TIMEOUT_SECONDS",
                message: format!(
                    "`{}` is shorter than one attempt ({} s, AWS_ATTEMPT_TIMEOUT_SECONDS)",
                    t.operation.as_secs(),
                    t.attempt.as_secs()
                ),
            });
        }
        Ok(t)
    }
}

/// A bad environment variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable `{name}`: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
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
            Some((bucket, key)) if is_bucket_name(bucket) && !key.is_empty() => Ok(S3Uri {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
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

/// A bucket name, or the variable named.
fn bucket(name: &'static str, value: String) -> Result<String, ConfigError> {
    if is_bucket_name(&value) {
        Ok(value)
    } else {
        Err(ConfigError {
            name,
            message: format!("`{value}` is not a valid S3 bucket name"),
        })
    }
}

impl Settings {
    /// Reads `CONNECTOR_TAG_KEY`, `CONNECTOR_TAG_VALUE`, `TRUSTED_ACCOUNT_IDS` (comma or space
    /// separated), `FINDINGS_TOPIC_ARN`, `MIN_SEVERITY` (default `medium`), `PROBE` (on/off,
    /// default off), `PROBE_CANARY_BUCKET`, `PROBE_NO_DELETE` (on/off), `PROBE_CONCURRENCY`
    /// (default 8), `DEADLINE_MARGIN_SECONDS` (default 30), `REPORT_BUCKET`, `SECURITY_HUB`
    /// (on/off, default off), `RULES_DOCS_URL` (`https://...`),
    /// `CLOUDTRAIL_BUCKET`, `CLOUDTRAIL_PREFIX`, `USAGE_LOOKBACK_DAYS` (default 90),
    /// `PUBLISH_MODE` (`all` or `new`, default `all`), `SUPPRESSIONS_S3_URI` (`s3://bucket/key`),
    /// `ORG_AUDIT_ROLE_NAME`, `ORG_CONCURRENCY` (default 4), `AWS_MAX_ATTEMPTS`,
    /// `AWS_RETRY_MODE`, `AWS_CONNECT_TIMEOUT_SECONDS` (default 3),
    /// `AWS_ATTEMPT_TIMEOUT_SECONDS` (default 10), `AWS_OPERATION_TIMEOUT_SECONDS` (default
    /// 20). `get` is the environment (tests pass a map).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let nonempty = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut s = Settings::default();
        if let Some(v) = nonempty("CONNECTOR_TAG_KEY") {
            s.tag_key = v;
        }
        s.tag_value = nonempty("CONNECTOR_TAG_VALUE");
        if let Some(v) = nonempty("TRUSTED_ACCOUNT_IDS") {
            s.trusted_accounts = v
                .split([',', ' '])
                .filter(|a| !a.is_empty())
                .map(|a| {
                    AccountId::parse(a).map_err(|e| ConfigError {
                        name: "TRUSTED_ACCOUNT_IDS",
                        message: e.to_string(),
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = nonempty("MIN_SEVERITY") {
            s.min_severity =
                v.parse()
                    .map_err(
                        |e: connector_audit_core::model::UnknownSeverity| ConfigError {
                            name: "MIN_SEVERITY",
                            message: e.to_string(),
                        },
                    )?;
        }
        s.topic_arn = nonempty("FINDINGS_TOPIC_ARN");
        if let Some(t) = &s.topic_arn
            && !t.starts_with("arn:")
        {
            return Err(ConfigError {
                name: "FINDINGS_TOPIC_ARN",
                message: format!("`{t}` is not an SNS topic ARN"),
            });
        }
        if let Some(v) = nonempty("PROBE") {
            s.probe = switch("PROBE", &v)?;
        }
        if let Some(v) = nonempty("PROBE_NO_DELETE") {
            s.probe_options.delete = !switch("PROBE_NO_DELETE", &v)?;
        }
        if let Some(v) = nonempty("PROBE_CONCURRENCY") {
            s.probe_options.concurrency = number("PROBE_CONCURRENCY", &v, 1..=64)? as usize;
        }
        s.probe_options.canary_bucket = nonempty("PROBE_CANARY_BUCKET");
        s.probe_options.validate().map_err(|e| ConfigError {
            name: "PROBE_CANARY_BUCKET",
            message: e.to_string(),
        })?;
        if let Some(v) = nonempty("DEADLINE_MARGIN_SECONDS") {
            s.deadline_margin =
                Duration::from_secs(number("DEADLINE_MARGIN_SECONDS", &v, 0..=600)?);
        }
        s.report_bucket = nonempty("REPORT_BUCKET")
            .map(|b| bucket("REPORT_BUCKET", b))
            .transpose()?;
        if let Some(v) = nonempty("SECURITY_HUB") {
            s.security_hub = switch("SECURITY_HUB", &v)?;
        }
        if let Some(v) = nonempty("RULES_DOCS_URL") {
            if !v.starts_with("https://") || v.chars().any(|c| c.is_whitespace() || c == '#') {
                return Err(ConfigError {
                    name: "RULES_DOCS_URL",
                    message: format!(
                        "`{v}`: expected an https:// address without spaces or a #fragment"
                    ),
                });
            }
            s.rules_docs_url = Some(v);
        }
        let lookback_days = match nonempty("USAGE_LOOKBACK_DAYS") {
            Some(v) => number("USAGE_LOOKBACK_DAYS", &v, 1..=3650)? as u32,
            None => DEFAULT_LOOKBACK_DAYS,
        };
        s.usage = nonempty("CLOUDTRAIL_BUCKET")
            .map(|b| bucket("CLOUDTRAIL_BUCKET", b))
            .transpose()?
            .map(|bucket| UsageOptions {
                bucket,
                prefix: nonempty("CLOUDTRAIL_PREFIX"),
                lookback_days,
            });
        if let Some(v) = nonempty("PUBLISH_MODE") {
            s.publish_mode = v.parse().map_err(|message| ConfigError {
                name: "PUBLISH_MODE",
                message,
            })?;
        }
        s.suppressions = nonempty("SUPPRESSIONS_S3_URI")
            .map(|v| v.parse::<S3Uri>())
            .transpose()
            .map_err(|message| ConfigError {
                name: "SUPPRESSIONS_S3_URI",
                message,
            })?;
        s.org_role_name = nonempty("ORG_AUDIT_ROLE_NAME")
            .map(|r| RoleName::parse(&r))
            .transpose()
            .map_err(|e| ConfigError {
                name: "ORG_AUDIT_ROLE_NAME",
                message: e.to_string(),
            })?;
        if let Some(v) = nonempty("ORG_CONCURRENCY") {
            s.org_concurrency = number("ORG_CONCURRENCY", &v, 1..=32)? as usize;
        }
        s.retry = RetrySettings::from_env(&get)?;
        s.timeouts = TimeoutSettings::from_env(&get)?;
        if let Some(v) = nonempty("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") {
            s.read_limit =
                read_limit_for(number("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", &v, 128..=10_240)?);
        }
        Ok(s)
    }

    /// These settings with an event's overrides applied.
    pub fn with(&self, o: &Overrides) -> Settings {
        let mut s = self.clone();
        if let Some(v) = &o.roles {
            s.roles = v.clone();
        }
        if let Some(v) = &o.tag_key {
            s.tag_key = v.clone();
        }
        if let Some(v) = &o.tag_value {
            s.tag_value = Some(v.clone());
        }
        if let Some(v) = &o.trusted_accounts {
            s.trusted_accounts = v.clone();
        }
        if let Some(v) = o.publish {
            s.publish = v;
        }
        if let Some(v) = o.min_severity {
            s.min_severity = v;
        }
        if let Some(v) = o.probe {
            s.probe = v;
        }
        if let Some(v) = o.probe_delete {
            s.probe_options.delete = v;
        }
        s
    }

    /// The pure audit's options for a run of these settings (an IAM change names its own
    /// roles and policies, and may concern roles that are not connectors).
    pub fn audit_options(
        &self,
        change: Option<&IamChange>,
        suppressions: SuppressionSet,
    ) -> AuditOptions {
        AuditOptions {
            tag_key: self.tag_key.clone(),
            tag_value: self.tag_value.clone(),
            trusted_accounts: self
                .trusted_accounts
                .iter()
                .map(ToString::to_string)
                .collect(),
            roles: match change {
                Some(c) => c.roles.clone(),
                None => self.roles.clone(),
            },
            policies: change.map(|c| c.policies.clone()).unwrap_or_default(),
            lenient_names: change.is_some(),
            suppressions,
        }
    }

    /// The probe's options, when the run probes.
    pub fn probing(&self) -> Option<&ProbeOptions> {
        self.probe.then_some(&self.probe_options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fakes::env;

    #[test]
    fn config_defaults_and_errors() {
        let c = Settings::from_env(env(&[])).unwrap();
        assert_eq!(c, Settings::default());
        assert_eq!(c.tag_key, "connector");
        assert_eq!(c.min_severity, Severity::Medium);
        let c = Settings::from_env(env(&[
            ("TRUSTED_ACCOUNT_IDS", "111122223333, 444455556666"),
            ("MIN_SEVERITY", "HIGH"),
        ]))
        .unwrap();
        assert_eq!(c.trusted_accounts, ["111122223333", "444455556666"]);
        assert_eq!(c.min_severity, Severity::High);
        let e = Settings::from_env(env(&[("MIN_SEVERITY", "urgent")])).unwrap_err();
        assert!(
            e.to_string().contains("`MIN_SEVERITY`") && e.to_string().contains("`urgent`"),
            "{e}"
        );
        let c =
            Settings::from_env(env(&[("RULES_DOCS_URL", "https://docs.example/rules")])).unwrap();
        assert_eq!(
            c.rules_docs_url.as_deref(),
            Some("https://docs.example/rules")
        );
        let c = Settings::from_env(env(&[
            ("PROBE", "on"),
            ("PROBE_CANARY_BUCKET", "canary-bucket"),
            ("PROBE_NO_DELETE", "true"),
            ("PROBE_CONCURRENCY", "4"),
        ]))
        .unwrap();
        assert!(c.probe && !c.probe_options.delete);
        assert!(!c.security_hub);
        assert!(
            Settings::from_env(env(&[("SECURITY_HUB", "true")]))
                .unwrap()
                .security_hub
        );
        assert_eq!(c.probe_options.concurrency, 4);
        assert_eq!(
            c.probe_options.canary_bucket.as_deref(),
            Some("canary-bucket")
        );
        for (name, value, want) in [
            ("PROBE", "maybe", "`maybe`"),
            ("SECURITY_HUB", "sometimes", "`sometimes`"),
            ("RULES_DOCS_URL", "http://docs.example/rules", "https://"),
            (
                "RULES_DOCS_URL",
                "https://docs.example/rules#x",
                "#fragment",
            ),
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
            ("ORG_AUDIT_ROLE_NAME", "path/role", "`path/role`"),
            ("ORG_CONCURRENCY", "33", "from 1 to 32"),
            ("AWS_MAX_ATTEMPTS", "0", "`0`"),
            ("AWS_RETRY_MODE", "eager", "`eager`"),
            ("AWS_CONNECT_TIMEOUT_SECONDS", "0", "from 1 to 60"),
            ("AWS_ATTEMPT_TIMEOUT_SECONDS", "ten", "`ten`"),
            (
                "AWS_OPERATION_TIMEOUT_SECONDS",
                "5",
                "shorter than one attempt",
            ),
        ] {
            let e = Settings::from_env(env(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains(name) && e.contains(want), "{e}");
        }
        let c = Settings::from_env(env(&[
            ("PUBLISH_MODE", "New"),
            (
                "SUPPRESSIONS_S3_URI",
                "s3://sec-config/connector-audit/suppressions.json",
            ),
            ("ORG_AUDIT_ROLE_NAME", "ConnectorAuditRole"),
            ("ORG_CONCURRENCY", "8"),
            ("AWS_MAX_ATTEMPTS", "9"),
            ("AWS_RETRY_MODE", "standard"),
            ("AWS_CONNECT_TIMEOUT_SECONDS", "2"),
            ("AWS_ATTEMPT_TIMEOUT_SECONDS", "4"),
            ("AWS_OPERATION_TIMEOUT_SECONDS", "9"),
        ]))
        .unwrap();
        assert_eq!(c.read_limit, MAX_READ_BYTES);
        let small = Settings::from_env(env(&[("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")])).unwrap();
        assert_eq!(small.read_limit, 32 * 1024 * 1024);
        assert_eq!(read_limit_for(10_240), MAX_READ_BYTES);
        assert_eq!(
            c.timeouts,
            TimeoutSettings {
                connect: Duration::from_secs(2),
                attempt: Duration::from_secs(4),
                operation: Duration::from_secs(9),
            }
        );
        assert_eq!(c.publish_mode, PublishMode::New);
        assert_eq!(
            c.suppressions.unwrap().to_string(),
            "s3://sec-config/connector-audit/suppressions.json"
        );
        assert_eq!(c.org_role_name.as_deref(), Some("ConnectorAuditRole"));
        assert_eq!(c.org_concurrency, 8);
        assert_eq!(
            c.retry,
            RetrySettings {
                max_attempts: 9,
                adaptive: false
            }
        );
        let e = Settings::from_env(env(&[("TRUSTED_ACCOUNT_IDS", "1234")])).unwrap_err();
        assert!(e.to_string().contains("`1234`"));
        assert!(Settings::from_env(env(&[("FINDINGS_TOPIC_ARN", "my-topic")])).is_err());
    }

    #[test]
    fn events_override_the_environment_and_changes_name_their_roles() {
        let base = Settings::from_env(env(&[("MIN_SEVERITY", "high"), ("PROBE", "on")])).unwrap();
        let s = base.with(&Overrides {
            roles: Some(vec!["a".into()]),
            publish: Some(false),
            probe_delete: Some(false),
            ..Overrides::default()
        });
        assert_eq!(s.roles, ["a"]);
        assert!(!s.publish && s.probe && !s.probe_options.delete);
        assert_eq!(s.min_severity, Severity::High);
        let change = IamChange {
            event_name: "PutRolePolicy".into(),
            roles: vec!["b".into()],
            ..IamChange::default()
        };
        let o = s.audit_options(Some(&change), SuppressionSet::default());
        assert_eq!(o.roles, ["b"]);
        assert!(o.lenient_names);
        let o = s.audit_options(None, SuppressionSet::default());
        assert_eq!(
            (o.roles.as_slice(), o.lenient_names),
            (&["a".to_string()][..], false)
        );
    }
}
