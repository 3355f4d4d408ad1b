//! Transcripts: the canonical model and the input formats parsed into it.
//!
//! A transcript upload skips speech recognition: [`parse_transcript`] reads caption files
//! (WebVTT, SRT, SBV), meeting-tool exports (Zoom, Teams, Google Meet, Otter.ai, Rev; text and
//! `.docx`), speech-service JSON (Amazon Transcribe and Call Analytics, AssemblyAI, Deepgram,
//! Whisper, Rev), plain `Speaker: text` files and the project's own transcript.json into one
//! [`Transcript`], in any Unicode form or legacy encoding. `docs/formats.md` describes each.
//! Every error names the format and, for line-based formats, the line, so the interview's error
//! message tells a person what to fix, without quoting the file (see [`ParseError`]).
//!
//! What every reader guarantees: segments have text, finite non-negative times with
//! `end >= start`, and are sorted by start (stably, so equal starts keep file order).

mod amazon;
mod assemblyai;
mod call_analytics;
mod canonical;
mod deepgram;
mod detect;
mod docx;
mod encoding;
mod headed;
mod markup;
mod meet;
mod model;
mod naming;
mod otter_srt;
mod plain;
mod rev;
mod sbv;
mod speaker;
mod srt;
mod time;
mod webvtt;
mod whisper_json;
mod zoom;

pub mod media;

pub use detect::{detect_format, is_transcript_name};
pub use model::*;
pub use naming::*;
pub use speaker::is_speaker_name;

use detect::Classified;

/// Why a transcript could not be read: the format it was read as, where, and what was wrong.
///
/// Displays as `WebVTT, line 12: expected a cue timing …` or, for JSON and whole-file
/// problems, `Amazon Transcribe JSON: results.items[3].start_time is not a number (found a string)`.
/// The message never quotes the file: transcripts are interview content, and this error travels
/// into logs, events and the item's error message. What the offending line said is in
/// [`ParseError::excerpt`], which only the access-controlled item keeps.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}: {message}", .format.label(), .line.map(|n| format!(", line {n}")).unwrap_or_default())]
pub struct ParseError {
    /// The format the file was read as.
    pub format: TranscriptFormat,
    /// The 1-based line the problem is on, when the format is line-based.
    pub line: Option<usize>,
    /// What is wrong, for a person to act on: format, line or JSON path, JSON type; no content.
    pub message: String,
    /// The file was read but holds no words at all (empty, or only cues, lines or segments
    /// without text): an upload with nothing to analyse rather than a malformed one.
    pub no_text: bool,
    /// At most [`EXCERPT_CHARS`] characters of the offending line or value, so the person fixing
    /// the file can find it. Interview content: store it only where the transcript may be read.
    pub excerpt: Option<String>,
}

/// Longest [`ParseError::excerpt`], in characters (an ellipsis marks a cut).
pub const EXCERPT_CHARS: usize = 60;

impl ParseError {
    /// An error about the file as a whole or a JSON path.
    pub(crate) fn new(format: TranscriptFormat, message: impl Into<String>) -> Self {
        Self {
            format,
            line: None,
            message: message.into(),
            no_text: false,
            excerpt: None,
        }
    }

    /// An error on one line.
    pub(crate) fn at(format: TranscriptFormat, line: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            ..Self::new(format, message)
        }
    }

    /// A file that was read but has no words in it.
    pub(crate) fn no_text(format: TranscriptFormat, message: impl Into<String>) -> Self {
        Self {
            no_text: true,
            ..Self::new(format, message)
        }
    }

    /// The same error with a shortened copy of the offending text (see [`ParseError::excerpt`]).
    pub(crate) fn with_excerpt(mut self, text: &str) -> Self {
        self.excerpt = Some(markup::excerpt(text));
        self
    }
}

/// Reads an uploaded transcript file.
///
/// The bytes are decoded first (UTF-8, UTF-16/32 with a byte-order mark, legacy encodings by
/// detection; binary files are refused), the encoding is recorded on the transcript, then the
/// format is detected from the content, with the file name as a tie-breaker (see
/// [`detect_format`] for the rules).
pub fn parse_transcript(bytes: &[u8], file_name: &str) -> Result<Transcript, ParseError> {
    if docx::is_zip(bytes) {
        let text = docx::text(bytes)?;
        let mut transcript = parse_text(detect::docx_format(&text)?, &text)?;
        transcript.encoding = Some("UTF-8".to_string());
        return Ok(transcript);
    }
    let fallback = detect::format_from_name(file_name).unwrap_or(TranscriptFormat::PlainText);
    let decoded = encoding::decode(bytes).map_err(|e| ParseError::new(fallback, e.message))?;
    let text: &str = &decoded.text;
    let mut transcript = match detect::classify(text, file_name) {
        Classified::Empty => Err(ParseError::no_text(fallback, "the transcript is empty")),
        Classified::Text(format) => parse_text(format, text),
        Classified::Json(format) => parse_text(format, text),
        Classified::OtherJson => Err(ParseError::new(
            fallback,
            "the file is JSON of no known transcript shape (Amazon Transcribe `results.items`, transcript.json \
             `schema_version` and `segments`, Whisper `segments`, AssemblyAI `utterances`, Deepgram \
             `results.channels`, Rev `monologues`, Call Analytics `Transcript`)",
        )),
        Classified::BadJson(format, err) => Err(json_error(format, &err, text)),
    }?;
    transcript.encoding = Some(decoded.encoding.to_string());
    if decoded.replaced {
        transcript.warnings.insert(
            0,
            Warning {
                line: None,
                kind: WarningKind::InvalidBytesReplaced,
            },
        );
    }
    Ok(transcript)
}

