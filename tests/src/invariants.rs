//! The invariant checker: what must hold after any scenario, however it was disturbed.
//!
//! - every upload has exactly one item, and every item comes from an upload;
//! - every item is terminal, or still live within its step's deadline with its execution running;
//! - `ready` ⇒ the three listed result documents exist, parse, and validate against each other,
//!   and the item's counts agree with them;
//! - `error` ⇒ a step, a kind and a non-empty message;
//! - nothing written by a superseded run: the item belongs to the latest claimed run, no write
//!   ever went back to an older run, and every listed document is from a run of the current
//!   upload content;
//! - `deleted` ⇒ no result objects remain, and the deleted run never wrote the item again;
//! - an execution that ended without succeeding left its item terminal (the backstop).
//!
//! Checks count as they go, so a scenario can say how much it proved, and a violation is a
//! sentence naming the item and what is wrong.

use crate::faults::Written;
use chrono::{DateTime, Utc};
use interview_analysis::{validate_analysis, validate_evidence, AnalysisDoc, EvidenceDoc};
use interview_asl::ExecutionStatus;
use interview_core::config::Settings;
use interview_core::domain::{ArtifactName, ErrorKind, Interview, InterviewId, Status, Step};
use interview_core::ports::{BlobStore, ItemStore, ListQuery};
use interview_embedded::local::LocalOrchestrator;
use interview_transcript::Transcript;
use std::collections::{BTreeMap, HashSet};

/// What a checker run found.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Individual checks made.
    pub checked: u64,
    /// The checks that failed, as sentences.
    pub violations: Vec<String>,
}

impl Report {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a check; records `what` as a violation when `ok` is false. Returns `ok`.
    pub fn expect(&mut self, ok: bool, what: impl FnOnce() -> String) -> bool {
        self.checked += 1;
        if !ok {
            self.violations.push(what());
        }
        ok
    }

    /// Records a violation that needs no condition.
    pub fn fail(&mut self, what: impl Into<String>) {
        self.checked += 1;
        self.violations.push(what.into());
    }

    /// Adds another report's counts and violations.
    pub fn absorb(&mut self, other: Report) {
        self.checked += other.checked;
        self.violations.extend(other.violations);
    }

    /// Whether nothing failed.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Everything the checker looks at.
pub struct World<'a> {
    /// The item table (read without faults).
    pub store: &'a dyn ItemStore,
    /// The bucket (read without faults).
    pub blobs: &'a dyn BlobStore,
    /// The bucket name items record.
    pub bucket: &'a str,
    /// Every key uploaded during the scenario.
    pub uploads: &'a [String],
    /// Every successful item write, in order.
    pub journal: &'a [Written],
    /// Thresholds (for "live within its deadline").
    pub settings: &'a Settings,
    /// The current time on the pipeline's clock.
    pub now: DateTime<Utc>,
    /// The executions, when they ran in-process.
    pub executions: Option<&'a LocalOrchestrator>,
}

/// The most a result document may weigh when the checker reads it.
const READ_LIMIT: u64 = 64 * 1024 * 1024;

/// Runs every check over the world.
pub async fn check(world: &World<'_>, report: &mut Report) {
    let all = match world
        .store
        .list(&ListQuery {
            include_deleted: true,
            ..Default::default()
        })
        .await
    {
        Ok(items) => items,
        Err(e) => {
            report.fail(format!("the item table cannot be listed: {e}"));
            return;
        }
    };
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for item in &all {
        *by_id.entry(item.id.to_string()).or_default() += 1;
    }
    for (id, n) in &by_id {
        report.expect(*n == 1, || format!("{id}: listed {n} times"));
    }
    let uploads: HashSet<&str> = world.uploads.iter().map(String::as_str).collect();
    for key in &uploads {
        let id = InterviewId::for_object(world.bucket, key);
        report.expect(by_id.get(id.as_str()) == Some(&1), || {
            format!("upload `{key}` has no item (id {id})")
        });
    }
    for item in &all {
        report.expect(uploads.contains(item.source.key.as_str()), || {
            format!("{}: item for `{}`, which nobody uploaded", item.id, item.source.key)
        });
        report.expect(
            item.id == InterviewId::for_object(world.bucket, &item.source.key),
            || format!("{}: id does not derive from its source key", item.id),
        );
        check_item(world, item, report).await;
    }
}

