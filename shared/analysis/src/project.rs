//! The project report: what recurs across a project's interviews, built from their evidence.
//!
//! Everything is counted in participants, not sentences: one talkative participant who repeats
//! a complaint five times is one voice, and "4 of 6 participants" is what a research team acts
//! on. The report is built from `evidence.json` documents only (transcripts are read for their
//! speaker names, by [`InterviewEvidence::from_transcript`]), so it can be rebuilt whenever an
//! interview changes without re-running any analysis, and every quote in it is an evidence
//! item's quote, resolvable to its interview and time ([`validate_project_report`]).

use super::embed::Embedder;
use super::extract::{interviewers, label_is_interviewer, sentences};
use super::lexicon::tie_rank;
use super::semantic;
use super::themes::{join_title, Corpus};
use super::{Evidence, EvidenceDoc, EvidenceKind, LocalAnalyzer, ModelUsage, TextSource};
use crate::transcript::Transcript;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use super::project_check::{validate_project_report, ProjectValidationError};
use super::project_personas::persona_groups;

/// The `schema_version` of the project report.
pub const PROJECT_REPORT_SCHEMA_VERSION: u32 = 1;
/// At most this many themes are reported (the most widely shared).
const MAX_THEMES: usize = 30;
/// Quotes shown per theme: one per participant (their strongest), up to this many.
const QUOTES_PER_THEME: usize = 8;
/// Entries per ranked list (pains, needs, requests) and quotes per entry.
const MAX_RANKED: usize = 15;
const QUOTES_PER_FINDING: usize = 3;

/// One interview's input to the report.
#[derive(Debug, Clone, PartialEq)]
pub struct InterviewEvidence {
    /// The interview's id (the item id).
    pub interview_id: String,
    /// Its evidence.json.
    pub evidence: EvidenceDoc,
    /// Its participants: the transcript's speakers other than the interviewer. Speakers of the
    /// evidence are participants too, whether or not they are listed here.
    pub participants: Vec<String>,
}

impl InterviewEvidence {
    /// Takes the participants from the transcript (its speakers, less the interviewer as the
    /// local analyzer recognises them); nothing else of the transcript is used.
    pub fn from_transcript(interview_id: impl Into<String>, transcript: &Transcript, evidence: EvidenceDoc) -> Self {
        let skip = interviewers(transcript, &sentences(transcript));
        let participants = transcript
            .speakers()
            .into_iter()
            .filter(|s| !skip.contains(*s) && !label_is_interviewer(s))
            .map(str::to_string)
            .collect();
        InterviewEvidence {
            interview_id: interview_id.into(),
            evidence,
            participants,
        }
    }
}

/// A person in one interview.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Participant {
    /// The interview.
    pub interview_id: String,
    /// Their speaker name in that interview.
    pub speaker: String,
}

/// A verbatim quote, resolvable to its evidence item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectQuote {
    /// The interview.
    pub interview_id: String,
    /// The evidence item in that interview's evidence.json.
    pub evidence_id: String,
    /// Who said it.
    pub speaker: String,
    /// The evidence item's quote, verbatim.
    pub text: String,
    /// When, seconds from the start of the recording.
    pub start: f64,
    /// The evidence item's kind.
    pub kind: EvidenceKind,
}

/// An evidence item by reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EvidenceRef {
    /// The interview.
    pub interview_id: String,
    /// The evidence item.
    pub evidence_id: String,
}

/// A topic that recurs across interviews.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectTheme {
    /// `PT1`, `PT2`, … (most participants first).
    pub id: String,
    /// Key terms of its quotes.
    pub title: String,
    /// The kind most of its participants expressed.
    pub kind: EvidenceKind,
    /// "Raised by 4 of 6 participants in 4 of 5 interviews, mostly as pain points."
    pub description: String,
    /// What the theme is about in a sentence or two, when the synthesiser wrote one (a model;
    /// see [`ProjectReport::text_sources`]). The local analyzers write none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Everyone who raised it, in interview order.
    pub participants: Vec<Participant>,
    /// Representative quotes: each participant's strongest, up to 8.
    pub quotes: Vec<ProjectQuote>,
    /// Every evidence item of the theme.
    pub evidence: Vec<EvidenceRef>,
}

