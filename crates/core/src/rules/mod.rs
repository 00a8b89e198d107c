//! The rules: one file per rule, each with its documentation, id, severity and check, and
//! its own tests; [`registry`] lists them once. A rule sees a [`RoleView`] (the role with
//! its documents parsed and its S3 permissions analysed) and the run's [`RuleContext`], and
//! pushes [`Finding`]s. PURE: rules never touch JSON or AWS.

pub mod registry;

mod permissions_admin;
mod permissions_beyond_connector;
mod permissions_privilege_escalation;
mod policy_unparseable;
mod probe_out_of_scope_access;
mod probe_static_mismatch;
mod probe_unavailable;
mod role_unused;
mod s3_bucket_admin;
mod s3_denied_delete;
mod s3_unexpected_delete;
mod s3_unused_delete;
mod s3_wildcard_bucket;
mod suppression_expired;
mod trust_any_principal;
mod trust_confused_deputy;
mod trust_missing_external_id;
mod trust_unknown_account;
mod trust_unscoped_federation;
mod trust_vendor_mismatch;
mod trust_weak_external_id;

pub use crate::view::RoleView;

use crate::model::{Finding, PolicyRef, Severity, StatementRef};
use crate::parties::Resolver;
use crate::parties::known::KnownAccounts;
use crate::policy::Statement;
use crate::policy::s3::{Bucket, S3Grant};
use crate::policy::trust::{external_id_gap, foreign_principals, pinned_external_ids};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// A rule: its contract (id, default severity), its documentation and its check.
pub struct Rule {
    /// Stable id naming the bad pattern. Never renamed: users filter and suppress on it.
    pub id: &'static str,
    /// Default severity (a finding may raise or lower it where the rule says so).
    pub severity: Severity,
    /// One line for listings.
    pub title: &'static str,
    /// What it flags / Why it matters / Example / Fix, printed by `connector-audit rules ID`.
    pub doc: &'static str,
    pub check: fn(&RoleView<'_>, &RuleContext, &mut Vec<Finding>),
}

impl RoleView<'_> {
    /// Does the probe confirm what a rule read in the documents? Among the probe's requests
    /// that `relevant` picks: `Some((true, buckets))` when some were allowed (on those
    /// buckets), `Some((false, []))` when all were refused, `None` when there were none.
    pub fn probe_confirmation(
        &self,
        relevant: impl Fn(&crate::model::ProbeCheck) -> bool,
    ) -> Option<(bool, BTreeSet<String>)> {
        let probe = self.probe.filter(|p| p.assumed)?;
        let checks: Vec<_> = probe.checks.iter().filter(|c| relevant(c)).collect();
        if checks.is_empty() {
            return None;
        }
        let reached: BTreeSet<String> = checks
            .iter()
            .filter(|c| c.outcome == crate::model::Outcome::Allowed)
            .map(|c| c.bucket.clone())
            .collect();
        Some((!reached.is_empty(), reached))
    }

    /// Adds `confirmed_by_probe` (and `probe_buckets`) to a finding's evidence.
    pub(crate) fn add_probe_evidence(
        &self,
        finding: &mut Finding,
        relevant: impl Fn(&crate::model::ProbeCheck) -> bool,
    ) {
        if let (Some((confirmed, buckets)), Some(obj)) = (
            self.probe_confirmation(relevant),
            finding.evidence.as_object_mut(),
        ) {
            obj.insert("confirmed_by_probe".into(), confirmed.into());
            obj.insert("probe_buckets".into(), serde_json::json!(buckets));
        }
    }

    /// A finding of `rule` on this role, with its stable id.
    pub fn finding(
        &self,
        rule: &Rule,
        policy: PolicyRef,
        statement: Option<&Statement>,
        message: String,
        evidence: serde_json::Value,
        remediation: String,
    ) -> Finding {
        let statement = statement.map(|s| StatementRef {
            index: s.index,
            sid: s.sid.clone(),
        });
        let id = fingerprint(rule.id, &self.snapshot.arn, &policy, statement.as_ref(), "");
        Finding {
            id,
            rule: rule.id.to_string(),
            severity: rule.severity,
            role_name: self.snapshot.name.clone(),
            role_arn: self.snapshot.arn.clone(),
            policy,
            statement,
            message,
            evidence,
            remediation,
            suppressed: None,
            status: None,
            first_seen: None,
        }
    }
}

