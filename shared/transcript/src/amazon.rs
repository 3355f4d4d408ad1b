//! Amazon Transcribe batch output (`{"jobName", "results": {"items", "speaker_labels", …}}`).
//!
//! Transcribe writes times as strings (`"4.87"`); punctuation items have no times and belong to
//! the word before them. Long recordings give tens of thousands of items, so every step here is
//! a single pass (the speaker assignment is a merge of two time-ordered lists).

use std::fmt;

use serde::de::{Deserializer, Visitor};
use serde::Deserialize;

use super::{finish, json_error, ParseError, Segment, Transcript, TranscriptFormat};

#[path = "amazon_channels.rs"]
mod channels;

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::AmazonTranscribe;
/// The speaker of output without speaker labels, named as Transcribe names its first speaker.
const UNLABELLED_SPEAKER: &str = "spk_0";
/// Slack when comparing a word's start to a speaker segment's start (times have 2–3 decimals).
const TIME_SLACK: f64 = 1e-6;
/// The note for output without any speaker labels.
pub(crate) const NO_LABELS_NOTE: &str =
    "the Transcribe output has no speaker labels: everything is attributed to spk_0, split into sentences";

/// The parts of the output file this reader uses; everything else is skipped unread.
#[derive(Deserialize)]
struct RawDocument {
    results: RawResults,
}

/// `results`.
#[derive(Deserialize)]
struct RawResults {
    #[serde(default)]
    language_code: Option<String>,
    #[serde(default)]
    items: Option<Vec<RawItem>>,
    #[serde(default)]
    speaker_labels: Option<RawSpeakerLabels>,
    #[serde(default)]
    audio_segments: Option<Vec<RawAudioSegment>>,
    #[serde(default)]
    channel_labels: Option<channels::RawChannelLabels>,
}

/// `results.items[]`: a word or a punctuation mark.
#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    start_time: Option<RawNumber>,
    #[serde(default)]
    end_time: Option<RawNumber>,
    #[serde(default)]
    alternatives: Option<Vec<RawAlternative>>,
    #[serde(default)]
    speaker_label: Option<String>,
    #[serde(default)]
    channel_label: Option<String>,
}

/// `results.items[].alternatives[]`.
#[derive(Deserialize)]
struct RawAlternative {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    confidence: Option<RawNumber>,
}

/// `results.speaker_labels`.
#[derive(Deserialize)]
struct RawSpeakerLabels {
    #[serde(default)]
    segments: Option<Vec<RawSpeakerSegment>>,
}

/// `results.speaker_labels.segments[]` (its per-word `items` copy is skipped).
#[derive(Deserialize)]
struct RawSpeakerSegment {
    #[serde(default)]
    start_time: Option<RawNumber>,
    #[serde(default)]
    end_time: Option<RawNumber>,
    #[serde(default)]
    speaker_label: Option<String>,
}

/// `results.audio_segments[]`.
#[derive(Deserialize)]
struct RawAudioSegment {
    #[serde(default)]
    transcript: Option<String>,
    #[serde(default)]
    start_time: Option<RawNumber>,
    #[serde(default)]
    end_time: Option<RawNumber>,
    #[serde(default)]
    speaker_label: Option<String>,
    #[serde(default)]
    channel_label: Option<String>,
    /// Ids of the items the segment is made of; anything but a whole number is ignored.
    #[serde(default)]
    items: Option<Vec<serde_json::Value>>,
}

/// A number as Transcribe writes it: a string (`"4.87"`) or, from other tools, a JSON number.
/// Kept as written when it is not a finite number, for the error's excerpt.
enum RawNumber {
    Number(f64),
    NotANumber {
        /// The JSON type found, for the message.
        json_type: &'static str,
        /// The value as written, for the excerpt only.
        written: String,
    },
}

impl<'de> Deserialize<'de> for RawNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawNumberVisitor)
    }
}

/// Accepts strings, numbers and booleans; other JSON values are a shape error.
struct RawNumberVisitor;

