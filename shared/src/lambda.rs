//! The Lambda shell every function's `main.rs` calls: logging, configuration and adapters are
//! set up once per container, then each event goes to the function's handler.

use crate::config::Settings;
use crate::handlers::dispatch;
use crate::services::Services;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

/// Runs function `name` under the Lambda runtime until the container is shut down.
///
/// Handler errors reach Lambda as their [`crate::TaskError::name`], which is what the state
/// machine's Retry and Catch match.
pub async fn run_function(name: &'static str) -> Result<(), lambda_runtime::Error> {
    crate::telemetry::init();
    let settings = Settings::from_env().map_err(|e| format!("configuration error: {e}"))?;
    if name == "ingest" {
        settings
            .require_state_machine()
            .map_err(|e| format!("configuration error: {e}"))?;
    }
    let services = Services::from_settings(settings, name).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let services = services.clone();
        async move { dispatch(&services, name, event.payload).await }
    }))
    .await
}
