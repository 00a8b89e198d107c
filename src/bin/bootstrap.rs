//! The Lambda function (`bootstrap` on `provided.al2023`). Builds the AWS clients and reads the
//! configuration once, outside the handler, then serves events. Logs are JSON lines for
//! CloudWatch; `LOG_LEVEL` sets the level of the function's own lines (default `info`; the
//! SDK stays at `info`, see [`log_filter`]).

use connector_audit::app::Settings;
use connector_audit::aws::{Clients, services};
use connector_audit::lambda::{Deps, RawEvent, handle_raw, log_filter};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".to_string());
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(log_filter(&level))
        .with_current_span(false)
        .with_target(false)
        .without_time() // CloudWatch stamps every line
        .init();
    // a bad setting ends the process at init, with the variable named in a JSON log line
    let settings = Settings::from_env(|k| std::env::var(k).ok()).inspect_err(|e| {
        tracing::error!(error = %e, "bad configuration: the function cannot start");
    })?;
    let clients = Clients::from_env(None, None, settings.retry, settings.timeouts).await;
    let deps = Deps {
        services: services(&clients, &settings),
        settings,
    };
    let deps = &deps;
    // the event arrives as JSON text: a duplicate key fails the invocation, naming it
    lambda_runtime::run(service_fn(move |event: LambdaEvent<RawEvent>| async move {
        handle_raw(event, deps).await
    }))
    .await
}
