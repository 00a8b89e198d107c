//! Who is behind every way into a role. The engine says which principals a trust policy lets
//! in ([`crate::policy::trust::ways_in`], [`crate::policy::trust::foreign_principals`], over
//! the principal model of [`crate::policy::principal`]); this module names them: an account
//! by the list of known AWS accounts ([`known`]), as yours (the role's own account or one the
//! user trusts), as declared by the role's `connector-vendor` tag, or as unknown; an identity
//! provider by its issuer (EKS cluster, GitHub Actions, Google, Cognito); an AWS service;
//! anyone. PURE: the list is embedded, nothing is fetched. Rules name parties through a
//! [`Resolver`], never by reading ARNs themselves.

pub mod known;

use crate::model::party::account_label;
use crate::model::{PartyConditions, PartyKind, PartyOwner, TrustedParty};
use crate::policy::principal::{Federation, Issuer, IssuerKind, Principal, federation};
use crate::policy::trust::{EXTERNAL_ID, is_foreign, ways_in};
use crate::policy::{Policy, Statement};
use known::KnownAccounts;

/// What the audit knows of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountParty {
    pub owner: PartyOwner,
    /// `Datadog`, `AWS CloudTrail`, `your account`, the tag's vendor, `unknown`.
    pub name: String,
    /// The public pages the list cites.
    pub source: Vec<String>,
    pub also_listed_as: Vec<String>,
    pub retired: bool,
}

impl AccountParty {
    /// `Datadog (464622532012)`, `unknown account 111122223333`.
    pub fn label(&self, account: &str) -> String {
        account_label(self.owner, &self.name, account)
    }
}

/// Names the parties of one role: its account, the accounts the user declared as theirs, the
/// list of known accounts (absent when it could not be read: then nothing is listed), and the
/// role's `connector-vendor` tag.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    pub own_account: &'a str,
    pub trusted: &'a [String],
    pub known: Option<&'a KnownAccounts>,
    pub vendor_tag: Option<&'a str>,
}

/// The name of a party that is the role's own account or one the user trusts.
pub const YOURS: &str = "your account";
/// The name of a party nobody could put a name to.
pub const UNKNOWN: &str = "unknown";

