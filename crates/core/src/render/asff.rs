//! The report as AWS Security Finding Format (ASFF) findings, for Security Hub's
//! `BatchImportFindings` into the account's default product
//! (`arn:<partition>:securityhub:<region>:<account>:product/<account>/default`). PURE: the AWS
//! call lives in `aws::securityhub`, which turns these plain structs into the SDK's.
//!
//! Required top-level attributes (AwsAccountId, CreatedAt, Description, GeneratorId, Id,
//! ProductArn, Resources, SchemaVersion, Severity, Title, Types, UpdatedAt) and their lengths:
//! <https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html>
//! and <https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_AwsSecurityFinding.html>
//! (Description at most 1,024 characters, Title 256, Remediation text 512, ProductFields 50
//! pairs with values of at most 2,048 characters). Limits of the call: "up to 100 findings per
//! batch, up to 240 KB per finding, and up to 6 MB per batch"
//! (<https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-batchimportfindings.html>);
//! [`batches`] keeps to them, and [`finding`] trims the evidence as the SNS messages do.
//!
//! The mapping is documented in `docs/security-hub.md`.

use crate::audit::AuditOptions;
use crate::model::{Finding, PolicyRef, Report, ResolvedFinding, Severity};
use crate::notify::truncate_chars;
use crate::rules::registry::find;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// `SchemaVersion`.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// Findings per `BatchImportFindings` call.
pub const BATCH_MAX_FINDINGS: usize = 100;
/// The largest finding Security Hub accepts (240 KB), less a margin for what the SDK adds.
pub const FINDING_MAX_BYTES: usize = 240 * 1024 - 2_048;
/// A batch's limit (6 MB), less a margin.
pub const BATCH_MAX_BYTES: usize = 6 * 1024 * 1024 - 64 * 1024;
/// `Title`, `Description`, `Remediation.Recommendation.Text`, a `ProductFields` value.
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1_024;
const RECOMMENDATION_MAX: usize = 512;
const FIELD_MAX: usize = 2_048;
/// The `ProductFields` keys' prefix.
pub const FIELD_PREFIX: &str = "connector-audit/";
/// `CompanyName` and `ProductName`.
pub const PRODUCT_NAME: &str = "connector-audit";

/// One ASFF finding: the attributes connector-audit sets (the JSON names are ASFF's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    pub schema_version: String,
    /// The finding's stable id.
    pub id: String,
    pub product_arn: String,
    /// The rule id.
    pub generator_id: String,
    pub aws_account_id: String,
    pub types: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_observed_at: Option<String>,
    pub severity: AsffSeverity,
    pub title: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Recommendation>,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<AsffResource>,
    /// `Compliance.Status`: `FAILED`, or `PASSED` once archived.
    pub compliance_status: String,
    /// `Workflow.Status`: `SUPPRESSED` for a suppressed finding, else `NEW`.
    pub workflow_status: String,
    /// `ACTIVE`, or `ARCHIVED` for a finding this run no longer finds.
    pub record_state: String,
    /// The suppression's reason, as a `Note` (set when the finding is created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub company_name: String,
    pub product_name: String,
}

/// `Severity.Label`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffSeverity {
    pub label: String,
}

/// `Remediation.Recommendation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One `Resources[]` entry: the role (`AwsIamRole`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource {
    /// `AwsIamRole`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The role's ARN.
    pub id: String,
    pub partition: String,
    pub region: String,
    /// `Details.AwsIamRole.RoleName`.
    pub role_name: String,
    /// `Details.AwsIamRole.RolePolicyList[].PolicyName`: the inline policy the finding is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_policy: Option<String>,
    /// `Details.AwsIamRole.AttachedManagedPolicies[].PolicyArn`: the managed policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_policy: Option<String>,
    /// `Details.Other`: `policy` and `statement`.
    pub other: BTreeMap<String, String>,
}

/// Where the findings go and what the run is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsffContext {
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: String,
    pub region: String,
    /// The account the findings are imported from (the default product's account).
    pub account_id: String,
    pub run_id: String,
    /// Now (RFC 3339): `UpdatedAt`.
    pub now: String,
    /// Where a rule's documentation is: `SourceUrl` is this with `#<rule-id>`.
    pub docs_url: Option<String>,
}

impl AsffContext {
    /// `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`.
    pub fn product_arn(&self) -> String {
        product_arn(&self.partition, &self.region, &self.account_id)
    }

    fn source_url(&self, rule: &str) -> Option<String> {
        self.docs_url.as_ref().map(|d| format!("{d}#{rule}"))
    }
}

