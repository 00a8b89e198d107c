//! What a role may do beyond S3: any action of any service in the embedded Service
//! Authorization Reference ([`super::service_reference`]), on the resources its request names,
//! decided by the same evaluation as the S3 analysis ([`Permissions::allowing`]: an Allow that
//! may apply, no Deny that certainly does, the permissions boundary too; conditions on keys the
//! scenario does not know are assumed satisfiable).
//!
//! Resources are decided on concrete *witness* ARNs, as in [`super::s3`]: for a resource type,
//! each of its ARN forms with the partition `aws`, the role's own account and every other
//! placeholder filled with a token no real resource carries, and every `Resource` pattern of
//! the role's policies that fits the type, with its wildcards filled by the token. A witness
//! built from a wildcard is a resource nobody named; one copied from a literal pattern is named.
//!
//! An action is granted when its request can be authorized: every resource type the reference
//! marks required has an allowed witness; an action whose types are all optional needs one of
//! them; an action without resource types needs `"Resource": "*"`. PURE.

use super::eval::Scenario;
use super::s3::{Permissions, WITNESS, fill_wildcards};
use super::service_reference::{Action, ResourceType, Service};
use super::wildcard;
use std::collections::BTreeSet;

/// A resource an action may be granted on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Witness {
    pub arn: String,
    /// Copied from a literal pattern of the role's policies (not built from a wildcard).
    pub named: bool,
}

impl Witness {
    /// The ARN as a reader should see it: the pattern's wildcard for a resource nobody named.
    pub fn display(&self) -> String {
        if self.named {
            self.arn.clone()
        } else {
            self.arn.replace(WITNESS, "*")
        }
    }
}

/// An action the role may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// `iam:PassRole`
    pub action: String,
    /// The Allow statements that may grant it, `(policy, statement)`.
    pub statements: BTreeSet<(usize, usize)>,
    /// The allowed witnesses of the resource type asked about (or of the action's first
    /// required type; empty for an action granted on `*`).
    pub resources: Vec<Witness>,
}

/// A role's permissions, ready for questions about any service.
pub struct Reach<'a> {
    pub permissions: &'a Permissions,
    /// The role's own account (IAM resources and most others are in it).
    pub account: &'a str,
    /// The role's own ARN.
    pub role_arn: &'a str,
    /// Every `Resource` pattern of the role's policies and boundary.
    patterns: Vec<&'a str>,
}

impl<'a> Reach<'a> {
    pub fn new(permissions: &'a Permissions, account: &'a str, role_arn: &'a str) -> Reach<'a> {
        let mut patterns: Vec<&'a str> = permissions
            .policies()
            .iter()
            .chain(permissions.boundary())
            .flat_map(|p| p.statements.iter())
            .filter_map(|s| s.resource.as_ref())
            .flat_map(|r| r.items.iter().map(String::as_str))
            .collect();
        patterns.sort_unstable();
        patterns.dedup();
        Reach {
            permissions,
            account,
            role_arn,
            patterns,
        }
    }

    /// The witnesses of a resource type (see the module's documentation).
    pub fn witnesses(&self, rt: &ResourceType) -> Vec<Witness> {
        let mut out: BTreeSet<Witness> = BTreeSet::new();
        for form in &rt.arns {
            out.insert(Witness {
                arn: fill_template(form, self.account),
                named: false,
            });
            let glob = template_glob(form);
            for pattern in &self.patterns {
                let filled = fill_wildcards(pattern, WITNESS);
                if filled.starts_with("arn:") && wildcard::matches(&glob, &filled) {
                    out.insert(Witness {
                        arn: filled,
                        named: !wildcard::has_wildcard(pattern),
                    });
                }
            }
        }
        out.into_iter().collect()
    }

    /// Is the witness the role itself?
    pub fn is_self(&self, witness: &Witness) -> bool {
        witness.arn.eq_ignore_ascii_case(self.role_arn)
    }

    /// May the role do `action` of `service` in `scenario`? `target` names the resource type
    /// whose allowed witnesses to report (the action's first required type when `None`).
    pub fn action(
        &self,
        service: &Service,
        action: &Action,
        scenario: &Scenario,
        target: Option<&str>,
    ) -> Option<Granted> {
        let qualified = service.qualified(action);
        if !self.permissions.may_name(&qualified) {
            return None;
        }
        let mut statements = BTreeSet::new();
        let required: Vec<usize> = action
            .resources
            .iter()
            .filter(|r| r.required)
            .map(|r| r.index)
            .collect();
        let allowed = |rt: &ResourceType, statements: &mut BTreeSet<(usize, usize)>| {
            self.witnesses(rt)
                .into_iter()
                .filter(
                    |w| match self.permissions.allowing(&qualified, &w.arn, scenario) {
                        Some(used) => {
                            statements.extend(used);
                            true
                        }
                        None => false,
                    },
                )
                .collect::<Vec<Witness>>()
        };
        let is_target = |rt: &ResourceType, first: bool| match target {
            Some(t) => rt.name.eq_ignore_ascii_case(t),
            None => first,
        };
        let mut resources = Vec::new();
        if !required.is_empty() {
            for (i, index) in required.iter().enumerate() {
                let rt = service.resource_type(*index)?;
                let reached = allowed(rt, &mut statements);
                if reached.is_empty() {
                    return None;
                }
                if is_target(rt, i == 0) {
                    resources = reached;
                }
            }
            // a target the action lists without requiring it (ssm:SendCommand's instances)
            if let Some(t) = target
                && !required.iter().any(|i| {
                    service
                        .resource_type(*i)
                        .is_some_and(|rt| is_target(rt, false))
                })
                && let Some(rt) = action
                    .resources
                    .iter()
                    .filter_map(|r| service.resource_type(r.index))
                    .find(|rt| rt.name.eq_ignore_ascii_case(t))
            {
                resources = allowed(rt, &mut statements);
            }
        } else if !action.resources.is_empty() {
            for (i, r) in action.resources.iter().enumerate() {
                let Some(rt) = service.resource_type(r.index) else {
                    continue;
                };
                let reached = allowed(rt, &mut statements);
                if is_target(rt, i == 0) {
                    resources = reached.clone();
                }
                if !reached.is_empty() && resources.is_empty() && target.is_none() {
                    resources = reached;
                }
            }
            if statements.is_empty() {
                return None;
            }
        } else {
            statements.extend(self.permissions.allowing(&qualified, "*", scenario)?);
        }
        Some(Granted {
            action: qualified,
            statements,
            resources,
        })
    }
}

/// An ARN form with its placeholders filled: partition `aws`, the account, the token elsewhere.
fn fill_template(form: &str, account: &str) -> String {
    let mut out = String::with_capacity(form.len() + 32);
    let mut rest = form;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start..).unwrap_or("");
        let Some(end) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let name = after.get(2..end).unwrap_or("");
        out.push_str(match name {
            "Partition" => "aws",
            "Account" => account,
            _ => WITNESS,
        });
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// An ARN form as a pattern: each placeholder matches anything.
fn template_glob(form: &str) -> String {
    let mut out = String::with_capacity(form.len());
    let mut rest = form;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start..).unwrap_or("");
        let Some(end) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        out.push('*');
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use crate::policy::condition::KeyState;
    use crate::policy::service_reference::action;

