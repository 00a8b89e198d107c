//! Account ids and role names as types: a value of these types has been checked once, where
//! it came in (an environment variable, an event, a flag, an organization's listing).

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Is this a 12-digit AWS account id?
pub fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

/// The account id inside an ARN (`arn:partition:service:region:account:resource`), if any.
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    parts.nth(3).filter(|a| is_account_id(a))
}

/// Is this a valid IAM role name (1 to 64 of `A-Za-z0-9+=,.@_-`, no path)?
pub fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AccountId(String);

/// A value that is not a 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a 12-digit AWS account id")]
pub struct BadAccountId(pub String);

impl AccountId {
    pub fn parse(value: &str) -> Result<AccountId, BadAccountId> {
        if is_account_id(value) {
            Ok(AccountId(value.to_string()))
        } else {
            Err(BadAccountId(value.to_string()))
        }
    }

    /// The account of an ARN, when it names one.
    pub fn of_arn(arn: &str) -> Option<AccountId> {
        arn_account(arn).map(|a| AccountId(a.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for AccountId {
    type Err = BadAccountId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccountId::parse(s)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for AccountId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for AccountId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::ops::Deref for AccountId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        AccountId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An IAM role name (without its path).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RoleName(String);

/// A value that is not an IAM role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IAM role name (a name, without path)")]
pub struct BadRoleName(pub String);

impl RoleName {
    pub fn parse(value: &str) -> Result<RoleName, BadRoleName> {
        if is_role_name(value) {
            Ok(RoleName(value.to_string()))
        } else {
            Err(BadRoleName(value.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for RoleName {
    type Err = BadRoleName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RoleName::parse(s)
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for RoleName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RoleName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::ops::Deref for RoleName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for RoleName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        RoleName::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        assert!(AccountId::parse("123456789012").is_ok());
        for bad in ["12345", "12345678901a", "1234567890123", ""] {
            assert_eq!(
                AccountId::parse(bad).unwrap_err().to_string(),
                format!("`{bad}` is not a 12-digit AWS account id")
            );
        }
        assert_eq!(
            AccountId::of_arn("arn:aws:iam::123456789012:role/x").unwrap(),
            "123456789012"
        );
        assert_eq!(AccountId::of_arn("arn:aws:iam::aws:policy/x"), None);
        assert!(serde_json::from_str::<AccountId>("\"1234\"").is_err());
        assert_eq!(
            serde_json::to_string(&AccountId::parse("123456789012").unwrap()).unwrap(),
            "\"123456789012\""
        );
    }

    #[test]
    fn role_names() {
        assert!(RoleName::parse("ConnectorAuditRole").is_ok());
        assert!(RoleName::parse("a+b=c,d.e@f_g-h").is_ok());
        assert!(RoleName::parse("").is_err());
        assert!(RoleName::parse("role/with/path").is_err());
        assert!(RoleName::parse(&"r".repeat(65)).is_err());
        assert!(serde_json::from_str::<RoleName>("\"a/b\"").is_err());
    }
}
