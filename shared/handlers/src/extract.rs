//! The extract task: finds evidence (verbatim quotes with speaker, time and kind) in the transcript.

use super::mark_failed::fail_with_excerpt;
use super::speakers::interviewer_guess;
use super::{
    begin_step, finish_step, finish_with_artifact, interview_span, read_artifact, reusable, write_artifact, Begun,
    StepOutput, TaskInput,
};
use crate::analysis::validate_evidence;
use crate::domain::{ArtifactName, Step};
use crate::error::TaskError;
use crate::progress::ItemProgress;
use crate::services::Services;
use crate::transcript::Transcript;
use crate::Deadline;
use tracing::Instrument;

/// Runs the extract step for one run of one interview.
pub async fn handle(services: &Services, input: TaskInput, deadline: Deadline) -> Result<StepOutput, TaskError> {
    let span = interview_span("extract", &input);
    async move {
        deadline.check_time_to_start()?;
        let item = match begin_step(services, &input, Step::Extract).await? {
            Begun::Fresh(item) => item,
            Begun::AlreadyDone(item) => {
                return Ok(StepOutput {
                    step: Step::Extract,
                    reused: true,
                    count: u64::from(item.counts.evidence),
                });
            }
        };
        if reusable(services, &item, ArtifactName::Evidence).await? {
            tracing::info!("evidence.json from an earlier run is still valid; reusing it");
            let count = u64::from(item.counts.evidence);
            finish_step(services, &input, Step::Extract, true, |_| {}).await?;
            return Ok(StepOutput {
                step: Step::Extract,
                reused: true,
                count,
            });
        }
        let source: Transcript = read_artifact(services, &item, ArtifactName::Transcript).await?;
        // The names and roles a person gave are applied here, never written into the transcript.
        let transcript = source.with_speakers(&item.speakers);
        let progress = ItemProgress::new(services, &input, Step::Extract);
        let evidence = services.analyzer.extract_reporting(&transcript, &progress).await?;
        if let Err(e) = validate_evidence(&transcript, &evidence) {
            let error = TaskError::Provider(format!(
                "the analyzer `{}` produced evidence that failed validation: {e}",
                evidence.analyzer
            ));
            return Err(fail_with_excerpt(services, &input, Step::Extract, error, e.excerpt()).await);
        }
        let key = write_artifact(services, &item, ArtifactName::Evidence, &evidence).await?;
        let count = evidence.items.len() as u32;
        let guess = interviewer_guess(&source, &transcript, &item.speakers, &evidence);
        finish_with_artifact(services, &input, Step::Extract, &key, |i| {
            i.artifacts.evidence = Some(key.clone());
            i.interviewer_guess.clone_from(&guess);
            i.counts.evidence = count;
            // Extract is the first step that calls a model: its usage replaces whatever an
            // earlier run of this interview recorded, and analyze adds its own.
            i.model_usage = evidence.usage;
        })
        .await?;
        tracing::info!(evidence = count, "extracted evidence");
        Ok(StepOutput {
            step: Step::Extract,
            reused: false,
            count: u64::from(count),
        })
    }
    .instrument(span)
    .await
}
