//! Questions about trust policies: who outside the account may assume the role, and does an
//! `sts:ExternalId` really stand in their way? Built on [`super::eval`]. PURE.

use super::condition::{Adversary, Condition, KeyState};
use super::document::{Effect, Policy, Statement};
use super::eval::{Request, Scenario, certainly_denied};
use super::principal::{
    AwsPrincipal, AwsPrincipalKind, Caller, Federation, Principal, arn_account, federation,
    is_account_id, resolve_aws,
};
use std::borrow::Cow;

pub const ASSUME_ROLE: &str = "sts:AssumeRole";
pub const ASSUME_ROLE_WITH_WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";
pub const ASSUME_ROLE_WITH_SAML: &str = "sts:AssumeRoleWithSAML";
pub const EXTERNAL_ID: &str = "sts:ExternalId";

/// An account that no real principal of the audited account belongs to: the adversary's.
pub const ADVERSARY_ACCOUNT: &str = "000000000000";

/// True when `statement` (an Allow of `policy`) may let `caller` do `action` under `scenario`,
/// and no Deny of the policy, nor of the resource control policies guarding it, certainly
/// blocks it.
pub fn statement_grants(
    policy: &Policy,
    statement: &Statement,
    caller: &Caller,
    action: &str,
    scenario: &Scenario,
) -> bool {
    let req = Request {
        caller: Some(caller),
        action,
        resource: None,
        scenario,
    };
    statement.effect == Effect::Allow
        && statement.applies(&req).possible()
        && !certainly_denied(&policy.statements, &req)
        && policy.guard.as_ref().is_none_or(|g| {
            g.rcps
                .denies(&g.role_arn, caller, action, scenario)
                .is_none()
        })
}

/// An AWS principal of another account that an Allow statement lets in: named in its
/// `Principal`, or, behind a `*` principal, pinned by a condition on `aws:PrincipalAccount` or
/// `aws:PrincipalArn` (then `principal` is built from the condition's value).
#[derive(Debug, Clone)]
pub struct ForeignPrincipal<'a> {
    pub statement: &'a Statement,
    pub principal: Cow<'a, AwsPrincipal>,
    pub account: Cow<'a, str>,
    /// Behind a `*` principal that no condition of the statement pins, an account the
    /// organization's resource control policies let through their Deny.
    pub through_guard: bool,
}

impl ForeignPrincipal<'_> {
    /// The caller this principal stands for: the named identity (a pattern's wildcards
    /// filled), or the account's root.
    pub fn caller(&self) -> Caller {
        caller_in(&self.principal, &self.account)
    }

    /// What the caller's request says of the keys that name it: its account always, its ARN
    /// when the principal is one identity.
    pub fn scenario(&self) -> Scenario {
        let caller = self.caller();
        let s = Scenario::new().with(
            "aws:PrincipalAccount",
            KeyState::Known(vec![self.account.to_string()]),
        );
        match caller {
            Caller::Aws { arn, .. } if !self.principal.is_account() => {
                s.with("aws:PrincipalArn", KeyState::Known(vec![arn]))
            }
            _ => s,
        }
    }
}

/// The foreign accounts (and principals) a `*` principal's conditions pin: literal account
/// ids of `aws:PrincipalAccount`, and `aws:PrincipalArn` patterns whose account is literal.
/// (Patterns with a wildcard account are anyone's: `trust-any-principal` reports those.)
fn pinned_by_conditions(statement: &Statement) -> Vec<AwsPrincipal> {
    named_by(&statement.conditions, Condition::pinned_values)
}

/// The foreign accounts (and principals) that the resource control policies guarding a trust
/// policy except from a Deny on who the caller is (`StringNotEquals aws:PrincipalAccount`,
/// `ArnNotLike aws:PrincipalArn`): behind a `*` principal, they still get in.
fn excepted_by_guard(policy: &Policy) -> Vec<AwsPrincipal> {
    let Some(guard) = &policy.guard else {
        return Vec::new();
    };
    guard
        .rcps
        .levels
        .iter()
        .flat_map(|l| l.policies.iter())
        .flat_map(|(_, p)| p.statements.iter())
        .filter(|s| s.effect == Effect::Deny)
        .flat_map(|s| named_by(&s.conditions, Condition::excepted_values))
        .collect()
}

