//! WebVTT (`.vtt`): the caption format meeting tools export, speakers in `<v Name>` tags.

use super::markup::{blocks, cues_to_segments, parse_timing, Block, Cue, TimingError};
use super::{finish_lenient, ParseError, Skipped, Transcript, TranscriptFormat, WarningKind};

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::WebVtt;
/// Shown in messages about a bad timing line.
const TIMING_EXAMPLE: &str = "00:00:01.000 --> 00:00:04.000";

/// Parses WebVTT text.
///
/// The first non-blank line must start with `WEBVTT` (anything may follow after a space or
/// tab); header lines up to the first blank line may include `Language: xx`, which sets the
/// transcript's language. `NOTE`, `STYLE` and `REGION` blocks are skipped. A cue is an optional
/// identifier line, a timing line (`hh:mm:ss.ttt` or `mm:ss.ttt`; unpadded parts such as
/// `0:0:3.0` are read too; cue settings after the end time ignored) and its text lines, joined
/// with a space. Speakers come from voice tags, else a `Name:` or `[Name]` prefix, else the
/// previous cue's speaker, else `Speaker 1`; a cue with two voices gives two segments with the
/// cue's times. Overlapping cues are fine.
///
/// As the WebVTT parsing algorithm says, a block whose first or second line is not a timing,
/// or whose timing does not parse, is skipped, not fatal; so is a cue ending before it starts.
/// Each skip is a [`super::Warning`] with its line. A file with no readable cue is an error on
/// the first skipped block.
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let (language, cues, skipped) = read_cues(text, FORMAT)?;
    finish_lenient(FORMAT, cues_to_segments(&cues), language, Vec::new(), skipped)
}

/// The language and cues of a WebVTT file, and what was skipped; errors and warnings are
/// labelled `format` (WebVTT exports of meeting tools are read here too).
pub(crate) fn read_cues(
    text: &str,
    format: TranscriptFormat,
) -> Result<(Option<String>, Vec<Cue<'_>>, Skipped), ParseError> {
    let all = blocks(text);
    let Some((header, rest)) = all.split_first() else {
        return Err(ParseError::no_text(format, "the transcript is empty"));
    };
    let signature = header.lines[0];
    if !is_signature(signature) {
        return Err(ParseError::at(
            format,
            header.first_line,
            "a WebVTT file starts with `WEBVTT` on its first line",
        )
        .with_excerpt(signature));
    }
    let mut language = None;
    let mut cues = Vec::new();
    let mut skipped = Skipped::default();
    // A header run straight into a cue (no blank line after it) still yields that cue.
    // The signature line is never a timing, even when the text after `WEBVTT ` holds `-->`.
    let header_end = header.lines[1..]
        .iter()
        .position(|l| l.contains("-->"))
        .map_or(header.lines.len(), |at| at + 1);
    for line in &header.lines[1..header_end] {
        if let Some((key, value)) = line.split_once(':') {
            if key.trim().eq_ignore_ascii_case("language") && !value.trim().is_empty() {
                language = Some(value.trim().to_string());
            }
        }
    }
    if header_end < header.lines.len() {
        let block = Block {
            first_line: header.first_line + header_end,
            lines: header.lines[header_end..].to_vec(),
        };
        read_cue(&block, format, &mut cues, &mut skipped);
    }
    for block in rest {
        if ["NOTE", "STYLE", "REGION"]
            .iter()
            .any(|k| starts_with_keyword(block.lines[0], k))
        {
            continue;
        }
        read_cue(block, format, &mut cues, &mut skipped);
    }
    Ok((language, cues, skipped))
}

