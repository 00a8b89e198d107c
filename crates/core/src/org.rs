//! An organization's accounts, and their reports merged into one (PURE). An organization-wide
//! run audits every active account of an AWS Organization, each with the credentials of a role
//! of the same name in it (`ORG_AUDIT_ROLE_NAME`), into ONE report with a section per account.
//! The fan-out (listing, entering, a few accounts at once within the deadline) is the
//! application's (`connector_audit::app`); [`merge`] puts the accounts' reports together.

use crate::audit::sort_findings;
use crate::model::ids::AccountId;
use crate::model::{
    AccountSection, ErrorCode, ErrorEntry, Operation, ProbeSummary, Report, SeverityCounts, Source,
    Summary, Tool,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub use crate::model::ids::{BadAccountId, is_role_name};

/// Accounts audited at once, by default (`ORG_CONCURRENCY`, `--org-concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The role assumed in each account when none is named (`--org-role`): the name
/// `org-member-role.yaml` gives it.
pub const DEFAULT_ROLE_NAME: &str = "ConnectorAuditRole";
/// The session name of the role assumed in each account (it shows in the accounts' CloudTrail).
pub const SESSION_NAME: &str = "connector-audit";
/// No account is started with less time than this left before the deadline.
pub const MIN_ACCOUNT_TIME: Duration = Duration::from_secs(5);

/// An account of the organization. Serialised as `{"account_id": "...", "name": ...}`, one
/// item of the `list_accounts` answer (`name` is always present, `null` when unknown, so that
/// a Step Functions path to it never fails).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub account_id: AccountId,
    #[serde(default)]
    pub name: Option<String>,
}

impl Account {
    /// An account named by a request (an event's `account_id`).
    pub fn parse(id: &str, name: Option<String>) -> Result<Account, BadAccountId> {
        Ok(Account {
            account_id: AccountId::parse(id)?,
            name,
        })
    }

    /// How errors name the account: `account 111122223333 (prod)`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("account {} ({name})", self.account_id),
            None => format!("account {}", self.account_id),
        }
    }
}

/// The organization's active accounts (the `list_accounts` answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The organization's management account (from the accounts' ARNs).
    pub management_account_id: Option<String>,
    pub organization_id: Option<String>,
    /// Active accounts, in account id order.
    pub accounts: Vec<Account>,
    /// Accounts left out because they are not active (suspended, closed, pending closure).
    pub inactive_accounts: usize,
}

/// What became of one account.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Entered and assessed: the account's own report (which may still say that its roles
    /// could not be read).
    Assessed(Box<Report>),
    /// The account could not be entered (the org role could not be assumed).
    NotEntered { code: ErrorCode, message: String },
    /// The run's time ran out before the account was started.
    NotStarted,
}

/// One account and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRun {
    pub account: Account,
    pub outcome: Outcome,
}

