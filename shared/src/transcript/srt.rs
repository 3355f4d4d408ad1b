//! SubRip (`.srt`): numbered caption blocks, speakers as `Name:` / `[Name]` prefixes.

use super::markup::{blocks, cues_to_segments, parse_timing, Cue};
use super::{finish, ParseError, Transcript, TranscriptFormat};

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::Srt;
/// Shown in messages about a bad timing line.
const TIMING_EXAMPLE: &str = "00:00:01,000 --> 00:00:04,000";

/// Parses SRT text.
///
/// Each block is an index line (optional), a timing line `00:00:01,000 --> 00:00:04,000` (a
/// `.` decimal is accepted too; anything after the end time is ignored) and text lines joined
/// with a space. Tolerated: missing index lines, any number of blank lines, a number alone in a
/// block (an index separated from its timing by a blank line) and text after a blank line inside
/// a cue (it continues that cue). A block whose index is not followed by a timing, or which
/// starts like a time but is not a valid timing, is an error on that line. Speakers as in
/// WebVTT: `<v Name>`, a `Name:` or `[Name]` prefix, the previous cue's speaker, `Speaker 1`.
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let mut cues: Vec<Cue<'_>> = Vec::new();
    for block in blocks(text) {
        let lines = &block.lines;
        let is_index = lines[0].bytes().all(|b| b.is_ascii_digit());
        let timing_index = if is_index {
            if lines.len() == 1 {
                continue;
            }
            1
        } else if lines[0].contains("-->") || starts_like_a_time(lines[0]) {
            0
        } else if let Some(last) = cues.last_mut() {
            last.lines.extend(lines.iter().copied());
            continue;
        } else {
            return Err(ParseError::at(
                FORMAT,
                block.first_line,
                format!("expected a cue number or a timing like `{TIMING_EXAMPLE}`"),
            )
            .with_excerpt(lines[0]));
        };
        let line_number = block.first_line + timing_index;
        let (start, end) = parse_timing(lines[timing_index], TIMING_EXAMPLE)
            .map_err(|m| ParseError::at(FORMAT, line_number, m).with_excerpt(lines[timing_index]))?;
        cues.push(Cue {
            start,
            end,
            lines: lines[timing_index + 1..].to_vec(),
        });
    }
    finish(FORMAT, cues_to_segments(&cues), None, Vec::new())
}

/// `12:` or `1:` at the start of a line: an attempt at a timing, even if a broken one.
fn starts_like_a_time(line: &str) -> bool {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    (1..=2).contains(&digits) && line.as_bytes().get(digits) == Some(&b':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::speakers_and_texts;

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
    }

    #[test]
    fn a_bad_timing_after_an_index_is_an_error_with_its_line() {
        let text = "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:03,000 -> 00:00:04,000\nthere\n";
        let err = parse(text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "SRT, line 6: expected a cue timing like `00:00:01,000 --> 00:00:04,000`"
        );
        assert_eq!(err.excerpt.as_deref(), Some("00:00:03,000 -> 00:00:04,000"));
    }

    #[test]
    fn a_broken_time_without_an_index_is_an_error_too() {
        let err = parse("00:00:01,000 --> 00:00:02,000\nhi\n\n00:00:99,000 --> 00:01:00,000\nx\n").unwrap_err();
        assert_eq!(err.line, Some(4));
    }

    #[test]
    fn text_before_any_cue_is_an_error() {
        let err = parse("hello\n\n1\n00:00:01,000 --> 00:00:02,000\nhi\n").unwrap_err();
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
