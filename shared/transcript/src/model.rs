//! The canonical transcript (`results/<id>/r<run>/transcript.json`, schema version 2).

use serde::{Deserialize, Serialize};

/// The `schema_version` written into every transcript.json.
///
/// - 1: `source_format` one of `amazon_transcribe`, `web_vtt`, `srt`, `plain_text`, `canonical`,
///   `speech`.
/// - 2: `source_format` may also name the tools' exports (Zoom, Teams, Meet, Otter, Rev, YouTube,
///   AssemblyAI, Deepgram, Whisper JSON, Call Analytics, Word), and the optional `encoding`,
///   `warnings` and `roles` fields. A new value in a closed set is a breaking change for a
///   reader that knows only the old values, hence the bump; documents of version 1 still read.
pub const TRANSCRIPT_SCHEMA_VERSION: u32 = 2;

/// The transcript.json versions this version reads (the project's own documents and uploads).
pub const READABLE_TRANSCRIPT_VERSIONS: std::ops::RangeInclusive<u32> = 1..=TRANSCRIPT_SCHEMA_VERSION;

/// Which input format a transcript came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptFormat {
    /// Amazon Transcribe's output JSON.
    AmazonTranscribe,
    /// WebVTT (`.vtt`).
    WebVtt,
    /// SubRip (`.srt`).
    Srt,
    /// Plain text with `Speaker: text` lines.
    PlainText,
    /// The project's own transcript.json.
    Canonical,
    /// Produced by a speech engine from a recording.
    Speech,
    /// Zoom's WebVTT (`Name: text` inside numbered cues).
    ZoomVtt,
    /// Zoom's saved transcript text (`[Name] hh:mm:ss` then the words).
    ZoomText,
    /// Microsoft Teams' WebVTT (`<v Name>`, often unpadded times).
    TeamsVtt,
    /// Microsoft Teams' Word transcript (`Name   0:04` then the turn).
    TeamsDocx,
    /// Google Meet's transcript as text (`hh:mm:ss` marks, `Name: text` lines).
    GoogleMeetText,
    /// Google Meet's transcript as a Word document.
    GoogleMeetDocx,
    /// Otter.ai text export (`Name  0:03` then the words).
    OtterText,
    /// Otter.ai Word export.
    OtterDocx,
    /// Otter.ai SRT export with speaker names (`Name: ` opening the cues).
    OtterSrt,
    /// Rev text (`Name (00:00:03):` then the words).
    RevText,
    /// Rev JSON (`monologues` of elements).
    RevJson,
    /// YouTube captions (`.sbv`).
    YoutubeSbv,
    /// AssemblyAI transcript JSON (`utterances`).
    AssemblyAi,
    /// Deepgram response JSON (`results.utterances` or channel words).
    Deepgram,
    /// OpenAI Whisper, faster-whisper or WhisperX JSON (`segments`).
    WhisperJson,
    /// Amazon Transcribe Call Analytics output (`Transcript[]` with `ParticipantRole`).
    TranscribeCallAnalytics,
    /// A Word document that is not (or not yet known to be) one of the exports above; only
    /// errors about the `.docx` container carry it, never a transcript.
    WordDocument,
}

impl TranscriptFormat {
    /// Every format, in declaration order (for messages listing the valid names).
    pub const ALL: [TranscriptFormat; 23] = [
        TranscriptFormat::AmazonTranscribe,
        TranscriptFormat::WebVtt,
        TranscriptFormat::Srt,
        TranscriptFormat::PlainText,
        TranscriptFormat::Canonical,
        TranscriptFormat::Speech,
        TranscriptFormat::ZoomVtt,
        TranscriptFormat::ZoomText,
        TranscriptFormat::TeamsVtt,
        TranscriptFormat::TeamsDocx,
        TranscriptFormat::GoogleMeetText,
        TranscriptFormat::GoogleMeetDocx,
        TranscriptFormat::OtterText,
        TranscriptFormat::OtterDocx,
        TranscriptFormat::OtterSrt,
        TranscriptFormat::RevText,
        TranscriptFormat::RevJson,
        TranscriptFormat::YoutubeSbv,
        TranscriptFormat::AssemblyAi,
        TranscriptFormat::Deepgram,
        TranscriptFormat::WhisperJson,
        TranscriptFormat::TranscribeCallAnalytics,
        TranscriptFormat::WordDocument,
    ];

