//! The API suite: one set of cases, run against `interviews serve` (embedded backend, over
//! loopback HTTP) and against the `api` router on moto (DynamoDB, S3 presigned PUTs and S3 →
//! SQS notifications through the real SDK). Each case goes the user's way: ask for an upload
//! URL, PUT the bytes to it, let the bucket's notification reach ingest, and read the result
//! back through the API.

use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A transcript sample that ends `ready`.
pub const SAMPLE_VTT: &str = include_str!("../../../samples/bakery-scheduling.vtt");

/// A transcript that passes ingest (it is text) and fails the transcribe step on its input.
pub const CORRUPT_VTT: &str = "WEBVTT\n\n00:00:09.000 --> 00:00:02.000\nMaria: this cue ends before it starts\n";

/// An API answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
}

/// One deployment of the API the suite drives, as an admin caller.
#[async_trait]
pub trait ApiTarget: Send + Sync {
    /// Calls the API (`path` from `/v1/…`, with its query) with an optional JSON body.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply;
    /// Sends `bytes` to an issued upload URL with the headers it came with; the HTTP status.
    async fn put(&self, url: &str, headers: &BTreeMap<String, String>, bytes: Vec<u8>) -> u16;
    /// Hands the bucket's pending notifications to ingest (a no-op where the server does it).
    async fn deliver(&self);
    /// Waits for the runs started so far to finish.
    async fn settle(&self);
}

/// Runs every case in `project` (fresh per run); the names of the cases that passed.
pub async fn run_all(target: &dyn ApiTarget, project: &str) -> Vec<&'static str> {
    let mut passed = Vec::new();
    let ready = upload_ends_ready_and_reads_back(target, project).await;
    passed.push("upload_ends_ready_and_reads_back");
    requests_are_checked_before_anything_happens(target, project, &ready).await;
    passed.push("requests_are_checked_before_anything_happens");
    an_input_error_is_retried_only_with_force(target, project).await;
    passed.push("an_input_error_is_retried_only_with_force");
    pages_follow_the_cursor(target, project).await;
    passed.push("pages_follow_the_cursor");
    crate::api_speakers::speakers_are_named_and_only_extract_and_analyze_rerun(target, project).await;
    passed.push("speakers_are_named_and_only_extract_and_analyze_rerun");
    delete_removes_the_upload_and_the_results(target, &ready).await;
    passed.push("delete_removes_the_upload_and_the_results");
    passed
}

/// Asks for a URL, PUTs `bytes` and hands the notification to ingest; the interview id.
pub async fn upload(
    target: &dyn ApiTarget,
    project: &str,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> String {
    let ticket = target
        .call(
            "POST",
            "/v1/uploads",
            Some(json!({"project": project, "file_name": file_name, "content_type": content_type, "size_bytes": bytes.len()})),
        )
        .await;
    assert_eq!(ticket.status, 201, "{ticket:?}");
    let body = &ticket.body;
    assert_eq!(body["schema_version"], 1);
    assert_eq!(body["method"], "PUT");
    assert!(
        body["key"]
            .as_str()
            .unwrap()
            .starts_with(&format!("uploads/{project}/")),
        "{body}"
    );
    let headers: BTreeMap<String, String> = serde_json::from_value(body["headers"].clone()).unwrap();
    let status = target
        .put(body["url"].as_str().unwrap(), &headers, bytes.to_vec())
        .await;
    assert!(
        (200..300).contains(&status),
        "the PUT to the issued URL answered {status}"
    );
    target.deliver().await;
    body["interview_id"].as_str().unwrap().to_string()
}

/// Reads the interview until it is no longer live (delivering and settling in between).
pub async fn wait_until_ended(target: &dyn ApiTarget, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        target.deliver().await;
        target.settle().await;
        let reply = target.call("GET", &format!("/v1/interviews/{id}"), None).await;
        if reply.status == 200 && !matches!(reply.body["status"].as_str(), Some("queued" | "processing")) {
            return reply.body;
        }
        assert!(Instant::now() < deadline, "interview {id} did not end: {reply:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn upload_ends_ready_and_reads_back(target: &dyn ApiTarget, project: &str) -> String {
    let id = upload(target, project, "../Bakery call.vtt", "text/vtt", SAMPLE_VTT.as_bytes()).await;
    let item = wait_until_ended(target, &id).await;
    assert_eq!(
        (
            item["status"].as_str(),
            item["step"].as_str(),
            item["progress"].as_u64()
        ),
        (Some("ready"), Some("done"), Some(100)),
        "{item}"
    );
    assert_eq!(item["source"]["project"], project);
    assert_eq!(
        item["source"]["file_name"], "Bakery call.vtt",
        "the path was cut off the name"
    );
    assert_eq!(item["timeline"].as_array().unwrap().len(), 3, "{item}");
    assert!(item["counts"]["evidence"].as_u64().unwrap() > 0);
    for doc in ["transcript", "evidence", "analysis"] {
        assert_eq!(item["artifacts"][doc]["available"], true, "{item}");
        let reply = target.call("GET", &format!("/v1/interviews/{id}/{doc}"), None).await;
        assert_eq!(reply.status, 200, "{doc}: {reply:?}");
        assert!(
            reply.body["schema_version"].is_number(),
            "{doc} carries its schema version"
        );
    }
    let listed = target
        .call("GET", &format!("/v1/interviews?project={project}&status=ready"), None)
        .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert!(
        listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id.as_str()),
        "{listed:?}"
    );
    let overview = target
        .call("GET", &format!("/v1/overview?project={project}"), None)
        .await;
    assert_eq!(overview.status, 200);
    assert!(
        overview.body["by_status"]["ready"]["done"].as_u64().unwrap() >= 1,
        "{overview:?}"
    );
    id
}

async fn requests_are_checked_before_anything_happens(target: &dyn ApiTarget, project: &str, ready: &str) {
    let upload = |body: Value| async move { target.call("POST", "/v1/uploads", Some(body)).await };
    let unknown = upload(
        json!({"project": project, "file_name": "a.vtt", "content_type": "text/vtt", "size_bytes": 3, "colour": "red"}),
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.body["field"].as_str()),
        (400, Some("colour")),
        "{unknown:?}"
    );
    assert_eq!(unknown.content_type, "application/problem+json");
    let missing = upload(json!({"project": project, "file_name": "a.vtt", "content_type": "text/vtt"})).await;
    assert_eq!(
        (missing.status, missing.body["field"].as_str()),
        (400, Some("size_bytes")),
        "{missing:?}"
    );
    let huge = upload(
        json!({"project": project, "file_name": "a.wav", "content_type": "audio/wav", "size_bytes": 1u64 << 40}),
    )
    .await;
    assert_eq!(huge.status, 413, "{huge:?}");
    assert!(huge.body.get("url").is_none(), "no URL is issued for a refused upload");
    let malformed = target
        .call("POST", "/v1/uploads", Some(Value::String("{not json".into())))
        .await;
    assert_eq!(malformed.status, 400, "{malformed:?}");
    let bad_filter = target
        .call("GET", &format!("/v1/interviews?project={project}&status=done"), None)
        .await;
    assert_eq!(
        (bad_filter.status, bad_filter.body["field"].as_str()),
        (400, Some("status"))
    );
    let bad_cursor = target
        .call("GET", &format!("/v1/interviews?project={project}&cursor=zz"), None)
        .await;
    assert_eq!(
        (bad_cursor.status, bad_cursor.body["field"].as_str()),
        (400, Some("cursor"))
    );
    let not_failed = target
        .call("POST", &format!("/v1/interviews/{ready}/retry"), Some(json!({})))
        .await;
    assert_eq!(not_failed.status, 409, "{not_failed:?}");
    let nobody = target
        .call("GET", "/v1/interviews/iv-000000000000000000000000", None)
        .await;
    assert_eq!(nobody.status, 404);
}

