//! The speakers case of the API suite: a transcript whose speakers are only `spk_0` and
//! `spk_1` gets names and roles through `PUT /v1/interviews/{id}/speakers`, and the new run
//! redoes extract and analyze with them while reusing the transcript.

use crate::api_suite::{upload, wait_until_ended, ApiTarget, CORRUPT_VTT};
use serde_json::{json, Value};

/// The bakery interview with its speakers unnamed, as a speech service would label them:
/// the interviewer (who speaks first) is `spk_1`, Rosa is `spk_0`.
pub fn unnamed_bakery_transcript() -> String {
    include_str!("../../../samples/bakery-scheduling.txt")
        .replace("] Interviewer:", "] spk_1:")
        .replace("] Rosa Delgado:", "] spk_0:")
}

async fn document(target: &dyn ApiTarget, id: &str, name: &str) -> Value {
    let reply = target.call("GET", &format!("/v1/interviews/{id}/{name}"), None).await;
    assert_eq!(reply.status, 200, "{name}: {reply:?}");
    reply.body
}

fn evidence_speakers(evidence: &Value) -> Vec<String> {
    let mut speakers: Vec<String> = evidence["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["speaker"].as_str().unwrap().to_string())
        .collect();
    speakers.dedup();
    speakers
}

/// Names the speakers of a ready interview and checks what the new run changed and what it
/// did not; refuses unknown labels, malformed bodies and an interview without a transcript.
pub async fn speakers_are_named_and_only_extract_and_analyze_rerun(target: &dyn ApiTarget, project: &str) {
    let text = unnamed_bakery_transcript();
    let id = upload(target, project, "unnamed call.txt", "text/plain", text.as_bytes()).await;
    let item = wait_until_ended(target, &id).await;
    assert_eq!(item["status"], "ready", "{item}");
    assert_eq!(item["speakers"], json!({}), "{item}");
    assert_eq!(
        item["interviewer_guess"],
        json!(["spk_1"]),
        "the analyzer's pick is recorded as a guess: {item}"
    );
    let transcript_before = document(target, &id, "transcript").await;
    assert_eq!(evidence_speakers(&document(target, &id, "evidence").await), ["spk_0"]);

    let path = format!("/v1/interviews/{id}/speakers");
    let unknown = target
        .call("PUT", &path, Some(json!({"speakers": {"spk_9": {"name": "Ana"}}})))
        .await;
    assert_eq!(
        (unknown.status, unknown.body["field"].as_str()),
        (422, Some("speakers")),
        "{unknown:?}"
    );
    let detail = unknown.body["detail"].as_str().unwrap();
    assert!(detail.contains("spk_9") && detail.contains("spk_1, spk_0"), "{detail}");
    for bad in [
        json!({"speakers": {"spk_0": {"role": "host"}}}),
        json!({"speakers": {"spk_0": {"nom": "Rosa"}}}),
        json!({"schema_version": 2, "speakers": {}}),
        json!({"speakers": {"spk_0": {"name": "Rosa"}}, "extra": 1}),
    ] {
        let reply = target.call("PUT", &path, Some(bad.clone())).await;
        assert_eq!(reply.status, 400, "{bad}: {reply:?}");
    }
    let empty = target
        .call("PUT", &path, Some(json!({"speakers": {"spk_0": {}}})))
        .await;
    assert_eq!(empty.status, 422, "{empty:?}");
    let unchanged = wait_until_ended(target, &id).await;
    assert_eq!(unchanged["run"], 1, "refused requests start nothing: {unchanged}");

    let assigned = target
        .call(
            "PUT",
            &path,
            Some(json!({"schema_version": 1, "speakers": {
                "spk_0": {"name": "Rosa Delgado", "role": "participant"},
                "spk_1": {"role": "interviewer"}
            }})),
        )
        .await;
    assert_eq!(assigned.status, 202, "{assigned:?}");
    assert_eq!(
        (
            assigned.body["run"].as_u64(),
            assigned.body["resumes_at"].as_str(),
            assigned.body["speakers"]["spk_0"]["name"].as_str()
        ),
        (Some(2), Some("extract"), Some("Rosa Delgado")),
        "{assigned:?}"
    );
    let item = wait_until_ended(target, &id).await;
    assert_eq!(
        (item["status"].as_str(), item["run"].as_u64()),
        (Some("ready"), Some(2)),
        "{item}"
    );
    let reused: Vec<(String, bool)> = item["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["step"].as_str().unwrap().to_string(), t["reused"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        reused,
        [
            ("transcribe".to_string(), true),
            ("extract".to_string(), false),
            ("analyze".to_string(), false)
        ],
        "only extract and analyze are redone: {item}"
    );
    assert_eq!(
        item["interviewer_guess"],
        json!([]),
        "a person said who interviews: {item}"
    );
    assert_eq!(item["speakers"]["spk_1"], json!({"role": "interviewer"}), "{item}");
    assert_eq!(
        document(target, &id, "transcript").await,
        transcript_before,
        "the transcript is the earlier run's, unchanged"
    );
    let evidence = document(target, &id, "evidence").await;
    assert_eq!(evidence_speakers(&evidence), ["Rosa Delgado"], "{evidence}");
    assert_eq!(evidence["interviewers"], json!(["spk_1"]), "{evidence}");
    let analysis = document(target, &id, "analysis").await;
    let personas: Vec<&str> = analysis["personas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["speaker"].as_str().unwrap())
        .collect();
    assert_eq!(personas, ["Rosa Delgado"], "{analysis}");
    assert!(
        analysis["themes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["speakers"] == json!(["Rosa Delgado"])),
        "{analysis}"
    );
    assert!(!analysis.to_string().contains("spk_0"), "{analysis}");

    let broken = upload(
        target,
        project,
        "broken speakers.vtt",
        "text/vtt",
        CORRUPT_VTT.as_bytes(),
    )
    .await;
    wait_until_ended(target, &broken).await;
    let no_transcript = target
        .call(
            "PUT",
            &format!("/v1/interviews/{broken}/speakers"),
            Some(json!({"speakers": {}})),
        )
        .await;
    assert_eq!(no_transcript.status, 409, "{no_transcript:?}");
    assert!(
        no_transcript.body["detail"].as_str().unwrap().contains("no transcript"),
        "{no_transcript:?}"
    );
}
