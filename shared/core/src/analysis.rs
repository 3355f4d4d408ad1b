//! The result documents: `evidence.json` and `analysis.json` (schema version 1), and the
//! validation every analyzer's output passes before it is written.

use crate::quote::{declared_interviewers, find_on_word_boundaries, long_enough};
use crate::transcript::{Segment, Transcript};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::HashSet;

/// The `schema_version` written into evidence.json and analysis.json.
pub const ANALYSIS_SCHEMA_VERSION: u32 = 1;

/// What a piece of evidence is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// Something that hurts or costs the customer.
    Pain,
    /// Something the customer must have.
    Need,
    /// An outcome the customer is working towards.
    Goal,
    /// What the customer does today.
    Behaviour,
    /// A specific feature the customer asks for.
    FeatureRequest,
    /// Something the customer likes.
    Praise,
    /// A reason the customer gives not to buy or adopt.
    Objection,
    /// A question the customer asked.
    Question,
}

impl EvidenceKind {
    /// Every kind, for lexicons and tests.
    pub const ALL: [EvidenceKind; 8] = [
        EvidenceKind::Pain,
        EvidenceKind::Need,
        EvidenceKind::Goal,
        EvidenceKind::Behaviour,
        EvidenceKind::FeatureRequest,
        EvidenceKind::Praise,
        EvidenceKind::Objection,
        EvidenceKind::Question,
    ];

    /// The snake_case name used in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Pain => "pain",
            EvidenceKind::Need => "need",
            EvidenceKind::Goal => "goal",
            EvidenceKind::Behaviour => "behaviour",
            EvidenceKind::FeatureRequest => "feature_request",
            EvidenceKind::Praise => "praise",
            EvidenceKind::Objection => "objection",
            EvidenceKind::Question => "question",
        }
    }
}

/// One quote that supports a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// `E1`, `E2`, … unique within the document.
    pub id: String,
    /// Verbatim text from one transcript segment.
    pub quote: String,
    /// Who said it.
    pub speaker: String,
    /// Start of the segment it came from, seconds.
    pub start: f64,
    /// End of the segment it came from, seconds.
    pub end: f64,
    /// What it is evidence of.
    pub kind: EvidenceKind,
    /// 0–1.
    pub confidence: f32,
    /// Key terms.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// `evidence.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceDoc {
    /// Always [`ANALYSIS_SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// The analyzer that produced it, e.g. `local-lexicon/3`.
    pub analyzer: String,
    /// The evidence, in transcript order.
    pub items: Vec<Evidence>,
    /// The speakers the producer took for the interviewer, whose words are never evidence
    /// (besides any speaker whose label says so, which validation finds itself). Absent in
    /// documents written before it existed, hence the default.
    #[serde(default)]
    pub interviewers: Vec<String>,
    /// What a model service charged for producing it; absent for analyzers that call none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<ModelUsage>,
}

/// A recurring topic across evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theme {
    /// `T1`, `T2`, …
    pub id: String,
    /// A short title made of the theme's key terms.
    pub title: String,
    /// One or two sentences.
    pub description: String,
    /// Supporting evidence ids; each must exist in evidence.json.
    pub evidence_ids: Vec<String>,
    /// Speakers who raised it.
    pub speakers: Vec<String>,
}

/// A conclusion worth acting on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insight {
    /// The insight.
    pub text: String,
    /// Supporting evidence ids.
    pub evidence_ids: Vec<String>,
}

/// What one speaker's words say about them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonaSignal {
    /// The speaker.
    pub speaker: String,
    /// Short statements (e.g. "goal: ship weekly").
    pub signals: Vec<String>,
    /// Supporting evidence ids.
    pub evidence_ids: Vec<String>,
}

