//! `interviews report`: what recurs across a project's ready interviews, built from their
//! evidence (the transcripts are read only for the speakers' names).

use anyhow::{bail, Context, Result};
use interview_analysis::{
    build_project_report, render_project_html, render_project_json, render_project_markdown, shared_embedder,
    validate_project_report, EvidenceDoc, InterviewEvidence,
};
use interview_core::domain::{ArtifactName, Status};
use interview_core::ports::ListQuery;
use interview_handlers::{load_artifact, Pipeline};
use interview_transcript::Transcript;
use std::io::IsTerminal;
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

/// Builds the report of `project` and writes it to `output` (or stdout).
pub async fn report(pipeline: &Pipeline, project: &str, format: ReportFormat, output: Option<&Path>) -> Result<()> {
    let items = pipeline
        .store
        .list(&ListQuery {
            status: Some(Status::Ready),
            ..Default::default()
        })
        .await?;
    let ready: Vec<_> = items
        .into_iter()
        .filter(|item| item.source.project() == Some(project))
        .collect();
    if ready.is_empty() {
        bail!(
            "project `{project}` has no ready interviews; `interviews list` shows the projects' interviews \
             (a project is the folder under uploads/, e.g. `interviews process --project {project} FILES`)"
        );
    }
    let mut interviews = Vec::with_capacity(ready.len());
    let progress = std::io::stderr().is_terminal();
    for (n, item) in ready.iter().enumerate() {
        if progress {
            eprint!("\rreading interview {} of {}", n + 1, ready.len());
        }
        // With the names a person gave, as the evidence has them.
        let transcript = load_artifact::<Transcript>(pipeline, item, ArtifactName::Transcript)
            .await
            .with_context(|| format!("the transcript of {}", item.id))?
            .with_speakers(&item.speakers);
        let evidence: EvidenceDoc = load_artifact(pipeline, item, ArtifactName::Evidence)
            .await
            .with_context(|| format!("the evidence of {}", item.id))?;
        interviews.push(InterviewEvidence::from_transcript(
            item.id.to_string(),
            &transcript,
            evidence,
        ));
    }
    if progress {
        eprintln!();
    }
    let embedder = shared_embedder();
    let report = build_project_report(&interviews, embedder);
    validate_project_report(&report, &interviews).context("the report does not match its evidence (a bug)")?;
    eprintln!(
        "{} themes across {} interviews and {} participants ({})",
        report.themes.len(),
        interviews.len(),
        report.participant_count,
        report.analyzer
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
