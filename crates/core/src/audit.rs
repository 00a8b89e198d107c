//! The pure audit: an [`Inventory`] (from a dump or from IAM) -> the connector roles selected
//! by tag (and by name or attached policy) -> every rule -> a [`Report`]. What a live run
//! gathered beyond the documents (probes, CloudTrail usage) comes in as [`Evidence`]; the
//! clock and the run id come from the caller. Gathering it, storing and publishing are the
//! application's (`connector_audit::app`).

use crate::model::ids::is_account_id;
use crate::model::{
    Access, ErrorEntry, Finding, Inventory, Limit, ProbeSummary, Report, RoleEntry, RoleProbe,
    RoleSnapshot, SeverityCounts, Source, Summary, Tool,
};
use crate::model::{ErrorCode, Operation, UsageEvidence};
use crate::parties::known::KnownAccounts;
use crate::policy::guardrails::{Controls, TrustGuard};
use crate::rules::registry::RULES;
use crate::rules::{RuleContext, run_role};
use crate::suppress::SuppressionSet;
use crate::view::RoleView;
use std::collections::BTreeMap;
use std::sync::Arc;

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
                    None => (
                        ErrorCode::NoSuchEntity,
                        format!("role `{wanted}` does not exist in the account"),
                    ),
                    Some(r) if !self.is_tagged(r) => (
                        ErrorCode::NotAConnectorRole,
                        format!(
                            "role `{wanted}` does not carry the tag `{}`{}: only connector roles are audited",
                            self.tag_key,
                            self.tag_value.as_deref().map(|v| format!("={v}")).unwrap_or_default()
                        ),
                    ),
                    Some(_) => return None,
                };
                Some(ErrorEntry::new(Operation::SelectRoles, code, message).role(wanted.clone()))
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
    /// In organization mode, the service and resource control policies over the account.
    pub guardrails: Option<crate::model::Guardrails>,
    /// When the rules must stop: roles not evaluated by then are error entries
    /// (`DeadlineExceeded`), not in `roles[]`. Checked between roles.
    pub deadline: Option<std::time::Instant>,
}

/// Has the deadline passed?
fn past(deadline: Option<std::time::Instant>) -> bool {
    deadline.is_some_and(|d| std::time::Instant::now() >= d)
}

/// `work` done on each selected role, in their order, and the error entries of the roles
/// not started before the deadline. A role's audit (documents parsed, permissions analysed,
/// rules run) depends on nothing but the role and the run's context, so the roles are
/// audited on every core ([`crate::cores`]), and the report is the same whatever their
/// number. Each role is dropped once audited: a run never holds more of the inventory than
/// the roles still to come.
fn on_cores<T: Send>(
    selected: Vec<RoleSnapshot>,
    deadline: Option<std::time::Instant>,
    work: impl Fn(&RoleSnapshot) -> T + Sync,
) -> (Vec<T>, Vec<ErrorEntry>) {
    let results = crate::cores::map_owned(selected, MIN_ROLES_PER_THREAD, |r| {
        if past(deadline) {
            Err(not_evaluated(&r))
        } else {
            Ok(work(&r))
        }
    });
    let mut done = Vec::with_capacity(results.len());
    let mut late = Vec::new();
    for r in results {
        match r {
            Ok(d) => done.push(d),
            Err(e) => late.push(e),
        }
    }
    (done, late)
}

/// One role audited: its findings (fixes attached), its entry in `roles[]`, and the error
/// entries of what its tags and dates could not say.
struct Assessed {
    findings: Vec<Finding>,
    entry: RoleEntry,
    errors: Vec<ErrorEntry>,
}

