//! Principals of a trust policy, resolved to what they mean: any principal, an AWS account or
//! identity (with its account id), an AWS service, or a federated identity provider. PURE.

use serde::Serialize;

/// One entry of a `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Principal {
    /// `"*"` (everyone, `aws_only: false`) or `{"AWS": "*"}` (every AWS principal).
    Any { aws_only: bool },
    /// An AWS account or an identity in one.
    Aws(AwsPrincipal),
    /// `{"Service": "qbusiness.amazonaws.com"}`
    Service { name: String },
    /// `{"Federated": "accounts.google.com"}` or an OIDC / SAML provider ARN.
    Federated { provider: String },
    /// `{"CanonicalUser": "..."}` (S3 legacy).
    CanonicalUser { id: String },
}

/// What an AWS principal string names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AwsPrincipalKind {
    /// `123456789012`
    Account,
    /// `arn:aws:iam::123456789012:root`
    Root,
    Role,
    User,
    AssumedRole,
    FederatedUser,
    /// A unique id (`AROA...`: IAM shows one when the named principal was deleted) or an
    /// ARN form we do not know.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwsPrincipal {
    /// As written in the policy.
    pub value: String,
    pub kind: AwsPrincipalKind,
    /// The 12-digit account id, when the value names one.
    pub account: Option<String>,
    pub partition: Option<String>,
}

impl AwsPrincipal {
    /// True when the principal stands for a whole account (the account delegates to its admins).
    pub fn is_account(&self) -> bool {
        matches!(
            self.kind,
            AwsPrincipalKind::Account | AwsPrincipalKind::Root
        )
    }
}

