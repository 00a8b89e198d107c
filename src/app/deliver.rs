//! Compare -> store -> publish -> move the latest state on. With a store, findings are marked
//! new or known against the previous report of the account and scope; the report is stored
//! before publishing, so that it survives a publishing failure; a summary is published even
//! when nothing was found, so that subscribers hear of every run; and the scope's latest
//! report is replaced only once publishing succeeded, so that a failed run's new findings are
//! new again next time.
//!
//! Every step is bounded by the run's end ([`Run::end`]): the time left after the work
//! deadline is shared between the steps still to come (publishing weighs most), so that one
//! call that never answers costs its share, not the invocation. A store that cannot answer
//! in time is an error entry; publishing that cannot is the run's failure, with the report
//! already stored. Publishing happens once per run id: with a store, a marker
//! (`reports/published/<run-id>.json`) is written after the messages are accepted and read
//! before publishing, so that Lambda's retry of an invocation that failed after publishing
//! (the same request id) does not publish again.
//!
//! With Security Hub (`SECURITY_HUB`), the findings are imported before the report is stored,
//! so that the stored report and the summary message count what was imported; findings the
//! previous report had and this run does not are archived there (without a report bucket,
//! the findings Security Hub holds stand for the previous report). With a store, the report's
//! HTML page is written beside its JSON (`reports/YYYY/MM/DD/<run-id>.html`) and the summary
//! message names it.

use super::assess::within;
use super::ports::{FindingsHub, ReportStore, Services, Stored};
use super::settings::Settings;
use super::{Outcome, Run, RunError};
use connector_audit_core::audit::{AuditOptions, report_key};
use connector_audit_core::model::{ErrorCode, ErrorEntry, Operation, Report, SecurityHubImport};
use connector_audit_core::notify::{RunInfo, messages};
use connector_audit_core::render::asff::{self, AsffContext};
use connector_audit_core::render::html::HtmlContext;
use std::time::Instant;

/// The report as stored: JSON, or an error entry on the report when it cannot be written out.
fn encode(report: &mut Report, what: &str) -> Option<Vec<u8>> {
    match serde_json::to_vec(report) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            report.errors.push(ErrorEntry::new(
                Operation::StoreReport,
                ErrorCode::StoreFailed,
                format!("the {what} could not be encoded as JSON, it was not stored: {e}"),
            ));
            report.complete = false;
            None
        }
    }
}

/// The weights of the steps after the work: reading the previous report, storing the report,
/// reading the publication marker, publishing, writing the marker, writing the latest report,
/// importing into Security Hub (done second: its index is last so that the others keep theirs).
const WEIGHTS: [u32; 7] = [1, 1, 1, 3, 1, 1, 2];

/// Index of the Security Hub step in [`WEIGHTS`].
const HUB_STEP: usize = 6;

/// The deadline of step `i` of [`WEIGHTS`]: its share of the time left until `end`.
fn step_deadline(end: Option<Instant>, i: usize) -> Option<Instant> {
    let end = end?;
    // the Security Hub step runs second, after reading the previous report
    let left: u32 = match i {
        0 => WEIGHTS.iter().sum(),
        HUB_STEP => WEIGHTS.iter().skip(1).sum(),
        _ => WEIGHTS.iter().take(HUB_STEP).skip(i).sum(),
    };
    let weight = WEIGHTS.get(i).copied().unwrap_or(1);
    let now = Instant::now();
    let remaining = end.saturating_duration_since(now);
    Some(now + remaining.mul_f64(f64::from(weight) / f64::from(left.max(1))))
}

/// Where the marker of a run's publication is kept.
pub fn published_key(run_id: &str) -> String {
    let id: String = run_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    format!("reports/published/{id}.json")
}

/// Stores, publishes and records the run (see the module's documentation).
pub async fn deliver(
    report: Report,
    settings: &Settings,
    options: &AuditOptions,
    run: &Run,
    services: &Services,
) -> Result<Outcome, RunError> {
    let page = HtmlContext::default();
    Box::pin(deliver_with_page(
        report, &page, settings, options, run, services,
    ))
    .await
}

