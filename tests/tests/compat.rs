//! What earlier releases wrote still loads, and an interview caught mid-run by an upgrade still
//! finishes. The fixtures under `tests/fixtures/compat/v1/` were frozen from the last
//! single-crate release (see its README) and are never regenerated: every later format change
//! adds a `v2/` beside them and keeps this suite passing.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{moto_config, new_table};
use interview_aws::dynamodb::DynamoStore;
use interview_core::analysis::{validate_analysis, validate_evidence, AnalysisDoc, EvidenceDoc};
use interview_core::config::Settings;
use interview_core::domain::{Interview, InterviewId, Status, Step, ITEM_SCHEMA_VERSION};
use interview_core::ports::ItemStore;
use interview_core::services::Services;
use interview_embedded::Embedded;
use interview_handlers::mark_failed::{MarkFailedInput, MarkFailedOutput};
use interview_handlers::sweeper::SweepReport;
use interview_handlers::transcribe::{TranscribeInput, TranscribeOutput};
use interview_handlers::{analyze, extract, Deadline, StepOutput, TaskInput};
use interview_transcript::Transcript;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn v1() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/compat/v1")
}

fn read<T: DeserializeOwned>(rel: &str) -> T {
    let path = v1().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} no longer loads: {e}"))
}

/// Every frozen item version, by file name.
fn items() -> Vec<(String, Interview)> {
    let index: Vec<Value> = read("items/index.json");
    assert!(index.len() >= 10, "the index lists every frozen version");
    index
        .iter()
        .map(|entry| {
            let file = entry["file"].as_str().unwrap().to_string();
            let item: Interview = read(&format!("items/{file}.json"));
            assert_eq!(item.version, entry["version"].as_u64().unwrap(), "{file}");
            assert_eq!(
                item.schema_version, 1,
                "{file}: items without the field read as version 1"
            );
            (file, item)
        })
        .collect()
}

#[test]
fn every_item_state_of_v1_loads() {
    let items = items();
    let states: Vec<(Status, Step)> = items.iter().map(|(_, i)| (i.status, i.step)).collect();
    for wanted in [
        (Status::Queued, Step::Transcribe),
        (Status::Processing, Step::Transcribe),
        (Status::Processing, Step::Extract),
        (Status::Processing, Step::Analyze),
        (Status::Ready, Step::Done),
        (Status::Error, Step::Transcribe),
        (Status::Deleted, Step::Transcribe),
    ] {
        assert!(states.contains(&wanted), "a frozen item is {wanted:?}");
    }
    for (file, item) in &items {
        // What this release writes back reads the same, apart from the version it records.
        let mut written: Interview = serde_json::from_value(serde_json::to_value(item).unwrap()).unwrap();
        assert_eq!(&written, item, "{file}");
        written.schema_version = ITEM_SCHEMA_VERSION;
        assert_eq!(written.schema_version, 3);
        assert!(
            written.speakers.is_empty() && written.interviewer_guess.is_empty(),
            "{file}"
        );
    }
}

#[test]
fn every_task_input_and_output_of_v1_loads_into_its_typed_event() {
    let _: SqsEvent = read("tasks/ingest.input.json");
    let _: SqsEvent = read("tasks/ingest-removed.input.json");
    let _: SqsBatchResponse = read("tasks/ingest.output.json");
    let _: SqsBatchResponse = read("tasks/ingest-removed.output.json");
    for action in ["start", "check"] {
        let _: TranscribeInput = read(&format!("tasks/transcribe-{action}.input.json"));
        let _: TranscribeOutput = read(&format!("tasks/transcribe-{action}.output.json"));
    }
    for step in ["extract", "analyze"] {
        let _: TaskInput = read(&format!("tasks/{step}.input.json"));
        let _: StepOutput = read(&format!("tasks/{step}.output.json"));
    }
    let catch: MarkFailedInput = read("tasks/mark-failed-catch.input.json");
    assert!(matches!(catch, MarkFailedInput::Task { .. }));
    let status_change: MarkFailedInput = read("tasks/mark-failed-status-change.input.json");
    assert!(matches!(status_change, MarkFailedInput::StatusChange(_)));
    let _: MarkFailedOutput = read("tasks/mark-failed-catch.output.json");
    let _: MarkFailedOutput = read("tasks/mark-failed-status-change.output.json");
    let _: EventBridgeEvent = read("tasks/sweeper.input.json");
    let _: SweepReport = read("tasks/sweeper.output.json");
    let execution: TaskInput = read("execution-input.json");
    execution
        .check()
        .expect("the execution input names its own interview's run");
}

