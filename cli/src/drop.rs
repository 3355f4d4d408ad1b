//! The embedded drop-in: files become bucket uploads and S3-shaped notifications that go
//! through the real ingest handler, exactly as they would on AWS.

use crate::{local_runs, render};
use anyhow::{Context, Result};
use aws_lambda_events::event::sqs::SqsEvent;
use interview_core::domain::{Interview, InterviewId, Status};
use interview_core::s3_event::{created_notification, removed_notification};
use interview_embedded::local::LocalOrchestrator;
use interview_handlers::ingest::{self, UPLOADS_PREFIX};
use interview_handlers::Pipeline;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A per-process, increasing S3-style sequencer (hex), so later drops order after earlier ones.
fn sequencer() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos:020X}")
}

fn sqs_event(body: String) -> serde_json::Value {
    serde_json::json!({ "Records": [{
        "messageId": format!("local-{}", sequencer()),
        "receiptHandle": "local",
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:local:000000000000:ingest",
        "awsRegion": "local"
    }]})
}

async fn deliver(pipeline: &Pipeline, body: String) -> Result<()> {
    let event: SqsEvent = serde_json::from_value(sqs_event(body))?;
    let failures = ingest::handle_sqs(pipeline, event).await.batch_item_failures.len();
    anyhow::ensure!(
        failures == 0,
        "ingest could not take the event (it would be redelivered on AWS); see the log above"
    );
    Ok(())
}

/// Uploads `path` as `key` and delivers the ObjectCreated notification; returns the interview id.
async fn drop_file(pipeline: &Pipeline, path: &Path, key: &str) -> Result<InterviewId> {
    let meta = pipeline
        .blobs
        .upload_from(key, path, "application/octet-stream")
        .await
        .with_context(|| format!("copying {} into the bucket", path.display()))?;
    let body = created_notification(pipeline.blobs.bucket(), key, &meta.etag, meta.size, &sequencer());
    deliver(pipeline, body).await?;
    Ok(InterviewId::for_object(pipeline.blobs.bucket(), key))
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .with_context(|| format!("{} has no usable file name (it must be UTF-8)", path.display()))
}

/// Processes files and waits for every interview to end. Returns whether all are `ready`.
pub async fn process(
    pipeline: &Pipeline,
    orchestrator: &LocalOrchestrator,
    files: &[PathBuf],
    project: &str,
) -> Result<bool> {
    let started = Instant::now();
    let (_runs, mut ids) = local_runs::take_charge(pipeline, orchestrator).await;
    let mut unreadable = 0;
    for path in files {
        let outcome = async {
            let meta = tokio::fs::metadata(path)
                .await
                .with_context(|| format!("cannot read {}", path.display()))?;
            anyhow::ensure!(meta.is_file(), "{} is not a file", path.display());
            let key = format!("{UPLOADS_PREFIX}{project}/{}", file_name(path)?);
            drop_file(pipeline, path, &key).await
        }
        .await;
        match outcome {
            Ok(id) if !ids.contains(&id) => ids.push(id),
            Ok(_) => {}
            Err(e) => {
                eprintln!("skipped: {e:#}");
                unreadable += 1;
            }
        }
    }
    let items = follow(pipeline, orchestrator, &ids).await?;
    println!();
    print!("{}", render::summary(&items, started.elapsed()));
    if items.iter().any(|i| i.status == Status::Ready) {
        // Another process (`serve`, `watch`) cannot see these writes, so the report of the
        // project is brought up to date here.
        match interview_reports::rebuild(
            pipeline,
            project,
            interview_analysis::project_synthesizer_for(&pipeline.settings).as_ref(),
        )
        .await
        {
            Ok(_) => {
                eprintln!("the report of project `{project}` is current (`interviews report --project {project}`)")
            }
            Err(e) => {
                eprintln!("the report of project `{project}` could not be updated (it is on the next change): {e}")
            }
        }
    }
    Ok(unreadable == 0 && items.iter().all(|i| i.status == Status::Ready))
}

/// Prints a line whenever an interview's status, step or progress changes, until all have ended
/// and the local executions are done.
async fn follow(pipeline: &Pipeline, orchestrator: &LocalOrchestrator, ids: &[InterviewId]) -> Result<Vec<Interview>> {
    let mut last: HashMap<InterviewId, (Status, String, u8)> = HashMap::new();
    loop {
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(item) = pipeline.store.get(id).await? {
                let key = (item.status, item.step.to_string(), item.progress);
                if last.get(id) != Some(&key) {
                    eprintln!("{}", render::progress_line(&item));
                    last.insert(id.clone(), key);
                }
                items.push(item);
            }
        }
        let all_ended = items.len() == ids.len() && items.iter().all(|i| !i.is_live());
        if all_ended {
            orchestrator.wait_idle().await;
            return Ok(items);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[derive(Clone, PartialEq, Eq)]
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
}

/// The bucket key for a file in the drop folder; `None` for a path outside it. A name that is
/// not UTF-8 cannot be an S3 key: refused with a message, never dropped or mangled (leaving
/// the component out would upload the file under another file's key).
fn key_for(dir: &Path, path: &Path) -> Result<Option<String>> {
    let Ok(rel) = path.strip_prefix(dir) else {
        return Ok(None);
    };
    let parts = rel
        .iter()
        .map(|p| p.to_str())
        .collect::<Option<Vec<&str>>>()
        .with_context(|| {
            format!(
                "skipped {}: a file or folder name in it is not valid UTF-8, which a bucket key must be; rename it",
                path.display()
            )
        })?;
    let default_project = dir.file_name().and_then(|n| n.to_str()).unwrap_or("default");
    Ok(match parts.as_slice() {
        [file] => Some(format!("{UPLOADS_PREFIX}{default_project}/{file}")),
        [project, rest @ ..] if !rest.is_empty() => Some(format!("{UPLOADS_PREFIX}{project}/{}", rest.join("/"))),
        _ => None,
    })
}

async fn scan(dir: &Path) -> Result<BTreeMap<PathBuf, Seen>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries = tokio::fs::read_dir(&d)
            .await
            .with_context(|| format!("cannot read {}", d.display()))?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let meta = entry.metadata().await?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                found.insert(
                    entry.path(),
                    Seen {
                        len: meta.len(),
                        modified: meta.modified().ok(),
                    },
                );
            }
        }
    }
    Ok(found)
}