/// The same, with what the HTML page shows beyond the report (the roles' current documents
/// and the buckets they reach, when the run has them).
pub async fn deliver_with_page(
    mut report: Report,
    page: &HtmlContext,
    settings: &Settings,
    options: &AuditOptions,
    run: &Run,
    services: &Services,
) -> Result<Outcome, RunError> {
    let store = services.store.as_deref();
    let sink = services.sink.as_deref().filter(|_| settings.publish);
    let mut stored = None;
    let mut html_stored = None;
    let mut latest = None;
    if let Some(store) = store {
        latest = against_previous(&mut report, options, store, step_deadline(run.end, 0)).await;
    }
    if let Some(hub) = services.hub.as_deref().filter(|_| settings.security_hub) {
        let docs = settings
            .rules_docs_url
            .clone()
            .or_else(asff::default_docs_url);
        to_hub(
            &mut report,
            options,
            run,
            hub,
            docs,
            step_deadline(run.end, HUB_STEP),
        )
        .await;
    }
    if let Some(store) = store {
        let key = report_key(&report.generated_at, &run.run_id);
        if let Some(json) = encode(&mut report, "report") {
            match within(step_deadline(run.end, 1), store.store(&key, json)).await {
                Some(Ok(location)) => stored = Some(location),
                Some(Err(e)) => {
                    report.errors.push(ErrorEntry::new(
                        Operation::StoreReport,
                        ErrorCode::StoreFailed,
                        format!("the report could not be written to `{key}`: {e}"),
                    ));
                    report.complete = false;
                }
                None => {
                    report.errors.push(ErrorEntry::new(
                        Operation::StoreReport,
                        ErrorCode::DeadlineExceeded,
                        format!(
                            "the report could not be written to `{key}` before the invocation's deadline"
                        ),
                    ));
                    report.complete = false;
                }
            }
        }
        // the page beside the report, once the report is there (a bucket that does not
        // answer is not asked twice)
        if stored.is_some() {
            html_stored = store_html(&mut report, page, run, store, &key).await;
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
                min_severity: settings.min_severity,
                mode: settings.publish_mode,
                html_report: html_stored.as_deref(),
            };
            let messages = messages(&report, &info);
            let marker = published_key(&run.run_id);
            let earlier = match store {
                Some(store) => matches!(
                    within(step_deadline(run.end, 2), store.load(&marker)).await,
                    Some(Ok(Some(_)))
                ),
                None => false,
            };
            if earlier {
                tracing::info!(
                    run_id = %run.run_id,
                    marker = %marker,
                    "an earlier attempt of this run published its messages: not published again"
                );
                0
            } else {
                let sent = within(step_deadline(run.end, 3), sink.publish(&messages)).await;
                let sent = sent.unwrap_or_else(|| {
                    Err(format!(
                        "publishing {} message(s) did not finish before the invocation's deadline",
                        messages.len()
                    )
                    .into())
                });
                match sent {
                    Ok(n) => {
                        if let Some(store) = store {
                            mark_published(store, &marker, run, n).await;
                        }
                        n
                    }
                    Err(source) => {
                        // the latest state is not moved on: the next run finds these new again
                        return Err(RunError::Publish {
                            report: Box::new(report),
                            stored,
                            source,
                        });
                    }
                }
            }
        }
    };
    if let (Some(store), Some((key, json))) = (store, latest) {
        let failure = match within(step_deadline(run.end, 5), store.store(&key, json)).await {
            Some(Ok(_)) => None,
            Some(Err(e)) => Some((ErrorCode::StoreFailed, e.to_string())),
            None => Some((
                ErrorCode::DeadlineExceeded,
                "it did not answer before the invocation's deadline".to_string(),
            )),
        };
        if let Some((code, e)) = failure {
            report.errors.push(ErrorEntry::new(
                Operation::StoreReport,
                code,
                format!(
                    "the latest report could not be written to `{key}`: the next run compares with the one before: {e}"
                ),
            ));
            report.complete = false;
        }
    }
    connector_audit_core::audit::attribute_errors(&mut report);
    Ok(Outcome {
        report,
        published,
        stored,
        html: html_stored,
        page: page.clone(),
    })
}

