//! Google Meet transcripts (the Google Doc Meet writes, downloaded as text or Word): a title and
//! attendee list, a `Transcript` line, then `hh:mm:ss` marks every few minutes, each followed by
//! `Name: text` paragraphs, and a closing `Meeting ended after hh:mm:ss` line.

use super::plain::{estimate_note, timed_segments, Turn};
use super::time::parse_clock;
use super::zoom::split_display_name;
use super::{finish_lenient, ParseError, Skipped, Transcript, TranscriptFormat, WarningKind};

/// Reads a Meet transcript as `format` (text or Word).
///
/// Everything up to the `Transcript` line (or, without one, up to the first time mark) is the
/// header and is skipped. A line that is only a time (`00:05:00`) sets the time of the next
/// turn; `Name: text` starts a turn; any other line continues the current turn. Turns between
/// two marks start one after the other at 150 words a minute from the mark (Meet gives no
/// finer times), and a note says so. Text after the marks begin but before any turn is skipped
/// with a warning.
pub(crate) fn parse(text: &str, format: TranscriptFormat) -> Result<Transcript, ParseError> {
    let has_title_line = text.lines().any(|l| l.trim() == "Transcript");
    let mut in_body = !has_title_line;
    let mut pending_mark: Option<f64> = None;
    let mut seen_mark = false;
    let mut turns: Vec<Turn> = Vec::new();
    let mut skipped = Skipped::default();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("Meeting ended after ") {
            continue;
        }
        if !in_body {
            in_body = line == "Transcript";
            continue;
        }
        if let Some(mark) = time_mark(line) {
            pending_mark = Some(mark);
            seen_mark = true;
            continue;
        }
        if !seen_mark && !has_title_line {
            // No `Transcript` line: the header runs until the first time mark.
            continue;
        }
        if let Some((name, words)) = split_display_name(line) {
            turns.push(Turn {
                speaker: name,
                text: words.to_string(),
                stamp: pending_mark.take(),
            });
            continue;
        }
        match turns.last_mut() {
            Some(turn) => {
                turn.text.push(' ');
                turn.text.push_str(line);
            }
            None => {
                let err = ParseError::at(format, index + 1, "expected a `Name: text` line after the time mark");
                skipped.skip(WarningKind::SkippedText, err.with_excerpt(line));
            }
        }
    }
    let notes = estimate_note(&turns).into_iter().collect();
    finish_lenient(format, timed_segments(turns), None, notes, skipped)
}

/// A line that is only `hh:mm:ss` (or `mm:ss`).
fn time_mark(line: &str) -> Option<f64> {
    line.bytes()
        .all(|b| b.is_ascii_digit() || b == b':')
        .then(|| parse_clock(line))
        .flatten()
}

/// Whether text looks like a Meet transcript: a `Transcript` line followed by a time mark.
pub(crate) fn looks_like(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).skip_while(|l| *l != "Transcript");
    lines.next().is_some() && lines.filter(|l| !l.is_empty()).take(3).any(|l| time_mark(l).is_some())
}