/// The account's default product ARN, into which an account imports its own findings.
pub fn product_arn(partition: &str, region: &str, account: &str) -> String {
    format!("arn:{partition}:securityhub:{region}:{account}:product/{account}/default")
}

/// The rules' documentation in the repository (`docs/rules.md`), when the build names one;
/// `RULES_DOCS_URL` overrides it.
pub fn default_docs_url() -> Option<String> {
    let repository = env!("CARGO_PKG_REPOSITORY");
    (!repository.is_empty()).then(|| format!("{repository}/blob/main/docs/rules.md"))
}

/// `Severity.Label`.
pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "INFORMATIONAL",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// `Types`: one, naming the rule as its classifier.
pub fn types(rule: &str) -> Vec<String> {
    vec![format!(
        "Software and Configuration Checks/AWS Security Best Practices/{rule}"
    )]
}

fn title(rule: &str, role_name: &str) -> String {
    let what = find(rule).map_or(rule, |r| r.title);
    truncate_chars(&format!("{what}: {role_name}"), TITLE_MAX)
}

fn non_empty(text: String, fallback: &str) -> String {
    if text.trim().is_empty() {
        fallback.to_string()
    } else {
        text
    }
}

fn resource(
    role_arn: &str,
    role_name: &str,
    policy: Option<&Finding>,
    ctx: &AsffContext,
) -> AsffResource {
    let mut other = BTreeMap::new();
    let (mut inline_policy, mut managed_policy) = (None, None);
    if let Some(f) = policy {
        other.insert(
            "policy".to_string(),
            truncate_chars(&f.policy.to_string(), 1_024),
        );
        if let Some(s) = statement(f) {
            other.insert("statement".to_string(), s);
        }
        match &f.policy {
            PolicyRef::Inline(name) => inline_policy = Some(name.clone()),
            PolicyRef::Managed(arn) => managed_policy = Some(arn.clone()),
            _ => {}
        }
    }
    AsffResource {
        kind: "AwsIamRole".to_string(),
        id: role_arn.to_string(),
        partition: role_arn
            .split(':')
            .nth(1)
            .filter(|p| p.starts_with("aws"))
            .unwrap_or(&ctx.partition)
            .to_string(),
        // IAM is global: the region is where the finding is imported
        region: ctx.region.clone(),
        role_name: role_name.to_string(),
        inline_policy,
        managed_policy,
        other,
    }
}

/// `N` or `N (Sid S)`.
fn statement(f: &Finding) -> Option<String> {
    f.statement.as_ref().map(|s| match &s.sid {
        Some(sid) => truncate_chars(&format!("{} (Sid {sid})", s.index), 1_024),
        None => s.index.to_string(),
    })
}

fn account_of<'a>(role_arn: &'a str, report: &'a Report, ctx: &'a AsffContext) -> &'a str {
    crate::policy::principal::arn_account(role_arn)
        .or(report.account_id.as_deref())
        .unwrap_or(&ctx.account_id)
}

/// One finding in ASFF, no larger than [`FINDING_MAX_BYTES`]: evidence that does not fit in
/// its field (2,048 characters) or in the finding is replaced by what it was, as in the SNS
/// messages; then the message and remediation are cut.
pub fn finding(report: &Report, f: &Finding, ctx: &AsffContext) -> AsffFinding {
    let mut fields = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        fields.insert(format!("{FIELD_PREFIX}{k}"), truncate_chars(&v, FIELD_MAX));
    };
    put("rule", f.rule.clone());
    put("policy", f.policy.to_string());
    if let Some(s) = statement(f) {
        put("statement", s);
    }
    put("role_arn", f.role_arn.clone());
    put("run_id", ctx.run_id.clone());
    if let Some(status) = f.status {
        put("status", format!("{status:?}").to_lowercase());
    }
    if let Some(s) = &f.suppressed {
        put("suppressed_by", s.by.clone());
        if let Some(r) = &s.reason {
            put("suppressed_reason", r.clone());
        }
        if let Some(u) = &s.until {
            put("suppressed_until", u.clone());
        }
    }
    let evidence = f.evidence.to_string();
    let trimmed = |original: usize| {
        json!({"trimmed": true, "original_bytes": original,
            "note": "evidence too large for Security Hub; see the report of the run"})
        .to_string()
    };
    put(
        "evidence",
        if evidence.chars().count() > FIELD_MAX {
            trimmed(evidence.len())
        } else {
            evidence.clone()
        },
    );
    let note = f
        .suppressed
        .as_ref()
        .map(|s| truncate_chars(&super::suppression(s), RECOMMENDATION_MAX));
    let source_url = ctx.source_url(&f.rule);
    let mut out = AsffFinding {
        description: non_empty(truncate_chars(&f.message, DESCRIPTION_MAX), &f.rule),
        source_url: source_url.clone(),
        remediation: (!f.remediation.trim().is_empty()).then(|| Recommendation {
            text: truncate_chars(&f.remediation, RECOMMENDATION_MAX),
            url: source_url,
        }),
        product_fields: fields,
        resources: vec![resource(&f.role_arn, &f.role_name, Some(f), ctx)],
        compliance_status: "FAILED".to_string(),
        workflow_status: if f.is_active() { "NEW" } else { "SUPPRESSED" }.to_string(),
        record_state: "ACTIVE".to_string(),
        note,
        ..identity(
            report,
            Identity {
                id: &f.id,
                rule: &f.rule,
                severity: f.severity,
                role_name: &f.role_name,
                role_arn: &f.role_arn,
                first_seen: f.first_seen.as_deref(),
            },
            ctx,
        )
    };
    if size(&out) > FINDING_MAX_BYTES {
        out.product_fields
            .insert(format!("{FIELD_PREFIX}evidence"), trimmed(evidence.len()));
    }
    if size(&out) > FINDING_MAX_BYTES {
        // what is left is bounded by the field limits; names alone could still be huge
        for v in out.product_fields.values_mut() {
            *v = truncate_chars(v, 256);
        }
        for r in &mut out.resources {
            for v in r.other.values_mut() {
                *v = truncate_chars(v, 256);
            }
        }
    }
    out
}

