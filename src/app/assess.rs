//! One account's assessment: inventory -> probes -> trail -> the pure audit. Probing is
//! scheduled here: a bounded number of roles at once, and a deadline after which no role is
//! started and unfinished ones are listed, never dropped.

use super::Run;
use super::ports::{Prober, RoleSource, Services, UsageSource};
use super::settings::Settings;
use connector_audit_core::audit::{AuditOptions, Evidence, audit_with, select};
use connector_audit_core::model::{
    BUCKETS_TAG, ErrorCode, ErrorEntry, Guardrails, Inventory, Operation, ProbeSummary, Report,
    RoleProbe, RoleSnapshot, Source,
};
use connector_audit_core::probe::{ProbeOptions, RolePlan, auditor_principal, plan};
use connector_audit_core::render::html::HtmlContext;
use connector_audit_core::view::RoleView;
use futures::StreamExt;
use std::time::{Duration, Instant};

/// No role is started with less time than this left before the deadline.
pub const MIN_PROBE_TIME: Duration = Duration::from_secs(2);

/// Where one account's roles come from, and who probes them and reads its trail.
pub struct Collaborators<'a> {
    pub roles: &'a dyn RoleSource,
    pub prober: Option<&'a dyn Prober>,
    pub usage: Option<&'a dyn UsageSource>,
    /// In organization mode, the service and resource control policies over the account.
    pub guardrails: Option<&'a Guardrails>,
}

