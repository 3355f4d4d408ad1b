//! The project's own transcript.json read back, e.g. a corrected transcript uploaded again.

use serde_json::{Map, Value};

use super::{
    finish, ParseError, Segment, Transcript, TranscriptFormat, Warning, READABLE_TRANSCRIPT_VERSIONS,
    TRANSCRIPT_SCHEMA_VERSION,
};

/// Errors are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::Canonical;

/// Validates and reads a transcript.json document.
///
/// `schema_version` must be one this version reads (1 or 2). `source_format` is kept as written (a transcript that came from
/// WebVTT stays `web_vtt` when uploaded again, so a round trip changes nothing); when absent it
/// is `canonical`. Each segment needs a non-empty `speaker`, a finite non-negative `start`, an
/// `end` not before it and a `text`; `confidence`, when present, is between 0 and 1. Messages
/// name the field and the segment index. Unknown fields are ignored.
pub(crate) fn from_value(value: &Value) -> Result<Transcript, ParseError> {
    let root = value
        .as_object()
        .ok_or_else(|| fail("the document must be a JSON object"))?;
    match root.get("schema_version") {
        None => return Err(fail("`schema_version` is missing")),
        Some(version)
            if version
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .is_some_and(|v| READABLE_TRANSCRIPT_VERSIONS.contains(&v)) => {}
        Some(version) if version.is_u64() => {
            return Err(fail(format!(
                "schema_version {version} is not supported; this version reads schema_version 1 to {TRANSCRIPT_SCHEMA_VERSION}"
            )))
        }
        Some(version) => {
            return Err(fail(format!(
                "schema_version must be a whole number, found {}",
                json_type(version)
            ))
            .with_excerpt(&version.to_string()))
        }
    }
    let source_format = match root.get("source_format") {
        None | Some(Value::Null) => FORMAT,
        Some(value) => serde_json::from_value::<TranscriptFormat>(value.clone()).map_err(|_| {
            let names: Vec<String> = TranscriptFormat::ALL
                .iter()
                .map(|f| format!("`{}`", format_name(*f)))
                .collect();
            fail(format!("source_format is not one of {}", names.join(", "))).with_excerpt(&value.to_string())
        })?,
    };
    let language = match root.get("language") {
        None | Some(Value::Null) => None,
        Some(Value::String(code)) => Some(code.clone()),
        Some(other) => return Err(type_error("language must be a string", other)),
    };
    let notes = match root.get("notes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, note)| {
                note.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| type_error(&format!("notes[{i}] must be a string"), note))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(type_error("notes must be an array of strings", other)),
    };
    let items = root
        .get("segments")
        .and_then(Value::as_array)
        .ok_or_else(|| fail("`segments` must be an array"))?;
    let segments = items
        .iter()
        .enumerate()
        .map(|(i, item)| segment(i, item))
        .collect::<Result<Vec<_>, _>>()?;
    let warnings = match root.get("warnings") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => serde_json::from_value::<Vec<Warning>>(value.clone())
            .map_err(|_| type_error("warnings must be an array of {line, kind} objects", value))?,
    };
    let roles = match root.get("roles") {
        None | Some(Value::Null) => Default::default(),
        Some(value) => serde_json::from_value::<std::collections::BTreeMap<String, crate::SpeakerRole>>(value.clone())
            .map_err(|_| {
                type_error(
                    "roles must be an object of speaker labels to `interviewer` or `participant`",
                    value,
                )
            })?,
    };
    let mut transcript = finish(FORMAT, segments, language, notes)?;
    transcript.source_format = source_format;
    transcript.warnings = warnings;
    // Only the roles of speakers the transcript has: a role for nobody means nothing.
    transcript.roles = roles
        .into_iter()
        .filter(|(label, _)| transcript.segments.iter().any(|s| &s.speaker == label))
        .collect();
    Ok(transcript)
}

/// The serialized name of a format (`web_vtt`).
fn format_name(format: TranscriptFormat) -> String {
    serde_json::to_value(format)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Validates one segment.
fn segment(index: usize, item: &Value) -> Result<Segment, ParseError> {
    let object: &Map<String, Value> = item
        .as_object()
        .ok_or_else(|| type_error(&format!("segments[{index}] must be an object"), item))?;
    let speaker = match object.get("speaker") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(other) => {
            return Err(type_error(
                &format!("segments[{index}].speaker must be a non-empty string"),
                other,
            ))
        }
        None => return Err(fail(format!("segments[{index}].speaker is missing"))),
    };
    let start = time(object, index, "start")?;
    let end = time(object, index, "end")?;
    if end < start {
        return Err(fail(format!(
            "segments[{index}].end ({end}) is before segments[{index}].start ({start})"
        )));
    }
    let text = match object.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(type_error(&format!("segments[{index}].text must be a string"), other)),
        None => return Err(fail(format!("segments[{index}].text is missing"))),
    };
    let confidence = match object.get("confidence") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_f64() {
            Some(c) if (0.0..=1.0).contains(&c) => Some(c as f32),
            _ => {
                return Err(type_error(
                    &format!("segments[{index}].confidence must be a number from 0 to 1"),
                    value,
                ))
            }
        },
    };
    Ok(Segment {
        speaker,
        start,
        end,
        text,
        confidence,
    })
}

