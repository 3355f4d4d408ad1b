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

#[tokio::test]
async fn the_report_function_rebuilds_the_project_its_event_names() {
    let f = fixture(|_| None);
    let p = &f.pipeline;
    drop_in(p, "uploads/demo/bakery-scheduling.vtt", BAKERY, "01").await;
    f.orchestrator.wait_idle().await;
    let sample = include_str!("../../../events/report-status-changed.json");
    let event: aws_lambda_events::event::eventbridge::EventBridgeEvent<interview_reports::lambda::ProjectChanged> =
        serde_json::from_str(sample).unwrap();
    let first = interview_reports::lambda::handle(p, &LocalSynthesizer::default(), event.clone())
        .await
        .unwrap();
    assert_eq!(
        (first.project.as_deref(), first.outcome, first.interviews),
        (Some("demo"), "built", Some(1))
    );
    let again = interview_reports::lambda::handle(p, &LocalSynthesizer::default(), event.clone())
        .await
        .unwrap();
    assert_eq!(again.outcome, "already_current", "a repeated event costs one listing");
    let mut outside = event;
    outside.detail.project = None;
    let ignored = interview_reports::lambda::handle(p, &LocalSynthesizer::default(), outside)
        .await
        .unwrap();
    assert_eq!(ignored.outcome, "ignored");
}

mod bedrock {
    //! Rebuilds with the Bedrock synthesiser against a mocked Converse API: the model's grouping
    //! is stored as the report; a throttled model leaves the stored report and asks for a retry.

    use super::*;
    use aws_sdk_bedrockruntime::operation::converse::{ConverseInput, ConverseOutput};
    use aws_sdk_bedrockruntime::types::{
        ContentBlock, ConversationRole, ConverseOutput as Reply, Message, StopReason, TokenUsage, ToolUseBlock,
    };
    use aws_sdk_bedrockruntime::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use interview_analysis::bedrock::json_to_document;
    use interview_analysis::{BedrockAnalyzer, BedrockOptions, TextSource};

    fn options() -> BedrockOptions {
        BedrockOptions {
            model_id: "anthropic.claude-3-5-haiku-20241022-v1:0".into(),
            region: Some("eu-west-1".into()),
            chunk_tokens: 12_000,
            overlap_segments: 3,
            max_output_tokens: 4096,
            price_input_per_1k: 0.0008,
            price_output_per_1k: 0.004,
        }
    }

    /// A model that calls the first piece of evidence of every interview it is shown one theme.
    fn first_of_each(req: &ConverseInput) -> ConverseOutput {
        let prompt = req.messages()[0].content()[0].as_text().unwrap();
        let mut ids: Vec<&str> = Vec::new();
        for line in prompt.lines() {
            let Some((id, _)) = line.split_once(" | ") else {
                continue;
            };
            let Some((interview, _)) = id.split_once('/') else {
                continue;
            };
            if id.starts_with("iv-") && !ids.iter().any(|i| i.starts_with(&format!("{interview}/"))) {
                ids.push(id);
            }
        }
        let input = serde_json::json!({"themes": [{"title": "Where the week goes", "evidence_ids": ids}]});
        let call = ToolUseBlock::builder()
            .tool_use_id("t1")
            .name("record_project_themes")
            .input(json_to_document(&input))
            .build()
            .unwrap();
        ConverseOutput::builder()
            .output(Reply::Message(
                Message::builder()
                    .role(ConversationRole::Assistant)
                    .content(ContentBlock::ToolUse(call))
                    .build()
                    .unwrap(),
            ))
            .stop_reason(StopReason::ToolUse)
            .usage(
                TokenUsage::builder()
                    .input_tokens(900)
                    .output_tokens(60)
                    .total_tokens(960)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn the_models_grouping_is_stored_and_a_throttled_model_keeps_the_old_report() {
        let f = fixture(|_| None);
        let p = &f.pipeline;
        drop_in(p, "uploads/acme/bakery.vtt", BAKERY, "01").await;
        drop_in(p, "uploads/acme/platform.srt", PLATFORM, "02").await;
        f.orchestrator.wait_idle().await;

        let rule = mock!(Client::converse).then_compute_output(first_of_each);
        let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::MatchAny, [&rule]);
        let model = BedrockAnalyzer::with_client(client, options());
        assert_eq!(
            rebuild(p, "acme", &model).await.unwrap(),
            Rebuilt::Built {
                interviews: 2,
                themes: 1
            }
        );
        assert_eq!(rule.num_calls(), 1);
        let report = stored(p, "acme").await.expect("stored");
        assert_eq!(report.analyzer, format!("bedrock-project/1:{}", options().model_id));
        assert_eq!(report.themes[0].title, "Where the week goes");
        assert_eq!(report.themes[0].participants.len(), 2);
        assert_eq!(report.text_sources.map(|t| t.themes), Some(TextSource::Model));
        assert_eq!(report.usage.map(|u| u.requests), Some(1));
        assert_eq!(rebuild(p, "acme", &model).await.unwrap(), Rebuilt::AlreadyCurrent);

        drop_in(p, "uploads/acme/support.txt", SUPPORT, "03").await;
        f.orchestrator.wait_idle().await;
        let throttled = mock!(Client::converse)
            .sequence()
            .http_status(
                429,
                Some(r#"{"__type":"ThrottlingException","message":"slow down"}"#.into()),
            )
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::MatchAny, [&throttled]);
        let err = rebuild(p, "acme", &BedrockAnalyzer::with_client(client, options()))
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(err.to_string().contains("ThrottlingException"), "{err}");
        assert_eq!(
            stored(p, "acme").await.unwrap().interview_ids.len(),
            2,
            "the stored report stays until a rebuild succeeds"
        );
    }
}