#[test]
fn the_v1_result_documents_load_and_still_validate() {
    let transcript: Transcript = read("results/transcript.json");
    let evidence: EvidenceDoc = read("results/evidence.json");
    let analysis: AnalysisDoc = read("results/analysis.json");
    assert!(!transcript.segments.is_empty() && !evidence.items.is_empty());
    validate_evidence(&transcript, &evidence).expect("v1 evidence still validates");
    validate_analysis(&evidence, &analysis).expect("v1 analysis still validates");
}

/// Builds a SQLite file from a frozen dump (the store's table as v1 left it).
fn sqlite_from_dump(dump: &Path, db: &Path) {
    let sql = std::fs::read_to_string(dump).unwrap();
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(&sql).unwrap();
}

#[tokio::test]
async fn the_v1_sqlite_table_opens_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("items.sqlite");
    sqlite_from_dump(&v1().join("items.sql"), &db);
    let store = interview_embedded::sqlite::SqliteStore::open(&db).expect("v1's table opens");
    for (file, frozen) in items() {
        let stored = store.get(&frozen.id).await.unwrap().expect("every interview is there");
        if stored.version == frozen.version {
            assert_eq!(stored, frozen, "{file}");
        }
    }
}

fn attribute(value: &Value) -> AttributeValue {
    match (value.get("S"), value.get("N")) {
        (Some(s), _) => AttributeValue::S(s.as_str().unwrap().to_string()),
        (_, Some(n)) => AttributeValue::N(n.as_str().unwrap().to_string()),
        _ => panic!("unexpected attribute {value}"),
    }
}

#[tokio::test]
async fn v1_items_in_dynamodb_read_back_and_live_ones_are_in_the_sweeper_index() {
    let config = moto_config().await;
    let (client, table) = new_table(&config).await;
    let store = DynamoStore::new(client.clone(), table.clone());
    // The last version of each interview, as v1 left it in the table.
    let mut last: HashMap<InterviewId, (String, Interview)> = HashMap::new();
    for (file, item) in items() {
        last.insert(item.id.clone(), (file, item));
    }
    for (file, item) in last.values() {
        let raw: HashMap<String, Value> = read(&format!("items-dynamodb/{file}.json"));
        let attributes: HashMap<String, AttributeValue> = raw.iter().map(|(k, v)| (k.clone(), attribute(v))).collect();
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(attributes))
            .send()
            .await
            .unwrap();
        assert_eq!(&store.get(&item.id).await.unwrap().unwrap(), item, "{file}");
    }
    let live = store
        .live_items_updated_before(chrono::Utc::now() + chrono::Duration::days(1))
        .await
        .unwrap();
    let expected = last.values().filter(|(_, i)| !i.status.is_terminal()).count();
    assert_eq!(
        live.len(),
        expected,
        "exactly the live v1 items are in the sparse index"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// An interview that v1 left mid-`extract` (its attempt started, never finished) finishes
/// `ready` when the upgraded functions receive the execution's next task inputs, as Step
/// Functions redelivers them after a deployment.
#[tokio::test]
async fn an_interview_frozen_mid_extract_finishes_ready_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let frozen = v1().join("embedded-mid-extract");
    sqlite_from_dump(&frozen.join("items.sql"), &dir.path().join("items.sqlite"));
    copy_dir(&frozen.join("blobs"), &dir.path().join("blobs"));
    let settings = Settings::embedded(dir.path());
    let local = Embedded::open(&settings).unwrap();
    let services = Services::builder(settings.clone(), "upgraded", local.store.clone(), local.blobs.clone())
        .analyzer(interview_analysis::analyzer_for(&settings))
        .build();

    let input: TaskInput = read("tasks/extract.input.json");
    let before = services.store.get(&input.interview_id).await.unwrap().unwrap();
    assert_eq!((before.status, before.step), (Status::Processing, Step::Extract));
    assert_eq!(before.steps[&Step::Extract].attempts, 1);
    assert!(before.steps[&Step::Extract].finished_at.is_none());

    let extracted = extract::handle(&services, input.clone(), Deadline::NONE).await.unwrap();
    assert!(extracted.count > 0 && !extracted.reused);
    let analyzed = analyze::handle(&services, input.clone(), Deadline::NONE).await.unwrap();
    assert!(analyzed.count > 0);

    let after = services.store.get(&input.interview_id).await.unwrap().unwrap();
    assert_eq!(after.status, Status::Ready, "{:?}", after.error);
    assert_eq!(
        after.schema_version, ITEM_SCHEMA_VERSION,
        "written in the current format"
    );
    assert_eq!(
        after.steps[&Step::Extract].attempts,
        2,
        "the interrupted attempt counts"
    );
    assert_eq!(
        after.artifacts.transcript, before.artifacts.transcript,
        "v1's transcript reused"
    );
    for key in [&after.artifacts.evidence, &after.artifacts.analysis] {
        let key = key.as_deref().expect("listed");
        assert!(local.data_dir.join("blobs/local").join(key).is_file(), "{key} exists");
    }
}