impl<'a> Collaborators<'a> {
    /// The run's own account.
    pub fn of(services: &'a Services) -> Collaborators<'a> {
        Collaborators {
            roles: services.roles.as_ref(),
            prober: services.prober.as_deref(),
            usage: services.usage.as_deref(),
            guardrails: None,
        }
    }
}

/// Runs `work` until `deadline`; `None` when the deadline came first.
pub async fn within<T>(deadline: Option<Instant>, work: impl Future<Output = T>) -> Option<T> {
    match deadline {
        None => Some(work.await),
        Some(d) => tokio::time::timeout_at(tokio::time::Instant::from_std(d), work)
            .await
            .ok(),
    }
}

/// When the rules must stop: a third of the time between the work deadline and the run's end
/// (storing and publishing keep the rest), so that probes that ran until the work deadline
/// still leave the rules time. Without an end (the CLI) the rules are not cut: its time
/// budget is the probes'.
pub fn rules_deadline(run: &Run) -> Option<Instant> {
    match (run.deadline, run.end) {
        (Some(d), Some(e)) => Some(d + e.saturating_duration_since(d) / 3),
        (None, Some(e)) => Some(e),
        (_, None) => None,
    }
}

/// Inventory -> probe -> usage -> audit: the account's report, not yet stored or published. An
/// inventory that cannot be read (or not before the deadline) still gives a report (no roles,
/// `complete: false`, the error named).
pub async fn account(
    with: &Collaborators<'_>,
    settings: &Settings,
    options: &AuditOptions,
    run: &Run,
) -> Report {
    Box::pin(account_and_page(with, settings, options, run, false))
        .await
        .0
}

/// The same, and (with `page`) what the HTML page shows beyond the report: the connector
/// roles' current documents and the buckets they reach.
pub async fn account_and_page(
    with: &Collaborators<'_>,
    settings: &Settings,
    options: &AuditOptions,
    run: &Run,
    page: bool,
) -> (Report, HtmlContext) {
    let failed = |code: ErrorCode, message: String| Inventory {
        account_id: None,
        roles: Vec::new(),
        errors: vec![ErrorEntry::new(Operation::Inventory, code, message)],
    };
    let inventory = match within(run.deadline, with.roles.inventory()).await {
        Some(Ok(inv)) => inv,
        Some(Err(e)) => failed(
            ErrorCode::InventoryFailed,
            format!("no role could be read: {e}"),
        ),
        None => failed(
            ErrorCode::DeadlineExceeded,
            "the roles could not be read before the invocation's deadline: no role was audited"
                .into(),
        ),
    };
    let mut evidence = match (with.prober, settings.probing()) {
        (Some(prober), Some(probing)) => {
            let selected = select(&inventory.roles, options);
            gather_probes(prober, &selected, probing, &run.run_id, run.deadline).await
        }
        _ => Evidence::default(),
    };
    evidence.lookback_days = settings.lookback_days;
    evidence.guardrails = with.guardrails.cloned();
    evidence.deadline = rules_deadline(run);
    if let (Some(source), Some(trail)) = (with.usage, &settings.usage) {
        let today = connector_audit_core::usage::date_of(&run.generated_at);
        match (inventory.account_id.as_deref(), today) {
            (Some(account), Some(today)) => {
                let (usage, errors) = source.scan(trail, account, today, run.deadline).await;
                evidence.usage = Some(usage);
                evidence.errors.extend(errors);
            }
            _ => evidence.errors.push(ErrorEntry::new(
                Operation::ReadCloudtrail,
                ErrorCode::AccountUnknown,
                "the trail was not read: the account (or the run's date) is unknown",
            )),
        }
    }
    let context = if page {
        HtmlContext::from_roles(select(&inventory.roles, options))
    } else {
        HtmlContext::default()
    };
    let report = audit_with(
        inventory,
        options,
        Source::Live,
        run.generated_at.clone(),
        evidence,
    );
    (report, context)
}

/// Probes the connector roles, at most `options.concurrency` at once. At `deadline` the
/// probes still running are abandoned and, with those never started, listed as not probed
/// (an error entry each): the run goes on to report and publish in time.
pub async fn gather_probes(
    prober: &dyn Prober,
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
            evidence.errors.push(ErrorEntry::new(
                Operation::Probe,
                ErrorCode::AuditorUnknown,
                format!("the auditor's identity could not be read, no role was probed: {e}"),
            ));
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
                    evidence.errors.push(
                        ErrorEntry::new(
                            Operation::ReadTags,
                            ErrorCode::InvalidTagValue,
                            format!(
                                "tag `{BUCKETS_TAG}` names `{bad}`, which is not an S3 bucket name: it was not probed"
                            ),
                        )
                        .role(role.name.clone()),
                    );
                }
                plans.push(p);
            }
            Err(result) => {
                evidence.probes.insert(role.arn.clone(), result);
            }
        }
    }
    super::progress::add(super::progress::PROBES, plans.len());
    let results: Vec<(RolePlan, Option<RoleProbe>)> = futures::stream::iter(plans)
        .map(|p| async move {
            let enough_time = deadline.is_none_or(|d| Instant::now() + MIN_PROBE_TIME < d);
            if !enough_time {
                super::progress::done(super::progress::PROBES);
                return (p, None);
            }
            let result = within(deadline, prober.probe(&p)).await;
            super::progress::done(super::progress::PROBES);
            (p, result)
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    for (p, result) in results {
        let result = result.unwrap_or_else(|| {
            summary.roles_not_probed.push(p.role_name.clone());
            evidence.errors.push(
                ErrorEntry::new(
                    Operation::Probe,
                    ErrorCode::DeadlineExceeded,
                    "the run's time budget ran out before the role's probe finished: its effective access was not probed",
                )
                .role(p.role_name.clone()),
            );
            p.not_probed(
                ErrorCode::DeadlineExceeded,
                "the run's time budget ran out".into(),
            )
        });
        // a role that refused is a result; a call that did not answer is not
        if let Some(code) = result
            .error_code
            .as_ref()
            .filter(|c| matches!(c.as_str(), "Timeout" | "DispatchFailure"))
        {
            evidence.errors.push(
                ErrorEntry::new(
                    Operation::Probe,
                    code.clone(),
                    format!(
                        "the probe did not get an answer, its effective access was not probed: {}",
                        result.error_message.as_deref().unwrap_or("-")
                    ),
                )
                .role(p.role_name.clone()),
            );
        }
        evidence.probes.insert(p.role_arn, result);
    }
    summary.roles_not_probed.sort();
    summary.roles_probed = evidence.probes.values().filter(|r| r.assumed).count();
    summary.roles_unavailable = evidence
        .probes
        .values()
        .filter(|r| !r.assumed && r.error_code != Some(ErrorCode::DeadlineExceeded))
        .count();
    summary.auditor_arn = Some(auditor_principal(&auditor));
    evidence.probe = Some(summary);
    evidence
}