    /// A human name for error messages.
    pub fn label(self) -> &'static str {
        match self {
            TranscriptFormat::AmazonTranscribe => "Amazon Transcribe JSON",
            TranscriptFormat::WebVtt => "WebVTT",
            TranscriptFormat::Srt => "SRT",
            TranscriptFormat::PlainText => "plain text",
            TranscriptFormat::Canonical => "transcript.json",
            TranscriptFormat::Speech => "speech recognition",
            TranscriptFormat::ZoomVtt => "Zoom WebVTT",
            TranscriptFormat::ZoomText => "Zoom transcript text",
            TranscriptFormat::TeamsVtt => "Teams WebVTT",
            TranscriptFormat::TeamsDocx => "Teams .docx",
            TranscriptFormat::GoogleMeetText => "Google Meet text",
            TranscriptFormat::GoogleMeetDocx => "Google Meet .docx",
            TranscriptFormat::OtterText => "Otter.ai text",
            TranscriptFormat::OtterDocx => "Otter.ai .docx",
            TranscriptFormat::OtterSrt => "Otter.ai SRT",
            TranscriptFormat::RevText => "Rev text",
            TranscriptFormat::RevJson => "Rev JSON",
            TranscriptFormat::YoutubeSbv => "YouTube SBV",
            TranscriptFormat::AssemblyAi => "AssemblyAI JSON",
            TranscriptFormat::Deepgram => "Deepgram JSON",
            TranscriptFormat::WhisperJson => "Whisper JSON",
            TranscriptFormat::TranscribeCallAnalytics => "Transcribe Call Analytics JSON",
            TranscriptFormat::WordDocument => "Word document",
        }
    }
}

/// One stretch of speech by one speaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Speaker label as found in the input (`Interviewer`, `spk_0`, …).
    pub speaker: String,
    /// Start time in seconds from the beginning of the recording.
    pub start: f64,
    /// End time in seconds; never before `start`.
    pub end: f64,
    /// What was said.
    pub text: String,
    /// Recognition confidence (0–1) when a speech engine produced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// The canonical transcript every input format is parsed into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// Always [`TRANSCRIPT_SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// Where it came from.
    pub source_format: TranscriptFormat,
    /// BCP-47 language code when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Segments in time order.
    pub segments: Vec<Segment>,
    /// Remarks for a person (e.g. "speaker labels are low confidence").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The text encoding the uploaded file was read as (`UTF-8`, `UTF-16LE`, `windows-1252`,
    /// `Shift_JIS` …); absent for transcripts not read from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// What a lenient reader skipped or repaired, by line: the transcript may lack a part of the
    /// file, and the person who uploaded it should know where to look.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// Roles the source itself declares, by speaker label (Call Analytics' agent and customer),
    /// joined by the ones a person assigns ([`Transcript::with_speakers`]). Speakers absent
    /// here are left to the labels' own words ("Interviewer") or the analyzer's guess.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub roles: std::collections::BTreeMap<String, crate::naming::SpeakerRole>,
}

/// Something a reader skipped or repaired instead of refusing the file. Names no content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The 1-based line it is about, when the format is line-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What happened.
    pub kind: WarningKind,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A cue block without a readable timing line was skipped (WebVTT's parsing rules).
    SkippedCue,
    /// A cue that ends before it starts was skipped.
    CueEndsBeforeStart,
    /// Text outside any cue or turn was skipped.
    SkippedText,
    /// An SRT cue has no number line; it was read anyway.
    MissingCueNumber,
    /// An SRT timing uses `.` for the decimal mark instead of `,`; it was read anyway.
    DotDecimalMark,
    /// Bytes that are invalid in the file's encoding were replaced with U+FFFD.
    InvalidBytesReplaced,
}

impl Warning {
    /// A warning on a line.
    pub fn at(line: usize, kind: WarningKind) -> Self {
        Self { line: Some(line), kind }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        f.write_str(match self.kind {
            WarningKind::SkippedCue => "a cue block without a valid timing line was skipped",
            WarningKind::CueEndsBeforeStart => "a cue that ends before it starts was skipped",
            WarningKind::SkippedText => "text outside any cue or speaker turn was skipped",
            WarningKind::MissingCueNumber => "the cue has no number line (read anyway)",
            WarningKind::DotDecimalMark => "the timing uses `.` instead of `,` before the milliseconds (read anyway)",
            WarningKind::InvalidBytesReplaced => "bytes invalid in the file's encoding were replaced with �",
        })
    }
}

impl Transcript {
    /// A transcript with the current schema version.
    pub fn new(source_format: TranscriptFormat, segments: Vec<Segment>) -> Self {
        Self {
            schema_version: TRANSCRIPT_SCHEMA_VERSION,
            source_format,
            language: None,
            segments,
            notes: Vec::new(),
            encoding: None,
            warnings: Vec::new(),
            roles: std::collections::BTreeMap::new(),
        }
    }

    /// Distinct speakers in order of first appearance.
    pub fn speakers(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for seg in &self.segments {
            if !seen.contains(&seg.speaker.as_str()) {
                seen.push(&seg.speaker);
            }
        }
        seen
    }

    /// Whitespace-separated words across all segments.
    pub fn word_count(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.text.split_whitespace().count() as u64)
            .sum()
    }

    /// End of the last segment, in seconds.
    pub fn duration_seconds(&self) -> f64 {
        self.segments.iter().map(|s| s.end).fold(0.0, f64::max)
    }
}
