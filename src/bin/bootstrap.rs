//! The Lambda function (`bootstrap` on `provided.al2023`). Builds the AWS clients and reads the
//! configuration once, outside the handler, then serves events. Logs are JSON lines for
//! CloudWatch; `LOG_LEVEL` sets the level (default `info`).

use connector_audit::aws::{Clients, RetrySettings};
use connector_audit::lambda::{Config, Deps, handle};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".to_string());
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&level).unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(false)
        .with_target(false)
        .without_time() // CloudWatch stamps every line
        .init();
    let config = Config::from_env(|k| std::env::var(k).ok())?;
    let retry = RetrySettings::from_env(|k| std::env::var(k).ok())?;
    let deps = Deps {
        clients: Clients::from_env(None, None, retry).await,
        config,
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(event, deps).await
    }))
    .await
}
