//! The transcribe task: turns the upload into the canonical transcript. A transcript upload is
//! parsed directly; a recording goes to the speech engine, which may finish at once (in-process
//! engines) or be polled by the state machine's Wait → check → Choice loop (Amazon Transcribe).

use super::{
    begin_step, finish_step, finish_with_artifact, interview_span, reusable, write_artifact, Begun, TaskInput,
};
use crate::config::TranscriberChoice;
use crate::domain::update::{update_item, Change};
use crate::domain::{ArtifactName, Interview, SourceKind, Step};
use crate::error::{BlobError, TaskError};
use crate::mark_failed::fail_with_excerpt;
use crate::media::{human_duration, sniff, DurationLimits, ProbeInput, Sniffed, PROBE_BYTES, SNIFF_BYTES};
use crate::ports::{TranscriptionRequest, TranscriptionState};
use crate::progress::overall_progress;
use crate::services::Services;
use crate::transcript::{parse_transcript, Transcript};
use crate::Deadline;
use interview_core::progress::MIN_WRITE_INTERVAL;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

/// Start a job, or check one started earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// First call of the run.
    Start,
    /// A poll after a Wait.
    Check,
}

/// The transcribe task's input (see `infra/statemachine.asl.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscribeInput {
    /// Start or check.
    pub action: Action,
    /// Interview and run.
    #[serde(flatten)]
    pub task: TaskInput,
}

/// Where transcription stands, as the state machine's Choice reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// The transcript is written; go on to extract.
    Completed,
    /// Wait `wait_seconds` and check again.
    InProgress,
}

/// The transcribe task's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscribeOutput {
    /// Completed or in progress.
    pub status: JobStatus,
    /// Seconds the state machine waits before the next check.
    pub wait_seconds: u64,
    /// Whether an earlier run's transcript was reused.
    pub reused: bool,
}

/// Runs one start or check for one run of one interview.
pub async fn handle(
    services: &Services,
    input: TranscribeInput,
    deadline: Deadline,
) -> Result<TranscribeOutput, TaskError> {
    let span = interview_span("transcribe", &input.task);
    async move {
        deadline.check_time_to_start()?;
        match input.action {
            Action::Start => start(services, &input.task).await,
            Action::Check => check(services, &input.task).await,
        }
    }
    .instrument(span)
    .await
}

fn completed(reused: bool) -> TranscribeOutput {
    TranscribeOutput {
        status: JobStatus::Completed,
        wait_seconds: 0,
        reused,
    }
}

/// A provider job name: valid for Amazon Transcribe (`[0-9a-zA-Z._-]`, ≤ 200) and unique per run.
pub fn job_name(item: &Interview) -> String {
    item.run_id.to_string()
}

fn request(item: &Interview) -> TranscriptionRequest {
    TranscriptionRequest {
        interview_id: item.id.clone(),
        run_id: item.run_id.clone(),
        media_key: item.source.key.clone(),
        media_format: item.source.content_type.clone().unwrap_or_default(),
        job_name: job_name(item),
    }
}

async fn start(services: &Services, input: &TaskInput) -> Result<TranscribeOutput, TaskError> {
    let item = match begin_step(services, input, Step::Transcribe).await? {
        Begun::Fresh(item) => item,
        Begun::AlreadyDone(_) => return Ok(completed(true)),
    };
    if reusable(services, &item, ArtifactName::Transcript).await? {
        tracing::info!("transcript.json from an earlier run is still valid; reusing it");
        finish_step(services, input, Step::Transcribe, true, |_| {}).await?;
        return Ok(completed(true));
    }
    match item.source.kind {
        SourceKind::Transcript => {
            let transcript = read_uploaded_transcript(services, input, &item).await?;
            store_transcript(services, input, &item, transcript).await
        }
        SourceKind::Audio | SourceKind::Video => {
            let seconds = intake(services, &item).await?;
            let state = services.transcriber.start(&request(&item)).await?;
            // InProgress also covers a job the provider queued (Amazon Transcribe's deferred
            // execution): it cannot finish sooner than one that started at once, so the
            // duration-based first wait still holds, and the checks after it poll as usual.
            let wait = match state {
                TranscriptionState::InProgress => Some(first_wait_seconds(
                    seconds,
                    services.settings.transcribe_poll_interval.as_secs(),
                )),
                _ => None,
            };
            on_state(services, input, &item, state, wait).await
        }
        SourceKind::Unknown => Err(TaskError::Input(format!(
            "`{}` is not a recording or transcript this pipeline can read",
            item.source.file_name()
        ))),
    }
}