/// Audits one role: its view is built, judged by every rule and dropped, so that a run holds
/// one view per thread, never one per role (a view's grants and parsed documents are many
/// times the size of the role's entry in the dump).
fn assess(view: &RoleView<'_>, ctx: &RuleContext, tag_key: &str) -> Assessed {
    let mut errors = Vec::new();
    if let Some(last) = view.snapshot.last_used.as_deref()
        && crate::usage::date_of(last).is_none()
    {
        // not judged as a date by role-unused: it says nothing of when the role was used
        errors.push(
            ErrorEntry::new(
                Operation::ReadRoleLastUsed,
                ErrorCode::InvalidDate,
                format!(
                    "RoleLastUsed.LastUsedDate is `{last}`, not a date: whether the role is unused was not judged"
                ),
            )
            .role(view.snapshot.name.clone()),
        );
    }
    if let Some(value) = view.snapshot.tags.get(Access::TAG)
        && view.access.is_none()
    {
        errors.push(
            ErrorEntry::new(
                Operation::ReadTags,
                ErrorCode::InvalidTagValue,
                format!(
                    "tag `{}` has value `{value}`: expected one of read, write, append, read-write, full; delete grants were not judged",
                    Access::TAG
                ),
            )
            .role(view.snapshot.name.clone()),
        );
    }
    let mut findings = Vec::new();
    run_role(view, ctx, &mut findings);
    crate::rules::attach_fixes(std::slice::from_ref(view), &mut findings);
    let entry = RoleEntry {
        role_name: view.snapshot.name.clone(),
        role_arn: view.snapshot.arn.clone(),
        connector: view.snapshot.tags.get(tag_key).cloned(),
        access: view.access,
        trusted_parties: view
            .trust
            .as_ref()
            .map(|trust| ctx.resolver(view).parties(trust))
            .unwrap_or_default(),
        probe: view.probe.cloned(),
        limited_by: limits(view, ctx),
    };
    Assessed {
        findings,
        entry,
        errors,
    }
}

/// Below this many roles per thread, a thread costs more than it saves.
const MIN_ROLES_PER_THREAD: usize = 64;

/// The error entry of a role the rules had no time for.
fn not_evaluated(role: &RoleSnapshot) -> ErrorEntry {
    ErrorEntry::new(
        Operation::EvaluateRules,
        ErrorCode::DeadlineExceeded,
        "the run's deadline came before the role's documents were evaluated: it was not audited",
    )
    .role(role.name.clone())
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
    // the connector roles, in report order, owned: each is dropped once audited, and the
    // other roles now
    let mut selected: Vec<RoleSnapshot> =
        roles.into_iter().filter(|r| options.selects(r)).collect();
    selected.sort_by(|a, b| a.name.cmp(&b.name));
    // the organization's guardrails over the account, parsed once for all its roles
    let controls = evidence.guardrails.as_ref().map(|g| {
        let (controls, unparsed) = Controls::parse(g);
        errors.extend(unparsed.into_iter().map(|u| {
            ErrorEntry::new(
                Operation::ReadGuardrails,
                ErrorCode::InvalidGuardrail,
                format!(
                    "{} `{}` does not parse ({}): the roles are judged without it, as if it took nothing away",
                    u.kind, u.name, u.error
                ),
            )
        }));
        controls
    });
    let (suppressions, suppression_errors) = options
        .suppressions
        .for_roles(&selected.iter().collect::<Vec<_>>());
    // the context spans every selected role (which foreign accounts share an external id).
    // Each trust policy is parsed here and again by its role's view: holding every parsed
    // trust until its role's turn would cost more memory than the second parse costs time.
    // Each core indexes its share of the roles; the indexes are merged.
    let mut ctx = RuleContext::for_trusts(
        std::iter::empty::<(crate::policy::Policy, &str)>(),
        options.trusted_accounts.clone(),
    );
    for index in crate::cores::chunks(&selected, MIN_ROLES_PER_THREAD, |roles| {
        RuleContext::for_trusts(
            roles.iter().filter_map(|r| {
                crate::policy::Policy::parse(&r.trust)
                    .ok()
                    .map(|t| (t, r.account_id()))
            }),
            options.trusted_accounts.clone(),
        )
        .external_id_accounts
    }) {
        for (value, accounts) in index {
            ctx.external_id_accounts
                .entry(value)
                .or_default()
                .extend(accounts);
        }
    }
    ctx.auditor_arn = evidence.probe.as_ref().and_then(|p| p.auditor_arn.clone());
    ctx.usage = evidence.usage.clone();
    ctx.lookback_days = evidence
        .lookback_days
        .or(evidence.usage.as_ref().map(|u| u.window_days));
    ctx.today = crate::usage::date_of(&generated_at);
    ctx.expired_suppressions = crate::suppress::expired(&suppressions, ctx.today);
    // each role audited on its own (the deadline checked before each), on every core
    let probes = &evidence.probes;
    let (assessed, late) = on_cores(selected, evidence.deadline, |r| {
        let view = RoleView::within(r, controls.as_ref()).with_probe(probes.get(&r.arn));
        assess(&view, &ctx, &options.tag_key)
    });
    let mut findings = Vec::with_capacity(assessed.iter().map(|a| a.findings.len()).sum());
    let mut roles: Vec<RoleEntry> = Vec::with_capacity(assessed.len());
    for a in assessed {
        findings.extend(a.findings);
        errors.extend(a.errors);
        roles.push(a.entry);
    }
    errors.extend(evidence.errors);
    errors.extend(options.suppressions.errors.iter().cloned());
    errors.extend(suppression_errors);
    if let Err(e) = KnownAccounts::embedded() {
        // the accounts stay unnamed and the rules that judge them by the list stay silent:
        // say so, rather than call every vendor unknown
        errors.push(ErrorEntry::new(
            Operation::ReadKnownAccounts,
            ErrorCode::InvalidKnownAccounts,
            e.to_string(),
        ));
    }
    errors.extend(late);
    crate::suppress::apply(&mut findings, &suppressions, ctx.today);
    sort_findings(&mut findings);
    let mut report = Report {
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
            security_hub: None,
        },
        roles,
        findings,
        errors,
        probe: evidence.probe,
        usage: evidence.usage,
        change: None,
        accounts: Vec::new(),
    };
    attribute_errors(&mut report);
    report
}