/// `analysis.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisDoc {
    /// Always [`ANALYSIS_SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// The analyzer that produced it.
    pub analyzer: String,
    /// Themes, most supported first.
    pub themes: Vec<Theme>,
    /// Insights.
    pub insights: Vec<Insight>,
    /// Per-speaker persona signals.
    pub personas: Vec<PersonaSignal>,
    /// An executive summary.
    pub summary: String,
    /// Questions the interview left open.
    pub open_questions: Vec<String>,
    /// Who wrote each part's wording: a fixed template over the evidence, or a language model.
    /// A reader shows model prose as such: it is neither verbatim nor checked against the
    /// transcript (only its cited ids are). Documents written before it existed read as
    /// [`TextSource::Unlabelled`].
    #[serde(default)]
    pub text_sources: TextSources,
    /// What a model service charged for producing it; absent for analyzers that call none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<ModelUsage>,
}

/// Where the wording of one part of an analysis came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// Written before documents said (schema 1 without `text_sources`): treat as unverified.
    #[default]
    Unlabelled,
    /// Assembled by a fixed rule from the evidence; any quotation marks in it hold verbatim quotes.
    Template,
    /// Written by a language model: prose that may paraphrase, generalise or be wrong.
    Model,
}

/// [`TextSource`] per part of an analysis that carries wording.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSources {
    /// `summary`.
    #[serde(default)]
    pub summary: TextSource,
    /// `insights[].text`.
    #[serde(default)]
    pub insights: TextSource,
    /// `themes[].title` and `themes[].description`.
    #[serde(default)]
    pub themes: TextSource,
    /// `personas[].signals`.
    #[serde(default)]
    pub personas: TextSource,
    /// `open_questions`.
    #[serde(default)]
    pub open_questions: TextSource,
}

impl TextSources {
    /// Every part from the same source.
    pub fn all(source: TextSource) -> Self {
        TextSources {
            summary: source,
            insights: source,
            themes: source,
            personas: source,
            open_questions: source,
        }
    }
}

/// Tokens a model service used to produce a document, and an estimate of their price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelUsage {
    /// Prompt tokens, as the service counted them.
    pub input_tokens: u64,
    /// Generated tokens, as the service counted them.
    pub output_tokens: u64,
    /// Model calls made, retries after an invalid answer included.
    pub requests: u32,
    /// Tokens times the configured prices per 1,000 tokens, in US dollars; an estimate, not a bill.
    pub estimated_cost_usd: f64,
}

impl ModelUsage {
    /// Adds another document's (or call's) usage to this one.
    pub fn add(&mut self, other: &ModelUsage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.requests += other.requests;
        self.estimated_cost_usd = round_usd(self.estimated_cost_usd + other.estimated_cost_usd);
    }

    /// The sum of the usages that are present, or `None` when none is (no model was called).
    pub fn sum<'a>(parts: impl IntoIterator<Item = Option<&'a ModelUsage>>) -> Option<ModelUsage> {
        parts.into_iter().flatten().fold(None, |acc, u| {
            let mut total = acc.unwrap_or_default();
            total.add(u);
            Some(total)
        })
    }

    /// The price of `input_tokens` and `output_tokens` at the given prices per 1,000 tokens.
    pub fn price(input_tokens: u64, output_tokens: u64, input_per_1k: f64, output_per_1k: f64) -> f64 {
        round_usd(input_tokens as f64 / 1000.0 * input_per_1k + output_tokens as f64 / 1000.0 * output_per_1k)
    }
}

/// Dollars rounded to a millionth, so sums stay readable in JSON.
fn round_usd(x: f64) -> f64 {
    (x * 1_000_000.0).round() / 1_000_000.0
}

