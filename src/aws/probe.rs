//! The probe's requests, and nothing else: sts:AssumeRole with the session policy, then
//! ListObjectsV2, GetObject and DeleteObject with the role's temporary credentials. There is
//! no write here, and object keys arrive only as [`ProbeKey`]s, which cannot name a key
//! outside `connector-audit-probe/`. The temporary credentials live in one S3 client per
//! role and are never logged (the SDK's `Debug` redacts them).

use super::AwsError;
use crate::app::ports::{BoxFuture, PortError, Prober};
use crate::model::{ProbeAction, RoleProbe};
use crate::probe::{Answer, PREFIX, PlannedCheck, ProbeKey, RolePlan, SESSION_SECONDS};
use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::RequestId;
use std::time::Duration;

/// Without timeouts in the base configuration, one attempt of a probe request may take this
/// long...
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// ...and the request with its retries this long.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Probes roles with the credentials of the principal running the audit.
#[derive(Debug, Clone)]
pub struct AwsProber {
    sts: aws_sdk_sts::Client,
    base: SdkConfig,
    /// Path-style addressing, for endpoints that are not AWS's own (the emulator).
    path_style: bool,
}

/// The base configuration's timeouts (the settings'), or the probe's own when it has none.
fn timeouts(conf: &SdkConfig) -> TimeoutConfig {
    match conf.timeout_config() {
        Some(t) if t.operation_timeout().is_some() => t.clone(),
        _ => TimeoutConfig::builder()
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build(),
    }
}

impl AwsProber {
    pub fn new(conf: &SdkConfig) -> AwsProber {
        let sts = aws_sdk_sts::config::Builder::from(conf)
            .timeout_config(timeouts(conf))
            .build();
        AwsProber {
            sts: aws_sdk_sts::Client::from_conf(sts),
            base: conf.clone(),
            path_style: conf.endpoint_url().is_some(),
        }
    }

    /// An S3 client acting with the role's session credentials, in `region` when given.
    fn s3(&self, credentials: &Credentials, region: Option<&str>) -> aws_sdk_s3::Client {
        let mut conf = aws_sdk_s3::config::Builder::from(&self.base)
            .credentials_provider(credentials.clone())
            .force_path_style(self.path_style)
            .timeout_config(timeouts(&self.base));
        if let Some(r) = region {
            conf = conf.region(Region::new(r.to_string()));
        }
        aws_sdk_s3::Client::from_conf(conf.build())
    }
}

/// What one request got back, with the region S3 redirected to, if it did.
struct Reply {
    answer: Answer,
    redirect: Option<String>,
}

fn reply<T, E>(result: Result<T, SdkError<E, HttpResponse>>, operation: &str) -> Reply
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    SdkError<E, HttpResponse>: RequestId,
{
    match result {
        Ok(_) => Reply {
            answer: Answer::Success,
            redirect: None,
        },
        Err(e) => {
            let redirect = e
                .raw_response()
                .filter(|r| matches!(r.status().as_u16(), 301 | 307 | 400))
                .and_then(|r| r.headers().get("x-amz-bucket-region"))
                .map(str::to_string);
            let err = AwsError::from_sdk(operation, &e);
            Reply {
                answer: Answer::Failure {
                    code: err.code,
                    status: err.http_status,
                },
                redirect,
            }
        }
    }
}

/// One probe request. The only three requests the probe can make.
async fn ask(s3: &aws_sdk_s3::Client, bucket: &str, action: ProbeAction, key: &ProbeKey) -> Reply {
    match action {
        ProbeAction::ListBucket => reply(
            s3.list_objects_v2()
                .bucket(bucket)
                .prefix(PREFIX)
                .max_keys(1)
                .send()
                .await,
            "s3:ListObjectsV2",
        ),
        // a body, should the key exist, is dropped unread
        ProbeAction::GetObject => reply(
            s3.get_object()
                .bucket(bucket)
                .key(key.as_str())
                .send()
                .await,
            "s3:GetObject",
        ),
        ProbeAction::DeleteObject => reply(
            s3.delete_object()
                .bucket(bucket)
                .key(key.as_str())
                .send()
                .await,
            "s3:DeleteObject",
        ),
    }
}

