//! Amazon Transcribe Call Analytics output: a top-level `Transcript` array of turns with
//! `ParticipantRole` (`AGENT`, `CUSTOMER`), `Content` and `BeginOffsetMillis`/`EndOffsetMillis`.

use serde::Deserialize;

use super::rev::checked_span;
use super::{finish, json_error, ParseError, Segment, SpeakerRole, Transcript, TranscriptFormat};

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::TranscribeCallAnalytics;

/// The parts read.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawDocument {
    transcript: Vec<RawTurn>,
    #[serde(default)]
    language_code: Option<String>,
}

/// `Transcript[]`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTurn {
    #[serde(default)]
    participant_role: Option<String>,
    content: String,
    begin_offset_millis: f64,
    end_offset_millis: f64,
}

/// Reads Call Analytics output: one segment per turn, the speaker its role in title case
/// (`Agent`, `Customer`; `Speaker` when absent), times from the millisecond offsets.
/// `LanguageCode` gives the language; sentiment, categories and loudness are ignored.
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let document: RawDocument = serde_json::from_str(text).map_err(|err| json_error(FORMAT, &err, text))?;
    let mut segments = Vec::with_capacity(document.transcript.len());
    for (index, turn) in document.transcript.iter().enumerate() {
        let (start, end) = checked_span(
            FORMAT,
            turn.begin_offset_millis / 1000.0,
            turn.end_offset_millis / 1000.0,
            || format!("Transcript[{index}]"),
        )?;
        segments.push(Segment {
            speaker: role_name(turn.participant_role.as_deref().unwrap_or("")),
            start,
            end,
            text: turn.content.trim().to_string(),
            confidence: None,
        });
    }
    let mut transcript = finish(FORMAT, segments, document.language_code, Vec::new())?;
    transcript.roles = transcript
        .speakers()
        .into_iter()
        .filter_map(|speaker| Some((speaker.to_string(), source_role(speaker)?)))
        .collect();
    Ok(transcript)
}

/// The role Call Analytics' participant role stands for: the agent leads the call as an
/// interviewer does, the customer is the one whose words are evidence.
fn source_role(speaker: &str) -> Option<SpeakerRole> {
    match speaker {
        "Agent" => Some(SpeakerRole::Interviewer),
        "Customer" => Some(SpeakerRole::Participant),
        _ => None,
    }
}

/// `AGENT` → `Agent`; an empty role is `Speaker`.
fn role_name(role: &str) -> String {
    let role = role.trim();
    let mut chars = role.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => "Speaker".to_string(),
    }
}
