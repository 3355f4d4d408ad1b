//! Evidence extraction: sentences of customer speech, classified by the cue lexicon, each
//! tagged with its most distinctive key terms.

use super::lexicon::{classify_in_context, is_question, prompted_kind, Prompt};
use super::text::{name_words, split_sentences, terms, tokenize, SurfaceForms, Term, Token};
use super::{Evidence, EvidenceDoc, EvidenceKind, ANALYSIS_SCHEMA_VERSION};
use crate::transcript::Transcript;
use interview_core::quote::{find_on_word_boundaries, long_enough};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A speaker needs this many sentences before their question share means anything.
const MIN_SENTENCES_FOR_SHARE: usize = 3;
/// The interviewer asks at least this share of their sentences as questions …
const MIN_QUESTION_SHARE: f64 = 0.3;
/// … and at least this many times the share of anyone else.
const QUESTION_SHARE_MARGIN: f64 = 2.0;

/// How many key terms each evidence carries as tags.
const TAGS_PER_EVIDENCE: usize = 3;

/// One sentence of the transcript, with where it came from.
pub(crate) struct Sentence<'a> {
    /// Index of its segment.
    pub segment: usize,
    /// A verbatim slice of the segment text.
    pub text: &'a str,
    /// Its words.
    pub tokens: Vec<Token>,
}

/// Every sentence of every segment, in transcript order.
pub(crate) fn sentences(transcript: &Transcript) -> Vec<Sentence<'_>> {
    transcript
        .segments
        .iter()
        .enumerate()
        .flat_map(|(i, seg)| {
            split_sentences(&seg.text).into_iter().map(move |text| Sentence {
                segment: i,
                text,
                tokens: tokenize(text),
            })
        })
        .collect()
}

use interview_core::quote::declared_interviewers;
/// Whether a speaker label names an interviewer role; the rule validation applies too.
pub(crate) use interview_core::quote::label_is_interviewer;
use interview_transcript::SpeakerRole;

