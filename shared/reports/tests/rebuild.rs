//! Reports kept current on the embedded backend: interviews go through the real ingest and
//! local runner, the store is wrapped as `serve` and `watch` wrap it, and the report in the
//! bucket is read back.

use interview_analysis::{LocalSynthesizer, ProjectReport};
use interview_core::config::Settings;
use interview_core::domain::{project_report_key, InterviewId};
use interview_core::s3_event::{created_notification, removed_notification};
use interview_core::services::Services;
use interview_core::SystemClock;
use interview_embedded::uploads::deliver_notification;
use interview_embedded::{local_pipeline, Embedded};
use interview_handlers::Pipeline;
use interview_reports::{rebuild, ChangeNotifyingStore, Coalescer, CoalescerSettings, RebuildStatus, Rebuilt};
use std::sync::Arc;
use std::time::Duration;

const BAKERY: &str = include_str!("../../../samples/bakery-scheduling.vtt");
const PLATFORM: &str = include_str!("../../../samples/platform-team-deploys.srt");
const SUPPORT: &str = include_str!("../../../samples/support-call.txt");

struct Fixture {
    _dir: tempfile::TempDir,
    pipeline: Pipeline,
    orchestrator: Arc<interview_embedded::local::LocalOrchestrator>,
}

/// A local pipeline. `with` gets the services over the plain store (what a coalescer reads
/// through) and may return a notifier: then the pipeline's store reports its writes to it.
fn fixture(with: impl FnOnce(Arc<Services>) -> Option<interview_reports::Notifier>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::embedded(dir.path());
    let local = Embedded::open(&settings).unwrap();
    let services = |store: Arc<dyn interview_core::ports::ItemStore>| {
        Services::builder(settings.clone(), "local", store, local.blobs.clone())
            .analyzer(interview_analysis::analyzer_for(&settings))
            .build()
    };
    let store: Arc<dyn interview_core::ports::ItemStore> = match with(services(local.store.clone())) {
        Some(notifier) => Arc::new(ChangeNotifyingStore::new(local.store.clone(), notifier)),
        None => local.store.clone(),
    };
    let (pipeline, orchestrator) = local_pipeline(services(store), Arc::new(SystemClock)).unwrap();
    Fixture {
        _dir: dir,
        pipeline,
        orchestrator,
    }
}

async fn drop_in(pipeline: &Pipeline, key: &str, body: &str, sequencer: &str) -> InterviewId {
    let meta = pipeline
        .blobs
        .put(key, body.as_bytes().to_vec().into(), "text/plain")
        .await
        .unwrap();
    let event = created_notification(pipeline.blobs.bucket(), key, &meta.etag, meta.size, sequencer);
    deliver_notification(pipeline, event).await.unwrap();
    InterviewId::for_object(pipeline.blobs.bucket(), key)
}

async fn remove(pipeline: &Pipeline, key: &str, sequencer: &str) {
    pipeline.blobs.delete(key).await.unwrap();
    let event = removed_notification(pipeline.blobs.bucket(), key, sequencer);
    deliver_notification(pipeline, event).await.unwrap();
}

async fn stored(pipeline: &Pipeline, project: &str) -> Option<ProjectReport> {
    interview_reports::load_report(pipeline, project).await.unwrap()
}

#[tokio::test]
async fn a_rebuild_follows_the_ready_interviews_and_skips_when_nothing_changed() {
    let f = fixture(|_| None);
    let p = &f.pipeline;
    let bakery = drop_in(p, "uploads/acme/bakery.vtt", BAKERY, "01").await;
    let platform = drop_in(p, "uploads/acme/platform.srt", PLATFORM, "02").await;
    drop_in(p, "uploads/other/support.txt", SUPPORT, "03").await;
    f.orchestrator.wait_idle().await;

    assert!(matches!(
        rebuild(p, "acme", &LocalSynthesizer::default()).await.unwrap(),
        Rebuilt::Built { interviews: 2, .. }
    ));
    let report = stored(p, "acme").await.expect("stored");
    let mut expected = vec![bakery.to_string(), platform.to_string()];
    expected.sort();
    assert_eq!(report.interview_ids, expected, "only acme's ready interviews");
    assert_eq!(
        report.inputs.iter().map(|i| i.interview_id.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(p.blobs.head(&project_report_key("acme")).await.unwrap().is_some());
    assert_eq!(
        rebuild(p, "acme", &LocalSynthesizer::default()).await.unwrap(),
        Rebuilt::AlreadyCurrent
    );

    remove(p, "uploads/acme/platform.srt", "04").await;
    assert!(matches!(
        rebuild(p, "acme", &LocalSynthesizer::default()).await.unwrap(),
        Rebuilt::Built { interviews: 1, .. }
    ));
    assert_eq!(stored(p, "acme").await.unwrap().interview_ids, vec![bakery.to_string()]);

    remove(p, "uploads/acme/bakery.vtt", "05").await;
    assert_eq!(
        rebuild(p, "acme", &LocalSynthesizer::default()).await.unwrap(),
        Rebuilt::Removed
    );
    assert!(stored(p, "acme").await.is_none());
    assert_eq!(
        rebuild(p, "acme", &LocalSynthesizer::default()).await.unwrap(),
        Rebuilt::Nothing
    );
    assert_eq!(
        rebuild(p, "nobody", &LocalSynthesizer::default()).await.unwrap(),
        Rebuilt::Nothing
    );
}

#[tokio::test]
async fn a_burst_of_interviews_is_reported_by_a_few_rebuilds_in_process() {
    let coalescer = std::sync::OnceLock::new();
    let f = fixture(|plain| {
        let c = Coalescer::spawn(
            plain,
            Arc::new(LocalSynthesizer::default()),
            CoalescerSettings {
                settle: Duration::from_millis(300),
                max_wait: Duration::from_secs(30),
                ..Default::default()
            },
        );
        let notifier = c.notifier();
        let _ = coalescer.set(c);
        Some(notifier)
    });
    let coalescer = coalescer.into_inner().unwrap();
    let p = &f.pipeline;
    let samples = [BAKERY, PLATFORM, SUPPORT];
    let burst = 12;
    for n in 0..burst {
        let ext = ["vtt", "srt", "txt"][n % 3];
        drop_in(
            p,
            &format!("uploads/acme/call-{n}.{ext}"),
            samples[n % 3],
            &format!("{n:04}"),
        )
        .await;
    }
    f.orchestrator.wait_idle().await;
    // The ready writes all arrived; wait for the burst to settle and its rebuild to run.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !matches!(coalescer.status("acme"), Some(RebuildStatus::Current(_))) {
        assert!(
            std::time::Instant::now() < deadline,
            "no rebuild after the burst: {:?}",
            coalescer.status("acme")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let report = stored(p, "acme").await.expect("the report was built by itself");
    assert_eq!(
        report.interview_ids.len(),
        burst,
        "every interview of the burst is in it"
    );
    drop(f);
    let rebuilds = coalescer.finish().await;
    assert!(
        (1..=4).contains(&rebuilds),
        "{burst} ready interviews took {rebuilds} rebuilds; a burst must coalesce"
    );
}
