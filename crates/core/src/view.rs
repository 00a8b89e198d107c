//! A role ready for the rules and the probe: its documents parsed once, its S3 permissions
//! analysed, its `connector-access` tag read, and what the probe saw. PURE.

use crate::model::{Access, PolicyRef, RoleProbe, RoleSnapshot};
use crate::policy::guardrails::{Controls, TrustGuard, role_scenario};
use crate::policy::reach::Reach;
use crate::policy::s3::{Permissions, S3Grant};
use crate::policy::trust::lets_outsiders;
use crate::policy::{Policy, PolicyError, Statement};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A role ready for the rules.
pub struct RoleView<'a> {
    pub snapshot: &'a RoleSnapshot,
    pub trust: Result<Policy, PolicyError>,
    /// Every identity document with its parse result, in snapshot order (inline, then managed).
    pub documents: Vec<(PolicyRef, Result<Policy, PolicyError>)>,
    /// The permissions boundary with its parse result. One that does not parse is reported
    /// (`policy-unparseable`) and ignored: without it the role can only do more.
    pub boundary: Option<(PolicyRef, Result<Policy, PolicyError>)>,
    /// The effective permissions of the documents that parsed.
    pub permissions: Permissions,
    /// `PolicyRef` of each policy in `permissions.policies()`, same order.
    pub(crate) permission_refs: Vec<PolicyRef>,
    /// The `connector-access` tag, when present and valid.
    pub access: Option<Access>,
    /// What the probe saw with the role's credentials, when the run probed.
    pub probe: Option<&'a RoleProbe>,
    /// The role's policies as the request evaluator takes them (for witnesses), built once.
    pub(crate) evaluated: std::sync::OnceLock<crate::policy::request::Policies>,
}

impl<'a> RoleView<'a> {
    /// Parses the role's documents and analyses its permissions.
    pub fn new(snapshot: &'a RoleSnapshot) -> RoleView<'a> {
        RoleView::within(snapshot, None)
    }

    /// The same, under the organization's guardrails over the role's account: its SCPs bound
    /// the role's permissions, its RCPs guard the trust policy.
    pub fn within(snapshot: &'a RoleSnapshot, controls: Option<&Controls>) -> RoleView<'a> {
        let trust = Policy::parse(&snapshot.trust).map(|mut t| {
            if let Some(c) = controls.filter(|c| !c.rcps.is_empty()) {
                t.guard = Some(Arc::new(TrustGuard {
                    role_arn: snapshot.arn.clone(),
                    rcps: c.rcps.clone(),
                }));
            }
            t
        });
        let documents: Vec<(PolicyRef, Result<Policy, PolicyError>)> = snapshot
            .inline
            .iter()
            .map(|d| {
                (
                    PolicyRef::Inline(d.name.clone()),
                    Policy::parse(&d.document),
                )
            })
            .chain(snapshot.managed.iter().map(|d| {
                (
                    PolicyRef::Managed(d.name.clone()),
                    Policy::parse(&d.document),
                )
            }))
            .collect();
        // policy variables resolve to what the connector can make them
        let variables = crate::policy::variables::Context {
            account: snapshot.account_id().to_string(),
            role_arn: snapshot.arn.clone(),
            tags: snapshot.tags.clone(),
            caller_tags_sessions: trust
                .as_ref()
                .is_ok_and(|t| lets_outsiders(t, snapshot.account_id(), "sts:TagSession")),
            caller_sets_source_identity: trust
                .as_ref()
                .is_ok_and(|t| lets_outsiders(t, snapshot.account_id(), "sts:SetSourceIdentity")),
        };
        let (permission_refs, parsed): (Vec<PolicyRef>, Vec<Policy>) = documents
            .iter()
            .filter_map(|(r, p)| {
                p.as_ref()
                    .ok()
                    .map(|p| (r.clone(), variables.resolve_policy(p)))
            })
            .unzip();
        let access = snapshot
            .tags
            .get(Access::TAG)
            .and_then(|v| Access::parse(v));
        let boundary = snapshot.boundary.as_ref().map(|b| {
            (
                PolicyRef::Boundary(b.name.clone()),
                Policy::parse(&b.document),
            )
        });
        let limit = boundary
            .as_ref()
            .and_then(|(_, p)| p.as_ref().ok())
            .map(|p| variables.resolve_policy(p));
        RoleView {
            snapshot,
            trust,
            documents,
            boundary,
            permissions: match controls {
                Some(c) => Permissions::within(parsed, limit).limit(
                    c.scps.clone(),
                    role_scenario(&snapshot.arn, snapshot.account_id()),
                ),
                None => Permissions::within(parsed, limit),
            },
            permission_refs,
            access,
            probe: None,
            evaluated: std::sync::OnceLock::new(),
        }
    }

    /// The view with the probe's results for the role.
    pub fn with_probe(mut self, probe: Option<&'a RoleProbe>) -> RoleView<'a> {
        self.probe = probe;
        self
    }

    pub fn account_id(&self) -> &str {
        self.snapshot.account_id()
    }

    /// The vendor the role's `connector-vendor` tag names, when it names one.
    pub fn vendor_tag(&self) -> Option<&str> {
        self.snapshot
            .tags
            .get(crate::model::VENDOR_TAG)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The role's permissions ready for questions about any service (see [`Reach`]).
    pub fn reach(&self) -> Reach<'_> {
        Reach::new(&self.permissions, self.account_id(), &self.snapshot.arn)
    }

    /// The services beyond S3 and KMS the connector is meant to use: those its
    /// `connector-services` tag names, and the services whose principal the trust policy lets
    /// in (a role that Amazon Q Business assumes works in Amazon Q Business). Lower-case IAM
    /// prefixes, each with where it comes from (`tag` or `trust`).
    pub fn declared_services(&self) -> BTreeMap<String, &'static str> {
        let mut out: BTreeMap<String, &'static str> = BTreeMap::new();
        if let Ok(trust) = &self.trust {
            for s in trust
                .statements
                .iter()
                .filter(|s| s.effect == crate::policy::Effect::Allow)
            {
                for p in s.principals() {
                    if let crate::policy::principal::Principal::Service { name } = p
                        && let Some(prefix) =
                            name.to_ascii_lowercase().strip_suffix(".amazonaws.com")
                    {
                        out.insert(prefix.to_string(), "trust");
                    }
                }
            }
        }
        if let Some(tag) = self.snapshot.tags.get(crate::model::SERVICES_TAG) {
            for prefix in tag.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                out.insert(prefix.to_ascii_lowercase(), "tag");
            }
        }
        out
    }

    /// The document a grant comes from.
    pub fn policy_ref(&self, policy_index: usize) -> PolicyRef {
        self.permission_refs
            .get(policy_index)
            .cloned()
            .unwrap_or(PolicyRef::Trust)
    }

    /// The statement a grant comes from.
    pub fn statement(&self, policy_index: usize, statement_index: usize) -> Option<&Statement> {
        self.permissions
            .policies()
            .get(policy_index)
            .and_then(|p| p.statements.get(statement_index))
    }

    /// Groups grants by (policy, statement), keeping those `keep` accepts, in order.
    pub fn grants_by_statement(
        &self,
        keep: impl Fn(&S3Grant) -> bool,
    ) -> BTreeMap<(usize, usize), Vec<&S3Grant>> {
        let mut out: BTreeMap<(usize, usize), Vec<&S3Grant>> = BTreeMap::new();
        for g in self.permissions.grants().iter().filter(|g| keep(g)) {
            out.entry((g.policy, g.statement)).or_default().push(g);
        }
        out
    }
}