/// Why an analyzer's output was refused.
///
/// The messages become the step's error, its execution cause and log lines, so they name
/// evidence ids, item positions and fields but never quote text: a quote, a speaker label or a
/// model-chosen id may be interview content. The offending quote is kept apart
/// ([`ValidationError::excerpt`]) for the item's error excerpt only.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// A quote that is not in the transcript (an invented quote), or only as part of a word.
    #[error(
        "evidence {}: the quote is not verbatim in the transcript, beginning and ending on word boundaries",
        shown_id(id)
    )]
    QuoteNotInTranscript {
        /// Evidence id.
        id: String,
        /// The quote; never part of the message.
        quote: String,
    },
    /// A quote too short to carry its own meaning.
    #[error(
        "evidence {}: the quote is shorter than {} words and {} characters",
        shown_id(id),
        crate::quote::MIN_QUOTE_WORDS,
        crate::quote::MIN_QUOTE_CHARS
    )]
    QuoteTooShort {
        /// Evidence id.
        id: String,
        /// The quote; never part of the message.
        quote: String,
    },
    /// A quote attributed to someone who did not say it, or placed at a time its words were not said.
    #[error(
        "evidence {}: the quote is in the transcript but not in a segment of the speaker and time it is attributed to",
        shown_id(id)
    )]
    Misattributed {
        /// Evidence id.
        id: String,
        /// The quote; never part of the message.
        quote: String,
    },
    /// Evidence from the interviewer: their words are questions and prompts, never a customer's
    /// pain, need or anything else.
    #[error(
        "evidence {}: the quote is the interviewer's, and only customers' words are evidence",
        shown_id(id)
    )]
    InterviewerQuoted {
        /// Evidence id.
        id: String,
        /// The quote; never part of the message.
        quote: String,
    },
    /// Two evidence items share an id.
    #[error("evidence id {} is used twice", shown_id(.0))]
    DuplicateId(String),
    /// A reference to evidence that does not exist.
    #[error("{owner} refers to evidence {}, which does not exist", shown_id(id))]
    UnknownEvidence {
        /// Theme, insight or persona that refers.
        owner: String,
        /// The missing id.
        id: String,
    },
    /// Anything else structurally wrong.
    #[error("{0}")]
    Invalid(String),
}

impl ValidationError {
    /// The piece of content the problem is about (the invented quote), for the item's error
    /// excerpt; `None` when the problem is structural.
    pub fn excerpt(&self) -> Option<&str> {
        match self {
            ValidationError::QuoteNotInTranscript { quote, .. }
            | ValidationError::QuoteTooShort { quote, .. }
            | ValidationError::Misattributed { quote, .. }
            | ValidationError::InterviewerQuoted { quote, .. } => Some(quote),
            _ => None,
        }
    }
}

/// An id as it may appear in a message: ids are ours (`E12`, `T3`), but one an analyzer made
/// up may be any text, so anything else is described rather than shown.
fn shown_id(id: &str) -> String {
    let ours = id.len() <= 12
        && id.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && id.chars().skip(1).all(|c| c.is_ascii_digit());
    if ours {
        id.to_string()
    } else {
        format!("<an id of {} characters not of the form E1>", id.chars().count())
    }
}