/// Reads text known to be in `format` (the caller already decided, e.g. from a job setting).
///
/// A leading byte-order mark is skipped. [`TranscriptFormat::Speech`] is not a file format
/// and is refused.
pub fn parse_as(format: TranscriptFormat, text: &str) -> Result<Transcript, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ParseError::no_text(format, "the transcript is empty"));
    }
    parse_text(format, text)
}

/// Parses decoded text (byte-order mark already skipped) as `format`.
fn parse_text(format: TranscriptFormat, text: &str) -> Result<Transcript, ParseError> {
    match format {
        TranscriptFormat::WebVtt => webvtt::parse(text),
        TranscriptFormat::Srt => srt::parse(text),
        TranscriptFormat::OtterSrt => otter_srt::parse(text),
        TranscriptFormat::PlainText => plain::parse(text),
        TranscriptFormat::AmazonTranscribe => amazon::parse(text),
        TranscriptFormat::Canonical => {
            let value = serde_json::from_str(text).map_err(|err| json_error(format, &err, text))?;
            canonical::from_value(&value)
        }
        TranscriptFormat::Speech => Err(ParseError::new(
            format,
            "speech recognition output is produced from a recording, not read from a file",
        )),
        TranscriptFormat::ZoomVtt => zoom::parse_vtt(text),
        TranscriptFormat::ZoomText => zoom::parse_text(text),
        TranscriptFormat::TeamsVtt => {
            let (language, cues, skipped) = webvtt::read_cues(text, format)?;
            finish_lenient(format, markup::cues_to_segments(&cues), language, Vec::new(), skipped)
        }
        TranscriptFormat::TeamsDocx | TranscriptFormat::OtterText | TranscriptFormat::OtterDocx => {
            headed::parse(text, format)
        }
        TranscriptFormat::GoogleMeetText | TranscriptFormat::GoogleMeetDocx => meet::parse(text, format),
        TranscriptFormat::RevText => rev::parse_text(text),
        TranscriptFormat::RevJson => rev::parse_json(text),
        TranscriptFormat::YoutubeSbv => sbv::parse(text),
        TranscriptFormat::AssemblyAi => assemblyai::parse(text),
        TranscriptFormat::Deepgram => deepgram::parse(text),
        TranscriptFormat::WhisperJson => whisper_json::parse(text),
        TranscriptFormat::TranscribeCallAnalytics => call_analytics::parse(text),
        TranscriptFormat::WordDocument => detect::docx_format(text).and_then(|format| parse_text(format, text)),
    }
}

/// A JSON error with its line and column, worded from serde's classification rather than its
/// message (which quotes the offending value); the line around the column becomes the excerpt.
pub(crate) fn json_error(format: TranscriptFormat, err: &serde_json::Error, text: &str) -> ParseError {
    use serde_json::error::Category;
    let column = err.column();
    let message = match err.classify() {
        Category::Syntax => format!("not valid JSON (column {column})"),
        Category::Eof => format!("the JSON ends early (column {column}); the file may be cut off"),
        Category::Io => format!("the JSON could not be read (column {column})"),
        Category::Data => format!("unexpected JSON shape (column {column}): {}", data_reason(err)),
    };
    let excerpt = text
        .lines()
        .nth(err.line().saturating_sub(1))
        .map(|line| around_column(line, column));
    ParseError {
        excerpt: excerpt.map(|e| markup::excerpt(&e)),
        ..ParseError::at(format, err.line(), message)
    }
}

/// What a typed-reading error says, reduced to the parts this crate wrote: the JSON type found,
/// what was expected (the expectation texts are ours) and missing field names (ours too).
fn data_reason(err: &serde_json::Error) -> String {
    let text = err.to_string();
    if let Some(rest) = text.strip_prefix("invalid type: ") {
        let found = json_type_of_unexpected(rest);
        // serde ends with `, expected <ours>` then the position; the last one is serde's own.
        let expected = rest
            .rfind(", expected ")
            .map(|at| &rest[at + ", expected ".len()..])
            .and_then(|tail| tail.rfind(" at line ").map(|end| &tail[..end]))
            .unwrap_or("another type");
        // A struct name is this crate's, and means nothing to a person: say what it is.
        let expected = if expected.starts_with("struct ") {
            "an object"
        } else {
            expected
        };
        return format!("found {found}, expected {expected}");
    }
    if let Some(rest) = text.strip_prefix("missing field `") {
        if let Some(end) = rest.find('`') {
            return format!("missing field `{}`", &rest[..end]);
        }
    }
    "a value has an unexpected type or form".to_string()
}

