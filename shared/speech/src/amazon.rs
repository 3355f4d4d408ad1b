//! Amazon Transcribe batch jobs: start one per run (named after the run), poll it, and read its
//! output JSON from the bucket when it completes.
//!
//! The job reads `s3://<bucket>/<upload key>` and writes its output to the same bucket at
//! `results/<id>/transcribe/<job name>.json`, so everything about an interview stays under its
//! results prefix (and is deleted with it). Speaker labels are always on.
//!
//! Error handling follows the state machine's contract: throttling (`LimitExceededException`,
//! `ThrottlingException`), `InternalFailureException`, 5xx, timeouts and network failures are
//! [`ProviderError::Transient`] (the state machine retries them with backoff); anything else is
//! [`ProviderError::Permanent`]. A `ConflictException` on start means a job with our own name
//! exists: an earlier attempt of this same run started it, so we go on polling it.
//!
//! With a data-access role ([`TranscribeOptions::data_access_role_arn`]) jobs are started with
//! `JobExecutionSettings { AllowDeferredExecution: true, DataAccessRoleArn }`: past the account's
//! concurrent-job quota Transcribe queues a job (status `QUEUED`) instead of refusing it with
//! `LimitExceededException`, and reads the media and writes the output as that role. A queued job
//! is polled like one in progress. Without the role, a job over the quota is refused and the
//! refusal is transient (retried with backoff), as above.

use crate::error::{BlobError, ProviderError};
use crate::media::MediaFormat;
use crate::ports::{BlobStore, Transcriber, TranscriptionRequest, TranscriptionState};
use crate::transcript::{parse_as, TranscriptFormat};
use async_trait::async_trait;
use aws_sdk_transcribe::config::http::HttpResponse;
use aws_sdk_transcribe::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_transcribe::types::{
    JobExecutionSettings, LanguageCode, Media, MediaFormat as AwsMediaFormat, Settings, TranscriptionJobStatus,
};
use aws_sdk_transcribe::Client;
use std::sync::Arc;

/// The name recorded as the step's worker.
pub const NAME: &str = "amazon-transcribe";
/// How the provider is named in error messages.
const PROVIDER: &str = "Amazon Transcribe";
/// Error codes that mean "slow down and try again".
const TRANSIENT_CODES: [&str; 6] = [
    "LimitExceededException",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "InternalFailureException",
    "ServiceUnavailableException",
];
/// The largest output document read back (a 4-hour job writes ~20 MB of JSON).
const MAX_OUTPUT_BYTES: u64 = 256 * 1024 * 1024;

/// What a job is started with, besides the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscribeOptions {
    /// A BCP-47 language code Transcribe knows (`en-US`), or `None` to let it identify the language.
    pub language: Option<String>,
    /// Speaker labels to tell apart (2–30).
    pub max_speakers: u32,
    /// An IAM role Transcribe assumes to read queued media and write their output. When set, jobs
    /// over the concurrent-job quota are queued by Transcribe (deferred execution, which requires
    /// the role); when `None`, they are refused with `LimitExceededException`.
    pub data_access_role_arn: Option<String>,
}

impl Default for TranscribeOptions {
    fn default() -> Self {
        Self {
            language: Some("en-US".into()),
            max_speakers: 4,
            data_access_role_arn: None,
        }
    }
}

/// [`Transcriber`] over Amazon Transcribe batch jobs.
pub struct AmazonTranscriber {
    client: Client,
    blobs: Arc<dyn BlobStore>,
    options: TranscribeOptions,
}

impl AmazonTranscriber {
    /// Jobs read media from and write output to `blobs`' bucket.
    pub fn new(client: Client, blobs: Arc<dyn BlobStore>, options: TranscribeOptions) -> Self {
        Self { client, blobs, options }
    }

