//! Organization-wide runs: list the organization's accounts, enter each through the org role
//! (a few at once; none started within [`MIN_ACCOUNT_TIME`] of the deadline), assess it as
//! any account ([`super::assess::account`]), and merge the accounts' reports into one
//! ([`connector_audit_core::org::merge`]). Every account is in the result, whatever became of it.

use super::Run;
use super::assess::{Collaborators, account, within};
use super::ports::{Organization, UsageSource};
use super::settings::Settings;
use connector_audit_core::audit::AuditOptions;
use connector_audit_core::model::{ErrorCode, ErrorEntry, Operation, Report};
use connector_audit_core::org::{Account, AccountRun, MIN_ACCOUNT_TIME, Outcome, merge};
use futures::StreamExt;
use std::time::Instant;

/// Enters and assesses the accounts, at most `settings.org_concurrency` at once.
pub async fn assess_accounts(
    org: &dyn Organization,
    usage: Option<&dyn UsageSource>,
    accounts: Vec<Account>,
    settings: &Settings,
    options: &AuditOptions,
    run: &Run,
) -> Vec<AccountRun> {
    super::progress::add(super::progress::ACCOUNTS, accounts.len());
    futures::stream::iter(accounts)
        .map(|account| async move {
            let outcome = assess_one(org, usage, &account, settings, options, run).await;
            super::progress::done(super::progress::ACCOUNTS);
            AccountRun { account, outcome }
        })
        .buffer_unordered(settings.org_concurrency.max(1))
        .collect()
        .await
}

async fn assess_one(
    org: &dyn Organization,
    usage: Option<&dyn UsageSource>,
    target: &Account,
    settings: &Settings,
    options: &AuditOptions,
    run: &Run,
) -> Outcome {
    if run
        .deadline
        .is_some_and(|d| Instant::now() + MIN_ACCOUNT_TIME >= d)
    {
        return Outcome::NotStarted;
    }
    match within(run.deadline, org.enter(target)).await {
        Some(Ok(member)) => {
            // the organization's guardrails over the account: without them the account is
            // judged on its own policies (they can only take access away)
            let (guardrails, unread) = match within(run.deadline, org.guardrails(target)).await {
                Some(Ok(g)) => (g, None),
                Some(Err(e)) => (None, Some(format!("{e}"))),
                None => (None, Some("the run's time budget ran out".to_string())),
            };
            let with = Collaborators {
                roles: member.roles.as_ref(),
                prober: Some(member.prober.as_ref()),
                usage,
                guardrails: guardrails.as_ref(),
            };
            // boxed: keeps the nested futures' types shallow enough for the compiler's query depth
            let mut report = Box::pin(account(&with, settings, options, run)).await;
            if let Some(why) = unread {
                report.errors.push(ErrorEntry::new(
                    Operation::ReadGuardrails,
                    ErrorCode::GuardrailsUnreadable,
                    format!("the organization's service and resource control policies over the account could not be read ({why}): its roles are judged without them, as if they took nothing away"),
                ));
                report.complete = false;
            }
            Outcome::Assessed(Box::new(report))
        }
        Some(Err(e)) => Outcome::NotEntered {
            code: ErrorCode::AccountNotEntered,
            message: format!("the account could not be entered, none of its roles was audited: {e}"),
        },
        None => Outcome::NotEntered {
            code: ErrorCode::DeadlineExceeded,
            message: "the run's time budget ran out while entering the account: none of its roles was audited".into(),
        },
    }
}

/// Lists the organization's accounts, assesses them and merges: the whole organization in
/// one report, whose `account_id` is the management account. Never fails: an organization
/// that cannot be listed (or lists no active account) gives a report that says so.
pub async fn every_account(
    org: &dyn Organization,
    usage: Option<&dyn UsageSource>,
    settings: &Settings,
    options: &AuditOptions,
    run: &Run,
) -> Report {
    let (code, message) = match within(run.deadline, org.accounts()).await {
        Some(Ok(listing)) if !listing.accounts.is_empty() => {
            let runs = Box::pin(assess_accounts(
                org,
                usage,
                listing.accounts,
                settings,
                options,
                run,
            ))
            .await;
            return merge(
                listing.management_account_id,
                run.generated_at.clone(),
                runs,
            );
        }
        Some(Ok(listing)) => (
            ErrorCode::NoAccounts,
            format!(
                "the organization lists no active account ({} inactive): nothing was audited",
                listing.inactive_accounts
            ),
        ),
        Some(Err(e)) => (
            ErrorCode::ListAccountsFailed,
            format!("the organization's accounts could not be listed, nothing was audited: {e}"),
        ),
        None => (
            ErrorCode::DeadlineExceeded,
            "the organization's accounts could not be listed before the invocation's deadline: nothing was audited".into(),
        ),
    };
    let mut report = merge(None, run.generated_at.clone(), Vec::new());
    report
        .errors
        .push(ErrorEntry::new(Operation::ListAccounts, code, message));
    report.complete = false;
    report
}

/// One account of the organization, entered through the org role, as a report with its one
/// section (the state machine's path: one invocation per account).
pub async fn member(
    org: &dyn Organization,
    usage: Option<&dyn UsageSource>,
    target: Account,
    settings: &Settings,
    options: &AuditOptions,
    run: &Run,
) -> Report {
    let id = target.account_id.to_string();
    let one = Settings {
        org_concurrency: 1,
        ..settings.clone()
    };
    let runs = Box::pin(assess_accounts(
        org,
        usage,
        vec![target],
        &one,
        options,
        run,
    ))
    .await;
    merge(Some(id), run.generated_at.clone(), runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fakes::Org;

    /// The organization assessed with `concurrency` accounts at once.
    async fn organize(org: &Org, deadline: Option<Instant>, concurrency: usize) -> Report {
        let settings = Settings {
            org_concurrency: concurrency,
            ..Settings::default()
        };
        let run = Run {
            deadline,
            ..Run::new("r", "t")
        };
        let options = settings.audit_options(None, Default::default());
        every_account(org, None, &settings, &options, &run).await
    }

    #[tokio::test]
    async fn a_few_accounts_at_once_and_none_forgotten() {
        use std::sync::atomic::Ordering::SeqCst;
        let org = Org {
            refuse: Some("444444444444"),
            ..Org::default()
        };
        let r = organize(&org, None, 2).await;
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
        let org = Org::default();
        let soon = Instant::now() + MIN_ACCOUNT_TIME / 2;
        let r = organize(&org, Some(soon), 4).await;
        assert_eq!(org.entered.load(SeqCst), 0);
        assert_eq!(r.accounts.len(), 6);
        assert!(r.accounts.iter().all(|a| !a.audited));
        assert_eq!(r.errors.len(), 6);
        assert!(r.errors.iter().all(|e| e.code == "DeadlineExceeded"));
        assert!(!r.complete);
    }
}
