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

use super::assess::within;
use super::ports::{ReportStore, Services, Stored};
use super::settings::Settings;
use super::{Outcome, Run, RunError};
use connector_audit_core::audit::{AuditOptions, report_key};
use connector_audit_core::model::{ErrorCode, ErrorEntry, Operation, Report};
use connector_audit_core::notify::{RunInfo, messages};
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
/// reading the publication marker, publishing, writing the marker, writing the latest report.
const WEIGHTS: [u32; 6] = [1, 1, 1, 3, 1, 1];

/// The deadline of step `i` of [`WEIGHTS`]: its share of the time left until `end`.
fn step_deadline(end: Option<Instant>, i: usize) -> Option<Instant> {
    let end = end?;
    let left: u32 = WEIGHTS.iter().skip(i).sum();
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
    mut report: Report,
    settings: &Settings,
    options: &AuditOptions,
    run: &Run,
    services: &Services,
) -> Result<Outcome, RunError> {
    let store = services.store.as_deref();
    let sink = services.sink.as_deref().filter(|_| settings.publish);
    let mut stored = None;
    let mut latest = None;
    if let Some(store) = store {
        latest = against_previous(&mut report, options, store, step_deadline(run.end, 0)).await;
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
    })
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
