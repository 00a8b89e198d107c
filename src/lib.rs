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
//! [`audit`], [`cores`], [`dump`], [`probe`], [`usage`], [`suppress`], [`baseline`], [`org`],
//! [`notify`], [`render`], [`view`], [`parties`], [`fix`]); `crates/core/src/lib.rs` is their map.
//!
//! Examples of the engine on its own, and of a whole audit from a dump to a report, are in
//! `crates/core/src/lib.rs` (doc tests that link the core alone, not the AWS SDK).

pub use connector_audit_core::{
    audit, baseline, cores, dump, fix, model, notify, org, parties, policy, probe, render, rules,
    suppress, usage, view,
};

pub mod app;
pub mod aws;
pub mod lambda;
