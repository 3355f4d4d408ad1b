//! Library errors. Each says what failed and whether a retry can help; [`TaskError`]'s names
//! are exactly the `ErrorEquals` names the state machine's Retry and Catch match.

use crate::domain::ErrorKind;

/// Errors from the item store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A create found an item with that id already there.
    #[error("an item with id {0} already exists")]
    AlreadyExists(String),
    /// The item changed since it was read (version mismatch); re-read and try again.
    #[error("item {0} was changed by another writer; re-read it and try again")]
    VersionConflict(String),
    /// The item now belongs to a different run: the writer is superseded and must stop.
    #[error("item {id} belongs to run {current}, not {attempted}")]
    RunFenced {
        /// The item.
        id: String,
        /// The run the item belongs to now.
        current: String,
        /// The run that tried to write.
        attempted: String,
    },
    /// The item to update does not exist.
    #[error("no item with id {0}")]
    NotFound(String),
    /// The store is throttling us; back off and retry.
    #[error("the item store is throttling requests: {0}")]
    Throttled(String),
    /// A network or service error that a retry may fix.
    #[error("the item store is unavailable: {0}")]
    Unavailable(String),
    /// A stored item could not be decoded: a bug or a manual edit.
    #[error("item {id} could not be read: {reason}")]
    Corrupt {
        /// The item.
        id: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Anything else the store reported (bad configuration, missing table, …).
    #[error("item store error: {0}")]
    Other(String),
}

impl StoreError {
    /// Whether waiting and retrying can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Throttled(_) | StoreError::Unavailable(_))
    }
}

/// Errors from the blob store (S3 or the data dir).
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No object at that key.
    #[error("no object at `{0}`")]
    NotFound(String),
    /// The object exceeds the size we are willing to read.
    #[error("object `{key}` is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The key.
        key: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A key that cannot be stored safely (e.g. it would escape the data dir).
    #[error("key `{key}` is not acceptable: {reason}")]
    BadKey {
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// Throttling, network or 5xx: a retry may help.
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error("blob store error: {0}")]
    Other(String),
}

impl BlobError {
    /// Whether waiting and retrying can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, BlobError::Unavailable(_))
    }
}

/// Errors from the orchestrator (Step Functions or the in-process runner).
#[derive(Debug, thiserror::Error)]
pub enum OrchestratorError {
    /// Throttling or a service error: a retry may help.
    #[error("orchestrator unavailable: {0}")]
    Unavailable(String),
    /// The execution name is taken by an execution with a different input.
    #[error("execution `{0}` already exists with a different input")]
    NameConflict(String),
    /// Anything else (bad ARN, missing permissions, invalid definition).
    #[error("orchestrator error: {0}")]
    Other(String),
}

impl OrchestratorError {
    /// Whether waiting and retrying can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, OrchestratorError::Unavailable(_))
    }
}

/// Errors from a provider (speech recognition, model service).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// Throttling, 5xx, network: retry with backoff.
    #[error("{provider} is temporarily unavailable: {message}")]
    Transient {
        /// Which provider.
        provider: String,
        /// What it said.
        message: String,
    },
    /// The provider refused this input for good (e.g. no speech, unsupported codec).
    #[error("{provider} cannot use this input: {message}")]
    Input {
        /// Which provider.
        provider: String,
        /// What it said.
        message: String,
    },
    /// The provider failed and a retry will not help (bad config, quota, invalid answer).
    #[error("{provider} failed: {message}")]
    Permanent {
        /// Which provider.
        provider: String,
        /// What it said.
        message: String,
    },
}

