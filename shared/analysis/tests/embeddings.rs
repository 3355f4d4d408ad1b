//! Themes by meaning with the real all-MiniLM-L6-v2 model. Built only with the `embeddings`
//! feature; then the model must be installed (`scripts/setup-embeddings.sh`) or every test
//! here FAILS — a build that claims embeddings but cannot load them is broken, not skipped.
//!
//! `scripts/setup-embeddings.sh && cargo test -p interview-analysis --features embeddings --test embeddings`
#![cfg(feature = "embeddings")]

use interview_analysis::scoring::{load_labelled_project, score_project};
use interview_analysis::{
    build_project_report, load_embedder_from, render_project_markdown, validate_analysis, validate_project_report,
    Embedder, InterviewEvidence, LocalAnalyzer, DEFAULT_MODEL_SUBDIR,
};
use interview_testkit::analysis_fixtures::bakery_interview;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `EMBEDDINGS_MODEL_DIR`, else the workspace's `.data/models/all-minilm-l6-v2` (where the
/// setup script puts it when run from the repository root).
fn model_dir() -> PathBuf {
    match std::env::var_os("EMBEDDINGS_MODEL_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(".data")
            .join(DEFAULT_MODEL_SUBDIR),
    }
}

fn model() -> &'static dyn Embedder {
    static MODEL: OnceLock<Box<dyn Embedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            load_embedder_from(&model_dir()).unwrap_or_else(|e| {
                panic!(
                    "{e} (looked in {}; run scripts/setup-embeddings.sh)",
                    model_dir().display()
                )
            })
        })
        .as_ref()
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn paraphrases_are_closer_than_other_topics() {
    let v = model()
        .embed(&[
            "I retype the rota every Sunday.",
            "Copying shifts from the spreadsheet eats my weekend.",
            "The grilled halloumi is our best seller now.",
        ])
        .expect("embed");
    assert_eq!(v.len(), 3);
    assert_eq!(v[0].len(), 384);
    assert!((cos(&v[0], &v[0]) - 1.0).abs() < 1e-4, "unit length");
    assert!(
        cos(&v[0], &v[1]) > cos(&v[0], &v[2]) + 0.1,
        "{} vs {}",
        cos(&v[0], &v[1]),
        cos(&v[0], &v[2])
    );
    // Deterministic: the same text gives the same vector.
    let again = model().embed(&["I retype the rota every Sunday."]).expect("embed");
    assert_eq!(again[0], v[0]);
}

/// Floors for embeddings, from the measured figures (BENCHMARKS.md, "Themes across
/// interviews") less a margin of about 0.1; they sit well above what TF-IDF measures on the same
/// project (ARI 0.057, recall 0.55), so a regression to lexical behaviour fails.
/// Measured: ARI 0.418, mean recall 0.77, mean precision 0.85.
const MIN_ARI: f64 = 0.3;
const MIN_MEAN_RECALL: f64 = 0.65;
const MIN_MEAN_PRECISION: f64 = 0.7;

#[test]
fn embeddings_find_the_planted_themes() {
    let project =
        load_labelled_project(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project")).expect("fixture");
    let tfidf = score_project(&project, None);
    let score = score_project(&project, Some(model()));
    println!("TF-IDF:\n{}\nembeddings:\n{}", tfidf.table(), score.table());
    println!("{}", render_project_markdown(&score.report));
    assert_eq!(score.report.analyzer, LocalAnalyzer::EMBEDDINGS_NAME);
    assert!(score.ari >= MIN_ARI, "ARI {:.3}", score.ari);
    assert!(
        score.mean_recall() >= MIN_MEAN_RECALL,
        "recall {:.2}",
        score.mean_recall()
    );
    assert!(
        score.mean_precision() >= MIN_MEAN_PRECISION,
        "precision {:.2}",
        score.mean_precision()
    );
    // Short interviews get themes too (TF-IDF found none in most of these).
    let with_themes = score.interview_themes.iter().filter(|&&n| n > 0).count();
    assert!(with_themes >= 7, "interviews with themes: {:?}", score.interview_themes);
    let inputs: Vec<InterviewEvidence> = project
        .labels
        .interviews
        .iter()
        .zip(&project.transcripts)
        .map(|(iv, (t, _))| {
            InterviewEvidence::from_transcript(iv.id.clone(), t, LocalAnalyzer::new().extract_evidence(t))
        })
        .collect();
    validate_project_report(&score.report, &inputs).expect("valid");
    assert_eq!(
        build_project_report(&inputs, Some(model())),
        score.report,
        "deterministic"
    );
}

#[test]
fn the_interview_analysis_says_it_used_embeddings_and_validates() {
    let t = bakery_interview();
    let analyzer = LocalAnalyzer::new();
    let evidence = analyzer.extract_evidence(&t);
    let doc = analyzer.analyze_with(&t, &evidence, Some(model()));
    assert_eq!(doc.analyzer, LocalAnalyzer::EMBEDDINGS_NAME);
    assert!(!doc.themes.is_empty());
    validate_analysis(&evidence, &doc).expect("valid");
    let lexical = analyzer.analyze_with(&t, &evidence, None);
    assert_eq!(lexical.analyzer, LocalAnalyzer::NAME);
}

/// Counts the texts that reach the real model.
struct Counted {
    texts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Embedder for Counted {
    fn model(&self) -> &str {
        model().model()
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, interview_analysis::EmbedError> {
        self.texts.fetch_add(texts.len(), std::sync::atomic::Ordering::Relaxed);
        model().embed(texts)
    }
}

#[test]
fn a_rebuild_with_one_more_interview_embeds_only_its_quotes() {
    use std::sync::atomic::Ordering;
    let project =
        load_labelled_project(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project")).expect("fixture");
    let inputs: Vec<InterviewEvidence> = project
        .labels
        .interviews
        .iter()
        .zip(&project.transcripts)
        .map(|(iv, (t, _))| {
            InterviewEvidence::from_transcript(iv.id.clone(), t, LocalAnalyzer::new().extract_evidence(t))
        })
        .collect();
    let texts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let memo = interview_analysis::MemoEmbedder::new(Box::new(Counted { texts: texts.clone() }));
    let (all_but_last, last) = inputs.split_at(inputs.len() - 1);
    let started = std::time::Instant::now();
    build_project_report(all_but_last, Some(&memo));
    let first = (started.elapsed(), texts.load(Ordering::Relaxed));
    let started = std::time::Instant::now();
    let report = build_project_report(&inputs, Some(&memo));
    let second = (started.elapsed(), texts.load(Ordering::Relaxed) - first.1);
    println!(
        "report of {} interviews: {:?} embedding {} quotes; with one more interview: {:?} embedding {}",
        all_but_last.len(),
        first.0,
        first.1,
        second.0,
        second.1
    );
    let new_quotes: std::collections::BTreeSet<&str> =
        last[0].evidence.items.iter().map(|e| e.quote.as_str()).collect();
    assert!(
        second.1 <= new_quotes.len(),
        "only the new interview's quotes reach the model: {second:?}"
    );
    assert_eq!(
        report,
        build_project_report(&inputs, Some(model())),
        "remembered vectors change nothing"
    );
}