/// What controls outside the role's own policies take away from them: its permissions
/// boundary, and in organization mode the service control policies (from its S3 access) and
/// the resource control policies (ways into the role).
fn limits(view: &RoleView<'_>, ctx: &RuleContext) -> Vec<Limit> {
    let mut out = Vec::new();
    if let Some(boundary) = &view.snapshot.boundary {
        out.extend(limit(
            "permissions-boundary",
            &boundary.name,
            view.permissions.bounded().iter().map(grant_pair),
        ));
    }
    let mut by_scp: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (g, policy) in view.permissions.removed_by_scps() {
        by_scp.entry(policy).or_default().push(grant_pair(g));
    }
    for (policy, pairs) in by_scp {
        out.extend(limit("service-control-policy", policy, pairs));
    }
    out.extend(rcp_limits(view, ctx));
    out
}

fn limit(control: &str, policy: &str, removes: impl IntoIterator<Item = String>) -> Option<Limit> {
    let pairs: std::collections::BTreeSet<String> = removes.into_iter().collect();
    (!pairs.is_empty()).then(|| Limit {
        control: control.into(),
        policy: policy.into(),
        total: pairs.len(),
        removes: pairs.into_iter().take(Limit::SHOWN).collect(),
    })
}

/// `ACTION on BUCKET` (`*` for buckets nobody named).
fn grant_pair(g: &crate::policy::s3::S3Grant) -> String {
    let bucket = match &g.bucket {
        crate::policy::s3::Bucket::Named(b) => b.as_ref(),
        crate::policy::s3::Bucket::Unnamed => "*",
    };
    format!("{} on {bucket}", g.action.qualified())
}

/// The trust findings each resource control policy closes: those the rules report without
/// the RCPs and not with that policy alone (`RULE on trust statement N`).
fn rcp_limits(view: &RoleView<'_>, ctx: &RuleContext) -> Vec<Limit> {
    let Ok(trust) = &view.trust else {
        return Vec::new();
    };
    let Some(guard) = &trust.guard else {
        return Vec::new();
    };
    let with_guard = |g: Option<Arc<TrustGuard>>| {
        let mut policy = trust.clone();
        policy.guard = g;
        trust_findings(view, policy, ctx)
    };
    let open = with_guard(None);
    let guarded = trust_findings(view, trust.clone(), ctx);
    if open.iter().all(|f| guarded.contains(f)) {
        return Vec::new();
    }
    guard
        .rcps
        .denying_policies()
        .into_iter()
        .filter_map(|name| {
            let alone = with_guard(Some(Arc::new(TrustGuard {
                role_arn: guard.role_arn.clone(),
                rcps: Arc::new(guard.rcps.only(name)),
            })));
            limit(
                "resource-control-policy",
                name,
                open.iter().filter(|f| !alone.contains(f)).cloned(),
            )
        })
        .collect()
}

