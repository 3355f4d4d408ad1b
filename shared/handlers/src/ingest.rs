//! The ingest function: S3 event notifications (through SQS) become interview items and runs.
//!
//! The item decides whether there is a run, not the event stream: a conditional write claims
//! the run (a new ETag means a new run; the same ETag is a duplicate), then the execution is
//! started with the run id as its name. If ingest dies between the two, the redelivered message
//! finds the item `queued` with that run and starts the same execution name again.

use crate::config::TranscriberChoice;
use crate::domain::update::{update_item, Change};
use crate::domain::{ErrorKind, Interview, InterviewId, ItemError, RunId, Source, SourceKind, Status, Step};
use crate::error::{StoreError, TaskError};
use crate::media::{sniff, Sniffed, SNIFF_BYTES, TRANSCRIBE_MAX_BYTES};
use crate::s3_event::{
    parse_notification, sequencer_is_later, MalformedEvent, Notification, ObjectChange, ObjectEvent,
};
use crate::Pipeline;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use tracing::Instrument;

/// The folder users drop files into; events for other keys are ignored.
pub const UPLOADS_PREFIX: &str = "uploads/";

/// What ingest did with one object event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// A new run was claimed and its execution started.
    Started {
        /// The interview.
        interview_id: InterviewId,
        /// The new run.
        run_id: RunId,
    },
    /// The same upload again while its run is queued: the same execution was (re)started.
    Resumed {
        /// The interview.
        interview_id: InterviewId,
        /// The run that was already claimed.
        run_id: RunId,
    },
    /// The same upload again: nothing to do.
    Duplicate {
        /// The interview.
        interview_id: InterviewId,
    },
    /// The upload is unusable: the item records an input error and no execution starts.
    Rejected {
        /// The interview.
        interview_id: InterviewId,
        /// Why.
        message: String,
    },
    /// The upload was removed: the item is marked deleted and its results removed.
    Deleted {
        /// The interview.
        interview_id: InterviewId,
    },
    /// The event does not concern an interview (outside `uploads/`, a folder marker, an older event).
    Ignored {
        /// Why.
        reason: String,
    },
}

