//! Witness requests: the concrete request behind a finding. A rule decides on a [`Scenario`]
//! (what the adversary controls, what it cannot choose); [`find`] turns that scenario into one
//! concrete request, every context key present with its values or absent, that the request
//! evaluator ([`super::request::evaluate`], the engine's ground truth) allows. The witness goes
//! into the finding's evidence, where anyone (and the soundness test, with an independent
//! simulator) can replay it. PURE.
//!
//! The search is small and bounded: for each key the policies' conditions (and policy
//! variables) name, a few candidate values taken from what the scenario says of the key (a
//! known value; absent when the adversary may leave it out; a value of the adversary's own
//! that matches a pattern of the policy; a fresh value of its own) or, for a key the scenario
//! leaves open, from the policy's own literals. At most [`BUDGET`] combinations are evaluated.

use super::condition::{BaseOperator, KeyState};
use super::document::Policy;
use super::eval::Scenario;
use super::principal::Caller;
use super::request::{Policies, Request, evaluate};
use super::wildcard;
use crate::model::ids::AccountId;
use serde::Serialize;
use std::collections::BTreeMap;

/// Evaluations tried at most per witness.
pub const BUDGET: usize = 2048;

/// A value of the adversary's own, for keys whose values it chooses freely: characters valid
/// in bucket names, tags and subjects, and no real value's.
pub const FRESH: &str = "ca-wildcard-7f1e3b";

/// A concrete request the policies allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Witness {
    /// Who asks: an IAM ARN, a service principal (`glue.amazonaws.com`), or an identity
    /// provider as the trust policy names it.
    pub principal: String,
    pub action: String,
    pub resource: String,
    /// Every context key present in the request, with its values; keys not listed are absent.
    pub context: BTreeMap<String, Vec<String>>,
}

/// The question a rule asks: may `caller` do `action` on `resource` (owned by
/// `resource_account`) under `policies`, in a request the scenario allows?
pub struct Question<'a> {
    pub caller: Caller,
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_account: &'a str,
    pub policies: &'a Policies,
    pub scenario: &'a Scenario,
}

/// An allow-all identity policy: the adversary's own account grants its principal anything.
pub fn allow_all() -> Policy {
    Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    )
    .unwrap_or_default()
}

fn principal_of(caller: &Caller) -> String {
    match caller {
        Caller::Aws { arn, .. } => arn.clone(),
        Caller::Service(name) => name.clone(),
        Caller::Federated(provider) => provider.clone(),
    }
}

/// Every key the policies name, in conditions or as variables, as first written.
fn keys(policies: &Policies) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |k: &str| {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(k)) {
            out.push(k.to_string());
        }
    };
    for p in all(policies) {
        for s in &p.statements {
            for c in &s.conditions {
                add(&c.key);
                for v in &c.values {
                    variables(v).into_iter().for_each(&mut add);
                }
            }
            for r in s.resource.iter().flat_map(|r| r.items.iter()) {
                variables(r).into_iter().for_each(&mut add);
            }
        }
    }
    out
}

fn all(policies: &Policies) -> impl Iterator<Item = &Policy> {
    policies
        .identity
        .iter()
        .chain(policies.resource.iter())
        .chain(policies.boundary.iter())
        .chain(policies.scps.iter().flatten())
}

/// The keys of `${key}` / `${key, 'default'}` variables in `text`.
fn variables(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = rest.get(start + 2..).unwrap_or("");
        let Some(end) = after.find('}') else { break };
        let inner = after.get(..end).unwrap_or("");
        let key = inner.split(',').next().unwrap_or("").trim();
        if !key.is_empty() && !matches!(key, "*" | "?" | "$") {
            out.push(key);
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    out
}

/// A value a literal of a condition stands for: a CIDR's address, a pattern's wildcards filled.
fn value_for(op: BaseOperator, literal: &str) -> String {
    match op {
        BaseOperator::IpAddress | BaseOperator::NotIpAddress => {
            literal.split('/').next().unwrap_or(literal).to_string()
        }
        _ if wildcard::has_wildcard(literal) => literal.replace('*', FRESH).replace('?', "x"),
        _ => literal.to_string(),
    }
}

/// The literals the policies compare `key` with, as values.
fn literals(policies: &Policies, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in all(policies) {
        for c in p.statements.iter().flat_map(|s| s.conditions.iter()) {
            if !c.is_key(key) {
                continue;
            }
            use BaseOperator::*;
            match c.operator.base {
                Null => {}
                Bool => out.extend(["true".to_string(), "false".to_string()]),
                // each side of a bound
                NumericEquals
                | NumericNotEquals
                | NumericLessThan
                | NumericLessThanEquals
                | NumericGreaterThan
                | NumericGreaterThanEquals => {
                    for v in &c.values {
                        out.push(v.clone());
                        if let Ok(n) = v.trim().parse::<i64>() {
                            out.push(n.saturating_sub(1).to_string());
                            out.push(n.saturating_add(1).to_string());
                        }
                    }
                }
                DateEquals
                | DateNotEquals
                | DateLessThan
                | DateLessThanEquals
                | DateGreaterThan
                | DateGreaterThanEquals => {
                    out.extend(c.values.iter().cloned());
                    out.push("1970-01-02T00:00:00Z".into());
                    out.push("2999-12-31T00:00:00Z".into());
                }
                op => out.extend(c.values.iter().map(|v| value_for(op, v))),
            }
        }
    }
    out
}

/// The patterns the policies compare `key` with.
fn patterns<'a>(policies: &'a Policies, key: &str) -> Vec<&'a str> {
    all(policies)
        .flat_map(|p| p.statements.iter())
        .flat_map(|s| s.conditions.iter())
        .filter(|c| c.is_key(key))
        .flat_map(|c| c.values.iter().map(String::as_str))
        .collect()
}

