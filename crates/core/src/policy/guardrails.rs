//! The organization's guardrails over one member account, parsed once per account: service
//! control policies (SCPs) over what the account's roles may do, resource control policies
//! (RCPs) over what anyone may do to the account's resources. PURE.
//!
//! What AWS documents, and how it is applied here (AWS Organizations User Guide):
//! - "SCP evaluation": at every level from the root down to the account, some attached SCP
//!   must allow the action ("If a level doesn't allow it, access is denied"), and an explicit
//!   Deny in any of them wins. SCPs limit "IAM users and roles that are managed by accounts
//!   that are part of the organization", so they bound the connector role's own S3 access
//!   ([`super::s3::Permissions::limit`]), never the vendor's call to assume it.
//! - "Resource control policies": "Use an RCP when you need to restrict IAM principals that
//!   are external to your organization accounts making requests to access resources within
//!   your organization's member accounts"; STS is among the services they apply to, and the
//!   role is the account's resource. AWS attaches `RCPFullAWSAccess` to every level and
//!   customer RCPs hold Deny statements only, so an RCP counts here through its Denies: one
//!   that certainly applies to an IAM principal's `sts:AssumeRole` of the role shuts that way
//!   in ([`Rcps::denies`]). RCPs over the buckets are not applied: the report does not know
//!   which account owns a bucket, and an RCP "only affects resources that are managed by
//!   accounts that are part of the organization".
//! - Neither kind affects the management account ("SCPs don't affect users or roles in the
//!   management account", "RCPs don't affect resources in the management account"): it gets no
//!   guardrails.
//!
//! Only what certainly takes access away is counted: a level with no policy (a type that is
//! not enabled), a policy that does not parse, a condition the request does not settle, all
//! leave the access in place. A guardrail the engine misreads can then only make it report
//! more, never hide a way in.

use super::PolicyError;
use super::condition::KeyState;
use super::document::{Effect, Policy};
use super::eval::{Decision, Request, Scenario, certainly_denied, decide};
use super::principal::Caller;
use super::trust::ASSUME_ROLE;
use crate::model::{GuardrailLevel, Guardrails};
use std::sync::Arc;

/// The policies of one level, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub target: String,
    /// `(name, policy)` of each policy that parsed.
    pub policies: Vec<(String, Policy)>,
}

impl Level {
    fn statements(&self) -> impl Iterator<Item = &super::Statement> + Clone {
        self.policies.iter().flat_map(|(_, p)| p.statements.iter())
    }
}

/// A policy of the organization that does not parse (it is left out: without it the role can
/// only do more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsed {
    pub kind: &'static str,
    pub name: String,
    pub error: PolicyError,
}

fn parse_levels(
    kind: &'static str,
    levels: &[GuardrailLevel],
    unparsed: &mut Vec<Unparsed>,
) -> Vec<Level> {
    levels
        .iter()
        .map(|l| Level {
            target: l.target.clone(),
            policies: l
                .policies
                .iter()
                .filter_map(|d| match Policy::parse(&d.document) {
                    Ok(p) => Some((d.name.clone(), p)),
                    Err(error) => {
                        unparsed.push(Unparsed {
                            kind,
                            name: d.name.clone(),
                            error,
                        });
                        None
                    }
                })
                .collect(),
        })
        // a level whose policies are unknown restricts nothing
        .filter(|l| !l.policies.is_empty())
        .collect()
}

/// The service control policies over an account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scps {
    pub levels: Vec<Level>,
}

/// The resource control policies over an account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rcps {
    pub levels: Vec<Level>,
}

/// An account's guardrails, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Controls {
    pub scps: Arc<Scps>,
    pub rcps: Arc<Rcps>,
}

impl Controls {
    /// Parses the account's guardrails; the policies that do not parse are returned apart.
    pub fn parse(g: &Guardrails) -> (Controls, Vec<Unparsed>) {
        let mut unparsed = Vec::new();
        let scps = Scps {
            levels: parse_levels("service control policy", &g.scps, &mut unparsed),
        };
        let rcps = Rcps {
            levels: parse_levels("resource control policy", &g.rcps, &mut unparsed),
        };
        (
            Controls {
                scps: Arc::new(scps),
                rcps: Arc::new(rcps),
            },
            unparsed,
        )
    }
}

