//! What subscribers receive: the report turned into SNS messages. One message per finding at
//! or above the publishing threshold, then one summary per run (sent even when there is
//! nothing to report, so that silence means broken). Each message carries String attributes
//! for SNS filter policies (`kind`, `severity`, `rule`, `role`, `account`) and is sent with
//! `MessageStructure: json`: subscribers of every protocol get the JSON body (`default`),
//! e-mail subscribers get readable text (`email`). Sizes are counted in UTF-8 bytes and every
//! message and batch is kept under SNS's 262,144-byte limit by trimming evidence, never by
//! splitting JSON. PURE: the AWS call lives in `aws::publish`.

use crate::model::{Finding, Report, Severity};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// SNS's limit for one message, and for a whole PublishBatch request (UTF-8 bytes, message
/// and attributes together).
pub const SNS_MAX_BYTES: usize = 262_144;
/// Room kept for what SNS adds and counts beyond our bytes.
const MARGIN_BYTES: usize = 2_048;
/// SNS subjects: at most 100 characters; we cut at 99.
pub const SUBJECT_MAX_CHARS: usize = 99;
/// PublishBatch takes at most 10 entries.
pub const BATCH_MAX_ENTRIES: usize = 10;

/// One SNS message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Unique within a batch.
    pub id: String,
    pub subject: String,
    /// The `MessageStructure: json` document: `{"default": "...", "email": "..."}`.
    pub structured: String,
    /// String message attributes, for filter policies.
    pub attributes: BTreeMap<String, String>,
}

impl Message {
    /// Bytes SNS counts: the message and its attributes.
    pub fn size(&self) -> usize {
        self.structured.len()
            + self
                .attributes
                .iter()
                .map(|(k, v)| k.len() + v.len() + "String".len())
                .sum::<usize>()
    }
}

/// Context shared by every message of a run.
#[derive(Debug, Clone)]
pub struct RunInfo<'a> {
    pub run_id: &'a str,
    pub account_id: &'a str,
    /// Lowest severity that is published.
    pub min_severity: Severity,
    /// Which findings are published.
    pub mode: PublishMode,
    /// Where the run's HTML report was stored (`s3://bucket/reports/.../<run-id>.html`).
    pub html_report: Option<&'a str>,
}

/// Which findings a run publishes (`PUBLISH_MODE`); suppressed ones never are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublishMode {
    /// Every active finding at or above the threshold, on every run.
    #[default]
    All,
    /// Only findings whose status is `new` (not in the previous report), plus the summary.
    New,
}

impl std::str::FromStr for PublishMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(PublishMode::All),
            "new" => Ok(PublishMode::New),
            _ => Err(format!("`{s}`: expected all or new")),
        }
    }
}

impl RunInfo<'_> {
    /// Is this finding published?
    pub fn publishes(&self, f: &Finding) -> bool {
        f.is_active()
            && f.severity >= self.min_severity
            && (self.mode == PublishMode::All
                || f.status != Some(crate::model::FindingStatus::Known))
    }
}

/// The messages for a report: the findings [`RunInfo::publishes`], then the summary.
pub fn messages(report: &Report, run: &RunInfo<'_>) -> Vec<Message> {
    let mut out: Vec<Message> = report
        .findings
        .iter()
        .filter(|f| run.publishes(f))
        .enumerate()
        .map(|(i, f)| finding_message(i, f, &report.trusted_by(&f.role_arn), run))
        .collect();
    out.push(summary_message(report, run));
    out
}

/// The account a finding is in: its role's (an organization's report mixes accounts), else
/// the run's.
fn account_of<'a>(finding: &'a Finding, run: &RunInfo<'a>) -> &'a str {
    crate::policy::principal::arn_account(&finding.role_arn).unwrap_or(run.account_id)
}

