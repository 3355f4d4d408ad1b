//! What keeps the embedded pipeline's promise while `process`, `watch` (and `serve`) run: runs a
//! stopped process left mid-way are resumed, this process's runs stay claimed, and the sweeper
//! runs on the stack's schedule, so no interview is left `processing` by a process that died.

use interview_core::domain::{InterviewId, RunId};
use interview_embedded::local::{LeaseKeeper, LocalOrchestrator};
use interview_handlers::sweeper::sweep;
use interview_handlers::Pipeline;
use std::time::Duration;

/// How often the sweeper runs: the stack's EventBridge schedule, `rate(5 minutes)`.
pub const SWEEP_PERIOD: Duration = interview_core::config::SWEEP_INTERVAL;

/// Held while the command runs; dropping it stops the background work.
pub struct LocalRuns {
    _leases: LeaseKeeper,
    sweeper: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for LocalRuns {
    fn drop(&mut self) {
        if let Some(sweeper) = self.sweeper.take() {
            sweeper.abort();
        }
    }
}

/// Resumes the runs whose process stopped, says so, and keeps this process's leases; returns
/// the interviews of the resumed runs, for the command to wait on.
pub async fn take_charge(pipeline: &Pipeline, orchestrator: &LocalOrchestrator) -> (LocalRuns, Vec<InterviewId>) {
    let resumed = match orchestrator.resume_orphans().await {
        Ok(names) => names,
        Err(e) => {
            eprintln!("could not look for interviews a stopped process left mid-way: {e}");
            Vec::new()
        }
    };
    let ids: Vec<InterviewId> = resumed
        .iter()
        .filter_map(|name| RunId::parse(name).ok())
        .map(|run| run.interview_id())
        .collect();
    if !ids.is_empty() {
        eprintln!(
            "resumed {} interview(s) a stopped process left mid-way: {}",
            ids.len(),
            ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        );
    }
    let leases = orchestrator.keep_leases(pipeline.settings.local_lease);
    (
        LocalRuns {
            _leases: leases,
            sweeper: None,
        },
        ids,
    )
}

/// One sweep, as the scheduled sweeper does: ends live interviews whose heartbeat is older
/// than their step allows. `watch` and `serve` sweep once before resuming anything, so an
/// interview a process abandoned long ago ends `error`/`stale` (and can be retried) rather than
/// being resumed into a state nobody expects.
pub async fn sweep_once(pipeline: &Pipeline) {
    match sweep(pipeline, false).await {
        Ok(report) if report.marked_stale > 0 => eprintln!(
            "the sweeper ended {} interview(s) that stopped making progress: {}",
            report.marked_stale,
            report.stale_ids.join(", ")
        ),
        Ok(_) => {}
        Err(e) => eprintln!("the sweep failed (it runs again in 5 minutes): {e}"),
    }
}

/// Queues a report rebuild for every project that may have changed while no process was
/// watching; projects whose report is current cost one listing each.
pub async fn catch_up_reports(reports: &interview_reports::Coalescer, pipeline: &Pipeline) {
    if let Err(e) = reports.catch_up(pipeline).await {
        eprintln!("could not check the project reports (they are rebuilt on the next change): {e}");
    }
}

impl LocalRuns {
    /// Runs the sweeper every [`SWEEP_PERIOD`] while the command runs (`watch`, `serve`).
    pub fn sweep_on_schedule(&mut self, pipeline: &Pipeline) {
        let pipeline = pipeline.clone();
        self.sweeper = Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + SWEEP_PERIOD, SWEEP_PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                sweep_once(&pipeline).await;
            }
        }));
    }
}
