//! The `transcribe` Lambda function: starts and checks transcription jobs for the state
//! machine. The logic lives in `interview_handlers::transcribe`; this shell builds the store, the
//! bucket, the speech engine and the media prober once.

use interview_core::services::Services;
use interview_handlers::transcribe::{self, TranscribeInput};
use interview_handlers::Function;
use interview_speech::{transcriber_for, SymphoniaProbe};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::sync::Arc;

const FUNCTION: Function = Function::Transcribe;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = interview_runtime::init(FUNCTION)?;
    let stores = interview_runtime::connect(&settings).await?;
    let transcriber = transcriber_for(&settings, stores.blobs.clone(), stores.sdk.as_ref());
    let services = Services::builder(settings, FUNCTION.name(), stores.store.clone(), stores.blobs.clone())
        .transcriber(transcriber)
        .media(Arc::new(SymphoniaProbe))
        .build();
    lambda_runtime::run(service_fn(|event: LambdaEvent<TranscribeInput>| {
        let services = &services;
        async move { transcribe::handle(services, event.payload, interview_runtime::deadline(&event.context)).await }
    }))
    .await
}