/// A finding of an earlier run that this run no longer finds, as an update that archives it
/// (`RecordState` `ARCHIVED`, `Compliance.Status` `PASSED`).
pub fn archived(report: &Report, r: &ResolvedFinding, ctx: &AsffContext) -> AsffFinding {
    let mut fields = BTreeMap::new();
    fields.insert(format!("{FIELD_PREFIX}rule"), r.rule.clone());
    fields.insert(
        format!("{FIELD_PREFIX}role_arn"),
        truncate_chars(&r.role_arn, FIELD_MAX),
    );
    fields.insert(format!("{FIELD_PREFIX}run_id"), ctx.run_id.clone());
    fields.insert(format!("{FIELD_PREFIX}status"), "resolved".to_string());
    AsffFinding {
        description: truncate_chars(
            &format!(
                "Resolved: run {} of {} no longer finds {} on {}.",
                ctx.run_id, report.generated_at, r.rule, r.role_name
            ),
            DESCRIPTION_MAX,
        ),
        source_url: ctx.source_url(&r.rule),
        remediation: None,
        product_fields: fields,
        resources: vec![resource(&r.role_arn, &r.role_name, None, ctx)],
        compliance_status: "PASSED".to_string(),
        workflow_status: "RESOLVED".to_string(),
        record_state: "ARCHIVED".to_string(),
        note: None,
        ..identity(
            report,
            Identity {
                id: &r.id,
                rule: &r.rule,
                severity: r.severity,
                role_name: &r.role_name,
                role_arn: &r.role_arn,
                first_seen: r.first_seen.as_deref(),
            },
            ctx,
        )
    }
}

/// What a finding of the report and an archiving update share: which finding, of which rule
/// and role, seen when.
struct Identity<'a> {
    id: &'a str,
    rule: &'a str,
    severity: Severity,
    role_name: &'a str,
    role_arn: &'a str,
    first_seen: Option<&'a str>,
}

/// The fields an [`Identity`] decides; the others are left empty for the caller to fill.
fn identity(report: &Report, who: Identity<'_>, ctx: &AsffContext) -> AsffFinding {
    AsffFinding {
        schema_version: SCHEMA_VERSION.to_string(),
        id: who.id.to_string(),
        product_arn: ctx.product_arn(),
        generator_id: who.rule.to_string(),
        aws_account_id: account_of(who.role_arn, report, ctx).to_string(),
        types: types(who.rule),
        created_at: who.first_seen.unwrap_or(&report.generated_at).to_string(),
        updated_at: ctx.now.clone(),
        first_observed_at: who.first_seen.map(str::to_string),
        severity: AsffSeverity {
            label: severity_label(who.severity).to_string(),
        },
        title: title(who.rule, who.role_name),
        description: String::new(),
        source_url: None,
        remediation: None,
        product_fields: BTreeMap::new(),
        resources: Vec::new(),
        compliance_status: String::new(),
        workflow_status: String::new(),
        record_state: String::new(),
        note: None,
        company_name: PRODUCT_NAME.to_string(),
        product_name: PRODUCT_NAME.to_string(),
    }
}

