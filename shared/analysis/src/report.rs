//! analysis.json from evidence: themes (clusters of at least two quotes, and two quotes only
//! when they share at least two key terms), one insight per top theme, persona signals per customer, an extractive summary and the open questions.
//!
//! Quotes that cluster with nothing are left out of themes rather than lumped into an "Other
//! observations" theme: a theme claims that something recurred, and a grab-bag would rank by
//! size next to real themes. Those quotes still appear in personas, insights (when no theme
//! exists) and open questions.

use super::extract::answer_contexts;
use super::lexicon::{kind_scores, tie_rank};
use super::semantic;
use super::text::{shorten, tokenize};
use super::themes::{join_title, Corpus};
use super::{
    AnalysisDoc, Embedder, Evidence, EvidenceDoc, EvidenceKind, Insight, LocalAnalyzer, PersonaSignal, TextSource,
    TextSources, Theme, ANALYSIS_SCHEMA_VERSION,
};
use crate::transcript::Transcript;
use std::collections::{BTreeMap, BTreeSet};

/// A theme needs at least this many quotes.
pub(crate) const MIN_THEME_SUPPORT: usize = 2;
/// Two quotes make a theme only if they share this many key terms: one shared word between
/// two quotes ("my phone", "Android phones") is a coincidence more often than a topic.
const MIN_SHARED_TERMS_FOR_PAIR: usize = 2;
/// At most this many themes are reported (the best supported).
pub(crate) const MAX_THEMES: usize = 12;
/// Insights are written for this many top themes.
const MAX_INSIGHTS: usize = 5;
/// Persona signals per kind per speaker.
const SIGNALS_PER_KIND: usize = 3;
/// Words in a persona signal phrase.
const PHRASE_WORDS: usize = 16;
/// Words of a quote embedded in the summary or an insight.
const QUOTE_WORDS: usize = 30;
/// Customer questions listed as open.
const MAX_OPEN_QUESTIONS: usize = 15;

/// The order persona signals are listed in: who they are and want first, then what hurts.
const PERSONA_ORDER: [EvidenceKind; 8] = [
    EvidenceKind::Goal,
    EvidenceKind::Need,
    EvidenceKind::Pain,
    EvidenceKind::Behaviour,
    EvidenceKind::FeatureRequest,
    EvidenceKind::Objection,
    EvidenceKind::Praise,
    EvidenceKind::Question,
];

/// (singular, plural, insight label) per kind.
fn names(kind: EvidenceKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        EvidenceKind::Pain => ("pain point", "pain points", "Pain"),
        EvidenceKind::Need => ("need", "needs", "Need"),
        EvidenceKind::Goal => ("goal", "goals", "Goal"),
        EvidenceKind::Behaviour => ("current behaviour", "current behaviours", "Current behaviour"),
        EvidenceKind::FeatureRequest => ("feature request", "feature requests", "Feature request"),
        EvidenceKind::Praise => ("positive remark", "positive remarks", "Praise"),
        EvidenceKind::Objection => ("objection", "objections", "Objection"),
        EvidenceKind::Question => ("question", "questions", "Open question"),
    }
}

/// "3 pain points", "1 need".
fn count_of(kind: EvidenceKind, n: usize) -> String {
    let (one, many, _) = names(kind);
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "Maria", "Maria and Tom", "Maria, Tom and Lee".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

/// A quote for embedding in prose, in typographic quotes, shortened if long.
fn quoted(quote: &str) -> String {
    format!("“{}”", shorten(quote, QUOTE_WORDS))
}

/// Ends a sentence that may already end with a quote's own punctuation.
fn end_sentence(mut s: String) -> String {
    let trimmed = s.trim_end_matches('”');
    if !trimmed.ends_with(['.', '!', '?', '…']) {
        s.push('.');
    }
    s
}

/// Kinds by how often they occur (ties: the more actionable kind), with counts.
fn kinds_by_count<'a>(items: impl Iterator<Item = &'a Evidence>) -> Vec<(EvidenceKind, usize)> {
    let mut counts: BTreeMap<EvidenceKind, usize> = BTreeMap::new();
    for ev in items {
        *counts.entry(ev.kind).or_insert(0) += 1;
    }
    let mut v: Vec<(EvidenceKind, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(tie_rank(a.0).cmp(&tie_rank(b.0))));
    v
}

