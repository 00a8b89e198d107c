//! New, known and resolved findings: a run against the previous report of the same account
//! and scope. PURE: the report store is read and written by `audit::deliver`.
//!
//! The previous report is the account's latest state for the scope, kept at
//! [`latest_key`]. A finding whose stable id it holds is `known` (and keeps its
//! `first_seen`); any other is `new`. A previous finding of a role this run audited that the
//! run no longer finds is `resolved`. A run that audits only some roles (an audit on an IAM
//! change) compares and replaces only those roles, so that the next full run does not call
//! the rest new. A role the run could not audit in full keeps its previous findings: an error
//! resolves nothing.

use crate::audit::AuditOptions;
use crate::model::{
    Changes, Finding, FindingStatus, Report, ResolvedFinding, SeverityCounts, Summary,
};
use crate::policy::principal::arn_account;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The scope a report covers: the connector tag (and value), and whether it spans an
/// organization. Reports of different scopes are never compared.
pub fn scope_id(options: &AuditOptions, organization: bool) -> String {
    let text = format!(
        "tag={}\n{}\norg={organization}",
        options.tag_key,
        options.tag_value.as_deref().unwrap_or("*")
    );
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let readable: String = options
        .tag_key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    format!("{readable}-{}{hex}", if organization { "org-" } else { "" })
}

/// Where an account's latest report for a scope is kept in the report bucket.
pub fn latest_key(account: &str, scope: &str) -> String {
    let account: String = account
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("reports/latest/{account}/{scope}.json")
}

/// Marks the report's findings against `previous` (none: the first run, all new), records
/// [`Changes`] in its summary, and returns the new latest report of the scope.
///
/// `location` names where `previous` was read. `options` tells which roles the run was
/// asked about: every connector role, or some (by name, ARN or attached policy).
pub fn compare(
    report: &mut Report,
    previous: Option<&Report>,
    location: Option<String>,
    options: &AuditOptions,
) -> Report {
    let audited: BTreeSet<&str> = report.roles.iter().map(|r| r.role_arn.as_str()).collect();
    // a role with errors keeps its findings; an error names its role and, where known, its
    // account: a same-named role of another account is judged on its own
    let with_errors: BTreeSet<(Option<&str>, &str)> = report
        .errors
        .iter()
        .filter_map(|e| {
            e.role_name
                .as_deref()
                .map(|r| (e.account_id.as_ref().map(|a| a.as_str()), r))
        })
        .collect();
    let has_errors = |f: &Finding| {
        let name = f.role_name.as_str();
        with_errors.contains(&(None, name))
            || arn_account(&f.role_arn).is_some_and(|a| with_errors.contains(&(Some(a), name)))
    };
    // in an organization's report, only the accounts it audited judge their findings: the
    // others (not entered, or not part of this run) keep theirs
    let audited_accounts: Option<BTreeSet<&str>> = (!report.accounts.is_empty()).then(|| {
        report
            .accounts
            .iter()
            .filter(|a| a.audited)
            .map(|a| a.account_id.as_str())
            .collect()
    });
    // a previous finding is judged by this run when its role was audited in full, or was
    // asked about and is no longer a connector role (untagged, deleted)
    let judged = |f: &Finding| {
        !has_errors(f)
            && audited_accounts.as_ref().is_none_or(|accounts| {
                arn_account(&f.role_arn).is_some_and(|a| accounts.contains(a))
            })
            && (options.is_whole_scope()
                || audited.contains(f.role_arn.as_str())
                || options
                    .roles
                    .iter()
                    .any(|r| *r == f.role_name || *r == f.role_arn))
    };
    let before: BTreeMap<&str, &Finding> = previous
        .map(|p| p.findings.iter().map(|f| (f.id.as_str(), f)).collect())
        .unwrap_or_default();
    let mut changes = Changes {
        previous_report: location,
        previous_generated_at: previous.map(|p| p.generated_at.clone()),
        ..Changes::default()
    };
    for f in &mut report.findings {
        match before.get(f.id.as_str()) {
            Some(old) => {
                f.status = Some(FindingStatus::Known);
                f.first_seen = old
                    .first_seen
                    .clone()
                    .or_else(|| previous.map(|p| p.generated_at.clone()));
                changes.known += 1;
            }
            None => {
                f.status = Some(FindingStatus::New);
                f.first_seen = Some(report.generated_at.clone());
                changes.new += 1;
            }
        }
    }
    let now: BTreeSet<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    let mut carried: Vec<Finding> = Vec::new();
    for old in previous.map(|p| p.findings.as_slice()).unwrap_or_default() {
        if now.contains(old.id.as_str()) {
            continue;
        }
        if judged(old) {
            changes.resolved.push(ResolvedFinding {
                id: old.id.clone(),
                rule: old.rule.clone(),
                severity: old.severity,
                role_name: old.role_name.clone(),
                role_arn: old.role_arn.clone(),
                first_seen: old.first_seen.clone(),
            });
        } else {
            carried.push(old.clone());
        }
    }
    report.summary.changes = Some(changes);
    latest(report, previous, carried, options)
}