/// The accounts' reports as one (PURE): every account's roles, findings (in report order) and
/// errors (each message prefixed with the account, see [`Account::label`]), a section per
/// account in account id order, the probe's counts summed. `complete` only when every account
/// was audited in full.
pub fn merge(
    account_id: Option<String>,
    generated_at: String,
    mut runs: Vec<AccountRun>,
) -> Report {
    runs.sort_by(|a, b| a.account.account_id.cmp(&b.account.account_id));
    let mut roles = Vec::new();
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let mut probes = Vec::new();
    let mut suppressed = 0;
    let mut sections = Vec::with_capacity(runs.len());
    for AccountRun { account, outcome } in runs {
        let label = account.label();
        let mut section = AccountSection {
            account_id: account.account_id.to_string(),
            account_name: account.name,
            audited: false,
            complete: false,
            roles_audited: 0,
            findings: SeverityCounts::default(),
            errors: 0,
            error: None,
            usage: None,
        };
        let id = account.account_id.clone();
        let not_audited = |code: ErrorCode, message: String| {
            ErrorEntry::new(Operation::EnterAccount, code, format!("{label}: {message}"))
                .account(Some(id.clone()))
        };
        match outcome {
            Outcome::Assessed(report) => {
                let report = *report;
                // `inventory` errors are the account-wide ones: its roles could not be read
                let failed = report
                    .errors
                    .iter()
                    .find(|e| e.is_account_wide_inventory_failure());
                section.audited = failed.is_none();
                section.error = failed.map(|e| e.message.clone());
                section.complete = report.complete;
                section.roles_audited = report.roles.len();
                section.findings = SeverityCounts::of(&report.findings);
                section.errors = report.errors.len();
                section.usage = report.usage;
                suppressed += report.summary.suppressed;
                errors.extend(report.errors.into_iter().map(|e| {
                    ErrorEntry {
                        message: format!("{label}: {}", e.message),
                        ..e
                    }
                    .account(Some(id.clone()))
                }));
                roles.extend(report.roles);
                findings.extend(report.findings);
                probes.extend(report.probe);
            }
            Outcome::NotEntered { code, message } => {
                section.errors = 1;
                errors.push(not_audited(code, message.clone()));
                section.error = Some(message);
            }
            Outcome::NotStarted => {
                let message = "the run's time budget ran out before the account was started: none of its roles was audited".to_string();
                section.errors = 1;
                errors.push(not_audited(ErrorCode::DeadlineExceeded, message.clone()));
                section.error = Some(message);
            }
        }
        sections.push(section);
    }
    sort_findings(&mut findings);
    Report {
        schema_version: Report::SCHEMA_VERSION,
        tool: Tool::default(),
        account_id,
        generated_at,
        source: Source::Live,
        complete: sections.iter().all(|s| s.complete),
        summary: Summary {
            roles_audited: roles.len(),
            findings: SeverityCounts::of(&findings),
            suppressed,
            changes: None,
            security_hub: None,
        },
        roles,
        findings,
        errors,
        probe: merge_probes(probes),
        usage: None,
        change: None,
        accounts: sections,
    }
}

