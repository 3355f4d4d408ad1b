//! Rebuilds in-process, one at a time, after bursts settle.
//!
//! A bulk drop of 500 interviews makes 500 "ready" writes over many minutes. Each only marks
//! its project dirty; a project is rebuilt once it has been quiet for `settle`, or at the
//! latest `max_wait` after it first became dirty, so a steady stream still sees its report
//! refreshed while one rebuild covers every change before it. Rebuilds run one at a time, and a
//! change during a rebuild marks the project dirty again. A failed rebuild is logged, kept in
//! [`Coalescer::status`], and retried with backoff; it never touches an interview.

use crate::rebuild::{rebuild, Rebuilt, ReportError};
use interview_analysis::ProjectSynthesizer;
use interview_core::domain::{project_of_report_key, Status};
use interview_core::ports::ListQuery;
use interview_core::services::Services;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// When a dirty project is rebuilt.
#[derive(Debug, Clone, Copy)]
pub struct CoalescerSettings {
    /// Quiet time after the last change before rebuilding.
    pub settle: Duration,
    /// The longest a change waits for its rebuild while changes keep coming.
    pub max_wait: Duration,
    /// The first retry delay after a failed rebuild (doubling, up to `max_retry`).
    pub first_retry: Duration,
    /// The longest retry delay.
    pub max_retry: Duration,
}

impl Default for CoalescerSettings {
    fn default() -> Self {
        Self {
            settle: Duration::from_secs(2),
            max_wait: Duration::from_secs(60),
            first_retry: Duration::from_secs(5),
            max_retry: Duration::from_secs(600),
        }
    }
}

/// The last outcome for one project, for people asking why a report is old.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebuildStatus {
    /// Changed; a rebuild is due.
    Pending,
    /// The last rebuild worked.
    Current(Rebuilt),
    /// The last rebuild failed; it will be retried.
    Failed {
        /// What failed (no interview content: ids, counts and error categories only).
        error: String,
        /// Failures in a row.
        attempts: u32,
    },
}

#[derive(Debug, Clone, Copy)]
struct Dirty {
    first: Instant,
    last: Instant,
    not_before: Option<Instant>,
    failures: u32,
}

impl Dirty {
    fn due(&self, settings: &CoalescerSettings) -> Instant {
        let settled = (self.last + settings.settle).min(self.first + settings.max_wait);
        self.not_before.map_or(settled, |t| t.max(settled))
    }
}

/// The in-process rebuilder of the embedded backend. Dropping it stops it; [`Coalescer::finish`]
/// first rebuilds what is pending.
pub struct Coalescer {
    notifier: Notifier,
    rebuilds: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Coalescer {
    /// Starts the rebuild loop on the current runtime.
    pub fn spawn(
        services: Arc<Services>,
        synthesizer: Arc<dyn ProjectSynthesizer>,
        settings: CoalescerSettings,
    ) -> Self {
        let (changes, receiver) = mpsc::unbounded_channel();
        let statuses = Arc::new(Mutex::new(BTreeMap::new()));
        let rebuilds = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(run(
            services,
            synthesizer,
            settings,
            receiver,
            statuses.clone(),
            rebuilds.clone(),
        ));
        Self {
            notifier: Notifier { changes, statuses },
            rebuilds,
            task,
        }
    }

    /// Marks `project` changed: its report is rebuilt once the burst settles.
    pub fn changed(&self, project: &str) {
        self.notifier.changed(project);
    }

    /// Marks changed every project that has a ready interview or a stored report, so changes
    /// made while no process was watching (a crash between a write and its rebuild, a deletion
    /// while stopped) are caught up. Each such rebuild that finds its report current stops
    /// after one listing. Returns the projects marked.
    pub async fn catch_up(&self, services: &Services) -> Result<usize, ReportError> {
        let mut projects = BTreeSet::new();
        let ready = services
            .store
            .list(&ListQuery {
                status: Some(Status::Ready),
                ..Default::default()
            })
            .await?;
        projects.extend(
            ready
                .iter()
                .filter_map(|item| item.source.project().map(str::to_string)),
        );
        for key in services.blobs.list("reports/").await? {
            projects.extend(project_of_report_key(&key));
        }
        for project in &projects {
            self.changed(project);
        }
        Ok(projects.len())
    }

    /// A handle that marks projects changed, for the store decorator.
    pub fn notifier(&self) -> Notifier {
        self.notifier.clone()
    }

    /// The last outcome for `project`, if it changed since this process started.
    pub fn status(&self, project: &str) -> Option<RebuildStatus> {
        self.notifier.statuses.lock().ok()?.get(project).cloned()
    }

    /// Rebuilds run so far (those that found the report current included), for logs and tests
    /// of the coalescing.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(Ordering::Relaxed)
    }