/// A segment time: a finite, non-negative number of seconds.
fn time(object: &Map<String, Value>, index: usize, field: &str) -> Result<f64, ParseError> {
    match object.get(field) {
        None => Err(fail(format!("segments[{index}].{field} is missing"))),
        Some(value) => match value.as_f64() {
            Some(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(seconds),
            _ => Err(type_error(
                &format!("segments[{index}].{field} must be a non-negative number of seconds"),
                value,
            )),
        },
    }
}

/// An error about the whole document or a field.
fn fail(message: impl Into<String>) -> ParseError {
    ParseError::new(FORMAT, message)
}

/// A field holding the wrong value: the message names its JSON type, the excerpt holds it.
fn type_error(what: &str, found: &Value) -> ParseError {
    fail(format!("{what}, found {}", json_type(found))).with_excerpt(&found.to_string())
}

/// The JSON type of a value as a person says it (`a string`, `a negative number`).
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.as_f64().is_some_and(|f| f < 0.0) => "a negative number",
        Value::Number(_) => "a number",
        Value::String(s) if s.is_empty() => "an empty string",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample() -> Transcript {
        let mut t = Transcript::new(
            TranscriptFormat::WebVtt,
            vec![
                Segment {
                    speaker: "Interviewer".into(),
                    start: 1.0,
                    end: 2.5,
                    text: "Hi.".into(),
                    confidence: None,
                },
                Segment {
                    speaker: "Rosa".into(),
                    start: 2.5,
                    end: 4.0,
                    text: "Hello.".into(),
                    confidence: Some(0.5),
                },
            ],
        );
        t.language = Some("en-US".into());
        t.notes = vec!["a note".into()];
        t.warnings = vec![Warning::at(3, crate::WarningKind::SkippedCue)];
        t.roles.insert("Rosa".into(), crate::SpeakerRole::Participant);
        t
    }

    #[test]
    fn round_trips_what_the_pipeline_writes() {
        let t = sample();
        let value = serde_json::to_value(&t).unwrap();
        assert_eq!(from_value(&value).unwrap(), t);
    }

    #[test]
    fn missing_source_format_means_canonical() {
        let value = json!({"schema_version": 1, "segments": [{"speaker": "A", "start": 0, "end": 1, "text": "x"}]});
        let t = from_value(&value).unwrap();
        assert_eq!(t.source_format, TranscriptFormat::Canonical);
        assert_eq!(t.segments[0].end, 1.0);
    }

    #[test]
    fn refuses_other_schema_versions() {
        let err = from_value(&json!({"schema_version": 3, "segments": []})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "transcript.json: schema_version 3 is not supported; this version reads schema_version 1 to 2"
        );
        let err = from_value(&json!({"schema_version": "1", "segments": []})).unwrap_err();
        assert_eq!(err.message, "schema_version must be a whole number, found a string");
        assert_eq!(err.excerpt.as_deref(), Some("\"1\""));
        let err = from_value(&json!({"segments": []})).unwrap_err();
        assert_eq!(err.message, "`schema_version` is missing");
    }

    #[test]
    fn names_the_field_and_index_of_a_bad_segment() {
        let ok = json!({"speaker": "A", "start": 0.0, "end": 1.0, "text": "x"});
        let cases = [
            (
                json!({"start": 0, "end": 1, "text": "x"}),
                "segments[1].speaker is missing",
            ),
            (
                json!({"speaker": "", "start": 0, "end": 1, "text": "x"}),
                "segments[1].speaker must be a non-empty string, found an empty string",
            ),
            (
                json!({"speaker": "A", "start": -1, "end": 1, "text": "x"}),
                "segments[1].start must be a non-negative number of seconds, found a negative number",
            ),
            (
                json!({"speaker": "A", "start": 0, "end": "1", "text": "x"}),
                "segments[1].end must be a non-negative number of seconds, found a string",
            ),
            (
                json!({"speaker": "A", "start": 2, "end": 1.5, "text": "x"}),
                "segments[1].end (1.5) is before segments[1].start (2)",
            ),
            (
                json!({"speaker": "A", "start": 0, "end": 1, "text": 5}),
                "segments[1].text must be a string, found a number",
            ),
            (
                json!({"speaker": "A", "start": 0, "end": 1, "text": "x", "confidence": 1.5}),
                "segments[1].confidence must be a number from 0 to 1, found a number",
            ),
            (json!("nope"), "segments[1] must be an object, found a string"),
        ];
        for (bad, message) in cases {
            let err = from_value(&json!({"schema_version": 1, "segments": [ok.clone(), bad]})).unwrap_err();
            assert_eq!(err.message, message);
            assert_eq!(err.line, None);
        }
    }

    #[test]
    fn checks_the_document_fields() {
        let err = from_value(&json!({"schema_version": 1, "source_format": "mp3", "segments": []})).unwrap_err();
        assert_eq!(
            err.message,
            "source_format is not one of `amazon_transcribe`, `web_vtt`, `srt`, `plain_text`, `canonical`, `speech`, \
             `zoom_vtt`, `zoom_text`, `teams_vtt`, `teams_docx`, `google_meet_text`, `google_meet_docx`, `otter_text`, \
             `otter_docx`, `otter_srt`, `rev_text`, `rev_json`, `youtube_sbv`, `assembly_ai`, `deepgram`, `whisper_json`, \
             `transcribe_call_analytics`, `word_document`"
        );
        let err = from_value(&json!({"schema_version": 1, "segments": {}})).unwrap_err();
        assert_eq!(err.message, "`segments` must be an array");
        let err = from_value(&json!({"schema_version": 1, "segments": []})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "transcript.json: the transcript has no segments with text"
        );
        let err = from_value(&json!({"schema_version": 1, "notes": [1], "segments": []})).unwrap_err();
        assert_eq!(err.message, "notes[0] must be a string, found a number");
    }
}
