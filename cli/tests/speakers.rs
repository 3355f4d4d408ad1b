//! `interviews speakers` as a person uses it: a transcript from a speech service labels its
//! speakers `spk_0` and `spk_1`; naming them reruns extract and analyze only, and the names
//! show in `show`, evidence and analysis.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn interviews_with(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_interviews"));
    command
        .args(args)
        .env("INTERVIEWS_DATA_DIR", data)
        .env_remove("INTERVIEWS_BACKEND")
        .env_remove("INTERVIEWS_LOCAL_EXECUTIONS")
        .env("RUST_LOG", "warn")
        .current_dir(repo());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

fn interviews(data: &Path, args: &[&str]) -> Output {
    interviews_with(data, args, &[])
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn item(data: &Path, id: &str) -> Value {
    let out = interviews(data, &["status", id, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn result(data: &Path, key: &str) -> Value {
    serde_json::from_slice(&std::fs::read(data.join("blobs/local").join(key)).unwrap()).unwrap()
}

/// Processes the unnamed bakery interview; its id.
fn process_unnamed(data: &Path) -> String {
    let file = data.join("unnamed-call.txt");
    let text_in = include_str!("../../samples/bakery-scheduling.txt")
        .replace("] Interviewer:", "] spk_1:")
        .replace("] Rosa Delgado:", "] spk_0:");
    std::fs::write(&file, text_in).unwrap();
    let out = interviews(data, &["process", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let out = interviews(data, &["list", "--json"]);
    let listed: Value = serde_json::from_str(String::from_utf8(out.stdout).unwrap().lines().next().unwrap()).unwrap();
    listed["id"].as_str().unwrap().to_string()
}

#[test]
fn naming_speakers_reruns_extract_and_analyze_with_the_names() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = process_unnamed(data);
    let before = item(data, &id);
    assert_eq!(before["interviewer_guess"], serde_json::json!(["spk_1"]), "{before}");
    let listed = text(&interviews(data, &["speakers", &id]));
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("spk_1") && l.contains("the analyzer's guess")),
        "{listed}"
    );
    let status = text(&interviews(data, &["status", &id]));
    assert!(status.contains("spk_1: interviewer, the analyzer's guess"), "{status}");

    let unknown = interviews(data, &["speakers", &id, "spk_7=Ana"]);
    assert!(!unknown.status.success());
    let said = text(&unknown);
    assert!(
        said.contains("no speaker `spk_7`") && said.contains("spk_1, spk_0"),
        "the known labels are listed: {said}"
    );
    assert_eq!(item(data, &id)["run_id"], before["run_id"], "nothing started");

    let out = interviews(data, &["speakers", &id, "spk_0=Rosa Delgado", "spk_1=interviewer"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("redoes extract and analyze") && said.contains("ready"),
        "{said}"
    );

    let after = item(data, &id);
    assert_eq!(after["status"], "ready", "{after}");
    assert!(after["run_id"].as_str().unwrap().ends_with("-r2"), "{after}");
    assert_eq!(after["schema_version"], 3);
    assert_eq!(after["steps"]["transcribe"]["reused"], true, "{after}");
    assert!(after["steps"]["extract"].get("reused").is_none(), "{after}");
    assert_eq!(
        after["artifacts"]["transcript"], before["artifacts"]["transcript"],
        "the first run's transcript is kept"
    );
    assert!(
        after["artifacts"]["evidence"].as_str().unwrap().contains("/r2/"),
        "{after}"
    );
    assert!(
        after.get("interviewer_guess").is_none(),
        "a person said who interviews: {after}"
    );
    assert_eq!(after["speakers"]["spk_0"]["name"], "Rosa Delgado");

    let evidence = result(data, after["artifacts"]["evidence"].as_str().unwrap());
    let items = evidence["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["speaker"] == "Rosa Delgado"), "{evidence}");
    let analysis = result(data, after["artifacts"]["analysis"].as_str().unwrap());
    assert_eq!(analysis["personas"][0]["speaker"], "Rosa Delgado", "{analysis}");
    let transcript = result(data, after["artifacts"]["transcript"].as_str().unwrap());
    assert_eq!(
        transcript["segments"][0]["speaker"], "spk_1",
        "the transcript itself is untouched"
    );

    let shown = text(&interviews(data, &["show", &id]));
    assert!(shown.contains("quotes from Rosa Delgado"), "{shown}");
    let (_, rendered) = shown.split_once("\n\n").unwrap();
    assert!(
        !rendered.contains("spk_0"),
        "only the status part names the label: {shown}"
    );
    let status = text(&interviews(data, &["status", &id]));
    assert!(status.contains("spk_0 = Rosa Delgado"), "{status}");

    // Adding a role keeps the name given before; --replace starts over.
    let out = interviews(data, &["speakers", &id, "spk_0=participant"]);
    assert!(out.status.success(), "{}", text(&out));
    let merged = item(data, &id);
    assert_eq!(merged["speakers"]["spk_0"], serde_json::json!({"role": "participant"}));
    assert_eq!(merged["speakers"]["spk_1"], serde_json::json!({"role": "interviewer"}));
    let out = interviews(data, &["speakers", &id, "--replace", "spk_0=Rosa D. (participant)"]);
    assert!(out.status.success(), "{}", text(&out));
    let replaced = item(data, &id);
    assert_eq!(
        replaced["speakers"],
        serde_json::json!({"spk_0": {"name": "Rosa D.", "role": "participant"}})
    );
}

#[test]
fn speakers_are_refused_while_a_run_is_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = process_unnamed(data);
    // Manual executions record the new run without running it, so it stays queued.
    let manual = [("INTERVIEWS_LOCAL_EXECUTIONS", "manual")];
    let out = interviews_with(data, &["speakers", &id, "spk_0=Rosa Delgado"], &manual);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(item(data, &id)["status"], "queued");
    let again = interviews_with(data, &["speakers", &id, "spk_1=interviewer"], &manual);
    assert!(!again.status.success());
    let said = text(&again);
    assert!(
        said.contains("is queued at transcribe; name its speakers once it is ready or has failed"),
        "{said}"
    );
}