/// The JSON type serde's `invalid type: …` names first (`string "…"`, `integer `5``, `map`).
fn json_type_of_unexpected(rest: &str) -> &'static str {
    const KINDS: [(&str, &str); 10] = [
        ("string", "a string"),
        ("integer", "a number"),
        ("floating point", "a number"),
        ("boolean", "a boolean"),
        ("map", "an object"),
        ("sequence", "an array"),
        ("null", "null"),
        ("unit", "null"),
        ("character", "a string"),
        ("Option value", "a value"),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| rest.starts_with(prefix))
        .map_or("a value of another type", |(_, name)| name)
}

/// Up to [`EXCERPT_CHARS`] characters of `line` ending at the 1-based `column` (bytes), so a
/// minified one-line JSON file still shows where it broke.
fn around_column(line: &str, column: usize) -> String {
    let mut end = column.min(line.len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let head = &line[..end];
    let skip = head.chars().count().saturating_sub(EXCERPT_CHARS);
    head.chars().skip(skip).collect()
}

/// The last step of every reader: drops segments without text, sorts by start (stably) and
/// refuses a transcript with nothing in it (a [`ParseError::no_text`] error: the transcribe
/// step ends such an upload in an input error, as it does a recording without speech).
pub(crate) fn finish(
    format: TranscriptFormat,
    mut segments: Vec<Segment>,
    language: Option<String>,
    notes: Vec<String>,
) -> Result<Transcript, ParseError> {
    segments.retain(|s| !s.text.trim().is_empty());
    if segments.is_empty() {
        let message = match format {
            TranscriptFormat::WebVtt | TranscriptFormat::Srt | TranscriptFormat::OtterSrt => {
                "the file has no cues with text"
            }
            TranscriptFormat::AmazonTranscribe => "the output has no words (no items and no audio segments with text)",
            TranscriptFormat::PlainText => "the file has no `Speaker: text` lines with text",
            TranscriptFormat::Canonical | TranscriptFormat::Speech => "the transcript has no segments with text",
            TranscriptFormat::ZoomVtt | TranscriptFormat::TeamsVtt | TranscriptFormat::YoutubeSbv => {
                "the file has no cues with text"
            }
            TranscriptFormat::ZoomText
            | TranscriptFormat::TeamsDocx
            | TranscriptFormat::GoogleMeetText
            | TranscriptFormat::GoogleMeetDocx
            | TranscriptFormat::OtterText
            | TranscriptFormat::OtterDocx
            | TranscriptFormat::RevText => "the file has no speaker turns with text",
            TranscriptFormat::RevJson
            | TranscriptFormat::AssemblyAi
            | TranscriptFormat::Deepgram
            | TranscriptFormat::WhisperJson
            | TranscriptFormat::TranscribeCallAnalytics => "the output has no words",
            TranscriptFormat::WordDocument => "the document has no text",
        };
        return Err(ParseError::no_text(format, message));
    }
    segments.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut transcript = Transcript::new(format, segments);
    transcript.language = language;
    transcript.notes = notes;
    Ok(transcript)
}

/// What a lenient reader skipped: a warning per skipped or repaired part, and the error the
/// first skipped part would have been, reported if nothing readable is left.
#[derive(Debug, Default)]
pub(crate) struct Skipped {
    warnings: Vec<Warning>,
    first: Option<ParseError>,
}

impl Skipped {
    /// Skips a part of the file that `err` describes.
    pub(crate) fn skip(&mut self, kind: WarningKind, err: ParseError) {
        self.warnings.push(Warning { line: err.line, kind });
        self.first.get_or_insert(err);
    }

    /// Records a repair (the part was read).
    pub(crate) fn repaired(&mut self, line: usize, kind: WarningKind) {
        self.warnings.push(Warning::at(line, kind));
    }
}

/// [`finish`] for a lenient reader: the warnings go on the transcript; when nothing readable is
/// left and parts were skipped, the first skipped part's error is the answer (a malformed file,
/// not an empty one).
pub(crate) fn finish_lenient(
    format: TranscriptFormat,
    segments: Vec<Segment>,
    language: Option<String>,
    notes: Vec<String>,
    skipped: Skipped,
) -> Result<Transcript, ParseError> {
    match finish(format, segments, language, notes) {
        Ok(mut transcript) => {
            transcript.warnings = skipped.warnings;
            Ok(transcript)
        }
        Err(empty) => Err(skipped.first.unwrap_or(empty)),
    }
}

#[cfg(test)]
mod format_tests;
#[cfg(test)]
mod privacy_tests;
#[cfg(test)]
mod tests;

/// (speaker, text) of each segment, for the readers' tests.
#[cfg(test)]
pub(crate) fn speakers_and_texts(t: &Transcript) -> Vec<(&str, &str)> {
    t.segments
        .iter()
        .map(|s| (s.speaker.as_str(), s.text.as_str()))
        .collect()
}
