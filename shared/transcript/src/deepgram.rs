//! Deepgram's response JSON: `results.utterances` (with `utterances=true`) or, without them, the
//! words of each `results.channels[].alternatives[0]` with integer `speaker` numbers (with
//! `diarize=true`).

use serde::Deserialize;

use super::rev::checked_span;
use super::{finish, json_error, ParseError, Segment, Transcript, TranscriptFormat};

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::Deepgram;

/// The parts read.
#[derive(Deserialize)]
struct RawDocument {
    results: RawResults,
}

/// `results`.
#[derive(Deserialize)]
struct RawResults {
    #[serde(default)]
    utterances: Option<Vec<RawUtterance>>,
    #[serde(default)]
    channels: Vec<RawChannel>,
}

/// `results.utterances[]`.
#[derive(Deserialize)]
struct RawUtterance {
    start: f64,
    end: f64,
    transcript: String,
    #[serde(default)]
    speaker: Option<u64>,
    #[serde(default)]
    channel: Option<u64>,
    #[serde(default)]
    confidence: Option<f64>,
}

/// `results.channels[]`.
#[derive(Deserialize)]
struct RawChannel {
    #[serde(default)]
    alternatives: Vec<RawAlternative>,
    #[serde(default)]
    detected_language: Option<String>,
}

/// `results.channels[].alternatives[]`.
#[derive(Deserialize)]
struct RawAlternative {
    #[serde(default)]
    words: Vec<RawWord>,
}

/// `…alternatives[].words[]`.
#[derive(Deserialize)]
struct RawWord {
    word: String,
    #[serde(default)]
    punctuated_word: Option<String>,
    start: f64,
    end: f64,
    #[serde(default)]
    speaker: Option<u64>,
}

/// Reads Deepgram JSON. Utterances, when present, are the segments (`Speaker <n>`; without
/// diarization, `Channel <n>` on multichannel audio, else `Speaker 0`). Otherwise the first
/// alternative's words of each channel are grouped into runs by speaker, using
/// `punctuated_word` when there is one. The first channel's `detected_language` gives the
/// language.
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let document: RawDocument = serde_json::from_str(text).map_err(|err| json_error(FORMAT, &err, text))?;
    let results = document.results;
    let multichannel = results.channels.len() > 1;
    let name = |speaker: Option<u64>, channel: u64| match speaker {
        Some(n) => format!("Speaker {n}"),
        None if multichannel => format!("Channel {channel}"),
        None => "Speaker 0".to_string(),
    };
    let mut segments = Vec::new();
    match results.utterances.as_deref() {
        Some(utterances) if !utterances.is_empty() => {
            for (index, u) in utterances.iter().enumerate() {
                let (start, end) = checked_span(FORMAT, u.start, u.end, || format!("results.utterances[{index}]"))?;
                segments.push(Segment {
                    speaker: name(u.speaker, u.channel.unwrap_or(0)),
                    start,
                    end,
                    text: u.transcript.trim().to_string(),
                    confidence: u.confidence.filter(|c| (0.0..=1.0).contains(c)).map(|c| c as f32),
                });
            }
        }
        _ => {
            for (c, channel) in results.channels.iter().enumerate() {
                let Some(alternative) = channel.alternatives.first() else {
                    continue;
                };
                let mut current: Option<Segment> = None;
                for (index, word) in alternative.words.iter().enumerate() {
                    let path = || format!("results.channels[{c}].alternatives[0].words[{index}]");
                    let (start, end) = checked_span(FORMAT, word.start, word.end, path)?;
                    let speaker = name(word.speaker, c as u64);
                    let text = word.punctuated_word.as_deref().unwrap_or(&word.word).trim();
                    match current.as_mut().filter(|s| s.speaker == speaker) {
                        Some(segment) => {
                            segment.text.push(' ');
                            segment.text.push_str(text);
                            segment.end = segment.end.max(end);
                        }
                        None => {
                            segments.extend(current.take());
                            current = Some(Segment {
                                speaker,
                                start,
                                end,
                                text: text.to_string(),
                                confidence: None,
                            });
                        }
                    }
                }
                segments.extend(current);
            }
        }
    }
    let language = results.channels.first().and_then(|c| c.detected_language.clone());
    finish(FORMAT, segments, language, Vec::new())
}
