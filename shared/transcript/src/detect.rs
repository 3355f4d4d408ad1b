//! Which transcript format a file is in, decided by its content; the file name only breaks ties.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::TranscriptFormat;

/// File extensions that may hold a transcript, lower case.
const TRANSCRIPT_EXTENSIONS: &[&str] = &["vtt", "srt", "txt", "json", "sbv", "docx"];

/// Whether a file name (or S3 key) has a transcript extension: `.vtt`, `.srt`, `.txt`,
/// `.json`, `.sbv` or `.docx`, in any letter case. Used to route uploads; the content still decides the format.
pub fn is_transcript_name(file_name: &str) -> bool {
    extension(file_name).is_some_and(|ext| TRANSCRIPT_EXTENSIONS.contains(&ext.as_str()))
}

/// The lower-cased extension of the last path component, if it has one.
fn extension(file_name: &str) -> Option<String> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let (stem, ext) = base.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// The format an extension suggests, used to break ties and to label errors found before
/// the content could say (`.json` suggests Amazon Transcribe output, the usual JSON upload).
pub(crate) fn format_from_name(file_name: &str) -> Option<TranscriptFormat> {
    match extension(file_name)?.as_str() {
        "vtt" => Some(TranscriptFormat::WebVtt),
        "srt" => Some(TranscriptFormat::Srt),
        "txt" => Some(TranscriptFormat::PlainText),
        "json" => Some(TranscriptFormat::AmazonTranscribe),
        "sbv" => Some(TranscriptFormat::YoutubeSbv),
        "docx" => Some(TranscriptFormat::WordDocument),
        _ => None,
    }
}

/// Guesses the format of a transcript file.
///
/// `bytes` are decoded as [`super::parse_transcript`] does (a `.docx` by its text, any Unicode
/// form, legacy encodings by detection); a binary file, an empty one, and JSON of an unknown
/// shape give `None`. The rules, in order (docs/formats.md has the full table):
/// 1. starts with `{` (or is a JSON array): an object with `results` and either `jobName` or
///    `results.items` is Amazon Transcribe output; one with `schema_version` and `segments` is
///    the project's transcript.json; any other JSON, or text that starts with `{` but is not
///    valid JSON, is `None`;
/// 2. first line starts with `WEBVTT`: WebVTT;
/// 3. first non-empty line is a number and the next line holds `-->`, or the first non-empty
///    line holds `-->` and a time with a comma decimal (`00:00:01,000`): SRT;
/// 4. first non-empty line holds `-->` (a caption file without either marker): WebVTT when the
///    name ends in `.vtt`, else SRT (whose reader accepts `.` decimals and missing numbers);
/// 5. otherwise a `.vtt` or `.srt` name picks that format (so the reader reports what is wrong
///    with the file), and everything else is plain text.
pub fn detect_format(bytes: &[u8], file_name: &str) -> Option<TranscriptFormat> {
    if super::docx::is_zip(bytes) {
        return super::docx::text(bytes).and_then(|text| docx_format(&text)).ok();
    }
    let decoded = super::encoding::decode(bytes).ok()?;
    match classify(&decoded.text, file_name) {
        Classified::Text(format) | Classified::Json(format) => Some(format),
        Classified::Empty | Classified::OtherJson | Classified::BadJson(..) => None,
    }
}

/// What [`classify`] found.
pub(crate) enum Classified {
    /// Nothing but whitespace.
    Empty,
    /// A text format; parse the text with it.
    Text(TranscriptFormat),
    /// A JSON format (the document is valid JSON).
    Json(TranscriptFormat),
    /// Valid JSON of another shape.
    OtherJson,
    /// Starts like JSON but does not parse; the format its keys suggest labels the error.
    BadJson(TranscriptFormat, serde_json::Error),
}

/// Applies the rules documented on [`detect_format`] to decoded text.
///
/// JSON is only scanned here (values are skipped, nothing is built), so detecting a
/// multi-megabyte Transcribe output costs a fraction of parsing it.
pub(crate) fn classify(text: &str, file_name: &str) -> Classified {
    let trimmed = text.trim_start();
    let Some(first_char) = trimmed.chars().next() else {
        return Classified::Empty;
    };
    if first_char == '{' || first_char == '[' {
        match serde_json::from_str::<JsonShape>(trimmed) {
            Ok(shape) => return shape.format().map_or(Classified::OtherJson, Classified::Json),
            Err(err) if first_char == '{' => return Classified::BadJson(broken_json_format(trimmed), err),
            // `[00:01:02] Rosa: …` is a plain-text line, not a broken JSON array.
            Err(_) => {}
        }
    }
    Classified::Text(text_format(text, file_name))
}

