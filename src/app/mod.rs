//! The application service: ONE path for every live run, whoever starts it (the schedule, a
//! console event, an IAM change, an organization-wide run, the state machine's member run,
//! the CLI's `audit`). Each entry point builds [`Settings`] and a [`Run`], then calls
//! [`run`]: suppressions -> assess (one account, or the organization's accounts) -> merge ->
//! compare with the previous report -> store -> publish.
//!
//! - [`settings`]: every option, defined once, read in layers (environment -> event -> flags).
//! - [`ports`]: what a run needs from outside, as traits; `aws/` implements them.
//! - [`assess`]: one account: inventory, probes (bounded, within the deadline), trail, rules.
//! - [`organization`]: the organization's accounts, a few at once, merged into one report.
//! - [`deliver`]: new/known/resolved, store, publish, and the scope's latest report.
//! - [`progress`]: how far the long parts are, as events the CLI draws as a bar.

pub mod assess;
pub mod deliver;
#[cfg(test)]
pub(crate) mod fakes;
pub mod organization;
pub mod ports;
pub mod progress;
pub mod settings;

pub use ports::Services;
pub use settings::Settings;

use connector_audit_core::model::{IamChange, Report};
use connector_audit_core::org::Account;
use connector_audit_core::suppress::SuppressionSet;
use std::time::Instant;

/// Which accounts a run audits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The account the credentials belong to.
    ThisAccount,
    /// Every active account of the organization, through the org role (settings).
    Organization,
    /// One member account, through the org role (the state machine's runs, or a change in
    /// that account).
    Member(Account),
}

/// One run: what it covers and when it must be done. The options are in [`Settings`].
#[derive(Debug, Clone)]
pub struct Run {
    pub scope: Scope,
    /// The IAM change that asked for this run (its roles and policies are audited). Such a
    /// run that finds no connector role to audit, and no previous finding resolved,
    /// publishes nothing.
    pub change: Option<IamChange>,
    pub run_id: String,
    pub generated_at: String,
    /// When work must stop so that reporting and publishing still fit.
    pub deadline: Option<Instant>,
    /// When everything must be done: the invocation's own deadline less a short reserve for
    /// logging and answering. Storing and publishing share the time left after `deadline`,
    /// and stop here.
    pub end: Option<Instant>,
}

impl Run {
    /// A run of this account, now, with a fresh run id and no deadline.
    pub fn now() -> Run {
        Run::new(
            connector_audit_core::audit::new_run_id(),
            connector_audit_core::audit::now_rfc3339(),
        )
    }

    /// A run of this account with this id and time, no deadline.
    pub fn new(run_id: impl Into<String>, generated_at: impl Into<String>) -> Run {
        Run {
            scope: Scope::ThisAccount,
            change: None,
            run_id: run_id.into(),
            generated_at: generated_at.into(),
            deadline: None,
            end: None,
        }
    }
}

/// What a live run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub report: Report,
    /// Messages accepted by the sink (0 when not publishing).
    pub published: usize,
    /// Where the report was stored, when a store was given.
    pub stored: Option<String>,
    /// Where its HTML page was stored, beside it.
    pub html: Option<String>,
    /// What the page shows beyond the report (this account's roles' current documents and
    /// buckets; empty for an organization's run).
    pub page: connector_audit_core::render::html::HtmlContext,
}

/// A live run that could not finish. The report is kept, so that the caller can still return
/// or log it.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("publishing the findings failed: {source}")]
    Publish {
        report: Box<Report>,
        /// Where the report was stored before publishing failed, if it was.
        stored: Option<String>,
        #[source]
        source: ports::PortError,
    },
    #[error(
        "an organization's account was asked for (`org`, `account_id`) but ORG_AUDIT_ROLE_NAME is not set"
    )]
    NoOrganization,
}

/// The one run path: suppressions -> assess -> merge -> compare -> store -> publish.
pub async fn run(settings: &Settings, run: &Run, services: &Services) -> Result<Outcome, RunError> {
    let suppressions = match &services.suppressions {
        Some(source) => match assess::within(run.deadline, source.read()).await {
            Some(set) => set,
            None => SuppressionSet::unreadable(
                "the central suppressions file",
                connector_audit_core::model::ErrorCode::DeadlineExceeded,
                "it did not answer before the invocation's deadline".to_string(),
            ),
        },
        None => SuppressionSet::default(),
    };
    let options = settings.audit_options(run.change.as_ref(), suppressions);
    // the HTML page shows each fix as a diff of the role's current document: this account's
    // documents are at hand (the connector roles' only: a few)
    let mut page = connector_audit_core::render::html::HtmlContext::default();
    let mut report = match &run.scope {
        Scope::ThisAccount => {
            let collaborators = assess::Collaborators::of(services);
            let (report, context) = Box::pin(assess::account_and_page(
                &collaborators,
                settings,
                &options,
                run,
                true,
            ))
            .await;
            page = context;
            report
        }
        Scope::Organization | Scope::Member(_) => {
            let org = services
                .organization
                .as_deref()
                .ok_or(RunError::NoOrganization)?;
            let usage = services.usage.as_deref();
            match &run.scope {
                Scope::Member(account) => {
                    Box::pin(organization::member(
                        org,
                        usage,
                        account.clone(),
                        settings,
                        &options,
                        run,
                    ))
                    .await
                }
                _ => {
                    Box::pin(organization::every_account(
                        org, usage, settings, &options, run,
                    ))
                    .await
                }
            }
        }
    };
    report.change = run.change.clone();
    Box::pin(deliver::deliver_with_page(
        report, &page, settings, &options, run, services,
    ))
    .await
}