/// The accounts' probe summaries as one: counts summed, roles not probed together; the
/// auditor only when every account was probed by the same principal.
fn merge_probes(probes: Vec<ProbeSummary>) -> Option<ProbeSummary> {
    let mut probes = probes.into_iter();
    let mut merged = probes.next()?;
    for p in probes {
        if merged.auditor_arn != p.auditor_arn {
            merged.auditor_arn = None;
        }
        merged.roles_probed += p.roles_probed;
        merged.roles_unavailable += p.roles_unavailable;
        merged.roles_not_probed.extend(p.roles_not_probed);
    }
    merged.roles_not_probed.sort();
    Some(merged)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditOptions, audit};
    use crate::dump::parse_dump;
    use crate::model::Severity;

    /// An account's report from a dump of one role per `(name, trust)`.
    fn account_report(account: &str, roles: &[(&str, &str)]) -> Report {
        let details: Vec<String> = roles
            .iter()
            .map(|(name, trust)| {
                format!(
                    r#"{{"RoleName":"{name}","Arn":"arn:aws:iam::{account}:role/{name}",
                    "Tags":[{{"Key":"connector","Value":"x"}}],"AssumeRolePolicyDocument":{trust}}}"#
                )
            })
            .collect();
        let dump = format!(r#"{{"RoleDetailList":[{}]}}"#, details.join(","));
        audit(
            parse_dump(&dump).unwrap(),
            &AuditOptions::default(),
            Source::Live,
            "t".into(),
        )
    }

    const ANYONE: &str =
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}"#;
    const VENDOR: &str = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::428641199958:root"},"Action":"sts:AssumeRole"}}"#;

    fn account(id: &str, name: &str) -> Account {
        Account {
            account_id: id.parse().unwrap(),
            name: Some(name.into()),
        }
    }

    fn assessed(id: &str, name: &str, report: Report) -> AccountRun {
        AccountRun {
            account: account(id, name),
            outcome: Outcome::Assessed(Box::new(report)),
        }
    }

    #[test]
    fn merges_accounts_into_one_report_with_sections() {
        let prod = account_report("222222222222", &[("vendor", VENDOR), ("open", ANYONE)]);
        let dev = account_report("333333333333", &[("vendor", VENDOR)]);
        let runs = vec![
            AccountRun {
                account: account("444444444444", "sandbox"),
                outcome: Outcome::NotEntered {
                    code: "AccountNotEntered".into(),
                    message: "could not assume the role".into(),
                },
            },
            assessed("333333333333", "dev", dev.clone()),
            assessed("222222222222", "prod", prod.clone()),
            AccountRun {
                account: Account {
                    account_id: "555555555555".parse().unwrap(),
                    name: None,
                },
                outcome: Outcome::NotStarted,
            },
        ];
        let r = merge(Some("111111111111".into()), "t".into(), runs);
        assert_eq!(r.account_id.as_deref(), Some("111111111111"));
        assert!(!r.complete);
        let ids: Vec<&str> = r.accounts.iter().map(|s| s.account_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "222222222222",
                "333333333333",
                "444444444444",
                "555555555555"
            ]
        );
        let [p, d, s, late] = &r.accounts[..] else {
            panic!("{:?}", r.accounts)
        };
        assert!(p.audited && p.complete && d.audited && d.complete);
        assert_eq!((p.roles_audited, d.roles_audited), (2, 1));
        assert_eq!(p.findings, SeverityCounts::of(&prod.findings));
        assert_eq!(d.findings, SeverityCounts::of(&dev.findings));
        assert!(p.findings.critical == 1 && p.findings.high == 1, "{p:?}");
        assert!(!s.audited && !s.complete && s.errors == 1);
        assert_eq!(s.error.as_deref(), Some("could not assume the role"));
        assert!(!late.audited && late.error.as_deref().unwrap().contains("time budget"));
        // every account's roles and findings, the findings in report order across accounts
        assert_eq!(r.summary.roles_audited, 3);
        assert_eq!(r.findings.len(), prod.findings.len() + dev.findings.len());
        assert_eq!(r.summary.findings, SeverityCounts::of(&r.findings));
        assert_eq!(r.findings[0].severity, Severity::Critical);
        let high: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| f.severity == Severity::High)
            .map(|f| f.role_arn.as_str())
            .collect();
        assert_eq!(
            high,
            [
                "arn:aws:iam::222222222222:role/vendor",
                "arn:aws:iam::333333333333:role/vendor"
            ]
        );
        // the errors name their account
        let messages: Vec<(&str, &str, &str)> = r
            .errors
            .iter()
            .map(|e| (e.operation.as_str(), e.code.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    "enter-account",
                    "AccountNotEntered",
                    "account 444444444444 (sandbox): could not assume the role"
                ),
                (
                    "enter-account",
                    "DeadlineExceeded",
                    "account 555555555555: the run's time budget ran out before the account was started: none of its roles was audited"
                ),
            ]
        );
    }

    #[test]
    fn an_account_whose_roles_cannot_be_read_is_not_audited_and_named() {
        let mut failed = merge(None, "t".into(), Vec::new());
        failed.errors.push(ErrorEntry::new(
            Operation::Inventory,
            "InventoryFailed",
            "no role could be read: denied",
        ));
        failed.complete = false;
        let ok = account_report("222222222222", &[("vendor", VENDOR)]);
        let r = merge(
            None,
            "t".into(),
            vec![
                assessed("333333333333", "broken", failed),
                assessed("222222222222", "prod", ok),
            ],
        );
        assert!(!r.complete);
        assert!(r.accounts[0].audited && r.accounts[0].complete);
        let broken = &r.accounts[1];
        assert!(!broken.audited && !broken.complete);
        assert_eq!(
            broken.error.as_deref(),
            Some("no role could be read: denied")
        );
        assert_eq!(
            r.errors[0].to_string(),
            "inventory [InventoryFailed]: account 333333333333 (broken): no role could be read: denied"
        );
        // a role's error keeps its role, and names the account
        let mut partial = account_report("222222222222", &[("vendor", VENDOR)]);
        partial.errors.push(
            ErrorEntry::new(Operation::ResolveManagedPolicy, "NoSuchEntity", "gone").role("vendor"),
        );
        partial.complete = false;
        let r = merge(
            None,
            "t".into(),
            vec![assessed("222222222222", "prod", partial)],
        );
        assert!(r.accounts[0].audited && !r.accounts[0].complete);
        assert_eq!(
            r.errors[0].to_string(),
            "vendor: resolve-managed-policy [NoSuchEntity]: account 222222222222 (prod): gone"
        );
    }

    #[test]
    fn suppressed_findings_are_not_counted() {
        let mut prod = account_report("222222222222", &[("open", ANYONE)]);
        prod.findings[0].suppressed = Some(crate::model::Suppressed {
            by: "tag:connector-audit-ignore".into(),
            reason: None,
            until: None,
        });
        prod.summary.suppressed = 1;
        let r = merge(
            None,
            "t".into(),
            vec![assessed("222222222222", "prod", prod)],
        );
        assert_eq!(r.accounts[0].findings, SeverityCounts::default());
        assert_eq!(r.summary.findings, SeverityCounts::default());
        assert_eq!((r.summary.suppressed, r.findings.len()), (1, 1));
    }

    #[test]
    fn probe_summaries_are_added_up() {
        let p = |auditor: &str, probed: usize, late: &[&str]| ProbeSummary {
            auditor_arn: Some(auditor.into()),
            roles_probed: probed,
            roles_not_probed: late.iter().map(|s| s.to_string()).collect(),
            ..ProbeSummary::default()
        };
        let m = merge_probes(vec![p("a", 2, &["z"]), p("a", 3, &["b"])]).unwrap();
        assert_eq!((m.roles_probed, m.auditor_arn.as_deref()), (5, Some("a")));
        assert_eq!(m.roles_not_probed, ["b", "z"]);
        let m = merge_probes(vec![p("a", 1, &[]), p("b", 1, &[])]).unwrap();
        assert_eq!(m.auditor_arn, None);
        assert_eq!(merge_probes(vec![]), None);
    }

    #[test]
    fn json_shape() {
        let r = merge(
            Some("111111111111".into()),
            "t".into(),
            vec![assessed(
                "222222222222",
                "prod",
                account_report("222222222222", &[]),
            )],
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["accounts"],
            serde_json::json!([{"account_id": "222222222222", "account_name": "prod",
                "audited": true, "complete": true, "roles_audited": 0,
                "findings": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
                "errors": 0}])
        );
        // a single account's report says nothing of accounts
        let single = account_report("222222222222", &[]);
        assert!(
            serde_json::to_value(&single)
                .unwrap()
                .get("accounts")
                .is_none()
        );
        // listing items always carry a name (null when unknown)
        let item = Account {
            account_id: "222222222222".parse().unwrap(),
            name: None,
        };
        assert_eq!(
            serde_json::to_value(&item).unwrap(),
            serde_json::json!({"account_id": "222222222222", "name": null})
        );
    }

    #[test]
    fn role_names_and_account_ids() {
        assert!(is_role_name("ConnectorAuditRole"));
        assert!(is_role_name("a+b=c,d.e@f_g-h"));
        assert!(!is_role_name(""));
        assert!(!is_role_name("role/with/path"));
        assert!(!is_role_name(&"r".repeat(65)));
        assert_eq!(
            Account::parse("12345", None).unwrap_err().to_string(),
            "`12345` is not a 12-digit AWS account id"
        );
        assert_eq!(
            account("222222222222", "prod").label(),
            "account 222222222222 (prod)"
        );
    }
}