/// The format JSON that does not parse most likely meant to be, from the keys it mentions, so
/// the syntax error is labelled with it.
fn broken_json_format(text: &str) -> TranscriptFormat {
    let has = |key: &str| text.contains(key);
    if has("\"schema_version\"") {
        TranscriptFormat::Canonical
    } else if has("\"ParticipantRole\"") {
        TranscriptFormat::TranscribeCallAnalytics
    } else if has("\"monologues\"") {
        TranscriptFormat::RevJson
    } else if has("\"audio_url\"") {
        TranscriptFormat::AssemblyAi
    } else if has("\"jobName\"") || has("\"items\"") {
        TranscriptFormat::AmazonTranscribe
    } else if has("\"channels\"") {
        TranscriptFormat::Deepgram
    } else if has("\"segments\"") {
        TranscriptFormat::WhisperJson
    } else {
        TranscriptFormat::AmazonTranscribe
    }
}

/// The top-level keys that tell the JSON formats apart.
#[derive(Debug, Default)]
struct JsonShape {
    job_name: bool,
    results: ResultsShape,
    schema_version: bool,
    segments: bool,
    /// Call Analytics' `Transcript` array.
    call_transcript: bool,
    monologues: bool,
    utterances: bool,
    audio_url: bool,
}

impl JsonShape {
    /// Rule 1 of [`detect_format`].
    fn format(&self) -> Option<TranscriptFormat> {
        if self.results.object && (self.job_name || self.results.items) {
            Some(TranscriptFormat::AmazonTranscribe)
        } else if self.schema_version && self.segments {
            Some(TranscriptFormat::Canonical)
        } else if self.call_transcript {
            Some(TranscriptFormat::TranscribeCallAnalytics)
        } else if self.monologues {
            Some(TranscriptFormat::RevJson)
        } else if self.utterances || self.audio_url {
            Some(TranscriptFormat::AssemblyAi)
        } else if self.results.object && self.results.deepgram {
            Some(TranscriptFormat::Deepgram)
        } else if self.segments {
            Some(TranscriptFormat::WhisperJson)
        } else {
            None
        }
    }
}

/// Whether `results` is an object and has `items` (Transcribe) or `channels`/`utterances`
/// (Deepgram).
#[derive(Debug, Default)]
struct ResultsShape {
    object: bool,
    items: bool,
    deepgram: bool,
}

impl<'de> Deserialize<'de> for JsonShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

/// Reads a top-level object's keys, skipping their values; an array is skipped whole.
struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = JsonShape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonShape, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JsonShape::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonShape, A::Error> {
        let mut shape = JsonShape::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "results" => {
                    shape.results = map.next_value()?;
                    continue;
                }
                "jobName" => shape.job_name = true,
                "schema_version" => shape.schema_version = true,
                "segments" => shape.segments = true,
                "Transcript" => shape.call_transcript = true,
                "monologues" => shape.monologues = true,
                "utterances" => shape.utterances = true,
                "audio_url" => shape.audio_url = true,
                _ => {}
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(shape)
    }
}

impl<'de> Deserialize<'de> for ResultsShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ResultsVisitor)
    }
}

/// Looks for `items` in `results`; any non-object value is accepted and marked as such.
struct ResultsVisitor;

impl<'de> Visitor<'de> for ResultsVisitor {
    type Value = ResultsShape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResultsShape, A::Error> {
        let mut shape = ResultsShape {
            object: true,
            ..ResultsShape::default()
        };
        while let Some(key) = map.next_key::<String>()? {
            shape.items |= key == "items";
            shape.deepgram |= key == "channels" || key == "utterances";
            map.next_value::<IgnoredAny>()?;
        }
        Ok(shape)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ResultsShape, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ResultsShape::default())
    }

    fn visit_bool<E>(self, _: bool) -> Result<ResultsShape, E> {
        Ok(ResultsShape::default())
    }

    fn visit_i64<E>(self, _: i64) -> Result<ResultsShape, E> {
        Ok(ResultsShape::default())
    }

    fn visit_u64<E>(self, _: u64) -> Result<ResultsShape, E> {
        Ok(ResultsShape::default())
    }

    fn visit_f64<E>(self, _: f64) -> Result<ResultsShape, E> {
        Ok(ResultsShape::default())
    }

    fn visit_str<E>(self, _: &str) -> Result<ResultsShape, E> {
        Ok(ResultsShape::default())
    }

    fn visit_unit<E>(self) -> Result<ResultsShape, E> {
        Ok(ResultsShape::default())
    }
}