    /// Where the job's output lands: `results/<id>/transcribe/<job name>.json`.
    pub fn output_key(request: &TranscriptionRequest) -> String {
        format!(
            "{}transcribe/{}.json",
            request.interview_id.results_prefix(),
            request.job_name
        )
    }

    /// Reads and parses the job's output document.
    async fn read_output(
        &self,
        request: &TranscriptionRequest,
        uri: Option<&str>,
    ) -> Result<TranscriptionState, ProviderError> {
        let expected = Self::output_key(request);
        let key = uri
            .and_then(|u| key_from_uri(u, self.blobs.bucket()))
            .unwrap_or_else(|| expected.clone());
        let bytes = match self.blobs.get(&key, MAX_OUTPUT_BYTES).await {
            Ok(b) => b,
            Err(BlobError::NotFound(_)) if key != expected => self
                .blobs
                .get(&expected, MAX_OUTPUT_BYTES)
                .await
                .map_err(|e| blob_error(&expected, e))?,
            Err(e) => return Err(blob_error(&key, e)),
        };
        let text =
            std::str::from_utf8(&bytes).map_err(|e| permanent(format!("the output at `{key}` is not UTF-8: {e}")))?;
        match parse_as(TranscriptFormat::AmazonTranscribe, text) {
            Ok(transcript) => Ok(TranscriptionState::Completed(transcript)),
            // A completed job without words: the recording has no speech. Answer with the empty
            // transcript rather than fail as a provider: the transcribe handler decides what an
            // upload without words becomes (an input error), for every engine and file alike.
            Err(e) if is_no_words(text) => {
                tracing::info!(job = %request.job_name, "the job found no speech: {e}");
                let mut empty = crate::transcript::Transcript::new(TranscriptFormat::AmazonTranscribe, Vec::new());
                empty
                    .notes
                    .push("Amazon Transcribe found no speech in the recording".into());
                Ok(TranscriptionState::Completed(empty))
            }
            Err(e) => Err(permanent(format!("the output at `{key}` cannot be read: {e}"))),
        }
    }
}

/// Whether a Transcribe output document parsed as JSON but has no words at all.
fn is_no_words(text: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let items = doc.pointer("/results/items").and_then(|v| v.as_array());
    let segments = doc.pointer("/results/audio_segments").and_then(|v| v.as_array());
    items.is_some_and(|i| i.is_empty()) && segments.is_none_or(|s| s.is_empty())
}

fn permanent(message: String) -> ProviderError {
    ProviderError::Permanent {
        provider: PROVIDER.into(),
        message,
    }
}

fn blob_error(key: &str, err: BlobError) -> ProviderError {
    let message = format!("reading the job output `{key}`: {err}");
    if err.is_transient() {
        ProviderError::Transient {
            provider: PROVIDER.into(),
            message,
        }
    } else {
        permanent(message)
    }
}

/// The object key in `bucket` that a `TranscriptFileUri` points at: `s3://bucket/key`,
/// path-style `https://s3.<region>.amazonaws.com/bucket/key` (also endpoints such as moto's
/// `http://127.0.0.1:5000/bucket/key`), or virtual-hosted `https://bucket.s3.<region>.amazonaws.com/key`.
pub fn key_from_uri(uri: &str, bucket: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let key = if scheme == "s3" {
        (host == bucket).then_some(path)?
    } else if host.starts_with(&format!("{bucket}.")) {
        path
    } else {
        path.strip_prefix(bucket)?.strip_prefix('/')?
    };
    let key = key.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(key)
        .decode_utf8()
        .ok()?
        .into_owned();
    (!decoded.is_empty()).then_some(decoded)
}

/// Transcribe's `MediaFormat` for the item's recorded type (a MIME type or a short name).
fn media_format(recorded: &str) -> Option<AwsMediaFormat> {
    Some(match MediaFormat::from_mime_type(recorded)? {
        MediaFormat::Wav => AwsMediaFormat::Wav,
        MediaFormat::Mp3 => AwsMediaFormat::Mp3,
        MediaFormat::M4a => AwsMediaFormat::M4A,
        MediaFormat::Mp4 => AwsMediaFormat::Mp4,
        MediaFormat::Flac => AwsMediaFormat::Flac,
        MediaFormat::Ogg => AwsMediaFormat::Ogg,
        MediaFormat::Webm => AwsMediaFormat::Webm,
    })
}

