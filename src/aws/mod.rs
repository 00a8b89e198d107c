//! The only module that names `aws_sdk_*` types: the adapters behind the application's
//! ports ([`crate::app::ports`]). It turns IAM answers into [`crate::model::RoleSnapshot`]s
//! ([`inventory`]), probes roles with their own credentials ([`probe`]), sends
//! [`crate::notify::Message`]s with SNS PublishBatch ([`publish`]), imports findings into
//! Security Hub ([`securityhub`]), reads the trail
//! ([`usage`]), lists an organization's accounts and enters them through the org role
//! ([`org`]), and keeps every AWS error's code, message and request id ([`AwsError`]).
//! Clients are built once per process ([`Clients::from_env`]) and [`services`] wires them to
//! a run's settings; `AWS_ENDPOINT_URL` is honoured by the SDK itself, which is how tests
//! reach the emulator.

pub mod inventory;
pub mod org;
pub mod probe;
pub mod publish;
pub mod securityhub;
pub mod usage;

use crate::app::ports::{
    BoxFuture, FindingSink, PortError, ReportStore, RoleSource, Services, Stored,
    SuppressionsSource,
};
use crate::app::settings::{S3Uri, Settings};
use crate::model::{ErrorCode, Operation, RoleName};
use crate::suppress::SuppressionSet;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::RequestId;

/// An AWS call that failed after the SDK's retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {code}: {message}{}", request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
pub struct AwsError {
    /// The API operation, e.g. `iam:GetAccountAuthorizationDetails`.
    pub operation: String,
    /// The AWS error code, or `HTTP <status>` when the answer had none (moto's auth errors).
    pub code: ErrorCode,
    pub message: String,
    pub request_id: Option<String>,
    pub http_status: Option<u16>,
    /// The thing asked for does not exist (S3 `NoSuchKey`, HTTP 404).
    pub not_found: bool,
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
                // the read timeout (no first byte within an attempt) comes from the connector
                SdkError::DispatchFailure(d) if d.is_timeout() => "Timeout".to_string(),
                SdkError::DispatchFailure(_) => "DispatchFailure".to_string(),
                _ => "Unknown".to_string(),
            },
        };
        AwsError {
            operation: operation.to_string(),
            code: ErrorCode::from(code),
            message: err
                .message()
                .map(str::to_string)
                .or_else(|| tag("Message"))
                .unwrap_or_else(|| cause_chain(err)),
            request_id: err.request_id().map(str::to_string),
            http_status,
            not_found: http_status == Some(404),
        }
    }
}

/// An error and its sources on one line, `outer: inner: innermost`, for people: the SDK's
/// `DisplayErrorContext` ends with the error's Debug form (hundreds of characters of struct
/// dump), and a bare SDK error says only `dispatch failure`. A source whose text the line
/// already holds is left out (wrappers often repeat their cause).
pub fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut line = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        next = e.source();
    }
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where the SDK's default credential chain looks, in order (for the message when it finds
/// nothing).
pub const CREDENTIAL_CHAIN: &str = "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
the profile (AWS_PROFILE or --profile, else `default`) in ~/.aws/credentials and ~/.aws/config, \
web identity (AWS_WEB_IDENTITY_TOKEN_FILE), the ECS container endpoint, EC2 instance metadata";

/// Why a run could not start: the credential chain gave nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("no AWS credentials found (looked in: {chain})", chain = CREDENTIAL_CHAIN)]
    NotFound,
    /// The chain's error, as one line of causes.
    #[error("no usable AWS credentials (looked in: {chain}): {cause}", chain = CREDENTIAL_CHAIN)]
    Unusable { cause: String },
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

pub use crate::app::settings::{RetrySettings, TimeoutSettings};

/// The SDK's timeouts for the settings: connect, one attempt (to the first byte of the answer,
/// and as a whole), the call with its retries.
pub fn timeout_config(t: &TimeoutSettings) -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(t.connect)
        .read_timeout(t.attempt)
        .operation_attempt_timeout(t.attempt)
        .operation_timeout(t.operation)
        .build()
}

/// The clients a run uses, built once per process.
#[derive(Debug, Clone)]
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub sns: aws_sdk_sns::Client,
    pub sts: aws_sdk_sts::Client,
    /// S3 with the auditor's own credentials (the report bucket).
    pub s3: aws_sdk_s3::Client,
    /// Security Hub in the clients' region (`SECURITY_HUB`).
    pub securityhub: securityhub::AwsSecurityHub,
    pub prober: probe::AwsProber,
    /// The configuration the clients were built from (member accounts' clients start from it).
    conf: aws_config::SdkConfig,
}

