//! AssemblyAI transcript JSON: `utterances` (with speaker labels on) of `speaker` (`A`, `B` …),
//! `start`/`end` in milliseconds and `text`.

use serde::Deserialize;

use super::rev::checked_span;
use super::{finish, json_error, ParseError, Segment, Transcript, TranscriptFormat};

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::AssemblyAi;

/// The parts read.
#[derive(Deserialize)]
struct RawDocument {
    #[serde(default)]
    utterances: Option<Vec<RawUtterance>>,
    #[serde(default)]
    words: Option<Vec<RawUtterance>>,
    #[serde(default)]
    language_code: Option<String>,
}

/// `utterances[]`, and `words[]` (same fields, `text` one word).
#[derive(Deserialize)]
struct RawUtterance {
    #[serde(default)]
    speaker: Option<String>,
    start: f64,
    end: f64,
    text: String,
    #[serde(default)]
    confidence: Option<f64>,
}

/// Reads AssemblyAI JSON. Each utterance is a segment by `Speaker <letter>`, times converted
/// from milliseconds. A transcript made without speaker labels has no utterances: its `words`
/// become one segment per speaker run (`Speaker A` when unlabelled). `language_code` gives the
/// language. Other fields are ignored.
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let document: RawDocument = serde_json::from_str(text).map_err(|err| json_error(FORMAT, &err, text))?;
    let (items, path, merge) = match (&document.utterances, &document.words) {
        (Some(utterances), _) if !utterances.is_empty() => (utterances, "utterances", false),
        (_, Some(words)) => (words, "words", true),
        _ => (&Vec::new(), "utterances", false),
    };
    let mut segments: Vec<Segment> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let (start, end) = checked_span(FORMAT, item.start / 1000.0, item.end / 1000.0, || {
            format!("{path}[{index}]")
        })?;
        let speaker = format!("Speaker {}", item.speaker.as_deref().unwrap_or("A").trim());
        let confidence = item.confidence.filter(|c| (0.0..=1.0).contains(c)).map(|c| c as f32);
        if let Some(last) = segments.last_mut().filter(|s| merge && s.speaker == speaker) {
            last.text.push(' ');
            last.text.push_str(item.text.trim());
            last.end = last.end.max(end);
            continue;
        }
        segments.push(Segment {
            speaker,
            start,
            end,
            text: item.text.trim().to_string(),
            confidence: if merge { None } else { confidence },
        });
    }
    finish(
        FORMAT,
        segments,
        document.language_code.map(|code| bcp47(&code)),
        Vec::new(),
    )
}

/// AssemblyAI writes `en_us`; the transcript holds BCP-47 (`en-US`).
fn bcp47(code: &str) -> String {
    match code.split_once('_') {
        Some((language, region)) => format!("{language}-{}", region.to_uppercase()),
        None => code.to_string(),
    }
}
