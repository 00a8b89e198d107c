//! Orchestration: an [`Inventory`] (from a dump or from IAM) -> the connector roles selected
//! by tag (and by name) -> every rule -> a [`Report`] -> the messages subscribers get.
//! The live path ([`Live`]) reaches AWS only through four small traits, [`RoleSource`],
//! [`Prober`], [`ReportStore`] and [`FindingSink`], implemented in `aws/`; the clock and the run id come from
//! the caller. Probing ([`gather_probes`]) is scheduled here: bounded concurrency, and a
//! deadline after which no role is started and unfinished ones are listed, never dropped.

use crate::model::{
    Access, ErrorEntry, Finding, Inventory, ProbeSummary, Report, RoleEntry, RoleProbe,
    RoleSnapshot, Severity, SeverityCounts, Source, Summary, Tool,
};
use crate::notify::{Message, RunInfo, messages};
use crate::policy::principal::is_account_id;
use crate::probe::{ProbeOptions, RolePlan, plan};
use crate::rules::registry::RULES;
use crate::rules::{RoleView, RuleContext, run_all};
use crate::suppress::SuppressionSet;
use crate::usage::{UsageEvidence, UsageOptions};
use futures::StreamExt;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What to audit and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    /// Roles carrying this tag key are connector roles.
    pub tag_key: String,
    /// When set, the tag must also have this value.
    pub tag_value: Option<String>,
    /// Accounts that are the user's own: their principals need no external id.
    pub trusted_accounts: Vec<String>,
    /// Only these roles (names or ARNs), when not empty; they must still carry the tag.
    pub roles: Vec<String>,
    /// Also (or, without `roles`, only) the connector roles these managed policies (ARNs) are
    /// attached to: an audit on a policy change.
    pub policies: Vec<String>,
    /// Named roles that are missing or not connector roles are passed over without an error
    /// entry: an audit on an IAM change may concern any role.
    pub lenient_names: bool,
    /// The central suppressions (role tags are read from the roles themselves).
    pub suppressions: SuppressionSet,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            tag_key: "connector".to_string(),
            tag_value: None,
            trusted_accounts: Vec::new(),
            roles: Vec::new(),
            policies: Vec::new(),
            lenient_names: false,
            suppressions: SuppressionSet::default(),
        }
    }
}

/// A bad option value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error("trusted account `{0}` is not a 12-digit AWS account id")]
    TrustedAccount(String),
    #[error("the tag key is empty")]
    EmptyTagKey,
}

impl AuditOptions {
    pub fn validate(&self) -> Result<(), OptionsError> {
        if self.tag_key.trim().is_empty() {
            return Err(OptionsError::EmptyTagKey);
        }
        if let Some(bad) = self.trusted_accounts.iter().find(|a| !is_account_id(a)) {
            return Err(OptionsError::TrustedAccount(bad.clone()));
        }
        Ok(())
    }

    /// Is this role a connector role under these options (tag, and name or attached policy
    /// when those are given)?
    pub fn selects(&self, role: &RoleSnapshot) -> bool {
        self.is_tagged(role) && (self.is_whole_scope() || self.names(role) || self.attached(role))
    }

    /// Every connector role, not only named ones.
    pub fn is_whole_scope(&self) -> bool {
        self.roles.is_empty() && self.policies.is_empty()
    }

    fn attached(&self, role: &RoleSnapshot) -> bool {
        role.managed.iter().any(|m| self.policies.contains(&m.name))
    }

