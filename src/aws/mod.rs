//! The only module that names `aws_sdk_*` types. It turns IAM answers into
//! [`crate::model::RoleSnapshot`]s ([`inventory`]), probes roles with their own credentials
//! ([`probe`]), sends [`crate::notify::Message`]s with SNS PublishBatch ([`publish`]), lists an
//! organization's accounts and enters them through the org role ([`org`]), and keeps every AWS
//! error's code, message and request id ([`AwsError`]). Clients are built once per process ([`Clients::from_env`]) and borrowed by
//! each run; `AWS_ENDPOINT_URL` is honoured by the SDK itself, which is how tests reach the
//! emulator.

pub mod inventory;
pub mod org;
pub mod probe;
pub mod publish;
pub mod usage;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::RequestId;

/// An AWS call that failed after the SDK's retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {code}: {message}{}", request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
pub struct AwsError {
    /// The API operation, e.g. `iam:GetAccountAuthorizationDetails`.
    pub operation: String,
    /// The AWS error code, or `HTTP <status>` when the answer had none (moto's auth errors).
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub http_status: Option<u16>,
}

impl AwsError {
    pub(crate) fn from_sdk<E, R>(operation: &str, err: &SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + HasStatus,
        SdkError<E, R>: RequestId,
    {
        let http_status = err.raw_response().map(HasStatus::status);
        // answers that the SDK could not parse (HTML-typed XML from some endpoints) still
        // carry `<Code>` and `<Message>` in their body
        let body = err.raw_response().and_then(HasStatus::body_text);
        let tag = |name: &str| body.as_deref().and_then(|b| xml_tag(b, name));
        let code = match (err.code(), http_status) {
            (Some(code), _) => code.to_string(),
            (None, Some(status)) => tag("Code").unwrap_or_else(|| format!("HTTP {status}")),
            (None, None) => match err {
                SdkError::TimeoutError(_) => "Timeout".to_string(),
                SdkError::DispatchFailure(_) => "DispatchFailure".to_string(),
                _ => "Unknown".to_string(),
            },
        };
        AwsError {
            operation: operation.to_string(),
            code,
            message: err
                .message()
                .map(str::to_string)
                .or_else(|| tag("Message"))
                .unwrap_or_else(|| DisplayErrorContext(err).to_string()),
            request_id: err.request_id().map(str::to_string),
            http_status,
        }
    }
}

/// The HTTP status (and body) of a raw response, whatever the response type.
pub(crate) trait HasStatus {
    fn status(&self) -> u16;
    fn body_text(&self) -> Option<String>;
}

impl HasStatus for HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
    fn body_text(&self) -> Option<String> {
        self.body()
            .bytes()
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::to_string)
    }
}

/// The text of the first `<name>...</name>` in an XML error body.
fn xml_tag(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let len = body.get(start..)?.find(&format!("</{name}>"))?;
    body.get(start..start + len)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// How the SDK retries throttling and 5xx answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    pub max_attempts: u32,
    /// Adaptive mode also rate-limits the client when AWS throttles.
    pub adaptive: bool,
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            max_attempts: 5,
            adaptive: true,
        }
    }
}

impl RetrySettings {
    /// `AWS_MAX_ATTEMPTS` (a positive number) and `AWS_RETRY_MODE` (`adaptive` or `standard`),
    /// the variables the AWS SDKs and CLI use; defaults otherwise.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<RetrySettings, String> {
        let mut r = RetrySettings::default();
        if let Some(v) = get("AWS_MAX_ATTEMPTS").filter(|v| !v.trim().is_empty()) {
            r.max_attempts = v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    format!(
                        "environment variable `AWS_MAX_ATTEMPTS`: `{v}` is not a positive number"
                    )
                })?;
        }
        if let Some(v) = get("AWS_RETRY_MODE").filter(|v| !v.trim().is_empty()) {
            r.adaptive = match v.trim().to_ascii_lowercase().as_str() {
                "adaptive" => true,
                "standard" | "legacy" => false,
                _ => {
                    return Err(format!(
                        "environment variable `AWS_RETRY_MODE`: `{v}`: expected adaptive or standard"
                    ));
                }
            };
        }
        Ok(r)
    }
}

/// The clients a run uses, built once per process.
#[derive(Debug, Clone)]
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub sns: aws_sdk_sns::Client,
    pub sts: aws_sdk_sts::Client,
    /// S3 with the auditor's own credentials (the report bucket).
    pub s3: aws_sdk_s3::Client,
    pub prober: probe::AwsProber,
    /// The configuration the clients were built from (member accounts' clients start from it).
    conf: aws_config::SdkConfig,
}

impl Clients {
    /// Loads the default credential chain and region (or the given ones).
    pub async fn from_env(
        region: Option<String>,
        profile: Option<String>,
        retry: RetrySettings,
    ) -> Clients {
        let retry_config = if retry.adaptive {
            RetryConfig::adaptive()
        } else {
            RetryConfig::standard()
        }
        .with_max_attempts(retry.max_attempts.max(1));
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry_config);
        if let Some(r) = region {
            loader = loader.region(aws_config::Region::new(r));
        }
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        Clients::from_conf(&loader.load().await)
    }

    pub fn from_conf(conf: &aws_config::SdkConfig) -> Clients {
        Clients {
            iam: aws_sdk_iam::Client::new(conf),
            sns: aws_sdk_sns::Client::new(conf),
            sts: aws_sdk_sts::Client::new(conf),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(conf)
                    .force_path_style(conf.endpoint_url().is_some())
                    .build(),
            ),
            prober: probe::AwsProber::new(conf),
            conf: conf.clone(),
        }
    }

    /// The organization these credentials can list, entered through `role_name` in each
    /// member account.
    pub fn organization(&self, role_name: &str) -> org::AwsOrganization {
        org::AwsOrganization::new(self, role_name)
    }

    /// The account the credentials belong to (one STS call).
    pub async fn caller_account(&self) -> Result<String, AwsError> {
        Ok(caller_identity(&self.sts).await?.0)
    }
}