/// The scope's state after this run: the run's report, plus what a partial run did not
/// judge (other roles' findings and roles) from the previous one.
fn latest(
    report: &Report,
    previous: Option<&Report>,
    carried: Vec<Finding>,
    options: &AuditOptions,
) -> Report {
    let mut latest = report.clone();
    latest.summary.changes = None;
    if carried.is_empty() && (options.is_whole_scope() || previous.is_none()) {
        return latest;
    }
    let audited: BTreeSet<String> = report.roles.iter().map(|r| r.role_arn.clone()).collect();
    let carried_roles: BTreeSet<&str> = carried.iter().map(|f| f.role_arn.as_str()).collect();
    if let Some(p) = previous {
        let kept = p.roles.iter().filter(|r| {
            !audited.contains(&r.role_arn)
                && (carried_roles.contains(r.role_arn.as_str())
                    || (!options.is_whole_scope()
                        && !options
                            .roles
                            .iter()
                            .any(|n| *n == r.role_name || *n == r.role_arn)))
        });
        latest.roles.extend(kept.cloned());
        latest.roles.sort_by(|a, b| a.role_name.cmp(&b.role_name));
    }
    latest.findings.extend(carried);
    crate::audit::sort_findings(&mut latest.findings);
    latest.summary = Summary {
        roles_audited: latest.roles.len(),
        findings: SeverityCounts::of(&latest.findings),
        suppressed: latest.findings.iter().filter(|f| !f.is_active()).count(),
        changes: None,
        security_hub: None,
    };
    latest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditOptions, audit};
    use crate::dump::parse_dump;
    use crate::model::Source;

    const ROLE_A: &str = r#"{"RoleName":"a","Arn":"arn:aws:iam::123456789012:role/a",
        "Tags":[{"Key":"connector","Value":"x"}],
        "AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}}"#;
    const ROLE_A_FIXED: &str = r#"{"RoleName":"a","Arn":"arn:aws:iam::123456789012:role/a",
        "Tags":[{"Key":"connector","Value":"x"}],
        "AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}}"#;
    // a listed vendor's account (Datadog's), so that its one finding is the missing external id
    const ROLE_B: &str = r#"{"RoleName":"b","Arn":"arn:aws:iam::123456789012:role/b",
        "Tags":[{"Key":"connector","Value":"x"}],
        "AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::464622532012:root"},"Action":"sts:AssumeRole"}}}"#;

    fn run(roles: &[&str], at: &str, options: &AuditOptions) -> Report {
        let dump = format!(r#"{{"RoleDetailList":[{}]}}"#, roles.join(","));
        audit(parse_dump(&dump).unwrap(), options, Source::File, at.into())
    }

    #[test]
    fn first_run_all_new_then_known_then_resolved() {
        let all = AuditOptions::default();
        let mut first = run(&[ROLE_A, ROLE_B], "2026-11-01T00:00:00Z", &all);
        let base1 = compare(&mut first, None, None, &all);
        let c = first.summary.changes.as_ref().unwrap();
        assert_eq!((c.new, c.known, c.resolved.len()), (2, 0, 0));
        assert!(
            first
                .findings
                .iter()
                .all(|f| f.status == Some(FindingStatus::New)
                    && f.first_seen.as_deref() == Some("2026-11-01T00:00:00Z"))
        );
        assert_eq!(base1.summary.changes, None);

        let mut second = run(&[ROLE_A_FIXED, ROLE_B], "2026-11-02T00:00:00Z", &all);
        compare(&mut second, Some(&base1), Some("s3://r/k".into()), &all);
        let c = second.summary.changes.as_ref().unwrap();
        assert_eq!((c.new, c.known), (0, 1));
        assert_eq!(c.resolved.len(), 1);
        assert_eq!(c.resolved[0].rule, "trust-any-principal");
        assert_eq!(c.previous_report.as_deref(), Some("s3://r/k"));
        assert_eq!(
            c.previous_generated_at.as_deref(),
            Some("2026-11-01T00:00:00Z")
        );
        // the known finding keeps the day it was first seen
        assert_eq!(
            second.findings[0].first_seen.as_deref(),
            Some("2026-11-01T00:00:00Z")
        );
    }

    #[test]
    fn partial_runs_judge_only_their_roles() {
        let all = AuditOptions::default();
        let mut full = run(&[ROLE_A, ROLE_B], "2026-11-01T00:00:00Z", &all);
        let base = compare(&mut full, None, None, &all);
        // a change to `a` fixes it: only `a` is audited
        let only_a = AuditOptions {
            roles: vec!["a".into()],
            lenient_names: true,
            ..AuditOptions::default()
        };
        let mut change = run(&[ROLE_A_FIXED, ROLE_B], "2026-11-02T00:00:00Z", &only_a);
        assert_eq!(change.roles.len(), 1);
        let latest = compare(&mut change, Some(&base), None, &only_a);
        let c = change.summary.changes.as_ref().unwrap();
        assert_eq!((c.new, c.known, c.resolved.len()), (0, 0, 1));
        // `b` is still in the latest state, as it was: the next full run calls it known
        assert_eq!(latest.roles.len(), 2);
        assert_eq!(latest.findings.len(), 1);
        assert_eq!(latest.findings[0].role_name, "b");
        let mut next = run(&[ROLE_A_FIXED, ROLE_B], "2026-11-03T00:00:00Z", &all);
        compare(&mut next, Some(&latest), None, &all);
        let c = next.summary.changes.as_ref().unwrap();
        assert_eq!((c.new, c.known, c.resolved.len()), (0, 1, 0));
    }

    #[test]
    fn untagged_role_resolves_and_errors_resolve_nothing() {
        let all = AuditOptions::default();
        let mut full = run(&[ROLE_A, ROLE_B], "2026-11-01T00:00:00Z", &all);
        let base = compare(&mut full, None, None, &all);
        let untagged_a = ROLE_A.replace(r#""Tags":[{"Key":"connector","Value":"x"}],"#, "");
        let only_a = AuditOptions {
            roles: vec!["a".into()],
            lenient_names: true,
            ..AuditOptions::default()
        };
        let mut change = run(&[&untagged_a, ROLE_B], "2026-11-02T00:00:00Z", &only_a);
        assert!(change.roles.is_empty());
        let latest = compare(&mut change, Some(&base), None, &only_a);
        assert_eq!(change.summary.changes.as_ref().unwrap().resolved.len(), 1);
        assert_eq!(latest.roles.len(), 1);

        // `b` could not be audited in full: its finding is neither resolved nor dropped
        let mut broken = run(&[ROLE_A], "2026-11-02T00:00:00Z", &all);
        broken.errors.push(
            crate::model::ErrorEntry::new(
                crate::model::Operation::ResolveManagedPolicy,
                "Throttling",
                "m",
            )
            .role("b"),
        );
        let latest = compare(&mut broken, Some(&base), None, &all);
        assert!(broken.summary.changes.as_ref().unwrap().resolved.is_empty());
        assert!(latest.findings.iter().any(|f| f.role_name == "b"));
    }

    fn section(account: &str, audited: bool) -> crate::model::AccountSection {
        crate::model::AccountSection {
            account_id: account.into(),
            account_name: None,
            audited,
            complete: audited,
            roles_audited: 0,
            findings: SeverityCounts::default(),
            errors: 0,
            error: None,
            usage: None,
        }
    }

    #[test]
    fn an_organizations_accounts_judge_only_their_own_findings() {
        let all = AuditOptions::default();
        let other = ROLE_B.replace("123456789012:role/b", "222222222222:role/b");
        let mut before = run(&[ROLE_A, &other], "2026-11-01T00:00:00Z", &all);
        before.accounts = vec![section("123456789012", true), section("222222222222", true)];
        let base = compare(&mut before, None, None, &all);
        assert_eq!(base.findings.len(), 2);
        // the second account was not entered, or is not part of the run (one member account
        // audited on its own): its finding is neither resolved nor dropped
        for accounts in [
            vec![
                section("123456789012", true),
                section("222222222222", false),
            ],
            vec![section("123456789012", true)],
        ] {
            let mut after = run(&[ROLE_A_FIXED], "2026-11-02T00:00:00Z", &all);
            after.accounts = accounts;
            let latest = compare(&mut after, Some(&base), None, &all);
            let resolved = &after.summary.changes.as_ref().unwrap().resolved;
            assert_eq!(resolved.len(), 1);
            assert_eq!(resolved[0].role_name, "a");
            assert_eq!(latest.findings.len(), 1);
            assert_eq!(
                latest.findings[0].role_arn,
                "arn:aws:iam::222222222222:role/b"
            );
        }
    }

    #[test]
    fn an_error_keeps_only_its_own_accounts_role() {
        // the same role name in two accounts of an organization
        let all = AuditOptions::default();
        let other = ROLE_A.replace("123456789012:role/a", "222222222222:role/a");
        let mut before = run(&[ROLE_A, &other], "2026-11-01T00:00:00Z", &all);
        before.accounts = vec![section("123456789012", true), section("222222222222", true)];
        let base = compare(&mut before, None, None, &all);
        assert_eq!(base.findings.len(), 2);
        // both fixed; the role in 222222222222 could not be audited in full
        let other_fixed = ROLE_A_FIXED.replace("123456789012", "222222222222");
        let mut after = run(&[ROLE_A_FIXED, &other_fixed], "2026-11-02T00:00:00Z", &all);
        after.accounts = vec![section("123456789012", true), section("222222222222", true)];
        after.errors.push(
            crate::model::ErrorEntry::new(
                crate::model::Operation::ResolveManagedPolicy,
                "Throttling",
                "m",
            )
            .role("a")
            .account(Some(
                crate::model::AccountId::parse("222222222222").unwrap(),
            )),
        );
        let latest = compare(&mut after, Some(&base), None, &all);
        let resolved = &after.summary.changes.as_ref().unwrap().resolved;
        // 123456789012's finding is resolved; 222222222222's is kept, not resolved
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].role_arn, "arn:aws:iam::123456789012:role/a");
        assert_eq!(latest.findings.len(), 1);
        assert_eq!(
            latest.findings[0].role_arn,
            "arn:aws:iam::222222222222:role/a"
        );
        // an error that names no account still keeps every role of that name
        let mut unknown = run(&[ROLE_A_FIXED, &other_fixed], "2026-11-02T00:00:00Z", &all);
        unknown.accounts = after.accounts.clone();
        unknown.errors.push(crate::model::ErrorEntry::new(
            crate::model::Operation::ResolveManagedPolicy,
            "Throttling",
            "m",
        ));
        unknown.errors.last_mut().unwrap().role_name = Some("a".into());
        compare(&mut unknown, Some(&base), None, &all);
        assert!(unknown.summary.changes.unwrap().resolved.is_empty());
    }

    #[test]
    fn scopes_and_keys() {
        let a = AuditOptions::default();
        let b = AuditOptions {
            tag_value: Some("onyx".into()),
            ..AuditOptions::default()
        };
        assert_ne!(scope_id(&a, false), scope_id(&b, false));
        assert_ne!(scope_id(&a, false), scope_id(&a, true));
        assert_eq!(scope_id(&a, false), scope_id(&a, false));
        assert!(scope_id(&a, false).starts_with("connector-"));
        // the roles asked about are not part of the scope
        let c = AuditOptions {
            roles: vec!["x".into()],
            ..AuditOptions::default()
        };
        assert_eq!(scope_id(&a, false), scope_id(&c, false));
        assert_eq!(
            latest_key("123456789012", "connector-1a2b3c4d"),
            "reports/latest/123456789012/connector-1a2b3c4d.json"
        );
        assert_eq!(latest_key("../x", "s"), "reports/latest/x/s.json");
    }
}