impl Prober for AwsProber {
    fn auditor(&self) -> BoxFuture<'_, Result<String, PortError>> {
        Box::pin(async move { Ok(super::caller_identity(&self.sts).await?.1) })
    }

    fn probe<'a>(&'a self, plan: &'a RolePlan) -> BoxFuture<'a, RoleProbe> {
        Box::pin(self.probe_role(plan))
    }
}

impl AwsProber {
    async fn probe_role(&self, plan: &RolePlan) -> RoleProbe {
        let assumed = self
            .sts
            .assume_role()
            .role_arn(&plan.role_arn)
            .role_session_name(&plan.session_name)
            .policy(&plan.session_policy)
            .duration_seconds(SESSION_SECONDS)
            .set_external_id(plan.external_id.clone())
            .send()
            .await;
        let credentials = match assumed {
            Err(e) => {
                let err = AwsError::from_sdk("sts:AssumeRole", &e);
                tracing::debug!(role = %plan.role_arn, code = %err.code, "sts:AssumeRole refused");
                return plan.not_probed(err.code.as_str(), err.to_string());
            }
            Ok(out) => match out.credentials() {
                Some(c) => Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_string()),
                    None,
                    "connector-audit-probe",
                ),
                None => {
                    return plan.not_probed(
                        "NoCredentials",
                        "sts:AssumeRole answered without credentials".into(),
                    );
                }
            },
        };
        tracing::debug!(
            role = %plan.role_arn,
            session = %plan.session_name,
            external_id_used = plan.external_id.is_some(),
            checks = plan.checks.len(),
            "role assumed for probing"
        );
        let default = self.s3(&credentials, None);
        let mut regional: Option<(String, String, aws_sdk_s3::Client)> = None;
        let mut checks = Vec::with_capacity(plan.checks.len());
        for check in &plan.checks {
            checks.push(
                self.run_check(&default, &mut regional, &credentials, check)
                    .await,
            );
        }
        RoleProbe {
            assumed: true,
            error_code: None,
            error_message: None,
            external_id_used: plan.external_id.is_some(),
            checks,
            buckets_skipped: plan.buckets_skipped.clone(),
        }
    }
}

impl AwsProber {
    /// Runs a check, following S3's redirect to the bucket's region once (and remembering
    /// the region for the bucket's next checks).
    async fn run_check(
        &self,
        default: &aws_sdk_s3::Client,
        regional: &mut Option<(String, String, aws_sdk_s3::Client)>,
        credentials: &Credentials,
        check: &PlannedCheck,
    ) -> crate::model::ProbeCheck {
        let client = match regional {
            Some((bucket, _, c)) if *bucket == check.bucket => c,
            _ => default,
        };
        let first = ask(client, &check.bucket, check.action, &check.key).await;
        let Some(region) = first.redirect else {
            let observed = check.observe(&first.answer);
            tracing::debug!(
                bucket = %check.bucket,
                action = check.action.as_str(),
                key = check.key.as_str(),
                outcome = ?observed.outcome,
                code = observed.error_code.as_deref().unwrap_or("-"),
                "probe request answered"
            );
            return observed;
        };
        tracing::debug!(bucket = %check.bucket, %region, "S3 redirected the probe to the bucket's region");
        if regional
            .as_ref()
            .is_some_and(|(b, r, _)| *b == check.bucket && *r == region)
        {
            return check.observe(&first.answer);
        }
        let client = self.s3(credentials, Some(&region));
        let again = ask(&client, &check.bucket, check.action, &check.key).await;
        *regional = Some((check.bucket.clone(), region, client));
        check.observe(&again.answer)
    }
}