    const ACCOUNT: &str = "123456789012";
    const ME: &str = "arn:aws:iam::123456789012:role/connector";

    fn perms(docs: &[&str]) -> Permissions {
        Permissions::new(docs.iter().map(|d| Policy::parse(d).unwrap()).collect())
    }

    fn granted(p: &Permissions, name: &str, scenario: &Scenario) -> Option<Granted> {
        let (service, a) = action(name).unwrap();
        Reach::new(p, ACCOUNT, ME).action(service, a, scenario, None)
    }

    #[test]
    fn templates() {
        assert_eq!(
            fill_template(
                "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
                "1"
            ),
            format!("arn:aws:iam::1:role/{WITNESS}")
        );
        assert_eq!(
            template_glob("arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"),
            "arn:*:lambda:*:*:function:*"
        );
    }

    #[test]
    fn resource_scoping_and_named_resources() {
        let p = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"lambda:UpdateFunctionCode","Resource":"arn:aws:lambda:us-east-1:123456789012:function:connector-fn"}}"#,
        ]);
        let g = granted(&p, "lambda:UpdateFunctionCode", &Scenario::new()).unwrap();
        assert_eq!(g.resources.len(), 1);
        assert!(g.resources[0].named);
        let p = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"lambda:Update*","Resource":"arn:aws:lambda:*:*:function:*"}}"#,
        ]);
        let g = granted(&p, "lambda:UpdateFunctionCode", &Scenario::new()).unwrap();
        assert!(g.resources.iter().all(|w| !w.named));
        assert_eq!(g.statements, BTreeSet::from([(0, 0)]));
        // a resource of another type grants nothing
        let p = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:user/*"}}"#,
        ]);
        assert!(granted(&p, "iam:PassRole", &Scenario::new()).is_none());
        // an action without resource types needs `*`
        let p = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"arn:aws:iam::123456789012:role/x"}}"#,
        ]);
        assert!(granted(&p, "sts:GetCallerIdentity", &Scenario::new()).is_none());
    }

    #[test]
    fn deny_boundary_and_conditions() {
        let allow = r#"{"Statement":{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}}"#;
        assert!(granted(&perms(&[allow]), "iam:CreateAccessKey", &Scenario::new()).is_some());
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}"#;
        assert!(
            granted(
                &perms(&[allow, deny]),
                "iam:CreateAccessKey",
                &Scenario::new()
            )
            .is_none()
        );
        let bounded = Permissions::within(
            vec![Policy::parse(allow).unwrap()],
            Some(
                Policy::parse(
                    r#"{"Statement":{"Effect":"Allow","Action":"glue:*","Resource":"*"}}"#,
                )
                .unwrap(),
            ),
        );
        assert!(granted(&bounded, "iam:CreateAccessKey", &Scenario::new()).is_none());
        assert!(granted(&bounded, "glue:CreateTable", &Scenario::new()).is_some());
        let pass = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"glue.amazonaws.com"}}}}"#,
        ]);
        let to = |svc: &str| {
            Scenario::new().with("iam:PassedToService", KeyState::Known(vec![svc.into()]))
        };
        assert!(granted(&pass, "iam:PassRole", &to("glue.amazonaws.com")).is_some());
        assert!(granted(&pass, "iam:PassRole", &to("ec2.amazonaws.com")).is_none());
    }
}