fn finding_message(
    index: usize,
    finding: &Finding,
    trusted_by: &[String],
    run: &RunInfo<'_>,
) -> Message {
    let attributes = BTreeMap::from([
        ("kind".to_string(), "finding".to_string()),
        (
            "severity".to_string(),
            finding.severity.as_str().to_string(),
        ),
        ("rule".to_string(), finding.rule.clone()),
        ("role".to_string(), finding.role_name.clone()),
        ("account".to_string(), account_of(finding, run).to_string()),
    ]);
    let subject = subject(&format!(
        "[connector-audit] {} {}: {}",
        finding.severity.as_str().to_uppercase(),
        finding.rule,
        finding.role_name
    ));
    let mut f = finding.clone();
    let mut message = build(&f, trusted_by, run, &attributes, &subject, index);
    if message.size() > SNS_MAX_BYTES - MARGIN_BYTES {
        // evidence is the only unbounded part: replace it by what it was
        let original = f.evidence.as_str().len();
        f.evidence = json!({ "trimmed": true, "original_bytes": original,
            "note": "evidence too large for SNS; see the report returned by the run" })
        .into();
        message = build(&f, trusted_by, run, &attributes, &subject, index);
    }
    if message.size() > SNS_MAX_BYTES - MARGIN_BYTES {
        f.message = truncate_chars(&f.message, 2_000);
        f.remediation = truncate_chars(&f.remediation, 2_000);
        message = build(&f, trusted_by, run, &attributes, &subject, index);
    }
    message
}

fn build(
    f: &Finding,
    trusted_by: &[String],
    run: &RunInfo<'_>,
    attributes: &BTreeMap<String, String>,
    subject: &str,
    index: usize,
) -> Message {
    let body = json!({
        "kind": "finding",
        "run_id": run.run_id,
        "account_id": account_of(f, run),
        "role_arn": f.role_arn,
        "trusted_by": trusted_by,
        "finding": f,
    });
    let mut email = String::new();
    let _ = writeln!(
        email,
        "{} finding in account {}",
        f.severity.as_str().to_uppercase(),
        account_of(f, run)
    );
    let _ = writeln!(email);
    let _ = writeln!(email, "Rule:        {}", f.rule);
    let _ = writeln!(email, "Role:        {} ({})", f.role_name, f.role_arn);
    if !trusted_by.is_empty() {
        let _ = writeln!(email, "Trusted by:  {}", trusted_by.join(", "));
    }
    let place = match &f.statement {
        Some(s) => format!(
            "{} statement {}{}",
            f.policy,
            s.index,
            s.sid
                .as_ref()
                .map(|x| format!(" (Sid {x})"))
                .unwrap_or_default()
        ),
        None => f.policy.to_string(),
    };
    let _ = writeln!(email, "Policy:      {place}");
    let _ = writeln!(email);
    let _ = writeln!(email, "{}", f.message);
    let _ = writeln!(email);
    let _ = writeln!(email, "Fix: {}", f.remediation);
    let _ = writeln!(email);
    let _ = writeln!(
        email,
        "Finding id {} / run {}. Details: `connector-audit rules {}`.",
        f.id, run.run_id, f.rule
    );
    structured(
        format!("f{index}"),
        subject.to_string(),
        &body,
        email,
        attributes.clone(),
    )
}

