//! Turn-per-heading exports: a `Name  0:03` line, then the words. Otter.ai writes it as text
//! and Word (`Transcribed by https://otter.ai` at the end); Microsoft Teams' Word transcript
//! puts `Name   0:04` and the turn in one paragraph with line breaks, between `X started
//! transcription` and `X stopped transcription` lines.

use super::plain::{estimate_note, timed_segments, Turn};
use super::time::parse_clock;
use super::zoom::speaker_of;
use super::{finish_lenient, ParseError, Skipped, Transcript, TranscriptFormat, WarningKind};

/// Reads a heading-per-turn transcript as `format` (Otter text or Word, Teams Word).
///
/// - A heading is a speaker name, two or more spaces (or a tab), and a clock (`0:03`,
///   `1:02:03`) alone on a line. The lines after it, up to the next heading, are the turn.
/// - Lines before the first heading (title, date, duration) are the header and are skipped;
///   Teams' `… started transcription` / `… stopped transcription` lines and Otter's
///   `Transcribed by https://otter.ai` footer are not words and are dropped.
/// - A turn ends where the next begins; the last one after its words at 150 words a minute.
pub(crate) fn parse(text: &str, format: TranscriptFormat) -> Result<Transcript, ParseError> {
    let mut turns: Vec<Turn> = Vec::new();
    let mut header_lines = 0usize;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() || is_marker(line.trim()) {
            continue;
        }
        if let Some((name, start)) = heading(line) {
            turns.push(Turn {
                speaker: name,
                text: String::new(),
                stamp: Some(start),
            });
            continue;
        }
        match turns.last_mut() {
            Some(turn) => {
                if !turn.text.is_empty() {
                    turn.text.push(' ');
                }
                turn.text.push_str(line.trim());
            }
            None => header_lines += 1,
        }
    }
    let mut skipped = Skipped::default();
    if turns.is_empty() && header_lines > 0 {
        let err = ParseError::new(
            format,
            "no `Name  0:03` speaker heading found: the export must have a line with the speaker's name and the \
             time before each turn",
        );
        skipped.skip(WarningKind::SkippedText, err);
    }
    let notes = estimate_note(&turns).into_iter().collect();
    finish_lenient(format, timed_segments(turns), None, notes, skipped)
}

/// `Name  0:03` (two or more spaces or a tab before the clock): the speaker and the start.
pub(crate) fn heading(line: &str) -> Option<(String, f64)> {
    let line = line.trim();
    let split = line.rfind(['\t', ' '])?;
    let clock = parse_clock(&line[split + 1..])?;
    let before = &line[..split + 1];
    let name = before.trim_end();
    let gap = &before[name.len()..];
    if !(gap.contains('\t') || gap.len() >= 2) {
        return None;
    }
    Some((speaker_of(name)?, clock))
}

/// Lines that are the tools' own markers, not anyone's words.
fn is_marker(line: &str) -> bool {
    line.ends_with(" started transcription")
        || line.ends_with(" stopped transcription")
        || line.starts_with("Transcribed by https://otter.ai")
        || line.starts_with("Transcribed by otter.ai")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_need_a_wide_gap_and_a_clock() {
        assert_eq!(heading("Priya Nair   0:04"), Some(("Priya Nair".to_string(), 4.0)));
        assert_eq!(heading("Speaker 2\t1:02:03"), Some(("Speaker 2".to_string(), 3723.0)));
        assert_eq!(
            heading("Ana Ruiz (she/her)  12:30"),
            Some(("Ana Ruiz".to_string(), 750.0))
        );
        assert_eq!(heading("Meeting at 10:30"), None);
        assert_eq!(heading("We met at  10:30"), None);
        assert_eq!(heading("Priya  soon"), None);
    }
}