/// Rules 2–5 of [`detect_format`].
fn text_format(text: &str, file_name: &str) -> TranscriptFormat {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line = text.lines().next().unwrap_or("");
    if first_line.starts_with("WEBVTT") {
        return webvtt_flavour(text);
    }
    let mut non_empty = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = non_empty.next().unwrap_or("");
    let second = non_empty.next().unwrap_or("");
    let by_name = format_from_name(file_name);
    if super::sbv::timing(first).is_some() {
        return TranscriptFormat::YoutubeSbv;
    }
    let is_number = !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit());
    if is_number && second.contains("-->") {
        return srt_flavour(text);
    }
    if first.contains("-->") {
        if has_comma_decimal(first) {
            return srt_flavour(text);
        }
        return if by_name == Some(TranscriptFormat::WebVtt) {
            TranscriptFormat::WebVtt
        } else {
            srt_flavour(text)
        };
    }
    if let Some(format) = export_format(text) {
        return format;
    }
    match by_name {
        Some(format @ (TranscriptFormat::WebVtt | TranscriptFormat::Srt | TranscriptFormat::YoutubeSbv)) => format,
        _ => TranscriptFormat::PlainText,
    }
}

/// Otter.ai's SRT export when a speaker name opens (nearly) every cue, else SRT.
fn srt_flavour(text: &str) -> TranscriptFormat {
    if super::otter_srt::looks_like_otter_srt(text) {
        TranscriptFormat::OtterSrt
    } else {
        TranscriptFormat::Srt
    }
}

/// Meeting tools' WebVTT: Teams writes voice tags with GUID cue identifiers or unpadded times;
/// Zoom writes numbered cues with `Name: text` and no voice tags. Anything else is WebVTT.
fn webvtt_flavour(text: &str) -> TranscriptFormat {
    let lines: Vec<&str> = text.lines().map(str::trim).take(400).collect();
    if text.contains("<v ") {
        let guid_ids = lines.iter().any(|l| is_guid_prefix(l));
        let unpadded = lines
            .iter()
            .any(|l| l.contains("-->") && l.split(':').next().is_some_and(|h| h.len() == 1));
        return if guid_ids || unpadded {
            TranscriptFormat::TeamsVtt
        } else {
            TranscriptFormat::WebVtt
        };
    }
    let zoom_cue = lines.windows(3).any(|w| {
        !w[0].is_empty()
            && w[0].bytes().all(|b| b.is_ascii_digit())
            && w[1].contains("-->")
            && super::zoom::split_display_name(w[2]).is_some()
    });
    if zoom_cue {
        TranscriptFormat::ZoomVtt
    } else {
        TranscriptFormat::WebVtt
    }
}

