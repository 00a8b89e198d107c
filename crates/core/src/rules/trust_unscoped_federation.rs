//! `trust-unscoped-federation` (critical for Google and Cognito, high otherwise): see [`DOC`].

use super::{RoleView, Rule, RuleContext, statement_label, witnessed};
use crate::fix::{self, FixInput, Placeholder};
use crate::model::{Finding, PolicyRef, Severity};
use crate::parties::issuer_name;
use crate::policy::condition::{Adversary, KeyState};
use crate::policy::principal::{Caller, Federation, IssuerKind, Principal, federation};
use crate::policy::trust::{ASSUME_ROLE_WITH_WEB_IDENTITY, statement_grants};
use crate::policy::{Effect, Scenario};
use serde_json::Value;
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "trust-unscoped-federation",
    severity: Severity::High,
    title: "web-identity trust does not pin who may assume the role (critical for Google and Cognito: anyone can get their tokens)",
    doc: DOC,
    check,
    fix: Some(fix),
};

pub const DOC: &str = "\
What it flags
  A trust statement for sts:AssumeRoleWithWebIdentity without an enforced condition pinning
  the identity:
  - accounts.google.com: none of `accounts.google.com:sub`, `:aud`, `:oaud` pinned (critical:
    every Google account in the world can get a token);
  - cognito-identity.amazonaws.com: `cognito-identity.amazonaws.com:aud` (the identity pool) not
    pinned (critical);
  - an OIDC provider (EKS, GitHub Actions, ...): `<issuer>:sub` missing or matching any subject,
    e.g. `system:serviceaccount:*:*` or `*` (high: any workload of that issuer gets in; pinning
    only `:aud` = `sts.amazonaws.com` does not help, every EKS token carries it);
  - graph.facebook.com / www.amazon.com: `:app_id` not pinned (high).
  Conditions under `...IfExists` or `ForAllValues:` and wildcard-only values do not pin.

Why it matters
  With web identity the token, not an AWS account, is the credential. Whoever can obtain a
  token from the issuer that satisfies the conditions can assume the role.