impl Visitor<'_> for RawNumberVisitor {
    type Value = RawNumber;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string holding one")
    }

    fn visit_str<E>(self, text: &str) -> Result<RawNumber, E> {
        Ok(match text.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => RawNumber::Number(n),
            _ => RawNumber::NotANumber {
                json_type: "a string",
                written: text.to_string(),
            },
        })
    }

    fn visit_f64<E>(self, n: f64) -> Result<RawNumber, E> {
        Ok(RawNumber::Number(n))
    }

    fn visit_u64<E>(self, n: u64) -> Result<RawNumber, E> {
        Ok(RawNumber::Number(n as f64))
    }

    fn visit_i64<E>(self, n: i64) -> Result<RawNumber, E> {
        Ok(RawNumber::Number(n as f64))
    }

    fn visit_bool<E>(self, b: bool) -> Result<RawNumber, E> {
        Ok(RawNumber::NotANumber {
            json_type: "a boolean",
            written: b.to_string(),
        })
    }
}

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A spoken word with its times.
    Word { start: f64, end: f64 },
    /// Punctuation, attached to the word before it.
    Punctuation,
}

/// One entry of `results.items`, validated.
#[derive(Debug)]
struct Item<'a> {
    /// The item's `id`, or its position when it has none.
    id: usize,
    kind: Kind,
    content: &'a str,
    confidence: Option<f32>,
    /// The item's own `speaker_label` (or `channel_label`), when Transcribe put one on it.
    label: Option<&'a str>,
}

/// One entry of `results.speaker_labels.segments`, validated.
#[derive(Debug)]
struct SpeakerTurn<'a> {
    start: f64,
    label: &'a str,
}

/// Reads Amazon Transcribe output into a transcript.
///
/// - `results.audio_segments`, when present and non-empty, gives the segments directly
///   (`transcript`, `start_time`, `end_time`, `speaker_label`; confidence is the mean of the
///   words its `items` ids point to).
/// - Otherwise words from `results.items` are grouped: each speaker segment in
///   `results.speaker_labels.segments` becomes one segment, words assigned to the segment that
///   started last at or before the word (a word in a gap stays with the segment before it); a
///   word's own `speaker_label` wins over that segment's label. Times come from the words.
/// - With no speaker labels at all, everything is `spk_0`, split at sentence-ending punctuation,
///   and a note says so.
///
/// `results.language_code` gives the language. The file is deserialized straight into the few
/// fields used (no JSON tree is built), so a 4-hour output costs little memory. Value errors
/// name the JSON path; a wrong JSON type is reported with its line and column.
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let document: RawDocument = serde_json::from_str(text).map_err(|err| json_error(FORMAT, &err, text))?;
    let results = document.results;
    let mut items = read_items(results.items.as_deref().unwrap_or_default(), "results.items")?;
    if items.iter().all(|item| item.label.is_none()) {
        // Channel identification: each channel's words carry its label (one speaker per channel).
        if let Some(from_channels) = channels::items(results.channel_labels.as_ref())? {
            items = from_channels;
        }
    }
    let audio_segments = results.audio_segments.as_deref().unwrap_or_default();
    let mut notes = Vec::new();
    let segments = if audio_segments.is_empty() {
        let raw_turns = results
            .speaker_labels
            .as_ref()
            .and_then(|labels| labels.segments.as_deref())
            .unwrap_or_default();
        let turns = read_speaker_turns(raw_turns)?;
        let unlabelled = turns.is_empty() && items.iter().all(|item| item.label.is_none());
        if unlabelled && !items.is_empty() {
            notes.push(NO_LABELS_NOTE.to_string());
        }
        group_words(&items, &turns, unlabelled)
    } else {
        from_audio_segments(audio_segments, &items)?
    };
    finish(FORMAT, segments, results.language_code, notes)
}

/// Validates every item once, keeping borrowed text; `at` is the array's JSON path.
fn read_items<'a>(raw: &'a [RawItem], at: &str) -> Result<Vec<Item<'a>>, ParseError> {
    let mut items = Vec::with_capacity(raw.len());
    for (index, item) in raw.iter().enumerate() {
        let path = || format!("{at}[{index}]");
        let alternative = item
            .alternatives
            .as_deref()
            .and_then(<[RawAlternative]>::first)
            .ok_or_else(|| fail(format!("{}.alternatives[0] is missing", path())))?;
        let content = alternative
            .content
            .as_deref()
            .ok_or_else(|| fail(format!("{}.alternatives[0].content is missing", path())))?;
        let confidence = match &alternative.confidence {
            None => None,
            Some(raw) => Some(number(Some(raw), || format!("{}.alternatives[0].confidence", path()))? as f32),
        };
        let kind = match item.kind.as_deref() {
            Some("pronunciation") => word_times(&item.start_time, &item.end_time, path)?,
            Some("punctuation") => Kind::Punctuation,
            Some(other) => {
                return Err(
                    fail(format!("{}.type is neither `pronunciation` nor `punctuation`", path())).with_excerpt(other),
                )
            }
            None if item.start_time.is_some() => word_times(&item.start_time, &item.end_time, path)?,
            None => Kind::Punctuation,
        };
        let label = item.speaker_label.as_deref().or(item.channel_label.as_deref());
        let id = item.id.and_then(|id| usize::try_from(id).ok()).unwrap_or(index);
        items.push(Item {
            id,
            kind,
            content,
            confidence,
            label,
        });
    }
    Ok(items)
}

