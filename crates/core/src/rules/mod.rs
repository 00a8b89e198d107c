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
use crate::policy::condition::KeyState;
use crate::policy::principal::Caller;
use crate::policy::request::Policies;
use crate::policy::s3::{Bucket, S3Grant};
use crate::policy::trust::{external_id_gap, foreign_principals, pinned_external_ids};
use crate::policy::witness::{self, Witness};
use crate::policy::{Policy, Scenario, Statement};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Gives each finding whose rule has a fixer the corrected document of its policy: the fixes
/// of all the role's findings on that document, applied in statement order.
pub fn attach_fixes(views: &[RoleView<'_>], findings: &mut [Finding]) {
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if registry::find(&f.rule).is_some_and(|r| r.fix.is_some()) {
            groups
                .entry((f.role_arn.clone(), f.policy.to_string()))
                .or_default()
                .push(i);
        }
    }
    // each role's view looked up once per group, not searched for among all the views
    let by_arn: std::collections::HashMap<&str, &RoleView<'_>> =
        views.iter().map(|v| (v.snapshot.arn.as_str(), v)).collect();
    for indices in groups.values() {
        let Some(first) = indices.first().and_then(|i| findings.get(*i)) else {
            continue;
        };
        let Some(view) = by_arn.get(first.role_arn.as_str()).copied() else {
            continue;
        };
        let policy = first.policy.clone();
        let Some(mut doc) = crate::fix::original(view, &policy)
            .and_then(|t| crate::policy::decode::decode_document(t).ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        else {
            continue;
        };
        let before = doc.clone();
        let mut placeholders = Vec::new();
        let mut fixed = Vec::new();
        let mut order = indices.clone();
        order.sort_by_key(|i| {
            findings
                .get(*i)
                .and_then(|f| f.statement.as_ref().map(|s| s.index))
        });
        for i in &order {
            let Some(f) = findings.get(*i) else { continue };
            let Some(fixer) = registry::find(&f.rule).and_then(|r| r.fix) else {
                continue;
            };
            if let Some(wrote) = fixer(&crate::fix::FixInput { view, finding: f }, &mut doc) {
                placeholders.extend(wrote);
                fixed.push(*i);
            }
        }
        if doc == before || !crate::fix::compact(&mut doc) {
            continue;
        }
        placeholders.sort();
        placeholders.dedup();
        let fix = crate::model::Fix {
            policy,
            document: doc.into(),
            placeholders,
        };
        for i in &fixed {
            if let Some(f) = findings.get_mut(*i) {
                f.fix = Some(fix.clone());
            }
        }
    }
}

/// The condition keys of some policies' statements.
fn keys_of<'a>(policies: impl Iterator<Item = &'a (String, crate::policy::Policy)>) -> Vec<String> {
    policies
        .flat_map(|(_, p)| p.statements.iter())
        .flat_map(|s| s.conditions.iter())
        .map(|c| c.key.clone())
        .collect()
}

/// The grant a witness shows, of a finding's grants: the most telling action (reading an
/// object, listing, writing, deleting, changing the bucket's policy), else the first.
pub(crate) fn representative<'a>(grants: &[&'a S3Grant]) -> Option<&'a S3Grant> {
    const TELLING: &[&str] = &[
        "GetObject",
        "ListBucket",
        "PutObject",
        "DeleteObject",
        "PutBucketPolicy",
    ];
    TELLING
        .iter()
        .find_map(|name| grants.iter().find(|g| g.action.name == *name))
        .or_else(|| grants.first())
        .copied()
}

