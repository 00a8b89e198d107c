//! Turns a [`Report`] into text: a table for people, JSON (the report contract), SARIF 2.1.0
//! for code scanning ([`sarif`]), OCSF Detection Findings for security lakes ([`ocsf`]), ASFF
//! findings for Security Hub ([`asff`]) and a self-contained HTML page ([`html`]).
//! PURE: no I/O, no AWS SDK; what a format needs beyond the report (the audited file's path,
//! say) is a parameter.

pub mod asff;
pub mod brief;
pub mod html;
pub mod ocsf;
pub mod sarif;

pub use brief::brief;

use crate::model::{Report, Severity};
use std::fmt::Write as _;

/// The report as pretty JSON (the schema_version 1 contract).
pub fn json(report: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report)
}

/// The same JSON as [`json`], written to `out` as it is encoded: a large report is never held
/// twice.
pub fn write_json(out: impl std::io::Write, report: &Report) -> Result<(), serde_json::Error> {
    serde_json::to_writer_pretty(out, report)
}

/// `text` with every control character (C0, DEL, C1: escape sequences, carriage returns,
/// newlines, tabs) and every bidirectional override written as an escape (`\u{1b}`), so
/// that a role name or tag value cannot drive the terminal or forge table lines.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Every string of a JSON value escaped ([`escape_control`]), keys included.
fn escape_value(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let std::borrow::Cow::Owned(e) = escape_control(s) {
                *s = e;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(escape_value),
        serde_json::Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut item) in entries {
                escape_value(&mut item);
                map.insert(escape_control(&k).into_owned(), item);
            }
        }
        _ => {}
    }
}

/// The report with every string escaped for a terminal (the report itself when that fails,
/// which it cannot: it is a report's own JSON read back).
fn for_terminal(report: &Report) -> std::borrow::Cow<'_, Report> {
    let Ok(mut value) = serde_json::to_value(report) else {
        return std::borrow::Cow::Borrowed(report);
    };
    escape_value(&mut value);
    serde_json::from_value(value)
        .map_or(std::borrow::Cow::Borrowed(report), std::borrow::Cow::Owned)
}

/// The report as a table for a terminal. Every text from AWS (names, tags, messages that
/// quote them) has its control characters escaped ([`escape_control`]).
pub fn table(report: &Report) -> String {
    let report = for_terminal(report);
    let report = report.as_ref();
    let mut out = header(report);
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
            let trusted_by = report.trusted_by(&f.role_arn);
            if !trusted_by.is_empty() {
                let _ = writeln!(out, "{:9}   trusted by: {}", "", trusted_by.join(", "));
            }
            let _ = writeln!(out, "{:9}   fix: {}", "", f.remediation);
            if let Some(note) = standing(f) {
                let _ = writeln!(out, "{:9}   {note}", "");
            }
        }
    }
    let counts = &report.summary.findings;
    let _ = writeln!(out);
    if let Some(line) = passed(report) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "Findings: {} critical, {} high, {} medium, {} low, {} info",
        counts.critical, counts.high, counts.medium, counts.low, counts.info
    );
    if report.summary.suppressed > 0 {
        let _ = writeln!(
            out,
            "Suppressed: {} (in the list above, not counted)",
            report.summary.suppressed
        );
    }
    if let Some(c) = &report.summary.changes {
        let _ = writeln!(
            out,
            "Since {}: {} new, {} known, {} resolved",
            c.previous_generated_at
                .as_deref()
                .unwrap_or("the first report"),
            c.new,
            c.known,
            c.resolved.len()
        );
        for r in &c.resolved {
            let _ = writeln!(out, "  resolved: {} on {}", r.rule, r.role_name);
        }
    }
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

/// The report's first lines: tool, account, roles, source, completeness; the IAM change.
fn header(report: &Report) -> String {
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
    if let Some(c) = &report.change {
        let _ = writeln!(
            out,
            "audit on IAM change: {}{}{}",
            c.event_name,
            c.event_time
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default(),
            c.changed_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default()
        );
    }
    out
}

