//! The report as OCSF Detection Findings (class 2004, schema 1.1.0), one JSON object per line:
//! what Amazon Security Lake's custom sources (after conversion to Parquet), Firehose and Glue
//! ingest. PURE: no I/O. Only attributes of the class (and of the `cloud` profile it applies)
//! are set; what has no OCSF home (the policy, the statement, the evidence, the suppression) is
//! under `unmapped`. The mapping is documented in the README ("SARIF and OCSF").

use crate::model::{Finding, FindingStatus, Report, Severity};
use crate::rules::registry::find;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The OCSF schema version the events follow (`metadata.version`).
pub const OCSF_VERSION: &str = "1.1.0";
/// Detection Finding.
pub const CLASS_UID: u32 = 2004;
/// Findings.
pub const CATEGORY_UID: u32 = 2;
/// Create: every event reports a finding of this run.
pub const ACTIVITY_CREATE: u32 = 1;
/// `class_uid * 100 + activity_id`.
pub const TYPE_UID: u32 = CLASS_UID * 100 + ACTIVITY_CREATE;
/// `metadata.product.vendor_name`.
pub const VENDOR_NAME: &str = "connector-audit";

/// A report that cannot be expressed as OCSF events.
#[derive(Debug, thiserror::Error)]
pub enum OcsfError {
    /// `time` is required and comes from the report's `generated_at`.
    #[error("the report's `generated_at` is `{0}`, not an RFC 3339 time")]
    GeneratedAt(String),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// `severity_id` and its caption: Informational 1, Low 2, Medium 3, High 4, Critical 5.
pub fn severity_id(severity: Severity) -> (u8, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// `status_id` and its caption: New 1, or Suppressed 3 when a suppression applies.
pub fn status_id(finding: &Finding) -> (u8, &'static str) {
    if finding.is_active() {
        (1, "New")
    } else {
        (3, "Suppressed")
    }
}

/// The report as JSON Lines: one Detection Finding per finding, each line ending in `\n`
/// (nothing at all for a report without findings).
pub fn ocsf(report: &Report) -> Result<String, OcsfError> {
    let mut out = String::new();
    for event in detection_findings(report)? {
        out.push_str(&serde_json::to_string(&event)?);
        out.push('\n');
    }
    Ok(out)
}

/// One Detection Finding event per finding, in report order.
pub fn detection_findings(report: &Report) -> Result<Vec<Value>, OcsfError> {
    let generated = OffsetDateTime::parse(&report.generated_at, &Rfc3339)
        .map_err(|_| OcsfError::GeneratedAt(report.generated_at.clone()))?;
    let time = epoch_millis(generated)
        .ok_or_else(|| OcsfError::GeneratedAt(report.generated_at.clone()))?;
    let offset = i32::from(generated.offset().whole_minutes());
    Ok(report
        .findings
        .iter()
        .map(|f| event(report, f, time, offset))
        .collect())
}

fn epoch_millis(t: OffsetDateTime) -> Option<i64> {
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

fn event(report: &Report, f: &Finding, time: i64, timezone_offset: i32) -> Value {
    let (severity_id, severity) = severity_id(f.severity);
    let (status_id, status) = status_id(f);
    let title = find(&f.rule).map_or(f.rule.as_str(), |r| r.title);
    let first_seen = f.first_seen.as_deref().map(|s| {
        OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .and_then(epoch_millis)
            .ok_or(s)
    });

    let mut finding_info = Map::new();
    finding_info.insert("uid".into(), json!(f.id));
    finding_info.insert("title".into(), json!(title));
    finding_info.insert("desc".into(), json!(f.message));
    finding_info.insert("types".into(), json!([f.rule]));
    finding_info.insert(
        "analytic".into(),
        json!({"uid": f.rule, "name": f.rule, "type_id": 1, "type": "Rule"}),
    );
    if let Some(Ok(ms)) = first_seen {
        finding_info.insert("first_seen_time".into(), json!(ms));
    }

    let account =
        crate::policy::principal::arn_account(&f.role_arn).or(report.account_id.as_deref());
    let mut cloud = Map::new();
    cloud.insert("provider".into(), json!("AWS"));
    if let Some(account) = account {
        cloud.insert(
            "account".into(),
            json!({"uid": account, "type_id": 10, "type": "AWS Account"}),
        );
    }

    let mut unmapped = Map::new();
    unmapped.insert("policy".into(), json!(f.policy));
    if let Some(statement) = &f.statement {
        unmapped.insert("statement".into(), json!(statement));
    }
    unmapped.insert("evidence".into(), f.evidence.value());
    let trusted_by = report.trusted_by(&f.role_arn);
    if !trusted_by.is_empty() {
        unmapped.insert("trusted_by".into(), json!(trusted_by));
    }
    if let Some(s) = &f.suppressed {
        unmapped.insert("suppressed".into(), json!(s));
    }
    if let Some(status) = f.status {
        unmapped.insert(
            "baseline".into(),
            json!(match status {
                FindingStatus::New => "new",
                FindingStatus::Known => "known",
            }),
        );
    }
    if let Some(Err(raw)) = first_seen {
        // not a time OCSF can hold: kept as the report gave it
        unmapped.insert("first_seen".into(), json!(raw));
    }

    json!({
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": TYPE_UID,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "time": time,
        "timezone_offset": timezone_offset,
        "message": f.message,
        "finding_info": finding_info,
        "resources": [{"uid": f.role_arn, "name": f.role_name, "type": "AWS::IAM::Role"}],
        "cloud": cloud,
        "remediation": {"desc": f.remediation},
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": report.tool.name,
                "vendor_name": VENDOR_NAME,
                "version": report.tool.version,
            },
            "profiles": ["cloud"],
        },
        "unmapped": unmapped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FindingStatus, Suppressed};
    use crate::render::testing::{finding, report};

    fn lines(r: &Report) -> Vec<Value> {
        let text = ocsf(r).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'));
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn one_line_per_finding_and_each_parses() {
        let r = report(
            vec![
                finding("trust-any-principal", Severity::Critical, "a"),
                finding("s3-unused-delete", Severity::Medium, "bb"),
                finding("role-unused", Severity::Low, "ccc"),
            ],
            vec![],
        );
        let events = lines(&r);
        assert_eq!(events.len(), 3);
        for (e, f) in events.iter().zip(&r.findings) {
            assert_eq!(e["class_uid"], 2004);
            assert_eq!(e["category_uid"], 2);
            assert_eq!(e["activity_id"], 1);
            assert_eq!(e["type_uid"], 200_401);
            assert_eq!(e["metadata"]["version"], OCSF_VERSION);
            assert_eq!(e["metadata"]["product"]["name"], "connector-audit");
            // 2026-01-02T03:04:05Z
            assert_eq!(e["time"], 1_767_323_045_000_i64);
            assert_eq!(e["timezone_offset"], 0);
            assert_eq!(e["finding_info"]["uid"], f.id);
            assert_eq!(e["finding_info"]["desc"], f.message);
            assert_eq!(e["finding_info"]["types"], json!([f.rule]));
            assert_eq!(e["resources"][0]["uid"], f.role_arn);
            assert_eq!(e["resources"][0]["type"], "AWS::IAM::Role");
            assert_eq!(e["cloud"]["provider"], "AWS");
            assert_eq!(e["cloud"]["account"]["uid"], "123456789012");
            assert_eq!(e["remediation"]["desc"], f.remediation);
            assert_eq!(e["unmapped"]["policy"], "trust");
            assert_eq!(e["unmapped"]["statement"]["sid"], "Vendor");
            assert_eq!(e["unmapped"]["evidence"], f.evidence);
            assert_eq!(e["status_id"], 1);
            assert!(e["finding_info"].get("first_seen_time").is_none());
        }
        assert_eq!(
            events[0]["finding_info"]["title"],
            "any AWS principal can assume the role"
        );
        assert!(lines(&report(vec![], vec![])).is_empty());
    }

    #[test]
    fn severity_ids() {
        let got: Vec<(u8, &str)> = Severity::ALL.into_iter().map(severity_id).collect();
        assert_eq!(
            got,
            [
                (5, "Critical"),
                (4, "High"),
                (3, "Medium"),
                (2, "Low"),
                (1, "Informational")
            ]
        );
        let e = &lines(&report(
            vec![finding("probe-unavailable", Severity::Info, "a")],
            vec![],
        ))[0];
        assert_eq!(
            (&e["severity_id"], &e["severity"]),
            (&json!(1), &json!("Informational"))
        );
    }

    #[test]
    fn suppressed_known_and_first_seen() {
        let mut a = finding("trust-any-principal", Severity::Critical, "a");
        a.suppressed = Some(Suppressed {
            by: "tag:connector-audit-ignore".into(),
            reason: Some("SEC-42".into()),
            until: None,
        });
        a.status = Some(FindingStatus::Known);
        a.first_seen = Some("2025-12-01T00:00:00Z".into());
        let mut b = finding("trust-any-principal", Severity::Critical, "bb");
        b.status = Some(FindingStatus::New);
        b.first_seen = Some("last tuesday".into());
        let events = lines(&report(vec![a, b], vec![]));
        assert_eq!(
            (&events[0]["status_id"], &events[0]["status"]),
            (&json!(3), &json!("Suppressed"))
        );
        assert_eq!(events[0]["unmapped"]["suppressed"]["reason"], "SEC-42");
        assert_eq!(events[0]["unmapped"]["baseline"], "known");
        assert_eq!(
            events[0]["finding_info"]["first_seen_time"],
            1_764_547_200_000_i64
        );
        assert_eq!(events[1]["status_id"], 1);
        assert_eq!(events[1]["unmapped"]["baseline"], "new");
        assert!(events[1]["finding_info"].get("first_seen_time").is_none());
        assert_eq!(events[1]["unmapped"]["first_seen"], "last tuesday");
    }

    #[test]
    fn each_finding_carries_its_own_account() {
        let mut f = finding("trust-any-principal", Severity::High, "a");
        f.role_arn = "arn:aws:iam::210987654321:role/a".into();
        let e = &lines(&report(vec![f], vec![]))[0];
        assert_eq!(e["cloud"]["account"]["uid"], "210987654321");
    }

    #[test]
    fn a_report_time_that_is_not_rfc3339_is_an_error() {
        let mut r = report(vec![finding("role-unused", Severity::Low, "a")], vec![]);
        r.generated_at = "yesterday".into();
        let err = ocsf(&r).unwrap_err();
        assert!(err.to_string().contains("`yesterday`"), "{err}");
        // the same instant, written in another offset
        let mut r = report(vec![finding("role-unused", Severity::Low, "a")], vec![]);
        r.generated_at = "2026-01-02T04:04:05+01:00".into();
        let e = &detection_findings(&r).unwrap()[0];
        assert_eq!(e["time"], 1_767_323_045_000_i64);
        assert_eq!(e["timezone_offset"], 60);
    }
}