/// A theme ranked by how many participants raised it as one kind (pain, need or request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedFinding {
    /// The theme.
    pub theme_id: String,
    /// Its title.
    pub title: String,
    /// The participants who expressed it as this kind.
    pub participants: Vec<Participant>,
    /// Up to three of their quotes of this kind.
    pub quotes: Vec<ProjectQuote>,
}

/// Pains, needs and feature requests, each ranked by participants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RankedFindings {
    /// Pain points.
    pub pains: Vec<RankedFinding>,
    /// Needs.
    pub needs: Vec<RankedFinding>,
    /// Feature requests.
    pub requests: Vec<RankedFinding>,
}

/// A theme on which participants speak with opposite sentiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    /// The theme.
    pub theme_id: String,
    /// Its title.
    pub title: String,
    /// Participants who spoke well of it (praise).
    pub positive: Vec<Participant>,
    /// Participants who spoke against it (pain, objection).
    pub negative: Vec<Participant>,
    /// A quote from each side (up to two per side).
    pub quotes: Vec<ProjectQuote>,
}

/// Participants who raised largely the same themes: a candidate persona.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonaGroup {
    /// `P1`, `P2`, … (largest first).
    pub id: String,
    /// Its members.
    pub participants: Vec<Participant>,
    /// Themes at least half of the members raised.
    pub theme_ids: Vec<String>,
    /// Those themes as "kind: title" signals.
    pub signals: Vec<String>,
}

/// The project report document (`project-report.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectReport {
    /// Always [`PROJECT_REPORT_SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// The producer: `local-embeddings/1` (themes by meaning) or `local-lexicon/2` (TF-IDF).
    pub analyzer: String,
    /// The interviews it covers, sorted by id.
    pub interview_ids: Vec<String>,
    /// Participants across all interviews.
    pub participant_count: usize,
    /// Recurring themes, most participants first.
    pub themes: Vec<ProjectTheme>,
    /// Pains, needs and requests ranked by participants.
    pub ranked: RankedFindings,
    /// Themes with opposite sentiment.
    pub disagreements: Vec<Disagreement>,
    /// Persona groups.
    pub personas: Vec<PersonaGroup>,
    /// The interviews' item versions it was built from (set by whoever stores the report), so a
    /// rebuild can tell the stored report is still current without reading any evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<ReportInput>,
    /// Who wrote the themes' wording, when it is not the template (absent: every title is key
    /// terms of the quotes, as the local analyzers write; reports before this field were all local).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_sources: Option<ProjectTextSources>,
    /// What a model service charged for the grouping; absent when none was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<ModelUsage>,
}

/// Where the wording of a project report came from. Quotes, participants, kinds, times and
/// counts are always taken from the evidence; only titles and summaries can be prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectTextSources {
    /// `themes[].title` and `themes[].summary`, and the same titles where they are repeated
    /// (`ranked[].title`, `disagreements[].title`, `personas[].signals`).
    pub themes: TextSource,
}

/// One interview as a stored report saw it: the item's last write when its evidence was read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReportInput {
    /// The interview.
    pub interview_id: String,
    /// Its item's `updated_at` (a re-analysis or deletion changes it).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// One evidence item with where it came from.
struct Item<'a> {
    interview: usize,
    ev: &'a Evidence,
}

/// The interviews in id order (each once) and all their evidence items in that order: what a
/// grouping's member indices point into.
struct Flat<'a> {
    sorted: Vec<&'a InterviewEvidence>,
    items: Vec<Item<'a>>,
}

impl<'a> Flat<'a> {
    fn new(interviews: &'a [InterviewEvidence]) -> Self {
        let sorted = project_interviews(interviews);
        let items = sorted
            .iter()
            .enumerate()
            .flat_map(|(i, iv)| iv.evidence.items.iter().map(move |ev| Item { interview: i, ev }))
            .collect();
        Flat { sorted, items }
    }
}

/// The project's interviews as every report sees them: sorted by id, each id once (the first
/// passed wins), so the same interviews give the same document whatever order they come in.
pub(crate) fn project_interviews(interviews: &[InterviewEvidence]) -> Vec<&InterviewEvidence> {
    let mut sorted: Vec<&InterviewEvidence> = interviews.iter().collect();
    sorted.sort_by(|a, b| a.interview_id.cmp(&b.interview_id));
    sorted.dedup_by(|a, b| a.interview_id == b.interview_id);
    sorted
}