/// Resolves an `AWS` principal value. Wildcards inside an ARN are invalid in IAM; where one
/// stands in the account field, the principal is treated as any AWS principal.
pub fn resolve_aws(value: &str) -> Principal {
    if value == "*" {
        return Principal::Any { aws_only: true };
    }
    if is_account_id(value) {
        return Principal::Aws(AwsPrincipal {
            value: value.to_string(),
            kind: AwsPrincipalKind::Account,
            account: Some(value.to_string()),
            partition: None,
        });
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if let [arn, partition, service, _region, account, resource] = parts.as_slice()
        && *arn == "arn"
    {
        if account.contains(['*', '?']) {
            return Principal::Any { aws_only: true };
        }
        let kind = match (*service, resource.split('/').next().unwrap_or_default()) {
            ("iam", "root") => AwsPrincipalKind::Root,
            ("iam", "role") => AwsPrincipalKind::Role,
            ("iam", "user") => AwsPrincipalKind::User,
            ("sts", "assumed-role") => AwsPrincipalKind::AssumedRole,
            ("sts", "federated-user") => AwsPrincipalKind::FederatedUser,
            _ => AwsPrincipalKind::Other,
        };
        return Principal::Aws(AwsPrincipal {
            value: value.to_string(),
            kind,
            account: is_account_id(account).then(|| (*account).to_string()),
            partition: Some((*partition).to_string()),
        });
    }
    Principal::Aws(AwsPrincipal {
        value: value.to_string(),
        kind: AwsPrincipalKind::Other,
        account: None,
        partition: None,
    })
}

pub use crate::model::ids::{arn_account, is_account_id};

/// What a `Federated` principal names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Federation<'a> {
    /// A web identity issuer: the issuer of an IAM OIDC provider
    /// (`arn:aws:iam::<account>:oidc-provider/<issuer>`), or one STS knows without a provider
    /// (`accounts.google.com`, `cognito-identity.amazonaws.com`, `graph.facebook.com`,
    /// `www.amazon.com`). Its condition keys are `<issuer>:sub`, `<issuer>:aud`, ...
    WebIdentity(Issuer<'a>),
    /// An IAM SAML provider (`arn:aws:iam::<account>:saml-provider/<name>`); its keys are
    /// `saml:sub`, `saml:aud`, ...
    Saml { name: &'a str },
}

/// A web identity issuer, recognised by its host (and path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issuer<'a> {
    /// As it prefixes the condition keys: `oidc.eks.us-east-1.amazonaws.com/id/<ID>`.
    pub issuer: &'a str,
    pub kind: IssuerKind<'a>,
}

/// Who runs a web identity issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerKind<'a> {
    /// `accounts.google.com`: every Google account in the world.
    Google,
    /// `cognito-identity.amazonaws.com`: Amazon Cognito identity pools.
    Cognito,
    /// `graph.facebook.com`.
    Facebook,
    /// `www.amazon.com`: Login with Amazon.
    LoginWithAmazon,
    /// `token.actions.githubusercontent.com` (or `.../<enterprise>` for an enterprise's own).
    GitHubActions { enterprise: Option<&'a str> },
    /// `oidc.eks.<region>.amazonaws.com/id/<ID>`: one EKS cluster's service accounts.
    Eks { region: &'a str, id: &'a str },
    /// Any other OIDC provider, known by its host.
    Other { host: &'a str },
}

/// Resolves a `Federated` principal value.
pub fn federation(provider: &str) -> Federation<'_> {
    if let Some((_, name)) = provider.split_once(":saml-provider/") {
        return Federation::Saml { name };
    }
    let issuer = provider
        .split_once(":oidc-provider/")
        .map_or(provider, |(_, issuer)| issuer);
    Federation::WebIdentity(Issuer {
        issuer,
        kind: issuer_kind(issuer),
    })
}

fn issuer_kind(issuer: &str) -> IssuerKind<'_> {
    let bare = issuer
        .strip_prefix("https://")
        .unwrap_or(issuer)
        .trim_end_matches('/');
    let (host, path) = bare.split_once('/').unwrap_or((bare, ""));
    match host {
        "accounts.google.com" => IssuerKind::Google,
        "cognito-identity.amazonaws.com" => IssuerKind::Cognito,
        "graph.facebook.com" => IssuerKind::Facebook,
        "www.amazon.com" => IssuerKind::LoginWithAmazon,
        "token.actions.githubusercontent.com" => IssuerKind::GitHubActions {
            enterprise: (!path.is_empty()).then_some(path),
        },
        _ => {
            let eks = host
                .strip_prefix("oidc.eks.")
                .and_then(|rest| rest.split_once(".amazonaws.com"))
                .map(|(region, _)| region)
                .zip(path.strip_prefix("id/"))
                .filter(|(region, id)| !region.is_empty() && !id.is_empty());
            match eks {
                Some((region, id)) => IssuerKind::Eks { region, id },
                None => IssuerKind::Other { host },
            }
        }
    }
}

/// Who makes a request, for evaluating a trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An IAM role or user (or a session of a role): `arn` and the account it lives in.
    Aws {
        arn: String,
        account: String,
    },
    Service(String),
    Federated(String),
}

/// How a `Principal` entry names a caller, from the most direct to the least. The difference
/// matters where AWS lets a resource policy grant on its own: in the caller's own account a
/// trust policy naming the account (`:root`) only delegates to the caller's identity-based
/// policies, and an implicit deny of a permissions boundary is lifted only by a grant made to
/// the caller itself (see [`super::request`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Naming {
    /// The caller's account (`123456789012`, `arn:aws:iam::123456789012:root`).
    Account,
    /// The role whose session the caller is.
    RoleOfSession,
    /// Every principal but the listed ones (`NotPrincipal`), the caller not among them.
    AllBut,
    /// The caller itself: its ARN, its service name, its identity provider.
    Identity,
    /// Everyone (`"*"`, or `{"AWS": "*"}` for an AWS caller).
    Everyone,
}

impl Principal {
    /// Does this policy principal designate the caller?
    pub fn designates(&self, caller: &Caller) -> bool {
        self.naming(caller).is_some()
    }

