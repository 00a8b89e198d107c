//! The policy engine. IAM JSON in, a checked model out, and the questions the rules ask of
//! it: "may this caller assume the role?", "which buckets can the role reach with action A?".
//! PURE: no AWS SDK, no tokio, no I/O; every function is deterministic.
//!
//! - [`decode`]: URL-encoded or plain document text.
//! - [`document`]: the model ([`Policy`], [`Statement`]) and its parser; `typed` its
//!   one-pass reading of well-formed documents.
//! - [`principal`], [`condition`], [`wildcard`]: the parts of a statement and their matching.
//! - [`eval`]: statement applicability and decisions under a [`Scenario`].
//! - [`request`]: one concrete request (caller, action, resource, context) and AWS's decision
//!   on it across identity-based policies, trust policy, permissions boundary and SCPs: the
//!   ground truth the differential test checks against an independent simulator.
//! - [`trust`]: external ids and foreign principals; [`s3`]: effective S3 permissions over
//!   the [`s3_actions`] of the reference.
//! - [`service_reference`]: the AWS Service Authorization Reference for every service (access
//!   levels, resource types, condition keys), embedded and read lazily.
//! - [`reach`]: any action of any service, decided on witness resources like S3's;
//!   [`escalation`]: the published privilege-escalation paths and which ones a role makes.

pub mod adversary;
pub mod condition;
pub mod decode;
pub mod document;
pub mod duplicates;
pub mod escalation;
pub mod eval;
pub mod guardrails;
pub mod principal;
pub mod reach;
pub mod request;
pub mod s3;
pub mod s3_actions;
pub mod service_reference;
pub mod services;
pub mod trust;
mod typed;
pub mod variables;
pub mod wildcard;
pub mod witness;

pub use document::{Clause, Effect, Policy, Statement};
pub use eval::{Decision, Request, Scenario};

/// Why a policy document could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("document is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("document is not valid URL encoding: {0}")]
    Encoding(String),
    #[error("document is not valid JSON: {message} at line {line}, column {column}")]
    Json {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("`{path}`: {message}")]
    Shape { path: String, message: String },
}