/// Writes the report's HTML page beside its JSON (`key` with `.html`); returns where it went,
/// or records on the report why it did not.
async fn store_html(
    report: &mut Report,
    context: &HtmlContext,
    run: &Run,
    store: &dyn ReportStore,
    json_key: &str,
) -> Option<String> {
    let key = match json_key.strip_suffix(".json") {
        Some(stem) => format!("{stem}.html"),
        None => format!("{json_key}.html"),
    };
    let page = connector_audit_core::render::html::html(report, context);
    let failure = match within(
        step_deadline(run.end, 1),
        store.store(&key, page.into_bytes()),
    )
    .await
    {
        Some(Ok(location)) => return Some(location),
        Some(Err(e)) => (ErrorCode::StoreFailed, e.to_string()),
        None => (
            ErrorCode::DeadlineExceeded,
            "it did not answer before the invocation's deadline".to_string(),
        ),
    };
    report.errors.push(ErrorEntry::new(
        Operation::StoreReport,
        failure.0,
        format!(
            "the HTML report could not be written to `{key}`: {}",
            failure.1
        ),
    ));
    report.complete = false;
    None
}

/// Records on the report that (part of) the import into Security Hub failed.
fn hub_error(report: &mut Report, code: ErrorCode, message: String) {
    report
        .errors
        .push(ErrorEntry::new(Operation::ImportFindings, code, message));
    report.complete = false;
}

/// Imports the report's findings into Security Hub's default product of the account, with an
/// archiving update for each finding resolved since the previous report (without one: since
/// the findings Security Hub holds, read back with `GetFindings`). Counts what was imported in
/// `summary.security_hub`; whatever was refused is an error entry.
async fn to_hub(
    report: &mut Report,
    options: &AuditOptions,
    run: &Run,
    hub: &dyn FindingsHub,
    docs_url: Option<String>,
    deadline: Option<Instant>,
) {
    let Some(account) = report.account_id.clone() else {
        hub_error(
            report,
            ErrorCode::AccountUnknown,
            "the account is unknown: nothing was imported into Security Hub".to_string(),
        );
        return;
    };
    let target = hub.target();
    let ctx = AsffContext {
        partition: target.partition,
        region: target.region,
        account_id: account.clone(),
        run_id: run.run_id.clone(),
        now: connector_audit_core::audit::now_rfc3339(),
        docs_url,
    };
    let product_arn = ctx.product_arn();
    let mut findings = asff::findings(report, &ctx);
    if report.summary.changes.is_none() {
        // no previous report: what Security Hub holds of ours stands for it
        let ids: Vec<String> = connector_audit_core::rules::registry::RULES
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        match within(deadline, hub.active(&product_arn, &ids)).await {
            Some(Ok(active)) => {
                let resolved = asff::resolved_from_hub(report, options, &active, &ctx);
                findings.extend(resolved.iter().map(|r| asff::archived(report, r, &ctx)));
            }
            Some(Err(e)) => hub_error(
                report,
                ErrorCode::ImportFailed,
                format!(
                    "the findings Security Hub holds could not be read back, resolved ones were not archived: {e}"
                ),
            ),
            None => hub_error(
                report,
                ErrorCode::DeadlineExceeded,
                "the findings Security Hub holds could not be read back before the invocation's deadline".to_string(),
            ),
        }
    }
    // BatchImportFindings with the default product takes only the caller's own account's
    // findings: an organization's other accounts import theirs in their own runs
    let (own, others): (Vec<_>, Vec<_>) = findings
        .into_iter()
        .partition(|f| f.aws_account_id == account);
    if !others.is_empty() {
        tracing::info!(
            skipped = others.len(),
            "findings of other accounts are not imported into this account's Security Hub"
        );
    }
    let archiving: std::collections::BTreeSet<String> = own
        .iter()
        .filter(|f| f.record_state == "ARCHIVED")
        .map(|f| f.id.clone())
        .collect();
    let imported = match within(deadline, hub.import(&own)).await {
        Some(Ok(imported)) => imported,
        Some(Err(e)) => {
            hub_error(
                report,
                ErrorCode::ImportFailed,
                format!(
                    "{} finding(s) could not be imported into Security Hub: {e}",
                    own.len()
                ),
            );
            return;
        }
        None => {
            hub_error(
                report,
                ErrorCode::DeadlineExceeded,
                format!(
                    "{} finding(s) could not be imported into Security Hub before the invocation's deadline",
                    own.len()
                ),
            );
            return;
        }
    };
    let refused: std::collections::BTreeSet<&str> = imported
        .refused
        .iter()
        .map(|(id, _, _)| id.as_str())
        .collect();
    let archived = archiving
        .iter()
        .filter(|id| !refused.contains(id.as_str()))
        .count();
    let summary = SecurityHubImport {
        product_arn,
        imported: own
            .iter()
            .filter(|f| !archiving.contains(&f.id) && !refused.contains(f.id.as_str()))
            .count(),
        archived,
        failed: refused.len(),
    };
    for (id, code, message) in &imported.refused {
        hub_error(
            report,
            ErrorCode::ImportFailed,
            format!("Security Hub refused finding `{id}`: {code}: {message}"),
        );
    }
    report.summary.security_hub = Some(summary);
}