Example
  {\"Effect\": \"Allow\", \"Principal\": {\"Federated\": \"accounts.google.com\"},
   \"Action\": \"sts:AssumeRoleWithWebIdentity\"}

Fix
  Pin the subject: `\"StringEquals\": {\"accounts.google.com:sub\": \"<service account id>\"}`,
  or for EKS `\"StringEquals\": {\"<issuer>:sub\": \"system:serviceaccount:<ns>:<sa>\",
  \"<issuer>:aud\": \"sts.amazonaws.com\"}`.";

/// Who the adversary can be for a provider: the keys it controls, their sample values, and the
/// severity when nothing pins it.
struct ProviderModel {
    /// Who is behind the issuer (`Google`, `EKS cluster <ID> (<region>)`).
    party: String,
    keys: Vec<(String, Vec<String>)>,
    severity: Severity,
    fix_key: String,
}

fn model(provider: &str) -> Option<ProviderModel> {
    let Federation::WebIdentity(issuer) = federation(provider) else {
        return None; // SAML: another protocol, other keys
    };
    let key = |suffix: &str| format!("{}:{suffix}", issuer.issuer);
    let m = match issuer.kind {
        IssuerKind::Google => ProviderModel {
            keys: vec![
                (key("sub"), vec![]),
                (key("aud"), vec![]),
                (key("oaud"), vec![]),
            ],
            severity: Severity::Critical,
            fix_key: key("sub"),
            party: issuer_name(&issuer),
        },
        IssuerKind::Cognito => ProviderModel {
            keys: vec![(key("aud"), vec![])],
            severity: Severity::Critical,
            fix_key: key("aud"),
            party: issuer_name(&issuer),
        },
        IssuerKind::Facebook | IssuerKind::LoginWithAmazon => ProviderModel {
            keys: vec![(key("app_id"), vec![])],
            severity: Severity::High,
            fix_key: key("app_id"),
            party: issuer_name(&issuer),
        },
        IssuerKind::GitHubActions { .. } | IssuerKind::Eks { .. } | IssuerKind::Other { .. } => {
            let samples = if matches!(issuer.kind, IssuerKind::GitHubActions { .. }) {
                vec!["repo:connector-audit-adversary/repo:ref:refs/heads/main".to_string()]
            } else {
                vec!["system:serviceaccount:connector-audit-adversary:default".to_string()]
            };
            ProviderModel {
                keys: vec![(key("sub"), samples)],
                severity: Severity::High,
                fix_key: key("sub"),
                party: issuer_name(&issuer),
            }
        }
    };
    Some(m)
}

/// The identity provider a condition key belongs to (`accounts.google.com:sub` ->
/// `accounts.google.com`, `oidc.eks.<region>.amazonaws.com/id/<ID>:aud` -> the issuer): a
/// host name before the claim. Service and global keys (`aws:`, `sts:`, ...) have none.
fn provider_of_key(key: &str) -> Option<&str> {
    let (provider, _claim) = key.rsplit_once(':')?;
    provider.contains('.').then_some(provider)
}

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Ok(trust) = &role.trust else { return };
    for statement in trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        for principal in statement.principals() {
            let Principal::Federated { provider } = principal else {
                continue;
            };
            let Some(m) = model(provider) else { continue };
            // a token of this provider carries only this provider's keys: a condition on another
            // provider's key (a statement trusting several) is false for it, not unknown (IAM
            // User Guide, "Available keys for AWS web identity federation": the keys are
            // prefixed with the provider they come from)
            let others = statement
                .conditions
                .iter()
                .map(|c| c.key.as_str())
                .filter(|k| {
                    provider_of_key(k).is_some_and(|p| provider_of_key(&m.fix_key) != Some(p))
                });
            let scenario = others.fold(Scenario::new(), |s, k| s.with(k, KeyState::Absent));
            let scenario = m.keys.iter().fold(scenario, |s, (k, samples)| {
                s.with(
                    k,
                    KeyState::Adversary(Adversary {
                        samples: samples.clone(),
                        ..Adversary::default()
                    }),
                )
            });
            let caller = Caller::Federated(provider.clone());
            if !statement_grants(
                trust,
                statement,
                &caller,
                ASSUME_ROLE_WITH_WEB_IDENTITY,
                &scenario,
            ) {
                continue;
            }
            let conditions: Vec<String> = statement
                .conditions
                .iter()
                .filter(|c| m.keys.iter().any(|(k, _)| c.is_key(k)))
                .map(|c| c.describe())
                .collect();
            let keys: Vec<&str> = m.keys.iter().map(|(k, _)| k.as_str()).collect();
            let witness =
                role.trust_witness(caller.clone(), ASSUME_ROLE_WITH_WEB_IDENTITY, &scenario);
            let mut f = witnessed(
                witness,
                role.finding(
                &RULE,
                PolicyRef::Trust,
                Some(statement),
                format!(
                    "any identity from {} can assume the role: {} leaves {} unpinned{}",
                    m.party,
                    statement_label(statement),
                    keys.join(" / "),
                    if conditions.is_empty() {
                        String::new()
                    } else {
                        format!(" (`{}` pins nothing)", conditions.join("`, `"))
                    }
                ),
                json!({ "provider": provider, "party": m.party, "unpinned_keys": keys, "conditions": conditions }),
                format!(
                    "Add `\"Condition\": {{\"StringEquals\": {{\"{}\": \"<the exact identity>\"}}}}` to {} (no wildcards, not IfExists)",
                    m.fix_key,
                    statement_label(statement)
                ),
            ));
            f.severity = m.severity;
            out.push(f);
        }
    }
}

