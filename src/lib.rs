//! connector-audit: audits the IAM roles that customers hand to third-party S3 connectors.
//!
//! Two crates. The pure core, `connector-audit-core` (`crates/core`), decides: IAM JSON ->
//! [`model::RoleSnapshot`] -> [`rules`] -> [`model::Finding`]s -> [`model::Report`] ->
//! JSON / table / SARIF / OCSF / ASFF / HTML / SNS messages. It has no AWS SDK, tokio, clap or anyhow among
//! its dependencies, so purity is the compiler's to keep. This crate runs it:
//!
//! - [`app`]: the application service, the ONE path of a live run: [`app::Settings`] (every
//!   option once, environment -> event -> flags), [`app::ports`] (what a run needs from
//!   outside, as traits), [`app::run`] (suppressions -> assess -> merge -> compare -> store ->
//!   publish), probing within the deadline, organization fan-out.
//! - [`aws`]: the only module that names `aws_sdk_*` types: the ports implemented against
//!   IAM, STS, S3, SNS, Security Hub and Organizations ([`aws::services`] wires them to the settings).
//! - [`lambda`]: the function's events, handler and response.
//! - `bin/connector-audit.rs`: the thin CLI (`check`, `audit`, `render`, `rules`);
//!   `bin/bootstrap.rs`: the thin Lambda entry point.
//!
//! The core's modules are re-exported here under their own names ([`policy`], [`rules`],
//! [`audit`], [`dump`], [`probe`], [`usage`], [`suppress`], [`baseline`], [`org`],
//! [`notify`], [`render`], [`view`], [`parties`], [`fix`]); `crates/core/src/lib.rs` is their map.
//!
//! The engine on its own: `StringEqualsIfExists` does not enforce an external id.
//!
//! ```
//! use connector_audit::policy::{Policy, trust};
//!
//! let doc = r#"{"Statement": {"Effect": "Allow",
//!     "Principal": {"AWS": "arn:aws:iam::428641199958:role/vendor"},
//!     "Action": "sts:AssumeRole",
//!     "Condition": {"StringEqualsIfExists": {"sts:ExternalId": "GTWKRE6K"}}}}"#;
//! let policy = Policy::parse(doc)?;
//! let vendors = trust::foreign_principals(&policy, "123456789012", &[]);
//! assert_eq!(vendors.len(), 1);
//! assert_eq!(
//!     trust::external_id_gap(&policy, &vendors[0]),
//!     Some(trust::ExternalIdGap::Missing)
//! );
//! # Ok::<(), connector_audit::policy::PolicyError>(())
//! ```
//!
//! A whole audit, from a dump to a report:
//!
//! ```
//! use connector_audit::{audit, dump, model::Source};
//!
//! let dump = r#"{"RoleDetailList": [{"RoleName": "vendor", "Arn": "arn:aws:iam::123456789012:role/vendor",
//!     "Tags": [{"Key": "connector", "Value": "acme"}],
//!     "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"},
//!         "Action": "sts:AssumeRole"}}}]}"#;
//! let inventory = dump::parse_dump(dump)?;
//! let report = audit::audit(inventory, &audit::AuditOptions::default(), Source::File, audit::now_rfc3339());
//! assert_eq!(report.findings[0].rule, "trust-any-principal");
//! # Ok::<(), connector_audit::dump::DumpError>(())
//! ```

pub use connector_audit_core::{
    audit, baseline, dump, fix, model, notify, org, parties, policy, probe, render, rules,
    suppress, usage, view,
};

pub mod app;
pub mod aws;
pub mod lambda;