/// The checks on one item.
pub async fn check_item(world: &World<'_>, item: &Interview, report: &mut Report) {
    let id = &item.id;
    check_liveness(world, item, report);
    check_runs(world, item, report);
    match item.status {
        Status::Ready => check_ready(world, item, report).await,
        Status::Error => {
            let error = item.error.as_ref();
            report.expect(error.is_some(), || format!("{id}: status error without an error"));
            if let Some(e) = error {
                report.expect(!e.message.trim().is_empty(), || {
                    format!("{id}: the error at {} ({}) has no message", e.step, e.kind.as_str())
                });
                report.expect(e.step != Step::Done, || {
                    format!("{id}: the error names no working step")
                });
                report.expect(e.kind != ErrorKind::Input || !e.retryable, || {
                    format!("{id}: an input error is marked retryable")
                });
            }
            check_listed_artifacts(world, item, report).await;
        }
        Status::Queued | Status::Processing => {
            report.expect(item.error.is_none(), || {
                format!("{id}: live ({}) but carries an error", item.status)
            });
            check_listed_artifacts(world, item, report).await;
        }
        Status::Deleted => check_deleted(world, item, report).await,
    }
}

fn check_liveness(world: &World<'_>, item: &Interview, report: &mut Report) {
    let id = &item.id;
    if let Some(executions) = world.executions {
        if let Some(outcome) = executions.outcome(&item.run_id) {
            if outcome.status != ExecutionStatus::Succeeded {
                report.expect(item.status.is_terminal(), || {
                    format!(
                        "{id}: execution {} ended {} but the item is still {} (the backstop did not land)",
                        item.run_id,
                        outcome.status.as_str(),
                        item.status
                    )
                });
            } else {
                report.expect(matches!(item.status, Status::Ready | Status::Deleted), || {
                    format!(
                        "{id}: execution {} succeeded but the item is {}",
                        item.run_id, item.status
                    )
                });
            }
        }
    }
    if item.is_live() {
        let threshold = world.settings.stale_threshold(item.step);
        let age = (world.now - item.updated_at).to_std().unwrap_or_default();
        report.expect(age <= threshold, || {
            format!(
                "{id}: still {} at {} after {:?} without progress (deadline {:?})",
                item.status, item.step, age, threshold
            )
        });
        if let Some(executions) = world.executions {
            report.expect(executions.outcome(&item.run_id).is_none(), || {
                format!("{id}: live but its execution {} has ended", item.run_id)
            });
        }
    }
}

fn check_runs(world: &World<'_>, item: &Interview, report: &mut Report) {
    let id = &item.id;
    let writes: Vec<&Written> = world.journal.iter().filter(|w| &w.id == id).collect();
    if writes.is_empty() {
        return;
    }
    let latest_claim = writes.iter().filter(|w| w.claim).map(|w| w.run).max().unwrap_or(0);
    report.expect(item.run_id.number() == latest_claim, || {
        format!(
            "{id}: belongs to run {} but the latest claimed run is {latest_claim}",
            item.run_id.number()
        )
    });
    let mut highest = 0;
    for w in &writes {
        report.expect(w.run >= highest, || {
            format!(
                "{id}: run {} wrote the item (as {}) after run {highest} had claimed it",
                w.run, w.status
            )
        });
        highest = highest.max(w.run);
    }
    for w in writes.iter().filter(|w| w.status == Status::Deleted) {
        let later = writes.iter().filter(|l| l.seq > w.seq && l.run == w.run).count();
        report.expect(later == 0, || {
            format!(
                "{id}: run {} wrote the item {later} time(s) after it was deleted",
                w.run
            )
        });
    }
}

/// The run number in `results/<id>/r<N>/<file>`, if the key has that shape.
fn run_of_key(id: &InterviewId, key: &str) -> Option<(u32, String)> {
    let rest = key.strip_prefix(&id.results_prefix())?;
    let (run, file) = rest.split_once('/')?;
    Some((run.strip_prefix('r')?.parse().ok()?, file.to_string()))
}