fn summary_message(report: &Report, run: &RunInfo<'_>) -> Message {
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.is_active()) {
        *by_rule.entry(f.rule.as_str()).or_default() += 1;
    }
    let not_audited: Vec<&str> = report
        .errors
        .iter()
        .filter_map(|e| e.role_name.as_deref())
        .collect();
    let counts = &report.summary.findings;
    let mut body = json!({
        "kind": "summary",
        "run_id": run.run_id,
        "account_id": run.account_id,
        "generated_at": report.generated_at,
        "complete": report.complete,
        "roles_audited": report.summary.roles_audited,
        "findings": counts,
        "findings_by_rule": by_rule,
        "published_min_severity": run.min_severity,
        "errors": report.errors,
        "roles_with_errors": not_audited,
    });
    if let Some(obj) = body.as_object_mut() {
        // present only when they say something, so that plain runs' messages stay as they were
        if run.mode == PublishMode::New {
            obj.insert("published_only_new".into(), true.into());
        }
        if report.summary.suppressed > 0 {
            obj.insert("suppressed".into(), report.summary.suppressed.into());
        }
        if let Some(c) = &report.summary.changes {
            obj.insert("changes".into(), json!(c));
        }
        if let Some(c) = &report.change {
            obj.insert("change".into(), json!(c));
        }
        if let Some(h) = &report.summary.security_hub {
            obj.insert("security_hub".into(), json!(h));
        }
        if let Some(at) = run.html_report {
            obj.insert("html_report".into(), at.into());
        }
    }
    let total = report.findings.iter().filter(|f| f.is_active()).count();
    let subject = subject(&format!(
        "[connector-audit] {} finding(s), {} critical, {} high in {}{}",
        total,
        counts.critical,
        counts.high,
        run.account_id,
        if report.complete { "" } else { " (INCOMPLETE)" }
    ));
    let mut email = String::new();
    let _ = writeln!(
        email,
        "connector-audit run {} for account {}",
        run.run_id, run.account_id
    );
    let _ = writeln!(
        email,
        "Roles audited: {}{}",
        report.summary.roles_audited,
        if report.complete {
            ""
        } else {
            " (incomplete: see errors)"
        }
    );
    let _ = writeln!(
        email,
        "Findings: {} critical, {} high, {} medium, {} low, {} info",
        counts.critical, counts.high, counts.medium, counts.low, counts.info
    );
    for (rule, n) in &by_rule {
        let _ = writeln!(email, "  {rule}: {n}");
    }
    if report.summary.suppressed > 0 {
        let _ = writeln!(
            email,
            "Suppressed (accepted, not counted): {}",
            report.summary.suppressed
        );
    }
    if let Some(h) = &report.summary.security_hub {
        let _ = writeln!(
            email,
            "Security Hub: {} imported, {} archived, {} refused",
            h.imported, h.archived, h.failed
        );
    }
    if let Some(at) = run.html_report {
        let _ = writeln!(email, "HTML report: {at}");
    }
    if let Some(c) = &report.summary.changes {
        let _ = writeln!(
            email,
            "Since the previous report: {} new, {} known, {} resolved",
            c.new,
            c.known,
            c.resolved.len()
        );
        for r in &c.resolved {
            let _ = writeln!(email, "  resolved: {} on {}", r.rule, r.role_name);
        }
    }
    if !report.errors.is_empty() {
        let _ = writeln!(email, "Errors:");
        for e in &report.errors {
            let _ = writeln!(email, "  {e}");
        }
    }
    let attributes = BTreeMap::from([
        ("kind".to_string(), "summary".to_string()),
        ("account".to_string(), run.account_id.to_string()),
    ]);
    let mut m = structured(
        "summary".into(),
        subject.clone(),
        &body,
        email,
        attributes.clone(),
    );
    if m.size() > SNS_MAX_BYTES - MARGIN_BYTES {
        // a run with very many errors: keep the counts, drop the details
        let mut slim = body;
        if let Some(obj) = slim.as_object_mut() {
            obj.insert(
                "errors".into(),
                json!({ "trimmed": true, "count": report.errors.len() }),
            );
            obj.insert(
                "roles_with_errors".into(),
                json!({ "trimmed": true, "count": not_audited.len() }),
            );
            if let Some(c) = &report.summary.changes {
                obj.insert(
                    "changes".into(),
                    json!({ "new": c.new, "known": c.known,
                        "resolved": { "trimmed": true, "count": c.resolved.len() } }),
                );
            }
        }
        let email = truncate_chars(
            &format!(
                "{}\n(errors trimmed: {} in the report)",
                counts_line(report),
                report.errors.len()
            ),
            10_000,
        );
        m = structured("summary".into(), subject, &slim, email, attributes);
    }
    m
}

fn counts_line(report: &Report) -> String {
    let c = &report.summary.findings;
    format!(
        "Roles audited: {}. Findings: {} critical, {} high, {} medium, {} low, {} info.",
        report.summary.roles_audited, c.critical, c.high, c.medium, c.low, c.info
    )
}

fn structured(
    id: String,
    subject: String,
    body: &Value,
    email: String,
    attributes: BTreeMap<String, String>,
) -> Message {
    let default = body.to_string();
    let structured = json!({ "default": default, "email": email }).to_string();
    Message {
        id,
        subject,
        structured,
        attributes,
    }
}

/// A subject SNS accepts: printable ASCII (no line breaks), at most 99 characters.
fn subject(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    truncate_chars(&clean, SUBJECT_MAX_CHARS)
}

pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text.get(..cut).unwrap_or(text).to_string(),
        None => text.to_string(),
    }
}