/// The speakers whose sentences are not evidence: those the transcript says interview (declared
/// by the source or a person, or labelled so), or else the one speaker not declared a
/// participant who asks clearly more questions than anyone else (a guess, recorded as one on
/// the item), or else nobody.
pub(crate) fn interviewers(transcript: &Transcript, sentences: &[Sentence<'_>]) -> BTreeSet<String> {
    let declared: BTreeSet<String> = declared_interviewers(transcript)
        .into_iter()
        .map(str::to_string)
        .collect();
    if !declared.is_empty() {
        return declared;
    }
    let participants = transcript.declared(SpeakerRole::Participant);
    // (questions, sentences) per speaker.
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for s in sentences {
        let speaker = transcript.segments[s.segment].speaker.as_str();
        if participants.contains(speaker) {
            continue;
        }
        let entry = counts.entry(speaker).or_insert((0, 0));
        entry.1 += 1;
        if is_question(s.text, &s.tokens) {
            entry.0 += 1;
        }
    }
    if counts.len() + participants.len() < 2 || counts.is_empty() {
        return BTreeSet::new();
    }
    let mut shares: Vec<(&str, f64)> = counts
        .iter()
        .map(|(speaker, (q, n))| {
            let share = if *n >= MIN_SENTENCES_FOR_SHARE {
                *q as f64 / *n as f64
            } else {
                0.0
            };
            (*speaker, share)
        })
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let (top, top_share) = shares[0];
    // With the other speakers declared participants, the one left only has to ask.
    let second = shares.get(1).map_or(0.0, |s| s.1);
    if top_share >= MIN_QUESTION_SHARE && top_share >= QUESTION_SHARE_MARGIN * second {
        BTreeSet::from([top.to_string()])
    } else {
        BTreeSet::new()
    }
}

/// Builds evidence.json for a transcript.
pub(crate) fn extract(transcript: &Transcript, analyzer: &str) -> EvidenceDoc {
    let all = sentences(transcript);
    let skip = interviewers(transcript, &all);
    let mut customer: Vec<&Sentence<'_>> = Vec::new();
    let mut prompts: Vec<Option<Prompt>> = Vec::new();
    let mut asked: Option<EvidenceKind> = None;
    let mut position = 0;
    let mut last_speaker: Option<&str> = None;
    for s in &all {
        let speaker = transcript.segments[s.segment].speaker.as_str();
        if skip.contains(speaker) {
            // The interviewer's last sentence before the answer decides what was asked.
            asked = prompted_kind(s.text, &s.tokens);
            last_speaker = None;
            continue;
        }
        // Each customer who takes up the question answers it afresh.
        if last_speaker != Some(speaker) {
            position = 0;
            last_speaker = Some(speaker);
        }
        customer.push(s);
        prompts.push(asked.map(|kind| Prompt { kind, position }));
        position += 1;
    }

    // Document frequencies and spellings over all customer sentences, so tags favour terms
    // that are distinctive in this interview (looked up only, so a HashMap is deterministic).
    let mut df: HashMap<String, usize> = HashMap::new();
    let mut forms = SurfaceForms::default();
    let names = name_words(transcript.speakers().into_iter());
    let per_sentence: Vec<Vec<Term>> = customer.iter().map(|s| terms(&s.tokens, &names)).collect();
    for ts in &per_sentence {
        let mut seen = BTreeSet::new();
        for term in ts {
            forms.add(&term.stem, &term.surface);
            if seen.insert(term.stem.as_str()) {
                match df.get_mut(&term.stem) {
                    Some(n) => *n += 1,
                    None => {
                        df.insert(term.stem.clone(), 1);
                    }
                }
            }
        }
    }
    let n_docs = customer.len().max(1) as f64;

    let mut items = Vec::new();
    for ((s, ts), prompt) in customer.iter().zip(&per_sentence).zip(&prompts) {
        let seg = &transcript.segments[s.segment];
        // A sentence too short to stand alone, or one that does not fall on word boundaries
        // (a cut inside a contraction), could mislead out of context.
        if !long_enough(s.text) || find_on_word_boundaries(&seg.text, s.text).is_none() {
            continue;
        }
        let Some(class) = classify_in_context(s.text, &s.tokens, *prompt, !ts.is_empty()) else {
            continue;
        };
        let tags = top_terms(ts, &df, n_docs)
            .into_iter()
            .map(|stem| forms.surface(&stem))
            .collect();
        let (start, end) = sane_times(seg.start, seg.end);
        items.push(Evidence {
            id: format!("E{}", items.len() + 1),
            quote: s.text.to_string(),
            speaker: seg.speaker.clone(),
            start,
            end,
            kind: class.kind,
            confidence: class.confidence,
            tags,
        });
    }
    EvidenceDoc {
        schema_version: ANALYSIS_SCHEMA_VERSION,
        analyzer: analyzer.to_string(),
        items,
        interviewers: skip.into_iter().collect(),
        usage: None,
    }
}

/// How many other quotes of the same answer, the nearest first, a quote takes as context.
const CONTEXT_QUOTES: usize = 4;

/// The conversation around a quote: what it answers and what else was said in that answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct QuoteContext {
    /// The interviewer's turn the quote answers (empty when there is none).
    pub question: String,
    /// Up to [`CONTEXT_QUOTES`] other quotes from the same answer, the nearest first.
    pub nearby: Vec<String>,
}