impl Clients {
    /// Loads the default credential chain and region (or the given ones), with these retries
    /// and timeouts on every client.
    pub async fn from_env(
        region: Option<String>,
        profile: Option<String>,
        retry: RetrySettings,
        timeouts: TimeoutSettings,
    ) -> Clients {
        let retry_config = if retry.adaptive {
            RetryConfig::adaptive()
        } else {
            RetryConfig::standard()
        }
        .with_max_attempts(retry.max_attempts.max(1));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry_config)
            .timeout_config(timeout_config(&timeouts));
        if let Some(r) = region {
            loader = loader.region(aws_config::Region::new(r));
        }
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        Clients::from_conf(&loader.load().await)
    }

    /// The clients of `conf`, with these timeouts instead of its own.
    pub fn with_timeouts(conf: &aws_config::SdkConfig, timeouts: &TimeoutSettings) -> Clients {
        let conf = conf
            .to_builder()
            .timeout_config(timeout_config(timeouts))
            .build();
        Clients::from_conf(&conf)
    }

    /// The clients of `conf`, with its timeouts (the probe's own when it has none).
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
            securityhub: securityhub::AwsSecurityHub::new(conf),
            conf: conf.clone(),
        }
    }

    /// The organization these credentials can list, entered through `role_name` in each
    /// member account.
    pub fn organization(&self, role_name: Option<RoleName>) -> org::AwsOrganization {
        org::AwsOrganization::new(self, role_name)
    }

    /// Resolves the credentials once, before any call, so that a run without credentials
    /// stops at once with one line saying where the SDK looked, instead of reporting every
    /// call's failure.
    pub async fn check_credentials(&self) -> Result<(), CredentialsError> {
        use aws_sdk_iam::config::ProvideCredentials as _;
        let Some(provider) = self.conf.credentials_provider() else {
            return Err(CredentialsError::NotFound);
        };
        match provider.provide_credentials().await {
            Ok(_) => Ok(()),
            // nothing anywhere: where it looked says it all (the SDK's own list is harder to read)
            Err(aws_credential_types::provider::error::CredentialsError::CredentialsNotLoaded(
                _,
            )) => Err(CredentialsError::NotFound),
            // something was found and failed: a broken profile, an unreachable endpoint
            Err(e) => Err(CredentialsError::Unusable {
                cause: cause_chain(&e),
            }),
        }
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

impl RoleSource for Clients {
    fn inventory(&self) -> BoxFuture<'_, Result<crate::model::Inventory, PortError>> {
        Box::pin(async move { Ok(self.read_inventory().await?) })
    }
}