/// AWS principals named by `values` of conditions on `aws:PrincipalAccount` (literal account
/// ids) and `aws:PrincipalArn` (patterns whose account is literal).
fn named_by(
    conditions: &[Condition],
    values: impl Fn(&Condition) -> Option<&[String]>,
) -> Vec<AwsPrincipal> {
    let mut out = Vec::new();
    for c in conditions {
        let Some(values) = values(c) else {
            continue;
        };
        for v in values {
            if c.is_key("aws:PrincipalAccount") && is_account_id(v) {
                out.push(AwsPrincipal {
                    value: v.clone(),
                    kind: AwsPrincipalKind::Account,
                    account: Some(v.clone()),
                    partition: None,
                });
            } else if c.is_key("aws:PrincipalArn")
                && let Some(account) = arn_account(v)
            {
                let kind = match resolve_aws(&v.replace(['*', '?'], "x")) {
                    Principal::Aws(p) => p.kind,
                    _ => AwsPrincipalKind::Other,
                };
                out.push(AwsPrincipal {
                    value: v.clone(),
                    kind,
                    account: Some(account.to_string()),
                    partition: v.split(':').nth(1).map(str::to_string),
                });
            }
        }
    }
    out
}

/// The caller an AWS principal of `account` stands for: the named identity, or the
/// account's root.
fn caller_in(principal: &AwsPrincipal, account: &str) -> Caller {
    let arn = if principal.is_account() {
        format!(
            "arn:{}:iam::{}:root",
            principal.partition.as_deref().unwrap_or("aws"),
            account
        )
    } else {
        // a pattern (from an `aws:PrincipalArn` condition) stands for an identity it matches
        principal.value.replace(['*', '?'], "x")
    };
    Caller::Aws {
        arn,
        account: account.to_string(),
    }
}

/// Is `account` another's: neither `own_account` nor one of the `trusted` (the user's own)?
pub fn is_foreign(account: &str, own_account: &str, trusted: &[String]) -> bool {
    account != own_account && !trusted.iter().any(|t| t == account)
}

