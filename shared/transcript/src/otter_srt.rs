//! Otter.ai's SRT export with "Include speaker names" on: ordinary SRT blocks whose cue text
//! opens with the speaker's name, `Rosa Delgado: We open at six.`, on (nearly) every cue; with
//! Otter's automatic line breaks a turn's later cues may carry no name and continue it.
//!
//! Otter's names are tags a person typed ("Rosa Delgado (Crumb & Cup)", "Dr. Amy Lee, PhD",
//! "Unknown Speaker"), which the generic `Name:` rule refuses, so the name is found by the
//! export's convention instead: the same few labels open the cues again and again. Prose with
//! a colon ("Honestly: no") does not recur as a cue opener, and never becomes a speaker.

use super::markup::{Cue, DEFAULT_SPEAKER};
use super::speaker::{is_metadata_line, is_speaker_name};
use super::srt::read_cues;
use super::{finish_lenient, ParseError, Segment, Transcript, TranscriptFormat};
use std::collections::BTreeMap;

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::OtterSrt;
/// Longest label read as a typed name, in characters.
const MAX_LABEL_CHARS: usize = 60;
/// Most words such a label may have.
const MAX_LABEL_WORDS: usize = 8;
/// An export names a handful of people; more distinct openers is prose, not names.
const MAX_SPEAKERS: usize = 12;
/// How much of a file detection reads: the convention shows in its first cues.
const DETECT_BYTES: usize = 64 * 1024;

/// Splits `Label: rest` at the first `": "` (or a line-ending `:`) when the label can be a
/// name a person typed: 1–60 characters, 1–8 words, starting with a letter, without sentence
/// punctuation (`?` `!` `;` `"`) or markup, and not a metadata label (`Note`, `Time`, …).
fn cue_label(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let (label, rest) = match line.find(": ") {
        Some(at) => (&line[..at], line[at + 2..].trim()),
        None => (line.strip_suffix(':')?, ""),
    };
    let label = label.trim_end();
    let chars = label.chars().count();
    let plausible = (1..=MAX_LABEL_CHARS).contains(&chars)
        && label.chars().next().is_some_and(char::is_alphabetic)
        && label.split_whitespace().count() <= MAX_LABEL_WORDS
        && !label.contains(['?', '!', ';', '"', '<', '>', ':'])
        && !label.chars().any(char::is_control)
        && !is_metadata_line(&format!("{label}:"));
    plausible.then_some((label, rest))
}

/// The labels that open cues often enough to be the export's speaker names: those that open
/// two cues or more, and a one-off that passes the generic name rule ("Speaker 3" who said one
/// thing). `None` when the cues do not follow the convention.
fn speaker_labels<'a>(cues: &[Cue<'a>]) -> Option<Vec<&'a str>> {
    let mut opened: BTreeMap<&str, usize> = BTreeMap::new();
    let mut labelled = 0;
    for cue in cues {
        if let Some((label, _)) = cue.lines.first().and_then(|l| cue_label(l)) {
            *opened.entry(label).or_default() += 1;
            labelled += 1;
        }
    }
    let labels: Vec<&str> = opened
        .iter()
        .filter(|(label, n)| **n >= 2 || is_speaker_name(label))
        .map(|(label, _)| *label)
        .collect();
    let first_labelled = cues
        .first()
        .and_then(|c| c.lines.first())
        .and_then(|l| cue_label(l))
        .is_some_and(|(label, _)| labels.contains(&label));
    // Every cue, or at least three in four, opens with a name: a captioning tool's SRT names
    // speakers only where they change.
    let convention = cues.len() >= 2 && first_labelled && labelled * 4 >= cues.len() * 3;
    (convention && !labels.is_empty() && labels.len() <= MAX_SPEAKERS).then_some(labels)
}

