//! Plain data shared by every layer: what a role looks like when it reaches the rules
//! ([`RoleSnapshot`]), what the rules say ([`Finding`]), and what a run returns ([`Report`]).
//! PURE and a LEAF: no I/O, no AWS SDK, and nothing else of this crate. The JSON field
//! names here are a contract (schema_version 1): add fields, never rename one.

pub mod errors;
pub mod evidence;
pub mod ids;
pub mod json;
pub mod party;
pub mod tags;

pub use errors::{ErrorCode, ErrorEntry, Operation};
pub use evidence::{Coverage, RoleDeletes, UsageEvidence};
pub use ids::{AccountId, RoleName};
pub use json::JsonText;
pub use party::{PartyConditions, PartyKind, PartyOwner, TrustedParty};
pub use tags::Tags;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Finding severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}`: expected one of critical, high, medium, low, info")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownSeverity(s.to_string()))
    }
}

/// What the `connector-access` tag says the connector needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    Read,
    Write,
    Append,
    ReadWrite,
    Full,
}

impl Access {
    pub const TAG: &'static str = "connector-access";

    pub fn parse(value: &str) -> Option<Access> {
        match value.trim().to_ascii_lowercase().as_str() {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            "append" => Some(Access::Append),
            "read-write" => Some(Access::ReadWrite),
            "full" => Some(Access::Full),
            _ => None,
        }
    }

    /// Only `full` includes deleting objects.
    pub fn allows_delete(self) -> bool {
        self == Access::Full
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Append => "append",
            Access::ReadWrite => "read-write",
            Access::Full => "full",
        }
    }
}

/// Which document of a role a finding is about. Serialised `trust`, `inline:NAME`, `managed:ARN`,
/// `live`, `suppression:BY`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyRef {
    Trust,
    Inline(String),
    Managed(String),
    /// Observed with the role's own credentials (the probe), explained by no document.
    Live,
    /// A suppression (its `by`: `tag:connector-audit-ignore` or `file:<source>#<entry>`).
    Suppression(String),
    /// The role's permissions boundary (its ARN).
    Boundary(String),
}

impl fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyRef::Trust => f.write_str("trust"),
            PolicyRef::Live => f.write_str("live"),
            PolicyRef::Inline(name) => write!(f, "inline:{name}"),
            PolicyRef::Managed(arn) => write!(f, "managed:{arn}"),
            PolicyRef::Suppression(by) => write!(f, "suppression:{by}"),
            PolicyRef::Boundary(arn) => write!(f, "boundary:{arn}"),
        }
    }
}

impl Serialize for PolicyRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PolicyRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "trust" {
            Ok(PolicyRef::Trust)
        } else if text == "live" {
            Ok(PolicyRef::Live)
        } else if let Some(n) = text.strip_prefix("inline:") {
            Ok(PolicyRef::Inline(n.to_string()))
        } else if let Some(a) = text.strip_prefix("managed:") {
            Ok(PolicyRef::Managed(a.to_string()))
        } else if let Some(by) = text.strip_prefix("suppression:") {
            Ok(PolicyRef::Suppression(by.to_string()))
        } else if let Some(arn) = text.strip_prefix("boundary:") {
            Ok(PolicyRef::Boundary(arn.to_string()))
        } else {
            Err(serde::de::Error::custom(format!(
                "policy reference `{text}`: expected trust, live, inline:NAME, managed:ARN, boundary:ARN or suppression:BY"
            )))
        }
    }
}

/// A policy document as it came from IAM or a dump: JSON text, URL-encoded or not. The text
/// is shared: a managed policy attached to many roles is held once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedDocument {
    /// Inline policy name, or managed policy ARN.
    pub name: String,
    pub document: std::sync::Arc<str>,
}