    fn is_tagged(&self, role: &RoleSnapshot) -> bool {
        match (role.tags.get(&self.tag_key), &self.tag_value) {
            (Some(v), Some(want)) => v == want,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    fn names(&self, role: &RoleSnapshot) -> bool {
        self.roles.iter().any(|r| *r == role.name || *r == role.arn)
    }

    /// Error entries for requested roles that are missing or not connector roles.
    fn unselected_requests(&self, roles: &[RoleSnapshot]) -> Vec<ErrorEntry> {
        if self.lenient_names {
            return Vec::new();
        }
        self.roles
            .iter()
            .filter_map(|wanted| {
                let found = roles.iter().find(|r| r.name == *wanted || r.arn == *wanted);
                let (code, message) = match found {
                    None => ("NoSuchEntity", format!("role `{wanted}` does not exist in the account")),
                    Some(r) if !self.is_tagged(r) => (
                        "NotAConnectorRole",
                        format!(
                            "role `{wanted}` does not carry the tag `{}`{}: only connector roles are audited",
                            self.tag_key,
                            self.tag_value.as_deref().map(|v| format!("={v}")).unwrap_or_default()
                        ),
                    ),
                    Some(_) => return None,
                };
                Some(ErrorEntry {
                    role_name: Some(wanted.clone()),
                    operation: "select-roles".into(),
                    code: code.into(),
                    message,
                })
            })
            .collect()
    }
}

/// What a live run learned beyond the documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The probe of each probed role, by role ARN.
    pub probes: BTreeMap<String, RoleProbe>,
    pub probe: Option<ProbeSummary>,
    /// What the CloudTrail trail says of deletes in the window.
    pub usage: Option<UsageEvidence>,
    /// The look-back window for usage rules (`role-unused`), in days.
    pub lookback_days: Option<u32>,
    /// What kept evidence from being gathered (roles not probed, bad tags, ...).
    pub errors: Vec<ErrorEntry>,
}

/// Audits the connector roles of an inventory.
pub fn audit(
    inventory: Inventory,
    options: &AuditOptions,
    source: Source,
    generated_at: String,
) -> Report {
    audit_with(
        inventory,
        options,
        source,
        generated_at,
        Evidence::default(),
    )
}

/// The connector roles of an inventory, in report order.
pub fn select<'a>(roles: &'a [RoleSnapshot], options: &AuditOptions) -> Vec<&'a RoleSnapshot> {
    let mut selected: Vec<&RoleSnapshot> = roles.iter().filter(|r| options.selects(r)).collect();
    selected.sort_by(|a, b| a.name.cmp(&b.name));
    selected
}

/// Audits the connector roles of an inventory with the evidence a live run gathered.
pub fn audit_with(
    inventory: Inventory,
    options: &AuditOptions,
    source: Source,
    generated_at: String,
    evidence: Evidence,
) -> Report {
    let Inventory {
        account_id,
        roles,
        mut errors,
    } = inventory;
    errors.extend(options.unselected_requests(&roles));
    let selected = select(&roles, options);
    let views: Vec<RoleView<'_>> = selected
        .iter()
        .map(|r| RoleView::new(r).with_probe(evidence.probes.get(&r.arn)))
        .collect();
    for v in &views {
        if let Some(value) = v.snapshot.tags.get(Access::TAG)
            && v.access.is_none()
        {
            errors.push(ErrorEntry {
                role_name: Some(v.snapshot.name.clone()),
                operation: "read-tags".into(),
                code: "InvalidTagValue".into(),
                message: format!(
                    "tag `{}` has value `{value}`: expected one of read, write, append, read-write, full; delete grants were not judged",
                    Access::TAG
                ),
            });
        }
    }
    errors.extend(evidence.errors);
    let (suppressions, suppression_errors) = options.suppressions.for_roles(&selected);
    errors.extend(options.suppressions.errors.iter().cloned());
    errors.extend(suppression_errors);
    let mut ctx = RuleContext::new(&views, options.trusted_accounts.clone());
    ctx.suppressions = suppressions;
    ctx.auditor_arn = evidence.probe.as_ref().and_then(|p| p.auditor_arn.clone());
    ctx.usage = evidence.usage.clone();
    ctx.lookback_days = evidence
        .lookback_days
        .or(evidence.usage.as_ref().map(|u| u.window_days));
    ctx.today = crate::usage::date_of(&generated_at);
    let mut findings = run_all(&views, &ctx);
    crate::suppress::apply(&mut findings, &ctx.suppressions, ctx.today);
    sort_findings(&mut findings);
    let roles: Vec<RoleEntry> = views
        .iter()
        .map(|v| RoleEntry {
            role_name: v.snapshot.name.clone(),
            role_arn: v.snapshot.arn.clone(),
            connector: v.snapshot.tags.get(&options.tag_key).cloned(),
            access: v.access,
            probe: v.probe.cloned(),
        })
        .collect();
    Report {
        schema_version: Report::SCHEMA_VERSION,
        tool: Tool::default(),
        account_id,
        generated_at,
        source,
        complete: errors.is_empty(),
        summary: Summary {
            roles_audited: roles.len(),
            findings: SeverityCounts::of(&findings),
            suppressed: findings.iter().filter(|f| !f.is_active()).count(),
            changes: None,
        },
        roles,
        findings,
        errors,
        probe: evidence.probe,
        usage: evidence.usage,
        change: None,
        accounts: Vec::new(),
    }
}