/// `WEBVTT` alone or followed by a space or tab.
fn is_signature(line: &str) -> bool {
    line.strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// `keyword` alone or followed by whitespace (`NOTE this is a note`).
fn starts_with_keyword(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
}

/// Reads one cue block (identifier optional, timing, text) into `cues`, or skips it.
fn read_cue<'a>(block: &Block<'a>, format: TranscriptFormat, cues: &mut Vec<Cue<'a>>, skipped: &mut Skipped) {
    let lines = &block.lines;
    // The first line is the timing, or an identifier (`1`, `intro`, a GUID) before it.
    let timing_index = if lines[0].contains("-->") || lines.len() == 1 {
        0
    } else {
        1
    };
    let line_number = block.first_line + timing_index;
    let timing = lines[timing_index];
    if !timing.contains("-->") {
        let err = ParseError::at(
            format,
            line_number,
            format!("expected a cue timing like `{TIMING_EXAMPLE}`"),
        );
        skipped.skip(WarningKind::SkippedCue, err.with_excerpt(timing));
        return;
    }
    match parse_timing(timing, TIMING_EXAMPLE) {
        Ok((start, end)) => cues.push(Cue {
            start,
            end,
            lines: lines[timing_index + 1..].to_vec(),
        }),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speakers_and_texts;

    #[test]
    fn reads_voices_identifiers_settings_and_notes() {
        let text = "WEBVTT - interview\nKind: captions\nLanguage: en-GB\n\nNOTE recorded in the shop\nsecond line\n\n\
                    STYLE\n::cue { color: yellow }\n\n1\n00:00:01.000 --> 00:00:04.500 align:start position:10%\n\
                    <v Interviewer>How do you schedule today?</v>\n\nrosa-1\n00:04.800 --> 00:09.250\n\
                    <v.customer Rosa Delgado>A spreadsheet\nand a group chat.</v>\n";
        let t = parse(text).unwrap();
        assert_eq!(t.source_format, TranscriptFormat::WebVtt);
        assert_eq!(t.language.as_deref(), Some("en-GB"));
        assert_eq!(
            speakers_and_texts(&t),
            vec![
                ("Interviewer", "How do you schedule today?"),
                ("Rosa Delgado", "A spreadsheet and a group chat.")
            ]
        );
        assert_eq!((t.segments[0].start, t.segments[0].end), (1.0, 4.5));
        assert_eq!((t.segments[1].start, t.segments[1].end), (4.8, 9.25));
    }

    #[test]
    fn speaker_falls_back_to_prefix_then_previous_then_default() {
        let text = "WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nHello there.\r\n\r\n00:02.000 --> 00:03.000\r\n\
                    Rosa: We bake at four.\r\n\r\n00:03.000 --> 00:04.000\r\nEvery day.\r\n";
        let t = parse(text).unwrap();
        assert_eq!(
            speakers_and_texts(&t),
            vec![
                ("Speaker 1", "Hello there."),
                ("Rosa", "We bake at four."),
                ("Rosa", "Every day.")
            ]
        );
    }

    #[test]
    fn two_voices_in_one_cue_share_its_times() {
        let text = "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\n<v Tom>Ready?</v>\n<v Rosa>Yes.</v>\n";
        let t = parse(text).unwrap();
        assert_eq!(speakers_and_texts(&t), vec![("Tom", "Ready?"), ("Rosa", "Yes.")]);
        assert!(t.segments.iter().all(|s| s.start == 5.0 && s.end == 6.0));
    }

    #[test]
    fn a_cue_right_after_the_header_is_kept() {
        let t = parse("WEBVTT\n00:01.000 --> 00:02.000\n<v A>hi</v>\n").unwrap();
        assert_eq!(speakers_and_texts(&t), vec![("A", "hi")]);
    }

    /// Found by fuzzing (`fuzz/artifacts/transcript/crash-36cbd7c0…`): `-->` in the signature
    /// line's free text made the header end before it started, and slicing panicked.
    #[test]
    fn an_arrow_in_the_signature_line_is_header_text() {
        let t = parse("WEBVTT --> 00:00:08.010\nBen: hi\n\n00:01.000 --> 00:02.000\n<v A>there</v>\n").unwrap();
        assert_eq!(speakers_and_texts(&t), vec![("A", "there")]);
        let t = parse("WEBVTT -->\n00:01.000 --> 00:02.000\nhi\n").unwrap();
        assert_eq!(speakers_and_texts(&t), vec![("Speaker 1", "hi")]);
    }

    #[test]
    fn cues_are_sorted_by_start_and_empty_cues_dropped() {
        let text = "WEBVTT\n\n00:05.000 --> 00:06.000\n<v B>later</v>\n\n00:01.000 --> 00:02.000\n<v A>first</v>\n\n\
                    00:03.000 --> 00:04.000\n<i></i>\n";
        let t = parse(text).unwrap();
        assert_eq!(speakers_and_texts(&t), vec![("A", "first"), ("B", "later")]);
    }

    #[test]
    fn missing_signature_is_an_error_on_its_line() {
        let err = parse("\n\nWEBVTTX\n\n00:01.000 --> 00:02.000\nhi\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "WebVTT, line 3: a WebVTT file starts with `WEBVTT` on its first line"
        );
        assert_eq!(err.excerpt.as_deref(), Some("WEBVTTX"));
    }

    #[test]
    fn malformed_blocks_are_skipped_as_the_parsing_algorithm_says() {
        let text =
            "WEBVTT\n\n00:01.000 --> 00:02.000\n<v A>hi</v>\n\n\n\nhello\n\ncue-7\n00:01.000 -> 00:02.000\nlost\n\n\
                    0:0:3.0 --> 0:0:5.5\n<v B>unpadded</v>\n\n00:00:04.000 --> 00:00:06.000\n<v A>overlaps</v>\n\n\
                    00:09.000 --> 00:08.000\nbackwards\n";
        let t = parse(text).unwrap();
        assert_eq!(
            speakers_and_texts(&t),
            vec![("A", "hi"), ("B", "unpadded"), ("A", "overlaps")]
        );
        assert_eq!((t.segments[1].start, t.segments[1].end), (3.0, 5.5));
        let warnings: Vec<(Option<usize>, WarningKind)> = t.warnings.iter().map(|w| (w.line, w.kind)).collect();
        assert_eq!(
            warnings,
            vec![
                (Some(8), WarningKind::SkippedCue),
                (Some(11), WarningKind::SkippedCue),
                (Some(20), WarningKind::CueEndsBeforeStart),
            ]
        );
    }

    #[test]
    fn a_file_with_no_readable_cue_is_an_error_on_the_first_bad_block() {
        let err = parse("WEBVTT\n\nhello\n\ncue-7\n00:01.000 -> 00:02.000\nhi\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "WebVTT, line 3: expected a cue timing like `00:00:01.000 --> 00:00:04.000`"
        );
        assert_eq!(err.excerpt.as_deref(), Some("hello"));
        assert!(!err.no_text);
    }

    #[test]
    fn a_cue_ending_before_it_starts_is_an_error() {
        let err = parse("WEBVTT\n\n00:04.000 --> 00:03.000\nhi\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "WebVTT, line 3: the cue ends (00:00:03.000) before it starts (00:00:04.000)"
        );
    }

    #[test]
    fn a_header_without_cues_is_an_error() {
        let err = parse("WEBVTT\n\nNOTE nothing yet\n").unwrap_err();
        assert_eq!(err.to_string(), "WebVTT: the file has no cues with text");
    }
}
