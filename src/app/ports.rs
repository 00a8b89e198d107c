//! The ports of a live run: everything the application needs from outside, as small traits.
//! `aws/` implements them against AWS; tests implement them in memory. Nothing here names an
//! SDK type. The traits are object-safe (they return boxed futures), so that a run's
//! collaborators are plain values of one type, [`Services`], whoever built them.

use connector_audit_core::model::{ErrorEntry, Guardrails, Inventory, RoleProbe, UsageEvidence};
use connector_audit_core::notify::Message;
use connector_audit_core::org::{Account, Listing};
use connector_audit_core::probe::RolePlan;
use connector_audit_core::render::asff::AsffFinding;
use connector_audit_core::suppress::SuppressionSet;
use connector_audit_core::usage::UsageOptions;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// What every port returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A port's failure, as a person reads it (an AWS error keeps its code, message and request
/// id in its text).
pub type PortError = Box<dyn std::error::Error + Send + Sync>;

/// Where a run gets an account's roles (IAM).
pub trait RoleSource: Send + Sync {
    /// Every role of the account with its documents; per-role problems are error entries.
    fn inventory(&self) -> BoxFuture<'_, Result<Inventory, PortError>>;
}

/// Who probes roles with their own credentials (STS and S3).
pub trait Prober: Send + Sync {
    /// The ARN of the principal that assumes the roles.
    fn auditor(&self) -> BoxFuture<'_, Result<String, PortError>>;
    /// Probes one role; every failure is part of the result.
    fn probe<'a>(&'a self, plan: &'a RolePlan) -> BoxFuture<'a, RoleProbe>;
}

/// Where a run reads usage evidence (the CloudTrail trail in S3).
pub trait UsageSource: Send + Sync {
    /// Scans the window; never fails (what could not be read is in the errors).
    fn scan<'a>(
        &'a self,
        options: &'a UsageOptions,
        account: &'a str,
        today: time::Date,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, (UsageEvidence, Vec<ErrorEntry>)>;
}

/// Where a run keeps its report, and the scope's latest report (S3, `REPORT_BUCKET`).
pub trait ReportStore: Send + Sync {
    /// Writes `body` under `key`; returns where it went (e.g. `s3://bucket/key`).
    fn store<'a>(&'a self, key: &'a str, body: Vec<u8>)
    -> BoxFuture<'a, Result<String, PortError>>;
    /// Reads what is under `key` and where it is; `None` when nothing is.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, PortError>>;
}

/// What a [`ReportStore`] holds under a key, and where (`s3://bucket/key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub bytes: Vec<u8>,
    pub location: String,
}

/// Where a run sends its messages (SNS).
pub trait FindingSink: Send + Sync {
    /// Publishes every message or fails; returns how many were accepted.
    fn publish<'a>(&'a self, messages: &'a [Message]) -> BoxFuture<'a, Result<usize, PortError>>;
}

/// Where security teams triage: Security Hub (`SECURITY_HUB`), the account's default product.
pub trait FindingsHub: Send + Sync {
    /// The partition and region the findings are imported into (the product ARN's).
    fn target(&self) -> HubTarget;
    /// Imports the findings (`BatchImportFindings`, at most 100 a call); findings refused one
    /// by one are tried again a few times, and those still refused are returned.
    fn import<'a>(
        &'a self,
        findings: &'a [AsffFinding],
    ) -> BoxFuture<'a, Result<Imported, PortError>>;
    /// The active findings of `product_arn` that one of `generator_ids` made
    /// (`GetFindings`, every page).
    fn active<'a>(
        &'a self,
        product_arn: &'a str,
        generator_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<AsffFinding>, PortError>>;
}

/// Where a [`FindingsHub`] imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubTarget {
    pub partition: String,
    pub region: String,
}

/// What an import achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Findings accepted.
    pub accepted: usize,
    /// Findings refused after the retries: `(id, code, message)`.
    pub refused: Vec<(String, String, String)>,
}

/// Where the central suppressions come from (an S3 object read on every run, or a file the
/// CLI read before the run).
pub trait SuppressionsSource: Send + Sync {
    /// Never fails: a file that cannot be read suppresses nothing and is an error entry.
    fn read(&self) -> BoxFuture<'_, SuppressionSet>;
}

/// Suppressions already read.
impl SuppressionsSource for SuppressionSet {
    fn read(&self) -> BoxFuture<'_, SuppressionSet> {
        Box::pin(std::future::ready(self.clone()))
    }
}

/// Where a run gets the organization's accounts and the way into each (Organizations, STS).
pub trait Organization: Send + Sync {
    /// The organization's active accounts.
    fn accounts(&self) -> BoxFuture<'_, Result<Listing, PortError>>;
    /// The account's roles, as the org role sees them (the caller's own account: its own
    /// credentials). Fails when the account cannot be entered.
    fn enter<'a>(&'a self, account: &'a Account) -> BoxFuture<'a, Result<Member, PortError>>;
    /// The service and resource control policies over the account, root first; `None` for
    /// the management account, which neither kind affects.
    fn guardrails<'a>(
        &'a self,
        account: &'a Account,
    ) -> BoxFuture<'a, Result<Option<Guardrails>, PortError>>;
}

/// An entered account: where its roles come from and who probes them.
pub struct Member {
    pub roles: Box<dyn RoleSource>,
    pub prober: Box<dyn Prober>,
}

/// A run's collaborators: the roles' source and, when configured, the rest. Built once per
/// process (`aws::services`, or in memory by tests) and borrowed by every run.
pub struct Services {
    pub roles: Box<dyn RoleSource>,
    /// Used when the settings ask for probing.
    pub prober: Option<Box<dyn Prober>>,
    /// Used when the settings name a trail.
    pub usage: Option<Box<dyn UsageSource>>,
    pub store: Option<Box<dyn ReportStore>>,
    pub sink: Option<Box<dyn FindingSink>>,
    pub suppressions: Option<Box<dyn SuppressionsSource>>,
    /// Used when the settings ask for Security Hub.
    pub hub: Option<Box<dyn FindingsHub>>,
    /// The organization the credentials can list (entering a member account needs the org
    /// role of the settings).
    pub organization: Option<Box<dyn Organization>>,
}

impl Services {
    /// Only a source of roles: no probe, trail, store, sink, suppressions or organization.
    pub fn new(roles: impl RoleSource + 'static) -> Services {
        Services {
            roles: Box::new(roles),
            prober: None,
            usage: None,
            store: None,
            sink: None,
            suppressions: None,
            hub: None,
            organization: None,
        }
    }
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("prober", &self.prober.is_some())
            .field("usage", &self.usage.is_some())
            .field("store", &self.store.is_some())
            .field("sink", &self.sink.is_some())
            .field("suppressions", &self.suppressions.is_some())
            .field("hub", &self.hub.is_some())
            .field("organization", &self.organization.is_some())
            .finish_non_exhaustive()
    }
}