    /// How this policy principal names the caller, if it does.
    pub fn naming(&self, caller: &Caller) -> Option<Naming> {
        match (self, caller) {
            (Principal::Any { aws_only }, c) => {
                (!aws_only || matches!(c, Caller::Aws { .. })).then_some(Naming::Everyone)
            }
            (Principal::Aws(p), Caller::Aws { arn, account }) => {
                if p.is_account() {
                    (p.account.as_deref() == Some(account.as_str())).then_some(Naming::Account)
                } else if p.value == *arn {
                    Some(Naming::Identity)
                } else {
                    names_role_of_session(&p.value, arn).then_some(Naming::RoleOfSession)
                }
            }
            (Principal::Service { name }, Caller::Service(s)) => {
                name.eq_ignore_ascii_case(s).then_some(Naming::Identity)
            }
            (Principal::Federated { provider }, Caller::Federated(f)) => {
                (provider == f).then_some(Naming::Identity)
            }
            _ => None,
        }
    }
}

/// Does `role_arn` name the role whose session `session_arn` is? A session's ARN carries the
/// role's name but not its path (`role/team/app` -> `assumed-role/app/s1`; IAM User Guide,
/// "IAM identifiers"), so the path is left out of the comparison.
fn names_role_of_session(role_arn: &str, session_arn: &str) -> bool {
    let Some(role) = session_of(session_arn) else {
        return false;
    };
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource] => resource
            .strip_prefix("role/")
            .and_then(|path_and_name| path_and_name.rsplit('/').next())
            .is_some_and(|name| role == format!("arn:{partition}:iam::{account}:role/{name}")),
        _ => false,
    }
}