/// The recurrence rule every project theme meets, whoever grouped it: at least two participants,
/// in at least two interviews when the project has more than one (`project_interviews`).
pub(crate) fn recurs(participants: usize, interviews: usize, project_interviews: usize) -> bool {
    let interviews_needed = if project_interviews > 1 { 2 } else { 1 };
    participants >= 2 && interviews >= interviews_needed
}

/// A theme as a synthesiser grouped it: evidence by reference, and its wording.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeGroup {
    /// The evidence items it groups (order and repeats do not matter).
    pub evidence: Vec<EvidenceRef>,
    /// Its title.
    pub title: String,
    /// What it is about, if the synthesiser said ([`ProjectTheme::summary`]).
    pub summary: Option<String>,
}

/// Builds the project report. With an embedder, quotes are grouped by meaning; without one (or
/// if embedding fails, which is logged), by TF-IDF, and the `analyzer` field says which.
/// The same interviews give the same document, whatever order they are passed in.
pub fn build_project_report(interviews: &[InterviewEvidence], embedder: Option<&dyn Embedder>) -> ProjectReport {
    let flat = Flat::new(interviews);
    let evidence: Vec<Evidence> = flat.items.iter().map(|it| it.ev.clone()).collect();
    let corpus = Corpus::new(&evidence);
    let by_meaning = embedder.and_then(|e| {
        let texts: Vec<&str> = evidence.iter().map(|e| e.quote.as_str()).collect();
        match e.embed(&texts) {
            Ok(vectors) if vectors.len() == texts.len() => Some(vectors),
            Ok(_) => {
                tracing::warn!("embedder returned the wrong number of vectors; project themes use TF-IDF");
                None
            }
            Err(err) => {
                tracing::warn!(error = %err, "project themes use TF-IDF");
                None
            }
        }
    });
    let (analyzer, groups) = match &by_meaning {
        Some(vectors) => (
            LocalAnalyzer::EMBEDDINGS_NAME,
            semantic::topics(vectors, semantic::MERGE_THRESHOLD),
        ),
        None => (LocalAnalyzer::NAME, lexical_groups(&corpus)),
    };
    assemble(&flat, groups, analyzer, |_, members| {
        (join_title(&corpus.title_terms(members)), None)
    })
}

/// Builds the project report from a grouping someone else made (a model): the same counting,
/// ordering, ranking, disagreements and persona groups as [`build_project_report`], with the
/// groups' own titles. Groups that do not recur (two participants, in two interviews when the
/// project has more than one) are left out, as the local analyzers leave theirs out; a reference
/// to evidence the interviews do not have is refused. `text_sources` and `usage` are left for
/// the caller to fill in.
pub fn report_from_groups(
    interviews: &[InterviewEvidence],
    groups: &[ThemeGroup],
    analyzer: &str,
) -> Result<ProjectReport, ProjectValidationError> {
    let flat = Flat::new(interviews);
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    for (m, it) in flat.items.iter().enumerate() {
        index
            .entry((flat.sorted[it.interview].interview_id.as_str(), it.ev.id.as_str()))
            .or_insert(m);
    }
    let mut members_of = Vec::with_capacity(groups.len());
    for (g, group) in groups.iter().enumerate() {
        let mut members = Vec::with_capacity(group.evidence.len());
        for r in &group.evidence {
            let Some(&m) = index.get(&(r.interview_id.as_str(), r.evidence_id.as_str())) else {
                let owner = format!("theme group {}", g + 1);
                return Err(if flat.sorted.iter().any(|iv| iv.interview_id == r.interview_id) {
                    ProjectValidationError::UnknownEvidence {
                        owner,
                        interview_id: r.interview_id.clone(),
                        evidence_id: r.evidence_id.clone(),
                    }
                } else {
                    ProjectValidationError::UnknownInterview {
                        owner,
                        interview_id: r.interview_id.clone(),
                    }
                });
            };
            members.push(m);
        }
        // Project order, each item once: the order the local groupings have, which the theme
        // ordering's last tie-break (first member) relies on.
        members.sort_unstable();
        members.dedup();
        members_of.push(members);
    }
    Ok(assemble(&flat, members_of, analyzer, |g, _| {
        (groups[g].title.clone(), groups[g].summary.clone())
    }))
}

