//! Section 2: transcript parsing throughput and peak memory, one fresh process per case so
//! each case's `VmHWM` is its own.
//!
//! The parent writes the generated file to disk; the child (`bench __parse-case`) reads it,
//! notes its resident memory, then parses it `repeat` times with [`parse_transcript`], the
//! function the transcribe task calls.

use crate::mem;
use anyhow::{Context, Result};
use interview_transcript::parse_transcript;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// What one child measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParseReport {
    /// File name parsed (its extension is the format hint).
    pub file_name: String,
    /// File size, bytes.
    pub bytes: u64,
    /// Segments in the result.
    pub segments: usize,
    /// Words in the result.
    pub words: u64,
    /// Every run, ms.
    pub runs_ms: Vec<f64>,
    /// Median run, ms.
    pub median_ms: f64,
    /// Throughput at the median, MB (10^6 bytes) per second.
    pub mb_per_sec: f64,
    /// Peak resident memory after reading the file, before parsing, KiB.
    pub peak_before_kib: Option<u64>,
    /// Peak resident memory after parsing, KiB.
    pub peak_after_kib: Option<u64>,
}

/// Median of a non-empty list.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The child's side: parse `path` `repeat` times.
pub fn run_case(path: &Path, repeat: usize) -> Result<ParseReport> {
    let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let peak_before_kib = mem::peak_rss_kib();
    let mut runs_ms = Vec::with_capacity(repeat);
    let (mut segments, mut words) = (0, 0);
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let transcript = parse_transcript(&bytes, &file_name).map_err(|e| anyhow::anyhow!("{file_name}: {e}"))?;
        runs_ms.push(started.elapsed().as_secs_f64() * 1e3);
        segments = transcript.segments.len();
        words = transcript.word_count();
        drop(transcript);
    }
    let median_ms = median(&runs_ms);
    Ok(ParseReport {
        file_name,
        bytes: bytes.len() as u64,
        segments,
        words,
        mb_per_sec: bytes.len() as f64 / 1e6 / (median_ms / 1e3),
        runs_ms,
        median_ms,
        peak_before_kib,
        peak_after_kib: mem::peak_rss_kib(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_lists() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn a_case_parses_a_generated_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.vtt");
        let t = interview_testkit::analysis_fixtures::generate_long_transcript(2);
        std::fs::write(&path, crate::formats::UploadFormat::Vtt.render(&t)).unwrap();
        let r = run_case(&path, 2).unwrap();
        assert_eq!((r.runs_ms.len(), r.words), (2, t.word_count()));
        assert!(r.mb_per_sec > 0.0 && r.bytes > 0);
    }
}