/// What a role's own request says of who makes it: its ARN and account, and that it is no
/// AWS service (IAM User Guide, "AWS global condition context keys": aws:PrincipalArn,
/// aws:PrincipalAccount, aws:PrincipalIsAWSService are in every request).
pub fn role_scenario(role_arn: &str, account: &str) -> Scenario {
    Scenario::new()
        .with("aws:PrincipalArn", KeyState::Known(vec![role_arn.into()]))
        .with(
            "aws:PrincipalAccount",
            KeyState::Known(vec![account.into()]),
        )
        .with(
            "aws:PrincipalIsAWSService",
            KeyState::Known(vec!["false".into()]),
        )
}

impl Scps {
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Which SCP takes `action` on `resource` away from the role, when one certainly does:
    /// the policy whose Deny applies, or the level none of whose policies allows it (named
    /// `no SCP attached to TARGET allows it`).
    pub fn blocks(&self, action: &str, resource: &str, scenario: &Scenario) -> Option<String> {
        let req = Request {
            caller: None,
            action,
            resource: Some(resource),
            scenario,
        };
        for level in &self.levels {
            if let Some((name, _)) = level
                .policies
                .iter()
                .find(|(_, p)| certainly_denied(&p.statements, &req))
            {
                return Some(name.clone());
            }
        }
        self.levels
            .iter()
            .find(|level| decide(level.statements(), &req) != Decision::Allowed)
            .map(|level| format!("no SCP attached to {} allows it", level.target))
    }

    /// Does every level allow every action on every resource, with no Deny anywhere?
    pub fn allow_everything(&self) -> bool {
        self.levels.iter().all(|level| {
            level.statements().all(|s| s.effect == Effect::Allow)
                && super::s3::Permissions::new(
                    level.policies.iter().map(|(_, p)| p.clone()).collect(),
                )
                .grants_everything()
                .is_some()
        })
    }
}

impl Rcps {
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// The RCP whose Deny certainly shuts `caller` out of `action` on the role `role_arn`
    /// under `scenario`. Only IAM principals calling `sts:AssumeRole` are judged (see the
    /// module's notes); a service principal or a federated caller is never denied here.
    pub fn denies(
        &self,
        role_arn: &str,
        caller: &Caller,
        action: &str,
        scenario: &Scenario,
    ) -> Option<&str> {
        if !matches!(caller, Caller::Aws { .. }) || !action.eq_ignore_ascii_case(ASSUME_ROLE) {
            return None;
        }
        let scenario = match scenario.get("aws:PrincipalIsAWSService") {
            Some(_) => scenario.clone(),
            None => scenario.clone().with(
                "aws:PrincipalIsAWSService",
                KeyState::Known(vec!["false".into()]),
            ),
        };
        let req = Request {
            caller: Some(caller),
            action,
            resource: Some(role_arn),
            scenario: &scenario,
        };
        self.levels
            .iter()
            .flat_map(|l| l.policies.iter())
            .find(|(_, p)| certainly_denied(&p.statements, &req))
            .map(|(name, _)| name.as_str())
    }

    /// These RCPs with only the policy `name` (to tell which one closes a way in).
    pub fn only(&self, name: &str) -> Rcps {
        Rcps {
            levels: self
                .levels
                .iter()
                .map(|l| Level {
                    target: l.target.clone(),
                    policies: l
                        .policies
                        .iter()
                        .filter(|(n, _)| n == name)
                        .cloned()
                        .collect(),
                })
                .filter(|l| !l.policies.is_empty())
                .collect(),
        }
    }

    /// The names of the policies that hold a Deny statement.
    pub fn denying_policies(&self) -> Vec<&str> {
        self.levels
            .iter()
            .flat_map(|l| l.policies.iter())
            .filter(|(_, p)| p.statements.iter().any(|s| s.effect == Effect::Deny))
            .map(|(n, _)| n.as_str())
            .collect()
    }
}

