//! connector-audit: audits the IAM roles that customers hand to third-party S3 connectors.
//!
//! Data flows one way: IAM (or a dump file) -> [`model::RoleSnapshot`] -> [`rules`] ->
//! [`model::Finding`]s -> [`model::Report`] -> JSON / table.
//!
//! - [`model`]: plain data shared by every layer (snapshots, findings, the report contract).
//! - [`policy`]: the pure policy engine. IAM JSON in any legal shape -> checked model ->
//!   answers to "may this caller assume the role?" and "which buckets can it reach with A?",
//!   with IAM's condition semantics (`IfExists`, set qualifiers, negated operators, Deny).
//! - [`rules`]: one file per rule, listed once in `rules/registry.rs`; ids are a contract.
//! - [`dump`]: reads `aws iam get-account-authorization-details` output into an inventory.
//! - [`audit`]: orchestration: select connector roles by tag, run the rules, build the report.
//! - [`render`]: the report as a table for people or JSON for machines.
//! - `bin/connector-audit.rs`: the thin CLI (`check`, `rules`).

pub mod audit;
pub mod dump;
pub mod model;
pub mod policy;
pub mod render;
pub mod rules;