/// `arn:aws:sts::A:assumed-role/R/session` -> `arn:aws:iam::A:role/R`: IAM matches a role's
/// sessions against the role's ARN.
pub fn session_of(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if let ["arn", partition, "sts", _, account, resource] = parts.as_slice() {
        let rest = resource.strip_prefix("assumed-role/")?;
        let role = rest.split('/').next()?;
        return Some(format!("arn:{partition}:iam::{account}:role/{role}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(v: &str) -> AwsPrincipal {
        match resolve_aws(v) {
            Principal::Aws(p) => p,
            other => panic!("{v} resolved to {other:?}"),
        }
    }

    #[test]
    fn resolves_every_form() {
        assert_eq!(aws("123456789012").kind, AwsPrincipalKind::Account);
        assert_eq!(aws("123456789012").account.as_deref(), Some("123456789012"));
        let root = aws("arn:aws:iam::111122223333:root");
        assert_eq!(root.kind, AwsPrincipalKind::Root);
        assert_eq!(root.account.as_deref(), Some("111122223333"));
        assert_eq!(
            aws("arn:aws-cn:iam::111122223333:role/x").kind,
            AwsPrincipalKind::Role
        );
        assert_eq!(
            aws("arn:aws-us-gov:iam::111122223333:user/a/b")
                .partition
                .as_deref(),
            Some("aws-us-gov")
        );
        assert_eq!(
            aws("arn:aws:sts::111122223333:assumed-role/r/s").kind,
            AwsPrincipalKind::AssumedRole
        );
        assert_eq!(aws("AROAEXAMPLEID").kind, AwsPrincipalKind::Other);
        assert_eq!(aws("AROAEXAMPLEID").account, None);
        assert_eq!(resolve_aws("*"), Principal::Any { aws_only: true });
        assert_eq!(
            resolve_aws("arn:aws:iam::*:root"),
            Principal::Any { aws_only: true }
        );
    }

    #[test]
    fn designation() {
        let caller = Caller::Aws {
            arn: "arn:aws:iam::111122223333:role/vendor".into(),
            account: "111122223333".into(),
        };
        assert!(resolve_aws("111122223333").designates(&caller));
        assert!(resolve_aws("arn:aws:iam::111122223333:root").designates(&caller));
        assert!(resolve_aws("arn:aws:iam::111122223333:role/vendor").designates(&caller));
        assert!(!resolve_aws("arn:aws:iam::111122223333:role/other").designates(&caller));
        assert!(!resolve_aws("999999999999").designates(&caller));
        let session = Caller::Aws {
            arn: "arn:aws:sts::111122223333:assumed-role/vendor/s1".into(),
            account: "111122223333".into(),
        };
        assert!(resolve_aws("arn:aws:iam::111122223333:role/vendor").designates(&session));
        assert!(!resolve_aws("arn:aws:iam::111122223333:role/vendor-2").designates(&session));
        assert!(!resolve_aws("arn:aws:iam::999999999999:role/vendor").designates(&session));
        let svc = Caller::Service("qbusiness.amazonaws.com".into());
        assert!(!Principal::Any { aws_only: true }.designates(&svc));
        assert!(Principal::Any { aws_only: false }.designates(&svc));
    }

    #[test]
    fn federations() {
        let eks = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/5C2F9A17D3B84E60A1F7C9E2B4D8A613";
        let Federation::WebIdentity(i) = federation(eks) else {
            panic!("{eks}")
        };
        assert_eq!(
            i.issuer,
            "oidc.eks.us-east-1.amazonaws.com/id/5C2F9A17D3B84E60A1F7C9E2B4D8A613"
        );
        assert_eq!(
            i.kind,
            IssuerKind::Eks {
                region: "us-east-1",
                id: "5C2F9A17D3B84E60A1F7C9E2B4D8A613"
            }
        );
        let cn = "arn:aws-cn:iam::123456789012:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC";
        assert!(matches!(
            federation(cn),
            Federation::WebIdentity(Issuer {
                kind: IssuerKind::Eks {
                    region: "cn-north-1",
                    id: "ABC"
                },
                ..
            })
        ));
        for (provider, kind) in [
            ("accounts.google.com", IssuerKind::Google),
            ("cognito-identity.amazonaws.com", IssuerKind::Cognito),
            ("graph.facebook.com", IssuerKind::Facebook),
            ("www.amazon.com", IssuerKind::LoginWithAmazon),
            (
                "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
                IssuerKind::GitHubActions { enterprise: None },
            ),
            (
                "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/acme",
                IssuerKind::GitHubActions {
                    enterprise: Some("acme"),
                },
            ),
            (
                "arn:aws:iam::123456789012:oidc-provider/auth.example.com/realms/data",
                IssuerKind::Other {
                    host: "auth.example.com",
                },
            ),
            (
                "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com",
                IssuerKind::Other {
                    host: "oidc.eks.us-east-1.amazonaws.com",
                },
            ),
        ] {
            match federation(provider) {
                Federation::WebIdentity(i) => assert_eq!(i.kind, kind, "{provider}"),
                other => panic!("{provider}: {other:?}"),
            }
        }
        assert_eq!(
            federation("arn:aws:iam::123456789012:saml-provider/Okta"),
            Federation::Saml { name: "Okta" }
        );
    }

    #[test]
    fn a_role_with_a_path_designates_its_sessions() {
        // the session ARN drops the role's path: `role/team/vendor` assumed is
        // `assumed-role/vendor/s1` (found by the differential test: the role with a path did
        // not match its own sessions, so a trust Deny naming it let them through)
        let session = Caller::Aws {
            arn: "arn:aws:sts::111122223333:assumed-role/vendor/s1".into(),
            account: "111122223333".into(),
        };
        let with_path = resolve_aws("arn:aws:iam::111122223333:role/team/vendor");
        assert_eq!(with_path.naming(&session), Some(Naming::RoleOfSession));
        assert!(!resolve_aws("arn:aws:iam::111122223333:role/team/other").designates(&session));
        // the role itself is named by its full ARN only
        let role = Caller::Aws {
            arn: "arn:aws:iam::111122223333:role/team/vendor".into(),
            account: "111122223333".into(),
        };
        assert_eq!(with_path.naming(&role), Some(Naming::Identity));
        assert!(!resolve_aws("arn:aws:iam::111122223333:role/vendor").designates(&role));
    }

    #[test]
    fn arn_accounts() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:role/x"),
            Some("123456789012")
        );
        assert_eq!(arn_account("arn:aws:s3:::bucket"), None);
        assert_eq!(arn_account("nope"), None);
    }
}