/// The organization's policies over one member account (organization mode): its service
/// control policies and resource control policies, level by level from the organization's
/// root down to the account (AWS Organizations User Guide, "SCP evaluation", "RCP
/// evaluation"). The management account has none: neither kind affects it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// Service control policies: limit what the account's roles may do.
    #[serde(default)]
    pub scps: Vec<GuardrailLevel>,
    /// Resource control policies: limit what anyone may do to the account's resources.
    #[serde(default)]
    pub rcps: Vec<GuardrailLevel>,
}

/// The policies of one kind attached to one level of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardrailLevel {
    /// The root (`r-...`), organizational unit (`ou-...`) or account id they are attached to.
    pub target: String,
    /// Each policy: its name is `NAME (p-...)`, its document the policy's content.
    pub policies: Vec<NamedDocument>,
}

impl Guardrails {
    /// True when no policy of either kind is known.
    pub fn is_empty(&self) -> bool {
        self.scps
            .iter()
            .chain(&self.rcps)
            .all(|l| l.policies.is_empty())
    }
}

/// Everything the rules need to know about one role, however it was fetched.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleSnapshot {
    pub name: String,
    pub arn: String,
    pub tags: Tags,
    /// The trust (assume-role) policy document.
    pub trust: String,
    pub inline: Vec<NamedDocument>,
    /// Attached managed policies whose default version could be read (`name` is the ARN).
    pub managed: Vec<NamedDocument>,
    /// The permissions boundary (a managed policy, `name` is its ARN), when the role has one
    /// and its default version could be read: the role's identity permissions are those its
    /// policies grant AND the boundary allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<NamedDocument>,
    /// `RoleLastUsed.LastUsedDate`, when IAM knows it.
    pub last_used: Option<String>,
}

impl RoleSnapshot {
    /// The account id in the role's ARN (empty when the ARN has none).
    pub fn account_id(&self) -> &str {
        ids::arn_account(&self.arn).unwrap_or_default()
    }
}

/// Which statement of a document a finding points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementRef {
    /// Zero-based position in the document's `Statement` list.
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// A corrected document (report field `findings[].fix`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// The document it replaces: `trust`, `inline:NAME`, `managed:ARN`, `boundary:ARN`.
    pub policy: PolicyRef,
    /// The whole corrected document. Every finding of the role on the same document carries
    /// the same one: the fixes of all of them, combined (one text, shared by their clones).
    pub document: JsonText,
    /// The values only the team can supply, written in `document` as `token`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placeholders: Vec<Placeholder>,
}

/// A value only the team can supply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Placeholder {
    /// As written in the document: `<VENDOR_EXTERNAL_ID>`.
    pub token: String,
    /// What it is.
    pub what: String,
    /// Where to find it.
    #[serde(rename = "where")]
    pub find: String,
}

/// One problem with one role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable fingerprint of rule, role, policy and statement: the same problem keeps its id
    /// across runs, so it can be tracked and suppressed.
    pub id: String,
    pub rule: String,
    pub severity: Severity,
    pub role_name: String,
    pub role_arn: String,
    pub policy: PolicyRef,
    pub statement: Option<StatementRef>,
    pub message: String,
    /// What matched: principals, conditions, actions, resources (rule-specific keys).
    pub evidence: JsonText,
    /// The concrete change that resolves it.
    pub remediation: String,
    /// The suppression that applies: the finding stays in the report, is not published and
    /// does not count towards the summary's severities or the exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
    /// New or already known, against the previous report (only when one is compared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<FindingStatus>,
    /// When the finding was first reported (RFC 3339), carried over from earlier reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// The corrected document that clears it (rules about a document), never applied by the
    /// tool: see `connector-audit check --fixes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Finding {
    /// Not suppressed: counted, published, judged by `--fail-on`.
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }
}

/// Why a finding is suppressed (report field `findings[].suppressed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppressed {
    /// Where the suppression is written: `tag:connector-audit-ignore`, or
    /// `file:<path or s3 uri>#<entry number>`.
    pub by: String,
    /// The reason or ticket given with it (`reason=`, else the other notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The last day it applies (`YYYY-MM-DD`, UTC, inclusive); none: until it is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// A finding's standing against the previous report of the same account and scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingStatus {
    /// Not in the previous report.
    New,
    /// Already in the previous report (same stable id).
    Known,
}