/// Per evidence, its [`QuoteContext`], for clustering and titles. Works on evidence from any
/// analyzer (it finds each quote's segment by speaker, time and text); a quote that cannot be
/// placed, or a transcript without a detectable interviewer, gets an empty context.
pub(crate) fn answer_contexts(transcript: &Transcript, evidence: &[Evidence]) -> Vec<QuoteContext> {
    let all = sentences(transcript);
    let skip = interviewers(transcript, &all);
    if skip.is_empty() {
        return vec![QuoteContext::default(); evidence.len()];
    }
    // Per segment: the interviewer segment it answers.
    let mut answers = Vec::with_capacity(transcript.segments.len());
    let mut last_question = None;
    for (i, seg) in transcript.segments.iter().enumerate() {
        if skip.contains(&seg.speaker) {
            last_question = Some(i);
        }
        answers.push(last_question);
    }
    let units: Vec<Option<usize>> = evidence
        .iter()
        .map(|ev| locate(transcript, ev).and_then(|seg| answers[seg]))
        .collect();
    let mut by_unit: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, unit) in units.iter().enumerate() {
        if let Some(u) = unit {
            by_unit.entry(*u).or_default().push(i);
        }
    }
    units
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            let Some(u) = unit else {
                return QuoteContext::default();
            };
            let mut siblings: Vec<usize> = by_unit[u].iter().copied().filter(|&j| j != i).collect();
            siblings.sort_by_key(|&j| (j.abs_diff(i), j));
            QuoteContext {
                question: transcript.segments[*u].text.clone(),
                nearby: siblings
                    .into_iter()
                    .take(CONTEXT_QUOTES)
                    .map(|j| evidence[j].quote.clone())
                    .collect(),
            }
        })
        .collect()
}

/// The segment a quote came from: same speaker, containing the quote, starting at or just
/// before the quote's time (the nearest such segment within a bounded scan).
fn locate(transcript: &Transcript, ev: &Evidence) -> Option<usize> {
    const SCAN: usize = 64;
    let segments = &transcript.segments;
    let at = segments.partition_point(|s| s.start <= ev.start + 0.01);
    let fits = |i: &usize| segments[*i].speaker == ev.speaker && segments[*i].text.contains(ev.quote.as_str());
    (at.saturating_sub(SCAN)..at)
        .rev()
        .find(fits)
        .or_else(|| (at..segments.len().min(at + SCAN)).find(fits))
}

/// Segment times as evidence times: finite, non-negative and ordered, whatever the input had.
fn sane_times(start: f64, end: f64) -> (f64, f64) {
    let start = if start.is_finite() && start > 0.0 { start } else { 0.0 };
    let end = if end.is_finite() && end > start { end } else { start };
    (start, end)
}