/// The Lambda entry point: one SQS batch. Each message succeeds or fails on its own, so one
/// bad message never makes its neighbours retry (`ReportBatchItemFailures`).
pub async fn handle_sqs(pipeline: &Pipeline, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let result = match message.body.as_deref() {
            Some(body) => handle_message(pipeline, body).await.map(|_| ()),
            None => Err(TaskError::Input("the SQS message has no body".into())),
        };
        if let Err(err) = result {
            tracing::warn!(message_id = %id, error = %err, kind = err.name(), "message failed; SQS will redeliver it and, after the redrive limit, move it to the dead-letter queue");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Handles one message body: an S3 event notification. A malformed body is an error (it goes
/// to the batch failures and, after the redrive limit, the dead-letter queue) and writes nothing.
pub async fn handle_message(pipeline: &Pipeline, body: &str) -> Result<Vec<IngestOutcome>, TaskError> {
    let notification = parse_notification(body)
        .map_err(|MalformedEvent(m)| TaskError::Input(format!("malformed S3 event notification: {m}")))?;
    let events = match notification {
        Notification::Test => {
            tracing::info!("ignoring S3's test event");
            return Ok(vec![IngestOutcome::Ignored {
                reason: "s3:TestEvent".into(),
            }]);
        }
        Notification::Objects(events) => events,
    };
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        outcomes.push(ingest_object(pipeline, event).await?);
    }
    Ok(outcomes)
}

/// Handles one object event.
pub async fn ingest_object(pipeline: &Pipeline, event: ObjectEvent) -> Result<IngestOutcome, TaskError> {
    if !event.key.starts_with(UPLOADS_PREFIX) || event.key.ends_with('/') {
        return Ok(IngestOutcome::Ignored {
            reason: format!("`{}` is not a file under {UPLOADS_PREFIX}", event.key),
        });
    }
    let id = InterviewId::for_object(&event.bucket, &event.key);
    let span = tracing::warn_span!("ingest", interview_id = %id, key = %event.key);
    async move {
        let outcome = match event.change {
            ObjectChange::Created => created(pipeline, &id, &event).await?,
            ObjectChange::Removed => removed(pipeline, &id, &event).await?,
        };
        tracing::info!(outcome = ?outcome, "ingested");
        Ok(outcome)
    }
    .instrument(span)
    .await
}

/// The execution input every run starts with.
pub fn execution_input(item: &Interview) -> serde_json::Value {
    serde_json::json!({ "interview_id": item.id, "run_id": item.run_id })
}

async fn created(pipeline: &Pipeline, id: &InterviewId, event: &ObjectEvent) -> Result<IngestOutcome, TaskError> {
    let etag = match (&event.etag, pipeline.blobs.head(&event.key).await?) {
        (Some(etag), _) => etag.clone(),
        (None, Some(meta)) => meta.etag,
        (None, None) => {
            return Ok(IngestOutcome::Ignored {
                reason: "the object is already gone".into(),
            })
        }
    };
    loop {
        let existing = pipeline.store.get(id).await?;
        if let Some(item) = &existing {
            if item.source.etag == etag && item.status != Status::Deleted {
                return duplicate(pipeline, item).await;
            }
            if let (Some(new), Some(old)) = (&event.sequencer, &item.source.sequencer) {
                if !sequencer_is_later(new, old) {
                    return Ok(IngestOutcome::Ignored {
                        reason: "an older event for a key that has a newer upload".into(),
                    });
                }
            }
        }
        let (source, rejection) = classify(pipeline, event, &etag).await?;
        let now = pipeline.now();
        let claimed = match &existing {
            None => {
                let mut item = Interview::new_queued(source, now);
                match &rejection {
                    Some(message) => reject(&mut item, message, now),
                    None => item.execution_arn = Some(pipeline.orchestrator.execution_arn(&item.run_id)),
                }
                match pipeline.store.create(&item).await {
                    Ok(()) => item,
                    Err(StoreError::AlreadyExists(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Some(old) => {
                let mut changed = false;
                let result = update_item(
                    pipeline.store.as_ref(),
                    id,
                    None,
                    || pipeline.now(),
                    |item| {
                        changed = item.version != old.version;
                        if changed {
                            return Err(TaskError::Transient("item changed while ingesting".into()));
                        }
                        new_run(item, source.clone(), now);
                        match &rejection {
                            Some(message) => reject(item, message, now),
                            None => item.execution_arn = Some(pipeline.orchestrator.execution_arn(&item.run_id)),
                        }
                        Ok(Change::Write)
                    },
                )
                .await;
                match result {
                    Ok(item) => {
                        stop_previous(pipeline, old).await;
                        item
                    }
                    // Someone else changed the item: decide again from what is there now. Any
                    // other transient error (a throttled table) goes back to SQS, whose
                    // redelivery is the backoff; re-trying here at once would hammer the table.
                    Err(TaskError::Transient(_)) if changed => continue,
                    Err(e) => return Err(e),
                }
            }
        };
        if let Some(message) = rejection {
            return Ok(IngestOutcome::Rejected {
                interview_id: claimed.id,
                message,
            });
        }
        pipeline
            .orchestrator
            .start(&claimed.run_id, &execution_input(&claimed))
            .await?;
        return Ok(IngestOutcome::Started {
            interview_id: claimed.id,
            run_id: claimed.run_id,
        });
    }
}

async fn duplicate(pipeline: &Pipeline, item: &Interview) -> Result<IngestOutcome, TaskError> {
    if item.status == Status::Queued {
        pipeline
            .orchestrator
            .start(&item.run_id, &execution_input(item))
            .await?;
        return Ok(IngestOutcome::Resumed {
            interview_id: item.id.clone(),
            run_id: item.run_id.clone(),
        });
    }
    Ok(IngestOutcome::Duplicate {
        interview_id: item.id.clone(),
    })
}

/// Resets the item for a new run of a new upload: every artifact of the old content is void,
/// and so are the speaker assignments (the new transcript's `spk_0` may be someone else).
fn new_run(item: &mut Interview, source: Source, now: chrono::DateTime<chrono::Utc>) {
    item.begin_next_run();
    item.artifacts = Default::default();
    item.speakers.clear();
    item.interviewer_guess.clear();
    item.warnings.clear();
    item.counts = Default::default();
    item.source = source;
    item.updated_at = now;
}

fn reject(item: &mut Interview, message: &str, now: chrono::DateTime<chrono::Utc>) {
    item.status = Status::Error;
    item.error = Some(ItemError {
        step: Step::Transcribe,
        kind: ErrorKind::Input,
        message: message.to_string(),
        at: now,
        retryable: false,
        excerpt: None,
    });
}

async fn stop_previous(pipeline: &Pipeline, old: &Interview) {
    if old.is_live() {
        if let Some(arn) = &old.execution_arn {
            if let Err(e) = pipeline
                .orchestrator
                .stop(arn, "Superseded", "a newer upload replaced this one")
                .await
            {
                tracing::warn!(error = %e, "could not stop the superseded execution; fencing keeps it from writing");
            }
        }
    }
}

/// Human-readable size.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

const SUPPORTED: &str = "recordings (wav, mp3, m4a, flac, ogg, webm, mp4) or transcripts (.vtt, .srt, .txt with \
                         `Speaker: text` lines, Amazon Transcribe .json, transcript.json)";

/// Works out what the upload is from its real bytes; returns the source and, for unusable
/// uploads, the input error to record.
async fn classify(pipeline: &Pipeline, event: &ObjectEvent, etag: &str) -> Result<(Source, Option<String>), TaskError> {
    let head = pipeline.blobs.head(&event.key).await?;
    let size = head.as_ref().map(|m| m.size).or(event.size).unwrap_or(0);
    let mut source = Source {
        bucket: event.bucket.clone(),
        key: event.key.clone(),
        etag: etag.to_string(),
        size,
        content_type: head.and_then(|m| m.content_type),
        kind: SourceKind::Unknown,
        sequencer: event.sequencer.clone(),
    };
    let limit = pipeline.settings.max_upload_bytes;
    if size == 0 {
        return Ok((
            source,
            Some("the file is empty (0 bytes); upload the recording or transcript again".into()),
        ));
    }
    if size > limit {
        return Ok((
            source,
            Some(format!(
                "the file is {} ({size} bytes), over the {} limit; split the recording into parts, or raise MAX_UPLOAD_BYTES",
                human_bytes(size),
                human_bytes(limit)
            )),
        ));
    }
    let amazon = pipeline.settings.transcriber == TranscriberChoice::AmazonTranscribe;
    if amazon && size > TRANSCRIBE_MAX_BYTES {
        return Ok((
            source,
            Some(format!(
                "the file is {} ({size} bytes); Amazon Transcribe takes media files of at most {}. Split the \
                 recording into parts, or compress it (e.g. to MP3 or M4A)",
                human_bytes(size),
                human_bytes(TRANSCRIBE_MAX_BYTES)
            )),
        ));
    }
    let prefix = match pipeline.blobs.get_prefix(&event.key, SNIFF_BYTES.min(size)).await {
        Ok(p) => p,
        Err(crate::error::BlobError::NotFound(_)) => {
            return Ok((
                source,
                Some("the file was removed before it could be read; upload it again".into()),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let rejection = match sniff(&prefix[..prefix.len().min(SNIFF_BYTES as usize)]) {
        Sniffed::Media(format) => {
            source.kind = if format.is_video() {
                SourceKind::Video
            } else {
                SourceKind::Audio
            };
            source.content_type = Some(format.mime_type().to_string());
            // The headers are probed in the transcribe step, one interview per invocation:
            // a hostile header must never take down this batch's other uploads.
            None
        }
        Sniffed::Text => {
            source.kind = SourceKind::Transcript;
            None
        }
        Sniffed::Unknown(what) => Some(format!(
            "this file is not something the pipeline can read: it looks like {what}. Upload {SUPPORTED}"
        )),
    };
    Ok((source, rejection))
}

async fn removed(pipeline: &Pipeline, id: &InterviewId, event: &ObjectEvent) -> Result<IngestOutcome, TaskError> {
    let Some(existing) = pipeline.store.get(id).await? else {
        return Ok(IngestOutcome::Ignored {
            reason: "no interview for that upload".into(),
        });
    };
    if pipeline.blobs.head(&event.key).await?.is_some() {
        // With versioning, deleting an old version also sends ObjectRemoved; the upload is still there.
        return Ok(IngestOutcome::Ignored {
            reason: "the upload still exists (an older version was removed)".into(),
        });
    }
    if let (Some(new), Some(old)) = (&event.sequencer, &existing.source.sequencer) {
        if !sequencer_is_later(new, old) {
            return Ok(IngestOutcome::Ignored {
                reason: "a removal older than the current upload".into(),
            });
        }
    }
    if existing.status != Status::Deleted {
        let now = pipeline.now();
        update_item(
            pipeline.store.as_ref(),
            id,
            None,
            || pipeline.now(),
            |item| {
                if item.status == Status::Deleted {
                    return Ok(Change::Skip);
                }
                item.status = Status::Deleted;
                // The results are removed below; the item must not point at them.
                item.artifacts = Default::default();
                // Content must disappear with the interview; the note below replaces any
                // earlier one.
                item.forget_content();
                item.note = Some(format!(
                    "the upload was removed at {}; its results were deleted",
                    now.to_rfc3339()
                ));
                if let Some(seq) = &event.sequencer {
                    item.source.sequencer = Some(seq.clone());
                }
                Ok(Change::Write)
            },
        )
        .await?;
        stop_previous(pipeline, &existing).await;
    }
    for key in pipeline.blobs.list(&id.results_prefix()).await? {
        pipeline.blobs.delete(&key).await?;
    }
    Ok(IngestOutcome::Deleted {
        interview_id: id.clone(),
    })
}
