//! `interviews process` with a webhook configured: it returns only once its interviews' events
//! were delivered (the receiver refuses the first two requests, so delivery needs retries), every
//! signature verifies with the Standard Webhooks reference library, and a malformed secret stops
//! the command before any work, naming the variable.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

struct Receiver(Child);

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn process(data: &Path, url: &str, secret: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interviews"))
        .args([
            "process",
            "samples/bakery-scheduling.vtt",
            "samples/platform-team-deploys.srt",
        ])
        .env("INTERVIEWS_DATA_DIR", data)
        .env_remove("INTERVIEWS_BACKEND")
        .env("INTERVIEWS_WEBHOOK_URL", url)
        .env("INTERVIEWS_WEBHOOK_SECRET", secret)
        .env("RUST_LOG", "warn")
        .current_dir(repo())
        .output()
        .expect("the binary runs")
}

#[test]
fn process_waits_for_its_events_to_reach_the_webhook_signed() {
    let python = repo().join(".venv-webhooks/bin/python");
    assert!(
        python.exists(),
        "run ./scripts/webhooks.sh setup first (the reference library's venv)"
    );
    let dir = tempfile::tempdir().unwrap();
    let (port_file, out) = (dir.path().join("port"), dir.path().join("received.jsonl"));
    let _receiver = Receiver(
        Command::new(python)
            .arg(repo().join("tests/webhooks/receiver.py"))
            .args([port_file.as_os_str(), out.as_os_str()])
            .args([SECRET, "2"])
            .spawn()
            .expect("the receiver starts"),
    );
    let mut port = String::new();
    for _ in 0..200 {
        if let Ok(p) = std::fs::read_to_string(&port_file) {
            port = p;
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(!port.is_empty(), "the receiver did not start listening");
    let url = format!("http://127.0.0.1:{}/hooks", port.trim());

    let done = process(&dir.path().join("data"), &url, SECRET);
    let log = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{log}");
    assert!(log.contains(&format!("http://127.0.0.1:{}", port.trim())), "{log}");
    assert!(!log.contains("not delivered yet"), "{log}");

    // Read right after exit: nothing arrives later, so `process` waited for the deliveries.
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verified: Vec<&serde_json::Value> = records.iter().filter(|r| r["outcome"] == "verified").collect();
    assert_eq!(
        records.len(),
        verified.len() + 2,
        "two refusals, then only verified requests"
    );
    let ready = verified.iter().filter(|r| r["event"]["status"] == "ready").count();
    assert_eq!(ready, 2, "both interviews' last event arrived");
    assert_eq!(verified.len(), 10, "five events per interview on the happy path");
}

#[test]
fn a_malformed_secret_stops_process_before_any_work_and_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = process(&data, "http://127.0.0.1:9/hooks", "not-a-whsec-secret");
    assert!(!out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("INTERVIEWS_WEBHOOK_SECRET"), "{log}");
    assert!(!log.contains("not-a-whsec-secret"), "the secret is never echoed: {log}");
    assert!(!data.join("items.sqlite").exists(), "nothing was processed");
}