/// What the trust rules report of the role with `trust` as its trust policy: `RULE on trust
/// statement N`.
fn trust_findings(
    view: &RoleView<'_>,
    trust: crate::policy::Policy,
    ctx: &RuleContext,
) -> Vec<String> {
    let alone = RoleView {
        snapshot: view.snapshot,
        trust: Ok(trust),
        documents: Vec::new(),
        boundary: None,
        permissions: crate::policy::s3::Permissions::default(),
        permission_refs: Vec::new(),
        access: view.access,
        probe: None,
        evaluated: std::sync::OnceLock::new(),
    };
    let mut findings = Vec::new();
    for rule in RULES.iter().filter(|r| r.id.starts_with("trust-")) {
        (rule.check)(&alone, ctx, &mut findings);
    }
    findings
        .iter()
        .map(|f| match &f.statement {
            Some(s) => format!("{} on trust statement {}", f.rule, s.index),
            None => f.rule.clone(),
        })
        .collect()
}

/// Every error of the report that names no account concerns the report's own.
pub fn attribute_errors(report: &mut Report) {
    let account = report
        .account_id
        .as_deref()
        .and_then(|a| crate::model::AccountId::parse(a).ok());
    for e in &mut report.errors {
        if e.account_id.is_none() {
            e.account_id.clone_from(&account);
        }
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

/// Most severe first, then by role (name, then ARN: the account, when several are merged),
/// then in registry order, then by document and statement.
pub fn sort_findings(findings: &mut [Finding]) {
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

    /// A deadline already past: no role is evaluated, each is a `DeadlineExceeded` entry.
    #[test]
    fn roles_past_the_deadline_are_listed_not_dropped() {
        let dump = r#"{"RoleDetailList": [
            {"RoleName": "a", "Arn": "arn:aws:iam::123456789012:role/a", "Tags": [{"Key": "connector", "Value": "x"}],
             "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}}},
            {"RoleName": "b", "Arn": "arn:aws:iam::123456789012:role/b", "Tags": [{"Key": "connector", "Value": "x"}],
             "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}}}]}"#;
        let evidence = Evidence {
            deadline: Some(std::time::Instant::now()),
            ..Evidence::default()
        };
        let report = audit_with(
            parse_dump(dump).unwrap(),
            &AuditOptions::default(),
            Source::File,
            "2026-01-01T00:00:00Z".into(),
            evidence,
        );
        assert!(report.roles.is_empty() && report.findings.is_empty());
        assert!(!report.complete);
        let late: Vec<(&str, &str, Option<&str>)> = report
            .errors
            .iter()
            .map(|e| {
                (
                    e.operation.as_str(),
                    e.code.as_str(),
                    e.role_name.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            late,
            [
                ("evaluate-rules", "DeadlineExceeded", Some("a")),
                ("evaluate-rules", "DeadlineExceeded", Some("b"))
            ]
        );
        // no deadline: both audited
        let report = audit(
            parse_dump(dump).unwrap(),
            &AuditOptions::default(),
            Source::File,
            "2026-01-01T00:00:00Z".into(),
        );
        assert_eq!(report.roles.len(), 2);
    }

    /// A `RoleLastUsed` that is not a date is an error entry; role-unused judges nothing on it.
    #[test]
    fn an_unparseable_last_used_date_is_an_error_entry() {
        let dump = r#"{"RoleDetailList": [
            {"RoleName": "a", "Arn": "arn:aws:iam::123456789012:role/a", "Tags": [{"Key": "connector", "Value": "x"}],
             "RoleLastUsed": {"LastUsedDate": "yesterday"},
             "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}}}]}"#;
        let evidence = Evidence {
            lookback_days: Some(30),
            ..Evidence::default()
        };
        let report = audit_with(
            parse_dump(dump).unwrap(),
            &AuditOptions::default(),
            Source::File,
            "2026-01-01T00:00:00Z".into(),
            evidence,
        );
        assert!(!report.findings.iter().any(|f| f.rule == "role-unused"));
        let e = report
            .errors
            .iter()
            .find(|e| e.operation == "read-role-last-used")
            .unwrap();
        assert_eq!(e.code, "InvalidDate");
        assert!(e.message.contains("`yesterday`"), "{}", e.message);
        assert_eq!(e.role_name.as_deref(), Some("a"));
    }

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

    /// The party behind the way in is named in the report, the finding's message, the table,
    /// the SNS body and e-mail, SARIF and OCSF.
    #[test]
    fn every_output_names_the_party() {
        let dump = r#"{"RoleDetailList":[{"RoleName":"dd","Arn":"arn:aws:iam::123456789012:role/dd",
            "AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::464622532012:root"},"Action":"sts:AssumeRole"}},
            "Tags":[{"Key":"connector","Value":"datadog"}]}]}"#;
        let report = audit(
            parse_dump(dump).unwrap(),
            &AuditOptions::default(),
            Source::File,
            "2026-01-01T00:00:00Z".into(),
        );
        let party = &report.roles[0].trusted_parties[0];
        assert_eq!(party.name, "Datadog");
        assert!(!party.source.is_empty());
        let named = "Datadog (464622532012)";
        let f = &report.findings[0];
        assert_eq!(f.rule, "trust-missing-external-id");
        assert!(f.message.starts_with(named), "{}", f.message);
        let json = crate::render::json(&report).unwrap();
        assert!(json.contains(r#""trusted_parties": ["#), "{json}");
        let table = crate::render::table(&report);
        assert!(table.contains(&format!("trusted by: {named}")), "{table}");
        let run = crate::notify::RunInfo {
            run_id: "r",
            account_id: "123456789012",
            min_severity: Severity::Low,
            mode: crate::notify::PublishMode::All,
            html_report: None,
        };
        let message = &crate::notify::messages(&report, &run)[0];
        let structured: serde_json::Value = serde_json::from_str(&message.structured).unwrap();
        let body: serde_json::Value =
            serde_json::from_str(structured["default"].as_str().unwrap()).unwrap();
        assert_eq!(body["trusted_by"], serde_json::json!([named]));
        let email = structured["email"].as_str().unwrap();
        assert!(email.contains(&format!("Trusted by:  {named}")), "{email}");
        assert!(email.contains(&format!("{named} can assume")), "{email}");
        let sarif = crate::render::sarif::sarif_log(&report, &Default::default());
        let result = &sarif["runs"][0]["results"][0];
        assert!(
            result["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with(named)
        );
        assert_eq!(
            result["properties"]["trusted_by"],
            serde_json::json!([named])
        );
        let ocsf = crate::render::ocsf::detection_findings(&report).unwrap();
        assert!(ocsf[0]["message"].as_str().unwrap().starts_with(named));
        assert_eq!(
            ocsf[0]["unmapped"]["trusted_by"],
            serde_json::json!([named])
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

#[cfg(test)]
mod guardrail_tests {
    use super::*;
    use crate::dump::parse_dump;
    use crate::model::{GuardrailLevel, Guardrails, NamedDocument};

    const DUMP: &str = r#"{"RoleDetailList":[
      {"RoleName":"anyone","Arn":"arn:aws:iam::123456789012:role/anyone","Tags":[{"Key":"connector","Value":"x"}],
       "AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}},
      {"RoleName":"no-id","Arn":"arn:aws:iam::123456789012:role/no-id","Tags":[{"Key":"connector","Value":"x"}],
       "AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::428641199958:root"},"Action":"sts:AssumeRole"}}},
      {"RoleName":"admin","Arn":"arn:aws:iam::123456789012:role/admin","Tags":[{"Key":"connector","Value":"x"},{"Key":"connector-buckets","Value":"data"}],
       "AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::428641199958:root"},"Action":"sts:AssumeRole",
         "Condition":{"StringEquals":{"sts:ExternalId":"q8Zr2vN5tLx7Wm4K"}}}},
       "RolePolicyList":[{"PolicyName":"s3","PolicyDocument":{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}}}]}
    ]}"#;

    fn level(target: &str, docs: &[(&str, &str)]) -> GuardrailLevel {
        GuardrailLevel {
            target: target.into(),
            policies: docs
                .iter()
                .map(|(n, d)| NamedDocument {
                    name: n.to_string(),
                    document: (*d).into(),
                })
                .collect(),
        }
    }

    fn run(guardrails: Option<Guardrails>) -> Report {
        let evidence = Evidence {
            guardrails,
            ..Evidence::default()
        };
        audit_with(
            parse_dump(DUMP).unwrap(),
            &AuditOptions::default(),
            Source::File,
            "2026-11-30T00:00:00Z".into(),
            evidence,
        )
    }

    fn rules_of(report: &Report, role: &str) -> Vec<String> {
        report
            .findings
            .iter()
            .filter(|f| f.role_name == role)
            .map(|f| f.rule.clone())
            .collect()
    }

    const FULL: &str = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    const ORG_ONLY: &str = r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*",
        "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abcdefghij"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}}"#;
    const NEEDS_ID: &str = r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*",
        "Condition":{"Null":{"sts:ExternalId":"true"}}}}"#;
    const NO_BUCKET_ADMIN: &str = r#"{"Statement":{"Effect":"Deny","NotAction":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":"*"}}"#;

    #[test]
    fn without_guardrails_every_way_in_is_reported() {
        let r = run(None);
        assert_eq!(rules_of(&r, "anyone"), ["trust-any-principal"]);
        assert!(rules_of(&r, "no-id").contains(&"trust-missing-external-id".to_string()));
        assert!(rules_of(&r, "admin").contains(&"s3-bucket-admin".to_string()));
        assert!(r.roles.iter().all(|e| e.limited_by.is_empty()));
        // an SCP that allows everything and an RCP that denies nothing change nothing
        let r = run(Some(Guardrails {
            scps: vec![level(
                "r-ab12",
                &[("FullAWSAccess (p-FullAWSAccess)", FULL)],
            )],
            rcps: vec![level(
                "r-ab12",
                &[("RCPFullAWSAccess (p-RCPFullAWSAccess)", FULL)],
            )],
        }));
        assert_eq!(rules_of(&r, "anyone"), ["trust-any-principal"]);
        assert!(rules_of(&r, "admin").contains(&"s3-bucket-admin".to_string()));
        assert!(r.roles.iter().all(|e| e.limited_by.is_empty()));
    }

    #[test]
    fn rcps_close_ways_in_and_say_so() {
        let r = run(Some(Guardrails {
            scps: vec![],
            rcps: vec![
                level("r-ab12", &[("OrgOnly (p-1)", ORG_ONLY)]),
                level("123456789012", &[("NeedsExternalId (p-2)", NEEDS_ID)]),
            ],
        }));
        assert!(rules_of(&r, "anyone").is_empty(), "{:?}", r.findings);
        let anyone = r.roles.iter().find(|e| e.role_name == "anyone").unwrap();
        assert_eq!(anyone.limited_by.len(), 1, "{:?}", anyone.limited_by);
        assert_eq!(anyone.limited_by[0].control, "resource-control-policy");
        assert_eq!(anyone.limited_by[0].policy, "OrgOnly (p-1)");
        assert_eq!(
            anyone.limited_by[0].removes,
            ["trust-any-principal on trust statement 0"]
        );
        // the vendor is outside the organization: the org-only RCP would shut it out too,
        // but its organization is unknown, so it is not counted; the RCP that demands an
        // external id only turns "no id needed" into "any id passes": still a finding
        let no_id = r.findings.iter().find(|f| f.role_name == "no-id").unwrap();
        assert_eq!(no_id.rule, "trust-missing-external-id");
        assert_eq!(no_id.evidence["gap"], "any-value");
        assert!(
            no_id.message.contains("any value passes"),
            "{}",
            no_id.message
        );
        let entry = r.roles.iter().find(|e| e.role_name == "no-id").unwrap();
        assert!(entry.limited_by.is_empty(), "{:?}", entry.limited_by);
    }

    #[test]
    fn an_rcp_that_names_the_vendor_shuts_it_out() {
        let blocked = r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"sts:*","Resource":"*",
            "Condition":{"StringEquals":{"aws:PrincipalAccount":["428641199958"]}}}}"#;
        let r = run(Some(Guardrails {
            scps: vec![],
            rcps: vec![level("ou-ab12-cdef3456", &[("BlockVendor (p-5)", blocked)])],
        }));
        assert!(rules_of(&r, "no-id").is_empty(), "{:?}", r.findings);
        let entry = r.roles.iter().find(|e| e.role_name == "no-id").unwrap();
        assert_eq!(entry.limited_by[0].policy, "BlockVendor (p-5)");
        assert!(
            entry.limited_by[0]
                .removes
                .contains(&"trust-missing-external-id on trust statement 0".to_string()),
            "{:?}",
            entry.limited_by
        );
        // anyone else still gets into the `*` role
        assert_eq!(rules_of(&r, "anyone"), ["trust-any-principal"]);
    }

    #[test]
    fn scps_take_s3_access_away_and_say_so() {
        let r = run(Some(Guardrails {
            scps: vec![
                level("r-ab12", &[("FullAWSAccess (p-FullAWSAccess)", FULL)]),
                level(
                    "ou-ab12-cdef3456",
                    &[
                        ("FullAWSAccess (p-FullAWSAccess)", FULL),
                        ("NoBucketAdmin (p-3)", NO_BUCKET_ADMIN),
                    ],
                ),
            ],
            rcps: vec![],
        }));
        assert!(
            !rules_of(&r, "admin").contains(&"s3-bucket-admin".to_string()),
            "{:?}",
            r.findings
        );
        let admin = r.roles.iter().find(|e| e.role_name == "admin").unwrap();
        let scp = admin
            .limited_by
            .iter()
            .find(|l| l.control == "service-control-policy")
            .unwrap();
        assert_eq!(scp.policy, "NoBucketAdmin (p-3)");
        assert!(scp.total > Limit::SHOWN, "{scp:?}");
        assert_eq!(scp.removes.len(), Limit::SHOWN);
        assert!(
            scp.removes.iter().all(|x| x.ends_with(" on data")),
            "{scp:?}"
        );
        assert!(!scp.removes.iter().any(|x| x.starts_with("s3:GetObject ")));
        // the trust side is untouched by SCPs: the vendor is outside the organization
        assert!(rules_of(&r, "no-id").contains(&"trust-missing-external-id".to_string()));
    }

    #[test]
    fn an_unparseable_guardrail_is_an_error_and_takes_nothing_away() {
        let r = run(Some(Guardrails {
            scps: vec![level(
                "r-ab12",
                &[("Broken (p-9)", r#"{"Statement":{"Effect":"Deny"}"#)],
            )],
            rcps: vec![],
        }));
        assert!(rules_of(&r, "admin").contains(&"s3-bucket-admin".to_string()));
        let e = r
            .errors
            .iter()
            .find(|e| e.code == ErrorCode::InvalidGuardrail)
            .unwrap();
        assert!(e.message.contains("Broken (p-9)"), "{}", e.message);
        assert!(!r.complete);
    }
}

#[cfg(test)]
mod parallel_tests {
    use super::*;
    use crate::model::{NamedDocument, RoleSnapshot};

    fn role(i: usize) -> RoleSnapshot {
        let risky = i.is_multiple_of(3);
        RoleSnapshot {
            name: format!("role-{i:04}"),
            arn: format!("arn:aws:iam::123456789012:role/role-{i:04}"),
            tags: [
                ("connector".to_string(), "onyx".to_string()),
                ("connector-access".to_string(), "read".to_string()),
            ]
            .into_iter()
            .collect(),
            trust: if risky {
                r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}"#.into()
            } else {
                r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"a-long-external-id-0123456789"}}}}"#.into()
            },
            inline: vec![NamedDocument {
                name: "p".into(),
                document: format!(
                    r#"{{"Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket-{i}/*"}}}}"#
                )
                .into(),
            }],
            managed: vec![],
            boundary: None,
            last_used: None,
        }
    }

    #[test]
    fn roles_audited_on_several_threads_give_the_report_of_one() {
        let roles: Vec<RoleSnapshot> = (0..400).map(role).collect();
        let (names, late) = on_cores(roles.clone(), None, |r| r.name.clone());
        assert!(late.is_empty());
        let want: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
        assert_eq!(names, want);
        // the report does not depend on the order the roles come in
        let report = |roles: Vec<RoleSnapshot>| {
            let r = audit(
                Inventory {
                    account_id: None,
                    roles,
                    errors: vec![],
                },
                &AuditOptions::default(),
                Source::File,
                "2026-01-01T00:00:00Z".into(),
            );
            serde_json::to_string(&r).unwrap()
        };
        let mut reversed = roles.clone();
        reversed.reverse();
        let a = report(roles.clone());
        assert_eq!(a, report(reversed));
        assert!(a.contains("role-0399"));
        // past the deadline, every role is late, whatever thread it was given to
        let (done, late) = on_cores(roles.clone(), Some(std::time::Instant::now()), |r| {
            r.name.len()
        });
        assert!(done.is_empty());
        assert_eq!(late.len(), 400);
        assert_eq!(late[399], not_evaluated(&roles[399]));
    }
}
