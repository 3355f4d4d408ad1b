//! The `sweeper` Lambda function. All logic lives in `interview::handlers`; this shell only
//! starts the runtime, so the local runner and tests call exactly the same code.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    interview::lambda::run_function("sweeper").await
}