/// A connector role that was audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleEntry {
    pub role_name: String,
    pub role_arn: String,
    /// The value of the connector tag (usually the vendor's name).
    pub connector: Option<String>,
    /// The `connector-access` tag, when valid.
    pub access: Option<Access>,
    /// Who can reach the role through its trust policy, named (empty when the trust policy
    /// could not be read). Reports written before the field existed read as empty.
    #[serde(default)]
    pub trusted_parties: Vec<TrustedParty>,
    /// What the probe saw with the role's own credentials (only when probing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<RoleProbe>,
    /// Controls outside the role's own policies that take access away from them (a permissions
    /// boundary; in organization mode, service and resource control policies): what the role's
    /// safety depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limited_by: Vec<Limit>,
}

/// A control that takes away access the role's policies grant (report field
/// `roles[].limited_by[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// `permissions-boundary`, `service-control-policy` or `resource-control-policy`.
    pub control: String,
    /// The control's policy: the boundary's ARN; an SCP's or RCP's `NAME (p-...)`, or, for
    /// an organization level none of whose SCPs allows the access, `no SCP attached to
    /// TARGET allows it`.
    pub policy: String,
    /// What it takes away, sorted, at most [`Limit::SHOWN`] of them: for a boundary or an
    /// SCP, S3 access as `ACTION on BUCKET` (`*` for buckets nobody named); for an RCP, the
    /// ways into the role it closes, as the finding they would be (`RULE on trust statement
    /// N`).
    pub removes: Vec<String>,
    /// How many it takes away in all.
    pub total: usize,
}

impl Limit {
    pub const SHOWN: usize = 20;
}

/// The tag naming the buckets a connector role is meant to reach (space-separated).
pub const BUCKETS_TAG: &str = "connector-buckets";

/// The tag naming the vendor behind a connector role (`connector-vendor=Datadog`): it declares
/// a trusted account the list of known AWS accounts does not know, and a listed account of
/// another vendor contradicts it.
pub const VENDOR_TAG: &str = "connector-vendor";

/// The tag naming the AWS services beyond S3 and KMS a connector legitimately uses
/// (`connector-services=glue,athena`: IAM service prefixes, comma-separated): the
/// `permissions-beyond-connector` rule leaves them alone.
pub const SERVICES_TAG: &str = "connector-services";

/// One probe request: what it tried, what the engine predicted, what AWS answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProbeAction {
    /// ListObjectsV2 with prefix `connector-audit-probe/`, max-keys 1.
    #[serde(rename = "s3:ListBucket")]
    ListBucket,
    /// GetObject of a random key under the probe prefix.
    #[serde(rename = "s3:GetObject")]
    GetObject,
    /// DeleteObject of a random key under the probe prefix.
    #[serde(rename = "s3:DeleteObject")]
    DeleteObject,
}

impl ProbeAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeAction::ListBucket => "s3:ListBucket",
            ProbeAction::GetObject => "s3:GetObject",
            ProbeAction::DeleteObject => "s3:DeleteObject",
        }
    }
}

/// Why a bucket was probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BucketScope {
    /// Named by the `connector-buckets` tag (or, without the tag, by the role's policies).
    InScope,
    /// Named by the role's policies but not by its `connector-buckets` tag.
    OutOfScope,
    /// The security team's canary bucket, which no connector should reach.
    Canary,
}

/// What the engine expects of a probe request, from the role's documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Predicted {
    Allowed,
    Denied,
    /// It depends on request context the engine cannot know (source IP, VPC endpoint, ...).
    Conditional,
}

/// What AWS answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allowed,
    Denied,
    /// Neither: the bucket does not exist, the call timed out, ... (see `error_code`).
    Error,
}

