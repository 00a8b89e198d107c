//! connector-audit: audits the IAM roles that customers hand to third-party S3 connectors.
//!
//! Data flows one way: IAM (or a dump file) -> [`model::RoleSnapshot`] -> [`rules`] ->
//! [`model::Finding`]s -> [`model::Report`] -> JSON / table / SARIF / OCSF.
//!
//! - [`model`]: plain data shared by every layer (snapshots, findings, the report contract).
//! - [`policy`]: the pure policy engine. IAM JSON in any legal shape -> checked model ->
//!   answers to "may this caller assume the role?" and "which buckets can it reach with A?",
//!   with IAM's condition semantics (`IfExists`, set qualifiers, negated operators, Deny).
//! - [`rules`]: one file per rule, listed once in `rules/registry.rs`; ids are a contract.
//! - [`dump`]: reads `aws iam get-account-authorization-details` output into an inventory.
//! - [`probe`]: the probe's pure half: the session policy that confines it, keys under
//!   `connector-audit-probe/`, the buckets in scope, the engine's predictions, reading answers.
//! - [`usage`]: usage evidence: the look-back window, CloudTrail log files read record by
//!   record, deletes by role, coverage.
//! - [`suppress`]: accepted findings: the `connector-audit-ignore` tag's grammar, the central
//!   suppressions file, expiry.
//! - [`audit`]: orchestration: select connector roles by tag, probe them (bounded, within a
//!   deadline), run the rules, build the report; [`audit::Live`] is the whole live run
//!   (inventory, probe, rules, store the report, publish).
//! - [`baseline`]: new, known and resolved findings against the previous report of the same
//!   account and scope.
//! - [`org`]: organization-wide runs: list the accounts, enter each through the org role (a
//!   few at once, within the deadline), assess it as above, and merge the accounts' reports
//!   into one with a section per account (stored and published once).
//! - [`render`]: the report as a table for people, JSON for machines, SARIF 2.1.0 for code
//!   scanning ([`render::sarif`]), OCSF Detection Findings for security lakes ([`render::ocsf`]).
//! - [`notify`]: the report as SNS messages (one per finding, one summary), sized for SNS.
//! - [`aws`]: the only module that names `aws_sdk_*` types: IAM inventory, the probe's
//!   AssumeRole and S3 requests, reading the CloudTrail trail, SNS publishing, Organizations
//!   ListAccounts and the member accounts' credentials.
//! - [`lambda`]: the function's configuration, the events it accepts, and its handler.
//! - `bin/connector-audit.rs`: the thin CLI (`check`, `audit`, `rules`);
//!   `bin/bootstrap.rs`: the thin Lambda entry point.
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

pub mod audit;
pub mod aws;
pub mod baseline;
pub mod dump;
pub mod lambda;
pub mod model;
pub mod notify;
pub mod org;
pub mod policy;
pub mod probe;
pub mod render;
pub mod rules;
pub mod suppress;
pub mod usage;