impl Resolver<'_> {
    /// Who `account` is. Yours first (the user said so), then the list, then the tag: a tag
    /// declares an account only when the list knows neither the account nor the tag's vendor
    /// (otherwise `trust-vendor-mismatch` judges the two).
    pub fn account(&self, account: &str) -> AccountParty {
        if !is_foreign(account, self.own_account, self.trusted) {
            return AccountParty {
                owner: PartyOwner::Yours,
                name: YOURS.to_string(),
                source: Vec::new(),
                also_listed_as: Vec::new(),
                retired: false,
            };
        }
        if let Some(listing) = self.known.and_then(|k| k.lookup(account)) {
            return AccountParty {
                owner: if listing.is_aws() {
                    PartyOwner::Aws
                } else {
                    PartyOwner::Vendor
                },
                name: listing.name(),
                source: listing.source(),
                also_listed_as: listing.also_listed_as(),
                retired: !listing.enabled(),
            };
        }
        let declared = self
            .vendor_tag
            .filter(|tag| self.known.is_none_or(|k| k.vendor_accounts(tag).is_none()));
        AccountParty {
            owner: if declared.is_some() {
                PartyOwner::Declared
            } else {
                PartyOwner::Unknown
            },
            name: declared.map_or_else(|| UNKNOWN.to_string(), |tag| tag.trim().to_string()),
            source: Vec::new(),
            also_listed_as: Vec::new(),
            retired: false,
        }
    }

    /// `Datadog (464622532012)`: who `account` is, in a sentence.
    pub fn label(&self, account: &str) -> String {
        self.account(account).label(account)
    }

    /// Every party that can reach the role through `trust`, once each (a principal named in
    /// several statements is one party), in the order the policy first names them.
    pub fn parties(&self, trust: &Policy) -> Vec<TrustedParty> {
        let mut out: Vec<TrustedParty> = Vec::new();
        for way in ways_in(trust) {
            let Some(mut party) = self.party(way.principal, way.statement) else {
                continue;
            };
            let keys = condition_keys(&party);
            if let Some(seen) = out
                .iter_mut()
                .find(|p| p.kind == party.kind && p.principal == party.principal)
            {
                merge(seen, way.statement, &keys);
            } else {
                party.statements.clear();
                merge(&mut party, way.statement, &keys);
                out.push(party);
            }
        }
        for party in &mut out {
            // a Cognito identity pool is named by the pool its `:aud` pins
            if party.name == COGNITO
                && let [pool] = party.conditions.aud.as_slice()
            {
                party.name = format!("{COGNITO} identity pool {pool}");
            }
            party.shrink_to_fit();
        }
        // kept in the report for every role: no room to spare (a party is a few hundred
        // bytes, and a vector grows four at a time)
        out.shrink_to_fit();
        out
    }

    /// The party of one principal (`None`: NotPrincipal), before its conditions are read.
    fn party(&self, principal: Option<&Principal>, statement: &Statement) -> Option<TrustedParty> {
        let blank = |name: String, kind, owner, principal: String| TrustedParty {
            name,
            kind,
            owner,
            principal,
            account: None,
            issuer: None,
            source: Vec::new(),
            also_listed_as: Vec::new(),
            retired: false,
            statements: Vec::new(),
            conditions: PartyConditions::default(),
        };
        let Some(principal) = principal else {
            let listed: Vec<String> = statement
                .principal
                .iter()
                .flat_map(|c| c.items.iter().map(written))
                .collect();
            return Some(blank(
                "anyone".into(),
                PartyKind::Any,
                PartyOwner::Anyone,
                format!("NotPrincipal: {}", listed.join(", ")),
            ));
        };
        let party = match principal {
            Principal::Any { aws_only } => blank(
                if *aws_only {
                    "any AWS account"
                } else {
                    "anyone"
                }
                .into(),
                PartyKind::Any,
                PartyOwner::Anyone,
                "*".into(),
            ),
            Principal::Aws(aws) => {
                let kind = if aws.is_account() {
                    PartyKind::Account
                } else {
                    PartyKind::Principal
                };
                match aws.account.as_deref() {
                    Some(account) => {
                        let who = self.account(account);
                        TrustedParty {
                            account: Some(account.to_string()),
                            source: who.source,
                            also_listed_as: who.also_listed_as,
                            retired: who.retired,
                            ..blank(who.name, kind, who.owner, aws.value.clone())
                        }
                    }
                    // a unique id: IAM shows one when the principal it named was deleted
                    None => blank(UNKNOWN.into(), kind, PartyOwner::Unknown, aws.value.clone()),
                }
            }
            Principal::Service { name } => blank(
                service_name(name),
                PartyKind::Service,
                PartyOwner::Aws,
                name.clone(),
            ),
            Principal::Federated { provider } => match federation(provider) {
                Federation::Saml { name } => TrustedParty {
                    issuer: Some(name.to_string()),
                    ..blank(
                        format!("SAML provider {name}"),
                        PartyKind::Saml,
                        PartyOwner::IdentityProvider,
                        provider.clone(),
                    )
                },
                Federation::WebIdentity(issuer) => TrustedParty {
                    issuer: Some(issuer.issuer.to_string()),
                    ..blank(
                        issuer_name(&issuer),
                        PartyKind::Oidc,
                        PartyOwner::IdentityProvider,
                        provider.clone(),
                    )
                },
            },
            Principal::CanonicalUser { .. } => return None,
        };
        Some(party)
    }
}

const COGNITO: &str = "Amazon Cognito";

/// An AWS service principal as a party: `AWS service qbusiness.amazonaws.com`.
pub fn service_name(service: &str) -> String {
    format!("AWS service {service}")
}

