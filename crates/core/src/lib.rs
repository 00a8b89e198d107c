//! connector-audit's pure core: everything that decides, nothing that fetches. No AWS SDK, no
//! tokio, no I/O beyond `std::io::Read` handed in; its dependencies say so, and the compiler
//! holds it to that. Data flows one way:
//! IAM JSON (a dump, or what the application fetched) -> [`model::RoleSnapshot`] ->
//! [`view::RoleView`] -> [`rules`] -> [`model::Finding`]s -> [`model::Report`] -> renderings.
//!
//! - [`model`]: plain data shared by every layer (snapshots, findings, errors, the report
//!   contract, account ids and role names). A leaf: it imports nothing of this crate.
//! - [`policy`]: the policy engine. IAM JSON in any legal shape -> checked model -> answers to
//!   "may this caller assume the role?" and "which buckets can it reach with A?".
//! - [`parties`]: who is behind every way into a role: accounts named by the embedded list of
//!   known AWS accounts (or as yours, declared or unknown), identity providers by their issuer.
//! - [`view`]: a role ready for the rules: documents parsed once, permissions analysed.
//! - [`rules`]: one file per rule, listed once in `rules/registry.rs`; ids are a contract.
//! - [`fix`]: the corrected document for each finding about a document (each rule's fixer,
//!   combined per document), with placeholders for what only the team knows.
//! - [`audit`]: the audit itself: select connector roles, run the rules, build the report.
//! - [`cores`]: work split over the machine's cores, results in order.
//! - [`dump`]: reads `aws iam get-account-authorization-details` output into an inventory.
//! - [`probe`]: the probe's plan: session policy, keys, buckets in scope, predictions.
//! - [`usage`]: where a trail's (or an organization trail's) log files are, read record by
//!   record and leniently; successful and refused deletes and last activity by role; coverage.
//! - [`suppress`]: accepted findings: the `connector-audit-ignore` tag, the central file.
//! - [`baseline`]: new, known and resolved findings against the previous report.
//! - [`org`]: an organization's accounts, and their reports merged into one.
//! - [`notify`]: the report as SNS messages (one per finding, one summary), sized for SNS.
//! - [`render`]: table, JSON, SARIF 2.1.0, OCSF, ASFF (Security Hub), a self-contained HTML page.
//!
//! The engine on its own: `StringEqualsIfExists` does not enforce an external id.
//!
//! ```
//! use connector_audit_core::policy::{Policy, trust};
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
//! # Ok::<(), connector_audit_core::policy::PolicyError>(())
//! ```
//!
//! A whole audit, from a dump to a report:
//!
//! ```
//! use connector_audit_core::{audit, dump, model::Source};
//!
//! let dump = r#"{"RoleDetailList": [{"RoleName": "vendor", "Arn": "arn:aws:iam::123456789012:role/vendor",
//!     "Tags": [{"Key": "connector", "Value": "acme"}],
//!     "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"},
//!         "Action": "sts:AssumeRole"}}}]}"#;
//! let inventory = dump::parse_dump(dump)?;
//! let report = audit::audit(inventory, &audit::AuditOptions::default(), Source::File, audit::now_rfc3339());
//! assert_eq!(report.findings[0].rule, "trust-any-principal");
//! # Ok::<(), connector_audit_core::dump::DumpError>(())
//! ```

pub mod audit;
pub mod baseline;
pub mod cores;
pub mod dump;
pub mod fix;
pub mod model;
pub mod notify;
pub mod org;
pub mod parties;
pub mod policy;
pub mod probe;
pub mod render;
pub mod rules;
pub mod suppress;
pub mod usage;
pub mod view;
