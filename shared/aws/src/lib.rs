//! The AWS adapters of the ports: the DynamoDB item store, the S3 bucket and the Step
//! Functions orchestrator, built once per process from the SDK's shared configuration.
#![warn(missing_docs)]

pub mod dynamodb;
pub mod s3;
pub mod stepfunctions;
pub mod uploads;

use interview_core::config::{Backend, Settings};
use interview_core::ports::BlobStore;
use interview_core::services::BuildError;
use interview_core::{domain, error, listing, ports};
use std::sync::Arc;

/// The AWS side of one process: the SDK configuration (providers build their clients from it)
/// and the adapters of the stores.
pub struct Aws {
    /// The SDK configuration, loaded once.
    pub sdk: aws_config::SdkConfig,
    /// The interview table.
    pub store: Arc<dynamodb::DynamoStore>,
    /// The bucket.
    pub blobs: Arc<s3::S3BlobStore>,
    s3: aws_sdk_s3::Client,
    state_machine_arn: Option<String>,
}

impl Aws {
    /// Loads the SDK configuration and builds the table and bucket adapters the settings name.
    ///
    /// Path-style S3 addressing is used when `AWS_ENDPOINT_URL` points the SDK at a local
    /// endpoint (moto), which serves buckets by path.
    pub async fn connect(settings: &Settings) -> Result<Self, BuildError> {
        let Backend::Aws {
            table,
            bucket,
            state_machine_arn,
        } = &settings.backend
        else {
            return Err(BuildError("the AWS backend needs INTERVIEWS_BACKEND=aws".into()));
        };
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let s3_config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(std::env::var_os("AWS_ENDPOINT_URL").is_some())
            .build();
        let s3 = aws_sdk_s3::Client::from_conf(s3_config);
        Ok(Self {
            store: Arc::new(dynamodb::DynamoStore::new(
                aws_sdk_dynamodb::Client::new(&sdk),
                table.clone(),
            )),
            blobs: Arc::new(s3::S3BlobStore::new(s3.clone(), bucket.clone())),
            s3,
            state_machine_arn: state_machine_arn.clone(),
            sdk,
        })
    }

    /// Presigned uploads into the bucket, with the same client as the bucket adapter.
    pub fn uploads(&self) -> Arc<uploads::S3Uploads> {
        Arc::new(uploads::S3Uploads::new(
            self.s3.clone(),
            self.blobs.bucket().to_string(),
        ))
    }

    /// The Step Functions orchestrator (ingest, retry and the sweeper start and stop runs).
    pub fn orchestrator(&self) -> Arc<stepfunctions::StepFunctionsOrchestrator> {
        Arc::new(stepfunctions::StepFunctionsOrchestrator::new(
            aws_sdk_sfn::Client::new(&self.sdk),
            self.state_machine_arn.clone().unwrap_or_default(),
        ))
    }
}