/// The sentence's key terms by TF-IDF, best first (ties: first occurrence).
fn top_terms(terms: &[Term], df: &HashMap<String, usize>, n_docs: f64) -> Vec<String> {
    let mut scored: Vec<(String, f64, usize)> = Vec::new();
    for term in terms {
        if let Some(entry) = scored.iter_mut().find(|e| e.0 == term.stem) {
            entry.1 += 1.0;
            continue;
        }
        scored.push((term.stem.clone(), 1.0, term.start));
    }
    for entry in &mut scored {
        let d = df.get(&entry.0).copied().unwrap_or(1) as f64;
        entry.1 *= (n_docs / d).ln() + 1.0;
    }
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    scored.into_iter().take(TAGS_PER_EVIDENCE).map(|e| e.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{Segment, TranscriptFormat};

    fn transcript(lines: &[(&str, &str)]) -> Transcript {
        let segments = lines
            .iter()
            .enumerate()
            .map(|(i, (speaker, text))| Segment {
                speaker: speaker.to_string(),
                start: i as f64 * 5.0,
                end: i as f64 * 5.0 + 4.5,
                text: text.to_string(),
                confidence: None,
            })
            .collect();
        Transcript::new(TranscriptFormat::PlainText, segments)
    }

    fn detected(t: &Transcript) -> BTreeSet<String> {
        interviewers(t, &sentences(t))
    }

    #[test]
    fn a_labelled_interviewer_wins_over_question_counts() {
        let t = transcript(&[
            ("Moderator", "Tell me about your week."),
            ("Maria", "Why is it so hard? Who knows? What can I do?"),
        ]);
        assert_eq!(detected(&t), BTreeSet::from(["Moderator".to_string()]));
    }

    #[test]
    fn the_clear_question_asker_is_the_interviewer() {
        let t = transcript(&[
            (
                "spk_0",
                "How do you plan shifts today? What goes wrong? Who approves swaps?",
            ),
            ("spk_1", "I use a paper sheet. It takes forever. Swaps happen by text."),
            ("spk_0", "Why by text? Does that work for you?"),
            ("spk_1", "Not really. It is a mess. Can it send reminders?"),
        ]);
        assert_eq!(detected(&t), BTreeSet::from(["spk_0".to_string()]));
    }

    #[test]
    fn declared_roles_beat_labels_and_question_counts() {
        let mut t = transcript(&[
            ("Moderator", "Tell me about your week."),
            ("spk_0", "How do you plan shifts? What goes wrong? Who approves swaps?"),
            ("Maria", "I use a paper sheet. It takes forever. Swaps happen by text."),
        ]);
        // A person says the "Moderator" label is a participant and spk_0 interviews.
        t.roles.insert("Moderator".into(), SpeakerRole::Participant);
        t.roles.insert("spk_0".into(), SpeakerRole::Interviewer);
        assert_eq!(detected(&t), BTreeSet::from(["spk_0".to_string()]));
        // Only a participant declared: the guess is among the others, and the one left who
        // asks is it even with nobody to compare against.
        t.roles.clear();
        t.roles.insert("Moderator".into(), SpeakerRole::Participant);
        t.roles.insert("Maria".into(), SpeakerRole::Participant);
        assert_eq!(detected(&t), BTreeSet::from(["spk_0".to_string()]));
        t.roles.insert("spk_0".into(), SpeakerRole::Participant);
        assert!(
            detected(&t).is_empty(),
            "everyone declared a participant: nobody interviews"
        );
    }

    #[test]
    fn nobody_is_the_interviewer_when_questions_are_even_or_there_is_one_speaker() {
        let even = transcript(&[
            ("A", "What do you do? I bake. Do you sell online?"),
            ("B", "Who buys it? I sell bread. Is it good?"),
        ]);
        assert!(detected(&even).is_empty());
        let alone = transcript(&[("Maria", "What now? Why? How? Who?")]);
        assert!(detected(&alone).is_empty());
    }

    #[test]
    fn interviewer_sentences_are_not_evidence_but_customer_questions_are() {
        let t = transcript(&[
            ("Interviewer", "Does the schedule take forever to build?"),
            ("Maria", "Yes. Building the schedule takes forever every week."),
            ("Maria", "Does your app work on Android phones?"),
        ]);
        let doc = extract(&t, "test");
        let kinds: Vec<_> = doc.items.iter().map(|e| (e.speaker.as_str(), e.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("Maria", crate::EvidenceKind::Pain),
                ("Maria", crate::EvidenceKind::Question)
            ]
        );
        assert_eq!(doc.items[0].id, "E1");
        assert_eq!(doc.items[1].id, "E2");
        assert_eq!(doc.items[0].quote, "Building the schedule takes forever every week.");
        assert_eq!(doc.items[0].start, 5.0);
        assert_eq!(doc.items[0].end, 9.5);
    }

    #[test]
    fn tags_are_distinctive_surface_words() {
        let t = transcript(&[
            ("Maria", "Shift swaps by text take forever."),
            ("Maria", "The payroll export is a nightmare."),
            ("Maria", "Shift swaps are the worst part."),
        ]);
        let doc = extract(&t, "test");
        // "text" occurs once, so it is more distinctive than "shift" and "swaps".
        assert_eq!(doc.items[0].tags, vec!["text", "shift", "swaps"]);
        assert_eq!(doc.items[1].tags, vec!["payroll", "export"]);
    }

    #[test]
    fn broken_segment_times_are_made_sane() {
        assert_eq!(sane_times(f64::NAN, 3.0), (0.0, 3.0));
        assert_eq!(sane_times(5.0, 2.0), (5.0, 5.0));
        assert_eq!(sane_times(-1.0, f64::INFINITY), (0.0, 0.0));
    }
}
