//! SubRip (`.srt`): numbered caption blocks, speakers as `Name:` / `[Name]` prefixes.

use super::markup::{blocks, cues_to_segments, parse_timing, Cue, TimingError};
use super::{finish_lenient, ParseError, Skipped, Transcript, TranscriptFormat, WarningKind};

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::Srt;
/// Shown in messages about a bad timing line.
const TIMING_EXAMPLE: &str = "00:00:01,000 --> 00:00:04,000";

/// Parses SRT text.
///
/// Each block is an index line, a timing line `00:00:01,000 --> 00:00:04,000` (anything after
/// the end time is ignored) and text lines joined with a space. Speakers as in WebVTT:
/// `<v Name>`, a `Name:` or `[Name]` prefix, the previous cue's speaker, `Speaker 1`.
///
/// Real files deviate, and each deviation is read with a [`super::Warning`] on its line, never
/// silently: a missing index line, a `.` decimal mark, a block whose timing does not parse or
/// ends before it starts (skipped), text before the first cue (skipped). Blank lines in any
/// number, a missing final newline and an index separated from its timing by a blank line are
/// tolerated as they lose nothing; text after a blank line inside a cue continues that cue. A
/// file where no cue could be read is an error on the first skipped block.
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let (cues, skipped) = read_cues(text, FORMAT)?;
    finish_lenient(FORMAT, cues_to_segments(&cues), None, Vec::new(), skipped)
}

/// The cues of an SRT file and what was skipped or repaired, labelled `format`.
pub(crate) fn read_cues(text: &str, format: TranscriptFormat) -> Result<(Vec<Cue<'_>>, Skipped), ParseError> {
    let mut cues: Vec<Cue<'_>> = Vec::new();
    let mut skipped = Skipped::default();
    let mut lone_index = false;
    for block in blocks(text) {
        let lines = &block.lines;
        let is_index = lines[0].bytes().all(|b| b.is_ascii_digit());
        let timing_index = if is_index {
            if lines.len() == 1 {
                lone_index = true;
                continue;
            }
            1
        } else if lines[0].contains("-->") || starts_like_a_time(lines[0]) {
            if !lone_index {
                skipped.repaired(block.first_line, WarningKind::MissingCueNumber);
            }
            0
        } else if let Some(last) = cues.last_mut() {
            last.lines.extend(lines.iter().copied());
            continue;
        } else {
            let err = ParseError::at(
                format,
                block.first_line,
                format!("expected a cue number or a timing like `{TIMING_EXAMPLE}`"),
            );
            skipped.skip(WarningKind::SkippedText, err.with_excerpt(lines[0]));
            continue;
        };
        lone_index = false;
        let line_number = block.first_line + timing_index;
        let timing = lines[timing_index];
        match parse_timing(timing, TIMING_EXAMPLE) {
            Ok((start, end)) => {
                if uses_dot_decimal(timing) {
                    skipped.repaired(line_number, WarningKind::DotDecimalMark);
                }
                cues.push(Cue {
                    start,
                    end,
                    lines: lines[timing_index + 1..].to_vec(),
                });
            }
            Err(TimingError::Malformed(message)) => {
                let err = ParseError::at(format, line_number, message).with_excerpt(timing);
                skipped.skip(WarningKind::SkippedCue, err);
            }
            Err(TimingError::EndsBeforeStart(message)) => {
                let err = ParseError::at(format, line_number, message).with_excerpt(timing);
                skipped.skip(WarningKind::CueEndsBeforeStart, err);
            }
        }
    }
    Ok((cues, skipped))
}

/// Whether a timing writes its fraction after `.` (`00:00:01.000`) rather than SRT's `,`.
fn uses_dot_decimal(timing: &str) -> bool {
    let times = timing
        .split("-->")
        .take(2)
        .map(|t| t.split_whitespace().next().unwrap_or(""));
    times.into_iter().any(|t| t.contains('.') && !t.contains(','))
}