/// Checks evidence against the transcript before it is written: ids unique; each quote long
/// enough, verbatim on word boundaries in one segment of the speaker it names, at that
/// segment's time, and not the interviewer's; times sane. See `docs/schemas.md`.
pub fn validate_evidence(transcript: &Transcript, doc: &EvidenceDoc) -> Result<(), ValidationError> {
    if doc.schema_version != ANALYSIS_SCHEMA_VERSION {
        return Err(ValidationError::Invalid(format!(
            "evidence schema_version {} is not {ANALYSIS_SCHEMA_VERSION}",
            doc.schema_version
        )));
    }
    let interviewers: HashSet<&str> = declared_interviewers(transcript)
        .into_iter()
        .chain(doc.interviewers.iter().map(String::as_str))
        .collect();
    let mut ids = HashSet::new();
    for ev in &doc.items {
        if !ids.insert(ev.id.as_str()) {
            return Err(ValidationError::DuplicateId(ev.id.clone()));
        }
        if !(ev.start.is_finite() && ev.end.is_finite() && ev.start >= 0.0 && ev.end >= ev.start) {
            return Err(ValidationError::Invalid(format!(
                "evidence {}: bad times {}..{}",
                shown_id(&ev.id),
                ev.start,
                ev.end
            )));
        }
        let (id, quote) = (ev.id.clone(), ev.quote.clone());
        let trimmed = ev.quote.trim();
        if !long_enough(trimmed) {
            return Err(ValidationError::QuoteTooShort { id, quote });
        }
        if interviewers.contains(ev.speaker.as_str()) {
            return Err(ValidationError::InterviewerQuoted { id, quote });
        }
        if !quote_source_found(transcript, ev, trimmed) {
            let said = |s: &Segment| find_on_word_boundaries(&s.text, trimmed).is_some();
            return Err(match transcript.segments.iter().find(|s| said(s)) {
                Some(s) if interviewers.contains(s.speaker.as_str()) => {
                    ValidationError::InterviewerQuoted { id, quote }
                }
                Some(_) => ValidationError::Misattributed { id, quote },
                None => ValidationError::QuoteNotInTranscript { id, quote },
            });
        }
        if !(0.0..=1.0).contains(&ev.confidence) {
            return Err(ValidationError::Invalid(format!(
                "evidence {}: confidence {} is outside 0..1",
                shown_id(&ev.id),
                ev.confidence
            )));
        }
    }
    Ok(())
}

/// Tolerance, in seconds, between an evidence time and its segment's span (times are written
/// rounded by some producers).
const TIME_TOLERANCE: f64 = 0.01;

/// Whether a segment of the evidence's speaker, whose span holds the evidence's start, says the
/// quote on word boundaries. Segments are in time order, so only those starting by then count.
fn quote_source_found(transcript: &Transcript, ev: &Evidence, quote: &str) -> bool {
    let segments = &transcript.segments;
    // A NaN start is "not after", so such a segment is still examined.
    let upto =
        segments.partition_point(|s| s.start.partial_cmp(&(ev.start + TIME_TOLERANCE)) != Some(Ordering::Greater));
    segments[..upto].iter().rev().any(|s| {
        let start = if s.start.is_finite() && s.start > 0.0 {
            s.start
        } else {
            0.0
        };
        let end = if s.end.is_finite() && s.end > start {
            s.end
        } else {
            start
        };
        s.speaker == ev.speaker
            && ev.start >= start - TIME_TOLERANCE
            && ev.start <= end + TIME_TOLERANCE
            && find_on_word_boundaries(&s.text, quote).is_some()
    })
}

/// Checks that every evidence id the analysis refers to exists.
pub fn validate_analysis(evidence: &EvidenceDoc, doc: &AnalysisDoc) -> Result<(), ValidationError> {
    if doc.schema_version != ANALYSIS_SCHEMA_VERSION {
        return Err(ValidationError::Invalid(format!(
            "analysis schema_version {} is not {ANALYSIS_SCHEMA_VERSION}",
            doc.schema_version
        )));
    }
    let ids: HashSet<&str> = evidence.items.iter().map(|e| e.id.as_str()).collect();
    let check = |owner: String, refs: &[String]| -> Result<(), ValidationError> {
        match refs.iter().find(|r| !ids.contains(r.as_str())) {
            Some(missing) => Err(ValidationError::UnknownEvidence {
                owner,
                id: missing.clone(),
            }),
            None => Ok(()),
        }
    };
    for theme in &doc.themes {
        check(format!("theme {}", theme.id), &theme.evidence_ids)?;
    }
    for (i, insight) in doc.insights.iter().enumerate() {
        check(format!("insight {}", i + 1), &insight.evidence_ids)?;
    }
    // Personas by position: their speaker labels are people's names.
    for (i, persona) in doc.personas.iter().enumerate() {
        check(format!("persona {}", i + 1), &persona.evidence_ids)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "analysis_validation_tests.rs"]
mod validation_tests;
