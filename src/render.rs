//! Turns a [`Report`] into text for people (a table) or machines (JSON). PURE.

use crate::model::{Report, Severity};
use std::fmt::Write as _;

/// The report as pretty JSON (the schema_version 1 contract).
pub fn json(report: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report)
}

/// The report as a table for a terminal.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "connector-audit {} | account {} | {} connector role(s) audited | source {}{}",
        report.tool.version,
        report.account_id.as_deref().unwrap_or("unknown"),
        report.summary.roles_audited,
        match report.source {
            crate::model::Source::File => "file",
            crate::model::Source::Live => "live",
        },
        if report.complete {
            ""
        } else {
            " | INCOMPLETE (see errors)"
        }
    );
    let _ = writeln!(out);
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings.");
    } else {
        let rule_w = report
            .findings
            .iter()
            .map(|f| f.rule.len())
            .max()
            .unwrap_or(0);
        // an organization's findings name their account with the role
        let role =
            |f: &crate::model::Finding| match crate::policy::principal::arn_account(&f.role_arn) {
                Some(account) if !report.accounts.is_empty() => {
                    format!("{account}/{}", f.role_name)
                }
                _ => f.role_name.clone(),
            };
        let role_w = report
            .findings
            .iter()
            .map(|f| role(f).len())
            .max()
            .unwrap_or(0);
        let _ = writeln!(
            out,
            "{:<9} {:<rule_w$}  {:<role_w$}  POLICY",
            "SEVERITY", "RULE", "ROLE"
        );
        for f in &report.findings {
            let place = match &f.statement {
                Some(s) => format!("{}#{}", f.policy, s.index),
                None => f.policy.to_string(),
            };
            let _ = writeln!(
                out,
                "{:<9} {:<rule_w$}  {:<role_w$}  {place}",
                f.severity.as_str().to_uppercase(),
                f.rule,
                role(f)
            );
            let _ = writeln!(out, "{:9}   {}", "", f.message);
            let _ = writeln!(out, "{:9}   fix: {}", "", f.remediation);
        }
    }
    let counts = &report.summary.findings;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Findings: {} critical, {} high, {} medium, {} low, {} info",
        counts.critical, counts.high, counts.medium, counts.low, counts.info
    );
    if let Some(p) = &report.probe {
        let _ = writeln!(
            out,
            "Probe: {} role(s) probed, {} unavailable, {} not probed in time{}{}",
            p.roles_probed,
            p.roles_unavailable,
            p.roles_not_probed.len(),
            p.auditor_arn
                .as_deref()
                .map(|a| format!(" | as {a}"))
                .unwrap_or_default(),
            p.canary_bucket
                .as_deref()
                .map(|c| format!(" | canary {c}"))
                .unwrap_or_default()
        );
    }
    if !report.accounts.is_empty() {
        let _ = writeln!(out, "Accounts ({}):", report.accounts.len());
        for a in &report.accounts {
            let c = &a.findings;
            let state = match &a.error {
                Some(why) if !a.audited => format!("NOT AUDITED: {why}"),
                _ => format!(
                    "{} role(s), {} critical, {} high, {} medium, {} low{}",
                    a.roles_audited,
                    c.critical,
                    c.high,
                    c.medium,
                    c.low,
                    if a.complete { "" } else { ", INCOMPLETE" }
                ),
            };
            let _ = writeln!(
                out,
                "  {} {:<20} {state}",
                a.account_id,
                a.account_name.as_deref().unwrap_or("-")
            );
        }
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "Errors ({}):", report.errors.len());
        for e in &report.errors {
            let _ = writeln!(out, "  {e}");
        }
    }
    out
}

/// Does the report hold a finding at or above `threshold`?
pub fn fails(report: &Report, threshold: Severity) -> bool {
    report.max_severity().is_some_and(|s| s >= threshold)
}