/// AWS principals of accounts other than `own_account` and `trusted`, named in Allow statements.
pub fn foreign_principals<'a>(
    policy: &'a Policy,
    own_account: &str,
    trusted: &[String],
) -> Vec<ForeignPrincipal<'a>> {
    let mut out = Vec::new();
    for statement in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        for p in statement.principals() {
            match p {
                Principal::Aws(aws) => {
                    if let Some(account) = aws.account.as_deref()
                        && is_foreign(account, own_account, trusted)
                    {
                        out.push(ForeignPrincipal {
                            statement,
                            principal: Cow::Borrowed(aws),
                            account: Cow::Borrowed(account),
                            through_guard: false,
                        });
                    }
                }
                Principal::Any { .. } => {
                    let pinned = pinned_by_conditions(statement);
                    // pinned by the statement itself, or let through the guard's Denies
                    let through_guard = pinned.is_empty();
                    let named = if through_guard {
                        excepted_by_guard(policy)
                    } else {
                        pinned
                    };
                    for pinned in named {
                        if let Some(account) = pinned.account.clone()
                            && is_foreign(&account, own_account, trusted)
                        {
                            out.push(ForeignPrincipal {
                                statement,
                                principal: Cow::Owned(pinned),
                                account: Cow::Owned(account),
                                through_guard,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Does an Allow of the trust policy let someone outside `own_account` (another account, a
/// federated identity, anyone) do `action` (`sts:TagSession`, `sts:SetSourceIdentity`)?
pub fn lets_outsiders(policy: &Policy, own_account: &str, action: &str) -> bool {
    policy.statements.iter().any(|s| {
        s.effect == Effect::Allow
            && s.action.matches_action(action)
            && s.principal.as_ref().is_some_and(|clause| {
                clause.negated
                    || clause.items.iter().any(|p| match p {
                        Principal::Any { .. } | Principal::Federated { .. } => true,
                        Principal::Aws(a) => a.account.as_deref() != Some(own_account),
                        Principal::Service { .. } | Principal::CanonicalUser { .. } => false,
                    })
            })
    })
}

/// May `fp` assume the role at all (whatever the conditions ask), with no Deny certainly in
/// its way? False for a statement that only allows, say, `sts:TagSession`.
pub fn may_assume(policy: &Policy, fp: &ForeignPrincipal<'_>) -> bool {
    statement_grants(
        policy,
        fp.statement,
        &fp.caller(),
        ASSUME_ROLE,
        &Scenario::new(),
    )
}

/// One way into a role: a principal of an Allow statement that may assume the role with the
/// action its kind uses (`sts:AssumeRole`, `...WithWebIdentity`, `...WithSAML`), whatever
/// the conditions ask, unless a Deny certainly shuts it out.
#[derive(Debug, Clone, Copy)]
pub struct WayIn<'a> {
    pub statement: &'a Statement,
    /// The principal; `None` for an Allow with `NotPrincipal` (everyone but those it lists).
    pub principal: Option<&'a Principal>,
}

/// Every way into the role, in statement and principal order.
pub fn ways_in(policy: &Policy) -> Vec<WayIn<'_>> {
    let adversary = Caller::Aws {
        arn: format!("arn:aws:iam::{ADVERSARY_ACCOUNT}:role/connector-audit-adversary"),
        account: ADVERSARY_ACCOUNT.to_string(),
    };
    let open = Scenario::new();
    let mut out = Vec::new();
    for statement in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let Some(clause) = &statement.principal else {
            continue;
        };
        if clause.negated {
            if statement_grants(policy, statement, &adversary, ASSUME_ROLE, &open) {
                out.push(WayIn {
                    statement,
                    principal: None,
                });
            }
            continue;
        }
        for principal in &clause.items {
            let (caller, action) = match principal {
                Principal::Any { .. } => (adversary.clone(), ASSUME_ROLE),
                Principal::Aws(aws) => (aws_caller(aws), ASSUME_ROLE),
                Principal::Service { name } => (Caller::Service(name.clone()), ASSUME_ROLE),
                Principal::Federated { provider } => (
                    Caller::Federated(provider.clone()),
                    match federation(provider) {
                        Federation::Saml { .. } => ASSUME_ROLE_WITH_SAML,
                        Federation::WebIdentity(_) => ASSUME_ROLE_WITH_WEB_IDENTITY,
                    },
                ),
                // S3's legacy principal: it never assumes a role
                Principal::CanonicalUser { .. } => continue,
            };
            if statement_grants(policy, statement, &caller, action, &open) {
                out.push(WayIn {
                    statement,
                    principal: Some(principal),
                });
            }
        }
    }
    out
}

/// The caller an AWS principal stands for (a unique id, with no account, stands for itself).
fn aws_caller(aws: &AwsPrincipal) -> Caller {
    match aws.account.as_deref() {
        Some(account) => caller_in(aws, account),
        None => Caller::Aws {
            arn: aws.value.clone(),
            account: String::new(),
        },
    }
}

/// How the principal gets in without knowing the external id, if it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalIdGap {
    /// No `sts:ExternalId` at all is needed.
    Missing,
    /// Some value is needed, but any value the caller picks works.
    AnyValue,
}

/// Can `fp` assume the role without the right external id? `None`: the id is enforced.
pub fn external_id_gap(policy: &Policy, fp: &ForeignPrincipal<'_>) -> Option<ExternalIdGap> {
    let caller = fp.caller();
    [ExternalIdGap::Missing, ExternalIdGap::AnyValue]
        .into_iter()
        .find(|gap| {
            statement_grants(
                policy,
                fp.statement,
                &caller,
                ASSUME_ROLE,
                &gap_scenario(fp, *gap),
            )
        })
}

/// The request of `fp` that a gap lets in: no external id, or one of its choosing.
pub fn gap_scenario(fp: &ForeignPrincipal<'_>, gap: ExternalIdGap) -> Scenario {
    match gap {
        ExternalIdGap::Missing => fp.scenario().with(EXTERNAL_ID, KeyState::Absent),
        ExternalIdGap::AnyValue => fp
            .scenario()
            .with(EXTERNAL_ID, KeyState::Adversary(Adversary::default())),
    }
}

/// The external id values a statement pins (positive, enforcing conditions on `sts:ExternalId`).
pub fn pinned_external_ids(statement: &Statement) -> Vec<&str> {
    statement
        .conditions_on(EXTERNAL_ID)
        .filter_map(|c| c.pinned_values())
        .flatten()
        .map(String::as_str)
        .collect()
}

/// How `caller` (the auditor) gets in, if the trust policy lets it: `Some(None)` with no
/// external id, `Some(Some(id))` with the id its own statement pins, `None` not at all.
pub fn entry_for<'a>(policy: &'a Policy, caller: &Caller) -> Option<Option<&'a str>> {
    let allows = policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow);
    let absent = Scenario::new().with(EXTERNAL_ID, KeyState::Absent);
    if allows
        .clone()
        .any(|s| statement_grants(policy, s, caller, ASSUME_ROLE, &absent))
    {
        return Some(None);
    }
    allows
        .flat_map(|s| pinned_external_ids(s).into_iter().map(move |id| (s, id)))
        .find(|(s, id)| {
            let known = Scenario::new().with(EXTERNAL_ID, KeyState::Known(vec![id.to_string()]));
            statement_grants(policy, s, caller, ASSUME_ROLE, &known)
        })
        .map(|(_, id)| Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(doc: &str) -> Option<ExternalIdGap> {
        let p = Policy::parse(doc).unwrap();
        let fps = foreign_principals(&p, "123456789012", &[]);
        assert_eq!(fps.len(), 1, "{doc}");
        external_id_gap(&p, &fps[0])
    }

    fn trust(condition: &str) -> String {
        format!(
            r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::428641199958:role/v"}},"Action":"sts:AssumeRole","Condition":{condition}}}}}"#
        )
    }

    #[test]
    fn external_id_traps() {
        assert_eq!(gap(&trust(r#"{}"#)), Some(ExternalIdGap::Missing));
        assert_eq!(
            gap(&trust(r#"{"StringEquals":{"sts:ExternalId":"GTWKRE6K"}}"#)),
            None
        );
        assert_eq!(
            gap(&trust(r#"{"StringEquals":{"STS:EXTERNALID":"GTWKRE6K"}}"#)),
            None
        );
        assert_eq!(
            gap(&trust(
                r#"{"StringEqualsIfExists":{"sts:ExternalId":"GTWKRE6K"}}"#
            )),
            Some(ExternalIdGap::Missing)
        );
        assert_eq!(
            gap(&trust(r#"{"StringLike":{"sts:ExternalId":"*"}}"#)),
            Some(ExternalIdGap::AnyValue)
        );
        assert_eq!(
            gap(&trust(r#"{"StringLike":{"sts:ExternalId":"abc*"}}"#)),
            None
        );
        assert_eq!(
            gap(&trust(r#"{"Null":{"sts:ExternalId":"false"}}"#)),
            Some(ExternalIdGap::AnyValue)
        );
        assert_eq!(
            gap(&trust(
                r#"{"ForAllValues:StringEquals":{"sts:ExternalId":"GTWKRE6K"}}"#
            )),
            Some(ExternalIdGap::Missing)
        );
        assert_eq!(
            gap(&trust(
                r#"{"StringNotEquals":{"sts:ExternalId":"GTWKRE6K"}}"#
            )),
            Some(ExternalIdGap::Missing)
        );
    }

    #[test]
    fn foreign_only() {
        let doc = r#"{"Statement":[
            {"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::222233334444:root","AROAUNIQUEID"]},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}
        ]}"#;
        let p = Policy::parse(doc).unwrap();
        let fps = foreign_principals(&p, "123456789012", &[]);
        assert_eq!(fps.len(), 1);
        assert_eq!(fps[0].account, "222233334444");
        assert!(foreign_principals(&p, "123456789012", &["222233334444".into()]).is_empty());
    }

    #[test]
    fn the_auditors_way_in() {
        let auditor = Caller::Aws {
            arn: "arn:aws:iam::123456789012:role/connector-audit".into(),
            account: "123456789012".into(),
        };
        let doc = r#"{"Statement":[
          {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::428641199958:role/v"},"Action":"sts:AssumeRole",
           "Condition":{"StringEquals":{"sts:ExternalId":"vendor-secret"}}},
          {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/connector-audit"},"Action":"sts:AssumeRole",
           "Condition":{"StringEquals":{"sts:ExternalId":"audit-id"}}}]}"#;
        let p = Policy::parse(doc).unwrap();
        // the auditor's own statement's id, never the vendor's
        assert_eq!(entry_for(&p, &auditor), Some(Some("audit-id")));
        let open = Policy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}"#,
        )
        .unwrap();
        assert_eq!(entry_for(&open, &auditor), Some(None));
        let vendor_only = Policy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"428641199958"},"Action":"sts:AssumeRole"}}"#,
        )
        .unwrap();
        assert_eq!(entry_for(&vendor_only, &auditor), None);
    }
}
