//! The AWS adapters against moto's server, through the real SDK clients: the same contract the
//! embedded adapters pass, plus the AWS-specific promises (the sweeper never scans, the size
//! limit is checked before a download, a repeated start is one execution).

use bytes::Bytes;
use chrono::{Duration, Utc};
use integration_tests::{moto_config, new_bucket, new_table, unique_name};
use interview_aws::dynamodb::{stored_size, DynamoStore};
use interview_aws::s3::S3BlobStore;
use interview_aws::stepfunctions::{execution_arn, StepFunctionsOrchestrator};
use interview_core::domain::{ArtifactName, Artifacts, Counts, Interview, Status, Step, StepRecord};
use interview_core::error::{BlobError, OrchestratorError};
use interview_core::ports::{BlobStore, Expected, ItemStore, Orchestrator};
use interview_testkit::store_contract::{run_all, sample_item};

#[tokio::test]
async fn dynamodb_store_passes_the_contract_suite() {
    let config = moto_config().await;
    let (client, table) = new_table(&config).await;
    let store = DynamoStore::new(client, table).with_page_size(3);
    let passed = run_all(&store).await;
    assert!(passed.len() >= 10, "{passed:?}");
}

fn expected(item: &Interview) -> Expected {
    Expected {
        version: item.version,
        run_id: item.run_id.clone(),
    }
}

/// The next write of `item`: version and `updated_at` bumped, as `update_item` does.
fn next(item: &Interview, status: Status) -> Interview {
    let mut next = item.clone();
    next.version += 1;
    next.status = status;
    next.updated_at = item.updated_at + Duration::milliseconds(1);
    next
}

/// One sweep: the stale live items, and the requests and examined items it cost.
async fn sweep_stale(store: &DynamoStore) -> (Vec<Interview>, u64, u64) {
    let before = store.usage();
    let found = store
        .live_items_updated_before(Utc::now() - Duration::hours(1))
        .await
        .unwrap();
    let after = store.usage();
    (
        found,
        after.requests - before.requests,
        after.items_examined - before.items_examined,
    )
}

#[tokio::test]
async fn the_sweeper_query_reads_live_items_only_and_never_scans() {
    let config = moto_config().await;
    let (client, table) = new_table(&config).await;
    let store = DynamoStore::new(client, table).with_page_size(2);
    let long_ago = Utc::now() - Duration::hours(2);

    let mut live = Vec::new();
    for _ in 0..5 {
        let mut item = sample_item("sweep-live");
        item.updated_at = long_ago;
        store.create(&item).await.unwrap();
        live.push(item.id);
    }
    let (found_small, requests_small, examined_small) = sweep_stale(&store).await;

    for _ in 0..200 {
        let mut item = sample_item("sweep-done");
        item.updated_at = long_ago;
        store.create(&item).await.unwrap();
        let mut done = next(&item, Status::Processing);
        store.replace(&done, &expected(&item)).await.unwrap();
        let previous = done.clone();
        done = next(&previous, Status::Ready);
        done.updated_at = long_ago;
        store.replace(&done, &expected(&previous)).await.unwrap();
    }
    let (found_big, requests_big, examined_big) = sweep_stale(&store).await;

    let mut ids: Vec<_> = found_big.iter().map(|i| i.id.clone()).collect();
    ids.sort();
    let mut want = live.clone();
    want.sort();
    assert_eq!(ids, want, "exactly the live items are found");
    assert_eq!(found_small.len(), found_big.len());
    assert_eq!(
        examined_big, 5,
        "only the live items are examined, not the 200 terminal ones"
    );
    assert_eq!(
        (requests_big, examined_big),
        (requests_small, examined_small),
        "200 terminal items change nothing about the sweep's cost"
    );
    assert!(found_big.windows(2).all(|w| w[0].updated_at <= w[1].updated_at));
}