/// Speakers in order of first appearance.
fn speakers_of<'a>(items: impl Iterator<Item = &'a Evidence>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ev in items {
        if !out.contains(&ev.speaker) {
            out.push(ev.speaker.clone());
        }
    }
    out
}

/// The strongest item: highest confidence, then earliest.
fn strongest<'a>(items: impl Iterator<Item = &'a Evidence>) -> Option<&'a Evidence> {
    items.fold(None, |best: Option<&Evidence>, ev| match best {
        Some(b) if b.confidence >= ev.confidence => Some(b),
        _ => Some(ev),
    })
}

/// A theme with what the rest of the report needs to know about it.
struct ThemeInfo {
    theme: Theme,
    members: Vec<usize>,
    kinds: Vec<(EvidenceKind, usize)>,
}

/// Builds analysis.json. With an embedder, quotes are grouped by meaning (average linkage
/// over their embeddings) and the document is written as [`LocalAnalyzer::EMBEDDINGS_NAME`];
/// without one, or when embedding fails (logged), by TF-IDF as [`LocalAnalyzer::NAME`].
pub(crate) fn analyze(transcript: &Transcript, evidence: &EvidenceDoc, embedder: Option<&dyn Embedder>) -> AnalysisDoc {
    let items = &evidence.items;
    let corpus = Corpus::with_context(items, &answer_contexts(transcript, items));
    let vectors = embedder.and_then(|e| {
        let texts: Vec<&str> = items.iter().map(|ev| ev.quote.as_str()).collect();
        match e.embed(&texts) {
            Ok(v) if v.len() == texts.len() => Some(v),
            Ok(_) => None,
            Err(err) => {
                tracing::warn!(error = %err, "themes use TF-IDF clustering");
                None
            }
        }
    });
    let (analyzer, groups): (&str, Vec<Vec<usize>>) = match &vectors {
        Some(v) => (
            LocalAnalyzer::EMBEDDINGS_NAME,
            semantic::topics(v, semantic::MERGE_THRESHOLD)
                .into_iter()
                .filter(|members| members.len() >= MIN_THEME_SUPPORT)
                .collect(),
        ),
        None => (
            LocalAnalyzer::NAME,
            corpus
                .topics()
                .into_iter()
                .filter(|members| match members.as_slice() {
                    [a, b] => corpus.shared_terms(*a, *b) >= MIN_SHARED_TERMS_FOR_PAIR,
                    _ => members.len() >= MIN_THEME_SUPPORT,
                })
                .collect(),
        ),
    };
    let themes: Vec<ThemeInfo> = groups
        .into_iter()
        .take(MAX_THEMES)
        .enumerate()
        .map(|(i, members)| theme(i, members, items, &corpus))
        .collect();
    AnalysisDoc {
        schema_version: ANALYSIS_SCHEMA_VERSION,
        analyzer: analyzer.to_string(),
        insights: insights(&themes, items),
        personas: personas(items),
        summary: summary(transcript, &themes, items),
        open_questions: open_questions(&themes, items),
        themes: themes.into_iter().map(|t| t.theme).collect(),
        text_sources: TextSources::all(TextSource::Template),
        usage: None,
    }
}