/// What the request can say of `key` (`None`: absent), by what the scenario says of it.
fn candidates(q: &Question<'_>, key: &str) -> Vec<Option<Vec<String>>> {
    let mut out: Vec<Option<Vec<String>>> = Vec::new();
    let mut push = |v: Option<Vec<String>>| {
        if !out.contains(&v) {
            out.push(v);
        }
    };
    match q.scenario.get(key) {
        Some(KeyState::Known(values)) => push(Some(values.clone())),
        Some(KeyState::Absent) => push(None),
        Some(KeyState::Adversary(a)) => {
            if a.may_be_absent {
                push(None);
            }
            for s in &a.samples {
                push(Some(vec![s.clone()]));
            }
            if let Some(space) = &a.space {
                for p in patterns(q.policies, key) {
                    if let Some(w) = space.witness(p).filter(|_| wildcard::has_wildcard(p)) {
                        push(Some(vec![w]));
                    }
                }
                if let Some(w) = space.witness("*") {
                    push(Some(vec![w]));
                }
            } else {
                // any value of its own, and the patterns' wildcards filled with one
                for p in patterns(q.policies, key)
                    .into_iter()
                    .filter(|p| wildcard::has_wildcard(p))
                {
                    push(Some(vec![value_for(BaseOperator::StringLike, p)]));
                }
                push(Some(vec![FRESH.to_string()]));
            }
        }
        // left open by the scenario: the policies' own values, or nothing
        None => {
            push(None);
            for v in literals(q.policies, key) {
                push(Some(vec![v]));
            }
            push(Some(vec![FRESH.to_string()]));
        }
    }
    out
}

/// The keys every request of `caller` carries (IAM User Guide, "AWS global condition context
/// keys": aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalIsAWSService,
/// aws:PrincipalServiceName), unless the scenario says otherwise.
fn caller_keys(caller: &Caller) -> Vec<(&'static str, String)> {
    match caller {
        Caller::Aws { arn, account } => vec![
            ("aws:PrincipalArn", arn.clone()),
            ("aws:PrincipalAccount", account.clone()),
            ("aws:PrincipalIsAWSService", "false".into()),
        ],
        Caller::Service(name) => vec![
            ("aws:PrincipalIsAWSService", "true".into()),
            ("aws:PrincipalServiceName", name.clone()),
        ],
        Caller::Federated(_) => Vec::new(),
    }
}