/// Maps an SDK failure onto a provider error (see the module documentation). `modeled_transient`
/// says whether the service error is one of the operation's modeled retryable errors
/// (`LimitExceededException`, `InternalFailureException`), which carry no code when built
/// in-process.
fn provider_error<E>(doing: &str, err: SdkError<E, HttpResponse>, modeled_transient: bool) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(context) => {
            let error = context.err();
            let code = error.code().unwrap_or_default();
            let mut text = error.to_string();
            if !code.is_empty() && !text.contains(code) {
                text = format!("{code}: {text}");
            }
            if let Some(m) = error.message() {
                if !text.contains(m) {
                    text = format!("{text}: {m}");
                }
            }
            let message = format!("{doing}: {text}");
            if modeled_transient || TRANSIENT_CODES.contains(&code) || context.raw().status().is_server_error() {
                ProviderError::Transient {
                    provider: PROVIDER.into(),
                    message,
                }
            } else {
                permanent(message)
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ProviderError::Transient {
                provider: PROVIDER.into(),
                message: format!("{doing}: {}", DisplayErrorContext(&err)),
            }
        }
        _ => permanent(format!("{doing}: {}", DisplayErrorContext(&err))),
    }
}

#[async_trait]
impl Transcriber for AmazonTranscriber {
    fn name(&self) -> &str {
        NAME
    }

    async fn start(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        let media_uri = format!("s3://{}/{}", self.blobs.bucket(), request.media_key);
        let mut call = self
            .client
            .start_transcription_job()
            .transcription_job_name(&request.job_name)
            .media(Media::builder().media_file_uri(&media_uri).build())
            .set_media_format(media_format(&request.media_format))
            .output_bucket_name(self.blobs.bucket())
            .output_key(Self::output_key(request))
            .settings(
                Settings::builder()
                    .show_speaker_labels(true)
                    .max_speaker_labels(self.options.max_speakers.clamp(2, 30) as i32)
                    .build(),
            );
        call = match &self.options.language {
            Some(code) => call.language_code(LanguageCode::from(code.as_str())),
            None => call.identify_language(true),
        };
        if let Some(role) = &self.options.data_access_role_arn {
            call = call.job_execution_settings(
                JobExecutionSettings::builder()
                    .allow_deferred_execution(true)
                    .data_access_role_arn(role)
                    .build(),
            );
        }
        match call.send().await {
            Ok(out) => {
                let status = out
                    .transcription_job()
                    .and_then(|j| j.transcription_job_status())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default();
                tracing::info!(job = %request.job_name, %media_uri, %status, "transcription job started");
                Ok(TranscriptionState::InProgress)
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conflict_exception() || e.code() == Some("ConflictException")) =>
            {
                tracing::info!(job = %request.job_name, "the job already exists (an earlier attempt of this run started it); polling it");
                Ok(TranscriptionState::InProgress)
            }
            Err(err) => {
                let modeled = err
                    .as_service_error()
                    .is_some_and(|e| e.is_limit_exceeded_exception() || e.is_internal_failure_exception());
                Err(provider_error(
                    &format!("starting job {} for {media_uri}", request.job_name),
                    err,
                    modeled,
                ))
            }
        }
    }

