//! The events contract: the frozen v1 event still reads and writes back unchanged, and the JSON
//! Schema in docs/events.schema.json requires exactly the fields this release writes, with the
//! values it allows.

use interview_core::domain::{ErrorKind, Status, Step};
use interview_core::events::{InterviewStatusChanged, EVENT_SCHEMA_VERSION, EVENT_TYPE};
use serde_json::Value;
use std::path::PathBuf;

fn read(path: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    let mut out: Vec<String> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn the_frozen_v1_event_reads_and_writes_back_unchanged() {
    let frozen = read("tests/fixtures/compat/events/interview-status-changed.v1.json");
    let event: InterviewStatusChanged = serde_json::from_value(frozen.clone()).unwrap();
    assert_eq!(
        (event.status, event.step, event.version),
        (Status::Error, Step::Extract, 9)
    );
    assert_eq!(event.error.as_ref().unwrap().kind, ErrorKind::Provider);
    assert_eq!(serde_json::to_value(&event).unwrap(), frozen);
}

#[test]
fn the_schema_requires_exactly_the_fields_written_with_the_values_allowed() {
    let schema = read("docs/events.schema.json");
    let event = read("tests/fixtures/compat/events/interview-status-changed.v1.json");
    let mut written: Vec<String> = event.as_object().unwrap().keys().cloned().collect();
    written.sort();
    assert_eq!(strings(&schema["required"]), written);
    let mut described: Vec<String> = schema["properties"].as_object().unwrap().keys().cloned().collect();
    described.sort();
    assert_eq!(described, written);
    assert_eq!(schema["properties"]["schema_version"]["const"], EVENT_SCHEMA_VERSION);
    assert_eq!(schema["properties"]["type"]["const"], EVENT_TYPE);
    let statuses: Vec<String> = Status::ALL.iter().map(|s| s.to_string()).collect();
    assert_eq!(strings(&schema["properties"]["status"]["enum"]), {
        let mut s = statuses;
        s.sort();
        s
    });
    let steps: Vec<String> = Step::ALL.iter().map(|s| s.to_string()).collect();
    assert_eq!(strings(&schema["properties"]["step"]["enum"]), {
        let mut s = steps;
        s.sort();
        s
    });
    let kinds: Vec<String> = ErrorKind::ALL.iter().map(|k| k.as_str().to_string()).collect();
    let error = &schema["properties"]["error"]["oneOf"][1];
    assert_eq!(strings(&error["properties"]["kind"]["enum"]), {
        let mut k = kinds;
        k.sort();
        k
    });
    let mut error_fields: Vec<String> = event["error"].as_object().unwrap().keys().cloned().collect();
    error_fields.sort();
    assert_eq!(strings(&error["required"]), error_fields);
}