/// `(account, ARN)` of the principal the credentials belong to (one STS call).
pub(crate) async fn caller_identity(
    sts: &aws_sdk_sts::Client,
) -> Result<(String, String), AwsError> {
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("sts:GetCallerIdentity", &e))?;
    Ok((
        out.account().unwrap_or_default().to_string(),
        out.arn().unwrap_or_default().to_string(),
    ))
}

impl crate::audit::RoleSource for Clients {
    type Error = AwsError;

    async fn inventory(&self) -> Result<crate::model::Inventory, AwsError> {
        let mut inv = inventory::fetch(self).await?;
        if inv.account_id.is_none() {
            // no role to read it from: ask STS (one call, only in an account without roles)
            match self.caller_account().await {
                Ok(account) => inv.account_id = Some(account),
                Err(e) => inv.errors.push(crate::model::ErrorEntry {
                    role_name: None,
                    operation: "identify-account".into(),
                    code: e.code.clone(),
                    message: e.to_string(),
                }),
            }
        }
        Ok(inv)
    }
}

/// An SNS topic as the destination of a run's messages.
#[derive(Debug, Clone)]
pub struct SnsSink {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
}

impl crate::audit::FindingSink for SnsSink {
    type Error = publish::PublishError;

    async fn publish(
        &self,
        messages: &[crate::notify::Message],
    ) -> Result<usize, publish::PublishError> {
        publish::publish(&self.client, &self.topic_arn, messages).await
    }
}

/// An S3 bucket as the place a run's report is kept (`REPORT_BUCKET`).
#[derive(Debug, Clone)]
pub struct S3ReportStore {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

impl crate::audit::ReportStore for S3ReportStore {
    type Error = AwsError;

    async fn store(&self, key: &str, json: Vec<u8>) -> Result<String, AwsError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(json.into())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutObject", &e))?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }

    async fn load(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, AwsError> {
        let location = format!("s3://{}/{key}", self.bucket);
        match read_object(&self.client, &self.bucket, key, MAX_REPORT_BYTES).await {
            Ok(bytes) => Ok(Some((bytes, location))),
            Err(e) if e.code == "NoSuchKey" => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The largest previous report read back (Lambda's own response limit is 6 MB; a stored
/// report holds every finding).
const MAX_REPORT_BYTES: usize = 256 * 1024 * 1024;

/// An S3 object's bytes, refusing more than `limit` (code `TooLarge`).
pub async fn read_object(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    limit: usize,
) -> Result<Vec<u8>, AwsError> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:GetObject", &e))?;
    let size = out.content_length().unwrap_or_default();
    let too_large = |size: String| AwsError {
        operation: "s3:GetObject".into(),
        code: "TooLarge".into(),
        message: format!("s3://{bucket}/{key} is {size} bytes, over the {limit}-byte limit"),
        request_id: None,
        http_status: None,
    };
    if usize::try_from(size).unwrap_or(usize::MAX) > limit {
        return Err(too_large(size.to_string()));
    }
    let bytes = out.body.collect().await.map_err(|e| AwsError {
        operation: "s3:GetObject".into(),
        code: "ReadFailed".into(),
        message: format!("reading s3://{bucket}/{key}: {e}"),
        request_id: None,
        http_status: None,
    })?;
    let bytes = bytes.into_bytes().to_vec();
    if bytes.len() > limit {
        return Err(too_large(bytes.len().to_string()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_unparsed_error_bodies() {
        let body = r#"<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: x is not authorized</Message></Error></Errors></ErrorResponse>"#;
        assert_eq!(xml_tag(body, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(
            xml_tag(body, "Message").as_deref(),
            Some("User: x is not authorized")
        );
        assert_eq!(xml_tag(body, "RequestId"), None);
        assert_eq!(xml_tag("<Code></Code>", "Code"), None);
        assert_eq!(xml_tag("<Code>unterminated", "Code"), None);
    }

    #[test]
    fn retry_settings_from_env() {
        let none = |_: &str| None;
        assert_eq!(
            RetrySettings::from_env(none).unwrap(),
            RetrySettings::default()
        );
        let env = |k: &str| match k {
            "AWS_MAX_ATTEMPTS" => Some("9".to_string()),
            "AWS_RETRY_MODE" => Some("standard".to_string()),
            _ => None,
        };
        assert_eq!(
            RetrySettings::from_env(env).unwrap(),
            RetrySettings {
                max_attempts: 9,
                adaptive: false
            }
        );
        let bad = |k: &str| (k == "AWS_MAX_ATTEMPTS").then(|| "0".to_string());
        assert!(
            RetrySettings::from_env(bad)
                .unwrap_err()
                .contains("`AWS_MAX_ATTEMPTS`")
        );
        let bad = |k: &str| (k == "AWS_RETRY_MODE").then(|| "eager".to_string());
        assert!(
            RetrySettings::from_env(bad)
                .unwrap_err()
                .contains("`eager`")
        );
    }
}