async fn check(services: &Services, input: &TaskInput) -> Result<TranscribeOutput, TaskError> {
    input.check()?;
    let item = services
        .store
        .get(&input.interview_id)
        .await?
        .ok_or_else(|| TaskError::Internal(format!("no item with id {}", input.interview_id)))?;
    if item.run_id != input.run_id {
        return Err(TaskError::Superseded(format!(
            "interview {} moved on to run {}",
            item.id, item.run_id
        )));
    }
    // A check delivered again after this run's transcript was stored (a retried task, a
    // replayed event) answers from the item: the job may be gone, and there is nothing to write.
    if item
        .steps
        .get(&Step::Transcribe)
        .is_some_and(|s| s.finished_at.is_some())
    {
        return Ok(completed(true));
    }
    let started = item
        .steps
        .get(&Step::Transcribe)
        .and_then(|s| s.started_at)
        .unwrap_or(item.updated_at);
    let waited = (services.now() - started).to_std().unwrap_or_default();
    if waited > services.settings.transcribe_max_wait {
        return Err(TaskError::Timeout(format!(
            "speech recognition did not finish within {} minutes (job {}); the provider may be backlogged. \
             Run `interviews retry {}` to try again",
            services.settings.transcribe_max_wait.as_secs() / 60,
            job_name(&item),
            item.id
        )));
    }
    let state = services.transcriber.check(&request(&item)).await?;
    on_state(services, input, &item, state, None).await
}