/// A web identity issuer as a party: `Google`, `GitHub Actions`,
/// `EKS cluster <ID> (us-east-1)`, `Amazon Cognito`, `OIDC provider <host>`.
pub fn issuer_name(issuer: &Issuer<'_>) -> String {
    match issuer.kind {
        IssuerKind::Google => "Google".into(),
        IssuerKind::Cognito => COGNITO.into(),
        IssuerKind::Facebook => "Facebook".into(),
        IssuerKind::LoginWithAmazon => "Login with Amazon".into(),
        IssuerKind::GitHubActions { enterprise: None } => "GitHub Actions".into(),
        IssuerKind::GitHubActions {
            enterprise: Some(e),
        } => format!("GitHub Actions (enterprise {e})"),
        IssuerKind::Eks { region, id } => format!("EKS cluster {id} ({region})"),
        IssuerKind::Other { host } => format!("OIDC provider {host}"),
    }
}

/// A principal as written in the policy.
fn written(p: &Principal) -> String {
    match p {
        Principal::Any { .. } => "*".into(),
        Principal::Aws(aws) => aws.value.clone(),
        Principal::Service { name } => name.clone(),
        Principal::Federated { provider } => provider.clone(),
        Principal::CanonicalUser { id } => id.clone(),
    }
}

/// The condition keys that bind a party: (sub keys, aud keys).
fn condition_keys(party: &TrustedParty) -> (Vec<String>, Vec<String>) {
    match (party.kind, party.issuer.as_deref()) {
        (PartyKind::Saml, _) => (vec!["saml:sub".into()], vec!["saml:aud".into()]),
        (PartyKind::Oidc, Some(issuer)) => (
            vec![format!("{issuer}:sub")],
            vec![format!("{issuer}:aud"), format!("{issuer}:oaud")],
        ),
        _ => (Vec::new(), Vec::new()),
    }
}

/// Adds a statement that lets the party in: its index, and what its conditions pin.
fn merge(party: &mut TrustedParty, statement: &Statement, (sub, aud): &(Vec<String>, Vec<String>)) {
    if !party.statements.contains(&statement.index) {
        party.statements.push(statement.index);
    }
    let pinned = |keys: &[String]| -> Vec<String> {
        statement
            .conditions
            .iter()
            .filter(|c| keys.iter().any(|k| c.is_key(k)))
            .filter_map(|c| c.pinned_values())
            .flatten()
            .cloned()
            .collect()
    };
    let c = &mut party.conditions;
    add(&mut c.external_id, pinned(&[EXTERNAL_ID.to_string()]));
    add(
        &mut c.source_account,
        pinned(&["aws:SourceAccount".to_string()]),
    );
    add(&mut c.source_arn, pinned(&["aws:SourceArn".to_string()]));
    add(&mut c.sub, pinned(sub));
    add(&mut c.aud, pinned(aud));
    add(
        &mut c.all,
        statement.conditions.iter().map(|c| c.describe()).collect(),
    );
}

