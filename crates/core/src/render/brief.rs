//! The report in one screen: one line per finding (severity, rule, role, the message cut to
//! fit), the roles that passed, the counts, and the first errors. For a first look (the demo
//! prints it); the table ([`super::table`]) and the JSON hold everything.

use super::{for_terminal, standing};
use crate::model::Report;
use std::fmt::Write as _;

/// Lines are cut to this many characters (the message with `…`), but a message keeps at
/// least [`MESSAGE_CHARS`].
const LINE_CHARS: usize = 120;
const MESSAGE_CHARS: usize = 40;
/// At most this many error lines; the rest are counted.
const ERRORS_SHOWN: usize = 3;

/// The report in a screen, for a terminal (text from AWS escaped, as in the table).
pub fn brief(report: &Report) -> String {
    let report = for_terminal(report);
    let report = report.as_ref();
    let mut out = super::header(report);
    let _ = writeln!(out);
    let rule_w = report
        .findings
        .iter()
        .map(|f| f.rule.len())
        .max()
        .unwrap_or(4);
    let role_w = report
        .findings
        .iter()
        .map(|f| f.role_name.len())
        .max()
        .unwrap_or(4);
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings.");
    } else {
        let _ = writeln!(
            out,
            "{:<9} {:<rule_w$}  {:<role_w$}  WHY",
            "SEVERITY", "RULE", "ROLE"
        );
    }
    let room = LINE_CHARS
        .saturating_sub(9 + 1 + rule_w + 2 + role_w + 2)
        .max(MESSAGE_CHARS);
    for f in &report.findings {
        let mut why = cut(&f.message, room);
        if let Some(note) = standing(f) {
            why = format!("[{note}] {why}");
        }
        let _ = writeln!(
            out,
            "{:<9} {:<rule_w$}  {:<role_w$}  {why}",
            f.severity.as_str().to_uppercase(),
            f.rule,
            f.role_name,
        );
    }
    let _ = writeln!(out);
    if let Some(line) = super::passed(report) {
        let _ = writeln!(out, "{line}");
    }
    let c = &report.summary.findings;
    let _ = writeln!(
        out,
        "Findings: {} critical, {} high, {} medium, {} low, {} info",
        c.critical, c.high, c.medium, c.low, c.info
    );
    if !report.errors.is_empty() {
        let _ = writeln!(out, "Errors ({}):", report.errors.len());
        for e in report.errors.iter().take(ERRORS_SHOWN) {
            let _ = writeln!(out, "  {}", cut(&e.to_string(), LINE_CHARS - 2));
        }
        if report.errors.len() > ERRORS_SHOWN {
            let _ = writeln!(out, "  ... and {} more", report.errors.len() - ERRORS_SHOWN);
        }
    }
    out
}

/// `text` on one line, at most `max` characters (`…` when cut).
pub(crate) fn cut(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut kept: String = line.chars().take(max.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_per_finding_and_the_roles_that_passed() {
        let dump = r#"{"RoleDetailList": [
            {"RoleName": "open", "Arn": "arn:aws:iam::123456789012:role/open",
             "Tags": [{"Key": "connector", "Value": "acme"}],
             "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"},
                 "Action": "sts:AssumeRole"}}},
            {"RoleName": "clean", "Arn": "arn:aws:iam::123456789012:role/clean",
             "Tags": [{"Key": "connector", "Value": "acme"}],
             "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow",
                 "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}}}]}"#;
        let inventory = crate::dump::parse_dump(dump).unwrap();
        let report = crate::audit::audit(
            inventory,
            &crate::audit::AuditOptions::default(),
            crate::model::Source::File,
            "2026-01-01T00:00:00Z".into(),
        );
        let text = brief(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("2 connector role(s) audited | source file"),
            "{text}"
        );
        let findings: Vec<&&str> = lines.iter().filter(|l| l.starts_with("CRITICAL")).collect();
        assert_eq!(findings.len(), 1, "{text}");
        assert!(findings[0].contains("trust-any-principal") && findings[0].contains("open"));
        assert!(
            lines.iter().all(|l| l.chars().count() <= LINE_CHARS),
            "{text}"
        );
        assert!(
            text.contains("Passed: 1 role(s) with no finding: clean"),
            "{text}"
        );
        assert!(text.contains("Findings: 1 critical"), "{text}");
    }

    #[test]
    fn long_messages_are_cut_on_one_line() {
        assert_eq!(cut("a  b\nc", 10), "a b c");
        assert_eq!(cut(&"x".repeat(20), 5), "xxxx…");
        assert_eq!(cut("é".repeat(5).as_str(), 5), "ééééé");
    }
}
