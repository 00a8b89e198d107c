//! One concrete request, and what AWS decides on it: the ground truth against which the rest of
//! the engine, and an independent simulator in the differential test, are checked.
//!
//! A concrete request has no unknowns: every condition key is in its context with its values,
//! or absent. The decision is built on [`Statement::applies`] under a [`Scenario`] whose keys
//! are all [`KeyState::Known`] or [`KeyState::Absent`], so the three-valued engine must answer
//! True or False for every statement; a statement it leaves Unknown is reported in
//! [`Evaluation::undecided`] (an engine bug, never expected).
//!
//! What is modelled, from the IAM User Guide, "Policy evaluation logic"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>)
//! and the pages it links:
//!
//! - "An explicit deny overrides an explicit allow." A Deny that applies in any policy counted
//!   for the caller (SCPs, the resource's policy, identity-based policies, the permissions
//!   boundary) decides.
//! - SCPs, as levels from the organization root down to the caller's account: every level must
//!   allow (AWS attaches `FullAWSAccess` to each; an SCP "doesn't grant permissions", it limits).
//!   They restrict only IAM users and roles of member accounts ("SCPs affect only IAM users and
//!   roles that are managed by accounts that are part of the organization"), so they do not
//!   apply to service principals or to web-identity and SAML callers, who are neither.
//! - Identity-based policies are one union; a permissions boundary intersects them ("An
//!   entity's permissions boundary allows it to perform only the actions that are allowed by
//!   both its identity-based policies and its permissions boundaries", "Permissions boundaries
//!   for IAM entities").
//! - The resource's policy is the role's trust policy for `sts:AssumeRole*` (other resource
//!   policies are not modelled: a request on S3 has none here).
//! - Cross-account ("Cross-account policy evaluation logic",
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>):
//!   "To allow cross-account access, you attach a resource-based policy to the resource that
//!   you want to share. You must also attach an identity-based policy to the identity that
//!   acts as the principal in the request": both must allow, the boundary too.
//! - Same account ("Policy evaluation for requests within a single account",
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html>):
//!   "If either the identity-based policy or the resource-based policy within the same account
//!   allows the request and the other doesn't, the request is still allowed" — except that
//!   "IAM role trust policies and KMS key policies are exceptions to this logic, because they
//!   must explicitly allow access for principals" ("Policy evaluation logic"). So a trust
//!   policy grants on its own when it names the caller (its ARN, the role of its session, `*`);
//!   one that names only the caller's account delegates to the caller's identity-based
//!   policies, which must then allow too. Without a trust policy (S3 here) the identity-based
//!   policies decide alone.
//! - Within one account a permissions boundary limits what identity-based policies grant, not
//!   a resource-based grant to the caller itself ("Within an account, an implicit deny in a
//!   permissions boundary does not limit the permissions granted to an IAM user by a
//!   resource-based policy", "Permissions boundaries for IAM entities",
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>); the
//!   same page has a grant to a role's ARN limited by the role's boundary and a grant to a role
//!   session's ARN not limited. A grant to everyone (`*`) counts as a grant to the caller.
//! - Service principals, web-identity and SAML callers carry no identity-based policy ("Calling
//!   AssumeRoleWithWebIdentity does not require the use of AWS security credentials", AWS STS
//!   API Reference): only the trust policy can allow them.
//! - `NotPrincipal` (which IAM refuses in trust policies, "AWS JSON policy elements:
//!   NotPrincipal") keeps the engine's literal reading: the statement applies to callers none of
//!   its entries names. But "The NotPrincipal element with a Deny effect will always deny any IAM
//!   principal that has a permissions boundary policy attached, regardless of the values
//!   specified in the NotPrincipal element" ("Permissions boundaries for IAM entities").
//!
//! Not modelled: session policies, RCPs, VPC endpoint policies, bucket policies and ACLs, the
//! account root user and the organization's management account (both unaffected by some of
//! the above), anonymous callers, and AWS's account-then-role-then-session check of
//! `NotPrincipal`. PURE.

