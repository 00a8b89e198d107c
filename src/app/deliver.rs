//! Compare -> store -> publish -> move the latest state on. With a store, findings are marked
//! new or known against the previous report of the account and scope; the report is stored
//! before publishing, so that it survives a publishing failure; a summary is published even
//! when nothing was found, so that subscribers hear of every run; and the scope's latest
//! report is replaced only once publishing succeeded, so that a failed run's new findings are
//! new again next time.

use super::ports::{ReportStore, Services, Stored};
use super::settings::Settings;
use super::{Outcome, Run, RunError};
use connector_audit_core::audit::{AuditOptions, report_key};
use connector_audit_core::model::{ErrorCode, ErrorEntry, Operation, Report};
use connector_audit_core::notify::{RunInfo, messages};

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
        latest = against_previous(&mut report, options, store).await;
        let key = report_key(&report.generated_at, &run.run_id);
        if let Some(json) = encode(&mut report, "report") {
            match store.store(&key, json).await {
                Ok(location) => stored = Some(location),
                Err(e) => {
                    report.errors.push(ErrorEntry::new(
                        Operation::StoreReport,
                        ErrorCode::StoreFailed,
                        format!("the report could not be written to `{key}`: {e}"),
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
            match sink.publish(&messages).await {
                Ok(n) => n,
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
    };
    if let (Some(store), Some((key, json))) = (store, latest)
        && let Err(e) = store.store(&key, json).await
    {
        report.errors.push(ErrorEntry::new(
            Operation::StoreReport,
            ErrorCode::StoreFailed,
            format!(
                "the latest report could not be written to `{key}`: the next run compares with the one before: {e}"
            ),
        ));
        report.complete = false;
    }
    connector_audit_core::audit::attribute_errors(&mut report);
    Ok(Outcome {
        report,
        published,
        stored,
    })
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
    let previous = match store.load(&key).await {
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