/// Watches `dir` like the bucket: a file that appears (and has stopped growing) or changes is
/// an ObjectCreated event; one that disappears is an ObjectRemoved event.
pub async fn watch(
    pipeline: &Pipeline,
    orchestrator: &LocalOrchestrator,
    dir: &Path,
    interval: Duration,
    once: bool,
) -> Result<()> {
    anyhow::ensure!(
        dir.is_dir(),
        "{} is not a folder; create it or pass another one",
        dir.display()
    );
    eprintln!(
        "watching {} (every {:.1}s); drop recordings or transcripts in it, Ctrl-C to stop",
        dir.display(),
        interval.as_secs_f64()
    );
    local_runs::sweep_once(pipeline).await;
    let (mut runs, mut followed) = local_runs::take_charge(pipeline, orchestrator).await;
    runs.sweep_on_schedule(pipeline);
    let mut known: BTreeMap<PathBuf, Seen> = BTreeMap::new();
    let mut pending: BTreeMap<PathBuf, Seen> = BTreeMap::new();
    let mut last: HashMap<InterviewId, (Status, String, u8)> = HashMap::new();
    loop {
        let now = scan(dir).await?;
        for (path, seen) in &now {
            if known.get(path) == Some(seen) {
                continue;
            }
            let stable = once || pending.get(path) == Some(seen);
            if !stable {
                pending.insert(path.clone(), seen.clone());
                continue;
            }
            pending.remove(path);
            known.insert(path.clone(), seen.clone());
            let key = match key_for(dir, path) {
                Ok(Some(key)) => key,
                Ok(None) => continue,
                Err(e) => {
                    eprintln!("{e:#}");
                    continue;
                }
            };
            match drop_file(pipeline, path, &key).await {
                Ok(id) => {
                    eprintln!("picked up {} as {id}", path.display());
                    if !followed.contains(&id) {
                        followed.push(id);
                    }
                }
                Err(e) => eprintln!("could not pick up {}: {e:#}", path.display()),
            }
        }
        let gone: Vec<PathBuf> = known.keys().filter(|p| !now.contains_key(*p)).cloned().collect();
        for path in gone {
            known.remove(&path);
            let Ok(Some(key)) = key_for(dir, &path) else { continue };
            if let Err(e) = pipeline.blobs.delete(&key).await {
                eprintln!("could not remove {key} from the bucket: {e}");
                continue;
            }
            let body = removed_notification(pipeline.blobs.bucket(), &key, &sequencer());
            match deliver(pipeline, body).await {
                Ok(()) => eprintln!("{} was removed; its interview is marked deleted", path.display()),
                Err(e) => eprintln!("could not process the removal of {}: {e:#}", path.display()),
            }
        }
        for id in &followed {
            if let Some(item) = pipeline.store.get(id).await? {
                let state = (item.status, item.step.to_string(), item.progress);
                if last.get(id) != Some(&state) {
                    eprintln!("{}", render::progress_line(&item));
                    last.insert(id.clone(), state);
                }
            }
        }
        if once {
            let items = follow(pipeline, orchestrator, &followed).await?;
            print!("{}", render::summary(&items, Duration::ZERO));
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopping; waiting for running interviews to reach a safe point");
                orchestrator.wait_idle().await;
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn drop_paths_become_keys_and_a_non_utf8_name_is_refused_by_name() {
        let dir = Path::new("/tmp/drop");
        assert_eq!(
            key_for(dir, &dir.join("acme/a b.vtt")).unwrap().as_deref(),
            Some("uploads/acme/a b.vtt")
        );
        assert_eq!(
            key_for(dir, &dir.join("x.txt")).unwrap().as_deref(),
            Some("uploads/drop/x.txt")
        );
        assert_eq!(key_for(dir, Path::new("/elsewhere/x.txt")).unwrap(), None);
        for bad in [
            dir.join(OsStr::from_bytes(b"caf\xe9.vtt")),
            dir.join(OsStr::from_bytes(b"\xff\xfe")).join("x.vtt"),
        ] {
            let err = key_for(dir, &bad).unwrap_err();
            assert!(format!("{err:#}").contains("not valid UTF-8"), "{err:#}");
        }
    }
}
