//! Section 6: themes across interviews. The scorer's figures on the labelled project
//! (`shared/analysis/tests/fixtures/project`) for TF-IDF and, when the bench is built with the
//! `embeddings` feature, for sentence embeddings; then the time and peak memory to build one
//! project report from 100 and 1,000 interviews (copies of the labelled ones, each a distinct
//! participant), one fresh process per case so each `VmHWM` is its own.

use crate::{mem, workspace};
use anyhow::{anyhow, Result};
use interview_analysis::scoring::{load_labelled_project, score_project, varied_inputs, LabelledProject};
use interview_analysis::{build_project_report, Embedder};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What one child measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportCase {
    /// Interviews in the report.
    pub interviews: usize,
    /// `tfidf` or `embeddings`.
    pub mode: String,
    /// Evidence items (quotes) across the interviews.
    pub quotes: usize,
    /// Themes in the report.
    pub themes: usize,
    /// Loading the model, ms (0 for TF-IDF).
    pub load_ms: f64,
    /// build_project_report, ms (embedding every quote included).
    pub build_ms: f64,
    /// Peak resident memory before building (inputs in memory, model loaded), KiB.
    pub peak_before_kib: Option<u64>,
    /// Peak resident memory after building, KiB.
    pub peak_after_kib: Option<u64>,
}

/// The labelled project from the workspace.
pub fn project() -> Result<LabelledProject> {
    Ok(load_labelled_project(
        &workspace().join("shared/analysis/tests/fixtures/project"),
    )?)
}

/// The model, when this bench was built with embeddings (it must then be installed).
pub fn embedder(mode: &str) -> Result<Option<Box<dyn Embedder>>> {
    match mode {
        "tfidf" => Ok(None),
        "embeddings" => Ok(Some(interview_analysis::load_embedder_from(
            &workspace().join(".data").join(interview_analysis::DEFAULT_MODEL_SUBDIR),
        )?)),
        other => Err(anyhow!("unknown mode {other}")),
    }
}

/// Modes this build can measure.
pub fn modes() -> Vec<&'static str> {
    if cfg!(feature = "embeddings") {
        vec!["tfidf", "embeddings"]
    } else {
        vec!["tfidf"]
    }
}

/// The scorer's table for one mode.
pub fn score_table(mode: &str) -> Result<String> {
    let project = project()?;
    let model = embedder(mode)?;
    Ok(score_project(&project, model.as_deref()).table())
}

/// One case, in this process.
pub fn run_case(interviews: usize, mode: &str) -> Result<ReportCase> {
    let project = project()?;
    let inputs = varied_inputs(&project, interviews);
    drop(project);
    let t = Instant::now();
    let model = embedder(mode)?;
    let load_ms = t.elapsed().as_secs_f64() * 1000.0;
    let peak_before_kib = mem::peak_rss_kib();
    let t = Instant::now();
    let report = build_project_report(&inputs, model.as_deref());
    let build_ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok(ReportCase {
        interviews,
        mode: mode.to_string(),
        quotes: inputs.iter().map(|i| i.evidence.items.len()).sum(),
        themes: report.themes.len(),
        load_ms,
        build_ms,
        peak_before_kib,
        peak_after_kib: mem::peak_rss_kib(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tfidf_case_measures_a_real_report() {
        let case = run_case(16, "tfidf").expect("case");
        assert_eq!(case.interviews, 16);
        let per_copy: usize = varied_inputs(&project().unwrap(), 8)
            .iter()
            .map(|i| i.evidence.items.len())
            .sum();
        assert_eq!(case.quotes, 2 * per_copy, "two copies of the eight labelled interviews");
        assert!(case.themes > 0 && case.build_ms > 0.0, "{case:?}");
        assert!(run_case(1, "bogus").is_err());
    }
}
