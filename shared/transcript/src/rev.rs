//! Rev's exports: text (`Name (00:00:03):` then the words) and JSON (`monologues`, each a
//! speaker's run of `text` and `punct` elements; spaces between words are `punct` elements).

use serde::Deserialize;

use super::plain::{estimate_note, timed_segments, Turn};
use super::time::parse_clock;
use super::zoom::speaker_of;
use super::{
    finish, finish_lenient, json_error, ParseError, Segment, Skipped, Transcript, TranscriptFormat, WarningKind,
};

/// Reads Rev text: a `Name (hh:mm:ss):` line (or `Name (mm:ss):`) opens each turn, its words on
/// the same line after the colon or on the lines below. Text before the first turn is skipped
/// with a warning. A turn ends where the next begins, the last after its words at 150 words a
/// minute.
pub(crate) fn parse_text(text: &str) -> Result<Transcript, ParseError> {
    const FORMAT: TranscriptFormat = TranscriptFormat::RevText;
    let mut turns: Vec<Turn> = Vec::new();
    let mut skipped = Skipped::default();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some((name, start, words)) = heading(line) {
            turns.push(Turn {
                speaker: name,
                text: words.to_string(),
                stamp: Some(start),
            });
            continue;
        }
        match turns.last_mut() {
            Some(turn) => {
                if !turn.text.is_empty() {
                    turn.text.push(' ');
                }
                turn.text.push_str(line);
            }
            None => {
                let err = ParseError::at(FORMAT, index + 1, "expected a `Name (00:00:03):` line before the words");
                skipped.skip(WarningKind::SkippedText, err.with_excerpt(line));
            }
        }
    }
    let notes = estimate_note(&turns).into_iter().collect();
    finish_lenient(FORMAT, timed_segments(turns), None, notes, skipped)
}

/// `Name (00:00:03): words`: the speaker, the start and the words on the line (maybe none).
pub(crate) fn heading(line: &str) -> Option<(String, f64, &str)> {
    let close = line.find("):")?;
    let open = line[..close].rfind(" (")?;
    let start = parse_clock(&line[open + 2..close])?;
    let name = speaker_of(line[..open].trim())?;
    Some((name, start, line[close + 2..].trim()))
}

/// Rev JSON, the parts read.
#[derive(Deserialize)]
struct RawDocument {
    monologues: Vec<RawMonologue>,
}

/// `monologues[]`.
#[derive(Deserialize)]
struct RawMonologue {
    #[serde(default)]
    speaker: Option<i64>,
    #[serde(default)]
    speaker_name: Option<String>,
    #[serde(default)]
    elements: Vec<RawElement>,
}

/// `monologues[].elements[]`: a word (`text`, timed) or punctuation and spaces (`punct`).
#[derive(Deserialize)]
struct RawElement {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    ts: Option<f64>,
    #[serde(default)]
    end_ts: Option<f64>,
    #[serde(default)]
    confidence: Option<f64>,
}

/// Reads Rev JSON: one segment per monologue, its text the elements' values joined as written
/// (Rev gives the spaces), its times the first word's `ts` and the last word's `end_ts`. The
/// speaker is `speaker_name`, else `Speaker <n>` from the `speaker` number. A monologue without
/// timed words is dropped (it has no words).
pub(crate) fn parse_json(text: &str) -> Result<Transcript, ParseError> {
    const FORMAT: TranscriptFormat = TranscriptFormat::RevJson;
    let document: RawDocument = serde_json::from_str(text).map_err(|err| json_error(FORMAT, &err, text))?;
    let mut segments = Vec::with_capacity(document.monologues.len());
    for (index, monologue) in document.monologues.iter().enumerate() {
        let mut words = String::new();
        let mut span: Option<(f64, f64)> = None;
        let (mut confidence_sum, mut confidence_count) = (0.0, 0u32);
        for (at, element) in monologue.elements.iter().enumerate() {
            let path = || format!("monologues[{index}].elements[{at}]");
            words.push_str(element.value.as_deref().unwrap_or(""));
            if element.kind.as_deref() != Some("text") {
                continue;
            }
            let (Some(start), Some(end)) = (element.ts, element.end_ts) else {
                continue;
            };
            let (start, end) = checked_span(FORMAT, start, end, path)?;
            span = Some(span.map_or((start, end), |(s, e)| (s.min(start), e.max(end))));
            if let Some(c) = element.confidence.filter(|c| (0.0..=1.0).contains(c)) {
                confidence_sum += c;
                confidence_count += 1;
            }
        }
        let Some((start, end)) = span else {
            continue;
        };
        let speaker = match (&monologue.speaker_name, monologue.speaker) {
            (Some(name), _) if !name.trim().is_empty() => name.trim().to_string(),
            (_, Some(n)) => format!("Speaker {n}"),
            _ => "Speaker".to_string(),
        };
        segments.push(Segment {
            speaker,
            start,
            end,
            text: super::markup::collapse_whitespace(&words),
            confidence: (confidence_count > 0).then(|| (confidence_sum / f64::from(confidence_count)) as f32),
        });
    }
    finish(FORMAT, segments, None, Vec::new())
}

/// A start and end in seconds from a JSON reader: finite, not negative, in order; the error
/// names the JSON path.
pub(crate) fn checked_span(
    format: TranscriptFormat,
    start: f64,
    end: f64,
    path: impl Fn() -> String,
) -> Result<(f64, f64), ParseError> {
    if !(start.is_finite() && end.is_finite() && start >= 0.0 && end >= 0.0) {
        return Err(ParseError::new(
            format,
            format!("{}: times must be non-negative numbers of seconds", path()),
        ));
    }
    if end < start {
        return Err(ParseError::new(
            format,
            format!("{} ends ({end}) before it starts ({start})", path()),
        ));
    }
    Ok((start, end))
}
