//! The quote rules of `validate_evidence`, one test per rule, and the defaults that keep
//! documents written before the rules readable.

use super::*;
use crate::transcript::{Segment, TranscriptFormat};

fn segment(speaker: &str, start: f64, text: &str) -> Segment {
    Segment {
        speaker: speaker.into(),
        start,
        end: start + 4.0,
        text: text.into(),
        confidence: None,
    }
}

fn transcript() -> Transcript {
    Transcript::new(
        TranscriptFormat::PlainText,
        vec![
            segment("Interviewer", 0.0, "Is the schedule painful? Tell me what hurts most."),
            segment(
                "Maria",
                5.0,
                "Honestly, I don't hate it. The app is unusable on Android. No.",
            ),
            segment("Tom", 10.0, "Swapping shifts over text is a mess."),
        ],
    )
}

fn evidence(speaker: &str, start: f64, quote: &str) -> EvidenceDoc {
    EvidenceDoc {
        schema_version: ANALYSIS_SCHEMA_VERSION,
        analyzer: "test".into(),
        items: vec![Evidence {
            id: "E1".into(),
            quote: quote.into(),
            speaker: speaker.into(),
            start,
            end: start + 4.0,
            kind: EvidenceKind::Pain,
            confidence: 0.8,
            tags: Vec::new(),
        }],
        interviewers: Vec::new(),
        usage: None,
    }
}

fn check(speaker: &str, start: f64, quote: &str) -> Result<(), ValidationError> {
    validate_evidence(&transcript(), &evidence(speaker, start, quote))
}

#[test]
fn a_whole_clause_by_its_speaker_at_its_time_is_valid() {
    check("Maria", 5.0, "The app is unusable on Android.").unwrap();
    check("Tom", 10.0, "Swapping shifts over text").unwrap();
    // Any time within the segment's span.
    check("Tom", 12.5, "Swapping shifts over text is a mess.").unwrap();
}

#[test]
fn a_quote_cut_inside_a_word_is_refused() {
    for cut in [
        "usable on Android.",
        "t hate it.",
        "The app is unusab",
        "'t hate it. The app",
    ] {
        let err = check("Maria", 5.0, cut).unwrap_err();
        assert!(
            matches!(err, ValidationError::QuoteNotInTranscript { .. }),
            "{cut:?}: {err:?}"
        );
        assert_eq!(err.excerpt(), Some(cut));
        assert!(!err.to_string().contains(cut), "content stays out of the message");
    }
}

#[test]
fn a_quote_too_short_to_stand_alone_is_refused() {
    let err = check("Maria", 5.0, "No.").unwrap_err();
    assert!(matches!(err, ValidationError::QuoteTooShort { .. }), "{err:?}");
    assert!(
        err.to_string().contains("shorter than 3 words and 12 characters"),
        "{err}"
    );
    assert!(!err.to_string().contains("No."));
    check("Maria", 5.0, "I don't hate it.").unwrap();
}

#[test]
fn a_quote_given_to_someone_who_did_not_say_it_or_at_another_time_is_refused() {
    let err = check("Tom", 5.0, "The app is unusable on Android.").unwrap_err();
    assert!(matches!(err, ValidationError::Misattributed { .. }), "{err:?}");
    let err = check("Maria", 30.0, "The app is unusable on Android.").unwrap_err();
    assert!(matches!(err, ValidationError::Misattributed { .. }), "{err:?}");
    assert!(!err.to_string().contains("Maria"));
}

#[test]
fn the_interviewers_words_are_never_a_customers_evidence() {
    // Attributed to the interviewer, whose label says so.
    let err = check("Interviewer", 0.0, "Tell me what hurts most.").unwrap_err();
    assert!(matches!(err, ValidationError::InterviewerQuoted { .. }), "{err:?}");
    // The interviewer's words given to a customer.
    let err = check("Maria", 0.0, "Tell me what hurts most.").unwrap_err();
    assert!(matches!(err, ValidationError::InterviewerQuoted { .. }), "{err:?}");
    // A speaker the producer itself took for the interviewer (no label says so).
    let mut doc = evidence("Tom", 10.0, "Swapping shifts over text is a mess.");
    doc.interviewers = vec!["Tom".into()];
    let err = validate_evidence(&transcript(), &doc).unwrap_err();
    assert!(matches!(err, ValidationError::InterviewerQuoted { .. }), "{err:?}");
}

#[test]
fn documents_written_before_the_labels_read_with_defaults_and_new_ones_carry_them() {
    let evidence: EvidenceDoc =
        serde_json::from_str(r#"{"schema_version":1,"analyzer":"local-lexicon/2","items":[]}"#).unwrap();
    assert!(evidence.interviewers.is_empty());
    let analysis: AnalysisDoc = serde_json::from_str(
        r#"{"schema_version":1,"analyzer":"x","themes":[],"insights":[],"personas":[],"summary":"s","open_questions":[]}"#,
    )
    .unwrap();
    assert_eq!(analysis.text_sources, TextSources::all(TextSource::Unlabelled));
    let written = serde_json::to_value(AnalysisDoc {
        text_sources: TextSources::all(TextSource::Model),
        ..analysis
    })
    .unwrap();
    assert_eq!(written["text_sources"]["summary"], "model");
    assert_eq!(written["text_sources"]["insights"], "model");
}

#[test]
fn declared_roles_decide_whose_words_are_evidence() {
    use crate::transcript::SpeakerRole;
    let quote = "Swapping shifts over text is a mess.";
    let mut t = transcript();
    t.roles.insert("Tom".into(), SpeakerRole::Interviewer);
    assert!(matches!(
        validate_evidence(&t, &evidence("Tom", 10.0, quote)),
        Err(ValidationError::InterviewerQuoted { .. })
    ));
    // A person said the speaker labelled "Interviewer" is a participant: their words count.
    let mut t = transcript();
    t.roles.insert("Interviewer".into(), SpeakerRole::Participant);
    validate_evidence(&t, &evidence("Interviewer", 0.0, "Tell me what hurts most.")).unwrap();
}