/// The fix: the claim that names the vendor's identity pinned, exactly.
fn fix(input: &FixInput<'_>, doc: &mut Value) -> Option<Vec<Placeholder>> {
    let m = input
        .finding
        .evidence
        .value()
        .get("provider")
        .and_then(|p| p.as_str())
        .and_then(model)?;
    let st = fix::statement(doc, input.finding)?;
    let claim = m.fix_key.rsplit(':').next().unwrap_or("sub");
    let token = match claim {
        "sub" => "<OIDC_SUBJECT>".to_string(),
        "aud" => "<OIDC_AUDIENCE>".to_string(),
        other => format!("<{}>", other.to_ascii_uppercase()),
    };
    fix::set_condition(st, "StringEquals", &m.fix_key, Value::from(token.clone()));
    Some(vec![Placeholder {
        token,
        what: format!(
            "the exact `{claim}` claim of the vendor's identity at {} (`{}`)",
            m.party, m.fix_key
        ),
        find: "the vendor's set-up page (its service account, workload or client id); for an EKS service account, `system:serviceaccount:<namespace>:<name>`".into(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{check as run, role, seed_roles};

    const EKS: &str = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/5C2F9A17D3B84E60A1F7C9E2B4D8A613";
    const ISSUER: &str = "oidc.eks.us-east-1.amazonaws.com/id/5C2F9A17D3B84E60A1F7C9E2B4D8A613";

    fn trust(provider: &str, condition: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{condition}}}]}}"#
        )
    }

    #[test]
    fn a_statement_trusting_several_providers_binds_each_with_its_own_keys() {
        const OTHER: &str = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9";
        let both = |condition: &str| {
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":["{EKS}","{OTHER}"]}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{condition}}}]}}"#
            )
        };
        // only the first provider's sub is pinned: a token of the second carries no such key,
        // the condition is false for it, and neither provider gets in unpinned
        let pinned_first = both(&format!(
            r#"{{"StringEquals":{{"{ISSUER}:sub":"system:serviceaccount:milvus:reader"}}}}"#
        ));
        assert!(run(&RULE, &role(&pinned_first, &[], &[])).is_empty());
        // with `IfExists`, the second provider's token passes: the second provider is unpinned
        let if_exists = both(&format!(
            r#"{{"StringEqualsIfExists":{{"{ISSUER}:sub":"system:serviceaccount:milvus:reader"}}}}"#
        ));
        let f = run(&RULE, &role(&if_exists, &[], &[]));
        assert!(!f.is_empty());
        assert!(f.iter().any(|f| f.evidence["provider"] == OTHER), "{f:?}");
        // no condition at all: both
        let f = run(&RULE, &role(&both("{}"), &[], &[]));
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn google() {
        let f = run(&RULE, &role(&trust("accounts.google.com", "{}"), &[], &[]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(
            f[0].message,
            "any identity from Google can assume the role: statement 0 leaves accounts.google.com:sub / accounts.google.com:aud / accounts.google.com:oaud unpinned"
        );
        for pinned in ["sub", "aud", "oaud"] {
            let c = format!(
                r#"{{"StringEquals":{{"accounts.google.com:{pinned}":"107356127489012345678"}}}}"#
            );
            assert!(
                run(&RULE, &role(&trust("accounts.google.com", &c), &[], &[])).is_empty(),
                "{pinned}"
            );
        }
        let ifexists =
            r#"{"StringEqualsIfExists":{"accounts.google.com:sub":"107356127489012345678"}}"#;
        assert_eq!(
            run(
                &RULE,
                &role(&trust("accounts.google.com", ifexists), &[], &[])
            )
            .len(),
            1
        );
        let star = r#"{"StringLike":{"accounts.google.com:sub":"*"}}"#;
        assert_eq!(
            run(&RULE, &role(&trust("accounts.google.com", star), &[], &[])).len(),
            1
        );
    }

    #[test]
    fn cognito() {
        let p = "cognito-identity.amazonaws.com";
        assert_eq!(
            run(&RULE, &role(&trust(p, "{}"), &[], &[]))[0].severity,
            Severity::Critical
        );
        let amr_only =
            r#"{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}"#;
        assert_eq!(run(&RULE, &role(&trust(p, amr_only), &[], &[])).len(), 1);
        let aud = r#"{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:12345678-1234-1234-1234-123456789012"}}"#;
        assert!(run(&RULE, &role(&trust(p, aud), &[], &[])).is_empty());
    }

    #[test]
    fn eks_oidc() {
        let aud_only = format!(r#"{{"StringEquals":{{"{ISSUER}:aud":"sts.amazonaws.com"}}}}"#);
        let f = run(&RULE, &role(&trust(EKS, &aud_only), &[], &[]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert!(
            f[0].message.starts_with(
                "any identity from EKS cluster 5C2F9A17D3B84E60A1F7C9E2B4D8A613 (us-east-1) can assume the role"
            ),
            "{}",
            f[0].message
        );
        for sub in ["system:serviceaccount:*:*", "*", "system:serviceaccount:*"] {
            let c = format!(
                r#"{{"StringLike":{{"{ISSUER}:sub":"{sub}"}},"StringEquals":{{"{ISSUER}:aud":"sts.amazonaws.com"}}}}"#
            );
            assert_eq!(
                run(&RULE, &role(&trust(EKS, &c), &[], &[])).len(),
                1,
                "{sub}"
            );
        }
        for sub in [
            "system:serviceaccount:milvus:milvus-s3-access-sa",
            "system:serviceaccount:milvus:*",
        ] {
            let c = format!(r#"{{"StringLike":{{"{ISSUER}:sub":"{sub}"}}}}"#);
            assert!(
                run(&RULE, &role(&trust(EKS, &c), &[], &[])).is_empty(),
                "{sub}"
            );
        }
    }

    #[test]
    fn github_and_saml() {
        let gh = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
        let any_repo = r#"{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"}}"#;
        let f = run(&RULE, &role(&trust(gh, any_repo), &[], &[]));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "any identity from GitHub Actions can assume the role: statement 0 leaves token.actions.githubusercontent.com:sub unpinned (`StringLike token.actions.githubusercontent.com:sub [repo:*]` pins nothing)"
        );
        let my_org = r#"{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}"#;
        assert!(run(&RULE, &role(&trust(gh, my_org), &[], &[])).is_empty());
        let saml = "arn:aws:iam::123456789012:saml-provider/Okta";
        assert!(run(&RULE, &role(&trust(saml, "{}"), &[], &[])).is_empty());
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