/// `12:` or `1:` at the start of a line: an attempt at a timing, even if a broken one.
fn starts_like_a_time(line: &str) -> bool {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    (1..=2).contains(&digits) && line.as_bytes().get(digits) == Some(&b':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speakers_and_texts;

    #[test]
    fn reads_numbered_blocks_with_prefixes_and_continuations() {
        let text = "1\r\n00:00:01,000 --> 00:00:04,000\r\nInterviewer: How often do you deploy?\r\n\r\n\
                    2\r\n00:00:04,500 --> 00:00:07,250 X1:10 X2:100\r\nPriya: <i>Every day,</i>\r\nsometimes twice.\r\n\r\n\
                    3\r\n00:00:07.300 --> 00:00:09.000\r\nOn Fridays less.\r\n";
        let t = parse(text).unwrap();
        assert_eq!(t.source_format, TranscriptFormat::Srt);
        assert_eq!(
            speakers_and_texts(&t),
            vec![
                ("Interviewer", "How often do you deploy?"),
                ("Priya", "Every day, sometimes twice."),
                ("Priya", "On Fridays less.")
            ]
        );
        assert_eq!((t.segments[1].start, t.segments[1].end), (4.5, 7.25));
        assert_eq!((t.segments[2].start, t.segments[2].end), (7.3, 9.0));
    }

    #[test]
    fn tolerates_missing_indexes_extra_blank_lines_and_split_cues() {
        let text = "\n\n00:00:01,000 --> 00:00:02,000\n[Marcus] Rollbacks are manual.\n\n\n\nWe page someone.\n\n7\n\n\
                    00:00:03,000 --> 00:00:04,000\n<v Priya>It hurts.</v>\n";
        let t = parse(text).unwrap();
        assert_eq!(
            speakers_and_texts(&t),
            vec![
                ("Marcus", "Rollbacks are manual. We page someone."),
                ("Priya", "It hurts.")
            ]
        );
        // The first cue has no number; the second's number sits alone before a blank line.
        assert_eq!(t.warnings, vec![crate::Warning::at(3, WarningKind::MissingCueNumber)]);
    }

    #[test]
    fn bad_blocks_are_skipped_with_a_warning_on_their_line() {
        let text = "Exported by CaptionTool\n\n1\n00:00:01,000 --> 00:00:02,000\nA: hi\n\n\
                    2\n00:00:03,000 -> 00:00:04,000\nlost\n\n3\n00:00:09,000 --> 00:00:08,000\nbackwards\n\n\
                    4\n00:00:05.000 --> 00:00:06.000\nB: there\n\n00:00:07,000 --> 00:00:08,000\nagain";
        let t = parse(text).unwrap();
        assert_eq!(
            speakers_and_texts(&t),
            vec![("A", "hi"), ("B", "there"), ("B", "again")]
        );
        let warnings: Vec<(Option<usize>, WarningKind)> = t.warnings.iter().map(|w| (w.line, w.kind)).collect();
        assert_eq!(
            warnings,
            vec![
                (Some(1), WarningKind::SkippedText),
                (Some(8), WarningKind::SkippedCue),
                (Some(12), WarningKind::CueEndsBeforeStart),
                (Some(16), WarningKind::DotDecimalMark),
                (Some(19), WarningKind::MissingCueNumber),
            ]
        );
        assert_eq!(
            t.warnings[1].to_string(),
            "line 8: a cue block without a valid timing line was skipped"
        );
    }

    #[test]
    fn a_file_with_no_readable_cue_is_an_error_on_the_first_bad_block() {
        let err = parse("1\n00:00:01,000 -> 00:00:02,000\nhi\n\n2\n00:00:99,000 --> 00:01:00,000\nx\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "SRT, line 2: expected a cue timing like `00:00:01,000 --> 00:00:04,000`"
        );
        assert_eq!(err.excerpt.as_deref(), Some("00:00:01,000 -> 00:00:02,000"));
        assert!(!err.no_text);
        let err = parse("hello\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "SRT, line 1: expected a cue number or a timing like `00:00:01,000 --> 00:00:04,000`"
        );
        assert_eq!(err.excerpt.as_deref(), Some("hello"));
    }

    #[test]
    fn only_numbers_is_an_error() {
        assert_eq!(
            parse("1\n\n2\n").unwrap_err().to_string(),
            "SRT: the file has no cues with text"
        );
    }
}
