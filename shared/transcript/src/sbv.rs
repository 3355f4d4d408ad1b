//! YouTube captions (`.sbv`): blocks of `0:00:01.140,0:00:04.350` then the text lines.

use super::markup::{blocks, cues_to_segments, Cue};
use super::time::parse_clock;
use super::{finish_lenient, ParseError, Skipped, Transcript, TranscriptFormat, WarningKind};

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::YoutubeSbv;

/// Reads SBV. Each block is a `start,end` line (`h:mm:ss.mmm`) and its text. YouTube marks a
/// change of speaker with `>>`, which is dropped; speakers come from `Name:` or `[Name]`
/// prefixes as in SRT, else the previous cue's, else `Speaker 1`. A block whose first line is
/// not a valid `start,end` is skipped with a warning; a file with no readable block is an error
/// on the first one.
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let mut cues: Vec<Cue<'_>> = Vec::new();
    let mut skipped = Skipped::default();
    for block in blocks(text) {
        let line = block.lines[0];
        match timing(line) {
            Some((start, end)) if end >= start => cues.push(Cue {
                start,
                end,
                lines: block.lines[1..]
                    .iter()
                    .map(|l| l.trim_start().trim_start_matches(">>").trim_start())
                    .collect(),
            }),
            Some(_) => {
                let err = ParseError::at(FORMAT, block.first_line, "the caption ends before it starts");
                skipped.skip(WarningKind::CueEndsBeforeStart, err.with_excerpt(line));
            }
            None => {
                let err = ParseError::at(
                    FORMAT,
                    block.first_line,
                    "expected a timing like `0:00:01.000,0:00:04.000`",
                );
                skipped.skip(WarningKind::SkippedCue, err.with_excerpt(line));
            }
        }
    }
    finish_lenient(FORMAT, cues_to_segments(&cues), None, Vec::new(), skipped)
}

/// `0:00:01.140,0:00:04.350` in seconds.
pub(crate) fn timing(line: &str) -> Option<(f64, f64)> {
    let (start, end) = line.trim().split_once(',')?;
    Some((parse_clock(start)?, parse_clock(end)?))
}
