//! Who is behind each way into a role (report field `roles[].trusted_parties`): the party a
//! trust policy's principal stands for, named, and the conditions that bind it. Plain data;
//! `parties` resolves principals into it.

use serde::{Deserialize, Serialize};

/// What kind of principal lets the party in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartyKind {
    /// A whole AWS account (`123456789012`, `arn:aws:iam::123456789012:root`).
    Account,
    /// One identity in an account (a role, user or session ARN), or a unique id IAM shows for
    /// a deleted one.
    Principal,
    /// An AWS service principal (`qbusiness.amazonaws.com`).
    Service,
    /// A web identity issuer: an OIDC provider (EKS, GitHub Actions, ...), Google, Cognito.
    Oidc,
    /// A SAML provider.
    Saml,
    /// `"*"`, `{"AWS": "*"}` or an Allow with `NotPrincipal`.
    Any,
}

/// Who the party is, as far as the audit can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartyOwner {
    /// A vendor's account, on the list of known AWS accounts.
    Vendor,
    /// AWS itself: an account the list gives to an AWS service, or a service principal.
    Aws,
    /// The role's own account, or one declared as yours (`TRUSTED_ACCOUNT_IDS`).
    Yours,
    /// Not on the list, but the role's `connector-vendor` tag names a vendor the list does
    /// not know: the tag declares who it is.
    Declared,
    /// An account that is neither yours, nor listed, nor declared.
    Unknown,
    /// A web identity or SAML provider: whoever it vouches for.
    IdentityProvider,
    /// Anyone (a wildcard principal).
    Anyone,
}

/// The conditions of the statements that let the party in: the values they pin (positive,
/// enforcing operators only: no `...IfExists`, no `ForAllValues:`), and every condition as
/// written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PartyConditions {
    /// `sts:ExternalId`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_id: Vec<String>,
    /// `<issuer>:sub` (`saml:sub` for SAML).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub: Vec<String>,
    /// `<issuer>:aud` (also Google's `:oaud`; `saml:aud` for SAML).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aud: Vec<String>,
    /// `aws:SourceAccount`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_account: Vec<String>,
    /// `aws:SourceArn`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_arn: Vec<String>,
    /// Every condition of those statements: `StringEquals sts:ExternalId [GTWKRE6K]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all: Vec<String>,
}

impl PartyConditions {
    pub fn is_empty(&self) -> bool {
        *self == PartyConditions::default()
    }
}

/// One party that can reach a role through its trust policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedParty {
    /// Who it is: the vendor's name (`Datadog`), `your account`, `unknown`, the issuer's
    /// (`Google`, `GitHub Actions`, `EKS cluster <id> (<region>)`), `AWS service <name>`,
    /// `anyone`, `any AWS account`.
    pub name: String,
    pub kind: PartyKind,
    pub owner: PartyOwner,
    /// The principal as written in the trust policy.
    pub principal: String,
    /// The account of an AWS principal, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The web identity issuer (`oidc.eks.us-east-1.amazonaws.com/id/<ID>`), or the SAML
    /// provider's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The public pages the list of known AWS accounts cites for the account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<String>,
    /// Other names the list gives the same account (the first listing names it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_listed_as: Vec<String>,
    /// The list marks the listing `enabled: false`: the vendor no longer documents the
    /// account as in use.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
    /// The trust policy's statements that let it in (zero-based).
    pub statements: Vec<usize>,
    #[serde(default, skip_serializing_if = "PartyConditions::is_empty")]
    pub conditions: PartyConditions,
}

impl TrustedParty {
    /// Gives back the room its lists grew beyond their contents.
    pub fn shrink_to_fit(&mut self) {
        let c = &mut self.conditions;
        for list in [
            &mut self.source,
            &mut self.also_listed_as,
            &mut c.external_id,
            &mut c.sub,
            &mut c.aud,
            &mut c.source_account,
            &mut c.source_arn,
            &mut c.all,
        ] {
            list.shrink_to_fit();
        }
        self.statements.shrink_to_fit();
    }

    /// The party in a sentence: `Datadog (464622532012)`, `your account (123456789012)`,
    /// `unknown account 111122223333`, `GitHub Actions`, `anyone`.
    pub fn label(&self) -> String {
        match &self.account {
            Some(account) => account_label(self.owner, &self.name, account),
            None if self.owner == PartyOwner::Unknown => {
                format!("unknown principal `{}`", self.principal)
            }
            None => self.name.clone(),
        }
    }
}

/// An account's party in a sentence (see [`TrustedParty::label`]).
pub fn account_label(owner: PartyOwner, name: &str, account: &str) -> String {
    match owner {
        PartyOwner::Unknown => format!("unknown account {account}"),
        PartyOwner::Declared => format!("{name} ({account}, declared by tag)"),
        _ => format!("{name} ({account})"),
    }
}

/// The labels of parties, each once, in order: who can reach a role, for messages.
pub fn labels(parties: &[TrustedParty]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for label in parties.iter().map(TrustedParty::label) {
        if !out.contains(&label) {
            out.push(label);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(owner: PartyOwner, name: &str, account: Option<&str>) -> TrustedParty {
        TrustedParty {
            name: name.into(),
            kind: PartyKind::Account,
            owner,
            principal: account.unwrap_or("AROAEXAMPLE").into(),
            account: account.map(String::from),
            issuer: None,
            source: vec![],
            also_listed_as: vec![],
            retired: false,
            statements: vec![0],
            conditions: PartyConditions::default(),
        }
    }

    #[test]
    fn labels_name_the_party() {
        let cases = [
            (
                party(PartyOwner::Vendor, "Datadog", Some("464622532012")),
                "Datadog (464622532012)",
            ),
            (
                party(PartyOwner::Yours, "your account", Some("123456789012")),
                "your account (123456789012)",
            ),
            (
                party(PartyOwner::Unknown, "unknown", Some("111122223333")),
                "unknown account 111122223333",
            ),
            (
                party(PartyOwner::Declared, "Acme", Some("111122223333")),
                "Acme (111122223333, declared by tag)",
            ),
            (
                party(PartyOwner::Unknown, "unknown", None),
                "unknown principal `AROAEXAMPLE`",
            ),
            (
                party(PartyOwner::IdentityProvider, "GitHub Actions", None),
                "GitHub Actions",
            ),
        ];
        for (p, want) in cases {
            assert_eq!(p.label(), want);
        }
        let twice = [
            party(PartyOwner::Vendor, "Datadog", Some("464622532012")),
            party(PartyOwner::Vendor, "Datadog", Some("464622532012")),
        ];
        assert_eq!(labels(&twice), ["Datadog (464622532012)"]);
    }

    #[test]
    fn reads_reports_without_the_optional_fields() {
        let p: TrustedParty = serde_json::from_str(
            r#"{"name":"anyone","kind":"any","owner":"anyone","principal":"*","statements":[0]}"#,
        )
        .unwrap();
        assert!(p.conditions.is_empty());
        assert!(!p.retired);
        let text = serde_json::to_string(&p).unwrap();
        assert!(
            !text.contains("conditions") && !text.contains("retired"),
            "{text}"
        );
    }
}
