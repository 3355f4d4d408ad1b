//! The sweeper: the last net. Run on a schedule, it reads only live items (through the sparse
//! index) and ends those whose heartbeat is older than their step's threshold, so nothing is
//! ever left "processing".

use crate::domain::update::{update_item, Change};
use crate::domain::{ErrorKind, ItemError, Status};
use crate::error::TaskError;
use crate::Pipeline;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Live items read from the index (older than the smallest threshold).
    pub examined: u64,
    /// Items marked `error` with kind `stale`.
    pub marked_stale: u64,
    /// Items that progressed or ended between the read and the write, left alone.
    pub moved_on: u64,
    /// Executions that could not be stopped (the item is marked anyway; fencing stops the run).
    pub stop_failures: u64,
    /// Ids marked (or that would be, in a dry run).
    pub stale_ids: Vec<String>,
}

/// Runs one sweep. With `dry_run`, reports what it would mark without writing.
pub async fn sweep(pipeline: &Pipeline, dry_run: bool) -> Result<SweepReport, TaskError> {
    let settings = &pipeline.settings;
    let smallest = settings.stale_after.min(settings.stale_after_transcribe);
    let now = pipeline.now();
    let cutoff = now - chrono::Duration::from_std(smallest).unwrap_or_default();
    let candidates = pipeline.store.live_items_updated_before(cutoff).await?;
    let mut report = SweepReport {
        examined: candidates.len() as u64,
        ..Default::default()
    };
    for candidate in candidates {
        let threshold = settings.stale_threshold(candidate.step);
        let is_stale = |item: &crate::domain::Interview| {
            item.is_live() && (now - item.updated_at).to_std().unwrap_or_default() > threshold
        };
        if !is_stale(&candidate) {
            continue;
        }
        if dry_run {
            report.stale_ids.push(candidate.id.to_string());
            continue;
        }
        let span = tracing::warn_span!("sweep", interview_id = %candidate.id, run_id = %candidate.run_id);
        let message = format!(
            "no progress for over {} minutes while {} at {}; the sweeper ended it. Run `interviews retry {}` to resume from that step",
            threshold.as_secs() / 60,
            candidate.status,
            candidate.step,
            candidate.id
        );
        let mut marked = false;
        let result = update_item(
            pipeline.store.as_ref(),
            &candidate.id,
            Some(&candidate.run_id),
            || pipeline.now(),
            |item| {
                marked = false;
                if !is_stale(item) {
                    return Ok(Change::Skip);
                }
                marked = true;
                item.status = Status::Error;
                item.error = Some(ItemError {
                    step: item.step,
                    kind: ErrorKind::Stale,
                    message: message.clone(),
                    at: now,
                    retryable: true,
                    excerpt: None,
                });
                Ok(Change::Write)
            },
        )
        .instrument(span.clone())
        .await;
        match result {
            Ok(item) if marked => {
                report.marked_stale += 1;
                report.stale_ids.push(item.id.to_string());
                let _guard = span.enter();
                tracing::warn!(step = %item.step, "marked stale");
                if let Some(arn) = &item.execution_arn {
                    if let Err(e) = pipeline.orchestrator.stop(arn, "Stale", &message).await {
                        tracing::warn!(error = %e, "could not stop the execution");
                        report.stop_failures += 1;
                    }
                }
            }
            Ok(_) | Err(TaskError::Superseded(_)) => report.moved_on += 1,
            Err(e) => return Err(e),
        }
    }
    tracing::info!(
        examined = report.examined,
        marked_stale = report.marked_stale,
        moved_on = report.moved_on,
        "sweep finished"
    );
    Ok(report)
}

/// The Lambda entry point (an EventBridge scheduled event; its content is not needed). Prints
/// the embedded-metric line to stdout, where Lambda's log capture turns it into metrics.
pub async fn handle(pipeline: &Pipeline, _event: EventBridgeEvent) -> Result<SweepReport, TaskError> {
    let report = sweep(pipeline, false).await?;
    println!("{}", metrics_line(&report, pipeline.now()));
    Ok(report)
}

/// A CloudWatch embedded-metric-format line, so the counts become metrics without API calls.
pub fn metrics_line(report: &SweepReport, now: chrono::DateTime<chrono::Utc>) -> String {
    serde_json::json!({
        "_aws": {
            "Timestamp": now.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": "InterviewPipeline",
                "Dimensions": [[]],
                "Metrics": [
                    { "Name": "LiveItemsExamined", "Unit": "Count" },
                    { "Name": "StaleItemsMarked", "Unit": "Count" },
                    { "Name": "StopExecutionFailures", "Unit": "Count" }
                ]
            }]
        },
        "LiveItemsExamined": report.examined,
        "StaleItemsMarked": report.marked_stale,
        "StopExecutionFailures": report.stop_failures
    })
    .to_string()
}
