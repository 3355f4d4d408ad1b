//! The Python webhook receiver (`tests/webhooks/receiver.py`) that verifies signatures with the
//! Standard Webhooks reference library: started per test, stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The signing secret the receiver verifies with (the reference libraries' test vector key).
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A running receiver.
pub struct Receiver {
    child: Child,
    /// Where to post.
    pub url: String,
    /// One JSON line per request received.
    pub out: PathBuf,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    /// Starts a receiver in `dir` that refuses the first `failures` requests with HTTP 500.
    pub fn start(dir: &Path, failures: u32) -> Receiver {
        let python = Path::new(ROOT).join(".venv-webhooks/bin/python");
        assert!(
            python.exists(),
            "run ./scripts/webhooks.sh setup first (the reference library's venv)"
        );
        let port_file = dir.join("port");
        let out = dir.join("received.jsonl");
        // Owned by a `Receiver` from the start, so a failed start still stops the process.
        let mut receiver = Receiver {
            child: Command::new(python)
                .arg(Path::new(ROOT).join("tests/webhooks/receiver.py"))
                .args([port_file.as_os_str(), out.as_os_str()])
                .args([SECRET, &failures.to_string()])
                .spawn()
                .expect("the receiver starts"),
            url: String::new(),
            out,
        };
        for _ in 0..200 {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                receiver.url = format!("http://127.0.0.1:{}/hooks/interviews", port.trim());
                return receiver;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the receiver did not start listening");
    }

    /// Every request recorded so far, in arrival order.
    pub fn records(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("the receiver writes JSON lines"))
            .collect()
    }
}