/// Records that the run's messages went out (a retry of the invocation reads it and does not
/// publish again). A marker that cannot be written is a warning in the log: the messages went.
async fn mark_published(store: &dyn ReportStore, marker: &str, run: &Run, sent: usize) {
    let body = serde_json::json!({"run_id": run.run_id, "published": sent, "generated_at": run.generated_at});
    let written = within(
        step_deadline(run.end, 4),
        store.store(marker, body.to_string().into_bytes()),
    )
    .await;
    if !matches!(written, Some(Ok(_))) {
        tracing::warn!(
            run_id = %run.run_id,
            marker = %marker,
            "the run published, but its marker could not be written: a retry of this invocation would publish again"
        );
    }
}

/// Records on the report that the previous one was not compared.
fn fail(report: &mut Report, code: ErrorCode, message: String) {
    report.errors.push(ErrorEntry::new(
        Operation::ReadPreviousReport,
        code,
        message,
    ));
    report.complete = false;
}

/// Reads the previous report of the account and scope, marks the findings new or known and
/// lists the resolved ones ([`connector_audit_core::baseline`]); returns the key and body of
/// the new latest report, written once the findings are published. Nothing is compared (and
/// nothing will be written) when the account is unknown, no role could be read, or the
/// previous report cannot be read: an error entry says so, and every finding is published.
async fn against_previous(
    report: &mut Report,
    options: &AuditOptions,
    store: &dyn ReportStore,
    deadline: Option<Instant>,
) -> Option<(String, Vec<u8>)> {
    // (an organization's report names its unaudited accounts, whose findings are kept)
    let inventory_failed = report.accounts.is_empty()
        && report
            .errors
            .iter()
            .any(ErrorEntry::is_account_wide_inventory_failure);
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
    let scope = connector_audit_core::baseline::scope_id(options, organization);
    let key = connector_audit_core::baseline::latest_key(&account, &scope);
    let Some(loaded) = within(deadline, store.load(&key)).await else {
        fail(
            report,
            ErrorCode::DeadlineExceeded,
            format!(
                "`{key}` could not be read before the invocation's deadline, findings were not compared"
            ),
        );
        return None;
    };
    let previous = match loaded {
        Ok(None) => None,
        Ok(Some(Stored { bytes, location })) => match serde_json::from_slice::<Report>(&bytes) {
            Ok(p) => Some((p, location)),
            Err(e) => {
                fail(
                    report,
                    ErrorCode::InvalidPreviousReport,
                    format!(
                        "`{location}` is not a connector-audit report ({e}): findings were not compared, and it is left as it is"
                    ),
                );
                return None;
            }
        },
        Err(e) => {
            fail(
                report,
                ErrorCode::PreviousReportUnreadable,
                format!("`{key}` could not be read, findings were not compared: {e}"),
            );
            return None;
        }
    };
    let (previous, location) = previous.map_or((None, None), |(p, l)| (Some(p), Some(l)));
    let latest =
        connector_audit_core::baseline::compare(report, previous.as_ref(), location, options);
    match serde_json::to_vec(&latest) {
        Ok(json) => Some((key, json)),
        Err(e) => {
            report.errors.push(ErrorEntry::new(
                Operation::StoreReport,
                ErrorCode::StoreFailed,
                format!("the latest report could not be encoded as JSON, it was not stored: {e}"),
            ));
            report.complete = false;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::app::fakes::{Hub, Memory, Roles, Shared};
    use crate::app::{Run, Services, Settings};
    use connector_audit_core::model::{ErrorCode, Inventory, Operation};
    use std::sync::Arc;

    fn settings() -> Settings {
        Settings {
            security_hub: true,
            ..Settings::default()
        }
    }

    /// A run with Security Hub on, keeping its reports in `store` when given.
    async fn run(
        roles: Roles,
        hub: &Hub,
        store: Option<&Arc<Memory>>,
    ) -> connector_audit_core::model::Report {
        let mut services = Services::new(roles);
        services.hub = Some(Box::new(hub.clone()));
        if let Some(memory) = store {
            services.store = Some(Box::new(Shared(memory.clone())));
        }
        crate::app::run(
            &settings(),
            &Run::new("r", "2026-01-01T00:00:00Z"),
            &services,
        )
        .await
        .unwrap()
        .report
    }

    /// The demo account without the role of its first finding.
    fn without_first_role(first: &str) -> Roles {
        let all = Roles::demo().0;
        let roles = all.roles.into_iter().filter(|r| r.name != first).collect();
        Roles(Inventory::new(roles, vec![]))
    }

    #[tokio::test]
    async fn findings_are_imported_and_resolved_ones_archived() {
        // the previous report read back from the store, or (without one) Security Hub asked
        let memory = Arc::new(Memory::default());
        for store in [None, Some(&memory)] {
            let hub = Hub::default();
            let first = run(Roles::demo(), &hub, store).await;
            let imported = first.summary.security_hub.clone().unwrap();
            assert_eq!(imported.imported, first.findings.len());
            assert_eq!(hub.findings.lock().unwrap().len(), first.findings.len());
            let gone = first.findings[0].role_name.clone();
            let second = run(without_first_role(&gone), &hub, store).await;
            let h = second.summary.security_hub.clone().unwrap();
            let resolved = first
                .findings
                .iter()
                .filter(|f| f.role_name == gone)
                .count();
            assert_eq!(h.archived, resolved, "store: {}", store.is_some());
            let held = hub.findings.lock().unwrap();
            for f in first.findings.iter().filter(|f| f.role_name == gone) {
                assert_eq!(held[&f.id].record_state, "ARCHIVED");
            }
            assert_eq!(
                held.values().filter(|f| f.record_state == "ACTIVE").count(),
                second.findings.len()
            );
        }
        // the HTML page is stored beside the report, each fix a diff of the current document
        let objects = memory.objects.lock().unwrap();
        let page = objects
            .iter()
            .find(|(k, _)| k.ends_with("/r.html"))
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
            .unwrap();
        assert!(page.contains("<ins>+ "), "no diff in the page");
    }

    #[tokio::test]
    async fn a_refused_finding_is_an_error_entry() {
        let probe = run(Roles::demo(), &Hub::default(), None).await;
        let hub = Hub {
            refuse: vec![probe.findings[0].id.clone()],
            ..Hub::default()
        };
        let report = run(Roles::demo(), &hub, None).await;
        let h = report.summary.security_hub.unwrap();
        assert_eq!((h.failed, h.imported), (1, report.findings.len() - 1));
        assert!(!report.complete);
        assert!(
            report
                .errors
                .iter()
                .any(|e| e.operation == Operation::ImportFindings
                    && e.code == ErrorCode::ImportFailed
                    && e.message.contains(&probe.findings[0].id))
        );
    }
}