use super::condition::{KeyState, Truth};
use super::document::{Effect, Policy, Statement};
use super::eval::{Decision, Request as Ask, Scenario};
use super::principal::{Caller, Naming};
use super::variables;
use crate::model::ids::AccountId;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A concrete request: who asks to do what on which resource, with the whole request context.
/// Nothing is derived: `aws:PrincipalArn`, `aws:PrincipalAccount` and every other key count
/// only when `context` holds them, as in AWS's request context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// An IAM role, role session or user (with its account); a service principal; a web
    /// identity or SAML provider.
    pub caller: Caller,
    /// `sts:AssumeRole`, `s3:GetObject`, ...
    pub action: String,
    /// The resource's ARN: the role's own ARN for `sts:AssumeRole*` (the trust policy's
    /// statements carry no `Resource` and are matched without it; the caller's identity-based
    /// policies and SCPs are matched against it).
    pub resource: String,
    /// The account that owns the resource (an S3 ARN does not say).
    pub resource_account: AccountId,
    /// The request context: each key present with its values (several for a multivalued key).
    /// Keys compare case-insensitively; a key with no values is absent.
    pub context: BTreeMap<String, Vec<String>>,
}

/// The policies that bear on a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policies {
    /// The caller's identity-based policies (inline and attached), one union.
    pub identity: Vec<Policy>,
    /// The resource's policy: the role's trust policy for `sts:AssumeRole*`, or none.
    pub resource: Option<Policy>,
    /// The caller's permissions boundary.
    pub boundary: Option<Policy>,
    /// The SCPs over the caller's account, one list per level, the organization root first and
    /// the account's own level last. Empty: the account is in no organization.
    pub scps: Vec<Vec<Policy>>,
}

/// Which kind of policy a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PolicyKind {
    /// The SCPs of one level (index into [`Policies::scps`]).
    Scp {
        level: usize,
    },
    Resource,
    Identity,
    Boundary,
}

/// A statement: its policy's kind, the policy's index in that list (0 for the resource policy
/// and the boundary), the statement's index in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatementRef {
    pub kind: PolicyKind,
    pub policy: usize,
    pub statement: usize,
}

/// What AWS decides, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// For an explicit deny, every Deny that applies; for an allow, the Allows that made it
    /// (the SCP levels', the path that granted: the trust policy's, or the identity-based
    /// policies' and the boundary's); empty for an implicit deny.
    pub deciding: Vec<StatementRef>,
    /// Statements whose applicability the engine left Unknown. A concrete request leaves
    /// nothing open, so this is empty unless the engine has a bug; such a statement is taken
    /// as not applying.
    pub undecided: Vec<StatementRef>,
}

/// The kind of AWS identity an ARN names, where the rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Identity {
    /// An IAM role's own ARN (`arn:aws:iam::A:role/R`).
    Role,
    /// A role session, an IAM user, anything else that calls with its own ARN.
    Other,
}

fn identity_of(arn: &str) -> Identity {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2);
    let resource = parts.nth(2);
    match (service, resource) {
        (Some("iam"), Some(r)) if r.starts_with("role/") => Identity::Role,
        _ => Identity::Other,
    }
}