/// A finished item as the pipeline leaves it: every step recorded, results and counts set.
fn finished(mut item: Interview) -> Interview {
    let now = Utc::now();
    for (step, worker) in [
        (Step::Transcribe, "transcribe/amazon-transcribe"),
        (Step::Extract, "extract/bedrock"),
        (Step::Analyze, "analyze/bedrock"),
    ] {
        item.steps.insert(
            step,
            StepRecord {
                started_at: Some(now),
                finished_at: Some(now),
                attempts: 1,
                duration_ms: Some(41_250),
                worker: Some(worker.into()),
                reused: false,
            },
        );
    }
    item.artifacts = Artifacts {
        transcript: Some(item.artifact_key(ArtifactName::Transcript)),
        evidence: Some(item.artifact_key(ArtifactName::Evidence)),
        analysis: Some(item.artifact_key(ArtifactName::Analysis)),
    };
    item.counts = Counts {
        words: 8_412,
        speakers: 2,
        evidence: 37,
        themes: 6,
    };
    item.execution_arn = Some(format!(
        "arn:aws:states:us-east-1:123456789012:execution:interview-pipeline:{}",
        item.run_id
    ));
    item.transcription_job = Some(format!("{}-transcribe", item.run_id));
    item.status = Status::Ready;
    item.step = Step::Done;
    item.progress = 100;
    item
}

#[tokio::test]
async fn consumed_capacity_is_recorded_per_write() {
    let config = moto_config().await;
    let (client, table) = new_table(&config).await;
    let store = DynamoStore::new(client, table);
    let mut item = sample_item("capacity");
    let created_size = stored_size(&item).unwrap();
    store.create(&item).await.unwrap();
    let replaces: u32 = 8;
    for n in 0..replaces {
        let mut written = next(&item, Status::Processing);
        if n == replaces - 1 {
            written = finished(written);
        }
        store.replace(&written, &expected(&item)).await.unwrap();
        item = written;
    }
    let (read, write) = store.consumed_capacity();
    assert_eq!(read, 0.0, "writes read nothing");
    assert!(
        write >= f64::from(replaces + 1),
        "every write costs at least one unit: {write}"
    );
    assert_eq!(store.usage().requests, u64::from(replaces) + 1);
    let final_size = stored_size(&item).unwrap();
    assert!(
        created_size < final_size && final_size < 4096,
        "{created_size} -> {final_size}"
    );
    println!(
        "one create + {replaces} replaces: {write} write units reported by the server; \
         stored item {created_size} bytes when queued, {final_size} bytes when ready"
    );
}

fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[tokio::test]
async fn s3_odd_keys_round_trip() {
    let config = moto_config().await;
    let (client, bucket) = new_bucket(&config).await;
    let store = S3BlobStore::new(client, bucket.clone());
    assert_eq!(store.bucket(), bucket);
    let keys = [
        "uploads/acme/Interview 3 (final).vtt",
        "uploads/acme/a+b=c.txt",
        "uploads/ünïcødé/日本語.srt",
        "uploads/../../etc/passwd",
        "uploads/./x/../y",
        "uploads/acme/.hidden",
        "uploads/100%/file%20name.txt",
        "uploads/acme/q?x=1&y=#frag",
    ];
    for (i, key) in keys.iter().enumerate() {
        let body = Bytes::from(format!("object {i} at {key}"));
        let meta = store.put(key, body.clone(), "text/plain").await.unwrap();
        assert_eq!(meta.size, body.len() as u64);
        assert!(!meta.etag.is_empty() && !meta.etag.contains('"'), "{:?}", meta.etag);
        let head = store
            .head(key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{key} has no head"));
        assert_eq!((head.size, &head.etag), (meta.size, &meta.etag), "{key}");
        assert_eq!(head.content_type.as_deref(), Some("text/plain"));
        assert_eq!(store.get(key, 1024).await.unwrap(), body, "{key}");
    }
    let mut want: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    want.sort();
    assert_eq!(store.list("uploads/").await.unwrap(), want);
    assert_eq!(store.list("uploads/acme/").await.unwrap().len(), 4);
    assert!(store.list("results/").await.unwrap().is_empty());

    for key in ["", "a//b", "/abs", "trailing/"] {
        let err = store.put(key, Bytes::from_static(b"x"), "t").await.unwrap_err();
        assert!(matches!(err, BlobError::BadKey { .. }), "{key:?}: {err:?}");
    }
}

#[tokio::test]
async fn s3_size_limit_is_refused_from_the_length_before_the_body_is_read() {
    let config = moto_config().await;
    let (client, bucket) = new_bucket(&config).await;
    let store = S3BlobStore::new(client, bucket);
    let size = 3 * 1024 * 1024 + 17;
    store
        .put("uploads/p/big.wav", Bytes::from(vec![7u8; size]), "audio/wav")
        .await
        .unwrap();
    // The reported size is the object's exact size: it came from Content-Length, since reading
    // the body would have stopped a chunk past the limit.
    match store.get("uploads/p/big.wav", 1024).await.unwrap_err() {
        BlobError::TooLarge { size: got, limit, .. } => assert_eq!((got, limit), (size as u64, 1024)),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("big.wav");
    let err = store.download_to("uploads/p/big.wav", &dest, 1024).await.unwrap_err();
    assert!(matches!(err, BlobError::TooLarge { .. }), "{err:?}");
    assert!(!dest.exists(), "nothing is written for a refused download");
    assert_eq!(
        store.get("uploads/p/big.wav", size as u64).await.unwrap().len(),
        size,
        "exactly at the limit is allowed"
    );

    assert!(matches!(
        store.get("uploads/p/none", 10).await.unwrap_err(),
        BlobError::NotFound(_)
    ));
    assert!(matches!(
        store.download_to("uploads/p/none", &dest, 10).await.unwrap_err(),
        BlobError::NotFound(_)
    ));
    assert_eq!(store.head("uploads/p/none").await.unwrap(), None);
}

#[tokio::test]
async fn s3_prefix_is_a_range_read() {
    let config = moto_config().await;
    let (client, bucket) = new_bucket(&config).await;
    let store = S3BlobStore::new(client, bucket);
    let body = pseudo_random(64 * 1024, 3);
    store
        .put("k/media", Bytes::from(body.clone()), "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(store.get_prefix("k/media", 12).await.unwrap().as_ref(), &body[..12]);
    assert_eq!(store.get_prefix("k/media", 1).await.unwrap().as_ref(), &body[..1]);
    store
        .put("k/short", Bytes::from_static(b"abc"), "text/plain")
        .await
        .unwrap();
    assert_eq!(store.get_prefix("k/short", 4096).await.unwrap().as_ref(), b"abc");
    store.put("k/empty", Bytes::new(), "text/plain").await.unwrap();
    assert!(store.get_prefix("k/empty", 16).await.unwrap().is_empty());
    assert!(store.get_prefix("k/empty", 0).await.unwrap().is_empty());
    assert!(matches!(
        store.get_prefix("k/none", 16).await.unwrap_err(),
        BlobError::NotFound(_)
    ));
    assert!(matches!(
        store.get_prefix("k/none", 0).await.unwrap_err(),
        BlobError::NotFound(_)
    ));
}

#[tokio::test]
async fn s3_streams_multi_megabyte_objects_both_ways() {
    let config = moto_config().await;
    let (client, bucket) = new_bucket(&config).await;
    let store = S3BlobStore::new(client, bucket);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("recording.webm");
    let body = pseudo_random(12 * 1024 * 1024 + 5, 11);
    std::fs::write(&src, &body).unwrap();

    let meta = store
        .upload_from("uploads/p/recording.webm", &src, "video/webm")
        .await
        .unwrap();
    assert_eq!(meta.size, body.len() as u64);
    let head = store.head("uploads/p/recording.webm").await.unwrap().unwrap();
    assert_eq!((head.size, &head.etag), (meta.size, &meta.etag));
    assert_eq!(head.content_type.as_deref(), Some("video/webm"));

    let dest = dir.path().join("copy.webm");
    let written = store
        .download_to("uploads/p/recording.webm", &dest, body.len() as u64)
        .await
        .unwrap();
    assert_eq!(written, body.len() as u64);
    assert!(std::fs::read(&dest).unwrap() == body, "the download is byte-identical");

    store.delete("uploads/p/recording.webm").await.unwrap();
    store.delete("uploads/p/recording.webm").await.unwrap();
    assert_eq!(store.head("uploads/p/recording.webm").await.unwrap(), None);
}

#[tokio::test]
async fn s3_list_follows_pages_past_a_thousand_keys() {
    let config = moto_config().await;
    let (client, bucket) = new_bucket(&config).await;
    let store = std::sync::Arc::new(S3BlobStore::new(client, bucket));
    let total = 1_050;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let store = store.clone();
        tasks.spawn(async move {
            for n in (worker..total).step_by(8) {
                store
                    .put(
                        &format!("results/many/{n:05}.json"),
                        Bytes::from_static(b"{}"),
                        "application/json",
                    )
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    store
        .put("results/other", Bytes::from_static(b"{}"), "application/json")
        .await
        .unwrap();
    let keys = store.list("results/many/").await.unwrap();
    assert_eq!(keys.len(), total);
    assert_eq!(keys.first().map(String::as_str), Some("results/many/00000.json"));
    assert_eq!(keys.last().map(String::as_str), Some("results/many/01049.json"));
}

#[tokio::test]
async fn s3_errors_say_whether_a_retry_can_help() {
    let config = moto_config().await;
    let store = S3BlobStore::new(integration_tests::s3_client(&config), unique_name("no-such-bucket"));
    let err = store.put("k", Bytes::from_static(b"x"), "t").await.unwrap_err();
    assert!(!err.is_transient(), "a missing bucket is not retried: {err:?}");
    assert!(err.to_string().contains("NoSuchBucket"), "{err}");

    let unreachable = integration_tests::sdk_config(&format!("http://127.0.0.1:{}", closed_port())).await;
    let store = S3BlobStore::new(integration_tests::s3_client(&unreachable), "b");
    let err = store.head("k").await.unwrap_err();
    assert!(err.is_transient(), "a connection failure may pass: {err:?}");
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A minimal Standard state machine on moto (moto only records executions by default).
async fn new_state_machine(client: &aws_sdk_sfn::Client) -> String {
    let definition = serde_json::json!({
        "Comment": "adapter test",
        "StartAt": "Done",
        "States": {"Done": {"Type": "Pass", "End": true}}
    });
    client
        .create_state_machine()
        .name(unique_name("pipeline"))
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/interview-pipeline")
        .send()
        .await
        .unwrap()
        .state_machine_arn
}

#[tokio::test]
async fn step_functions_start_is_idempotent_per_run_and_stop_is_a_no_op_when_done() {
    let config = moto_config().await;
    let client = aws_sdk_sfn::Client::new(&config);
    let machine = new_state_machine(&client).await;
    let orchestrator = StepFunctionsOrchestrator::new(client.clone(), machine.clone());
    let item = sample_item("sfn");
    let input = serde_json::json!({"interview_id": item.id.to_string(), "run_id": item.run_id.to_string()});

    let first = orchestrator.start(&item.run_id, &input).await.unwrap();
    let again = orchestrator.start(&item.run_id, &input).await.unwrap();
    assert_eq!(first, again, "the same run started twice is one execution");
    assert_eq!(first, execution_arn(&machine, item.run_id.as_str()).unwrap());
    let executions = client
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap()
        .executions;
    assert_eq!(executions.len(), 1, "{executions:?}");

    let other_input = serde_json::json!({"run_id": "someone else"});
    let err = orchestrator.start(&item.run_id, &other_input).await.unwrap_err();
    assert!(matches!(err, OrchestratorError::NameConflict(_)), "{err:?}");

    orchestrator.stop(&first, "Stale", "no progress").await.unwrap();
    orchestrator.stop(&first, "Stale", "no progress").await.unwrap();
    let never_started = execution_arn(&machine, "iv-000000000000000000000000-r9").unwrap();
    orchestrator.stop(&never_started, "Stale", "no progress").await.unwrap();
    // A stopped run cannot be restarted under its name: the caller sees the existing execution.
    assert_eq!(orchestrator.start(&item.run_id, &input).await.unwrap(), first);

    let missing = StepFunctionsOrchestrator::new(client, machine.replace(":stateMachine:", ":stateMachine:missing-"));
    let err = missing.start(&item.run_id, &input).await.unwrap_err();
    assert!(matches!(err, OrchestratorError::Other(_)), "{err:?}");
}

#[tokio::test]
async fn harness_queues_are_separate_per_test() {
    let config = moto_config().await;
    let (client, first) = integration_tests::new_queue(&config).await;
    let (_, second) = integration_tests::new_queue(&config).await;
    assert_ne!(first, second);
    client
        .send_message()
        .queue_url(&first)
        .message_body("hello")
        .send()
        .await
        .unwrap();
    let received = client
        .receive_message()
        .queue_url(&first)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body(), Some("hello"));
    let other = client
        .receive_message()
        .queue_url(&second)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert!(other.is_empty(), "a message sent to one test's queue stays there");
}