/// Where a live run gets its roles (IAM, in `aws/`).
pub trait RoleSource {
    type Error: std::error::Error + Send + Sync + 'static;
    /// Every role of the account with its documents; per-role problems are error entries.
    fn inventory(&self) -> impl Future<Output = Result<Inventory, Self::Error>> + Send;
}

/// Who probes roles with their own credentials (STS and S3, in `aws/`).
pub trait Prober {
    type Error: std::error::Error + Send + Sync + 'static;
    /// The ARN of the principal that assumes the roles.
    fn auditor(&self) -> impl Future<Output = Result<String, Self::Error>> + Send;
    /// Probes one role; every failure is part of the result.
    fn probe(&self, plan: &RolePlan) -> impl Future<Output = RoleProbe> + Send;
}

/// No role is started with less time than this left before the deadline.
pub const MIN_PROBE_TIME: Duration = Duration::from_secs(2);

/// Probes the connector roles, at most `options.concurrency` at once. At `deadline` the
/// probes still running are abandoned and, with those never started, listed as not probed
/// (an error entry each): the run goes on to report and publish in time.
pub async fn gather_probes<Pr: Prober + Sync>(
    prober: &Pr,
    roles: &[&RoleSnapshot],
    options: &ProbeOptions,
    run_id: &str,
    deadline: Option<Instant>,
) -> Evidence {
    let mut evidence = Evidence::default();
    let mut summary = ProbeSummary {
        canary_bucket: options.canary_bucket.clone(),
        delete_checks: options.delete,
        ..ProbeSummary::default()
    };
    let auditor = match prober.auditor().await {
        Ok(a) => a,
        Err(e) => {
            evidence.errors.push(ErrorEntry {
                role_name: None,
                operation: "probe".into(),
                code: "AuditorUnknown".into(),
                message: format!(
                    "the auditor's identity could not be read, no role was probed: {e}"
                ),
            });
            evidence.probe = Some(summary);
            return evidence;
        }
    };
    let mut plans = Vec::new();
    for role in roles {
        let view = RoleView::new(role);
        match plan(&view, &auditor, options, run_id) {
            Ok(p) => {
                for bad in &p.invalid_buckets {
                    evidence.errors.push(ErrorEntry {
                        role_name: Some(role.name.clone()),
                        operation: "read-tags".into(),
                        code: "InvalidTagValue".into(),
                        message: format!(
                            "tag `{}` names `{bad}`, which is not an S3 bucket name: it was not probed",
                            crate::model::BUCKETS_TAG
                        ),
                    });
                }
                plans.push(p);
            }
            Err(result) => {
                evidence.probes.insert(role.arn.clone(), result);
            }
        }
    }
    let results: Vec<(RolePlan, Option<RoleProbe>)> = futures::stream::iter(plans)
        .map(|p| async move {
            let enough_time = deadline.is_none_or(|d| Instant::now() + MIN_PROBE_TIME < d);
            if !enough_time {
                return (p, None);
            }
            let result = match deadline {
                None => Some(prober.probe(&p).await),
                Some(d) => {
                    tokio::time::timeout_at(tokio::time::Instant::from_std(d), prober.probe(&p))
                        .await
                        .ok()
                }
            };
            (p, result)
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    for (p, result) in results {
        let result = result.unwrap_or_else(|| {
            summary.roles_not_probed.push(p.role_name.clone());
            evidence.errors.push(ErrorEntry {
                role_name: Some(p.role_name.clone()),
                operation: "probe".into(),
                code: "DeadlineExceeded".into(),
                message: "the run's time budget ran out before the role's probe finished: its effective access was not probed".into(),
            });
            p.not_probed("DeadlineExceeded", "the run's time budget ran out".into())
        });
        evidence.probes.insert(p.role_arn, result);
    }
    summary.roles_not_probed.sort();
    summary.roles_probed = evidence.probes.values().filter(|r| r.assumed).count();
    summary.roles_unavailable = evidence
        .probes
        .values()
        .filter(|r| !r.assumed && r.error_code.as_deref() != Some("DeadlineExceeded"))
        .count();
    summary.auditor_arn = Some(crate::probe::auditor_principal(&auditor));
    evidence.probe = Some(summary);
    evidence
}

/// Where a live run sends its messages (SNS, in `aws/`).
pub trait FindingSink {
    type Error: std::error::Error + Send + Sync + 'static;
    /// Publishes every message or fails; returns how many were accepted.
    fn publish(
        &self,
        messages: &[Message],
    ) -> impl Future<Output = Result<usize, Self::Error>> + Send;
}

/// One live run's parameters.
#[derive(Debug, Clone)]
pub struct LiveRun {
    pub options: AuditOptions,
    /// Findings below this are not published (they stay in the report).
    pub min_severity: Severity,
    /// Publish every finding, or only new ones.
    pub publish_mode: crate::notify::PublishMode,
    /// The IAM change that asked for this run (its roles are in `options`). Such a run that
    /// finds no connector role to audit, and no previous finding resolved, publishes nothing.
    pub change: Option<crate::model::IamChange>,
    pub run_id: String,
    pub generated_at: String,
    /// Probe the roles' effective access (needs a [`Prober`]).
    pub probe: Option<ProbeOptions>,
    /// When the probing must stop so that reporting and publishing still fit.
    pub deadline: Option<Instant>,
    /// Read usage evidence from a CloudTrail trail (needs a [`UsageSource`]).
    pub usage: Option<UsageOptions>,
}

impl LiveRun {
    /// A run of `options` with the defaults: publish from `medium`, every finding, no probe,
    /// no deadline, no trail.
    pub fn new(
        options: AuditOptions,
        run_id: impl Into<String>,
        generated_at: impl Into<String>,
    ) -> LiveRun {
        LiveRun {
            options,
            min_severity: Severity::Medium,
            publish_mode: crate::notify::PublishMode::All,
            change: None,
            run_id: run_id.into(),
            generated_at: generated_at.into(),
            probe: None,
            deadline: None,
            usage: None,
        }
    }
}

/// What a live run produced.
#[derive(Debug, Clone)]
pub struct LiveOutcome {
    pub report: Report,
    /// Messages accepted by the sink (0 when not publishing).
    pub published: usize,
    /// Where the report was stored, when a store was given.
    pub stored: Option<String>,
}

/// A live run that could not finish. The report is kept whenever one was built, so that the
/// caller can still return or log it.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("publishing the findings failed: {source}")]
    Publish {
        report: Box<Report>,
        /// Where the report was stored before publishing failed, if it was.
        stored: Option<String>,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Where a live run keeps the report before publishing (S3, in `aws/`).
pub trait ReportStore {
    type Error: std::error::Error + Send + Sync + 'static;
    /// Writes `json` under `key`; returns where it went (e.g. `s3://bucket/key`).
    fn store(
        &self,
        key: &str,
        json: Vec<u8>,
    ) -> impl Future<Output = Result<String, Self::Error>> + Send;
    /// Reads what is under `key` and where it is; `None` when nothing is.
    fn load(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<(Vec<u8>, String)>, Self::Error>> + Send;
}

/// Where a live run reads usage evidence (the CloudTrail trail in S3, in `aws/`).
pub trait UsageSource {
    /// Scans the window; never fails (what could not be read is in the errors).
    fn scan(
        &self,
        options: &UsageOptions,
        account: &str,
        today: time::Date,
        deadline: Option<Instant>,
    ) -> impl Future<Output = (UsageEvidence, Vec<ErrorEntry>)> + Send;
}

/// Stands for a collaborator a live run does not have (see [`Live`]).
#[derive(Debug)]
pub enum Nothing {}

impl std::fmt::Display for Nothing {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

impl std::error::Error for Nothing {}

impl Prober for Nothing {
    type Error = Nothing;
    async fn auditor(&self) -> Result<String, Nothing> {
        match *self {}
    }
    async fn probe(&self, _: &RolePlan) -> RoleProbe {
        match *self {}
    }
}

impl ReportStore for Nothing {
    type Error = Nothing;
    async fn store(&self, _: &str, _: Vec<u8>) -> Result<String, Nothing> {
        match *self {}
    }
    async fn load(&self, _: &str) -> Result<Option<(Vec<u8>, String)>, Nothing> {
        match *self {}
    }
}

impl UsageSource for Nothing {
    async fn scan(
        &self,
        _: &UsageOptions,
        _: &str,
        _: time::Date,
        _: Option<Instant>,
    ) -> (UsageEvidence, Vec<ErrorEntry>) {
        match *self {}
    }
}

impl FindingSink for Nothing {
    type Error = Nothing;
    async fn publish(&self, _: &[Message]) -> Result<usize, Nothing> {
        match *self {}
    }
}

/// The key of a run's report in the report bucket: `reports/YYYY/MM/DD/<run-id>.json`.
pub fn report_key(generated_at: &str, run_id: &str) -> String {
    let day = generated_at
        .get(..10)
        .filter(|d| d.len() == 10 && d.chars().all(|c| c.is_ascii_digit() || c == '-'))
        .map(|d| d.replace('-', "/"))
        .unwrap_or_else(|| "undated".to_string());
    let id: String = run_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    format!("reports/{day}/{id}.json")
}

/// A live run's collaborators: where roles come from and, optionally, who probes them, where
/// the report is kept and where messages go.
///
/// ```no_run
/// # async fn f(clients: &connector_audit::aws::Clients, run: &connector_audit::audit::LiveRun) {
/// use connector_audit::audit::Live;
/// let outcome = Live::new(clients).prober(Some(&clients.prober)).run(run).await;
/// # }
/// ```
pub struct Live<'a, S, Pr = Nothing, St = Nothing, P = Nothing, U = Nothing> {
    source: &'a S,
    prober: Option<&'a Pr>,
    store: Option<&'a St>,
    sink: Option<&'a P>,
    usage: Option<&'a U>,
}

impl<'a, S: RoleSource> Live<'a, S> {
    pub fn new(source: &'a S) -> Live<'a, S> {
        Live {
            source,
            prober: None,
            store: None,
            sink: None,
            usage: None,
        }
    }
}

impl<'a, S, Pr, St, P, U> Live<'a, S, Pr, St, P, U> {
    /// Probes with `prober` when the run asks for it.
    pub fn prober<Q: Prober>(self, prober: Option<&'a Q>) -> Live<'a, S, Q, St, P, U> {
        Live {
            source: self.source,
            prober,
            store: self.store,
            sink: self.sink,
            usage: self.usage,
        }
    }

    /// Keeps the report in `store` before publishing.
    pub fn store<Q: ReportStore>(self, store: Option<&'a Q>) -> Live<'a, S, Pr, Q, P, U> {
        Live {
            source: self.source,
            prober: self.prober,
            store,
            sink: self.sink,
            usage: self.usage,
        }
    }

    /// Publishes the messages to `sink`.
    pub fn sink<Q: FindingSink>(self, sink: Option<&'a Q>) -> Live<'a, S, Pr, St, Q, U> {
        Live {
            source: self.source,
            prober: self.prober,
            store: self.store,
            sink,
            usage: self.usage,
        }
    }

    /// Reads usage evidence from `usage` when the run asks for it.
    pub fn usage<Q: UsageSource>(self, usage: Option<&'a Q>) -> Live<'a, S, Pr, St, P, Q> {
        Live {
            source: self.source,
            prober: self.prober,
            store: self.store,
            sink: self.sink,
            usage,
        }
    }
}

impl<S, Pr, St, P, U> Live<'_, S, Pr, St, P, U>
where
    S: RoleSource,
    Pr: Prober + Sync,
    St: ReportStore,
    P: FindingSink,
    U: UsageSource,
{
    /// Inventory -> probe -> audit -> store -> publish ([`Live::assess`], then [`deliver`]).
    pub async fn run(&self, run: &LiveRun) -> Result<LiveOutcome, LiveError> {
        // boxed: keeps the nested futures' types shallow enough for the compiler's query depth
        let report = Box::pin(self.assess(run)).await;
        Box::pin(deliver(report, run, self.store, self.sink)).await
    }

    /// Inventory -> probe -> usage -> audit: the account's report, not yet stored or
    /// published. An inventory that cannot be read (or not before the deadline) still gives a
    /// report (no roles, `complete: false`, the error named).
    pub async fn assess(&self, run: &LiveRun) -> Report {
        let failed = |code: &str, message: String| Inventory {
            account_id: None,
            roles: Vec::new(),
            errors: vec![ErrorEntry {
                role_name: None,
                operation: "inventory".into(),
                code: code.into(),
                message,
            }],
        };
        let read = self.source.inventory();
        // `None`: the deadline came first
        let read = match run.deadline {
            None => Some(read.await),
            Some(d) => tokio::time::timeout_at(tokio::time::Instant::from_std(d), read)
                .await
                .ok(),
        };
        let inventory = match read {
            Some(Ok(inv)) => inv,
            Some(Err(e)) => failed("InventoryFailed", format!("no role could be read: {e}")),
            None => failed(
                "DeadlineExceeded",
                "the roles could not be read before the invocation's deadline: no role was audited"
                    .into(),
            ),
        };
        let mut evidence = match (self.prober, &run.probe) {
            (Some(prober), Some(options)) => {
                let selected = select(&inventory.roles, &run.options);
                gather_probes(prober, &selected, options, &run.run_id, run.deadline).await
            }
            _ => Evidence::default(),
        };
        if let (Some(source), Some(options)) = (self.usage, &run.usage) {
            let today = crate::usage::date_of(&run.generated_at);
            match (inventory.account_id.as_deref(), today) {
                (Some(account), Some(today)) => {
                    let (usage, errors) = source.scan(options, account, today, run.deadline).await;
                    evidence.usage = Some(usage);
                    evidence.errors.extend(errors);
                }
                _ => evidence.errors.push(ErrorEntry {
                    role_name: None,
                    operation: "read-cloudtrail".into(),
                    code: "AccountUnknown".into(),
                    message: "the trail was not read: the account (or the run's date) is unknown"
                        .into(),
                }),
            }
        }
        let mut report = audit_with(
            inventory,
            &run.options,
            Source::Live,
            run.generated_at.clone(),
            evidence,
        );
        report.change = run.change.clone();
        report
    }
}

/// Compare -> store -> publish -> move the latest state on. With a store, findings are marked
/// new or known against the previous report of the account and scope; the report is stored
/// before publishing, so that it survives a publishing failure; a summary is published even
/// when nothing was found, so that subscribers hear of every run; and the scope's latest
/// report is replaced only once publishing succeeded, so that a failed run's new findings are
/// new again next time.
pub async fn deliver<St: ReportStore, P: FindingSink>(
    mut report: Report,
    run: &LiveRun,
    store: Option<&St>,
    sink: Option<&P>,
) -> Result<LiveOutcome, LiveError> {
    let mut stored = None;
    let mut latest = None;
    if let Some(store) = store {
        latest = against_previous(&mut report, run, store).await;
        let key = report_key(&report.generated_at, &run.run_id);
        let json = serde_json::to_vec(&report).unwrap_or_default();
        match store.store(&key, json).await {
            Ok(location) => stored = Some(location),
            Err(e) => {
                report.errors.push(ErrorEntry {
                    role_name: None,
                    operation: "store-report".into(),
                    code: "StoreFailed".into(),
                    message: format!("the report could not be written to `{key}`: {e}"),
                });
                report.complete = false;
            }
        }
    }
    let unconcerned = run.change.is_some()
        && report.roles.is_empty()
        && report.errors.is_empty()
        && report
            .summary
            .changes
            .as_ref()
            .is_none_or(|c| c.resolved.is_empty());
    let published = match sink {
        None => 0,
        Some(_) if unconcerned => 0,
        Some(sink) => {
            let info = RunInfo {
                run_id: &run.run_id,
                account_id: report.account_id.as_deref().unwrap_or("unknown"),
                min_severity: run.min_severity,
                mode: run.publish_mode,
            };
            let messages = messages(&report, &info);
            match sink.publish(&messages).await {
                Ok(n) => n,
                Err(e) => {
                    // the latest state is not moved on: the next run finds these new again
                    return Err(LiveError::Publish {
                        report: Box::new(report),
                        stored,
                        source: Box::new(e),
                    });
                }
            }
        }
    };
    if let (Some(store), Some((key, json))) = (store, latest)
        && let Err(e) = store.store(&key, json).await
    {
        report.errors.push(ErrorEntry {
            role_name: None,
            operation: "store-report".into(),
            code: "StoreFailed".into(),
            message: format!(
                "the latest report could not be written to `{key}`: the next run compares with the one before: {e}"
            ),
        });
        report.complete = false;
    }
    Ok(LiveOutcome {
        report,
        published,
        stored,
    })
}

/// Reads the previous report of the account and scope, marks the findings new or known and
/// lists the resolved ones ([`crate::baseline`]); returns the key and body of the new latest
/// report, written once the findings are published. Nothing is compared (and nothing will be
/// written) when the account is unknown, no role could be read, or the previous report
/// cannot be read: an error entry says so, and every finding is published as usual.
async fn against_previous<St: ReportStore>(
    report: &mut Report,
    run: &LiveRun,
    store: &St,
) -> Option<(String, Vec<u8>)> {
    // (an organization's report names its unaudited accounts, whose findings are kept)
    let inventory_failed = report.accounts.is_empty()
        && report
            .errors
            .iter()
            .any(|e| e.role_name.is_none() && e.operation == "inventory");
    if inventory_failed {
        return None;
    }
    // a run of one account (alone, or one member account of an organization, as the state
    // machine makes them, several at once) keeps that account's state; an organization-wide
    // run keeps the organization's, under its management account
    let (account, organization) = match report.accounts.as_slice() {
        [] => (report.account_id.clone()?, false),
        [one] => (one.account_id.clone(), false),
        _ => (report.account_id.clone()?, true),
    };
    let scope = crate::baseline::scope_id(&run.options, organization);
    let key = crate::baseline::latest_key(&account, &scope);
    let mut fail = |code: &str, message: String| {
        report.errors.push(ErrorEntry {
            role_name: None,
            operation: "read-previous-report".into(),
            code: code.into(),
            message,
        });
        report.complete = false;
    };
    let previous = match store.load(&key).await {
        Ok(None) => None,
        Ok(Some((bytes, location))) => match serde_json::from_slice::<Report>(&bytes) {
            Ok(p) => Some((p, location)),
            Err(e) => {
                fail(
                    "InvalidPreviousReport",
                    format!(
                        "`{location}` is not a connector-audit report ({e}): findings were not compared, and it is left as it is"
                    ),
                );
                return None;
            }
        },
        Err(e) => {
            fail(
                "PreviousReportUnreadable",
                format!("`{key}` could not be read, findings were not compared: {e}"),
            );
            return None;
        }
    };
    let (previous, location) = previous.map_or((None, None), |(p, l)| (Some(p), Some(l)));
    let latest = crate::baseline::compare(report, previous.as_ref(), location, &run.options);
    Some((key, serde_json::to_vec(&latest).unwrap_or_default()))
}

/// Most severe first, then by role (name, then ARN: the account, when several are merged),
/// then in registry order, then by document and statement.
pub(crate) fn sort_findings(findings: &mut [Finding]) {
    let rank = |id: &str| RULES.iter().position(|r| r.id == id).unwrap_or(usize::MAX);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.role_name.cmp(&b.role_name))
            .then_with(|| a.role_arn.cmp(&b.role_arn))
            .then_with(|| rank(&a.rule).cmp(&rank(&b.rule)))
            .then_with(|| a.policy.cmp(&b.policy))
            .then_with(|| {
                let idx = |f: &Finding| f.statement.as_ref().map(|s| s.index);
                idx(a).cmp(&idx(b))
            })
    });
}

/// A run id for runs without a Lambda request id: time and process, hex.
pub fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("run-{nanos:x}-{:x}", std::process::id())
}

/// Now, as RFC 3339 UTC with second precision.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::parse_dump;
    use crate::model::Severity;

    #[test]
    fn selects_by_tag_and_value() {
        let mut opts = AuditOptions::default();
        let mut r = RoleSnapshot::default();
        assert!(!opts.selects(&r));
        r.tags.insert("connector".into(), "onyx".into());
        assert!(opts.selects(&r));
        opts.tag_value = Some("upsolver".into());
        assert!(!opts.selects(&r));
        opts.tag_value = Some("onyx".into());
        assert!(opts.selects(&r));
    }

    #[test]
    fn explicit_roles_must_exist_and_be_tagged() {
        let dump = r#"{"RoleDetailList":[
            {"RoleName":"a","Arn":"arn:aws:iam::123456789012:role/a","Tags":[{"Key":"connector","Value":"x"}]},
            {"RoleName":"b","Arn":"arn:aws:iam::123456789012:role/b","Tags":[{"Key":"connector","Value":"x"}]},
            {"RoleName":"plain","Arn":"arn:aws:iam::123456789012:role/plain"}]}"#;
        let opts = AuditOptions {
            roles: vec![
                "arn:aws:iam::123456789012:role/b".into(),
                "plain".into(),
                "ghost".into(),
            ],
            ..AuditOptions::default()
        };
        let report = audit(parse_dump(dump).unwrap(), &opts, Source::File, "t".into());
        assert_eq!(
            report
                .roles
                .iter()
                .map(|r| r.role_name.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        let codes: Vec<(&str, &str)> = report
            .errors
            .iter()
            .map(|e| (e.role_name.as_deref().unwrap(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [("plain", "NotAConnectorRole"), ("ghost", "NoSuchEntity")]
        );
        assert!(!report.complete);
    }

    #[test]
    fn report_keys() {
        assert_eq!(
            report_key("2026-11-23T02:00:00Z", "0a1f7a8c-807c-4085"),
            "reports/2026/11/23/0a1f7a8c-807c-4085.json"
        );
        assert_eq!(report_key("t", "../x y"), "reports/undated/..xy.json");
    }

    #[test]
    fn validates_options() {
        let mut opts = AuditOptions::default();
        assert!(opts.validate().is_ok());
        opts.trusted_accounts = vec!["12345".into()];
        assert_eq!(
            opts.validate().unwrap_err().to_string(),
            "trusted account `12345` is not a 12-digit AWS account id"
        );
    }

    #[test]
    fn invalid_access_tag_is_an_error_entry() {
        let dump = r#"{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::123456789012:role/r",
            "AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}},
            "Tags":[{"Key":"connector","Value":"x"},{"Key":"connector-access","Value":"reed"}]}]}"#;
        let report = audit(
            parse_dump(dump).unwrap(),
            &AuditOptions::default(),
            Source::File,
            "t".into(),
        );
        assert!(!report.complete);
        assert_eq!(report.errors[0].code, "InvalidTagValue");
        assert!(report.errors[0].message.contains("`reed`"));
        assert_eq!(report.roles[0].access, None);
        assert_eq!(report.summary.roles_audited, 1);
        assert_eq!(report.max_severity(), None::<Severity>);
    }
}
