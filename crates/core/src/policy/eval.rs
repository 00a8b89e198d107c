//! Does a statement apply to a request, and what does a set of statements decide? The request
//! carries a [`Scenario`]: what is known of each condition key. Keys it does not model are
//! `Unknown`, and the decision falls the cautious way for an auditor: an Allow that *may* apply
//! grants, a Deny blocks only when it certainly applies. PURE.

use super::condition::{KeyState, Truth};
use super::document::{Effect, Statement};
use super::principal::Caller;

/// What is known of the request context, key by key (keys compare case-insensitively).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scenario {
    keys: Vec<(String, KeyState)>,
}

impl Scenario {
    pub fn new() -> Scenario {
        Scenario::default()
    }

    /// Adds (or replaces) what is known of `key`.
    pub fn with(mut self, key: &str, state: KeyState) -> Scenario {
        let key = key.to_ascii_lowercase();
        self.keys.retain(|(k, _)| *k != key);
        self.keys.push((key, state));
        self
    }

    pub fn get(&self, key: &str) -> Option<&KeyState> {
        self.keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, s)| s)
    }
}

/// A request to evaluate. `caller` is `None` for identity policies (the caller is the role);
/// `resource` is `None` for trust policies (the resource is the role itself).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub caller: Option<&'a Caller>,
    pub action: &'a str,
    pub resource: Option<&'a str>,
    pub scenario: &'a Scenario,
}

/// The outcome of a set of statements for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Some Allow may apply and no Deny certainly does.
    Allowed,
    /// A Deny certainly applies.
    ExplicitDeny,
    /// No Allow applies.
    ImplicitDeny,
}

impl Statement {
    /// Does this statement apply to the request (ignoring its effect)?
    pub fn applies(&self, req: &Request<'_>) -> Truth {
        if let (Some(clause), Some(caller)) = (&self.principal, req.caller) {
            let named = clause.items.iter().any(|p| p.designates(caller));
            if named == clause.negated {
                return Truth::False;
            }
        }
        if !self.action.matches_action(req.action) {
            return Truth::False;
        }
        if let (Some(clause), Some(resource)) = (&self.resource, req.resource)
            && !clause.matches_resource(resource)
        {
            return Truth::False;
        }
        self.conditions.iter().fold(Truth::True, |acc, c| {
            acc.and(c.evaluate(req.scenario.get(&c.key)))
        })
    }
}

/// True when some Deny among `statements` certainly applies to the request.
pub fn certainly_denied<'a>(
    statements: impl IntoIterator<Item = &'a Statement>,
    req: &Request<'_>,
) -> bool {
    statements
        .into_iter()
        .any(|s| s.effect == Effect::Deny && s.applies(req) == Truth::True)
}

/// The decision of a set of statements (one policy, or a role's identity policies together).
pub fn decide<'a, I>(statements: I, req: &Request<'_>) -> Decision
where
    I: IntoIterator<Item = &'a Statement>,
    I::IntoIter: Clone,
{
    let all = statements.into_iter();
    if certainly_denied(all.clone(), req) {
        return Decision::ExplicitDeny;
    }
    let allowed = all
        .filter(|s| s.effect == Effect::Allow)
        .any(|s| s.applies(req).possible());
    if allowed {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    }
}

/// How sure a set of statements is about a request, for comparing with what AWS answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    /// An Allow certainly applies and no Deny may.
    Allowed,
    /// No Allow may apply, or a Deny certainly does.
    Denied,
    /// The answer turns on context the scenario leaves open.
    Depends,
}

/// Like [`decide`], but says when the answer depends on unknown context instead of
/// leaning towards Allow.
pub fn certainty<'a, I>(statements: I, req: &Request<'_>) -> Certainty
where
    I: IntoIterator<Item = &'a Statement>,
    I::IntoIter: Clone,
{
    let all = statements.into_iter();
    if certainly_denied(all.clone(), req) {
        return Certainty::Denied;
    }
    let deny_possible = all
        .clone()
        .any(|s| s.effect == Effect::Deny && s.applies(req).possible());
    let allows: Vec<Truth> = all
        .filter(|s| s.effect == Effect::Allow)
        .map(|s| s.applies(req))
        .collect();
    if !allows.iter().any(|t| t.possible()) {
        Certainty::Denied
    } else if allows.contains(&Truth::True) && !deny_possible {
        Certainty::Allowed
    } else {
        Certainty::Depends
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use crate::policy::condition::Adversary;

    fn vendor() -> Caller {
        Caller::Aws {
            arn: "arn:aws:iam::428641199958:role/vendor".into(),
            account: "428641199958".into(),
        }
    }

    fn decide_trust(doc: &str, scenario: &Scenario) -> Decision {
        let p = Policy::parse(doc).unwrap();
        let caller = vendor();
        let req = Request {
            caller: Some(&caller),
            action: "sts:AssumeRole",
            resource: None,
            scenario,
        };
        decide(&p.statements, &req)
    }

    #[test]
    fn deny_wins_only_when_certain() {
        let doc = r#"{"Statement":[
          {"Effect":"Allow","Principal":{"AWS":"428641199958"},"Action":"sts:AssumeRole"},
          {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
           "Condition":{"StringNotEquals":{"sts:ExternalId":"s3cr3t-value"}}}
        ]}"#;
        let absent = Scenario::new().with("sts:ExternalId", KeyState::Absent);
        assert_eq!(decide_trust(doc, &absent), Decision::ExplicitDeny);
        let adversary =
            Scenario::new().with("sts:externalid", KeyState::Adversary(Adversary::default()));
        assert_eq!(decide_trust(doc, &adversary), Decision::ExplicitDeny);
        let right = Scenario::new().with(
            "sts:ExternalId",
            KeyState::Known(vec!["s3cr3t-value".into()]),
        );
        assert_eq!(decide_trust(doc, &right), Decision::Allowed);
        // not modelled: the Deny may not apply, so the Allow stands
        assert_eq!(decide_trust(doc, &Scenario::new()), Decision::Allowed);
    }

    #[test]
    fn certainty_separates_sure_from_conditional() {
        let p = Policy::parse(
            r#"{"Statement":[
              {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"},
              {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
               "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
              {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/secret/*"}
            ]}"#,
        )
        .unwrap();
        let s = Scenario::new();
        let ask = |resource: &'static str| {
            certainty(
                &p.statements,
                &Request {
                    caller: None,
                    action: "s3:GetObject",
                    resource: Some(resource),
                    scenario: &s,
                },
            )
        };
        assert_eq!(ask("arn:aws:s3:::a/x"), Certainty::Allowed);
        assert_eq!(ask("arn:aws:s3:::b/x"), Certainty::Depends);
        assert_eq!(ask("arn:aws:s3:::a/secret/x"), Certainty::Denied);
        assert_eq!(ask("arn:aws:s3:::c/x"), Certainty::Denied);
    }

    #[test]
    fn principal_and_action_mismatch() {
        let doc = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}}"#;
        assert_eq!(decide_trust(doc, &Scenario::new()), Decision::ImplicitDeny);
        let doc = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"428641199958"},"Action":"sts:TagSession"}}"#;
        assert_eq!(decide_trust(doc, &Scenario::new()), Decision::ImplicitDeny);
        let doc = r#"{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"111111111111"},"Action":"STS:assume*"}}"#;
        assert_eq!(decide_trust(doc, &Scenario::new()), Decision::Allowed);
    }
}
