//! Progress writes: how a task's long work reaches the item. Each is one fenced update (on the
//! run, and only while the item is processing the step), at most one per
//! [`MIN_WRITE_INTERVAL`] per interview, and doubles as the heartbeat the sweeper reads.

use crate::domain::update::{update_item, Change};
use crate::domain::{Interview, Status, Step};
use crate::error::TaskError;
use crate::services::Services;
use crate::TaskInput;
use async_trait::async_trait;
use interview_core::progress::{ProgressSink, WorkProgress, MIN_WRITE_INTERVAL};

/// The overall progress (0–100) of `step` having done `progress` of its own work: the step's
/// share of the bar runs from its floor up to the next step's.
pub fn overall_progress(step: Step, progress: &WorkProgress) -> u8 {
    let floor = f64::from(step.progress_floor());
    let ceiling = f64::from(step.next().progress_floor());
    // Never reach the next floor while the step is still working.
    let value = floor + (ceiling - floor - 1.0).max(0.0) * progress.fraction();
    value.floor().clamp(floor, ceiling) as u8
}

/// Writes `progress` on the item for `step` of `input`'s run, unless an earlier report of the
/// step was written less than [`MIN_WRITE_INTERVAL`] ago (a fresh enough heartbeat). The
/// progress never goes backwards. Returns whether it wrote.
pub async fn write_progress(
    services: &Services,
    input: &TaskInput,
    step: Step,
    progress: WorkProgress,
) -> Result<bool, TaskError> {
    let now = services.now();
    let interval = chrono::Duration::from_std(MIN_WRITE_INTERVAL).unwrap_or_default();
    let mut wrote = false;
    update_item(
        services.store.as_ref(),
        &input.interview_id,
        Some(&input.run_id),
        || services.now(),
        |item: &mut Interview| {
            wrote = false;
            if item.status != Status::Processing || item.step != step {
                return Err(TaskError::Superseded(format!(
                    "interview {} is {} at {}, not processing {step}; run {} stops here",
                    item.id, item.status, item.step, item.run_id
                )));
            }
            // The step's first report goes out at once (its begin write is no progress write).
            if item.status_detail.is_some() && now - item.updated_at < interval {
                return Ok(Change::Skip);
            }
            item.progress = item.progress.max(overall_progress(step, &progress));
            item.status_detail = Some(progress.detail());
            wrote = true;
            Ok(Change::Write)
        },
    )
    .await?;
    Ok(wrote)
}

/// A [`ProgressSink`] for an engine working on `step` of one run: each report goes through
/// [`write_progress`]. A failed write is logged and the work goes on: the step's own final
/// write is fenced too, and reports the supersession if there is one.
pub struct ItemProgress<'a> {
    services: &'a Services,
    input: &'a TaskInput,
    step: Step,
}

impl<'a> ItemProgress<'a> {
    /// Reports for `step` of `input`'s run.
    pub fn new(services: &'a Services, input: &'a TaskInput, step: Step) -> Self {
        Self { services, input, step }
    }
}

#[async_trait]
impl ProgressSink for ItemProgress<'_> {
    async fn report(&self, progress: WorkProgress) {
        match write_progress(self.services, self.input, self.step, progress).await {
            Ok(wrote) => tracing::debug!(step = %self.step, wrote, "progress"),
            Err(e) => tracing::warn!(step = %self.step, error = %e, "could not record progress"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_fills_its_own_share_of_the_bar() {
        let half = WorkProgress::Transcribing {
            done: 50.0,
            total: 100.0,
        };
        assert_eq!(overall_progress(Step::Transcribe, &half), 24);
        let done = WorkProgress::Transcribing {
            done: 100.0,
            total: 100.0,
        };
        assert_eq!(overall_progress(Step::Transcribe, &done), 49);
        assert_eq!(overall_progress(Step::Transcribe, &WorkProgress::Queued), 0);
        let third = WorkProgress::Analysing { part: 3, of: 6 };
        assert_eq!(overall_progress(Step::Extract, &third), 58);
        assert_eq!(overall_progress(Step::Analyze, &third), 83);
    }
}