/// A word's `start_time` and `end_time`, checked.
fn word_times(
    start: &Option<RawNumber>,
    end: &Option<RawNumber>,
    path: impl Fn() -> String,
) -> Result<Kind, ParseError> {
    let (start, end) = span(start, end, path)?;
    Ok(Kind::Word { start, end })
}

/// `start_time` and `end_time` of an item or segment: present, non-negative, in order.
fn span(
    start: &Option<RawNumber>,
    end: &Option<RawNumber>,
    path: impl Fn() -> String,
) -> Result<(f64, f64), ParseError> {
    let start = time(start.as_ref(), || format!("{}.start_time", path()))?;
    let end = time(end.as_ref(), || format!("{}.end_time", path()))?;
    if end < start {
        return Err(fail(format!("{} ends ({end}) before it starts ({start})", path())));
    }
    Ok((start, end))
}

/// A time field: present, a number, not negative.
fn time(raw: Option<&RawNumber>, path: impl Fn() -> String) -> Result<f64, ParseError> {
    let seconds = number(raw, &path)?;
    if seconds < 0.0 {
        return Err(fail(format!("{} is negative", path())).with_excerpt(&seconds.to_string()));
    }
    Ok(seconds)
}

/// A present, finite number; the path is only formatted for an error.
fn number(raw: Option<&RawNumber>, path: impl Fn() -> String) -> Result<f64, ParseError> {
    match raw {
        Some(RawNumber::Number(n)) => Ok(*n),
        Some(RawNumber::NotANumber { json_type, written }) => Err(fail(format!(
            "{} is not a number (found {json_type} that is not one)",
            path()
        ))
        .with_excerpt(written)),
        None => Err(fail(format!("{} is missing", path()))),
    }
}

/// `results.speaker_labels.segments`, validated and sorted by start.
fn read_speaker_turns(raw: &[RawSpeakerSegment]) -> Result<Vec<SpeakerTurn<'_>>, ParseError> {
    let mut turns = Vec::with_capacity(raw.len());
    for (index, segment) in raw.iter().enumerate() {
        let path = || format!("results.speaker_labels.segments[{index}]");
        let (start, _) = span(&segment.start_time, &segment.end_time, path)?;
        let label = segment
            .speaker_label
            .as_deref()
            .ok_or_else(|| fail(format!("{}.speaker_label is missing", path())))?;
        turns.push(SpeakerTurn { start, label });
    }
    turns.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(turns)
}

/// A segment being built from consecutive words.
struct Builder<'a> {
    label: &'a str,
    turn: Option<usize>,
    start: f64,
    end: f64,
    text: String,
    confidence_sum: f64,
    confidence_count: u32,
    sentence_ended: bool,
}

impl Builder<'_> {
    fn into_segment(self) -> Segment {
        let confidence =
            (self.confidence_count > 0).then(|| (self.confidence_sum / f64::from(self.confidence_count)) as f32);
        Segment {
            speaker: self.label.to_string(),
            start: self.start,
            end: self.end,
            text: self.text,
            confidence,
        }
    }
}

