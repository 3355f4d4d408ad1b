//! The analyze task: themes, insights, persona signals and a summary; the last step, after
//! which the interview is `ready`.

use super::{
    begin_step, finish_step, finish_with_artifact, interview_span, read_artifact, reusable, write_artifact, Begun,
    StepOutput, TaskInput,
};
use crate::analysis::{validate_analysis, EvidenceDoc, ModelUsage};
use crate::domain::{ArtifactName, Step};
use crate::error::TaskError;
use crate::progress::ItemProgress;
use crate::services::Services;
use crate::transcript::Transcript;
use crate::Deadline;
use tracing::Instrument;

/// Runs the analyze step for one run of one interview.
pub async fn handle(services: &Services, input: TaskInput, deadline: Deadline) -> Result<StepOutput, TaskError> {
    let span = interview_span("analyze", &input);
    async move {
        deadline.check_time_to_start()?;
        let item = match begin_step(services, &input, Step::Analyze).await? {
            Begun::Fresh(item) => item,
            Begun::AlreadyDone(item) => {
                return Ok(StepOutput {
                    step: Step::Analyze,
                    reused: true,
                    count: u64::from(item.counts.themes),
                });
            }
        };
        if reusable(services, &item, ArtifactName::Analysis).await? {
            tracing::info!("analysis.json from an earlier run is still valid; reusing it");
            let count = u64::from(item.counts.themes);
            finish_step(services, &input, Step::Analyze, true, |_| {}).await?;
            return Ok(StepOutput {
                step: Step::Analyze,
                reused: true,
                count,
            });
        }
        let transcript = read_artifact::<Transcript>(services, &item, ArtifactName::Transcript)
            .await?
            .with_speakers(&item.speakers);
        let evidence: EvidenceDoc = read_artifact(services, &item, ArtifactName::Evidence).await?;
        let progress = ItemProgress::new(services, &input, Step::Analyze);
        let analysis = services
            .analyzer
            .analyze_reporting(&transcript, &evidence, &progress)
            .await?;
        validate_analysis(&evidence, &analysis).map_err(|e| {
            TaskError::Provider(format!(
                "the analyzer `{}` produced an analysis that failed validation: {e}",
                analysis.analyzer
            ))
        })?;
        let key = write_artifact(services, &item, ArtifactName::Analysis, &analysis).await?;
        let themes = analysis.themes.len() as u32;
        let usage = ModelUsage::sum([evidence.usage.as_ref(), analysis.usage.as_ref()]);
        finish_with_artifact(services, &input, Step::Analyze, &key, |i| {
            i.artifacts.analysis = Some(key.clone());
            i.counts.themes = themes;
            // The usage behind the two documents the item now points at, read from the
            // documents themselves, so a reused evidence.json is counted once.
            i.model_usage = usage;
        })
        .await?;
        tracing::info!(themes, "analysis written; interview ready");
        Ok(StepOutput {
            step: Step::Analyze,
            reused: false,
            count: u64::from(themes),
        })
    }
    .instrument(span)
    .await
}