/// The error a task handler returns. Its [`TaskError::name`] is the error name Step Functions
/// sees, and therefore what the ASL's `Retry`/`Catch` `ErrorEquals` lists.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TaskError {
    /// The upload is unusable. Terminal; never retried.
    #[error("{0}")]
    Input(String),
    /// A provider's throttling, network blip or 5xx. Retried with backoff by the state machine;
    /// recorded as [`ErrorKind::Provider`] once the retries are used up.
    #[error("{0}")]
    Transient(String),
    /// The pipeline's own services (item store, bucket, orchestrator) throttled or unavailable.
    /// Retried like [`TaskError::Transient`], but recorded as [`ErrorKind::Unavailable`] once
    /// the retries are used up: the provider is not at fault.
    #[error("{0}")]
    Unavailable(String),
    /// A provider failed for good. Terminal.
    #[error("{0}")]
    Provider(String),
    /// A step exceeded its time budget. Terminal.
    #[error("{0}")]
    Timeout(String),
    /// This run was superseded by a newer one; it must stop without writing anything.
    #[error("{0}")]
    Superseded(String),
    /// A bug or unexpected state. Terminal.
    #[error("{0}")]
    Internal(String),
}

impl TaskError {
    /// Every error name the handlers can raise, for the ASL consistency test.
    pub const NAMES: [&'static str; 7] = [
        "InputError",
        "TransientError",
        "UnavailableError",
        "ProviderError",
        "TimeoutError",
        "SupersededRun",
        "InternalError",
    ];

    /// The error name Step Functions matches in `ErrorEquals`.
    pub fn name(&self) -> &'static str {
        match self {
            TaskError::Input(_) => "InputError",
            TaskError::Transient(_) => "TransientError",
            TaskError::Unavailable(_) => "UnavailableError",
            TaskError::Provider(_) => "ProviderError",
            TaskError::Timeout(_) => "TimeoutError",
            TaskError::Superseded(_) => "SupersededRun",
            TaskError::Internal(_) => "InternalError",
        }
    }

    /// Rebuilds a task error from the name and cause a state machine reports.
    pub fn from_name(name: &str, cause: &str) -> Self {
        let cause = cause.to_string();
        match name {
            "InputError" => TaskError::Input(cause),
            "TransientError" => TaskError::Transient(cause),
            // Lambda's own service errors, which the state machine retries like ours.
            "UnavailableError"
            | "Lambda.ServiceException"
            | "Lambda.AWSLambdaException"
            | "Lambda.SdkClientException"
            | "Lambda.TooManyRequestsException" => {
                TaskError::Unavailable(if cause.is_empty() || name == "UnavailableError" {
                    cause
                } else {
                    format!("{name}: {cause}")
                })
            }
            "ProviderError" => TaskError::Provider(cause),
            "TimeoutError" | "States.Timeout" => TaskError::Timeout(cause),
            "SupersededRun" => TaskError::Superseded(cause),
            "InternalError" => TaskError::Internal(cause),
            _ => TaskError::Internal(if cause.is_empty() {
                name.to_string()
            } else {
                format!("{name}: {cause}")
            }),
        }
    }

    /// The item error kind this task error is recorded as.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TaskError::Input(_) => ErrorKind::Input,
            TaskError::Transient(_) | TaskError::Provider(_) => ErrorKind::Provider,
            TaskError::Unavailable(_) => ErrorKind::Unavailable,
            TaskError::Timeout(_) => ErrorKind::Timeout,
            TaskError::Superseded(_) | TaskError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Whether the state machine should retry it.
    pub fn is_transient(&self) -> bool {
        matches!(self, TaskError::Transient(_) | TaskError::Unavailable(_))
    }

    /// Whether a person's `retry` of the failed interview may succeed without changing the upload.
    pub fn is_retryable_by_person(&self) -> bool {
        !matches!(self, TaskError::Input(_))
    }

    /// The human message.
    pub fn message(&self) -> &str {
        match self {
            TaskError::Input(m)
            | TaskError::Transient(m)
            | TaskError::Unavailable(m)
            | TaskError::Provider(m)
            | TaskError::Timeout(m)
            | TaskError::Superseded(m)
            | TaskError::Internal(m) => m,
        }
    }
}