/// Grouping → report: keeps the groups that recur, orders them (most participants, then most
/// evidence, then first evidence), and derives everything else from them. `wording(g, members)`
/// gives group `g`'s title and summary.
fn assemble(
    flat: &Flat<'_>,
    groups: Vec<Vec<usize>>,
    analyzer: &str,
    wording: impl Fn(usize, &[usize]) -> (String, Option<String>),
) -> ProjectReport {
    let (sorted, items) = (&flat.sorted, &flat.items);
    let participant = |it: &Item<'_>| Participant {
        interview_id: sorted[it.interview].interview_id.clone(),
        speaker: it.ev.speaker.clone(),
    };
    let mut themes: Vec<(Vec<usize>, BTreeSet<Participant>, usize)> = groups
        .into_iter()
        .enumerate()
        .map(|(g, members)| {
            let who: BTreeSet<Participant> = members.iter().map(|&m| participant(&items[m])).collect();
            (members, who, g)
        })
        .filter(|(members, who, _)| {
            let interviews: BTreeSet<usize> = members.iter().map(|&m| items[m].interview).collect();
            recurs(who.len(), interviews.len(), sorted.len())
        })
        .collect();
    themes.sort_by(|a, b| {
        b.1.len()
            .cmp(&a.1.len())
            .then(b.0.len().cmp(&a.0.len()))
            .then(a.0[0].cmp(&b.0[0]))
    });
    themes.truncate(MAX_THEMES);

    let quote = |m: usize| {
        let it = &items[m];
        ProjectQuote {
            interview_id: sorted[it.interview].interview_id.clone(),
            evidence_id: it.ev.id.clone(),
            speaker: it.ev.speaker.clone(),
            text: it.ev.quote.clone(),
            start: it.ev.start,
            kind: it.ev.kind,
        }
    };
    let mut all_participants: BTreeSet<Participant> = items.iter().map(participant).collect();
    for iv in sorted {
        all_participants.extend(iv.participants.iter().map(|s| Participant {
            interview_id: iv.interview_id.clone(),
            speaker: s.clone(),
        }));
    }
    let total = all_participants.len();
    let project_theme = |index: usize, members: &[usize], who: &BTreeSet<Participant>, g: usize| {
        let kinds = kinds_by_participants(members.iter().map(|&m| (participant(&items[m]), items[m].ev.kind)));
        let kind = kinds.first().map(|k| k.0).unwrap_or(EvidenceKind::Pain);
        let interviews: BTreeSet<usize> = members.iter().map(|&m| items[m].interview).collect();
        let (title, summary) = wording(g, members);
        ProjectTheme {
            id: format!("PT{}", index + 1),
            title,
            kind,
            description: format!(
                "Raised by {} of {total} participants in {} of {} interviews, mostly as {}.",
                who.len(),
                interviews.len(),
                sorted.len(),
                kind_plural(kind)
            ),
            summary,
            participants: who.iter().cloned().collect(),
            quotes: strongest_per_participant(members, items, QUOTES_PER_THEME)
                .into_iter()
                .map(quote)
                .collect(),
            evidence: members
                .iter()
                .map(|&m| EvidenceRef {
                    interview_id: sorted[items[m].interview].interview_id.clone(),
                    evidence_id: items[m].ev.id.clone(),
                })
                .collect(),
        }
    };
    let built: Vec<ProjectTheme> = themes
        .iter()
        .enumerate()
        .map(|(i, (members, who, g))| project_theme(i, members, who, *g))
        .collect();

    let ranked_for = |kind: EvidenceKind| {
        let mut out: Vec<RankedFinding> = themes
            .iter()
            .zip(&built)
            .filter_map(|((members, _, _), theme)| {
                let of_kind: Vec<usize> = members.iter().copied().filter(|&m| items[m].ev.kind == kind).collect();
                let who: BTreeSet<Participant> = of_kind.iter().map(|&m| participant(&items[m])).collect();
                (!who.is_empty()).then(|| RankedFinding {
                    theme_id: theme.id.clone(),
                    title: theme.title.clone(),
                    participants: who.into_iter().collect(),
                    quotes: strongest_per_participant(&of_kind, items, QUOTES_PER_FINDING)
                        .into_iter()
                        .map(quote)
                        .collect(),
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.participants
                .len()
                .cmp(&a.participants.len())
                .then(a.theme_id.cmp(&b.theme_id))
        });
        out.truncate(MAX_RANKED);
        out
    };
    let ranked = RankedFindings {
        pains: ranked_for(EvidenceKind::Pain),
        needs: ranked_for(EvidenceKind::Need),
        requests: ranked_for(EvidenceKind::FeatureRequest),
    };

    let disagreements = themes
        .iter()
        .zip(&built)
        .filter_map(|((members, _, _), theme)| {
            let side = |kinds: &[EvidenceKind]| -> Vec<usize> {
                members
                    .iter()
                    .copied()
                    .filter(|&m| kinds.contains(&items[m].ev.kind))
                    .collect()
            };
            let (pos, neg) = (
                side(&[EvidenceKind::Praise]),
                side(&[EvidenceKind::Pain, EvidenceKind::Objection]),
            );
            let who = |ms: &[usize]| -> Vec<Participant> {
                let set: BTreeSet<Participant> = ms.iter().map(|&m| participant(&items[m])).collect();
                set.into_iter().collect()
            };
            let (positive, negative) = (who(&pos), who(&neg));
            // Someone who both praises and criticises a theme is nuanced, not a disagreement.
            let only_pos: Vec<Participant> = positive.iter().filter(|p| !negative.contains(p)).cloned().collect();
            let only_neg: Vec<Participant> = negative.iter().filter(|p| !positive.contains(p)).cloned().collect();
            if only_pos.is_empty() || only_neg.is_empty() {
                return None;
            }
            let mut quotes: Vec<ProjectQuote> = strongest_per_participant(&pos, items, 2)
                .into_iter()
                .map(quote)
                .collect();
            quotes.extend(strongest_per_participant(&neg, items, 2).into_iter().map(quote));
            Some(Disagreement {
                theme_id: theme.id.clone(),
                title: theme.title.clone(),
                positive: only_pos,
                negative: only_neg,
                quotes,
            })
        })
        .collect();

    ProjectReport {
        schema_version: PROJECT_REPORT_SCHEMA_VERSION,
        analyzer: analyzer.to_string(),
        interview_ids: sorted.iter().map(|iv| iv.interview_id.clone()).collect(),
        participant_count: total,
        personas: persona_groups(&built),
        ranked,
        disagreements,
        themes: built,
        inputs: Vec::new(),
        text_sources: None,
        usage: None,
    }
}

/// TF-IDF topics of quotes alone, with the per-interview analyzer's rule that a pair of quotes
/// is a topic only when they share two key terms.
fn lexical_groups(corpus: &Corpus) -> Vec<Vec<usize>> {
    corpus
        .topics()
        .into_iter()
        .filter(|m| match m.as_slice() {
            [a, b] => corpus.shared_terms(*a, *b) >= 2,
            _ => m.len() >= 2,
        })
        .collect()
}

/// Kinds by how many participants expressed them (ties: the more actionable kind).
fn kinds_by_participants(pairs: impl Iterator<Item = (Participant, EvidenceKind)>) -> Vec<(EvidenceKind, usize)> {
    let mut who: BTreeMap<EvidenceKind, BTreeSet<Participant>> = BTreeMap::new();
    for (p, k) in pairs {
        who.entry(k).or_default().insert(p);
    }
    let mut v: Vec<(EvidenceKind, usize)> = who.into_iter().map(|(k, s)| (k, s.len())).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(tie_rank(a.0).cmp(&tie_rank(b.0))));
    v
}

fn kind_plural(kind: EvidenceKind) -> &'static str {
    match kind {
        EvidenceKind::Pain => "pain points",
        EvidenceKind::Need => "needs",
        EvidenceKind::Goal => "goals",
        EvidenceKind::Behaviour => "current behaviours",
        EvidenceKind::FeatureRequest => "feature requests",
        EvidenceKind::Praise => "praise",
        EvidenceKind::Objection => "objections",
        EvidenceKind::Question => "questions",
    }
}

/// Each participant's strongest member (highest confidence, then earliest), in member order,
/// at most `limit`.
fn strongest_per_participant(members: &[usize], items: &[Item<'_>], limit: usize) -> Vec<usize> {
    let mut best: BTreeMap<(usize, &str), usize> = BTreeMap::new();
    for &m in members {
        let key = (items[m].interview, items[m].ev.speaker.as_str());
        match best.get(&key) {
            Some(&b) if items[b].ev.confidence >= items[m].ev.confidence => {}
            _ => {
                best.insert(key, m);
            }
        }
    }
    let mut out: Vec<usize> = best.into_values().collect();
    out.sort_unstable();
    out.truncate(limit);
    out
}