/// Every listed artifact is under the item's results, from a run of the current content, and exists.
async fn check_listed_artifacts(world: &World<'_>, item: &Interview, report: &mut Report) {
    let id = &item.id;
    for name in [ArtifactName::Transcript, ArtifactName::Evidence, ArtifactName::Analysis] {
        let Some(key) = item.artifacts.get(name) else {
            continue;
        };
        let parsed = run_of_key(id, key);
        if !report.expect(
            parsed.as_ref().is_some_and(|(_, file)| file == name.file_name()),
            || format!("{id}: {} is listed at `{key}`, not under its results", name.file_name()),
        ) {
            continue;
        }
        let (run, _) = parsed.unwrap_or_default();
        report.expect(run <= item.run_id.number(), || {
            format!("{id}: lists `{key}` from run {run}, after its own run {}", item.run_id)
        });
        let claims: Vec<&Written> = world
            .journal
            .iter()
            .filter(|w| &w.id == id && w.run == run && w.claim)
            .collect();
        if !world.journal.iter().any(|w| &w.id == id) {
            // Nothing journalled (the item was made by hand): nothing to compare with.
        } else {
            report.expect(
                !claims.is_empty() && claims.iter().all(|w| w.etag == item.source.etag),
                || {
                    format!(
                        "{id}: lists `{key}` from run {run}, which was not a run of the current upload (etag {})",
                        item.source.etag
                    )
                },
            );
        }
        let exists = world.blobs.head(key).await;
        report.expect(matches!(exists, Ok(Some(_))), || {
            format!("{id}: lists `{key}`, which is not in the bucket ({exists:?})")
        });
    }
}

/// Reads and decodes one result document.
macro_rules! read {
    ($world:expr, $key:expr, $ty:ty) => {{
        let key: &str = $key;
        match $world.blobs.get(key, READ_LIMIT).await {
            Ok(bytes) => serde_json::from_slice::<$ty>(&bytes).map_err(|e| format!("`{key}` does not parse: {e}")),
            Err(e) => Err(format!("cannot read `{key}`: {e}")),
        }
    }};
}

async fn check_ready(world: &World<'_>, item: &Interview, report: &mut Report) {
    let id = &item.id;
    report.expect(item.step == Step::Done && item.progress == 100, || {
        format!("{id}: ready at step {} with progress {}", item.step, item.progress)
    });
    report.expect(item.error.is_none(), || format!("{id}: ready but carries an error"));
    let a = &item.artifacts;
    let listed = report.expect(
        a.transcript.is_some() && a.evidence.is_some() && a.analysis.is_some(),
        || format!("{id}: ready without all three artifacts: {a:?}"),
    );
    check_listed_artifacts(world, item, report).await;
    if !listed {
        return;
    }
    let transcript = read!(world, a.transcript.as_deref().unwrap_or_default(), Transcript);
    let evidence = read!(world, a.evidence.as_deref().unwrap_or_default(), EvidenceDoc);
    let analysis = read!(world, a.analysis.as_deref().unwrap_or_default(), AnalysisDoc);
    let (transcript, evidence, analysis) = match (transcript, evidence, analysis) {
        (Ok(t), Ok(e), Ok(an)) => (t, e, an),
        (t, e, an) => {
            for err in [t.err(), e.err(), an.err()].into_iter().flatten() {
                report.fail(format!("{id}: {err}"));
            }
            return;
        }
    };
    report.checked += 3;
    let valid = validate_evidence(&transcript, &evidence);
    report.expect(valid.is_ok(), || {
        format!("{id}: evidence does not validate against the transcript: {valid:?}")
    });
    let valid = validate_analysis(&evidence, &analysis);
    report.expect(valid.is_ok(), || {
        format!("{id}: analysis does not validate against the evidence: {valid:?}")
    });
    let c = &item.counts;
    report.expect(c.words == transcript.word_count(), || {
        format!(
            "{id}: counts {} words, the transcript has {}",
            c.words,
            transcript.word_count()
        )
    });
    report.expect(c.speakers as usize == transcript.speakers().len(), || {
        format!(
            "{id}: counts {} speakers, the transcript has {}",
            c.speakers,
            transcript.speakers().len()
        )
    });
    report.expect(c.evidence as usize == evidence.items.len(), || {
        format!(
            "{id}: counts {} evidence, evidence.json has {}",
            c.evidence,
            evidence.items.len()
        )
    });
    report.expect(c.themes as usize == analysis.themes.len(), || {
        format!(
            "{id}: counts {} themes, analysis.json has {}",
            c.themes,
            analysis.themes.len()
        )
    });
}

async fn check_deleted(world: &World<'_>, item: &Interview, report: &mut Report) {
    let id = &item.id;
    match world.blobs.list(&id.results_prefix()).await {
        Ok(left) => {
            report.expect(left.is_empty(), || {
                format!("{id}: deleted, but results remain: {left:?}")
            });
        }
        Err(e) => report.fail(format!("{id}: cannot list its results: {e}")),
    }
    report.expect(item.artifacts == Default::default(), || {
        format!("{id}: deleted, but the item still lists results: {:?}", item.artifacts)
    });
    let upload = world.blobs.head(&item.source.key).await;
    report.expect(matches!(upload, Ok(None)), || {
        format!("{id}: deleted while its upload `{}` is still there", item.source.key)
    });
}