/// `3f1c2a9e-6c0b-…`: a GUID, as Teams uses for cue identifiers.
fn is_guid_prefix(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.len() >= 36
        && bytes[..36].iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Text exports recognised by their first lines (a title line or two before them is allowed;
/// the reader skips it with a warning): Zoom's `[Name] 14:03:05`, Rev's `Name (00:00:03):`,
/// Google Meet's `Transcript` and time marks, Otter's `Name  0:03`.
fn export_format(text: &str) -> Option<TranscriptFormat> {
    let opening = || text.lines().map(str::trim).filter(|l| !l.is_empty()).take(3);
    if opening().any(|l| super::zoom::text_heading(l).is_some()) {
        return Some(TranscriptFormat::ZoomText);
    }
    if opening().any(|l| super::rev::heading(l).is_some()) {
        return Some(TranscriptFormat::RevText);
    }
    if super::meet::looks_like(text) {
        return Some(TranscriptFormat::GoogleMeetText);
    }
    let mut opening = text.lines().map(str::trim).filter(|l| !l.is_empty()).take(5);
    if opening.any(|l| super::headed::heading(l).is_some()) {
        return Some(TranscriptFormat::OtterText);
    }
    None
}

/// Which export a Word document's text is: Google Meet (a `Transcript` line and time marks),
/// Otter.ai (its footer), else Teams when it has `Name   0:04` headings.
pub(crate) fn docx_format(text: &str) -> Result<TranscriptFormat, super::ParseError> {
    if super::meet::looks_like(text) {
        return Ok(TranscriptFormat::GoogleMeetDocx);
    }
    let has_heading = text.lines().any(|l| super::headed::heading(l).is_some());
    if has_heading && text.contains("Transcribed by") && text.contains("otter.ai") {
        return Ok(TranscriptFormat::OtterDocx);
    }
    if has_heading {
        return Ok(TranscriptFormat::TeamsDocx);
    }
    Err(super::ParseError::new(
        TranscriptFormat::WordDocument,
        "the Word document is not a Teams, Google Meet or Otter.ai transcript export (no `Name  0:04` speaker \
         headings and no `Transcript` section with time marks)",
    ))
}

/// Whether a line has a digit, a comma and a digit in a row (`00:00:01,000`).
fn has_comma_decimal(line: &str) -> bool {
    line.as_bytes()
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == b',' && w[2].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TranscriptFormat::*;

    #[test]
    fn transcript_names_by_extension() {
        for name in [
            "a.vtt",
            "A.VTT",
            "uploads/p/Interview 1.Srt",
            "notes.txt",
            "x/y/transcript.json",
        ] {
            assert!(is_transcript_name(name), "{name}");
        }
        for name in ["a.mp3", "vtt", ".vtt", "a.vtt.mp4", "folder.vtt/", "a."] {
            assert!(!is_transcript_name(name), "{name}");
        }
    }

    #[test]
    fn json_shapes() {
        let amazon = br#"{"jobName":"j","results":{"transcripts":[],"items":[]}}"#;
        assert_eq!(detect_format(amazon, "x.txt"), Some(AmazonTranscribe));
        let amazon_no_job = br#"{"results":{"items":[]}}"#;
        assert_eq!(detect_format(amazon_no_job, "x"), Some(AmazonTranscribe));
        let results_only = br#"{"results":{"text":"hi"}}"#;
        assert_eq!(detect_format(results_only, "x.json"), None);
        let results_not_object = br#"{"jobName":"j","results":[1,{"items":[]}],"x":null}"#;
        assert_eq!(detect_format(results_not_object, "x.json"), None);
        assert_eq!(detect_format(br#"{"jobName":"j","results":null}"#, "x.json"), None);
        assert_eq!(detect_format(br#"{"results":"items"}"#, "x.json"), None);
        let canonical = br#"{"schema_version":1,"source_format":"srt","segments":[]}"#;
        assert_eq!(detect_format(canonical, "x.json"), Some(Canonical));
        assert_eq!(detect_format(b"[1,2]", "x.json"), None);
        assert_eq!(detect_format(b"{\"results\": ", "x.json"), None);
        assert_eq!(
            detect_format(br#"{"jobName":"j","results":{"items":[]}} trailing"#, "x.json"),
            None
        );
    }

    #[test]
    fn caption_formats() {
        assert_eq!(
            detect_format(b"WEBVTT - captions\n\n00:01.000 --> 00:02.000\nhi\n", "a.txt"),
            Some(WebVtt)
        );
        assert_eq!(detect_format(b"\xef\xbb\xbfWEBVTT\n", "a"), Some(WebVtt));
        assert_eq!(
            detect_format(b"\n\n1\r\n00:00:01,000 --> 00:00:02,000\r\nhi\r\n", "a"),
            Some(Srt)
        );
        assert_eq!(
            detect_format(b"00:00:01,000 --> 00:00:02,000\nhi\n", "a.txt"),
            Some(Srt)
        );
        assert_eq!(
            detect_format(b"00:00:01.000 --> 00:00:02.000\nhi\n", "a.txt"),
            Some(Srt)
        );
        assert_eq!(
            detect_format(b"00:00:01.000 --> 00:00:02.000\nhi\n", "a.vtt"),
            Some(WebVtt)
        );
    }

    #[test]
    fn plain_text_and_name_tie_breaks() {
        assert_eq!(detect_format(b"Rosa: hi\n", "a.txt"), Some(PlainText));
        assert_eq!(detect_format(b"[00:01] Rosa: hi\n", "a"), Some(PlainText));
        assert_eq!(detect_format(b"Rosa: hi\n", "a.vtt"), Some(WebVtt));
        assert_eq!(detect_format(b"Rosa: hi\n", "a.SRT"), Some(Srt));
        assert_eq!(detect_format(b"Rosa: hi\n", "a.json"), Some(PlainText));
    }

    #[test]
    fn not_text_is_not_a_transcript() {
        assert_eq!(detect_format(b"", "a.txt"), None);
        assert_eq!(detect_format(b" \n\t", "a.txt"), None);
        assert_eq!(detect_format(b"\0\0\0\x01\x02PK", "a.txt"), None);
        assert_eq!(detect_format(b"\xff\xfeR\0:\0 \0h\0i\0", "a.txt"), Some(PlainText));
        assert_eq!(detect_format(b"Rosa: caf\xe9", "a.txt"), Some(PlainText));
    }
}
