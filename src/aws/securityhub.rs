//! Security Hub: the run's findings imported with `BatchImportFindings` into the account's
//! default product, and our active findings read back with `GetFindings` (when no previous
//! report says which ones a run resolved). The ASFF mapping itself is pure
//! ([`crate::render::asff`]); this module only turns its plain structs into the SDK's and back.
//!
//! Limits (<https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-batchimportfindings.html>):
//! 100 findings per call, 240 KB per finding, 6 MB per call ([`crate::render::asff::batches`]).
//! Findings the call refuses one by one (`FailedFindings`) are sent again a few times, with a
//! pause; those still refused are returned to the run, which records each as an error entry.

use super::AwsError;
use crate::app::ports::{BoxFuture, FindingsHub, HubTarget, Imported, PortError};
use crate::render::asff::{AsffFinding, AsffResource, AsffSeverity, Recommendation, batches};
use aws_sdk_securityhub::types::{
    AwsIamAttachedManagedPolicy, AwsIamRoleDetails, AwsIamRolePolicy, AwsSecurityFinding,
    AwsSecurityFindingFilters, Compliance, ComplianceStatus, Note, Partition, RecordState,
    Remediation, Resource, ResourceDetails, Severity, SeverityLabel, StringFilter,
    StringFilterComparison, Workflow, WorkflowStatus,
};
use std::time::Duration;

/// Attempts for findings that Security Hub refused one by one (the SDK retries whole calls).
const FINDING_ATTEMPTS: u32 = 3;

/// Security Hub in the clients' region.
#[derive(Debug, Clone)]
pub struct AwsSecurityHub {
    pub client: aws_sdk_securityhub::Client,
    pub region: String,
}

/// The partition of a region (`cn-north-1` -> `aws-cn`).
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

impl AwsSecurityHub {
    pub fn new(conf: &aws_config::SdkConfig) -> AwsSecurityHub {
        AwsSecurityHub {
            client: aws_sdk_securityhub::Client::new(conf),
            region: conf
                .region()
                .map_or_else(|| "us-east-1".to_string(), ToString::to_string),
        }
    }