/// Decides `request` under `policies`.
pub fn evaluate(request: &Request, policies: &Policies) -> Evaluation {
    let value_of = |key: &str| match values_of(&request.context, key) {
        [one] => Some(one.clone()),
        _ => None,
    };
    // borrowed unless the policy holds variables
    let resolve = |p| variables::resolve_for_request(p, value_of);
    let identity: Vec<Cow<'_, Policy>> = policies.identity.iter().map(resolve).collect();
    let resource = policies.resource.as_ref().map(resolve);
    let boundary = policies.boundary.as_ref().map(resolve);
    let scps: Vec<Vec<Cow<'_, Policy>>> = policies
        .scps
        .iter()
        .map(|level| level.iter().map(resolve).collect())
        .collect();

    let all = identity
        .iter()
        .chain(resource.iter())
        .chain(boundary.iter())
        .chain(scps.iter().flatten())
        .map(|p| &**p);
    let scenario = scenario_of(&request.context, all);
    let on_resource = Ask {
        caller: Some(&request.caller),
        action: &request.action,
        resource: Some(&request.resource),
        scenario: &scenario,
    };
    let on_trust = Ask {
        resource: None,
        ..on_resource
    };

    let mut undecided = Vec::new();
    // "The NotPrincipal element with a Deny effect will always deny any IAM principal that has
    // a permissions boundary policy attached, regardless of the values specified in the
    // NotPrincipal element" ("Permissions boundaries for IAM entities")
    let bounded_iam_caller =
        matches!(request.caller, Caller::Aws { .. }) && policies.boundary.is_some();
    let trust = resource.as_ref().map(|p| {
        let p = if bounded_iam_caller {
            &deny_not_principal_to_all(p)
        } else {
            p
        };
        scan(PolicyKind::Resource, 0, p, &on_trust, &mut undecided)
    });
    let Caller::Aws { arn, account } = &request.caller else {
        // A service principal or a federated identity: only the trust policy speaks for it.
        let trust = trust.unwrap_or_default();
        return if !trust.denies.is_empty() {
            finish(Decision::ExplicitDeny, trust.denies, undecided)
        } else if !trust.allows.is_empty() {
            let used = trust.allows.iter().map(|(r, _)| *r).collect();
            finish(Decision::Allowed, used, undecided)
        } else {
            finish(Decision::ImplicitDeny, Vec::new(), undecided)
        };
    };

    let mut ident = Hits::default();
    for (i, p) in identity.iter().enumerate() {
        ident.extend(scan(
            PolicyKind::Identity,
            i,
            p,
            &on_resource,
            &mut undecided,
        ));
    }
    let bound = boundary
        .as_ref()
        .map(|p| scan(PolicyKind::Boundary, 0, p, &on_resource, &mut undecided));
    let levels: Vec<Hits> = scps
        .iter()
        .enumerate()
        .map(|(level, policies)| {
            let mut hits = Hits::default();
            for (i, p) in policies.iter().enumerate() {
                hits.extend(scan(
                    PolicyKind::Scp { level },
                    i,
                    p,
                    &on_resource,
                    &mut undecided,
                ));
            }
            hits
        })
        .collect();

    // an explicit deny anywhere decides
    let denies: Vec<StatementRef> = levels
        .iter()
        .flat_map(|l| l.denies.iter())
        .chain(trust.iter().flat_map(|t| t.denies.iter()))
        .chain(ident.denies.iter())
        .chain(bound.iter().flat_map(|b| b.denies.iter()))
        .copied()
        .collect();
    if !denies.is_empty() {
        return finish(Decision::ExplicitDeny, denies, undecided);
    }
    // every SCP level must allow
    if levels.iter().any(|l| l.allows.is_empty()) {
        return finish(Decision::ImplicitDeny, Vec::new(), undecided);
    }
    let scp_allows = levels.iter().flat_map(|l| l.allows.iter().map(|(r, _)| *r));

    let identity_allows = !ident.allows.is_empty();
    let boundary_allows = bound.as_ref().is_none_or(|b| !b.allows.is_empty());
    let identity_path = || {
        let mut used: Vec<StatementRef> = ident.allows.iter().map(|(r, _)| *r).collect();
        used.extend(bound.iter().flat_map(|b| b.allows.iter().map(|(r, _)| *r)));
        used
    };
    let same_account = request.resource_account.as_str() == account.as_str();

    let granted: Option<Vec<StatementRef>> = match &trust {
        // no resource policy: the identity-based policies decide, in the resource's account
        None => (same_account && identity_allows && boundary_allows).then(identity_path),
        Some(trust) if !same_account => {
            (!trust.allows.is_empty() && identity_allows && boundary_allows).then(|| {
                let mut used: Vec<StatementRef> = trust.allows.iter().map(|(r, _)| *r).collect();
                used.extend(identity_path());
                used
            })
        }
        Some(trust) => {
            // a grant to the caller itself (its ARN, its role, everyone) stands on its own; one
            // that names only the account delegates to the identity-based policies
            let direct: Vec<&(StatementRef, Naming)> = trust
                .allows
                .iter()
                .filter(|(_, n)| *n != Naming::Account)
                .collect();
            let for_account: Vec<StatementRef> = trust
                .allows
                .iter()
                .filter(|(_, n)| *n == Naming::Account)
                .map(|(r, _)| *r)
                .collect();
            // a boundary's implicit deny is lifted only by a grant to the caller itself: its
            // own ARN (a user, a session), or everyone; not the ARN of the role behind it
            let lifts_boundary = |n: Naming| match identity_of(arn) {
                Identity::Role => n == Naming::Everyone,
                Identity::Other => {
                    matches!(n, Naming::Identity | Naming::Everyone | Naming::AllBut)
                }
            };
            let by_trust: Vec<StatementRef> = direct
                .iter()
                .filter(|(_, n)| boundary_allows || lifts_boundary(*n))
                .map(|(r, _)| *r)
                .collect();
            if !by_trust.is_empty() {
                Some(by_trust)
            } else if !for_account.is_empty() && identity_allows && boundary_allows {
                let mut used = for_account;
                used.extend(identity_path());
                Some(used)
            } else {
                None
            }
        }
    };
    match granted {
        Some(mut used) => {
            used.extend(scp_allows);
            finish(Decision::Allowed, used, undecided)
        }
        None => finish(Decision::ImplicitDeny, Vec::new(), undecided),
    }
}