/// What a run imports: every finding of the report (suppressed ones with `Workflow.Status`
/// `SUPPRESSED`), then an archiving update for each finding the summary lists as resolved.
pub fn findings(report: &Report, ctx: &AsffContext) -> Vec<AsffFinding> {
    let mut out: Vec<AsffFinding> = report
        .findings
        .iter()
        .map(|f| finding(report, f, ctx))
        .collect();
    if let Some(changes) = &report.summary.changes {
        out.extend(changes.resolved.iter().map(|r| archived(report, r, ctx)));
    }
    out
}

/// Is this an active finding of ours (our product, one of our rules)? Security Hub's filters
/// are applied again here: an emulator or a broad filter may return others.
pub fn is_ours_and_active(f: &AsffFinding, ctx: &AsffContext) -> bool {
    f.product_arn == ctx.product_arn()
        && f.record_state == "ACTIVE"
        && find(&f.generator_id).is_some()
}

/// Without a previous report, the findings Security Hub holds stand for it: those of ours
/// that this run judges (the same judgement as [`crate::baseline::compare`]: a role audited
/// in full, in an account the run audited) and no longer finds are resolved.
pub fn resolved_from_hub(
    report: &Report,
    options: &AuditOptions,
    active: &[AsffFinding],
    ctx: &AsffContext,
) -> Vec<ResolvedFinding> {
    let mut previous = report.clone();
    previous.generated_at = String::new();
    previous.findings = active
        .iter()
        .filter(|f| is_ours_and_active(f, ctx))
        .filter_map(|f| {
            let role = f.resources.first()?;
            Some(Finding {
                id: f.id.clone(),
                rule: f.generator_id.clone(),
                severity: match f.severity.label.as_str() {
                    "CRITICAL" => Severity::Critical,
                    "HIGH" => Severity::High,
                    "MEDIUM" => Severity::Medium,
                    "LOW" => Severity::Low,
                    _ => Severity::Info,
                },
                role_name: role.role_name.clone(),
                role_arn: role.id.clone(),
                policy: PolicyRef::Live,
                statement: None,
                message: String::new(),
                evidence: crate::model::JsonText::default(),
                remediation: String::new(),
                suppressed: None,
                status: None,
                first_seen: f.first_observed_at.clone(),
                fix: None,
            })
        })
        .collect();
    let mut current = report.clone();
    crate::baseline::compare(&mut current, Some(&previous), None, options);
    current
        .summary
        .changes
        .map(|c| c.resolved)
        .unwrap_or_default()
}

/// A finding's size as JSON (what the call carries, near enough).
pub fn size(f: &AsffFinding) -> usize {
    serde_json::to_string(f).map_or(usize::MAX, |s| s.len())
}

