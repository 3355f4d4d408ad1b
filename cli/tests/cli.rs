//! The CLI as a person uses it: the README's first command on the samples, repeats, bad files.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn interviews(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interviews"))
        .args(args)
        .env("INTERVIEWS_DATA_DIR", data)
        .env_remove("INTERVIEWS_BACKEND")
        .env("RUST_LOG", "warn")
        .current_dir(repo())
        .output()
        .expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn items(data: &Path) -> Vec<Value> {
    let out = interviews(data, &["list", "--all", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn process_turns_the_samples_into_ready_interviews_with_artifacts() {
    let data = tempfile::tempdir().unwrap();
    let samples = [
        "samples/bakery-scheduling.vtt",
        "samples/bakery-scheduling.txt",
        "samples/platform-team-deploys.srt",
    ];
    let out = interviews(data.path(), &["process", samples[0], samples[1], samples[2]]);
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("3 ready, 0 error"), "{printed}");
    assert!(printed.contains("100%"), "progress is shown: {printed}");

    let listed = items(data.path());
    assert_eq!(listed.len(), 3);
    for item in &listed {
        assert_eq!(item["status"], "ready", "{item}");
        assert_eq!(item["step"], "done");
        assert!(item["counts"]["words"].as_u64().unwrap() > 100, "{item}");
        assert!(item["counts"]["evidence"].as_u64().unwrap() > 0, "{item}");
        let id = item["id"].as_str().unwrap();
        for (doc, version) in [("transcript.json", 2), ("evidence.json", 1), ("analysis.json", 1)] {
            let path = data.path().join("blobs/local/results").join(id).join("r1").join(doc);
            let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            assert_eq!(json["schema_version"], version, "{}", path.display());
        }
        let status = interviews(data.path(), &["status", id]);
        let shown = text(&status);
        assert!(
            status.status.success() && shown.contains("status      ready"),
            "{shown}"
        );
        for step in ["transcribe", "extract", "analyze"] {
            assert!(
                shown.lines().any(|l| l.starts_with(step) && l.contains(" ms")),
                "timeline row for {step}: {shown}"
            );
        }
    }
}

#[test]
fn processing_the_same_file_twice_is_one_interview_and_one_run() {
    let data = tempfile::tempdir().unwrap();
    let first = interviews(data.path(), &["process", "samples/bakery-scheduling.vtt"]);
    assert!(first.status.success(), "{}", text(&first));
    let before = items(data.path());
    let second = interviews(data.path(), &["process", "samples/bakery-scheduling.vtt"]);
    assert!(second.status.success(), "{}", text(&second));
    let after = items(data.path());
    assert_eq!(after.len(), 1);
    assert_eq!(before[0]["run_id"], after[0]["run_id"], "no new run");
    assert_eq!(before[0]["version"], after[0]["version"], "no write at all");
}

#[test]
fn bad_files_end_in_input_errors_that_say_why() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.vtt");
    std::fs::write(&empty, b"").unwrap();
    let pdf = dir.path().join("notes.txt");
    std::fs::write(&pdf, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n\x00\x00").unwrap();
    let broken = dir.path().join("broken.vtt");
    std::fs::write(&broken, "WEBVTT\n\n00:00:01.000 --> nonsense\nInterviewer: hi\n").unwrap();
    let out = interviews(
        data.path(),
        &[
            "process",
            empty.to_str().unwrap(),
            pdf.to_str().unwrap(),
            broken.to_str().unwrap(),
        ],
    );
    let printed = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "errors make the exit code non-zero: {printed}"
    );
    assert!(printed.contains("0 ready, 3 error"), "{printed}");
    let listed = items(data.path());
    assert_eq!(listed.len(), 3, "every bad upload still has its item");
    for item in &listed {
        assert_eq!(item["status"], "error", "{item}");
        assert_eq!(item["error"]["kind"], "input", "{item}");
        assert_eq!(item["error"]["retryable"], false);
    }
    let message = |name: &str| {
        listed
            .iter()
            .find(|i| i["source"]["key"].as_str().unwrap().ends_with(name))
            .unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message("empty.vtt").contains("empty"), "{}", message("empty.vtt"));
    assert!(message("notes.txt").contains("PDF"), "{}", message("notes.txt"));
    assert!(
        message("broken.vtt").contains("WebVTT") && message("broken.vtt").contains("line 3"),
        "{}",
        message("broken.vtt")
    );
}

#[test]
fn status_of_an_unknown_or_malformed_id_says_what_to_do() {
    let data = tempfile::tempdir().unwrap();
    let out = interviews(data.path(), &["status", "iv-000000000000000000000000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("interviews list"), "{}", text(&out));
    let out = interviews(data.path(), &["status", "hello"]);
    assert!(text(&out).contains("not a valid interview id"), "{}", text(&out));
    let help = interviews(data.path(), &["process", "--help"]);
    assert!(
        text(&help).contains("Recordings") || text(&help).contains("recordings"),
        "{}",
        text(&help)
    );
}

#[test]
fn watch_once_picks_up_a_drop_folder_by_project() {
    let data = tempfile::tempdir().unwrap();
    let drop = tempfile::tempdir().unwrap();
    let project = drop.path().join("acme");
    std::fs::create_dir(&project).unwrap();
    std::fs::copy(repo().join("samples/bakery-scheduling.txt"), project.join("bakery.txt")).unwrap();
    let out = interviews(data.path(), &["watch", drop.path().to_str().unwrap(), "--once"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed = items(data.path());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "ready");
    assert_eq!(listed[0]["source"]["key"], "uploads/acme/bakery.txt");
}

#[test]
fn operators_filter_export_sweep_and_retry() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let out = interviews(
        data.path(),
        &["process", "samples/bakery-scheduling.vtt", empty.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let errors = interviews(data.path(), &["list", "--status", "error", "--json"]);
    assert_eq!(String::from_utf8_lossy(&errors.stdout).lines().count(), 1);
    let by_kind = interviews(data.path(), &["list", "--error-kind", "input", "--json"]);
    assert_eq!(String::from_utf8_lossy(&by_kind.stdout).lines().count(), 1);
    let old = interviews(data.path(), &["list", "--older-than", "1h", "--json"]);
    assert_eq!(
        String::from_utf8_lossy(&old.stdout).lines().count(),
        0,
        "nothing is an hour old"
    );
    let bad_age = interviews(data.path(), &["list", "--older-than", "soon"]);
    assert!(
        !bad_age.status.success() && text(&bad_age).contains("30m"),
        "{}",
        text(&bad_age)
    );

    let csv = interviews(data.path(), &["export"]);
    let report = String::from_utf8_lossy(&csv.stdout).to_string();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines[0],
        "id,key,status,step,error_kind,error_step,retryable,error_at,message"
    );
    assert_eq!(lines.len(), 2, "{report}");
    assert!(
        lines[1].contains(",input,transcribe,false,") && lines[1].contains("empty"),
        "{report}"
    );

    let sweep = interviews(data.path(), &["sweep", "--dry-run"]);
    assert!(
        sweep.status.success() && text(&sweep).contains("would mark 0 stale"),
        "{}",
        text(&sweep)
    );

    let id = serde_json::from_str::<Value>(String::from_utf8_lossy(&errors.stdout).trim()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let retry = interviews(data.path(), &["retry", &id]);
    assert!(
        text(&retry).contains("fix the file and upload it again"),
        "{}",
        text(&retry)
    );
    let all = interviews(data.path(), &["retry", "--all-failed"]);
    assert!(
        all.status.success() && text(&all).contains("nothing to retry"),
        "{}",
        text(&all)
    );
}

#[test]
fn show_renders_themes_with_quotes_and_timestamps() {
    let data = tempfile::tempdir().unwrap();
    let out = interviews(data.path(), &["process", "samples/bakery-scheduling.vtt"]);
    assert!(out.status.success(), "{}", text(&out));
    let id = items(data.path())[0]["id"].as_str().unwrap().to_string();
    let show = interviews(data.path(), &["show", &id]);
    let shown = text(&show);
    assert!(show.status.success(), "{shown}");
    assert!(shown.contains("status      ready"), "{shown}");
    assert!(shown.to_lowercase().contains("theme"), "{shown}");
    assert!(
        shown.contains("Rosa") && shown.contains("“"),
        "quotes with their speaker: {shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.contains(':') && l.chars().filter(char::is_ascii_digit).count() >= 3),
        "{shown}"
    );
}

#[test]
fn report_synthesises_a_projects_interviews_with_participants_and_quotes() {
    let data = tempfile::tempdir().unwrap();
    let project = repo().join("shared/analysis/tests/fixtures/project");
    let mut files: Vec<String> = std::fs::read_dir(&project)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt" || x == "vtt"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut args = vec!["process", "--project", "research"];
    args.extend(files.iter().map(String::as_str));
    let out = interviews(data.path(), &args);
    assert!(out.status.success(), "{}", text(&out));

    let out = interviews(data.path(), &["report", "--project", "research", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("the JSON report");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["interview_ids"].as_array().unwrap().len(), files.len());
    let themes = report["themes"].as_array().unwrap();
    assert!(!themes.is_empty(), "{report}");
    for theme in themes {
        assert!(
            theme["participants"].as_array().unwrap().len() >= 2,
            "a theme recurs: {theme}"
        );
        for quote in theme["quotes"].as_array().unwrap() {
            assert!(quote["interview_id"].as_str().unwrap().starts_with("iv-"));
            assert!(!quote["text"].as_str().unwrap().is_empty());
        }
    }

    let out = interviews(data.path(), &["report", "--project", "research"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("participants"),
        "{}",
        text(&out)
    );
    let out = interviews(data.path(), &["report", "--project", "nobody"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no ready interviews"), "{}", text(&out));
}