/// One probe request and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCheck {
    pub bucket: String,
    pub scope: BucketScope,
    pub action: ProbeAction,
    pub predicted: Predicted,
    pub outcome: Outcome,
    /// The AWS error code of a denied or failed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Why an outcome says less than it seems to (e.g. S3 hides missing keys from non-listers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The probe of one role.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleProbe {
    /// Did the auditor get the role's credentials?
    pub assumed: bool,
    /// Why not (an AWS error code, `NotTrusted` when the trust policy does not let the
    /// auditor in, `DeadlineExceeded` when the run's time ran out first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Whether an `sts:ExternalId` (from the auditor's own trust statement) was passed.
    pub external_id_used: bool,
    pub checks: Vec<ProbeCheck>,
    /// Buckets named for the role but not probed (beyond the per-role bucket limit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets_skipped: Vec<String>,
}

/// The probe's run-wide facts (report field `probe`, present only when probing).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProbeSummary {
    /// The principal that assumed the roles.
    pub auditor_arn: Option<String>,
    pub canary_bucket: Option<String>,
    pub delete_checks: bool,
    pub roles_probed: usize,
    pub roles_unavailable: usize,
    /// Roles the run's time budget left unprobed.
    pub roles_not_probed: Vec<String>,
}

/// Counts of findings by severity; every severity is always present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl SeverityCounts {
    /// Counts the active (not suppressed) findings.
    pub fn of(findings: &[Finding]) -> SeverityCounts {
        let mut c = SeverityCounts::default();
        for f in findings.iter().filter(|f| f.is_active()) {
            *match f.severity {
                Severity::Critical => &mut c.critical,
                Severity::High => &mut c.high,
                Severity::Medium => &mut c.medium,
                Severity::Low => &mut c.low,
                Severity::Info => &mut c.info,
            } += 1;
        }
        c
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub roles_audited: usize,
    /// Active findings by severity (suppressed ones are counted in `suppressed`).
    pub findings: SeverityCounts,
    /// Findings a suppression applies to.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub suppressed: usize,
    /// What changed since the previous report (only when one is compared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// What the run imported into Security Hub (only when it imports: `SECURITY_HUB`,
    /// `--security-hub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<SecurityHubImport>,
}

/// A run's import into Security Hub (report field `summary.security_hub`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SecurityHubImport {
    /// The product the findings went to (`arn:...:product/<account>/default`).
    pub product_arn: String,
    /// Findings of this run that Security Hub accepted (suppressed ones included).
    pub imported: usize,
    /// Findings of earlier runs that this run archived (resolved).
    pub archived: usize,
    /// Findings it refused even after retries (each an error entry).
    pub failed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What changed since the previous report of the same account and scope.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Changes {
    /// Where the previous report was read (none: there was none, every finding is new).
    pub previous_report: Option<String>,
    /// When the previous report was generated.
    pub previous_generated_at: Option<String>,
    pub new: usize,
    pub known: usize,
    /// Findings of the previous report that this run no longer finds, for the roles it audited.
    pub resolved: Vec<ResolvedFinding>,
}

/// A finding that went away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedFinding {
    pub id: String,
    pub rule: String,
    pub severity: Severity,
    pub role_name: String,
    pub role_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            // the product's name, whichever crate of the workspace builds the report
            name: "connector-audit".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Where the roles came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// An `aws iam get-account-authorization-details` dump.
    File,
    /// The IAM API.
    Live,
}

/// The JSON report (schema_version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub account_id: Option<String>,
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub source: Source,
    /// False when any role or document could not be audited (see `errors`).
    pub complete: bool,
    pub summary: Summary,
    pub roles: Vec<RoleEntry>,
    pub findings: Vec<Finding>,
    pub errors: Vec<ErrorEntry>,
    /// Present when effective access was probed with the roles' own credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeSummary>,
    /// Present when usage evidence was read from a CloudTrail trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageEvidence>,
    /// Present when the run audited the roles an IAM change concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<IamChange>,
    /// Organization-wide runs: one section per account, in account id order. The roles,
    /// findings and errors above are every account's together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountSection>,
}