    /// Rebuilds what is pending now (no settling), then stops, returning the rebuilds run in
    /// all. Changes reported after this are not acted on.
    pub async fn finish(mut self) -> u64 {
        let _ = self.notifier.changes.send(Message::Finish);
        let _ = (&mut self.task).await;
        self.rebuilds.load(Ordering::Relaxed)
    }
}

impl Drop for Coalescer {
    /// Dropped without [`Coalescer::finish`] (an error path), it stops at once; the next
    /// process's first trigger rebuilds whatever was missed, since a rebuild compares against
    /// the state rather than counting triggers.
    fn drop(&mut self) {
        self.task.abort();
    }
}

enum Message {
    Changed(String),
    Finish,
}

/// Marks projects changed from anywhere (cheap to clone).
#[derive(Clone)]
pub struct Notifier {
    changes: mpsc::UnboundedSender<Message>,
    statuses: Arc<Mutex<BTreeMap<String, RebuildStatus>>>,
}

impl Notifier {
    /// See [`Coalescer::changed`]. After the coalescer stopped, this does nothing.
    pub fn changed(&self, project: &str) {
        if let Ok(mut statuses) = self.statuses.lock() {
            statuses.insert(project.to_string(), RebuildStatus::Pending);
        }
        // Fails only once the loop has ended, when there is nothing left to tell.
        let _ = self.changes.send(Message::Changed(project.to_string()));
    }
}

async fn run(
    services: Arc<Services>,
    synthesizer: Arc<dyn ProjectSynthesizer>,
    settings: CoalescerSettings,
    mut changes: mpsc::UnboundedReceiver<Message>,
    statuses: Arc<Mutex<BTreeMap<String, RebuildStatus>>>,
    rebuilds: Arc<AtomicU64>,
) {
    let mut dirty: BTreeMap<String, Dirty> = BTreeMap::new();
    let mut open = true;
    loop {
        let next = dirty
            .iter()
            .map(|(project, d)| (d.due(&settings), project.clone()))
            .min();
        let due_project = match (open, next) {
            (true, Some((due, project))) => {
                tokio::select! {
                    message = changes.recv() => {
                        open = receive(&mut dirty, message);
                        continue;
                    }
                    _ = tokio::time::sleep_until(due) => project,
                }
            }
            (true, None) => {
                open = receive(&mut dirty, changes.recv().await);
                continue;
            }
            // Closed: what is pending is rebuilt now, once, and the loop ends.
            (false, Some((_, project))) => project,
            (false, None) => return,
        };
        let Some(mut entry) = dirty.remove(&due_project) else {
            continue;
        };
        let outcome = rebuild(&services, &due_project, synthesizer.as_ref()).await;
        rebuilds.fetch_add(1, Ordering::Relaxed);
        while open {
            match changes.try_recv() {
                Ok(message) => open = receive(&mut dirty, Some(message)),
                Err(_) => break,
            }
        }
        let status = match outcome {
            Ok(rebuilt) => RebuildStatus::Current(rebuilt),
            Err(err) => {
                entry.failures += 1;
                tracing::warn!(project = %due_project, attempts = entry.failures, transient = err.is_transient(), error = %err, "project report rebuild failed; will retry");
                let status = RebuildStatus::Failed {
                    error: err.to_string(),
                    attempts: entry.failures,
                };
                if open {
                    let delay = settings
                        .first_retry
                        .saturating_mul(1 << entry.failures.min(16).saturating_sub(1))
                        .min(settings.max_retry);
                    entry.not_before = Some(Instant::now() + delay);
                    entry.first = Instant::now();
                    entry.last = entry.first;
                    dirty.insert(due_project.clone(), entry);
                }
                status
            }
        };
        if let Ok(mut statuses) = statuses.lock() {
            // A change that arrived during the rebuild keeps the project pending.
            if !dirty.contains_key(&due_project) || matches!(status, RebuildStatus::Failed { .. }) {
                statuses.insert(due_project, status);
            }
        }
    }
}

/// Applies a message; false once the loop should wind down.
fn receive(dirty: &mut BTreeMap<String, Dirty>, message: Option<Message>) -> bool {
    match message {
        Some(Message::Changed(project)) => {
            mark(dirty, project);
            true
        }
        Some(Message::Finish) | None => false,
    }
}

fn mark(dirty: &mut BTreeMap<String, Dirty>, project: String) {
    let now = Instant::now();
    dirty.entry(project).and_modify(|d| d.last = now).or_insert(Dirty {
        first: now,
        last: now,
        not_before: None,
        failures: 0,
    });
}
