//! What the function answers and logs: the report within Lambda's 6 MB response limit, the
//! run's summary line, and the log filter.

use crate::model::Report;
use serde_json::Value;

/// Lambda's limit on a synchronous response.
pub const MAX_RESPONSE_BYTES: usize = 6_291_456;
/// Room for the envelope the runtime adds.
const RESPONSE_MARGIN: usize = 64 * 1024;

/// The log filter for `LOG_LEVEL` (`error`, `warn`, `info`, `debug`, `trace`): that level for
/// the function's own code, `info` for the AWS SDK and the HTTP stack, whose debug lines
/// carry request details such as access key ids. A full directive (with `=` or `,`, e.g.
/// `info,aws_smithy_runtime=debug`) is used as given: the operator asked for it.
pub fn log_filter(level: &str) -> tracing_subscriber::EnvFilter {
    let level = level.trim();
    let directive = if level.contains(['=', ',']) {
        level.to_string()
    } else {
        let level = match level.to_ascii_lowercase().as_str() {
            l @ ("error" | "warn" | "info" | "debug" | "trace") => l.to_string(),
            _ => "info".to_string(),
        };
        let quiet = if level == "error" || level == "warn" {
            level.clone()
        } else {
            "info".to_string()
        };
        format!("{quiet},connector_audit={level},bootstrap={level}")
    };
    tracing_subscriber::EnvFilter::try_new(&directive)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

/// The run's summary in the log, and one line per error.
pub fn log_outcome(report: &Report, run_id: &str, published: usize, stored: Option<&str>) {
    let c = &report.summary.findings;
    tracing::info!(
        run_id = %run_id,
        account = report.account_id.as_deref().unwrap_or("unknown"),
        roles_audited = report.summary.roles_audited,
        critical = c.critical,
        high = c.high,
        medium = c.medium,
        low = c.low,
        complete = report.complete,
        errors = report.errors.len(),
        published,
        stored = stored.unwrap_or("-"),
        "audit finished"
    );
    for e in &report.errors {
        tracing::warn!(role = e.role_name.as_deref().unwrap_or("-"), operation = %e.operation, code = %e.code, message = %e.message, "not audited in full");
    }
}

/// The report as the response, within Lambda's 6 MB: lowest-severity findings are dropped
/// first, and `truncated` says how many were left out.
pub fn response(report: &Report) -> Value {
    let full = serde_json::to_value(report).unwrap_or(Value::Null);
    if full.to_string().len() <= MAX_RESPONSE_BYTES - RESPONSE_MARGIN {
        return full;
    }
    let mut trimmed = report.clone();
    let total = trimmed.findings.len();
    // findings are sorted most severe first: cut from the end, halving the step
    let mut keep = total;
    while keep > 0 {
        keep /= 2;
        trimmed.findings.truncate(keep);
        if serde_json::to_string(&trimmed)
            .map(|s| s.len())
            .unwrap_or(usize::MAX)
            <= MAX_RESPONSE_BYTES - RESPONSE_MARGIN - 1024
        {
            break;
        }
    }
    let mut value = serde_json::to_value(&trimmed).unwrap_or(Value::Null);
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "truncated".into(),
            serde_json::json!({
                "findings_total": total,
                "findings_returned": trimmed.findings.len(),
                "note": "the response would exceed Lambda's 6 MB limit: the least severe findings were left out here; every finding at or above MIN_SEVERITY was published to SNS",
            }),
        );
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;
    use serde_json::json;

    #[test]
    fn responses_fit_lambdas_limit() {
        use crate::model::{Finding, PolicyRef, SeverityCounts, Source, Summary, Tool};
        let finding = |i: usize| Finding {
            id: format!("{i:016x}"),
            rule: "s3-wildcard-bucket".into(),
            severity: if i < 10 {
                Severity::Critical
            } else {
                Severity::Low
            },
            role_name: format!("role-{i}"),
            role_arn: format!("arn:aws:iam::123456789012:role/role-{i}"),
            policy: PolicyRef::Trust,
            statement: None,
            message: "m".repeat(1000),
            evidence: json!({ "blob": "x".repeat(9000) }),
            remediation: "r".into(),
            suppressed: None,
            status: None,
            first_seen: None,
            fix: None,
        };
        let findings: Vec<Finding> = (0..1000).map(finding).collect();
        let report = Report {
            schema_version: 1,
            tool: Tool::default(),
            account_id: Some("123456789012".into()),
            generated_at: "t".into(),
            source: Source::Live,
            complete: true,
            summary: Summary {
                roles_audited: 1000,
                findings: SeverityCounts::of(&findings),
                suppressed: 0,
                changes: None,
            },
            roles: vec![],
            findings,
            errors: vec![],
            probe: None,
            usage: None,
            change: None,
            accounts: vec![],
        };
        let v = response(&report);
        assert!(
            v.to_string().len() <= MAX_RESPONSE_BYTES,
            "{}",
            v.to_string().len()
        );
        assert_eq!(v["truncated"]["findings_total"], 1000);
        let kept = v["findings"].as_array().unwrap();
        assert!(!kept.is_empty() && kept.len() < 1000);
        // the most severe are kept first
        assert_eq!(kept[0]["severity"], "critical");
        assert_eq!(v["summary"]["findings"]["low"], 990);
        // a small report is returned whole
        let mut small = report.clone();
        small.findings.truncate(3);
        assert!(response(&small).get("truncated").is_none());
    }
}