/// An IAM change reported by CloudTrail (EventBridge "AWS API Call via CloudTrail"), and the
/// roles and managed policies it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IamChange {
    /// The API call, e.g. `PutRolePolicy`.
    pub event_name: String,
    /// CloudTrail's `eventID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<String>,
    /// Who made the change (`userIdentity.arn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    /// The account whose IAM changed (`recipientAccountId`, else the event's `account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Roles named by the call.
    pub roles: Vec<String>,
    /// Managed policies (ARNs) whose content changed: their connector roles are audited.
    pub policies: Vec<String>,
}

/// One account of an organization-wide run (report field `accounts[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSection {
    pub account_id: String,
    /// The account's name in the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// Its roles were read and judged: false when the account could not be entered (the org
    /// role could not be assumed), its roles could not be read, or the run's time ran out first.
    pub audited: bool,
    /// Audited in full: nothing of the account is missing (see the errors naming it).
    pub complete: bool,
    pub roles_audited: usize,
    /// The account's active findings by severity.
    pub findings: SeverityCounts,
    /// How many of the report's `errors` are the account's (each message starts with
    /// `account <id>`).
    pub errors: usize,
    /// Why the account was not audited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The account's usage evidence, when a trail was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageEvidence>,
}

impl Report {
    pub const SCHEMA_VERSION: u32 = 1;

    /// Who can reach a role of the report, in words (`Datadog (464622532012)`), each once;
    /// empty for a role the report does not list.
    pub fn trusted_by(&self, role_arn: &str) -> Vec<String> {
        self.roles
            .iter()
            .find(|r| r.role_arn == role_arn)
            .map(|r| party::labels(&r.trusted_parties))
            .unwrap_or_default()
    }

    /// The highest severity among the active (not suppressed) findings.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| f.is_active())
            .map(|f| f.severity)
            .max()
    }
}

/// Roles and the errors met while collecting them, before any rule runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    pub account_id: Option<String>,
    pub roles: Vec<RoleSnapshot>,
    pub errors: Vec<ErrorEntry>,
}

impl Inventory {
    /// An inventory whose account is the one the roles' ARNs name.
    pub fn new(roles: Vec<RoleSnapshot>, errors: Vec<ErrorEntry>) -> Inventory {
        let account_id = roles
            .iter()
            .map(RoleSnapshot::account_id)
            .find(|a| !a.is_empty())
            .map(str::to_string);
        Inventory {
            account_id,
            roles,
            errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_and_names() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        let err = "severe".parse::<Severity>().unwrap_err();
        assert!(err.to_string().contains("`severe`"));
        assert_eq!(
            serde_json::to_string(&Severity::Medium).unwrap(),
            "\"medium\""
        );
    }

    #[test]
    fn policy_ref_round_trip() {
        for r in [
            PolicyRef::Trust,
            PolicyRef::Inline("p:1".into()),
            PolicyRef::Managed("arn:aws:iam::aws:policy/X".into()),
            PolicyRef::Live,
            PolicyRef::Suppression("file:s3://b/k.json#2".into()),
            PolicyRef::Boundary("arn:aws:iam::123456789012:policy/limit".into()),
        ] {
            let text = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<PolicyRef>(&text).unwrap(), r);
        }
        assert_eq!(PolicyRef::Inline("x".into()).to_string(), "inline:x");
        assert!(serde_json::from_str::<PolicyRef>("\"other\"").is_err());
    }

    #[test]
    fn access_tag() {
        assert_eq!(Access::parse("Read-Write"), Some(Access::ReadWrite));
        assert_eq!(Access::parse("reed"), None);
        assert!(Access::Full.allows_delete());
        assert!(!Access::Append.allows_delete());
    }
}