    /// Imports every finding; returns how many were accepted and those refused after retries.
    pub async fn import_all(&self, findings: &[AsffFinding]) -> Result<Imported, AwsError> {
        let mut out = Imported::default();
        for batch in batches(findings) {
            let mut pending: Vec<&AsffFinding> = batch.iter().collect();
            for attempt in 1..=FINDING_ATTEMPTS {
                let answer = self
                    .client
                    .batch_import_findings()
                    .set_findings(Some(pending.iter().map(|f| to_sdk(f)).collect()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("securityhub:BatchImportFindings", &e))?;
                let failed: Vec<(String, String, String)> = answer
                    .failed_findings()
                    .iter()
                    .map(|f| {
                        (
                            f.id().unwrap_or_default().to_string(),
                            f.error_code().unwrap_or_default().to_string(),
                            f.error_message().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                out.accepted += pending.len().saturating_sub(failed.len());
                tracing::debug!(
                    attempt,
                    sent = pending.len(),
                    failed = failed.len(),
                    "securityhub:BatchImportFindings answered"
                );
                pending.retain(|f| failed.iter().any(|(id, _, _)| *id == f.id));
                if pending.is_empty() {
                    break;
                }
                if attempt == FINDING_ATTEMPTS {
                    out.refused.extend(failed);
                    break;
                }
                tracing::warn!(
                    attempt,
                    failed = pending.len(),
                    "security hub refused findings, retrying"
                );
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
        }
        Ok(out)
    }

    /// The active findings of `product_arn` made by one of `generator_ids`, every page.
    pub async fn active_findings(
        &self,
        product_arn: &str,
        generator_ids: &[String],
    ) -> Result<Vec<AsffFinding>, AwsError> {
        let equals = |v: &str| {
            StringFilter::builder()
                .value(v)
                .comparison(StringFilterComparison::Equals)
                .build()
        };
        let mut filters = AwsSecurityFindingFilters::builder()
            .product_arn(equals(product_arn))
            .record_state(equals("ACTIVE"));
        for id in generator_ids {
            filters = filters.generator_id(equals(id));
        }
        let mut pages = self
            .client
            .get_findings()
            .filters(filters.build())
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        let mut out = Vec::new();
        while let Some(item) = pages.next().await {
            let f = item.map_err(|e| AwsError::from_sdk("securityhub:GetFindings", &e))?;
            out.push(from_sdk(&f));
        }
        Ok(out)
    }
}

impl FindingsHub for AwsSecurityHub {
    fn target(&self) -> HubTarget {
        HubTarget {
            partition: partition_of(&self.region).to_string(),
            region: self.region.clone(),
        }
    }

    fn import<'a>(
        &'a self,
        findings: &'a [AsffFinding],
    ) -> BoxFuture<'a, Result<Imported, PortError>> {
        Box::pin(async move { Ok(self.import_all(findings).await?) })
    }

    fn active<'a>(
        &'a self,
        product_arn: &'a str,
        generator_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<AsffFinding>, PortError>> {
        Box::pin(async move { Ok(self.active_findings(product_arn, generator_ids).await?) })
    }
}

/// One resource, built in as few steps as the SDK allows: its shapes are large, and every
/// step of a builder moves the whole of it.
#[inline(never)]
fn resource(r: &AsffResource) -> Resource {
    let role = AwsIamRoleDetails::builder()
        .role_name(&r.role_name)
        .set_role_policy_list(
            r.inline_policy
                .as_ref()
                .map(|name| vec![AwsIamRolePolicy::builder().policy_name(name).build()]),
        )
        .set_attached_managed_policies(r.managed_policy.as_ref().map(|arn| {
            vec![
                AwsIamAttachedManagedPolicy::builder()
                    .policy_arn(arn)
                    .build(),
            ]
        }))
        .build();
    let other: std::collections::HashMap<String, String> = r
        .other
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Resource::builder()
        .r#type(&r.kind)
        .id(&r.id)
        .partition(Partition::from(r.partition.as_str()))
        .region(&r.region)
        .details(
            ResourceDetails::builder()
                .aws_iam_role(role)
                .set_other(Some(other))
                .build(),
        )
        .build()
}

/// Our struct as the SDK's.
pub fn to_sdk(f: &AsffFinding) -> AwsSecurityFinding {
    let mut b = AwsSecurityFinding::builder()
        .schema_version(&f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .generator_id(&f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .set_types(Some(f.types.clone()))
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .set_first_observed_at(f.first_observed_at.clone())
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(f.severity.label.as_str()))
                .build(),
        )
        .title(&f.title)
        .description(&f.description)
        .set_source_url(f.source_url.clone())
        .set_product_fields(Some(f.product_fields.clone().into_iter().collect()))
        .set_resources(Some(f.resources.iter().map(resource).collect()))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(f.compliance_status.as_str()))
                .build(),
        )
        .workflow(
            Workflow::builder()
                .status(WorkflowStatus::from(f.workflow_status.as_str()))
                .build(),
        )
        .record_state(RecordState::from(f.record_state.as_str()))
        .company_name(&f.company_name)
        .product_name(&f.product_name);
    if let Some(r) = &f.remediation {
        let mut rec = aws_sdk_securityhub::types::Recommendation::builder().text(&r.text);
        if let Some(url) = &r.url {
            rec = rec.url(url);
        }
        b = b.remediation(Remediation::builder().recommendation(rec.build()).build());
    }
    if let Some(text) = &f.note {
        b = b.note(
            Note::builder()
                .text(text)
                .updated_by(&f.product_name)
                .updated_at(&f.updated_at)
                .build(),
        );
    }
    b.build()
}

/// The SDK's struct as ours (what `GetFindings` answers).
pub fn from_sdk(f: &AwsSecurityFinding) -> AsffFinding {
    let s = |o: Option<&str>| o.unwrap_or_default().to_string();
    AsffFinding {
        schema_version: s(f.schema_version()),
        id: s(f.id()),
        product_arn: s(f.product_arn()),
        generator_id: s(f.generator_id()),
        aws_account_id: s(f.aws_account_id()),
        types: f.types().to_vec(),
        created_at: s(f.created_at()),
        updated_at: s(f.updated_at()),
        first_observed_at: f.first_observed_at().map(str::to_string),
        severity: AsffSeverity {
            label: f
                .severity()
                .and_then(|v| v.label())
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
        },
        title: s(f.title()),
        description: s(f.description()),
        source_url: f.source_url().map(str::to_string),
        remediation: f
            .remediation()
            .and_then(|r| r.recommendation())
            .map(|r| Recommendation {
                text: s(r.text()),
                url: r.url().map(str::to_string),
            }),
        product_fields: f
            .product_fields()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        resources: f
            .resources()
            .iter()
            .map(|r| {
                let role = r.details().and_then(|d| d.aws_iam_role());
                AsffResource {
                    kind: s(r.r#type()),
                    id: s(r.id()),
                    partition: r
                        .partition()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default(),
                    region: s(r.region()),
                    role_name: s(role.and_then(|x| x.role_name())),
                    inline_policy: role
                        .and_then(|x| x.role_policy_list().first())
                        .and_then(|p| p.policy_name())
                        .map(str::to_string),
                    managed_policy: role
                        .and_then(|x| x.attached_managed_policies().first())
                        .and_then(|p| p.policy_arn())
                        .map(str::to_string),
                    other: r
                        .details()
                        .and_then(|d| d.other())
                        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                }
            })
            .collect(),
        compliance_status: f
            .compliance()
            .and_then(|c| c.status())
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        workflow_status: f
            .workflow()
            .and_then(|w| w.status())
            .map(|w| w.as_str().to_string())
            .unwrap_or_default(),
        record_state: f
            .record_state()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        note: f.note().and_then(|n| n.text()).map(str::to_string),
        company_name: s(f.company_name()),
        product_name: s(f.product_name()),
    }
}