fn theme(index: usize, members: Vec<usize>, items: &[Evidence], corpus: &Corpus) -> ThemeInfo {
    let evs = || members.iter().map(|&m| &items[m]);
    let kinds = kinds_by_count(evs());
    let speakers = speakers_of(evs());
    let title = join_title(&corpus.title_terms(&members));
    let description = match kinds.as_slice() {
        [(kind, _)] => format!(
            "{} quotes from {}, all {}.",
            members.len(),
            join_and(&speakers),
            names(*kind).1
        ),
        [(kind, n), rest @ ..] if 2 * n > members.len() => {
            let others: Vec<String> = rest.iter().map(|(k, c)| count_of(*k, *c)).collect();
            format!(
                "{} quotes from {}, mostly {} ({n}), also {}.",
                members.len(),
                join_and(&speakers),
                names(*kind).1,
                join_and(&others)
            )
        }
        mixed => {
            let all: Vec<String> = mixed.iter().map(|(k, c)| count_of(*k, *c)).collect();
            format!(
                "{} quotes from {}: {}.",
                members.len(),
                join_and(&speakers),
                join_and(&all)
            )
        }
    };
    ThemeInfo {
        theme: Theme {
            id: format!("T{}", index + 1),
            title,
            description,
            evidence_ids: evs().map(|e| e.id.clone()).collect(),
            speakers,
        },
        members,
        kinds,
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn insights(themes: &[ThemeInfo], items: &[Evidence]) -> Vec<Insight> {
    if themes.is_empty() {
        // No theme recurred: say what the strongest evidence of the commonest kinds is.
        return kinds_by_count(items.iter())
            .into_iter()
            .take(3)
            .filter_map(|(kind, n)| {
                let of_kind: Vec<&Evidence> = items.iter().filter(|e| e.kind == kind).collect();
                let best = strongest(of_kind.iter().copied())?;
                let speakers = speakers_of(of_kind.iter().copied());
                Some(Insight {
                    text: format!(
                        "{} ({}, {}): {}",
                        names(kind).2,
                        count_of(kind, n),
                        speakers.join(", "),
                        quoted(&best.quote)
                    ),
                    evidence_ids: of_kind.iter().map(|e| e.id.clone()).collect(),
                })
            })
            .collect();
    }
    themes
        .iter()
        .take(MAX_INSIGHTS)
        .filter_map(|t| {
            let (kind, n) = *t.kinds.first()?;
            let of_kind: Vec<&Evidence> = t
                .members
                .iter()
                .map(|&m| &items[m])
                .filter(|e| e.kind == kind)
                .collect();
            let best = strongest(of_kind.iter().copied())?;
            if n < 2 {
                // No kind recurs within the theme: the insight is the topic and its mix.
                let mix: Vec<String> = t.kinds.iter().map(|(k, c)| count_of(*k, *c)).collect();
                return Some(Insight {
                    text: format!(
                        "{}: {} ({}), e.g. {}",
                        t.theme.title,
                        join_and(&mix),
                        t.theme.speakers.join(", "),
                        quoted(&best.quote)
                    ),
                    evidence_ids: t.theme.evidence_ids.clone(),
                });
            }
            let speakers = speakers_of(of_kind.iter().copied());
            Some(Insight {
                text: format!(
                    "{}: {} — {n} of {} quotes ({}), e.g. {}",
                    names(kind).2,
                    lower_first(&t.theme.title),
                    t.members.len(),
                    speakers.join(", "),
                    quoted(&best.quote)
                ),
                evidence_ids: of_kind.iter().map(|e| e.id.clone()).collect(),
            })
        })
        .collect()
}

/// The clause of a quote that carries its kind, shortened: "shift swaps are the worst part
/// of my week" rather than the whole rambling sentence.
pub(crate) fn key_phrase(quote: &str, kind: EvidenceKind) -> String {
    let kind_at = EvidenceKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    let clauses = clause_spans(quote);
    let words = |(a, b): (usize, usize)| quote[a..b].split_whitespace().count();
    let mut best: Option<(usize, f32)> = None;
    for (i, span) in clauses.iter().enumerate() {
        let text = &quote[span.0..span.1];
        let score = kind_scores(text, &tokenize(text))[kind_at];
        if score > 0.0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    let span = match best {
        // A fragment ("which takes ages") reads better with the clause before it.
        Some((i, _)) if i > 0 && words(clauses[i]) < 5 => (clauses[i - 1].0, clauses[i].1),
        Some((i, _)) => clauses[i],
        None => (0, quote.len()),
    };
    let mut text = quote[span.0..span.1].trim();
    for lead in ["and ", "so ", "but ", "then ", "which "] {
        if text.len() > lead.len() && text.is_char_boundary(lead.len()) && text[..lead.len()].eq_ignore_ascii_case(lead)
        {
            text = text[lead.len()..].trim_start();
        }
    }
    let phrase = shorten(text, PHRASE_WORDS);
    let keep_question = kind == EvidenceKind::Question;
    phrase
        .trim_end_matches(|c: char| matches!(c, '.' | '!' | ',' | ';' | ':') || (c == '?' && !keep_question))
        .to_string()
}

/// Byte spans of a quote's clauses: split at , ; : and dashes, and before " but ".
fn clause_spans(quote: &str) -> Vec<(usize, usize)> {
    let mut cuts = vec![0];
    for (i, c) in quote.char_indices() {
        if matches!(c, ',' | ';' | ':' | '—' | '–') {
            cuts.push(i + c.len_utf8());
        }
    }
    // ASCII lowercasing keeps byte offsets, so positions found in it are valid in the quote.
    let lower = quote.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(" but ") {
        cuts.push(from + found + 1);
        from += found + 1;
    }
    cuts.push(quote.len());
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|&(a, b)| !quote[a..b].trim().is_empty())
        .collect()
}

fn personas(items: &[Evidence]) -> Vec<PersonaSignal> {
    speakers_of(items.iter())
        .into_iter()
        .map(|speaker| {
            let mut signals = Vec::new();
            let mut ids = Vec::new();
            for kind in PERSONA_ORDER {
                let mut of_kind: Vec<(usize, &Evidence)> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.speaker == speaker && e.kind == kind)
                    .collect();
                of_kind.sort_by(|a, b| b.1.confidence.total_cmp(&a.1.confidence).then(a.0.cmp(&b.0)));
                for (_, ev) in of_kind.into_iter().take(SIGNALS_PER_KIND) {
                    signals.push(format!("{}: {}", names(kind).0, key_phrase(&ev.quote, kind)));
                    ids.push(ev.id.clone());
                }
            }
            PersonaSignal {
                speaker,
                signals,
                evidence_ids: ids,
            }
        })
        .collect()
}

fn summary(transcript: &Transcript, themes: &[ThemeInfo], items: &[Evidence]) -> String {
    let seconds = transcript.duration_seconds();
    let minutes = if seconds.is_finite() {
        (seconds / 60.0).round() as u64
    } else {
        0
    };
    let length = if minutes > 0 {
        format!("a {minutes}-minute interview")
    } else {
        "the interview".to_string()
    };
    if items.is_empty() {
        return format!(
            "No customer evidence was found in {length} ({} segments). There are no themes, insights or persona signals to report.",
            transcript.segments.len()
        );
    }
    let mut sentences = Vec::new();
    let kinds = kinds_by_count(items.iter());
    let top_kinds: Vec<String> = kinds.iter().take(3).map(|(k, n)| count_of(*k, *n)).collect();
    let pieces = if items.len() == 1 {
        "1 piece of evidence".to_string()
    } else {
        format!("{} pieces of evidence", items.len())
    };
    sentences.push(format!(
        "{} gave {pieces} in {length}, chiefly {}.",
        join_and(&speakers_of(items.iter())),
        join_and(&top_kinds)
    ));
    match themes.first() {
        Some(t) => {
            let evs = t.members.iter().map(|&m| &items[m]);
            let (kind, _) = t.kinds.first().copied().unwrap_or((EvidenceKind::Pain, 0));
            let best = strongest(evs.clone().filter(|e| e.kind == kind)).or_else(|| strongest(evs));
            let mix = if t.kinds.len() == 1 { "all" } else { "mostly" };
            let mut s = format!(
                "The strongest theme is “{}” ({} quotes, {mix} {})",
                t.theme.title,
                t.members.len(),
                names(kind).1
            );
            if let Some(b) = best {
                s.push_str(&format!(": {}", quoted(&b.quote)));
            }
            sentences.push(end_sentence(s));
        }
        None => {
            if let Some(best) = strongest(items.iter()) {
                sentences.push(end_sentence(format!(
                    "No theme recurred across quotes; the strongest piece of evidence is a {}: {}",
                    names(best.kind).0,
                    quoted(&best.quote)
                )));
            }
        }
    }
    if themes.len() > 1 {
        let others: Vec<String> = themes[1..]
            .iter()
            .take(3)
            .map(|t| format!("“{}” ({} quotes)", t.theme.title, t.members.len()))
            .collect();
        sentences.push(format!("Other recurring themes: {}.", join_and(&others)));
    }
    let closing = [
        (EvidenceKind::Objection, "The main objection"),
        (EvidenceKind::FeatureRequest, "The top request"),
        (EvidenceKind::Need, "The clearest need"),
    ]
    .into_iter()
    .find_map(|(kind, label)| strongest(items.iter().filter(|e| e.kind == kind)).map(|e| (label, e)));
    if let Some((label, ev)) = closing {
        sentences.push(end_sentence(format!("{label}: {}", quoted(&ev.quote))));
    }
    let questions = items.iter().filter(|e| e.kind == EvidenceKind::Question).count();
    if questions > 0 {
        let verb = if questions == 1 { "remains" } else { "remain" };
        let asked = if questions == 1 {
            "customer question"
        } else {
            "customer questions"
        };
        sentences.push(format!("{questions} {asked} {verb} open."));
    } else if sentences.len() < 3 {
        sentences.push("The customers asked no questions.".to_string());
    }
    sentences.join(" ")
}

fn open_questions(themes: &[ThemeInfo], items: &[Evidence]) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for ev in items.iter().filter(|e| e.kind == EvidenceKind::Question) {
        if out.len() == MAX_OPEN_QUESTIONS {
            break;
        }
        if seen.insert(ev.quote.trim().to_lowercase()) {
            out.push(format!("{} asked: {}", ev.speaker, quoted(&ev.quote)));
        }
    }
    for t in themes {
        if let [(EvidenceKind::Objection, n)] = t.kinds.as_slice() {
            let example = strongest(t.members.iter().map(|&m| &items[m]));
            out.push(format!(
                "Theme {} “{}” is only objections ({n}) — unanswered: {}",
                t.theme.id,
                t.theme.title,
                example.map(|e| quoted(&e.quote)).unwrap_or_default()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_phrase_picks_the_clause_that_carries_the_kind() {
        assert_eq!(
            key_phrase(
                "Honestly, shift swaps are the worst part of my week.",
                EvidenceKind::Pain
            ),
            "shift swaps are the worst part of my week"
        );
        assert_eq!(
            key_phrase(
                "The app looks nice, but I don't love the price.",
                EvidenceKind::Objection
            ),
            "I don't love the price"
        );
        assert_eq!(
            key_phrase(
                "When Maria is off, I have to call people one by one, which takes ages.",
                EvidenceKind::Pain
            ),
            "I have to call people one by one, which takes ages"
        );
        assert_eq!(
            key_phrase(
                "Staff swap by text, and it takes forever to sort out.",
                EvidenceKind::Pain
            ),
            "it takes forever to sort out"
        );
        assert_eq!(
            key_phrase("Can it handle two locations?", EvidenceKind::Question),
            "Can it handle two locations?"
        );
    }

    #[test]
    fn prose_helpers_read_well() {
        assert_eq!(join_and(&["Maria".into()]), "Maria");
        assert_eq!(join_and(&["A".into(), "B".into(), "C".into()]), "A, B and C");
        assert_eq!(count_of(EvidenceKind::Pain, 1), "1 pain point");
        assert_eq!(count_of(EvidenceKind::FeatureRequest, 2), "2 feature requests");
        assert_eq!(end_sentence("It said “hi.”".into()), "It said “hi.”");
        assert_eq!(end_sentence("It said “hi”".into()), "It said “hi”.");
    }
}
