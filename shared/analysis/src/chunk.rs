//! Splitting long inputs into model-sized requests and merging the partial answers: the pure
//! part of the Bedrock analyzer, kept apart so it can be tested and benchmarked without a client.

use super::prompt_text::one_line;
use super::{Evidence, EvidenceDoc, Theme};
use crate::transcript::{Segment, Transcript};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// A rough token count for English text: one token per four characters, rounded up. Good
/// enough to size requests well under a model's context; the service's own count is what is
/// recorded as usage.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// `mm:ss` below an hour, `h:mm:ss` from an hour on (negative or non-finite times read 00:00).
pub fn clock(seconds: f64) -> String {
    let total = if seconds.is_finite() && seconds > 0.0 {
        seconds.floor() as u64
    } else {
        0
    };
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// How a segment is shown to the model: its number in the transcript, time, speaker and text,
/// always on one line whatever the text holds (see `prompt_text`).
pub fn segment_line(index: usize, segment: &Segment) -> String {
    format!(
        "[{index}] {} {}: {}",
        clock(segment.start),
        one_line(&segment.speaker),
        one_line(&segment.text)
    )
}

/// Splits items with the given token costs into consecutive ranges of at most `budget` tokens
/// (a single item over the budget gets a range of its own), each range after the first starting
/// `overlap` items before the previous one ended. Every item is in at least one range; ranges
/// always move forward.
pub fn plan_chunks(costs: &[usize], budget: usize, overlap: usize) -> Vec<Range<usize>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < costs.len() {
        let mut end = start;
        let mut used = 0;
        while end < costs.len() && (end == start || used + costs[end] <= budget) {
            used += costs[end];
            end += 1;
        }
        chunks.push(start..end);
        if end == costs.len() {
            break;
        }
        start = end.saturating_sub(overlap).max(start + 1);
    }
    chunks
}

/// The segment ranges the extract step sends to the model for this transcript.
pub fn transcript_chunks(transcript: &Transcript, budget_tokens: usize, overlap_segments: usize) -> Vec<Range<usize>> {
    let costs: Vec<usize> = transcript
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| estimate_tokens(&segment_line(i, s)) + 1)
        .collect();
    plan_chunks(&costs, budget_tokens, overlap_segments)
}

/// Evidence found in one chunk, before ids are given: where it is in the transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// Index of the segment the quote is from.
    pub segment: usize,
    /// Byte offset of the quote in the segment's text (orders quotes within a segment).
    pub offset: usize,
    /// The evidence; its `id` is replaced when merged.
    pub evidence: Evidence,
}

/// Merges the evidence of every chunk: drops exact duplicates (same segment and quote, as the
/// overlap between chunks produces), puts the rest in transcript order and numbers it `E1`, `E2`, …
pub fn merge_evidence(parts: impl IntoIterator<Item = Located>) -> Vec<Evidence> {
    let mut seen = HashSet::new();
    let mut all: Vec<Located> = parts
        .into_iter()
        .filter(|l| seen.insert((l.segment, l.evidence.quote.clone())))
        .collect();
    all.sort_by(|a, b| {
        (a.segment, a.offset)
            .cmp(&(b.segment, b.offset))
            .then_with(|| a.evidence.quote.len().cmp(&b.evidence.quote.len()))
    });
    all.into_iter()
        .enumerate()
        .map(|(i, l)| Evidence {
            id: format!("E{}", i + 1),
            ..l.evidence
        })
        .collect()
}

/// How the analyze step shows one piece of evidence to the model, always on one line.
pub fn evidence_line(ev: &Evidence) -> String {
    format!(
        "{} | {} | {} | {} | \"{}\"",
        one_line(&ev.id),
        ev.kind.as_str(),
        one_line(&ev.speaker),
        clock(ev.start),
        one_line(&ev.quote)
    )
}

/// The evidence ranges the analyze step sends to the model (no overlap: each id is analysed once).
pub fn evidence_chunks(evidence: &EvidenceDoc, budget_tokens: usize) -> Vec<Range<usize>> {
    let costs: Vec<usize> = evidence
        .items
        .iter()
        .map(|e| estimate_tokens(&evidence_line(e)) + 1)
        .collect();
    plan_chunks(&costs, budget_tokens, 0)
}

const TITLE_STOPWORDS: &[&str] = &[
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "by", "about", "around", "over", "&",
];