/// Checks that a call that should have been refused changed nothing on the item.
pub fn same_item(before: &Interview, after: &Interview, what: &str, report: &mut Report) {
    report.expect(before == after, || {
        format!(
            "{}: {what} changed the item (version {} -> {}, status {} -> {}, run {} -> {})",
            before.id, before.version, after.version, before.status, after.status, before.run_id, after.run_id
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use interview_core::domain::{ItemError, RunId, Source, SourceKind};
    use interview_embedded::fs::FsBlobStore;
    use interview_embedded::sqlite::SqliteStore;

    fn item(key: &str, status: Status, at: DateTime<Utc>) -> Interview {
        let source = Source {
            bucket: "b".into(),
            key: key.into(),
            etag: "e1".into(),
            size: 10,
            content_type: None,
            kind: SourceKind::Transcript,
            sequencer: None,
        };
        let mut item = Interview::new_queued(source, at);
        item.status = status;
        item
    }

    fn written(seq: u64, item: &Interview, run: u32, claim: bool) -> Written {
        Written {
            seq,
            id: item.id.clone(),
            run,
            claim,
            status: item.status,
            etag: "e1".into(),
            version: item.version,
        }
    }

    /// The checker is only worth its silence if it speaks up: one broken item per invariant.
    #[tokio::test]
    async fn the_checker_reports_each_kind_of_violation() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::in_memory().unwrap();
        let blobs = FsBlobStore::new(&dir.path().join("blobs"), "b").unwrap();
        let settings = Settings::embedded(dir.path());
        let now = Utc::now();

        let mut ready = item("uploads/p/ready.vtt", Status::Ready, now);
        ready.step = Step::Done;
        ready.progress = 100;
        let mut error = item("uploads/p/error.vtt", Status::Error, now);
        error.error = Some(ItemError {
            step: Step::Extract,
            kind: ErrorKind::Provider,
            message: " ".into(),
            at: now,
            retryable: true,
            excerpt: None,
        });
        let mut stuck = item(
            "uploads/p/stuck.vtt",
            Status::Processing,
            now - chrono::Duration::hours(5),
        );
        stuck.step = Step::Extract;
        let deleted = item("uploads/p/deleted.vtt", Status::Deleted, now);
        let left = format!("{}r1/evidence.json", deleted.id.results_prefix());
        blobs
            .put(&left, bytes::Bytes::from_static(b"{}"), "application/json")
            .await
            .unwrap();
        let stray = item("uploads/p/stray.vtt", Status::Error, now);
        let mut fenced = item("uploads/p/fenced.vtt", Status::Error, now);
        fenced.run_id = RunId::new(&fenced.id, 2);
        fenced.error = error.error.clone().map(|mut e| {
            e.message = "failed".into();
            e
        });
        fenced.artifacts.transcript = Some(format!("{}r1/transcript.json", fenced.id.results_prefix()));
        for i in [&ready, &error, &stuck, &deleted, &stray, &fenced] {
            store.create(i).await.unwrap();
        }
        let journal = vec![
            written(1, &fenced, 1, true),
            written(2, &fenced, 2, true),
            written(3, &fenced, 1, false),
        ];
        let mut uploads: Vec<String> = [&ready, &error, &stuck, &deleted, &fenced]
            .iter()
            .map(|i| i.source.key.clone())
            .collect();
        uploads.push("uploads/p/never ingested.vtt".into());
        let world = World {
            store: &store,
            blobs: &blobs,
            bucket: "b",
            uploads: &uploads,
            journal: &journal,
            settings: &settings,
            now,
            executions: None,
        };
        let mut report = Report::new();
        check(&world, &mut report).await;
        for expected in [
            "ready without all three artifacts",
            "has no message",
            "without progress",
            "results remain",
            "which nobody uploaded",
            "has no item",
            "after run 2 had claimed it",
            "which is not in the bucket",
        ] {
            assert!(
                report.violations.iter().any(|v| v.contains(expected)),
                "no violation mentions `{expected}`: {:#?}",
                report.violations
            );
        }
        let mut clean = Report::new();
        check_item(&world, &ready.clone(), &mut Report::new()).await;
        same_item(&ready, &ready, "nothing", &mut clean);
        assert!(clean.is_clean() && clean.checked == 1);
    }
}
