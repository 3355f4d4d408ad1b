//! The project report on the labelled project (`tests/fixtures/project`): the scorer's figures
//! for the TF-IDF path (floors below), validation, determinism and rendering.
//! With the `embeddings` feature the same scorer runs with the model in `tests/embeddings.rs`.

use interview_analysis::scoring::{load_labelled_project, score_project, LabelledProject};
use interview_analysis::{
    build_project_report, render_project_html, render_project_json, render_project_markdown, validate_project_report,
    InterviewEvidence, LocalAnalyzer, ProjectValidationError,
};
use std::path::Path;

fn project() -> LabelledProject {
    load_labelled_project(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project")).expect("fixture")
}

fn inputs(project: &LabelledProject) -> Vec<InterviewEvidence> {
    let analyzer = LocalAnalyzer::new();
    project
        .labels
        .interviews
        .iter()
        .zip(&project.transcripts)
        .map(|(iv, (t, _))| InterviewEvidence::from_transcript(iv.id.clone(), t, analyzer.extract_evidence(t)))
        .collect()
}

/// Floors for TF-IDF, from the measured figures (BENCHMARKS.md, "Themes across interviews":
/// ARI 0.057, mean recall 0.55) less a margin of about 0.05 and 0.1, so a change that makes
/// lexical themes clearly worse fails while a harmless reordering does not. They are low on
/// purpose: the planted themes are worded differently in every interview, which is exactly what
/// word overlap cannot see (the embeddings test holds the meaning-based path to higher floors).
const TFIDF_MIN_ARI: f64 = 0.0;
const TFIDF_MIN_MEAN_RECALL: f64 = 0.45;

#[test]
fn tfidf_scores_on_the_labelled_project() {
    let p = project();
    let score = score_project(&p, None);
    println!("{}", score.table());
    assert_eq!(score.report.analyzer, LocalAnalyzer::NAME);
    assert_eq!(score.themes.len(), p.labels.themes.len());
    assert!(
        score.labelled_evidence >= 20,
        "labelled lines yield evidence: {}",
        score.labelled_evidence
    );
    assert!(score.ari >= TFIDF_MIN_ARI, "ARI {:.3} < {TFIDF_MIN_ARI}", score.ari);
    assert!(
        score.mean_recall() >= TFIDF_MIN_MEAN_RECALL,
        "recall {:.2}",
        score.mean_recall()
    );
    validate_project_report(&score.report, &inputs(&p)).expect("the report validates");
}

#[test]
fn the_report_counts_participants_and_validates() {
    let p = project();
    let ins = inputs(&p);
    let report = build_project_report(&ins, None);
    assert_eq!(
        report.participant_count, 8,
        "one participant per interview, interviewers excluded"
    );
    assert_eq!(report.interview_ids.len(), 8);
    validate_project_report(&report, &ins).expect("valid");
    for t in &report.themes {
        assert!(t.participants.len() >= 2, "{} recurs", t.id);
        assert!(t.description.contains("of 8 participants"), "{}", t.description);
    }
    for list in [&report.ranked.pains, &report.ranked.needs, &report.ranked.requests] {
        assert!(list
            .windows(2)
            .all(|w| w[0].participants.len() >= w[1].participants.len()));
    }
}

#[test]
fn validation_rejects_an_invented_or_moved_quote() {
    let p = project();
    let ins = inputs(&p);
    let report = build_project_report(&ins, None);
    let (t, q) = report
        .themes
        .iter()
        .enumerate()
        .find_map(|(i, t)| (!t.quotes.is_empty()).then_some((i, 0)))
        .expect("a theme with a quote");

    let mut invented = report.clone();
    invented.themes[t].quotes[q].text = "We would pay double for this tomorrow.".into();
    assert!(matches!(
        validate_project_report(&invented, &ins),
        Err(ProjectValidationError::QuoteMismatch { field: "text", .. })
    ));

    let mut moved = report.clone();
    moved.themes[t].quotes[q].start += 30.0;
    assert!(matches!(
        validate_project_report(&moved, &ins),
        Err(ProjectValidationError::QuoteMismatch { field: "start", .. })
    ));

    let mut unknown = report.clone();
    unknown.themes[t].quotes[q].evidence_id = "E999".into();
    assert!(matches!(
        validate_project_report(&unknown, &ins),
        Err(ProjectValidationError::UnknownEvidence { .. })
    ));

    let mut stranger = report.clone();
    stranger.themes[t].participants[0].speaker = "Somebody Else".into();
    assert!(matches!(
        validate_project_report(&stranger, &ins),
        Err(ProjectValidationError::UnknownParticipant { .. })
    ));
    // The error names ids, never the quote.
    let err = validate_project_report(&invented, &ins).unwrap_err().to_string();
    assert!(!err.contains("pay double"), "{err}");
}

#[test]
fn the_same_interviews_in_any_order_give_the_same_document() {
    let p = project();
    let ins = inputs(&p);
    let a = render_project_json(&build_project_report(&ins, None));
    let mut reversed = ins.clone();
    reversed.reverse();
    let b = render_project_json(&build_project_report(&reversed, None));
    assert_eq!(a, b);
    assert!(a.contains("\"schema_version\": 1"));
}

#[test]
fn renderers_escape_user_text() {
    let p = project();
    let mut ins = inputs(&p);
    // A speaker name and a quote with markup, as an upload could carry.
    for iv in ins.iter_mut().take(3) {
        for ev in iv.evidence.items.iter_mut() {
            ev.speaker = "<script>alert(1)</script>".into();
        }
        iv.participants = vec!["<script>alert(1)</script>".into()];
    }
    let report = build_project_report(&ins, None);
    let html = render_project_html(&report);
    assert!(html.starts_with("<!doctype html>"));
    assert!(!html.contains("<script>"), "raw markup in HTML");
    let md = render_project_markdown(&report);
    assert!(!md.contains("<script>"), "raw markup in Markdown");
    assert!(md.contains("# Project report"));
}