/// Groups messages into PublishBatch calls: at most 10 entries and 262,144 bytes each.
pub fn batches(messages: &[Message]) -> Vec<Vec<&Message>> {
    let mut out: Vec<Vec<&Message>> = Vec::new();
    let mut current: Vec<&Message> = Vec::new();
    let mut bytes = 0usize;
    for m in messages {
        let size = m.size();
        if !current.is_empty()
            && (current.len() == BATCH_MAX_ENTRIES || bytes + size > SNS_MAX_BYTES - MARGIN_BYTES)
        {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(m);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PolicyRef, SeverityCounts, Source, StatementRef, Summary, Tool};

    fn finding(sev: Severity, evidence: Value) -> Finding {
        Finding {
            id: "abc".into(),
            rule: "trust-missing-external-id".into(),
            severity: sev,
            role_name: "upsolver-s3".into(),
            role_arn: "arn:aws:iam::123456789012:role/upsolver-s3".into(),
            policy: PolicyRef::Trust,
            statement: Some(StatementRef {
                index: 0,
                sid: None,
            }),
            message: "m".into(),
            evidence: evidence.into(),
            remediation: "r".into(),
            suppressed: None,
            status: None,
            first_seen: None,
            fix: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            schema_version: 1,
            tool: Tool::default(),
            account_id: Some("123456789012".into()),
            generated_at: "2026-01-01T00:00:00Z".into(),
            source: Source::Live,
            complete: true,
            summary: Summary {
                roles_audited: 1,
                findings: SeverityCounts::of(&findings),
                suppressed: 0,
                changes: None,
                security_hub: None,
            },
            roles: vec![],
            findings,
            errors: vec![],
            probe: None,
            usage: None,
            change: None,
            accounts: vec![],
        }
    }

    const RUN: RunInfo<'static> = RunInfo {
        run_id: "run-1",
        account_id: "123456789012",
        min_severity: Severity::Medium,
        mode: PublishMode::All,
        html_report: None,
    };

    #[test]
    fn one_message_per_finding_at_threshold_plus_summary() {
        let r = report(vec![
            finding(Severity::High, json!({})),
            finding(Severity::Low, json!({})),
        ]);
        let ms = messages(&r, &RUN);
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].attributes["severity"], "high");
        assert_eq!(ms[0].attributes["kind"], "finding");
        assert_eq!(ms[0].attributes["rule"], "trust-missing-external-id");
        assert_eq!(ms[0].attributes["role"], "upsolver-s3");
        assert_eq!(ms[0].attributes["account"], "123456789012");
        assert_eq!(
            ms[0].subject,
            "[connector-audit] HIGH trust-missing-external-id: upsolver-s3"
        );
        let s: Value = serde_json::from_str(&ms[0].structured).unwrap();
        let body: Value = serde_json::from_str(s["default"].as_str().unwrap()).unwrap();
        assert_eq!(body["finding"]["rule"], "trust-missing-external-id");
        assert_eq!(body["run_id"], "run-1");
        assert!(s["email"].as_str().unwrap().contains("Fix: r"));
        assert_eq!(ms[1].attributes["kind"], "summary");
        // even with nothing to report there is a summary
        assert_eq!(messages(&report(vec![]), &RUN).len(), 1);
    }

    #[test]
    fn subject_is_cut_to_99_characters() {
        let mut f = finding(Severity::Critical, json!({}));
        f.role_name = "r".repeat(200);
        let ms = messages(&report(vec![f]), &RUN);
        assert_eq!(ms[0].subject.chars().count(), 99);
        assert!(ms[0].subject.starts_with("[connector-audit] CRITICAL"));
    }

    #[test]
    fn huge_evidence_is_trimmed_not_split() {
        let big = json!({ "blob": "é".repeat(200_000) }); // 400,000 UTF-8 bytes
        let ms = messages(&report(vec![finding(Severity::High, big)]), &RUN);
        assert!(ms[0].size() < SNS_MAX_BYTES, "{}", ms[0].size());
        let s: Value = serde_json::from_str(&ms[0].structured).unwrap();
        let body: Value = serde_json::from_str(s["default"].as_str().unwrap()).unwrap();
        assert_eq!(body["finding"]["evidence"]["trimmed"], true);
        assert!(
            body["finding"]["evidence"]["original_bytes"]
                .as_u64()
                .unwrap()
                > 262_144
        );
    }

    #[test]
    fn batches_respect_count_and_bytes() {
        let fs: Vec<Finding> = (0..25)
            .map(|_| finding(Severity::High, json!({})))
            .collect();
        let ms = messages(&report(fs), &RUN);
        let bs = batches(&ms);
        assert_eq!(bs.iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 10, 6]);
        let fat: Vec<Finding> = (0..5)
            .map(|_| finding(Severity::High, json!({ "blob": "x".repeat(100_000) })))
            .collect();
        let ms = messages(&report(fat), &RUN);
        for b in batches(&ms) {
            assert!(b.iter().map(|m| m.size()).sum::<usize>() <= SNS_MAX_BYTES);
        }
    }
}
