//! `interviews report`: what recurs across a project's ready interviews. It brings the stored
//! report (`reports/<project>/project-report.json`, the one `serve`, `watch` and the API keep
//! current) up to date from the interviews' evidence, then writes it in the format asked for.

use anyhow::{bail, Context, Result};
use interview_analysis::{project_synthesizer_for, render_project_html, render_project_json, render_project_markdown};
use interview_handlers::Pipeline;
use interview_reports::{load_report, rebuild, Rebuilt};
use std::path::Path;

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Markdown, for people and wikis.
    Md,
    /// A standalone HTML page.
    Html,
    /// The versioned JSON document (`docs/schemas.md`, project-report.json).
    Json,
}

/// Brings the report of `project` up to date and writes it to `output` (or stdout).
pub async fn report(pipeline: &Pipeline, project: &str, format: ReportFormat, output: Option<&Path>) -> Result<()> {
    let outcome = rebuild(pipeline, project, project_synthesizer_for(&pipeline.settings).as_ref())
        .await
        .with_context(|| format!("cannot bring the report of project `{project}` up to date"))?;
    if matches!(outcome, Rebuilt::Nothing | Rebuilt::Removed) {
        bail!(
            "project `{project}` has no ready interviews; `interviews list` shows the projects' interviews \
             (a project is the folder under uploads/, e.g. `interviews process --project {project} FILES`)"
        );
    }
    let report = load_report(pipeline, project)
        .await?
        .context("the report was stored but cannot be read back; run the command again")?;
    eprintln!(
        "{} themes across {} interviews and {} participants ({}{})",
        report.themes.len(),
        report.interview_ids.len(),
        report.participant_count,
        report.analyzer,
        if outcome == Rebuilt::AlreadyCurrent {
            ", already current"
        } else {
            ""
        }
    );
    let text = match format {
        ReportFormat::Md => render_project_markdown(&report),
        ReportFormat::Html => render_project_html(&report),
        ReportFormat::Json => render_project_json(&report),
    };
    match output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}
