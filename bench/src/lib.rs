//! Benchmarks of the interview pipeline (issue 8): embedded throughput and orchestration
//! overhead, transcript parsing, Lambda init, cost per interview on AWS, binary sizes, and
//! themes across interviews (issue 18), offline speech against faster-whisper (issue 19).
//!
//! `cargo run --release -p bench -- --help` lists the sections and their knobs; BENCHMARKS.md
//! holds the figures measured on the project's machine and how to reproduce them.
#![warn(missing_docs)]

pub mod api;
pub mod cost;
pub mod events_cost;
pub mod formats;
pub mod init;
pub mod mem;
pub mod parse;
pub mod pipeline;
pub mod sizes;
pub mod speech;
pub mod synthesis;
pub mod timed;

use std::path::PathBuf;

/// The workspace root (the bench reads `events/` and `infra/` from it).
pub fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The cargo target directory: `CARGO_TARGET_DIR`, else the one this binary was built into,
/// else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|p| p.file_name().is_some_and(|n| n == "release" || n == "debug"))
                .and_then(|p| p.parent())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| workspace().join("target"))
}