/// The policy with each `Deny` + `NotPrincipal` statement denying every principal.
fn deny_not_principal_to_all(policy: &Policy) -> Policy {
    let mut out = policy.clone();
    for s in &mut out.statements {
        if s.effect == Effect::Deny && s.principal.as_ref().is_some_and(|c| c.negated) {
            s.principal = None;
        }
    }
    out
}

fn finish(
    decision: Decision,
    mut deciding: Vec<StatementRef>,
    mut undecided: Vec<StatementRef>,
) -> Evaluation {
    deciding.sort_unstable();
    deciding.dedup();
    undecided.sort_unstable();
    undecided.dedup();
    Evaluation {
        decision,
        deciding,
        undecided,
    }
}

/// The statements of one policy that apply to the request: Allows (with how their principal
/// names the caller, for trust policies) and Denies.
#[derive(Debug, Default)]
struct Hits {
    allows: Vec<(StatementRef, Naming)>,
    denies: Vec<StatementRef>,
}

impl Hits {
    fn extend(&mut self, other: Hits) {
        self.allows.extend(other.allows);
        self.denies.extend(other.denies);
    }
}

fn scan(
    kind: PolicyKind,
    policy: usize,
    document: &Policy,
    ask: &Ask<'_>,
    undecided: &mut Vec<StatementRef>,
) -> Hits {
    let mut hits = Hits::default();
    for s in &document.statements {
        let at = StatementRef {
            kind,
            policy,
            statement: s.index,
        };
        match s.applies(ask) {
            Truth::False => {}
            Truth::Unknown => undecided.push(at),
            Truth::True => match s.effect {
                Effect::Deny => hits.denies.push(at),
                Effect::Allow => hits.allows.push((at, naming(s, ask))),
            },
        }
    }
    hits
}

/// How an applying statement's principal names the caller (`Identity` when it has none: an
/// identity-based policy is the caller's own).
fn naming(statement: &Statement, ask: &Ask<'_>) -> Naming {
    match (&statement.principal, ask.caller) {
        (Some(clause), _) if clause.negated => Naming::AllBut,
        (Some(clause), Some(caller)) => clause
            .items
            .iter()
            .filter_map(|p| p.naming(caller))
            .max()
            .unwrap_or(Naming::Identity),
        _ => Naming::Identity,
    }
}