/// Groups words (and their punctuation) into segments as documented on [`parse`].
fn group_words(items: &[Item<'_>], turns: &[SpeakerTurn<'_>], split_sentences: bool) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut current: Option<Builder<'_>> = None;
    let mut turn_cursor = 0;
    for item in items {
        match item.kind {
            Kind::Punctuation => {
                // Punctuation before the first word has nothing to attach to.
                if let Some(builder) = current.as_mut() {
                    builder.text.push_str(item.content);
                    if split_sentences && ends_sentence(item.content) {
                        builder.sentence_ended = true;
                    }
                }
            }
            Kind::Word { start, end } => {
                let turn = (!turns.is_empty()).then(|| advance(turns, &mut turn_cursor, start));
                let label = item
                    .label
                    .or_else(|| turn.map(|t| turns[t].label))
                    .unwrap_or(UNLABELLED_SPEAKER);
                let continues = current
                    .as_ref()
                    .is_some_and(|b| b.label == label && b.turn == turn && !b.sentence_ended);
                if !continues {
                    segments.extend(current.take().map(Builder::into_segment));
                }
                let builder = current.get_or_insert_with(|| Builder {
                    label,
                    turn,
                    start,
                    end,
                    text: String::new(),
                    confidence_sum: 0.0,
                    confidence_count: 0,
                    sentence_ended: false,
                });
                if !builder.text.is_empty() {
                    builder.text.push(' ');
                }
                builder.text.push_str(item.content);
                builder.end = builder.end.max(end);
                if let Some(confidence) = item.confidence {
                    builder.confidence_sum += f64::from(confidence);
                    builder.confidence_count += 1;
                }
            }
        }
    }
    segments.extend(current.map(Builder::into_segment));
    segments
}