/// The findings in `BatchImportFindings` calls: at most 100 and 6 MB each, in order.
pub fn batches(findings: &[AsffFinding]) -> Vec<&[AsffFinding]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, f) in findings.iter().enumerate() {
        let n = size(f);
        if i > start && (i - start >= BATCH_MAX_FINDINGS || bytes + n > BATCH_MAX_BYTES) {
            if let Some(batch) = findings.get(start..i) {
                out.push(batch);
            }
            start = i;
            bytes = 0;
        }
        bytes += n;
    }
    if let Some(batch) = findings.get(start..).filter(|b| !b.is_empty()) {
        out.push(batch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ResolvedFinding, Severity, Suppressed};
    use crate::render::testing::{finding as test_finding, report};

    fn ctx() -> AsffContext {
        AsffContext {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            run_id: "run-1".into(),
            now: "2026-01-02T04:00:00Z".into(),
            docs_url: Some("https://example.com/README.md".into()),
        }
    }

    #[test]
    fn a_finding_maps_to_the_required_attributes() {
        let mut f = test_finding("trust-any-principal", Severity::Critical, "vendor");
        f.policy = PolicyRef::Inline("s3-access".into());
        let r = report(vec![f.clone()], vec![]);
        let a = finding(&r, &f, &ctx());
        assert_eq!(a.id, f.id);
        assert_eq!(a.generator_id, "trust-any-principal");
        assert_eq!(
            a.product_arn,
            "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
        );
        assert_eq!(a.aws_account_id, "123456789012");
        assert_eq!(a.severity.label, "CRITICAL");
        assert_eq!(a.record_state, "ACTIVE");
        assert_eq!(a.workflow_status, "NEW");
        assert_eq!(a.compliance_status, "FAILED");
        assert_eq!(a.schema_version, "2018-10-08");
        assert_eq!(a.types.len(), 1);
        assert!(a.title.ends_with(": vendor"), "{}", a.title);
        assert_eq!(a.description, f.message);
        assert_eq!(
            a.source_url.as_deref(),
            Some("https://example.com/README.md#trust-any-principal")
        );
        assert_eq!(a.remediation.as_ref().unwrap().text, f.remediation);
        assert_eq!(
            a.product_fields["connector-audit/rule"],
            "trust-any-principal"
        );
        assert_eq!(
            a.product_fields["connector-audit/policy"],
            "inline:s3-access"
        );
        assert_eq!(
            a.product_fields["connector-audit/statement"],
            "0 (Sid Vendor)"
        );
        let res = &a.resources[0];
        assert_eq!(
            (res.kind.as_str(), res.id.as_str()),
            ("AwsIamRole", f.role_arn.as_str())
        );
        assert_eq!(res.inline_policy.as_deref(), Some("s3-access"));
        assert_eq!(res.other["statement"], "0 (Sid Vendor)");
    }

    #[test]
    fn suppressed_findings_say_so_and_why() {
        let mut f = test_finding("trust-any-principal", Severity::High, "vendor");
        f.suppressed = Some(Suppressed {
            by: "tag:connector-audit-ignore".into(),
            reason: Some("JIRA-1 accepted".into()),
            until: None,
        });
        let r = report(vec![f.clone()], vec![]);
        let a = finding(&r, &f, &ctx());
        assert_eq!(a.workflow_status, "SUPPRESSED");
        // the same words as the table's
        assert_eq!(
            a.note.as_deref(),
            Some("suppressed by tag:connector-audit-ignore (JIRA-1 accepted)")
        );
        assert_eq!(
            a.product_fields["connector-audit/suppressed_reason"],
            "JIRA-1 accepted"
        );
    }

    #[test]
    fn huge_evidence_is_trimmed_under_the_limits() {
        let mut f = test_finding("s3-wildcard-bucket", Severity::High, "vendor");
        f.evidence = json!({"buckets": vec!["b".repeat(60); 10_000]}).into();
        f.message = "m".repeat(5_000);
        let r = report(vec![f.clone()], vec![]);
        let a = finding(&r, &f, &ctx());
        assert!(size(&a) <= FINDING_MAX_BYTES);
        assert!(a.product_fields["connector-audit/evidence"].contains("\"trimmed\":true"));
        assert_eq!(a.description.chars().count(), 1_024);
    }

    #[test]
    fn resolved_findings_are_archived() {
        let mut r = report(vec![], vec![]);
        r.summary.changes = Some(crate::model::Changes {
            resolved: vec![ResolvedFinding {
                id: "abc".into(),
                rule: "trust-any-principal".into(),
                severity: Severity::Critical,
                role_name: "vendor".into(),
                role_arn: "arn:aws:iam::123456789012:role/vendor".into(),
                first_seen: Some("2026-01-01T00:00:00Z".into()),
            }],
            ..Default::default()
        });
        let all = findings(&r, &ctx());
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].record_state, "ARCHIVED");
        assert_eq!(all[0].compliance_status, "PASSED");
        assert_eq!(all[0].created_at, "2026-01-01T00:00:00Z");
    }

    #[test]
    fn the_hub_stands_for_a_missing_previous_report() {
        let kept = test_finding("trust-any-principal", Severity::Critical, "a");
        let gone = test_finding("s3-wildcard-bucket", Severity::High, "a");
        let mut r = report(vec![kept.clone()], vec![]);
        r.roles = vec![crate::model::RoleEntry {
            role_name: "a".into(),
            role_arn: kept.role_arn.clone(),
            connector: None,
            access: None,
            trusted_parties: vec![],
            probe: None,
            limited_by: vec![],
        }];
        let hub: Vec<AsffFinding> = [&kept, &gone]
            .iter()
            .map(|f| finding(&r, f, &ctx()))
            .collect();
        let mut foreign = hub[1].clone();
        foreign.product_arn = "arn:aws:securityhub:us-east-1::product/aws/guardduty".into();
        foreign.id = "other".into();
        let resolved = resolved_from_hub(
            &r,
            &AuditOptions::default(),
            &[hub[0].clone(), hub[1].clone(), foreign],
            &ctx(),
        );
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].id, gone.id);
        assert_eq!(resolved[0].severity, Severity::High);
    }

    #[test]
    fn batches_hold_at_most_one_hundred() {
        let f = test_finding("trust-any-principal", Severity::Critical, "a");
        let r = report(vec![], vec![]);
        let one = finding(&r, &f, &ctx());
        let all = vec![one; 250];
        let sizes: Vec<usize> = batches(&all).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert!(batches(&[]).is_empty());
    }
}