impl From<StoreError> for TaskError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::RunFenced { .. } => TaskError::Superseded(err.to_string()),
            e if e.is_transient() => TaskError::Unavailable(e.to_string()),
            StoreError::VersionConflict(_) => TaskError::Unavailable(err.to_string()),
            e => TaskError::Internal(e.to_string()),
        }
    }
}

impl From<BlobError> for TaskError {
    fn from(err: BlobError) -> Self {
        match err {
            BlobError::TooLarge { .. } | BlobError::BadKey { .. } => TaskError::Input(err.to_string()),
            e if e.is_transient() => TaskError::Unavailable(e.to_string()),
            e => TaskError::Internal(e.to_string()),
        }
    }
}

impl From<ProviderError> for TaskError {
    fn from(err: ProviderError) -> Self {
        match err {
            ProviderError::Transient { .. } => TaskError::Transient(err.to_string()),
            ProviderError::Input { .. } => TaskError::Input(err.to_string()),
            ProviderError::Permanent { .. } => TaskError::Provider(err.to_string()),
        }
    }
}

impl From<OrchestratorError> for TaskError {
    fn from(err: OrchestratorError) -> Self {
        if err.is_transient() {
            TaskError::Unavailable(err.to_string())
        } else {
            TaskError::Internal(err.to_string())
        }
    }
}

impl From<TaskError> for lambda_runtime::Diagnostic {
    fn from(err: TaskError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: err.name().to_string(),
            error_message: err.message().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_transient_is_retried() {
        let all = [
            TaskError::Input("a".into()),
            TaskError::Transient("b".into()),
            TaskError::Unavailable("g".into()),
            TaskError::Provider("c".into()),
            TaskError::Timeout("d".into()),
            TaskError::Superseded("e".into()),
            TaskError::Internal("f".into()),
        ];
        for (err, name) in all.iter().zip(TaskError::NAMES) {
            assert_eq!(err.name(), name);
            let back = TaskError::from_name(name, err.message());
            assert_eq!(back.name(), name);
            assert_eq!(back.message(), err.message());
            assert_eq!(
                err.is_transient(),
                ["TransientError", "UnavailableError"].contains(&name)
            );
        }
        assert_eq!(TaskError::from_name("Lambda.Unknown", "boom").name(), "InternalError");
        let d: lambda_runtime::Diagnostic = TaskError::Input("empty file".into()).into();
        assert_eq!(d.error_type, "InputError");
    }

    #[test]
    fn store_errors_map_onto_task_errors() {
        let fenced = StoreError::RunFenced {
            id: "i".into(),
            current: "r2".into(),
            attempted: "r1".into(),
        };
        assert_eq!(TaskError::from(fenced).name(), "SupersededRun");
        // Our own store throttled is retried, and past the budget it is not the provider's fault.
        let throttled = TaskError::from(StoreError::Throttled("x".into()));
        assert_eq!(
            (throttled.name(), throttled.kind()),
            ("UnavailableError", ErrorKind::Unavailable)
        );
        let blob = TaskError::from(BlobError::Unavailable("x".into()));
        assert_eq!((blob.name(), blob.kind()), ("UnavailableError", ErrorKind::Unavailable));
        let provider = TaskError::from(ProviderError::Transient {
            provider: "p".into(),
            message: "slow down".into(),
        });
        assert_eq!(
            (provider.name(), provider.kind()),
            ("TransientError", ErrorKind::Provider)
        );
        let lambda = TaskError::from_name("Lambda.TooManyRequestsException", "rate exceeded");
        assert_eq!(
            (lambda.kind(), lambda.message()),
            (ErrorKind::Unavailable, "Lambda.TooManyRequestsException: rate exceeded")
        );
        assert_eq!(TaskError::from(StoreError::Other("x".into())).name(), "InternalError");
        assert_eq!(
            TaskError::from(BlobError::TooLarge {
                key: "k".into(),
                size: 2,
                limit: 1
            })
            .name(),
            "InputError"
        );
    }
}
