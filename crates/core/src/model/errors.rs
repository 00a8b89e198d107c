//! What kept part of an audit from happening (report field `errors[]`): the operation, a
//! code, and the role and account it concerns. Operations and the codes the product itself
//! decides on are enums, so that control flow never compares strings; the JSON keeps the
//! strings of schema_version 1.

use super::ids::AccountId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version does not name (an AWS error code, or a newer report's).
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::from(s.as_str())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::from(String::deserialize(d)?))
            }
        }
    };
}

string_enum! {
    /// What was being done (report field `errors[].operation`).
    Operation {
        ReadDump => "read-dump",
        ResolveManagedPolicy => "resolve-managed-policy",
        ReadTags => "read-tags",
        ReadSuppressions => "read-suppressions",
        SelectRoles => "select-roles",
        /// Reading the account's roles: an error here means no role of the account was read.
        Inventory => "inventory",
        IdentifyAccount => "identify-account",
        Probe => "probe",
        ReadCloudtrail => "read-cloudtrail",
        StoreReport => "store-report",
        ReadPreviousReport => "read-previous-report",
        EnterAccount => "enter-account",
        ListAccounts => "list-accounts",
        /// Reading the embedded list of known AWS accounts.
        ReadKnownAccounts => "read-known-accounts",
        /// Reading the organization's service and resource control policies over an account.
        ReadGuardrails => "read-guardrails",
        /// The rules' evaluation of a role (cut by the run's deadline).
        EvaluateRules => "evaluate-rules",
        /// IAM's `RoleLastUsed` of a role.
        ReadRoleLastUsed => "read-role-last-used",
        /// Importing the findings into Security Hub (`BatchImportFindings`, `GetFindings`).
        ImportFindings => "import-findings",
    }
}

string_enum! {
    /// A short machine-readable code (report field `errors[].code`, and a probe's
    /// `error_code`): the product's own, or the AWS error code ([`ErrorCode::Other`]).
    ErrorCode {
        /// The run's time budget ran out first.
        DeadlineExceeded => "DeadlineExceeded",
        /// The role's trust policy does not let the auditor in.
        NotTrusted => "NotTrusted",
        AccessDenied => "AccessDenied",
        AccountNotEntered => "AccountNotEntered",
        /// Security Hub refused a finding, even after retries.
        ImportFailed => "ImportFailed",
        AccountUnknown => "AccountUnknown",
        AssumeRoleFailed => "AssumeRoleFailed",
        AuditorUnknown => "AuditorUnknown",
        InvalidEntry => "InvalidEntry",
        /// The embedded list of known AWS accounts could not be read: no account is named by it.
        InvalidKnownAccounts => "InvalidKnownAccounts",
        /// An organization policy (SCP or RCP) that does not parse: judged without it.
        InvalidGuardrail => "InvalidGuardrail",
        /// The organization's policies over the account could not be read: judged without them.
        GuardrailsUnreadable => "GuardrailsUnreadable",
        InvalidSuppression => "InvalidSuppression",
        InvalidSuppressionsFile => "InvalidSuppressionsFile",
        InvalidTagValue => "InvalidTagValue",
        InventoryFailed => "InventoryFailed",
        ListAccountsFailed => "ListAccountsFailed",
        NoAccounts => "NoAccounts",
        MissingDocument => "MissingDocument",
        NoDefaultVersion => "NoDefaultVersion",
        NoSuchEntity => "NoSuchEntity",
        /// No log prefix of the account in the trail's bucket holds a region folder.
        NoCloudTrailLogs => "NoCloudTrailLogs",
        /// S3: the object does not exist.
        NoSuchKey => "NoSuchKey",
        NotAConnectorRole => "NotAConnectorRole",
        ReadFailed => "ReadFailed",
        StoreFailed => "StoreFailed",
        InvalidPreviousReport => "InvalidPreviousReport",
        PreviousReportUnreadable => "PreviousReportUnreadable",
        TooLarge => "TooLarge",
        /// A CloudTrail log file that is not gzip, not JSON, or not `{"Records": [...]}`.
        UnreadableLogFile => "UnreadableLogFile",
        WrongAccount => "WrongAccount",
        InvalidDate => "InvalidDate",
    }
}

/// Something that kept part of the audit from happening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEntry {
    /// The account it concerns, when known (in an organization's report, the member account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// What was being done: `read-dump`, `resolve-managed-policy`, `read-tags`, ...
    pub operation: Operation,
    /// A short machine-readable code (AWS error code where there is one).
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorEntry {
    /// An account-wide error (no role).
    pub fn new(
        operation: Operation,
        code: impl Into<ErrorCode>,
        message: impl Into<String>,
    ) -> ErrorEntry {
        ErrorEntry {
            account_id: None,
            role_name: None,
            operation,
            code: code.into(),
            message: message.into(),
        }
    }

    /// The error concerns this role.
    pub fn role(mut self, name: impl Into<String>) -> ErrorEntry {
        self.role_name = Some(name.into());
        self
    }

    /// The error concerns this account (kept when one is already set).
    pub fn account(mut self, account: Option<AccountId>) -> ErrorEntry {
        if self.account_id.is_none() {
            self.account_id = account;
        }
        self
    }

    /// Does it concern no single role but the whole account's roles (nothing could be read)?
    pub fn is_account_wide_inventory_failure(&self) -> bool {
        self.role_name.is_none() && self.operation == Operation::Inventory
    }
}

impl fmt::Display for ErrorEntry {
    /// `role: operation [code]: message` (no role for account-wide errors).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(role) = &self.role_name {
            write!(f, "{role}: ")?;
        }
        write!(f, "{} [{}]: {}", self.operation, self.code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_unknown_ones_are_kept() {
        assert_eq!(Operation::from("inventory"), Operation::Inventory);
        assert_eq!(Operation::Inventory, "inventory");
        assert_eq!(
            ErrorCode::from("Throttling"),
            ErrorCode::Other("Throttling".into())
        );
        assert_eq!(ErrorCode::DeadlineExceeded.to_string(), "DeadlineExceeded");
        let e = ErrorEntry::new(Operation::Probe, "SlowDown", "m").role("r");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"role_name": "r", "operation": "probe", "code": "SlowDown", "message": "m"})
        );
        assert_eq!(serde_json::from_value::<ErrorEntry>(json).unwrap(), e);
        let later: ErrorEntry = serde_json::from_value(serde_json::json!(
            {"account_id": "123456789012", "operation": "a-newer-step", "code": "X", "message": "m"}))
        .unwrap();
        assert_eq!(later.operation, Operation::Other("a-newer-step".into()));
        assert_eq!(later.account_id.unwrap(), "123456789012");
    }
}
