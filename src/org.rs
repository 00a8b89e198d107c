//! Organization-wide runs: every active account of an AWS Organization, each audited with the
//! credentials of a role of the same name in it (`ORG_AUDIT_ROLE_NAME`), into ONE report with
//! a section per account. The fan-out ([`assess_organization`], [`assess_accounts`]) reaches
//! AWS only through the [`Organization`] trait (Organizations and STS, in `aws/org.rs`) and
//! audits each entered account with [`crate::audit::Live::assess`]: a few accounts at once,
//! and a deadline after which no account is started (those are listed as not audited, never
//! dropped). [`merge`] is PURE. Storing and publishing happen once, for the merged report
//! ([`crate::audit::deliver`]), with the caller's own store and sink.

use crate::audit::{Live, LiveRun, Prober, RoleSource, UsageSource, sort_findings};
use crate::model::{
    AccountSection, ErrorEntry, ProbeSummary, Report, SeverityCounts, Source, Summary, Tool,
};
use crate::policy::principal::is_account_id;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Accounts audited at once, by default (`ORG_CONCURRENCY`, `--org-concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The role assumed in each account when none is named (`--org-role`): the name
/// `org-member-role.yaml` gives it.
pub const DEFAULT_ROLE_NAME: &str = "ConnectorAuditRole";
/// The session name of the role assumed in each account (it shows in the accounts' CloudTrail).
pub const SESSION_NAME: &str = "connector-audit";
/// No account is started with less time than this left before the deadline.
pub const MIN_ACCOUNT_TIME: Duration = Duration::from_secs(5);

/// Is this a valid IAM role name (1 to 64 of `A-Za-z0-9+=,.@_-`)?
pub fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// An account of the organization. Serialised as `{"account_id": "...", "name": ...}`, one
/// item of the `list_accounts` answer (`name` is always present, `null` when unknown, so that
/// a Step Functions path to it never fails).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub account_id: String,
    #[serde(default)]
    pub name: Option<String>,
}

impl Account {
    /// An account named by a request (an event's `account_id`).
    pub fn parse(id: &str, name: Option<String>) -> Result<Account, BadAccountId> {
        if !is_account_id(id) {
            return Err(BadAccountId(id.to_string()));
        }
        Ok(Account {
            account_id: id.to_string(),
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

/// A bad account id in a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a 12-digit AWS account id")]
pub struct BadAccountId(pub String);

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

/// Where a run gets the organization's accounts and the credentials to enter each one
/// (Organizations and STS, in `aws/`).
pub trait Organization {
    type Error: std::error::Error + Send + Sync + 'static;
    type Member: Member + Send + Sync;
    /// The organization's active accounts.
    fn accounts(&self) -> impl Future<Output = Result<Listing, Self::Error>> + Send;
    /// The account's roles, as the org role sees them (the caller's own account: its own
    /// credentials). Fails when the account cannot be entered.
    fn enter(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<Self::Member, Self::Error>> + Send;
}

/// An entered account: where its roles come from and who probes them.
pub trait Member: RoleSource + Sync {
    type Prober: Prober + Sync;
    fn prober(&self) -> &Self::Prober;
}

/// What became of one account.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Entered and assessed: the account's own report (which may still say that its roles
    /// could not be read).
    Assessed(Box<Report>),
    /// The account could not be entered (the org role could not be assumed).
    NotEntered { code: String, message: String },
    /// The run's time ran out before the account was started.
    NotStarted,
}

/// One account and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRun {
    pub account: Account,
    pub outcome: Outcome,
}

/// Enters and assesses the accounts, at most `concurrency` at once. An account is not started
/// within [`MIN_ACCOUNT_TIME`] of `run.deadline`; one that is started stops its own work at the
/// deadline ([`Live::assess`]). Every account is in the result, whatever became of it.
pub async fn assess_accounts<O, U>(
    org: &O,
    usage: Option<&U>,
    accounts: Vec<Account>,
    run: &LiveRun,
    concurrency: usize,
) -> Vec<AccountRun>
where
    O: Organization + Sync,
    U: UsageSource + Sync,
{
    futures::stream::iter(accounts)
        .map(|account| async move {
            let outcome = assess_one(org, usage, &account, run).await;
            AccountRun { account, outcome }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

async fn assess_one<O, U>(org: &O, usage: Option<&U>, account: &Account, run: &LiveRun) -> Outcome
where
    O: Organization + Sync,
    U: UsageSource + Sync,
{
    if run
        .deadline
        .is_some_and(|d| Instant::now() + MIN_ACCOUNT_TIME >= d)
    {
        return Outcome::NotStarted;
    }
    let entered = match run.deadline {
        None => Some(org.enter(account).await),
        Some(d) => tokio::time::timeout_at(tokio::time::Instant::from_std(d), org.enter(account))
            .await
            .ok(),
    };
    match entered {
        Some(Ok(member)) => {
            let live = Live::new(&member)
                .prober(Some(member.prober()))
                .usage(usage);
            // boxed: keeps the nested futures' types shallow enough for the compiler's query depth
            Outcome::Assessed(Box::new(Box::pin(live.assess(run)).await))
        }
        Some(Err(e)) => Outcome::NotEntered {
            code: "AccountNotEntered".into(),
            message: format!("the account could not be entered, none of its roles was audited: {e}"),
        },
        None => Outcome::NotEntered {
            code: "DeadlineExceeded".into(),
            message: "the run's time budget ran out while entering the account: none of its roles was audited".into(),
        },
    }
}

/// Lists the organization's accounts, then [`assess_accounts`] and [`merge`]: the whole
/// organization in one report, whose `account_id` is the management account. Never fails: an
/// organization that cannot be listed (or lists no active account) gives a report that says so
/// (`complete: false`).
pub async fn assess_organization<O, U>(
    org: &O,
    usage: Option<&U>,
    run: &LiveRun,
    concurrency: usize,
) -> Report
where
    O: Organization + Sync,
    U: UsageSource + Sync,
{
    let listed = match run.deadline {
        None => Some(org.accounts().await),
        Some(d) => tokio::time::timeout_at(tokio::time::Instant::from_std(d), org.accounts())
            .await
            .ok(),
    };
    let (code, message) = match listed {
        Some(Ok(listing)) if !listing.accounts.is_empty() => {
            let runs =
                Box::pin(assess_accounts(org, usage, listing.accounts, run, concurrency)).await;
            return merge(
                listing.management_account_id,
                run.generated_at.clone(),
                runs,
            );
        }
        Some(Ok(listing)) => (
            "NoAccounts",
            format!(
                "the organization lists no active account ({} inactive): nothing was audited",
                listing.inactive_accounts
            ),
        ),
        Some(Err(e)) => (
            "ListAccountsFailed",
            format!("the organization's accounts could not be listed, nothing was audited: {e}"),
        ),
        None => (
            "DeadlineExceeded",
            "the organization's accounts could not be listed before the invocation's deadline: nothing was audited".into(),
        ),
    };
    let mut report = merge(None, run.generated_at.clone(), Vec::new());
    report.errors.push(ErrorEntry {
        role_name: None,
        operation: "list-accounts".into(),
        code: code.into(),
        message,
    });
    report.complete = false;
    report
}

/// One account of the organization, entered through the org role, as a report with its one
/// section (the Step Functions path: one invocation per account).
pub async fn assess_member<O, U>(
    org: &O,
    usage: Option<&U>,
    account: Account,
    run: &LiveRun,
) -> Report
where
    O: Organization + Sync,
    U: UsageSource + Sync,
{
    let id = account.account_id.clone();
    let runs = Box::pin(assess_accounts(org, usage, vec![account], run, 1)).await;
    merge(Some(id), run.generated_at.clone(), runs)
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
            account_id: account.account_id,
            account_name: account.name,
            audited: false,
            complete: false,
            roles_audited: 0,
            findings: SeverityCounts::default(),
            errors: 0,
            error: None,
            usage: None,
        };
        let not_audited = |code: &str, message: String| ErrorEntry {
            role_name: None,
            operation: "enter-account".into(),
            code: code.into(),
            message: format!("{label}: {message}"),
        };
        match outcome {
            Outcome::Assessed(report) => {
                let report = *report;
                // `inventory` errors are the account-wide ones: its roles could not be read
                let failed = report.errors.iter().find(|e| e.operation == "inventory");
                section.audited = failed.is_none();
                section.error = failed.map(|e| e.message.clone());
                section.complete = report.complete;
                section.roles_audited = report.roles.len();
                section.findings = SeverityCounts::of(&report.findings);
                section.errors = report.errors.len();
                section.usage = report.usage;
                suppressed += report.summary.suppressed;
                errors.extend(report.errors.into_iter().map(|e| ErrorEntry {
                    message: format!("{label}: {}", e.message),
                    ..e
                }));
                roles.extend(report.roles);
                findings.extend(report.findings);
                probes.extend(report.probe);
            }
            Outcome::NotEntered { code, message } => {
                section.errors = 1;
                errors.push(not_audited(&code, message.clone()));
                section.error = Some(message);
            }
            Outcome::NotStarted => {
                let message = "the run's time budget ran out before the account was started: none of its roles was audited".to_string();
                section.errors = 1;
                errors.push(not_audited("DeadlineExceeded", message.clone()));
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
            account_id: id.into(),
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
                    account_id: "555555555555".into(),
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
        failed.errors.push(ErrorEntry {
            role_name: None,
            operation: "inventory".into(),
            code: "InventoryFailed".into(),
            message: "no role could be read: denied".into(),
        });
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
        partial.errors.push(ErrorEntry {
            role_name: Some("vendor".into()),
            operation: "resolve-managed-policy".into(),
            code: "NoSuchEntity".into(),
            message: "gone".into(),
        });
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
            account_id: "222222222222".into(),
            name: None,
        };
        assert_eq!(
            serde_json::to_value(&item).unwrap(),
            serde_json::json!({"account_id": "222222222222", "name": null})
        );
    }

    /// An organization whose accounts hold no role; counts entries and the most at once.
    #[derive(Default)]
    struct Fake {
        entered: std::sync::atomic::AtomicUsize,
        running: std::sync::atomic::AtomicUsize,
        most: std::sync::atomic::AtomicUsize,
        refuse: Option<&'static str>,
    }

    struct FakeMember;

    impl RoleSource for FakeMember {
        type Error = crate::audit::Nothing;
        async fn inventory(&self) -> Result<crate::model::Inventory, crate::audit::Nothing> {
            Ok(crate::model::Inventory::new(Vec::new(), Vec::new()))
        }
    }

    impl Prober for FakeMember {
        type Error = crate::audit::Nothing;
        async fn auditor(&self) -> Result<String, crate::audit::Nothing> {
            Ok(String::new())
        }
        async fn probe(&self, _: &crate::probe::RolePlan) -> crate::model::RoleProbe {
            crate::model::RoleProbe::default()
        }
    }

    impl Member for FakeMember {
        type Prober = FakeMember;
        fn prober(&self) -> &FakeMember {
            self
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("denied")]
    struct Denied;

    impl Organization for Fake {
        type Error = Denied;
        type Member = FakeMember;
        async fn accounts(&self) -> Result<Listing, Denied> {
            Ok(Listing {
                management_account_id: Some("111111111111".into()),
                accounts: (2..=7)
                    .map(|i| account(&format!("{i}").repeat(12), "a"))
                    .collect(),
                ..Listing::default()
            })
        }
        async fn enter(&self, account: &Account) -> Result<FakeMember, Denied> {
            use std::sync::atomic::Ordering::SeqCst;
            self.entered.fetch_add(1, SeqCst);
            let now = self.running.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(now, SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.running.fetch_sub(1, SeqCst);
            match self.refuse {
                Some(id) if id == account.account_id => Err(Denied),
                _ => Ok(FakeMember),
            }
        }
    }

    fn run(deadline: Option<Instant>) -> LiveRun {
        LiveRun {
            deadline,
            ..LiveRun::new(AuditOptions::default(), "r", "t")
        }
    }

    #[tokio::test]
    async fn a_few_accounts_at_once_and_none_forgotten() {
        use std::sync::atomic::Ordering::SeqCst;
        let org = Fake {
            refuse: Some("444444444444"),
            ..Fake::default()
        };
        let r = assess_organization(&org, None::<&crate::audit::Nothing>, &run(None), 2).await;
        assert_eq!(org.entered.load(SeqCst), 6);
        assert_eq!(org.most.load(SeqCst), 2);
        assert_eq!(r.account_id.as_deref(), Some("111111111111"));
        assert_eq!(r.accounts.len(), 6);
        let not: Vec<&str> = r
            .accounts
            .iter()
            .filter(|a| !a.audited)
            .map(|a| a.account_id.as_str())
            .collect();
        assert_eq!(not, ["444444444444"]);
        assert!(!r.complete);
        assert_eq!(r.errors[0].code, "AccountNotEntered");
        assert!(
            r.errors[0]
                .message
                .starts_with("account 444444444444 (a): the account could not be entered")
        );
        assert!(r.errors[0].message.ends_with(": denied"));
    }

    #[tokio::test]
    async fn accounts_not_started_before_the_deadline_are_listed() {
        use std::sync::atomic::Ordering::SeqCst;
        let org = Fake::default();
        let soon = Instant::now() + MIN_ACCOUNT_TIME / 2;
        let r =
            assess_organization(&org, None::<&crate::audit::Nothing>, &run(Some(soon)), 4).await;
        assert_eq!(org.entered.load(SeqCst), 0);
        assert_eq!(r.accounts.len(), 6);
        assert!(r.accounts.iter().all(|a| !a.audited));
        assert_eq!(r.errors.len(), 6);
        assert!(r.errors.iter().all(|e| e.code == "DeadlineExceeded"));
        assert!(!r.complete);
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
