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

/// The compact JSON size of a value (what the runtime sends).
fn size<T: serde::Serialize + ?Sized>(v: &T) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
}

/// Keeps the longest prefix of the list that `fits` within `budget` bytes of the whole report
/// `base` (which holds the list empty): each element's size is measured once, so the cut is
/// exact without re-serialising the report. Returns how many were kept.
fn keep_prefix<T: serde::Serialize>(list: &mut Vec<T>, base: usize, budget: usize) -> usize {
    let mut total = base;
    let mut keep = 0;
    for (i, item) in list.iter().enumerate() {
        // a comma between elements
        let add = size(item).saturating_add(usize::from(i > 0));
        if total.saturating_add(add) > budget {
            break;
        }
        total += add;
        keep += 1;
    }
    list.truncate(keep);
    keep
}

/// The report as the response, within Lambda's 6 MB whatever grows. Lowest-severity findings
/// are dropped first (findings are sorted most severe first), then the last error entries,
/// then the last roles, then the organization's sections; if the rest alone is still too
/// large (huge names in the change, the probe or usage summaries), only the summary is
/// answered. `truncated` says how many of each were returned. The report in `REPORT_BUCKET`
/// and the published messages are whole.
pub fn response(report: &Report) -> Value {
    let limit = MAX_RESPONSE_BYTES - RESPONSE_MARGIN;
    if size(report) <= limit {
        return serde_json::to_value(report).unwrap_or(Value::Null);
    }
    // room for `truncated`
    let budget = limit - 4 * 1024;
    let totals = (
        report.findings.len(),
        report.errors.len(),
        report.roles.len(),
        report.accounts.len(),
    );
    let mut t = Report {
        findings: Vec::new(),
        errors: Vec::new(),
        roles: Vec::new(),
        accounts: Vec::new(),
        ..report.clone()
    };
    let mut only_summary = size(&t) > budget;
    if only_summary {
        // the lists stay empty
        t.probe = None;
        t.usage = None;
        t.change = None;
        t.summary.changes = None;
        t.account_id = t.account_id.map(|a| a.chars().take(64).collect());
        t.generated_at = t.generated_at.chars().take(64).collect();
    } else {
        // each list in turn, within what the lists before it left
        t.findings = report.findings.clone();
        let base = size(&Report {
            findings: Vec::new(),
            ..t.clone()
        });
        keep_prefix(&mut t.findings, base, budget);
        t.errors = report.errors.clone();
        let base = size(&Report {
            errors: Vec::new(),
            ..t.clone()
        });
        keep_prefix(&mut t.errors, base, budget);
        t.roles = report.roles.clone();
        let base = size(&Report {
            roles: Vec::new(),
            ..t.clone()
        });
        keep_prefix(&mut t.roles, base, budget);
        t.accounts = report.accounts.clone();
        let base = size(&Report {
            accounts: Vec::new(),
            ..t.clone()
        });
        keep_prefix(&mut t.accounts, base, budget);
    }
    if size(&t) > budget {
        // cannot happen (each list was cut within the budget), but the limit is a contract
        only_summary = true;
        t.findings.clear();
        t.errors.clear();
        t.roles.clear();
        t.accounts.clear();
        t.probe = None;
        t.usage = None;
        t.change = None;
        t.summary.changes = None;
    }
    let mut value = serde_json::to_value(&t).unwrap_or(Value::Null);
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "truncated".into(),
            serde_json::json!({
                "findings_total": totals.0,
                "findings_returned": t.findings.len(),
                "errors_total": totals.1,
                "errors_returned": t.errors.len(),
                "roles_total": totals.2,
                "roles_returned": t.roles.len(),
                "accounts_total": totals.3,
                "accounts_returned": t.accounts.len(),
                "summary_only": only_summary,
                "note": "the response would exceed Lambda's 6 MB limit: the least severe findings, then the last errors, roles and accounts were left out here (the summary counts them all); every finding at or above MIN_SEVERITY was published to SNS, and the whole report is in REPORT_BUCKET when it is set",
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
            evidence: json!({ "blob": "x".repeat(9000) }).into(),
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
                security_hub: None,
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

    /// Whatever grows (names, errors, roles, findings, an IAM change's names), the answer
    /// fits in Lambda's 6 MB and says what it left out.
    mod oversized {
        use super::*;
        use crate::model::{
            ErrorEntry, Finding, IamChange, Operation, PolicyRef, RoleEntry, SeverityCounts,
            Source, Summary, Tool,
        };
        use proptest::prelude::*;

        fn report(
            roles: usize,
            name_len: usize,
            errors: usize,
            findings: usize,
            change_len: usize,
        ) -> Report {
            // the first 30 names are long (as in an event naming 30 roles of 200 KB names);
            // the rest are short, so that the report stays tens of MB, not GB
            let name = |i: usize| format!("{i}-{}", "n".repeat(if i < 30 { name_len } else { 8 }));
            let findings: Vec<Finding> = (0..findings)
                .map(|i| Finding {
                    id: format!("{i:016x}"),
                    rule: "s3-wildcard-bucket".into(),
                    severity: if i % 3 == 0 {
                        Severity::High
                    } else {
                        Severity::Low
                    },
                    role_name: name(i),
                    role_arn: format!("arn:aws:iam::123456789012:role/{}", name(i)),
                    policy: PolicyRef::Trust,
                    statement: None,
                    message: "m".repeat(500),
                    evidence: json!({ "blob": "x".repeat(2_000) }).into(),
                    remediation: "r".into(),
                    suppressed: None,
                    status: None,
                    first_seen: None,
                    fix: None,
                })
                .collect();
            Report {
                schema_version: 1,
                tool: Tool::default(),
                account_id: Some("123456789012".into()),
                generated_at: "t".into(),
                source: Source::Live,
                complete: errors == 0,
                summary: Summary {
                    roles_audited: roles,
                    findings: SeverityCounts::of(&findings),
                    suppressed: 0,
                    changes: None,
                    security_hub: None,
                },
                roles: (0..roles)
                    .map(|i| RoleEntry {
                        role_name: name(i),
                        role_arn: format!("arn:aws:iam::123456789012:role/{}", name(i)),
                        connector: Some("c".into()),
                        access: None,
                        trusted_parties: Vec::new(),
                        probe: None,
                        limited_by: Vec::new(),
                    })
                    .collect(),
                findings,
                errors: (0..errors)
                    .map(|i| {
                        ErrorEntry::new(Operation::Inventory, "ReadFailed", "e".repeat(300))
                            .role(name(i))
                    })
                    .collect(),
                probe: None,
                usage: None,
                change: (change_len > 0).then(|| IamChange {
                    event_name: "TagRole".into(),
                    roles: vec!["c".repeat(change_len)],
                    ..IamChange::default()
                }),
                accounts: vec![],
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]
            #[test]
            fn every_response_fits(
                roles in 0usize..40,
                name_len in prop_oneof![0usize..64, 100_000usize..200_000],
                errors in prop_oneof![0usize..10, 5_000usize..20_000],
                findings in prop_oneof![0usize..10, 1_000usize..3_000],
                change_len in prop_oneof![Just(0usize), 1usize..100, 6_000_000usize..7_000_000],
            ) {
                let r = report(roles, name_len, errors, findings, change_len);
                let v = response(&r);
                let bytes = serde_json::to_vec(&v).unwrap().len();
                prop_assert!(bytes <= MAX_RESPONSE_BYTES, "{} bytes", bytes);
                // still a report, whose summary counts everything
                let back: Report = serde_json::from_value(v.clone()).unwrap();
                prop_assert_eq!(back.summary.roles_audited, roles);
                if serde_json::to_vec(&r).unwrap().len() > MAX_RESPONSE_BYTES - RESPONSE_MARGIN {
                    prop_assert_eq!(&v["truncated"]["roles_total"], &json!(roles));
                    prop_assert_eq!(&v["truncated"]["errors_total"], &json!(errors));
                    prop_assert_eq!(&v["truncated"]["findings_total"], &json!(findings));
                    let kept = back.findings.len();
                    // the most severe are kept first
                    prop_assert!(back.findings.iter().eq(r.findings.iter().take(kept)));
                } else {
                    prop_assert!(v.get("truncated").is_none());
                }
            }
        }
    }
}