/// Reads the recording's headers (untrusted bytes, read here, one interview per invocation,
/// not in ingest's batch) and holds its duration against the speech engine's limits: a file
/// that cannot be read or is too short or long ends as an input error before any job starts.
/// Returns the duration in seconds, when the headers tell, for the first wait.
async fn intake(services: &Services, item: &Interview) -> Result<Option<f64>, TaskError> {
    let size = item.source.size;
    let prefix = match services
        .blobs
        .get_prefix(&item.source.key, PROBE_BYTES.min(size.max(1)))
        .await
    {
        Ok(prefix) => prefix,
        Err(BlobError::NotFound(_)) => {
            return Err(TaskError::Input(
                "the file was removed before it could be read; upload it again".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let Sniffed::Media(format) = sniff(&prefix[..prefix.len().min(SNIFF_BYTES as usize)]) else {
        return Err(TaskError::Input(format!(
            "`{}` no longer looks like a recording; upload it again",
            item.source.file_name()
        )));
    };
    let amazon = services.settings.transcriber == TranscriberChoice::AmazonTranscribe;
    let limits = DurationLimits::new(
        services.settings.min_media_seconds,
        services.settings.max_media_seconds,
        amazon,
    );
    let info = services
        .media
        .probe(
            ProbeInput::Prefix {
                bytes: &prefix,
                total: size,
            },
            format,
        )
        .map_err(|problem| TaskError::Input(format!("the recording {problem}")))?;
    tracing::info!(
        format = %format,
        codec = %info.codec,
        duration = ?info.duration,
        source = ?info.duration_source,
        "recording probed"
    );
    limits.check(&info).map_err(TaskError::Input)?;
    Ok(info.duration)
}

/// The recording's duration in seconds, read from its headers; `None` when it cannot be read.
async fn recording_seconds(services: &Services, item: &Interview) -> Option<f64> {
    let size = item.source.size;
    match services
        .blobs
        .get_prefix(&item.source.key, PROBE_BYTES.min(size.max(1)))
        .await
    {
        Ok(prefix) => match sniff(&prefix[..prefix.len().min(SNIFF_BYTES as usize)]) {
            Sniffed::Media(format) => services
                .media
                .probe(
                    ProbeInput::Prefix {
                        bytes: &prefix,
                        total: size,
                    },
                    format,
                )
                .ok()
                .and_then(|info| info.duration),
            _ => None,
        },
        Err(e) => {
            tracing::warn!(error = %e, "could not read the recording's header");
            None
        }
    }
}

async fn on_state(
    services: &Services,
    input: &TaskInput,
    item: &Interview,
    state: TranscriptionState,
    wait: Option<u64>,
) -> Result<TranscribeOutput, TaskError> {
    match state {
        TranscriptionState::Completed(transcript) => store_transcript(services, input, item, transcript).await,
        TranscriptionState::Failed(reason) => Err(TaskError::Provider(format!(
            "speech recognition failed: {reason}. If the recording plays fine, run `interviews retry {}`",
            item.id
        ))),
        TranscriptionState::InProgress => {
            let job = job_name(item);
            let poll = services.settings.transcribe_poll_interval.as_secs().max(1);
            let now = services.now();
            let known = services.transcriber.progress(&request(item));
            let engine = services.transcriber.name().to_string();
            let interval = chrono::Duration::from_std(MIN_WRITE_INTERVAL).unwrap_or_default();
            // Each check is the interview's heartbeat; one write per interval is enough.
            update_item(
                services.store.as_ref(),
                &item.id,
                Some(&input.run_id),
                || services.now(),
                |i| {
                    if i.transcription_job.as_deref() == Some(job.as_str()) && now - i.updated_at < interval {
                        return Ok(Change::Skip);
                    }
                    i.transcription_job = Some(job.clone());
                    let started = i.steps.get(&Step::Transcribe).and_then(|s| s.started_at).unwrap_or(now);
                    match &known {
                        Some(progress) => {
                            i.progress = i.progress.max(overall_progress(Step::Transcribe, progress));
                            i.status_detail = Some(progress.detail());
                        }
                        None => {
                            // The engine does not say how far it is: a minute a point, short of extract's floor.
                            let minutes = (now - started).num_minutes().max(0);
                            i.progress = i.progress.max(minutes.min(45) as u8);
                            i.status_detail = Some(format!("waiting for {engine} ({minutes} min so far)"));
                        }
                    }
                    Ok(Change::Write)
                },
            )
            .await?;
            Ok(TranscribeOutput {
                status: JobStatus::InProgress,
                wait_seconds: wait.unwrap_or(poll),
                reused: false,
            })
        }
    }
}

async fn read_uploaded_transcript(
    services: &Services,
    input: &TaskInput,
    item: &Interview,
) -> Result<Transcript, TaskError> {
    let limit = services.settings.max_transcript_bytes;
    let bytes = services.blobs.get(&item.source.key, limit).await.map_err(|e| match e {
        BlobError::TooLarge { size, limit, .. } => TaskError::Input(format!(
            "the transcript file is {size} bytes, over the {limit}-byte limit for transcripts; split it or raise \
             MAX_TRANSCRIPT_BYTES"
        )),
        BlobError::NotFound(_) => TaskError::Input(format!(
            "the upload `{}` is gone from the bucket; upload it again",
            item.source.key
        )),
        other => other.into(),
    })?;
    match parse_transcript(&bytes, item.source.file_name()) {
        Ok(transcript) => Ok(transcript),
        Err(e) => {
            let error = TaskError::Input(if e.no_text {
                no_words_in_transcript(&e.to_string())
            } else {
                format!("could not read the transcript: {e}. Fix the file and upload it again")
            });
            // The message names the format and the line; the offending text itself goes only
            // to the item's excerpt, never into the execution's cause or a log.
            Err(fail_with_excerpt(services, input, Step::Transcribe, error, e.excerpt.as_deref()).await)
        }
    }
}

/// The input error for a transcript file that holds no words; `what` says what was found.
fn no_words_in_transcript(what: &str) -> String {
    format!(
        "{what}, so there are no words to analyse; check that the right file was uploaded and that it holds \
         the interview's text, then upload it again"
    )
}

/// The input error for an upload with no words (issue 9.4): a recording in which the speech
/// engine found no speech, or a transcript without text. Such an upload ends `error` with kind
/// `input`, never `ready`: a ready interview promises something a researcher can use, and the
/// error puts it where operators look (`interviews list --status error`, the failure report)
/// without an automatic retry, which could not add words.
async fn no_words(services: &Services, item: &Interview, transcript: &Transcript) -> TaskError {
    let message = match item.source.kind {
        SourceKind::Audio | SourceKind::Video => {
            let length = match recording_seconds(services, item).await {
                Some(seconds) if seconds.is_finite() && seconds > 0.0 => {
                    format!(" ({} of audio)", human_duration(seconds))
                }
                _ => String::new(),
            };
            format!(
                "no speech was found in the recording{length}; check that the right file or microphone track was \
                 uploaded, then upload it again"
            )
        }
        SourceKind::Transcript | SourceKind::Unknown => no_words_in_transcript(&format!(
            "{}: the transcript has no words",
            transcript.source_format.label()
        )),
    };
    for note in &transcript.notes {
        tracing::info!(%note, "the transcript has no words");
    }
    TaskError::Input(message)
}

async fn store_transcript(
    services: &Services,
    input: &TaskInput,
    item: &Interview,
    transcript: Transcript,
) -> Result<TranscribeOutput, TaskError> {
    let words = transcript.word_count();
    // Decided before anything is written, so an upload without words leaves no transcript behind.
    if words == 0 {
        return Err(no_words(services, item, &transcript).await);
    }
    let key = write_artifact(services, item, ArtifactName::Transcript, &transcript).await?;
    let speakers = transcript.speakers().len() as u32;
    let warnings: Vec<String> = transcript.warnings.iter().map(ToString::to_string).collect();
    finish_with_artifact(services, input, Step::Transcribe, &key, |i| {
        i.artifacts.transcript = Some(key.clone());
        i.counts.words = words;
        i.counts.speakers = speakers;
        i.warnings = warnings.clone();
    })
    .await?;
    tracing::info!(words, speakers, "transcript written");
    Ok(completed(false))
}

/// Shortest first wait after starting a job, in seconds.
pub const FIRST_WAIT_MIN: u64 = 15;
/// Longest first wait after starting a job, in seconds: every check is the interview's
/// heartbeat, and the stale thresholds count on one at least every two minutes.
pub const FIRST_WAIT_MAX: u64 = 120;
/// Share of the recording's duration to wait before the first check.
pub const FIRST_WAIT_SHARE: f64 = 0.25;

/// Seconds to wait before the first check of a job just started: a quarter of the recording's
/// duration (batch jobs rarely finish faster), within 15 s and 2 min; the poll interval when
/// the duration is unknown.
pub fn first_wait_seconds(media_seconds: Option<f64>, poll_seconds: u64) -> u64 {
    match media_seconds {
        Some(d) if d.is_finite() && d > 0.0 => {
            ((d * FIRST_WAIT_SHARE).round() as u64).clamp(FIRST_WAIT_MIN, FIRST_WAIT_MAX)
        }
        _ => poll_seconds.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_wait_scales_with_the_recording() {
        assert_eq!(first_wait_seconds(Some(10.0), 30), 15);
        assert_eq!(first_wait_seconds(Some(240.0), 30), 60);
        assert_eq!(first_wait_seconds(Some(4.0 * 3600.0), 30), 120);
        assert_eq!(first_wait_seconds(None, 30), 30);
        assert_eq!(first_wait_seconds(Some(f64::NAN), 0), 1);
    }
}