/// Whether SRT text follows Otter's convention (judged on its first 64 KiB).
pub(crate) fn looks_like_otter_srt(text: &str) -> bool {
    let mut end = text.len().min(DETECT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    read_cues(&text[..end], FORMAT).is_ok_and(|(cues, _)| speaker_labels(&cues).is_some())
}

/// Parses an Otter.ai SRT export. Blocks are read as SRT (with its warnings for missing
/// numbers, `.` decimals and skipped blocks); a cue opening with one of the export's speaker
/// labels is that speaker's, any other cue continues the speaker before it. Cue text is taken
/// as written, lines joined with a space (Otter writes no markup).
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let (cues, skipped) = read_cues(text, FORMAT)?;
    let labels = speaker_labels(&cues).unwrap_or_default();
    let mut segments = Vec::with_capacity(cues.len());
    let mut previous: Option<&str> = None;
    for cue in &cues {
        let opener = cue
            .lines
            .first()
            .and_then(|l| cue_label(l))
            .filter(|(label, _)| labels.contains(label));
        let (speaker, first) = match opener {
            Some((label, rest)) => (label, rest),
            None => (
                previous.unwrap_or(DEFAULT_SPEAKER),
                cue.lines.first().copied().unwrap_or(""),
            ),
        };
        previous = Some(speaker);
        let words: Vec<&str> = std::iter::once(first)
            .chain(cue.lines.iter().skip(1).copied())
            .flat_map(str::split_whitespace)
            .collect();
        segments.push(Segment {
            speaker: speaker.to_string(),
            start: cue.start,
            end: cue.end,
            text: words.join(" "),
            confidence: None,
        });
    }
    finish_lenient(FORMAT, segments, None, Vec::new(), skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speakers_and_texts;

    fn srt(cues: &[&str]) -> String {
        cues.iter()
            .enumerate()
            .map(|(i, text)| {
                format!(
                    "{}\n00:00:{:02},000 --> 00:00:{:02},500\n{text}\n\n",
                    i + 1,
                    i * 2,
                    i * 2 + 1
                )
            })
            .collect()
    }

    #[test]
    fn typed_names_open_the_cues_and_unnamed_cues_continue() {
        let text = srt(&[
            "Sam Ortiz (host): How do you build\nthe schedule today?",
            "Rosa Delgado, Crumb & Cup: Honestly: a spreadsheet.",
            "And a group chat.",
            "Sam Ortiz (host): How long does it take?",
            "Rosa Delgado, Crumb & Cup: Three hours.",
        ]);
        assert!(looks_like_otter_srt(&text));
        let t = parse(&text).unwrap();
        assert_eq!(t.source_format, TranscriptFormat::OtterSrt);
        assert_eq!(
            speakers_and_texts(&t),
            vec![
                ("Sam Ortiz (host)", "How do you build the schedule today?"),
                ("Rosa Delgado, Crumb & Cup", "Honestly: a spreadsheet."),
                ("Rosa Delgado, Crumb & Cup", "And a group chat."),
                ("Sam Ortiz (host)", "How long does it take?"),
                ("Rosa Delgado, Crumb & Cup", "Three hours."),
            ]
        );
    }

    #[test]
    fn prose_before_a_colon_is_not_a_speaker() {
        let text = srt(&[
            "Speaker 1: What hurts most?",
            "Speaker 2: Honestly: the swaps.",
            "Speaker 1: Why?",
            "Bottom line: it takes forever.",
            "Speaker 2: Every week.",
        ]);
        let t = parse(&text).unwrap();
        let speakers: Vec<&str> = t.segments.iter().map(|s| s.speaker.as_str()).collect();
        assert_eq!(
            speakers,
            ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 1", "Speaker 2"]
        );
        assert_eq!(t.segments[3].text, "Bottom line: it takes forever.");
    }

    #[test]
    fn captions_that_name_only_speaker_changes_stay_srt() {
        let captions = srt(&[
            "Interviewer: How often do you deploy?",
            "Priya: Every day.",
            "Sometimes twice.",
            "On Fridays less.",
            "It depends on the team.",
        ]);
        assert!(!looks_like_otter_srt(&captions));
        let prose = srt(&["Note: recorded in March", "hello there", "and more"]);
        assert!(!looks_like_otter_srt(&prose));
        assert!(!looks_like_otter_srt(&srt(&["Rosa: only one cue"])));
        assert!(!looks_like_otter_srt("1\n00:00:01,000 --> 00:00:02,000\n"));
    }

    #[test]
    fn labels_are_bounded_and_plain() {
        assert_eq!(cue_label("Rosa: hi"), Some(("Rosa", "hi")));
        assert_eq!(cue_label("Rosa:"), Some(("Rosa", "")));
        assert_eq!(cue_label("Why? Because: x"), None);
        assert_eq!(cue_label("10:30 is fine"), None);
        assert_eq!(cue_label(&format!("{}: x", "a".repeat(61))), None);
        assert_eq!(cue_label("Time: 10:30"), None);
        assert_eq!(cue_label("no colon here"), None);
    }
}