/// The values of `key` in the context (case-insensitive), none when absent.
fn values_of<'a>(context: &'a BTreeMap<String, Vec<String>>, key: &str) -> &'a [String] {
    context
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map_or(&[], |(_, v)| v.as_slice())
}

/// Every key of the context as known, and every other key a condition names as absent.
fn scenario_of<'a>(
    context: &BTreeMap<String, Vec<String>>,
    policies: impl Iterator<Item = &'a Policy>,
) -> Scenario {
    let mut scenario = Scenario::new();
    for (key, values) in context {
        let state = if values.is_empty() {
            KeyState::Absent
        } else {
            KeyState::Known(values.clone())
        };
        scenario = scenario.with(key, state);
    }
    for c in policies
        .flat_map(|p| p.statements.iter())
        .flat_map(|s| s.conditions.iter())
    {
        if scenario.get(&c.key).is_none() {
            scenario = scenario.with(&c.key, KeyState::Absent);
        }
    }
    scenario
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "111122223333";
    const VENDOR: &str = "444455556666";
    const ROLE: &str = "arn:aws:iam::111122223333:role/target";

    fn p(json: &str) -> Policy {
        Policy::parse(json).unwrap()
    }

    fn aws(arn: &str) -> Caller {
        Caller::Aws {
            arn: arn.into(),
            account: crate::policy::principal::arn_account(arn).unwrap().into(),
        }
    }

    fn assume(caller: Caller, context: &[(&str, &str)]) -> Request {
        Request {
            caller,
            action: "sts:AssumeRole".into(),
            resource: ROLE.into(),
            resource_account: AccountId::parse(HOME).unwrap(),
            context: context
                .iter()
                .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                .collect(),
        }
    }

    fn trust(principal: &str) -> Policy {
        p(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}]}}"#
        ))
    }

    fn may_assume() -> Policy {
        p(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{ROLE}"}}]}}"#
        ))
    }

    fn decide(request: &Request, policies: &Policies) -> Decision {
        let e = evaluate(request, policies);
        assert!(e.undecided.is_empty(), "{e:?}");
        e.decision
    }

    #[test]
    fn cross_account_needs_trust_and_identity() {
        let caller = aws(&format!("arn:aws:iam::{VENDOR}:role/vendor"));
        let req = assume(caller, &[]);
        let only_trust = Policies {
            resource: Some(trust(&format!(r#"{{"AWS":"{VENDOR}"}}"#))),
            ..Policies::default()
        };
        assert_eq!(decide(&req, &only_trust), Decision::ImplicitDeny);
        let both = Policies {
            identity: vec![may_assume()],
            ..only_trust.clone()
        };
        let e = evaluate(&req, &both);
        assert_eq!(e.decision, Decision::Allowed);
        assert_eq!(
            e.deciding,
            vec![
                StatementRef {
                    kind: PolicyKind::Resource,
                    policy: 0,
                    statement: 0
                },
                StatementRef {
                    kind: PolicyKind::Identity,
                    policy: 0,
                    statement: 0
                },
            ]
        );
        let no_trust = Policies {
            identity: vec![may_assume()],
            ..Policies::default()
        };
        assert_eq!(decide(&req, &no_trust), Decision::ImplicitDeny);
    }

    #[test]
    fn same_account_trust_naming_the_account_delegates_to_identity() {
        let caller = aws(&format!("arn:aws:iam::{HOME}:role/app"));
        let req = assume(caller, &[]);
        let account = Policies {
            resource: Some(trust(&format!(r#"{{"AWS":"arn:aws:iam::{HOME}:root"}}"#))),
            ..Policies::default()
        };
        assert_eq!(decide(&req, &account), Decision::ImplicitDeny);
        let with_identity = Policies {
            identity: vec![may_assume()],
            ..account
        };
        assert_eq!(decide(&req, &with_identity), Decision::Allowed);
        // naming the caller itself is enough
        let named = Policies {
            resource: Some(trust(&format!(
                r#"{{"AWS":"arn:aws:iam::{HOME}:role/app"}}"#
            ))),
            ..Policies::default()
        };
        assert_eq!(decide(&req, &named), Decision::Allowed);
        // identity alone is not: the trust policy must allow
        let identity_only = Policies {
            identity: vec![may_assume()],
            resource: Some(trust(r#"{"AWS":"999999999999"}"#)),
            ..Policies::default()
        };
        assert_eq!(decide(&req, &identity_only), Decision::ImplicitDeny);
    }

    #[test]
    fn boundary_limits_identity_not_a_grant_to_the_session() {
        let session = aws(&format!("arn:aws:sts::{HOME}:assumed-role/app/s1"));
        let req = assume(session, &[]);
        let deny_nothing_allow_nothing = p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        );
        let to_session = Policies {
            resource: Some(trust(&format!(
                r#"{{"AWS":"arn:aws:sts::{HOME}:assumed-role/app/s1"}}"#
            ))),
            boundary: Some(deny_nothing_allow_nothing.clone()),
            ..Policies::default()
        };
        assert_eq!(decide(&req, &to_session), Decision::Allowed);
        let to_role = Policies {
            resource: Some(trust(&format!(
                r#"{{"AWS":"arn:aws:iam::{HOME}:role/app"}}"#
            ))),
            boundary: Some(deny_nothing_allow_nothing.clone()),
            ..Policies::default()
        };
        assert_eq!(decide(&req, &to_role), Decision::ImplicitDeny);
        let via_identity = Policies {
            identity: vec![may_assume()],
            resource: Some(trust(&format!(r#"{{"AWS":"{HOME}"}}"#))),
            boundary: Some(deny_nothing_allow_nothing),
            ..Policies::default()
        };
        assert_eq!(decide(&req, &via_identity), Decision::ImplicitDeny);
    }

    #[test]
    fn explicit_deny_and_scps() {
        let caller = aws(&format!("arn:aws:iam::{VENDOR}:role/vendor"));
        let req = assume(caller.clone(), &[("sts:ExternalId", "wrong")]);
        let guarded = p(&format!(
            r#"{{"Version":"2012-10-17","Statement":[
              {{"Effect":"Allow","Principal":{{"AWS":"{VENDOR}"}},"Action":"sts:AssumeRole"}},
              {{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{{"StringNotEquals":{{"sts:ExternalId":"right"}}}}}}]}}"#
        ));
        let policies = Policies {
            identity: vec![may_assume()],
            resource: Some(guarded),
            ..Policies::default()
        };
        let e = evaluate(&req, &policies);
        assert_eq!(e.decision, Decision::ExplicitDeny);
        assert_eq!(e.deciding.len(), 1);
        assert_eq!(
            decide(
                &assume(caller.clone(), &[("sts:ExternalId", "right")]),
                &policies
            ),
            Decision::Allowed
        );
        let full = p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        );
        let right = assume(caller, &[("sts:ExternalId", "right")]);
        let with_scps = |levels: Vec<Vec<Policy>>| Policies {
            scps: levels,
            ..policies.clone()
        };
        assert_eq!(
            decide(
                &right,
                &with_scps(vec![vec![full.clone()], vec![full.clone()]])
            ),
            Decision::Allowed
        );
        // a level without an Allow denies implicitly
        assert_eq!(
            decide(&right, &with_scps(vec![vec![full.clone()], vec![]])),
            Decision::ImplicitDeny
        );
        let deny_sts = p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:*","Resource":"*"}]}"#,
        );
        assert_eq!(
            decide(&right, &with_scps(vec![vec![full, deny_sts]])),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn deny_with_not_principal_denies_every_caller_with_a_boundary() {
        let caller = aws(&format!("arn:aws:iam::{VENDOR}:role/vendor"));
        let req = assume(caller, &[]);
        let trust = p(&format!(
            r#"{{"Version":"2012-10-17","Statement":[
              {{"Effect":"Allow","Principal":{{"AWS":"{VENDOR}"}},"Action":"sts:AssumeRole"}},
              {{"Effect":"Deny","NotPrincipal":{{"AWS":"{VENDOR}"}},"Action":"sts:AssumeRole"}}]}}"#
        ));
        let unbounded = Policies {
            identity: vec![may_assume()],
            resource: Some(trust),
            ..Policies::default()
        };
        assert_eq!(decide(&req, &unbounded), Decision::Allowed);
        let allow_all = p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        );
        let bounded = Policies {
            boundary: Some(allow_all),
            ..unbounded
        };
        let e = evaluate(&req, &bounded);
        assert_eq!(e.decision, Decision::ExplicitDeny);
        assert_eq!(
            e.deciding,
            vec![StatementRef {
                kind: PolicyKind::Resource,
                policy: 0,
                statement: 1
            }]
        );
    }

    #[test]
    fn services_answer_to_the_trust_policy_alone() {
        let glue = Caller::Service("glue.amazonaws.com".into());
        let req = assume(glue, &[]);
        let deny_all = p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
        );
        let policies = Policies {
            resource: Some(trust(r#"{"Service":"glue.amazonaws.com"}"#)),
            // SCPs do not restrict service principals
            scps: vec![vec![deny_all]],
            ..Policies::default()
        };
        assert_eq!(decide(&req, &policies), Decision::Allowed);
        let other = Policies {
            resource: Some(trust(r#"{"Service":"ec2.amazonaws.com"}"#)),
            ..Policies::default()
        };
        assert_eq!(decide(&req, &other), Decision::ImplicitDeny);
    }

    #[test]
    fn s3_by_identity_in_the_bucket_account_only() {
        let role = aws(&format!("arn:aws:iam::{HOME}:role/app"));
        let get = |account: &str, context: &[(&str, &str)]| Request {
            caller: role.clone(),
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::data/team-a/x".into(),
            resource_account: AccountId::parse(account).unwrap(),
            context: context
                .iter()
                .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                .collect(),
        };
        let policies = Policies {
            identity: vec![p(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::data/${aws:PrincipalTag/team}/*"}]}"#,
            )],
            ..Policies::default()
        };
        assert_eq!(
            decide(
                &get(HOME, &[("aws:PrincipalTag/team", "team-a")]),
                &policies
            ),
            Decision::Allowed
        );
        assert_eq!(
            decide(
                &get(HOME, &[("aws:PrincipalTag/team", "team-b")]),
                &policies
            ),
            Decision::ImplicitDeny
        );
        // the variable has no value: the resource matches nothing
        assert_eq!(decide(&get(HOME, &[]), &policies), Decision::ImplicitDeny);
        // another account's bucket, without a bucket policy
        assert_eq!(
            decide(
                &get(VENDOR, &[("aws:PrincipalTag/team", "team-a")]),
                &policies
            ),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn unresolved_variable_in_a_negated_condition_never_holds_on_a_present_key() {
        let role = aws(&format!("arn:aws:iam::{HOME}:role/app"));
        let policies = Policies {
            identity: vec![p(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
                   "Condition":{"StringNotEquals":{"aws:RequestTag/env":"${aws:PrincipalTag/env}"}}}]}"#,
            )],
            ..Policies::default()
        };
        let get = |context: &[(&str, &str)]| Request {
            caller: role.clone(),
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::data/x".into(),
            resource_account: AccountId::parse(HOME).unwrap(),
            context: context
                .iter()
                .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                .collect(),
        };
        assert_eq!(
            decide(&get(&[("aws:RequestTag/env", "prod")]), &policies),
            Decision::ImplicitDeny
        );
        assert_eq!(decide(&get(&[]), &policies), Decision::Allowed);
        assert_eq!(
            decide(
                &get(&[
                    ("aws:RequestTag/env", "prod"),
                    ("aws:PrincipalTag/env", "dev")
                ]),
                &policies
            ),
            Decision::Allowed
        );
    }
}