impl Clients {
    /// Every role of the account; the account's id from STS when it has no role.
    pub async fn read_inventory(&self) -> Result<crate::model::Inventory, AwsError> {
        let mut inv = inventory::fetch(self).await?;
        if inv.account_id.is_none() {
            // no role to read it from: ask STS (one call, only in an account without roles)
            match self.caller_account().await {
                Ok(account) => inv.account_id = Some(account),
                Err(e) => inv.errors.push(crate::model::ErrorEntry::new(
                    Operation::IdentifyAccount,
                    e.code.clone(),
                    e.to_string(),
                )),
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

impl FindingSink for SnsSink {
    fn publish<'a>(
        &'a self,
        messages: &'a [crate::notify::Message],
    ) -> BoxFuture<'a, Result<usize, PortError>> {
        Box::pin(
            async move { Ok(publish::publish(&self.client, &self.topic_arn, messages).await?) },
        )
    }
}

/// An S3 bucket as the place a run's report is kept (`REPORT_BUCKET`).
#[derive(Debug, Clone)]
pub struct S3ReportStore {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    /// The most bytes read back (the settings' `read_limit`).
    pub limit: usize,
}

impl S3ReportStore {
    async fn put(&self, key: &str, json: Vec<u8>) -> Result<String, AwsError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(if key.ends_with(".html") {
                "text/html; charset=utf-8"
            } else {
                "application/json"
            })
            .body(json.into())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutObject", &e))?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }

    async fn get(&self, key: &str) -> Result<Option<Stored>, AwsError> {
        let location = format!("s3://{}/{key}", self.bucket);
        match read_object(&self.client, &self.bucket, key, self.limit).await {
            Ok(bytes) => Ok(Some(Stored { bytes, location })),
            Err(e) if e.not_found => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl ReportStore for S3ReportStore {
    fn store<'a>(
        &'a self,
        key: &'a str,
        json: Vec<u8>,
    ) -> BoxFuture<'a, Result<String, PortError>> {
        Box::pin(async move { Ok(self.put(key, json).await?) })
    }

    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, PortError>> {
        Box::pin(async move { Ok(self.get(key).await?) })
    }
}

/// The central suppressions file in S3 (`SUPPRESSIONS_S3_URI`), read on every run so that
/// edits apply at the next one; a file that cannot be read or parsed suppresses nothing and
/// is an error entry.
#[derive(Debug, Clone)]
pub struct S3Suppressions {
    pub client: aws_sdk_s3::Client,
    pub uri: S3Uri,
    /// The most bytes read (the settings' `read_limit`, at most the file format's own).
    pub limit: usize,
}

impl SuppressionsSource for S3Suppressions {
    fn read(&self) -> BoxFuture<'_, SuppressionSet> {
        Box::pin(async move {
            let source = self.uri.to_string();
            let read = read_object(
                &self.client,
                &self.uri.bucket,
                &self.uri.key,
                self.limit.min(crate::suppress::MAX_FILE_BYTES),
            )
            .await;
            match read {
                Err(e) => SuppressionSet::unreadable(&source, e.code.as_str(), e.to_string()),
                Ok(bytes) => match String::from_utf8(bytes) {
                    Err(e) => SuppressionSet::unreadable(
                        &source,
                        crate::model::ErrorCode::InvalidSuppressionsFile,
                        format!(
                            "not UTF-8 text: invalid byte at offset {}",
                            e.utf8_error().valid_up_to()
                        ),
                    ),
                    Ok(text) => SuppressionSet::parse(&text, &source).unwrap_or_else(|e| {
                        SuppressionSet::unreadable(
                            &source,
                            crate::model::ErrorCode::InvalidSuppressionsFile,
                            e.to_string(),
                        )
                    }),
                },
            }
        })
    }
}

/// A run's collaborators in AWS, as the settings ask: the account's roles, the probe, the
/// trail, the report bucket, the topic, the central suppressions and the organization.
pub fn services(clients: &Clients, settings: &Settings) -> Services {
    Services {
        roles: Box::new(clients.clone()),
        prober: Some(Box::new(clients.prober.clone())),
        usage: settings
            .usage
            .as_ref()
            .map(|_| Box::new(clients.clone()) as Box<dyn crate::app::ports::UsageSource>),
        store: settings.report_bucket.as_ref().map(|bucket| {
            Box::new(S3ReportStore {
                client: clients.s3.clone(),
                bucket: bucket.clone(),
                limit: settings.read_limit,
            }) as Box<dyn ReportStore>
        }),
        sink: settings.topic_arn.as_ref().map(|topic| {
            Box::new(SnsSink {
                client: clients.sns.clone(),
                topic_arn: topic.clone(),
            }) as Box<dyn FindingSink>
        }),
        suppressions: settings.suppressions.as_ref().map(|uri| {
            Box::new(S3Suppressions {
                client: clients.s3.clone(),
                uri: uri.clone(),
                limit: settings.read_limit,
            }) as Box<dyn SuppressionsSource>
        }),
        hub: settings.security_hub.then(|| {
            Box::new(clients.securityhub.clone()) as Box<dyn crate::app::ports::FindingsHub>
        }),
        // listing needs no org role; entering a member account does
        organization: Some(Box::new(
            clients.organization(settings.org_role_name.clone()),
        )),
    }
}

/// An S3 object's bytes, refusing more than `limit` (code `TooLarge`): refused at once when
/// the object says it is larger, and read chunk by chunk otherwise, so that an object larger
/// than it said never takes more than `limit` of memory.
pub async fn read_object(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    limit: usize,
) -> Result<Vec<u8>, AwsError> {
    let mut out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            let mut err = AwsError::from_sdk("s3:GetObject", &e);
            err.not_found |= e.as_service_error().is_some_and(|s| s.is_no_such_key());
            err
        })?;
    let size = out.content_length().unwrap_or_default();
    let too_large = |size: String| AwsError {
        operation: "s3:GetObject".into(),
        code: ErrorCode::TooLarge,
        message: format!(
            "s3://{bucket}/{key} is {size} bytes, over the {limit}-byte limit of what a run reads back (an eighth of AWS_LAMBDA_FUNCTION_MEMORY_SIZE, at most 256 MiB; a suppressions file at most 1 MiB): it was not read"
        ),
        request_id: None,
        http_status: None,
        not_found: false,
    };
    if usize::try_from(size).unwrap_or(usize::MAX) > limit {
        return Err(too_large(size.to_string()));
    }
    let mut bytes: Vec<u8> = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(limit));
    while let Some(chunk) = out.body.next().await {
        let chunk = chunk.map_err(|e| AwsError {
            operation: "s3:GetObject".into(),
            code: ErrorCode::ReadFailed,
            message: format!("reading s3://{bucket}/{key}: {e}"),
            request_id: None,
            http_status: None,
            not_found: false,
        })?;
        if bytes.len().saturating_add(chunk.len()) > limit {
            return Err(too_large(format!("more than {limit}")));
        }
        bytes.extend_from_slice(&chunk);
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
                .to_string()
                .contains("`AWS_MAX_ATTEMPTS`")
        );
        let bad = |k: &str| (k == "AWS_RETRY_MODE").then(|| "eager".to_string());
        assert!(
            RetrySettings::from_env(bad)
                .unwrap_err()
                .to_string()
                .contains("`eager`")
        );
    }
}