/// A theme title's key words: lowercase, punctuation dropped, a plural `s` dropped, filler
/// words ignored. Two titles with the same key words name the same theme.
pub fn title_key(title: &str) -> Vec<String> {
    let mut words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty() && !TITLE_STOPWORDS.contains(&w.as_str()))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem.to_string(),
            _ => w,
        })
        .collect();
    words.sort();
    words.dedup();
    words
}

fn same_theme(a: &Theme, b: &Theme) -> bool {
    let (ka, kb) = (title_key(&a.title), title_key(&b.title));
    if !ka.is_empty() && ka == kb {
        return true;
    }
    let shared_words = ka.iter().filter(|w| kb.contains(w)).count();
    let union = ka.len() + kb.len() - shared_words;
    if union > 0 && shared_words * 5 >= union * 3 {
        return true;
    }
    let ids: HashSet<&str> = a.evidence_ids.iter().map(String::as_str).collect();
    let shared = b.evidence_ids.iter().filter(|id| ids.contains(id.as_str())).count();
    let smaller = a.evidence_ids.len().min(b.evidence_ids.len());
    smaller > 0 && shared * 2 >= smaller
}

/// Merges themes found in separate chunks (or twice in one): a theme whose title has the same
/// key words as another's (or mostly the same), or that shares at least half of the smaller
/// one's evidence, is folded into the first, evidence united. Then themes are ordered by
/// support (ties by first evidence), numbered `T1`, `T2`, … and their speakers recomputed from
/// the evidence, in order of first appearance.
pub fn merge_themes(themes: Vec<Theme>, evidence: &EvidenceDoc) -> Vec<Theme> {
    let position: HashMap<&str, usize> = evidence
        .items
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    let mut merged: Vec<Theme> = Vec::new();
    for theme in themes {
        match merged.iter_mut().find(|m| same_theme(m, &theme)) {
            Some(into) => {
                for id in theme.evidence_ids {
                    if !into.evidence_ids.contains(&id) {
                        into.evidence_ids.push(id);
                    }
                }
            }
            None => merged.push(theme),
        }
    }
    for theme in &mut merged {
        theme
            .evidence_ids
            .sort_by_key(|id| position.get(id.as_str()).copied().unwrap_or(usize::MAX));
        theme.evidence_ids.dedup();
        let mut speakers: Vec<String> = Vec::new();
        for id in &theme.evidence_ids {
            if let Some(&i) = position.get(id.as_str()) {
                let speaker = &evidence.items[i].speaker;
                if !speakers.contains(speaker) {
                    speakers.push(speaker.clone());
                }
            }
        }
        theme.speakers = speakers;
    }
    let first = |t: &Theme| {
        t.evidence_ids
            .first()
            .and_then(|id| position.get(id.as_str()).copied())
            .unwrap_or(usize::MAX)
    };
    merged.sort_by(|a, b| {
        b.evidence_ids
            .len()
            .cmp(&a.evidence_ids.len())
            .then_with(|| first(a).cmp(&first(b)))
    });
    for (i, theme) in merged.iter_mut().enumerate() {
        theme.id = format!("T{}", i + 1);
    }
    merged
}