/// A finding that one (policy, statement) can yield several times: `key` (e.g. a bucket and
/// an action) keeps their ids apart. An empty key keeps the id [`RoleView::finding`] gave.
pub(crate) fn keyed(mut finding: Finding, key: &str) -> Finding {
    finding.id = fingerprint(
        &finding.rule,
        &finding.role_arn,
        &finding.policy,
        finding.statement.as_ref(),
        key,
    );
    finding
}

/// `sha256(rule | role | policy | statement [| key])`, first 16 hex digits.
fn fingerprint(
    rule: &str,
    role_arn: &str,
    policy: &PolicyRef,
    st: Option<&StatementRef>,
    key: &str,
) -> String {
    let mut h = Sha256::new();
    let statement = st.map(|s| s.index.to_string()).unwrap_or_default();
    for part in [rule, role_arn, &policy.to_string(), &statement] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    if !key.is_empty() {
        h.update(key.as_bytes());
        h.update([0u8]);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A suppression of a role whose `until` day has passed (it no longer applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredSuppression {
    /// The rule it suppressed.
    pub rule: String,
    /// Where it is written (`tag:connector-audit-ignore`, `file:<source>#<entry>`).
    pub by: String,
    /// Its last day, `YYYY-MM-DD`.
    pub until: String,
    pub reason: Option<String>,
}

/// What the rules know about the whole run.
#[derive(Debug, Clone, Default)]
pub struct RuleContext {
    /// Accounts the user declared as their own (`--trusted-account`).
    pub trusted_accounts: Vec<String>,
    /// For each enforced external id value: the foreign accounts trusted with it, over all roles.
    pub external_id_accounts: BTreeMap<String, BTreeSet<String>>,
    /// The principal that probed the roles, when the run probed.
    pub auditor_arn: Option<String>,
    /// What the CloudTrail trail says of deletes, when it was read.
    pub usage: Option<crate::model::UsageEvidence>,
    /// The look-back window of usage rules, in days (set by a trail or `--lookback-days`).
    pub lookback_days: Option<u32>,
    /// The run's date (UTC).
    pub today: Option<time::Date>,
    /// The suppressions of each role (tag and central file) that are past their `until`
    /// day, by role ARN.
    pub expired_suppressions: BTreeMap<String, Vec<ExpiredSuppression>>,
    /// The list of known AWS accounts (none when it could not be read: then no account is
    /// named by it, and the rules that judge accounts by it stay silent).
    pub known_accounts: Option<&'static KnownAccounts>,
}

impl RuleContext {
    /// Builds the context for a set of roles (the external-id index spans all of them).
    pub fn new(roles: &[RoleView<'_>], trusted_accounts: Vec<String>) -> RuleContext {
        let mut external_id_accounts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for role in roles {
            let Ok(trust) = &role.trust else { continue };
            for fp in foreign_principals(trust, role.account_id(), &trusted_accounts) {
                if external_id_gap(trust, &fp).is_some() {
                    continue;
                }
                for value in pinned_external_ids(fp.statement) {
                    external_id_accounts
                        .entry(value.to_string())
                        .or_default()
                        .insert(fp.account.to_string());
                }
            }
        }
        RuleContext {
            trusted_accounts,
            external_id_accounts,
            auditor_arn: None,
            usage: None,
            lookback_days: None,
            today: None,
            expired_suppressions: BTreeMap::new(),
            known_accounts: KnownAccounts::embedded().ok(),
        }
    }

    /// Names the parties of `role` (see [`crate::parties`]).
    pub fn resolver<'a>(&'a self, role: &'a RoleView<'_>) -> Resolver<'a> {
        Resolver {
            own_account: role.account_id(),
            trusted: &self.trusted_accounts,
            known: self.known_accounts,
            vendor_tag: role.vendor_tag(),
        }
    }
}

/// Runs every registered rule on every role.
pub fn run_all(roles: &[RoleView<'_>], ctx: &RuleContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    for role in roles {
        for rule in registry::RULES {
            (rule.check)(role, ctx, &mut findings);
        }
    }
    findings
}

/// The actions (qualified, e.g. `s3:DeleteObject`) and the buckets (`*` when the resource
/// names none) of some grants, in order.
pub(crate) fn actions_and_buckets(grants: &[&S3Grant]) -> (BTreeSet<String>, BTreeSet<String>) {
    let actions = grants.iter().map(|g| g.action.qualified()).collect();
    let buckets = grants
        .iter()
        .map(|g| match &g.bucket {
            Bucket::Named(b) => b.clone(),
            Bucket::Unnamed => "*".to_string(),
        })
        .collect();
    (actions, buckets)
}

/// The statement's label for messages: `statement 2 (Sid "AllowVendor")`.
pub(crate) fn statement_label(s: &Statement) -> String {
    match &s.sid {
        Some(sid) => format!("statement {} (Sid `{sid}`)", s.index),
        None => format!("statement {}", s.index),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builders shared by the rules' tests.
    use super::*;
    use crate::model::{NamedDocument, RoleSnapshot};

    pub const ACCOUNT: &str = "123456789012";

    pub fn role(trust: &str, inline: &[&str], tags: &[(&str, &str)]) -> RoleSnapshot {
        RoleSnapshot {
            name: "connector-role".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role/connector-role"),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            trust: trust.into(),
            inline: inline
                .iter()
                .enumerate()
                .map(|(i, d)| NamedDocument {
                    name: format!("p{i}"),
                    document: d.to_string(),
                })
                .collect(),
            managed: vec![],
            boundary: None,
            last_used: None,
        }
    }

    /// The role with this permissions boundary document.
    pub fn bounded(mut role: RoleSnapshot, boundary: &str) -> RoleSnapshot {
        role.boundary = Some(NamedDocument {
            name: format!("arn:aws:iam::{ACCOUNT}:policy/connector-boundary"),
            document: boundary.to_string(),
        });
        role
    }

    /// A same-account trust: no trust findings.
    pub const SAME_ACCOUNT_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::123456789012:role/OnyxEC2Role"},"Action":"sts:AssumeRole"}]}"#;

    /// Runs one rule on one role (with a context built from that role alone).
    pub fn check(rule: &Rule, snapshot: &RoleSnapshot) -> Vec<Finding> {
        check_many(rule, std::slice::from_ref(snapshot), &[])
    }

    pub fn check_many(rule: &Rule, snapshots: &[RoleSnapshot], trusted: &[&str]) -> Vec<Finding> {
        let views: Vec<RoleView<'_>> = snapshots.iter().map(RoleView::new).collect();
        let ctx = RuleContext::new(&views, trusted.iter().map(|s| s.to_string()).collect());
        let mut out = Vec::new();
        for v in &views {
            (rule.check)(v, &ctx, &mut out);
        }
        out
    }

    /// A fixture of a seed vendor (the workspace's `tests/fixtures/seeds/<vendor>-<kind>.json`).
    pub fn seed(vendor: &str, kind: &str) -> String {
        let path = format!(
            "{}/../../tests/fixtures/seeds/{vendor}-{kind}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Each seed vendor's role exactly as its guide writes it, with a plausible access tag.
    pub fn seed_roles() -> Vec<(&'static str, RoleSnapshot)> {
        [
            ("onyx", "read"),
            ("amazon-q", "read"),
            ("upsolver", "full"),
            ("milvus", "full"),
            ("google-datasync", "append"),
        ]
        .into_iter()
        .map(|(vendor, access)| {
            let trust = seed(vendor, "trust");
            let perms = seed(vendor, "permissions");
            (
                vendor,
                role(
                    &trust,
                    &[&perms],
                    &[("connector", vendor), ("connector-access", access)],
                ),
            )
        })
        .collect()
    }
}