/// The index of the speaker turn that started last at or before `start`.
///
/// Words come in time order, so the cursor only moves forward (a merge, linear overall); a word
/// earlier than the cursor's turn (out-of-order output) falls back to a binary search.
fn advance(turns: &[SpeakerTurn<'_>], cursor: &mut usize, start: f64) -> usize {
    if turns[*cursor].start > start + TIME_SLACK && *cursor > 0 {
        *cursor = turns
            .partition_point(|t| t.start <= start + TIME_SLACK)
            .saturating_sub(1);
    }
    while *cursor + 1 < turns.len() && turns[*cursor + 1].start <= start + TIME_SLACK {
        *cursor += 1;
    }
    *cursor
}

/// Whether a punctuation item ends a sentence.
fn ends_sentence(content: &str) -> bool {
    matches!(content, "." | "?" | "!" | "…" | "。" | "？" | "！")
}

/// Segments from `results.audio_segments`.
fn from_audio_segments(raw: &[RawAudioSegment], items: &[Item<'_>]) -> Result<Vec<Segment>, ParseError> {
    // Word confidences by item id, for the mean over each segment's `items`; ids far beyond the
    // item count are ignored rather than allocated for.
    let mut confidence_by_id: Vec<Option<f32>> = Vec::new();
    for item in items {
        if let (Kind::Word { .. }, Some(confidence)) = (item.kind, item.confidence) {
            if item.id <= items.len() * 2 {
                if confidence_by_id.len() <= item.id {
                    confidence_by_id.resize(item.id + 1, None);
                }
                confidence_by_id[item.id] = Some(confidence);
            }
        }
    }
    let mut segments = Vec::with_capacity(raw.len());
    for (index, segment) in raw.iter().enumerate() {
        let path = || format!("results.audio_segments[{index}]");
        let text = segment
            .transcript
            .as_deref()
            .ok_or_else(|| fail(format!("{}.transcript is missing", path())))?;
        let (start, end) = span(&segment.start_time, &segment.end_time, path)?;
        let speaker = segment
            .speaker_label
            .as_deref()
            .or(segment.channel_label.as_deref())
            .unwrap_or(UNLABELLED_SPEAKER)
            .to_string();
        let confidences: Vec<f32> = segment
            .items
            .iter()
            .flatten()
            .filter_map(serde_json::Value::as_u64)
            .filter_map(|id| usize::try_from(id).ok())
            .filter_map(|id| confidence_by_id.get(id).copied().flatten())
            .collect();
        let confidence = (!confidences.is_empty()).then(|| confidences.iter().sum::<f32>() / confidences.len() as f32);
        segments.push(Segment {
            speaker,
            start,
            end,
            text: text.trim().to_string(),
            confidence,
        });
    }
    Ok(segments)
}

/// An error at a JSON path.
fn fail(message: impl Into<String>) -> ParseError {
    ParseError::new(FORMAT, message)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn word(start: &str, end: &str, content: &str) -> Value {
        json!({"type": "pronunciation", "start_time": start, "end_time": end,
               "alternatives": [{"confidence": "0.9", "content": content}]})
    }

    fn labelled(start: &str, end: &str, content: &str, label: &str) -> Value {
        let mut w = word(start, end, content);
        w["speaker_label"] = json!(label);
        w
    }

    fn punct(content: &str) -> Value {
        json!({"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": content}]})
    }

    fn rows(t: &Transcript) -> Vec<(&str, f64, f64, &str)> {
        t.segments
            .iter()
            .map(|s| (s.speaker.as_str(), s.start, s.end, s.text.as_str()))
            .collect()
    }

    #[test]
    fn groups_words_by_speaker_segments_in_time() {
        let doc = json!({
            "jobName": "j", "accountId": "1", "status": "COMPLETED",
            "results": {
                "language_code": "en-US",
                "transcripts": [{"transcript": "Hi, Rosa. Hello! Welcome."}],
                "speaker_labels": {"channel_label": "ch_0", "speakers": 2, "segments": [
                    {"start_time": "0.5", "end_time": "1.4", "speaker_label": "spk_0", "items": []},
                    {"start_time": "2.0", "end_time": "2.6", "speaker_label": "spk_1", "items": []},
                    {"start_time": "3.0", "end_time": "3.5", "speaker_label": "spk_0", "items": []}
                ]},
                "items": [
                    word("0.5", "0.8", "Hi"), punct(","), word("0.9", "1.4", "Rosa"), punct("."),
                    word("2.0", "2.6", "Hello"), punct("!"),
                    word("2.8", "2.9", "um"),
                    word("3.0", "3.5", "Welcome"), punct(".")
                ]
            }
        });
        let t = parse(&doc.to_string()).unwrap();
        assert_eq!(t.language.as_deref(), Some("en-US"));
        assert_eq!(
            rows(&t),
            vec![
                ("spk_0", 0.5, 1.4, "Hi, Rosa."),
                ("spk_1", 2.0, 2.9, "Hello! um"),
                ("spk_0", 3.0, 3.5, "Welcome."),
            ]
        );
        assert_eq!(t.segments[0].confidence, Some(0.9));
        assert!(t.notes.is_empty());
    }

    #[test]
    fn an_items_own_label_wins() {
        let doc = json!({"results": {"items": [
            labelled("0.0", "0.4", "Yes", "spk_1"), punct("."),
            labelled("0.5", "0.9", "No", "spk_0"), labelled("1.0", "1.2", "way", "spk_0")
        ]}});
        let t = parse(&doc.to_string()).unwrap();
        assert_eq!(
            rows(&t),
            vec![("spk_1", 0.0, 0.4, "Yes."), ("spk_0", 0.5, 1.2, "No way")]
        );
    }

    #[test]
    fn without_labels_splits_sentences_under_spk_0() {
        let doc = json!({"jobName": "j", "results": {"items": [
            punct("."), word("0.0", "0.3", "We"), word("0.3", "0.6", "bake"), punct("."),
            word("1.0", "1.2", "Daily"), punct("?"), punct("!"), word("1.5", "1.9", "Yes")
        ]}});
        let t = parse(&doc.to_string()).unwrap();
        assert_eq!(
            rows(&t),
            vec![
                ("spk_0", 0.0, 0.6, "We bake."),
                ("spk_0", 1.0, 1.2, "Daily?!"),
                ("spk_0", 1.5, 1.9, "Yes")
            ]
        );
        assert_eq!(t.notes, vec![NO_LABELS_NOTE.to_string()]);
    }

    #[test]
    fn audio_segments_win_when_present() {
        let doc = json!({"jobName": "j", "results": {
            "items": [
                {"id": 0, "type": "pronunciation", "start_time": "0.1", "end_time": "0.4", "speaker_label": "spk_0",
                 "alternatives": [{"confidence": "0.8", "content": "Hi"}]},
                {"id": 1, "type": "punctuation", "alternatives": [{"confidence": "0.0", "content": "."}]},
                {"id": 2, "type": "pronunciation", "start_time": "1.0", "end_time": "1.5", "speaker_label": "spk_1",
                 "alternatives": [{"confidence": "0.6", "content": "Hello"}]}
            ],
            "audio_segments": [
                {"id": 1, "transcript": "Hello", "start_time": "1.0", "end_time": "1.5", "speaker_label": "spk_1", "items": [2]},
                {"id": 0, "transcript": " Hi. ", "start_time": "0.1", "end_time": "0.4", "speaker_label": "spk_0", "items": [0, 1]},
                {"id": 2, "transcript": "", "start_time": "2.0", "end_time": "2.0", "items": []}
            ]
        }});
        let t = parse(&doc.to_string()).unwrap();
        assert_eq!(rows(&t), vec![("spk_0", 0.1, 0.4, "Hi."), ("spk_1", 1.0, 1.5, "Hello")]);
        assert_eq!(t.segments[0].confidence, Some(0.8));
        assert_eq!(t.segments[1].confidence, Some(0.6));
    }

    #[test]
    fn out_of_order_words_still_find_their_speaker() {
        let doc = json!({"results": {
            "speaker_labels": {"segments": [
                {"start_time": "0", "end_time": "1", "speaker_label": "A"},
                {"start_time": "5", "end_time": "6", "speaker_label": "B"}
            ]},
            "items": [word("5.0", "5.5", "late"), word("0.2", "0.5", "early")]
        }});
        let t = parse(&doc.to_string()).unwrap();
        assert_eq!(rows(&t), vec![("A", 0.2, 0.5, "early"), ("B", 5.0, 5.5, "late")]);
    }

    #[test]
    fn errors_name_the_json_path() {
        let cases = [
            (
                json!({"results": {"items": [word("0", "1", "a"), word("abc", "2", "b")]}}),
                "Amazon Transcribe JSON: results.items[1].start_time is not a number (found a string that is not one)",
            ),
            (
                json!({"results": {"items": [{"type": "pronunciation", "end_time": "1", "alternatives": [{"content": "a"}]}]}}),
                "Amazon Transcribe JSON: results.items[0].start_time is missing",
            ),
            (
                json!({"results": {"items": [word("2", "1", "a")]}}),
                "Amazon Transcribe JSON: results.items[0] ends (1) before it starts (2)",
            ),
            (
                json!({"results": {"items": [word("-1", "1", "a")]}}),
                "Amazon Transcribe JSON: results.items[0].start_time is negative",
            ),
            (
                json!({"results": {"items": [{"type": "pronunciation", "start_time": "0", "end_time": "1"}]}}),
                "Amazon Transcribe JSON: results.items[0].alternatives[0] is missing",
            ),
            (
                json!({"results": {"items": [{"type": "speech", "alternatives": [{"content": "a"}]}]}}),
                "Amazon Transcribe JSON: results.items[0].type is neither `pronunciation` nor `punctuation`",
            ),
            (
                json!({"results": {"items": {}}}),
                "Amazon Transcribe JSON, line 1: unexpected JSON shape (column 20): found an object, expected a sequence",
            ),
            (
                json!({"results": {"items": [word("0", "1", "a")], "speaker_labels": {"segments": [{"start_time": "0", "end_time": "1"}]}}}),
                "Amazon Transcribe JSON: results.speaker_labels.segments[0].speaker_label is missing",
            ),
            (
                json!({"results": {"items": [{"type": "pronunciation", "start_time": "0", "end_time": true,
                                              "alternatives": [{"content": "a"}]}]}}),
                "Amazon Transcribe JSON: results.items[0].end_time is not a number (found a boolean that is not one)",
            ),
            (
                json!({"results": {"items": [{"type": "pronunciation", "start_time": "0", "end_time": "1",
                                              "alternatives": [{"content": "a", "confidence": "high"}]}]}}),
                "Amazon Transcribe JSON: results.items[0].alternatives[0].confidence is not a number (found a string that is not one)",
            ),
            (
                json!({"results": {"items": [], "audio_segments": [{"start_time": "0", "end_time": "1"}]}}),
                "Amazon Transcribe JSON: results.audio_segments[0].transcript is missing",
            ),
            (
                json!({"results": {"items": [word("0", "1", "a")], "speaker_labels": {"segments": [{"start_time": "0", "end_time": "x"}]}}}),
                "Amazon Transcribe JSON: results.speaker_labels.segments[0].end_time is not a number (found a string that is not one)",
            ),
            (
                json!({"results": {"items": []}}),
                "Amazon Transcribe JSON: the output has no words (no items and no audio segments with text)",
            ),
            (json!({"jobName": "j"}),
             "Amazon Transcribe JSON, line 1: unexpected JSON shape (column 15): missing field `results`"),
        ];
        for (doc, message) in cases {
            assert_eq!(parse(&doc.to_string()).unwrap_err().to_string(), message);
        }
    }
}