fn add(into: &mut Vec<String>, values: Vec<String>) {
    for v in values {
        if !into.contains(&v) {
            into.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "123456789012";

    fn resolver<'a>(trusted: &'a [String], tag: Option<&'a str>) -> Resolver<'a> {
        Resolver {
            own_account: OWN,
            trusted,
            known: KnownAccounts::embedded().ok(),
            vendor_tag: tag,
        }
    }

    fn parties(doc: &str, trusted: &[String], tag: Option<&str>) -> Vec<TrustedParty> {
        resolver(trusted, tag).parties(&Policy::parse(doc).unwrap())
    }

    fn allow(principal: &str, action: &str, condition: &str) -> String {
        format!(
            r#"{{"Effect":"Allow","Principal":{principal},"Action":"{action}","Condition":{condition}}}"#
        )
    }

    fn doc(statements: &[String]) -> String {
        format!(r#"{{"Statement":[{}]}}"#, statements.join(","))
    }

    #[test]
    fn accounts_are_named_by_the_list_yours_or_unknown() {
        let trusted = vec!["210987654321".to_string()];
        let d = doc(&[
            allow(
                r#"{"AWS":["arn:aws:iam::464622532012:root","arn:aws:iam::123456789012:role/Own","210987654321","arn:aws:iam::111122223333:role/x","AROAEXAMPLEUNIQUEID"]}"#,
                "sts:AssumeRole",
                r#"{"StringEquals":{"sts:ExternalId":"a1b2c3d4e5f6"}}"#,
            ),
            allow(
                r#"{"AWS":"arn:aws:iam::464622532012:root"}"#,
                "sts:AssumeRole",
                r#"{"StringEqualsIfExists":{"sts:ExternalId":"other-id-123"}}"#,
            ),
        ]);
        let ps = parties(&d, &trusted, None);
        let got: Vec<(String, PartyOwner, PartyKind, String)> = ps
            .iter()
            .map(|p| (p.name.clone(), p.owner, p.kind, p.label()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Datadog".into(),
                    PartyOwner::Vendor,
                    PartyKind::Account,
                    "Datadog (464622532012)".into()
                ),
                (
                    "your account".into(),
                    PartyOwner::Yours,
                    PartyKind::Principal,
                    "your account (123456789012)".into()
                ),
                (
                    "your account".into(),
                    PartyOwner::Yours,
                    PartyKind::Account,
                    "your account (210987654321)".into()
                ),
                (
                    "unknown".into(),
                    PartyOwner::Unknown,
                    PartyKind::Principal,
                    "unknown account 111122223333".into()
                ),
                (
                    "unknown".into(),
                    PartyOwner::Unknown,
                    PartyKind::Principal,
                    "unknown principal `AROAEXAMPLEUNIQUEID`".into()
                ),
            ]
        );
        let datadog = &ps[0];
        assert_eq!(datadog.statements, [0, 1]);
        assert!(datadog.source.iter().any(|s| s.contains("datadoghq.com")));
        // only the enforcing condition pins a value; both are written down
        assert_eq!(datadog.conditions.external_id, ["a1b2c3d4e5f6"]);
        assert_eq!(datadog.conditions.all.len(), 2);
    }

    #[test]
    fn a_tag_declares_only_what_the_list_does_not_know() {
        let d = doc(&[allow(
            r#"{"AWS":"arn:aws:iam::111122223333:role/x"}"#,
            "sts:AssumeRole",
            "{}",
        )]);
        let acme = parties(&d, &[], Some("Acme Analytics"));
        assert_eq!(acme[0].owner, PartyOwner::Declared);
        assert_eq!(
            acme[0].label(),
            "Acme Analytics (111122223333, declared by tag)"
        );
        // a listed vendor's tag cannot vouch for an account the list does not give it
        let upsolver = parties(&d, &[], Some("Upsolver"));
        assert_eq!(upsolver[0].owner, PartyOwner::Unknown);
        // and a tag never renames a listed account
        let dd = doc(&[allow(r#"{"AWS":"464622532012"}"#, "sts:AssumeRole", "{}")]);
        assert_eq!(parties(&dd, &[], Some("Acme"))[0].name, "Datadog");
    }

    #[test]
    fn issuers_services_and_anyone_are_named() {
        let eks = "oidc.eks.us-east-1.amazonaws.com/id/5C2F9A17D3B84E60A1F7C9E2B4D8A613";
        let d = doc(&[
            allow(
                &format!(r#"{{"Federated":"arn:aws:iam::123456789012:oidc-provider/{eks}"}}"#),
                "sts:AssumeRoleWithWebIdentity",
                &format!(
                    r#"{{"StringEquals":{{"{eks}:sub":"system:serviceaccount:milvus:sa","{eks}:aud":"sts.amazonaws.com"}}}}"#
                ),
            ),
            allow(
                r#"{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}"#,
                "sts:AssumeRoleWithWebIdentity",
                r#"{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/data:*"}}"#,
            ),
            allow(
                r#"{"Federated":"accounts.google.com"}"#,
                "sts:AssumeRoleWithWebIdentity",
                r#"{"StringEquals":{"accounts.google.com:oaud":"107356127489012345678"}}"#,
            ),
            allow(
                r#"{"Federated":"cognito-identity.amazonaws.com"}"#,
                "sts:AssumeRoleWithWebIdentity",
                r#"{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:12345678-1234-1234-1234-123456789012"}}"#,
            ),
            allow(
                r#"{"Federated":"arn:aws:iam::123456789012:oidc-provider/auth.example.com/realms/data"}"#,
                "sts:AssumeRoleWithWebIdentity",
                "{}",
            ),
            allow(
                r#"{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"}"#,
                "sts:AssumeRoleWithSAML",
                r#"{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}"#,
            ),
            allow(
                r#"{"Service":"qbusiness.amazonaws.com"}"#,
                "sts:AssumeRole",
                r#"{"StringEquals":{"aws:SourceAccount":"123456789012"}}"#,
            ),
            allow(r#""*""#, "sts:AssumeRole", "{}"),
        ]);
        let ps = parties(&d, &[], None);
        let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "EKS cluster 5C2F9A17D3B84E60A1F7C9E2B4D8A613 (us-east-1)",
                "GitHub Actions",
                "Google",
                "Amazon Cognito identity pool us-east-1:12345678-1234-1234-1234-123456789012",
                "OIDC provider auth.example.com",
                "SAML provider Okta",
                "AWS service qbusiness.amazonaws.com",
                "anyone",
            ]
        );
        assert_eq!(ps[0].issuer.as_deref(), Some(eks));
        assert_eq!(ps[0].conditions.sub, ["system:serviceaccount:milvus:sa"]);
        assert_eq!(ps[0].conditions.aud, ["sts.amazonaws.com"]);
        assert_eq!(ps[1].conditions.sub, ["repo:acme/data:*"]);
        assert_eq!(ps[2].conditions.aud, ["107356127489012345678"]);
        assert_eq!(ps[5].kind, PartyKind::Saml);
        assert_eq!(ps[5].conditions.aud, ["https://signin.aws.amazon.com/saml"]);
        assert_eq!(ps[6].owner, PartyOwner::Aws);
        assert_eq!(ps[6].conditions.source_account, ["123456789012"]);
        assert_eq!(ps[7].owner, PartyOwner::Anyone);
        for p in &ps {
            assert!(p.account.is_none(), "{}", p.name);
            assert_eq!(p.label(), p.name);
        }
    }

    #[test]
    fn only_ways_in_count() {
        let d = doc(&[
            // web identity to an action that is not web identity's: no way in
            allow(
                r#"{"Federated":"accounts.google.com"}"#,
                "sts:AssumeRole",
                "{}",
            ),
            // tagging a session is not assuming the role
            allow(r#"{"AWS":"464622532012"}"#, "sts:TagSession", "{}"),
            r#"{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#
                .to_string(),
            allow(r#"{"AWS":"111122223333"}"#, "sts:AssumeRole", "{}"),
            allow(
                r#"{"AWS":"arn:aws:iam::210987654321:root"}"#,
                "sts:AssumeRole",
                "{}",
            ),
        ]);
        let ps = parties(&d, &[], None);
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_eq!(ps[0].label(), "unknown account 210987654321");
        let not = doc(&[
            r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::464622532012:root"},"Action":"sts:AssumeRole"}"#
                .to_string(),
        ]);
        let ps = parties(&not, &[], None);
        assert_eq!(ps[0].name, "anyone");
        assert_eq!(
            ps[0].principal,
            "NotPrincipal: arn:aws:iam::464622532012:root"
        );
    }

    #[test]
    fn seed_vendors_are_named() {
        let names: Vec<(String, Vec<String>)> = crate::rules::testing::seed_roles()
            .into_iter()
            .map(|(vendor, r)| {
                let ps = parties(&r.trust, &[], None);
                (
                    vendor.to_string(),
                    ps.iter().map(TrustedParty::label).collect(),
                )
            })
            .collect();
        let want = [
            ("onyx", "your account (123456789012)"),
            ("amazon-q", "AWS service qbusiness.amazonaws.com"),
            ("upsolver", "Upsolver (428641199958)"),
            (
                "milvus",
                "EKS cluster 5C2F9A17D3B84E60A1F7C9E2B4D8A613 (us-east-1)",
            ),
            ("google-datasync", "Google"),
        ];
        assert_eq!(
            names,
            want.map(|(v, l)| (v.to_string(), vec![l.to_string()]))
        );
    }
}
