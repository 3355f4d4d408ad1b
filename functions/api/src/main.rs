//! The `api` Lambda function: the HTTP API behind an API Gateway HTTP API with a JWT
//! authorizer. The router lives in `interview_api`; this shell builds the store, the bucket,
//! the upload signer and the orchestrator (retry starts runs) once, then serves every request.

use interview_api::{router, AppState, Auth};
use interview_core::services::Services;
use interview_handlers::{Function, Pipeline};

const FUNCTION: Function = Function::Api;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let settings = interview_runtime::init(FUNCTION)?;
    settings
        .require_state_machine()
        .map_err(|e| format!("{FUNCTION}: configuration error: {e}"))?;
    let stores = interview_runtime::connect(&settings).await?;
    let uploads = stores
        .uploads
        .clone()
        .ok_or_else(|| format!("{FUNCTION}: runs on AWS only; use `interviews serve` on this machine"))?;
    let services = Services::builder(settings, FUNCTION.name(), stores.store.clone(), stores.blobs.clone()).build();
    let app = router(AppState {
        pipeline: Pipeline::new(services, stores.orchestrator()),
        uploads,
        auth: Auth::ApiGatewayJwt,
    });
    lambda_http::run(app).await
}