/// The callers to try: the one asked about, or, for an adversary whose ARN a pattern of the
/// policies may match, a principal of its own that matches.
fn callers(q: &Question<'_>) -> Vec<Caller> {
    let mut out = vec![q.caller.clone()];
    if let (Caller::Aws { .. }, Some(KeyState::Adversary(a))) =
        (&q.caller, q.scenario.get("aws:PrincipalArn"))
        && let Some(space) = &a.space
    {
        for p in patterns(q.policies, "aws:PrincipalArn") {
            if let Some(arn) = space.witness(p).filter(|_| wildcard::has_wildcard(p))
                && let Some(account) = super::principal::arn_account(&arn)
            {
                let c = Caller::Aws {
                    account: account.to_string(),
                    arn,
                };
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// A concrete request of the question that the evaluator allows, if the search finds one.
pub fn find(q: &Question<'_>) -> Option<Witness> {
    let resource_account = AccountId::parse(q.resource_account).ok()?;
    let caller_owned = ["aws:PrincipalArn", "aws:PrincipalAccount"];
    let keys: Vec<String> = keys(q.policies)
        .into_iter()
        .filter(|k| !caller_owned.iter().any(|c| c.eq_ignore_ascii_case(k)))
        .collect();
    let options: Vec<Vec<Option<Vec<String>>>> = keys.iter().map(|k| candidates(q, k)).collect();
    let mut budget = BUDGET;
    for caller in callers(q) {
        let mut base: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in caller_keys(&caller) {
            match q.scenario.get(k) {
                Some(KeyState::Known(values)) if caller_owned.contains(&k) => {
                    base.insert(k.to_string(), values.clone());
                }
                _ => {
                    base.insert(k.to_string(), vec![v]);
                }
            }
        }
        // mixed-radix counting over the keys' candidates
        let mut digits = vec![0usize; options.len()];
        loop {
            budget = budget.checked_sub(1)?;
            let mut context = base.clone();
            for ((key, opts), d) in keys.iter().zip(&options).zip(&digits) {
                if let Some(Some(values)) = opts.get(*d) {
                    context.insert(key.clone(), values.clone());
                }
            }
            let request = Request {
                caller: caller.clone(),
                action: q.action.to_string(),
                resource: q.resource.to_string(),
                resource_account: resource_account.clone(),
                context,
            };
            if evaluate(&request, q.policies).decision == super::Decision::Allowed {
                return Some(Witness {
                    principal: principal_of(&request.caller),
                    action: request.action,
                    resource: request.resource,
                    context: request.context,
                });
            }
            // next combination
            let mut i = 0;
            while let Some(d) = digits.get_mut(i) {
                *d += 1;
                if *d < options.get(i).map_or(0, Vec::len) {
                    break;
                }
                *d = 0;
                i += 1;
            }
            if i == digits.len() {
                break;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::adversary;

    const ROLE: &str = "arn:aws:iam::123456789012:role/vendor";

    fn trust(doc: &str) -> Policies {
        Policies {
            identity: vec![allow_all()],
            resource: Some(Policy::parse(doc).unwrap()),
            ..Policies::default()
        }
    }

    fn adversary_caller() -> Caller {
        Caller::Aws {
            arn: "arn:aws:iam::000000000000:role/connector-audit-adversary".into(),
            account: "000000000000".into(),
        }
    }

    #[test]
    fn an_organization_anyone_can_create() {
        let p = trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
                "Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}}}"#,
        );
        let scenario = adversary::principal_scenario();
        let w = find(&Question {
            caller: adversary_caller(),
            action: "sts:AssumeRole",
            resource: ROLE,
            resource_account: "123456789012",
            policies: &p,
            scenario,
        })
        .unwrap();
        let org = &w.context["aws:PrincipalOrgID"][0];
        assert!(org.starts_with("o-") && org.len() >= 12, "{w:?}");
        assert_eq!(w.context["aws:PrincipalAccount"], ["000000000000"]);
    }

    #[test]
    fn a_role_name_pattern_gives_the_adversary_a_matching_role() {
        let p = trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
                "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/vendor-*"}}}}"#,
        );
        let scenario = adversary::principal_scenario();
        let w = find(&Question {
            caller: adversary_caller(),
            action: "sts:AssumeRole",
            resource: ROLE,
            resource_account: "123456789012",
            policies: &p,
            scenario,
        })
        .unwrap();
        assert!(w.principal.contains(":role/vendor-"), "{w:?}");
        assert_eq!(
            w.context["aws:PrincipalArn"],
            std::slice::from_ref(&w.principal)
        );
        let account = w.principal.split(':').nth(4).unwrap();
        assert_eq!(w.context["aws:PrincipalAccount"], [account]);
    }

    #[test]
    fn none_when_the_adversary_cannot_get_in() {
        let p = trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
                "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}}}}"#,
        );
        let scenario = adversary::principal_scenario();
        let q = Question {
            caller: adversary_caller(),
            action: "sts:AssumeRole",
            resource: ROLE,
            resource_account: "123456789012",
            policies: &p,
            scenario,
        };
        assert_eq!(find(&q), None);
    }

    #[test]
    fn session_tags_the_adversary_sets_fill_a_variable() {
        let p = Policies {
            identity: vec![Policy::parse(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject",
                    "Resource":"arn:aws:s3:::${aws:PrincipalTag/bucket}/*"}}"#,
            )
            .unwrap()],
            ..Policies::default()
        };
        let w = find(&Question {
            caller: Caller::Aws {
                arn: ROLE.into(),
                account: "123456789012".into(),
            },
            action: "s3:GetObject",
            resource: &format!("arn:aws:s3:::{FRESH}/{FRESH}"),
            resource_account: "123456789012",
            policies: &p,
            scenario: &Scenario::new(),
        })
        .unwrap();
        assert_eq!(w.context["aws:PrincipalTag/bucket"], [FRESH]);
    }

    #[test]
    fn bounds_are_met_from_either_side() {
        let p = Policies {
            identity: vec![Policy::parse(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
                    "Condition":{"NumericGreaterThan":{"s3:max-keys":"10"},
                                 "DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},
                                 "IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}"#,
            )
            .unwrap()],
            ..Policies::default()
        };
        let w = find(&Question {
            caller: Caller::Aws {
                arn: ROLE.into(),
                account: "123456789012".into(),
            },
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k",
            resource_account: "123456789012",
            policies: &p,
            scenario: &Scenario::new(),
        })
        .unwrap();
        assert_eq!(w.context["s3:max-keys"], ["11"]);
        assert_eq!(w.context["aws:CurrentTime"], ["2999-12-31T00:00:00Z"]);
        assert_eq!(w.context["aws:SourceIp"], ["203.0.113.0"]);
    }

    #[test]
    fn variables_are_found_in_resources_and_values() {
        assert_eq!(
            variables("arn:aws:s3:::${aws:PrincipalTag/b}/${aws:userid, 'x'}/*"),
            ["aws:PrincipalTag/b", "aws:userid"]
        );
        assert!(variables("${*}${?}${$}").is_empty());
    }
}
