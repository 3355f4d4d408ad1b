//! The AWS adapters against moto's server, through the real SDK clients: the same contract the
//! embedded adapters pass, plus the AWS-specific promises (the sweeper never scans, the size
//! limit is checked before a download, a repeated start is one execution).

use chrono::{Duration, Utc};
use integration_tests::{moto_config, new_table};
use interview::domain::{ArtifactName, Artifacts, Counts, Interview, Status, Step, StepRecord};
use interview::ports::{Expected, ItemStore};
use interview::store::contract::{run_all, sample_item};
use interview::store::dynamodb::{stored_size, DynamoStore};

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