/// `Passed: N role(s) with no finding: a, b, ...` (at most [`PASSED_SHOWN`] names), `None`
/// when every audited role has a finding. Suppressed findings do not count.
fn passed(report: &Report) -> Option<String> {
    let flagged: std::collections::BTreeSet<&str> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| f.role_arn.as_str())
        .collect();
    let clean: Vec<&str> = report
        .roles
        .iter()
        .filter(|r| !flagged.contains(r.role_arn.as_str()))
        .map(|r| r.role_name.as_str())
        .collect();
    if clean.is_empty() {
        return None;
    }
    let mut line = format!(
        "Passed: {} role(s) with no finding: {}",
        clean.len(),
        clean
            .iter()
            .take(PASSED_SHOWN)
            .copied()
            .collect::<Vec<_>>()
            .join(", ")
    );
    if clean.len() > PASSED_SHOWN {
        let _ = write!(line, " and {} more", clean.len() - PASSED_SHOWN);
    }
    Some(line)
}

/// Roles named on the `Passed:` line; the rest are counted.
const PASSED_SHOWN: usize = 20;

/// A suppression in words: `suppressed until 2026-12-31 by tag (SEC-42)`.
pub(crate) fn suppression(s: &crate::model::Suppressed) -> String {
    format!(
        "suppressed{} by {}{}",
        s.until
            .as_deref()
            .map(|u| format!(" until {u}"))
            .unwrap_or_default(),
        s.by,
        s.reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    )
}

/// A finding's suppression and status, in words (`None` when it has neither).
fn standing(f: &crate::model::Finding) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(s) = &f.suppressed {
        parts.push(suppression(s));
    }
    match f.status {
        Some(crate::model::FindingStatus::New) => parts.push("new".into()),
        Some(crate::model::FindingStatus::Known) => parts.push(format!(
            "known since {}",
            f.first_seen.as_deref().unwrap_or("an earlier report")
        )),
        None => {}
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Does the report hold an active finding at or above `threshold`?
pub fn fails(report: &Report, threshold: Severity) -> bool {
    report.max_severity().is_some_and(|s| s >= threshold)
}

/// Reports and findings for the renderers' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::model::{
        ErrorEntry, Finding, PolicyRef, Report, Severity, SeverityCounts, Source, StatementRef,
        Summary, Tool,
    };
    use serde_json::json;

    pub fn finding(rule: &str, severity: Severity, role: &str) -> Finding {
        Finding {
            id: format!("{:016x}", role.len() * 7919 + rule.len()),
            rule: rule.into(),
            severity,
            role_name: role.into(),
            role_arn: format!("arn:aws:iam::123456789012:role/{role}"),
            policy: PolicyRef::Trust,
            statement: Some(StatementRef {
                index: 0,
                sid: Some("Vendor".into()),
            }),
            message: format!("statement 0 of trust lets anyone assume {role}"),
            evidence: json!({"principals": ["*"]}).into(),
            remediation: "Add an sts:ExternalId condition".into(),
            suppressed: None,
            status: None,
            first_seen: None,
            fix: None,
        }
    }

    pub fn report(findings: Vec<Finding>, errors: Vec<ErrorEntry>) -> Report {
        Report {
            schema_version: Report::SCHEMA_VERSION,
            tool: Tool::default(),
            account_id: Some("123456789012".into()),
            generated_at: "2026-01-02T03:04:05Z".into(),
            source: Source::File,
            complete: errors.is_empty(),
            summary: Summary {
                roles_audited: 2,
                findings: SeverityCounts::of(&findings),
                suppressed: findings.iter().filter(|f| !f.is_active()).count(),
                changes: None,
                security_hub: None,
            },
            roles: vec![],
            findings,
            errors,
            probe: None,
            usage: None,
            change: None,
            accounts: vec![],
        }
    }
}

#[cfg(test)]
mod escaping {
    use super::testing::{finding, report};
    use super::*;

    #[test]
    fn the_table_escapes_control_characters() {
        let mut r = report(
            vec![finding(
                "trust-any-principal",
                Severity::Critical,
                "evil\u{1b}[2J\r\nCRITICAL fake-line\u{202e}",
            )],
            vec![],
        );
        r.account_id = Some("123456789012".into());
        let text = table(&r);
        assert!(!text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{202e}'));
        assert!(
            text.contains("evil\\u{1b}[2J\\u{d}\\u{a}CRITICAL fake-line\\u{202e}"),
            "{text}"
        );
        assert!(!text.lines().any(|l| l.starts_with("CRITICAL fake-line")));
        assert_eq!(escape_control("plain"), "plain");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_json_is_the_json() {
        let report = testing::report(
            vec![testing::finding("s3-wildcard-bucket", Severity::High, "r")],
            vec![],
        );
        let mut written = Vec::new();
        write_json(&mut written, &report).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), json(&report).unwrap());
    }
}
