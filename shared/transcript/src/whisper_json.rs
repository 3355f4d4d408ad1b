//! Whisper-family JSON: OpenAI's `verbose_json`, faster-whisper and WhisperX output, all a
//! `segments` array of `start`, `end` (seconds) and `text`, with `speaker` (`SPEAKER_00`) when
//! WhisperX diarized it.

use serde::Deserialize;

use super::rev::checked_span;
use super::{finish, json_error, ParseError, Segment, Transcript, TranscriptFormat};

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::WhisperJson;
/// Whisper does not tell speakers apart; undiarized segments are all this speaker's.
const UNDIARIZED_SPEAKER: &str = "Speaker 1";

/// The parts read.
#[derive(Deserialize)]
struct RawDocument {
    segments: Vec<RawSegment>,
    #[serde(default)]
    language: Option<String>,
}

/// `segments[]`.
#[derive(Deserialize)]
struct RawSegment {
    start: f64,
    end: f64,
    text: String,
    #[serde(default)]
    speaker: Option<String>,
}

/// Reads Whisper JSON: one segment per entry, text trimmed (Whisper starts each with a space),
/// speaker from `speaker` when present, else `Speaker 1` (with a note). `language` is kept when
/// it is a code (`en`); Whisper's `english` spelling is not a BCP-47 code and is dropped.
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let document: RawDocument = serde_json::from_str(text).map_err(|err| json_error(FORMAT, &err, text))?;
    let mut segments = Vec::with_capacity(document.segments.len());
    let mut undiarized = false;
    for (index, raw) in document.segments.iter().enumerate() {
        let (start, end) = checked_span(FORMAT, raw.start, raw.end, || format!("segments[{index}]"))?;
        let speaker = match raw.speaker.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => {
                undiarized = true;
                UNDIARIZED_SPEAKER.to_string()
            }
        };
        segments.push(Segment {
            speaker,
            start,
            end,
            text: raw.text.trim().to_string(),
            confidence: None,
        });
    }
    let language = document
        .language
        .filter(|code| (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphabetic()));
    let notes = if undiarized {
        vec!["the Whisper output has no speakers (not diarized): segments without one are Speaker 1".to_string()]
    } else {
        Vec::new()
    };
    finish(FORMAT, segments, language, notes)
}
