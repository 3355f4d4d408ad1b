//! Section 5: release binary sizes — the arm64 `bootstrap` files `cargo lambda build --release
//! --arm64` leaves under `<target>/lambda/<function>/`, and the host's release binaries.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One function's binaries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SizeRow {
    /// Function name.
    pub function: String,
    /// The arm64 bootstrap, bytes, if found (and really an aarch64 ELF).
    pub arm64_bytes: Option<u64>,
    /// The host release binary, bytes, if found.
    pub host_bytes: Option<u64>,
}

/// The ELF machine of a file: `aarch64`, `x86_64` or `other`.
pub fn elf_machine(path: &Path) -> Option<&'static str> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return None;
    }
    Some(match u16::from_le_bytes([bytes[18], bytes[19]]) {
        0xB7 => "aarch64",
        0x3E => "x86_64",
        _ => "other",
    })
}

/// Sizes of every function's binaries in `lambda_dir` (arm64 bootstraps) and `host_dir`.
pub fn collect(lambda_dir: &Path, host_dir: &Path) -> Vec<SizeRow> {
    interview_handlers::Function::ALL
        .into_iter()
        .map(|f| {
            let bootstrap: PathBuf = lambda_dir.join(f.name()).join("bootstrap");
            let arm64_bytes = (elf_machine(&bootstrap) == Some("aarch64"))
                .then(|| std::fs::metadata(&bootstrap).ok().map(|m| m.len()))
                .flatten();
            let host_bytes = std::fs::metadata(host_dir.join(f.name())).ok().map(|m| m.len());
            SizeRow {
                function: f.name().to_string(),
                arm64_bytes,
                host_bytes,
            }
        })
        .collect()
}

/// `cargo-lambda` on `PATH`, or in a `.venv-lambda` beside the workspace (where the infra
/// scripts install it with pip, zig included).
pub fn find_cargo_lambda(workspace: &Path) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("cargo-lambda"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        [
            workspace.join(".venv-lambda/bin/cargo-lambda"),
            workspace.join("../infra/.venv-lambda/bin/cargo-lambda"),
        ]
        .into_iter()
        .find(|p| p.is_file())
    })
}