/// The finding with its witness request under `witness` in its evidence (left out when the
/// search found none).
pub(crate) fn witnessed(w: Option<Witness>, mut f: Finding) -> Finding {
    if let Some(w) = w {
        f.evidence = f.evidence.with_field("witness", &w);
    }
    f
}

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
    /// How to clear a finding in its document, for rules about a document
    /// ([`crate::fix`]).
    pub fix: Option<crate::fix::Fixer>,
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
        if let Some((confirmed, buckets)) = self.probe_confirmation(relevant) {
            finding.evidence = finding.evidence.with(|v| {
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("confirmed_by_probe".into(), confirmed.into());
                    obj.insert("probe_buckets".into(), serde_json::json!(buckets));
                }
            });
        }
    }

    /// The witness of a way into the role: `caller` asking for `action` on it, in a request
    /// the rule's `scenario` allows, that the trust policy (and the organization's resource
    /// control policies guarding it) let through. The caller's own account is taken to allow
    /// it (the adversary grants itself anything).
    pub fn trust_witness(
        &self,
        caller: Caller,
        action: &str,
        scenario: &Scenario,
    ) -> Option<Witness> {
        let trust = self.trust.as_ref().ok()?;
        let mut resource = trust.clone();
        let guard = resource.guard.take();
        let policies = Policies {
            identity: match caller {
                Caller::Aws { .. } => vec![witness::allow_all()],
                _ => Vec::new(),
            },
            resource: Some(resource),
            ..Policies::default()
        };
        let w = witness::find(&witness::Question {
            caller: caller.clone(),
            action,
            resource: &self.snapshot.arn,
            resource_account: self.account_id(),
            policies: &policies,
            scenario,
        })?;
        // the RCPs are not the evaluator's: ask them of the concrete request
        if let Some(g) = guard {
            let concrete = w.context.iter().fold(Scenario::new(), |s, (k, v)| {
                s.with(k, KeyState::Known(v.clone()))
            });
            let absent: Vec<String> = keys_of(g.rcps.levels.iter().flat_map(|l| l.policies.iter()))
                .into_iter()
                .filter(|k| concrete.get(k).is_none())
                .collect();
            let concrete = absent
                .iter()
                .fold(concrete, |s, k| s.with(k, KeyState::Absent));
            if g.rcps
                .denies(&g.role_arn, &caller, action, &concrete)
                .is_some()
            {
                return None;
            }
        }
        Some(w)
    }

    /// The witness of the role's own access: a session of the role asking for `action` on
    /// `resource` (a grant's witness ARN), allowed by its identity policies as written,
    /// within its permissions boundary and the organization's service control policies.
    pub fn access_witness(&self, action: &str, resource: &str) -> Option<Witness> {
        let policies = self.evaluated.get_or_init(|| Policies {
            identity: self
                .documents
                .iter()
                .filter_map(|(_, p)| p.as_ref().ok().cloned())
                .collect(),
            resource: None,
            boundary: self
                .boundary
                .as_ref()
                .and_then(|(_, p)| p.as_ref().ok().cloned()),
            scps: self.permissions.scp_levels(),
        });
        witness::find(&witness::Question {
            caller: Caller::Aws {
                arn: self.snapshot.arn.clone(),
                account: self.account_id().to_string(),
            },
            action,
            resource,
            resource_account: self.account_id(),
            policies,
            scenario: &Scenario::new(),
        })
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
            evidence: evidence.into(),
            remediation,
            suppressed: None,
            status: None,
            first_seen: None,
            fix: None,
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
        RuleContext::for_trusts(
            roles
                .iter()
                .filter_map(|r| r.trust.as_ref().ok().map(|t| (t, r.account_id()))),
            trusted_accounts,
        )
    }

    /// The same from the roles' trust policies (that parsed), each with its role's account.
    /// The policies may be borrowed or owned: owned ones are dropped one by one as read.
    pub fn for_trusts<'p, P: std::borrow::Borrow<Policy>>(
        trusts: impl IntoIterator<Item = (P, &'p str)>,
        trusted_accounts: Vec<String>,
    ) -> RuleContext {
        let mut external_id_accounts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (trust, account) in trusts {
            let trust: &Policy = trust.borrow();
            for fp in foreign_principals(trust, account, &trusted_accounts) {
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
        run_role(role, ctx, &mut findings);
    }
    findings
}

/// Every rule on one role (the audit checks its deadline between roles).
pub fn run_role(role: &RoleView<'_>, ctx: &RuleContext, findings: &mut Vec<Finding>) {
    for rule in registry::RULES {
        (rule.check)(role, ctx, findings);
    }
}

/// The actions (qualified, e.g. `s3:DeleteObject`) and the buckets (`*` when the resource
/// names none) of some grants, in order.
pub(crate) fn actions_and_buckets(grants: &[&S3Grant]) -> (BTreeSet<String>, BTreeSet<String>) {
    let actions = grants.iter().map(|g| g.action.qualified()).collect();
    let buckets = grants
        .iter()
        .map(|g| match &g.bucket {
            Bucket::Named(b) => b.to_string(),
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
                    document: (*d).into(),
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
            document: boundary.into(),
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