async fn an_input_error_is_retried_only_with_force(target: &dyn ApiTarget, project: &str) {
    let id = upload(target, project, "broken.vtt", "text/vtt", CORRUPT_VTT.as_bytes()).await;
    let item = wait_until_ended(target, &id).await;
    assert_eq!(
        (item["status"].as_str(), item["error"]["kind"].as_str()),
        (Some("error"), Some("input")),
        "{item}"
    );
    assert!(
        item["error"]["action"].as_str().unwrap().contains("upload it again"),
        "{item}"
    );
    let failed = target
        .call(
            "GET",
            &format!("/v1/interviews?project={project}&error_kind=input"),
            None,
        )
        .await;
    assert!(
        failed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id.as_str()),
        "{failed:?}"
    );
    let refused = target
        .call(
            "POST",
            &format!("/v1/interviews/{id}/retry"),
            Some(json!({"force": false})),
        )
        .await;
    assert_eq!(refused.status, 422, "{refused:?}");
    let forced = target
        .call(
            "POST",
            &format!("/v1/interviews/{id}/retry"),
            Some(json!({"force": true})),
        )
        .await;
    assert_eq!(
        (forced.status, forced.body["run"].as_u64()),
        (202, Some(2)),
        "{forced:?}"
    );
    let again = wait_until_ended(target, &id).await;
    assert_eq!(
        (again["status"].as_str(), again["run"].as_u64()),
        (Some("error"), Some(2)),
        "the same input fails again: {again}"
    );
}

async fn pages_follow_the_cursor(target: &dyn ApiTarget, project: &str) {
    let page_project = format!("{project}-pages");
    let mut ids = Vec::new();
    for n in 0..3 {
        let text = format!("Ana: call number {n} about the ovens.\nBen: the ovens are late again.\n");
        ids.push(
            upload(
                target,
                &page_project,
                &format!("note {n}.txt"),
                "text/plain",
                text.as_bytes(),
            )
            .await,
        );
    }
    for id in &ids {
        wait_until_ended(target, id).await;
    }
    let mut seen = Vec::new();
    let mut path = format!("/v1/interviews?project={page_project}&limit=1");
    for _ in 0..10 {
        let reply = target.call("GET", &path, None).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let items = reply.body["items"].as_array().unwrap();
        assert!(items.len() <= 1);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_string()));
        match reply.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/interviews?project={page_project}&limit=1&cursor={cursor}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no interview twice: {seen:?}");
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(sorted, expected, "every interview once");
}

async fn delete_removes_the_upload_and_the_results(target: &dyn ApiTarget, id: &str) {
    let reply = target.call("DELETE", &format!("/v1/interviews/{id}"), None).await;
    assert_eq!(reply.status, 202, "{reply:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        target.deliver().await;
        target.settle().await;
        let item = target.call("GET", &format!("/v1/interviews/{id}"), None).await;
        if item.body["status"] == "deleted" {
            assert_eq!(item.body["artifacts"]["transcript"]["available"], false, "{item:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the interview was not marked deleted: {item:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let gone = target
        .call("GET", &format!("/v1/interviews/{id}/transcript"), None)
        .await;
    assert_eq!(gone.status, 404, "{gone:?}");
    let again = target.call("DELETE", &format!("/v1/interviews/{id}"), None).await;
    assert_eq!(again.status, 409, "{again:?}");
}