/// The resource control policies that bear on assuming one role: attached to its trust
/// policy ([`Policy::guard`]), so that every question about the trust policy counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustGuard {
    pub role_arn: String,
    pub rcps: Arc<Rcps>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NamedDocument;

    fn level(target: &str, docs: &[(&str, &str)]) -> GuardrailLevel {
        GuardrailLevel {
            target: target.into(),
            policies: docs
                .iter()
                .map(|(n, d)| NamedDocument {
                    name: n.to_string(),
                    document: (*d).into(),
                })
                .collect(),
        }
    }

    const FULL: &str = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    const ROLE: &str = "arn:aws:iam::123456789012:role/vendor";

    #[test]
    fn scp_levels_each_must_allow() {
        let s3_only = r#"{"Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#;
        let g = Guardrails {
            scps: vec![
                level("r-ab12", &[("FullAWSAccess (p-FullAWSAccess)", FULL)]),
                level("ou-ab12-cdef3456", &[("ReadOnly (p-1)", s3_only)]),
            ],
            rcps: vec![],
        };
        let (c, bad) = Controls::parse(&g);
        assert!(bad.is_empty());
        let sc = role_scenario(ROLE, "123456789012");
        assert_eq!(c.scps.blocks("s3:GetObject", "arn:aws:s3:::b/k", &sc), None);
        assert_eq!(
            c.scps
                .blocks("s3:DeleteObject", "arn:aws:s3:::b/k", &sc)
                .as_deref(),
            Some("no SCP attached to ou-ab12-cdef3456 allows it")
        );
        assert!(!c.scps.allow_everything());
    }

    #[test]
    fn scp_deny_names_its_policy_and_exemptions_count() {
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*",
            "Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}}}}"#;
        let g = Guardrails {
            scps: vec![level(
                "r-ab12",
                &[("Full (p-f)", FULL), ("NoDelete (p-2)", deny)],
            )],
            rcps: vec![],
        };
        let (c, _) = Controls::parse(&g);
        let vendor = role_scenario(ROLE, "123456789012");
        assert_eq!(
            c.scps
                .blocks("s3:DeleteObject", "arn:aws:s3:::b/k", &vendor)
                .as_deref(),
            Some("NoDelete (p-2)")
        );
        let admin = role_scenario("arn:aws:iam::123456789012:role/admin-x", "123456789012");
        assert_eq!(
            c.scps.blocks("s3:DeleteObject", "arn:aws:s3:::b/k", &admin),
            None
        );
        // without knowing the caller, the Deny is not certain: nothing is taken away
        assert_eq!(
            c.scps
                .blocks("s3:DeleteObject", "arn:aws:s3:::b/k", &Scenario::new()),
            None
        );
    }

    #[test]
    fn unparseable_and_empty_levels_restrict_nothing() {
        let g = Guardrails {
            scps: vec![
                level("r-ab12", &[("Broken (p-3)", "{not json")]),
                level("ou-x", &[]),
            ],
            rcps: vec![],
        };
        let (c, bad) = Controls::parse(&g);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].name, "Broken (p-3)");
        assert!(c.scps.is_empty());
        assert_eq!(
            c.scps
                .blocks("s3:DeleteObject", "arn:aws:s3:::b/k", &Scenario::new()),
            None
        );
    }

    #[test]
    fn rcps_judge_iam_callers_assuming_the_role() {
        let org_only = r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*",
            "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abcdefghij"},
                         "BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}}"#;
        let g = Guardrails {
            scps: vec![],
            rcps: vec![level("r-ab12", &[("OrgOnly (p-4)", org_only)])],
        };
        let (c, _) = Controls::parse(&g);
        let outsider = Caller::Aws {
            arn: "arn:aws:iam::000000000000:role/x".into(),
            account: "000000000000".into(),
        };
        let theirs = crate::policy::adversary::principal_scenario();
        assert_eq!(
            c.rcps.denies(ROLE, &outsider, ASSUME_ROLE, theirs),
            Some("OrgOnly (p-4)")
        );
        // a member of the organization is let through
        let member = Scenario::new().with(
            "aws:PrincipalOrgID",
            KeyState::Known(vec!["o-abcdefghij".into()]),
        );
        assert_eq!(c.rcps.denies(ROLE, &outsider, ASSUME_ROLE, &member), None);
        // not judged: service principals, other actions
        let service = Caller::Service("glue.amazonaws.com".into());
        assert_eq!(c.rcps.denies(ROLE, &service, ASSUME_ROLE, theirs), None);
        assert_eq!(
            c.rcps.denies(ROLE, &outsider, "sts:TagSession", theirs),
            None
        );
    }
}