    async fn check(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        let out = self
            .client
            .get_transcription_job()
            .transcription_job_name(&request.job_name)
            .send()
            .await
            .map_err(|err| {
                let modeled = err
                    .as_service_error()
                    .is_some_and(|e| e.is_limit_exceeded_exception() || e.is_internal_failure_exception());
                provider_error(&format!("checking job {}", request.job_name), err, modeled)
            })?;
        let job = out
            .transcription_job()
            .ok_or_else(|| permanent(format!("job {} was not described", request.job_name)))?;
        match job.transcription_job_status() {
            Some(TranscriptionJobStatus::Queued) | Some(TranscriptionJobStatus::InProgress) => {
                Ok(TranscriptionState::InProgress)
            }
            Some(TranscriptionJobStatus::Completed) => {
                let uri = job.transcript().and_then(|t| t.transcript_file_uri());
                self.read_output(request, uri).await
            }
            Some(TranscriptionJobStatus::Failed) => Ok(TranscriptionState::Failed(
                job.failure_reason()
                    .unwrap_or("Amazon Transcribe gave no reason")
                    .to_string(),
            )),
            other => Err(permanent(format!(
                "job {} has an unknown status {:?}",
                request.job_name,
                other.map(|s| s.as_str())
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_transcribe::operation::get_transcription_job::{GetTranscriptionJobError, GetTranscriptionJobOutput};
    use aws_sdk_transcribe::operation::start_transcription_job::{
        StartTranscriptionJobError, StartTranscriptionJobOutput,
    };
    use aws_sdk_transcribe::types::error::{BadRequestException, ConflictException, LimitExceededException};
    use aws_sdk_transcribe::types::{Transcript as AwsTranscript, TranscriptionJob};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use interview_core::domain::{InterviewId, RunId};
    use interview_embedded::fs::FsBlobStore;

    const OUTPUT: &str = include_str!("../../transcript/tests/fixtures/transcribe-two-speakers.json");

    fn request() -> TranscriptionRequest {
        let id = InterviewId::for_object("local", "uploads/acme/call.wav");
        let run_id = RunId::new(&id, 1);
        TranscriptionRequest {
            job_name: run_id.to_string(),
            interview_id: id,
            run_id,
            media_key: "uploads/acme/call.wav".into(),
            media_format: "audio/wav".into(),
        }
    }

    fn store() -> (tempfile::TempDir, Arc<dyn BlobStore>) {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobStore::new(dir.path(), "media-bucket").unwrap();
        (dir, Arc::new(blobs))
    }

    fn job(status: TranscriptionJobStatus) -> TranscriptionJob {
        job_with(status).build()
    }

    fn job_with(status: TranscriptionJobStatus) -> aws_sdk_transcribe::types::builders::TranscriptionJobBuilder {
        TranscriptionJob::builder()
            .transcription_job_name(request().job_name)
            .transcription_job_status(status)
    }

    fn described(job: TranscriptionJob) -> GetTranscriptionJobOutput {
        GetTranscriptionJobOutput::builder().transcription_job(job).build()
    }

    #[test]
    fn output_keys_and_uris() {
        let req = request();
        let key = AmazonTranscriber::output_key(&req);
        assert_eq!(
            key,
            format!("results/{}/transcribe/{}.json", req.interview_id, req.job_name)
        );
        for uri in [
            format!("s3://media-bucket/{key}"),
            format!("https://s3.us-east-1.amazonaws.com/media-bucket/{key}"),
            format!("https://media-bucket.s3.us-east-1.amazonaws.com/{key}"),
            format!("http://127.0.0.1:5000/media-bucket/{key}?X-Amz-Signature=abc"),
        ] {
            assert_eq!(
                key_from_uri(&uri, "media-bucket").as_deref(),
                Some(key.as_str()),
                "{uri}"
            );
        }
        assert_eq!(
            key_from_uri("https://s3.amazonaws.com/other/x.json", "media-bucket"),
            None
        );
        assert_eq!(
            key_from_uri("s3://media-bucket/results/a%20b.json", "media-bucket").as_deref(),
            Some("results/a b.json")
        );
        assert_eq!(media_format("audio/wav"), Some(AwsMediaFormat::Wav));
        assert_eq!(media_format("audio/mp4"), Some(AwsMediaFormat::M4A));
        assert_eq!(media_format("video/webm"), Some(AwsMediaFormat::Webm));
        assert_eq!(media_format("application/octet-stream"), None);
    }

    #[tokio::test]
    async fn start_asks_for_speaker_labels_and_writes_under_the_results_prefix() {
        let (_dir, blobs) = store();
        let req = request();
        let name = req.job_name.clone();
        let out_key = AmazonTranscriber::output_key(&req);
        let started = mock!(Client::start_transcription_job)
            .match_requests(move |r| {
                let settings = r.settings().unwrap();
                r.transcription_job_name() == Some(name.as_str())
                    && r.media().and_then(|m| m.media_file_uri()) == Some("s3://media-bucket/uploads/acme/call.wav")
                    && r.media_format() == Some(&AwsMediaFormat::Wav)
                    && r.output_bucket_name() == Some("media-bucket")
                    && r.output_key() == Some(out_key.as_str())
                    && r.language_code() == Some(&LanguageCode::EnUs)
                    && settings.show_speaker_labels() == Some(true)
                    && settings.max_speaker_labels() == Some(3)
                    // No data-access role configured: no deferred execution, Transcribe refuses
                    // a job over the quota (and we retry), as before.
                    && r.job_execution_settings().is_none()
            })
            .then_output(|| {
                StartTranscriptionJobOutput::builder()
                    .transcription_job(job(TranscriptionJobStatus::InProgress))
                    .build()
            });
        let client = mock_client!(aws_sdk_transcribe, [&started]);
        let options = TranscribeOptions {
            language: Some("en-US".into()),
            max_speakers: 3,
            data_access_role_arn: None,
        };
        let t = AmazonTranscriber::new(client, blobs, options);
        assert!(matches!(t.start(&req).await.unwrap(), TranscriptionState::InProgress));
        assert_eq!(started.num_calls(), 1);
    }

    #[tokio::test]
    async fn with_a_data_access_role_jobs_over_the_quota_wait_in_transcribes_queue() {
        const ROLE: &str = "arn:aws:iam::123456789012:role/interviews-TranscribeDataAccessRole";
        let (_dir, blobs) = store();
        let req = request();
        let key = AmazonTranscriber::output_key(&req);
        blobs.put(&key, OUTPUT.into(), "application/json").await.unwrap();
        let name = req.job_name.clone();
        let started = mock!(Client::start_transcription_job)
            .match_requests(move |r| {
                let execution = r.job_execution_settings();
                r.transcription_job_name() == Some(name.as_str())
                    && r.settings().and_then(|s| s.show_speaker_labels()) == Some(true)
                    && execution.and_then(|e| e.allow_deferred_execution()) == Some(true)
                    && execution.and_then(|e| e.data_access_role_arn()) == Some(ROLE)
            })
            // Over the quota, Transcribe accepts the job and reports it queued.
            .then_output(|| {
                StartTranscriptionJobOutput::builder()
                    .transcription_job(job(TranscriptionJobStatus::Queued))
                    .build()
            });
        let queued = mock!(Client::get_transcription_job)
            .sequence()
            .output(|| described(job(TranscriptionJobStatus::Queued)))
            .times(2)
            .build();
        let done = mock!(Client::get_transcription_job).then_output(move || {
            described(
                job_with(TranscriptionJobStatus::Completed)
                    .transcript(
                        AwsTranscript::builder()
                            .transcript_file_uri(format!("s3://media-bucket/{key}"))
                            .build(),
                    )
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_transcribe, RuleMode::Sequential, [&started, &queued, &done]);
        let options = TranscribeOptions {
            data_access_role_arn: Some(ROLE.into()),
            ..TranscribeOptions::default()
        };
        let t = AmazonTranscriber::new(client, blobs, options);
        assert!(matches!(t.start(&req).await.unwrap(), TranscriptionState::InProgress));
        assert_eq!(
            started.num_calls(),
            1,
            "the request did not carry the deferred-execution settings"
        );
        assert!(matches!(t.check(&req).await.unwrap(), TranscriptionState::InProgress));
        assert!(matches!(t.check(&req).await.unwrap(), TranscriptionState::InProgress));
        match t.check(&req).await.unwrap() {
            TranscriptionState::Completed(transcript) => assert_eq!(transcript.speakers().len(), 2),
            other => panic!("expected Completed, got {other:?}"),
        }
        assert_eq!((queued.num_calls(), done.num_calls()), (2, 1));
    }

    #[tokio::test]
    async fn without_a_language_transcribe_identifies_it() {
        let (_dir, blobs) = store();
        let started = mock!(Client::start_transcription_job)
            .match_requests(|r| r.identify_language() == Some(true) && r.language_code().is_none())
            .then_output(|| StartTranscriptionJobOutput::builder().build());
        let client = mock_client!(aws_sdk_transcribe, [&started]);
        let options = TranscribeOptions {
            language: None,
            max_speakers: 2,
            data_access_role_arn: None,
        };
        AmazonTranscriber::new(client, blobs, options)
            .start(&request())
            .await
            .unwrap();
        assert_eq!(started.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_conflict_on_our_own_job_name_means_it_is_already_running() {
        let (_dir, blobs) = store();
        let conflict = mock!(Client::start_transcription_job).then_error(|| {
            StartTranscriptionJobError::ConflictException(
                ConflictException::builder()
                    .message("The requested job name already exists. Use a different job name.")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_transcribe, [&conflict]);
        let t = AmazonTranscriber::new(client, blobs, TranscribeOptions::default());
        assert!(matches!(
            t.start(&request()).await.unwrap(),
            TranscriptionState::InProgress
        ));
    }

    #[tokio::test]
    async fn queued_and_in_progress_are_in_progress_then_completed_reads_the_output() {
        let (_dir, blobs) = store();
        let req = request();
        let key = AmazonTranscriber::output_key(&req);
        blobs.put(&key, OUTPUT.into(), "application/json").await.unwrap();
        let uri = format!("https://s3.us-east-1.amazonaws.com/media-bucket/{key}");
        let queued =
            mock!(Client::get_transcription_job).then_output(|| described(job(TranscriptionJobStatus::Queued)));
        let running =
            mock!(Client::get_transcription_job).then_output(|| described(job(TranscriptionJobStatus::InProgress)));
        let done = mock!(Client::get_transcription_job).then_output(move || {
            described(
                job_with(TranscriptionJobStatus::Completed)
                    .transcript(AwsTranscript::builder().transcript_file_uri(&uri).build())
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_transcribe, RuleMode::Sequential, [&queued, &running, &done]);
        let t = AmazonTranscriber::new(client, blobs, TranscribeOptions::default());
        assert!(matches!(t.check(&req).await.unwrap(), TranscriptionState::InProgress));
        assert!(matches!(t.check(&req).await.unwrap(), TranscriptionState::InProgress));
        match t.check(&req).await.unwrap() {
            TranscriptionState::Completed(transcript) => {
                assert_eq!(transcript.source_format, TranscriptFormat::AmazonTranscribe);
                assert_eq!(transcript.speakers().len(), 2, "{:?}", transcript.speakers());
                assert!(transcript.word_count() > 20);
            }
            other => panic!("expected Completed, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn completed_without_a_uri_reads_the_expected_key_and_a_missing_output_is_permanent() {
        let (_dir, blobs) = store();
        let req = request();
        let done = mock!(Client::get_transcription_job)
            .sequence()
            .output(|| described(job(TranscriptionJobStatus::Completed)))
            .times(2)
            .build();
        let client = mock_client!(aws_sdk_transcribe, RuleMode::MatchAny, [&done]);
        let t = AmazonTranscriber::new(client, blobs.clone(), TranscribeOptions::default());
        let err = t.check(&req).await.unwrap_err();
        assert!(
            matches!(&err, ProviderError::Permanent { message, .. } if message.contains("transcribe/")),
            "{err:?}"
        );
        blobs
            .put(&AmazonTranscriber::output_key(&req), OUTPUT.into(), "application/json")
            .await
            .unwrap();
        assert!(matches!(t.check(&req).await.unwrap(), TranscriptionState::Completed(_)));
    }

    #[tokio::test]
    async fn a_job_without_speech_completes_with_an_empty_transcript() {
        let (_dir, blobs) = store();
        let req = request();
        let empty = r#"{"jobName":"x","results":{"transcripts":[{"transcript":""}],"items":[]},"status":"COMPLETED"}"#;
        blobs
            .put(&AmazonTranscriber::output_key(&req), empty.into(), "application/json")
            .await
            .unwrap();
        let done =
            mock!(Client::get_transcription_job).then_output(|| described(job(TranscriptionJobStatus::Completed)));
        let client = mock_client!(aws_sdk_transcribe, [&done]);
        let t = AmazonTranscriber::new(client, blobs, TranscribeOptions::default());
        match t.check(&req).await.unwrap() {
            TranscriptionState::Completed(transcript) => {
                assert_eq!(transcript.word_count(), 0);
                assert!(!transcript.notes.is_empty());
            }
            other => panic!("expected an empty transcript, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_failed_job_reports_transcribes_reason() {
        let (_dir, blobs) = store();
        let failed = mock!(Client::get_transcription_job).then_output(|| {
            described(
                job_with(TranscriptionJobStatus::Failed)
                    .failure_reason("The media format that you specified doesn't match the detected media format.")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_transcribe, [&failed]);
        let t = AmazonTranscriber::new(client, blobs, TranscribeOptions::default());
        match t.check(&request()).await.unwrap() {
            TranscriptionState::Failed(reason) => assert!(reason.contains("media format"), "{reason}"),
            other => panic!("expected Failed, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn throttling_and_5xx_are_transient_and_bad_requests_are_permanent() {
        let (_dir, blobs) = store();
        let throttled = mock!(Client::start_transcription_job).then_error(|| {
            StartTranscriptionJobError::LimitExceededException(
                LimitExceededException::builder().message("Rate exceeded").build(),
            )
        });
        let client = mock_client!(aws_sdk_transcribe, [&throttled]);
        let err = AmazonTranscriber::new(client, blobs.clone(), TranscribeOptions::default())
            .start(&request())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ProviderError::Transient { message, .. } if message.contains("Rate exceeded")),
            "{err:?}"
        );

        let throttled_http = mock!(Client::get_transcription_job)
            .sequence()
            .http_status(
                400,
                Some(r#"{"__type":"ThrottlingException","message":"slow down"}"#.to_string()),
            )
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_transcribe, RuleMode::MatchAny, [&throttled_http]);
        let err = AmazonTranscriber::new(client, blobs.clone(), TranscribeOptions::default())
            .check(&request())
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Transient { .. }), "{err:?}");

        let broken = mock!(Client::get_transcription_job)
            .sequence()
            .http_status(503, None)
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_transcribe, RuleMode::MatchAny, [&broken]);
        let err = AmazonTranscriber::new(client, blobs.clone(), TranscribeOptions::default())
            .check(&request())
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Transient { .. }), "{err:?}");

        let bad = mock!(Client::get_transcription_job).then_error(|| {
            GetTranscriptionJobError::BadRequestException(
                BadRequestException::builder()
                    .message("The requested job couldn't be found.")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_transcribe, [&bad]);
        let err = AmazonTranscriber::new(client, blobs, TranscribeOptions::default())
            .check(&request())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ProviderError::Permanent { message, .. } if message.contains("couldn't be found")),
            "{err:?}"
        );
    }
}