/// Text compared when dropping repeated free-text lines (insights, questions, signals).
pub fn text_key(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EvidenceKind, ANALYSIS_SCHEMA_VERSION};
    use interview_testkit::analysis_fixtures::generate_long_transcript;

    fn ev(id: &str, speaker: &str, quote: &str) -> Evidence {
        Evidence {
            id: id.into(),
            quote: quote.into(),
            speaker: speaker.into(),
            start: 0.0,
            end: 1.0,
            kind: EvidenceKind::Pain,
            confidence: 0.5,
            tags: vec![],
        }
    }

    fn theme(title: &str, ids: &[&str]) -> Theme {
        Theme {
            id: String::new(),
            title: title.into(),
            description: format!("about {title}"),
            evidence_ids: ids.iter().map(|s| s.to_string()).collect(),
            speakers: vec![],
        }
    }

    #[test]
    fn tokens_are_estimated_from_characters_and_times_read_as_clocks() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens("éééé"), 1, "characters, not bytes");
        assert_eq!(clock(0.0), "00:00");
        assert_eq!(clock(83.9), "01:23");
        assert_eq!(clock(3599.0), "59:59");
        assert_eq!(clock(3723.0), "1:02:03");
        assert_eq!(clock(f64::NAN), "00:00");
        assert_eq!(clock(-5.0), "00:00");
    }

    #[test]
    fn chunks_respect_the_budget_overlap_and_always_progress() {
        assert!(plan_chunks(&[], 10, 2).is_empty());
        assert_eq!(plan_chunks(&[3, 3, 3], 100, 2), vec![0..3]);
        assert_eq!(plan_chunks(&[4, 4, 4, 4, 4], 8, 0), vec![0..2, 2..4, 4..5]);
        assert_eq!(plan_chunks(&[4, 4, 4, 4, 4], 8, 1), vec![0..2, 1..3, 2..4, 3..5]);
        // An item over the budget stands alone; an overlap as large as a chunk still advances.
        assert_eq!(plan_chunks(&[20, 1, 1], 5, 0), vec![0..1, 1..3]);
        assert_eq!(plan_chunks(&[3, 3, 3], 3, 5), vec![0..1, 1..2, 2..3]);
    }

    #[test]
    fn a_three_hour_transcript_needs_several_overlapping_chunks_covering_every_segment() {
        let t = generate_long_transcript(180);
        let chunks = transcript_chunks(&t, 12_000, 3);
        assert!((4..=12).contains(&chunks.len()), "{} chunks", chunks.len());
        assert_eq!(chunks.first().unwrap().start, 0);
        assert_eq!(chunks.last().unwrap().end, t.segments.len());
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].end - pair[1].start, 3, "{pair:?}");
        }
        for c in &chunks {
            let tokens: usize = c
                .clone()
                .map(|i| estimate_tokens(&segment_line(i, &t.segments[i])) + 1)
                .sum();
            assert!(tokens <= 12_000, "{c:?} has {tokens} tokens");
        }
    }

    #[test]
    fn merged_evidence_is_deduplicated_ordered_and_renumbered() {
        let located = |segment, offset, quote: &str| Located {
            segment,
            offset,
            evidence: ev("?", "Maria", quote),
        };
        let merged = merge_evidence(vec![
            located(5, 0, "Late in chunk one."),
            located(2, 10, "Second in segment two."),
            located(2, 0, "First in segment two."),
            located(5, 0, "Late in chunk one."), // the overlap repeats it
            located(5, 0, "Late in chunk one, longer."),
        ]);
        let got: Vec<(&str, &str)> = merged.iter().map(|e| (e.id.as_str(), e.quote.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("E1", "First in segment two."),
                ("E2", "Second in segment two."),
                ("E3", "Late in chunk one."),
                ("E4", "Late in chunk one, longer."),
            ]
        );
    }

    #[test]
    fn themes_with_the_same_title_or_evidence_merge_and_are_renumbered_by_support() {
        let evidence = EvidenceDoc {
            schema_version: ANALYSIS_SCHEMA_VERSION,
            analyzer: "test".into(),
            items: vec![
                ev("E1", "Maria", "a"),
                ev("E2", "Tom", "b"),
                ev("E3", "Maria", "c"),
                ev("E4", "Tom", "d"),
                ev("E5", "Maria", "e"),
            ],
            interviewers: Vec::new(),
            usage: None,
        };
        let merged = merge_themes(
            vec![
                theme("Pricing", &["E5"]),
                theme("Shift swaps by text", &["E3", "E1"]),
                theme("Shift swap & texts", &["E4"]),
                theme("Onboarding staff", &["E2", "E5"]),
                theme("Older staff", &["E5"]),
            ],
            &evidence,
        );
        let got: Vec<(&str, &str, Vec<&str>, Vec<&str>)> = merged
            .iter()
            .map(|t| {
                (
                    t.id.as_str(),
                    t.title.as_str(),
                    t.evidence_ids.iter().map(String::as_str).collect(),
                    t.speakers.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "T1",
                    "Shift swaps by text",
                    vec!["E1", "E3", "E4"],
                    vec!["Maria", "Tom"]
                ),
                ("T2", "Pricing", vec!["E2", "E5"], vec!["Tom", "Maria"]),
            ],
            "\"Onboarding staff\" shares E5 with \"Pricing\"; \"Older staff\" all of its evidence"
        );
        assert_eq!(title_key("The Shift-Swaps & Texts"), vec!["shift", "swap", "text"]);
        assert_eq!(text_key("Can it export?  Payroll!"), "can it export payroll");
    }
}
