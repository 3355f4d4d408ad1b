//! Writes a canonical transcript back out in the upload formats the pipeline reads, so the
//! benchmarks feed it realistic files of any length (from `generate_long_transcript`).

use interview_transcript::Transcript;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write;

/// An upload format the benchmarks generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum UploadFormat {
    /// Amazon Transcribe batch output (`.json`), with speaker labels.
    Amazon,
    /// WebVTT with `<v Name>` voice tags (`.vtt`).
    Vtt,
    /// SubRip with `Name:` prefixes (`.srt`).
    Srt,
    /// Plain text, `[hh:mm:ss] Name: text` lines (`.txt`).
    Plain,
}

impl UploadFormat {
    /// Every format, in the order the pipeline bench cycles through them.
    pub const ALL: [UploadFormat; 4] = [
        UploadFormat::Amazon,
        UploadFormat::Vtt,
        UploadFormat::Srt,
        UploadFormat::Plain,
    ];

    /// The file extension an upload of this format carries.
    pub fn extension(self) -> &'static str {
        match self {
            UploadFormat::Amazon => "json",
            UploadFormat::Vtt => "vtt",
            UploadFormat::Srt => "srt",
            UploadFormat::Plain => "txt",
        }
    }

    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            UploadFormat::Amazon => "Amazon Transcribe JSON",
            UploadFormat::Vtt => "WebVTT",
            UploadFormat::Srt => "SRT",
            UploadFormat::Plain => "plain text",
        }
    }

    /// The file's bytes for `transcript`.
    pub fn render(self, transcript: &Transcript) -> Vec<u8> {
        match self {
            UploadFormat::Amazon => amazon_json(transcript),
            UploadFormat::Vtt => webvtt(transcript).into_bytes(),
            UploadFormat::Srt => srt(transcript).into_bytes(),
            UploadFormat::Plain => plain(transcript).into_bytes(),
        }
    }
}

/// `hh:mm:ss.mmm` (WebVTT) or `hh:mm:ss,mmm` (SRT).
fn clock(seconds: f64, separator: char) -> String {
    let millis = (seconds.max(0.0) * 1000.0).round() as u64;
    let (h, m, s, ms) = (
        millis / 3_600_000,
        millis / 60_000 % 60,
        millis / 1000 % 60,
        millis % 1000,
    );
    format!("{h:02}:{m:02}:{s:02}{separator}{ms:03}")
}

/// WebVTT as meeting tools export it: one cue per turn, the speaker in a voice tag.
pub fn webvtt(transcript: &Transcript) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (i, s) in transcript.segments.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n<v {}>{}</v>\n\n",
            i + 1,
            clock(s.start, '.'),
            clock(s.end, '.'),
            s.speaker,
            s.text
        );
    }
    out
}

/// SubRip: numbered cues, the speaker as a `Name:` prefix.
pub fn srt(transcript: &Transcript) -> String {
    let mut out = String::new();
    for (i, s) in transcript.segments.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{}: {}\n\n",
            i + 1,
            clock(s.start, ','),
            clock(s.end, ','),
            s.speaker,
            s.text
        );
    }
    out
}

/// Plain text with a timestamp per turn.
pub fn plain(transcript: &Transcript) -> String {
    let mut out = String::new();
    for s in &transcript.segments {
        let whole = s.start.max(0.0) as u64;
        let _ = writeln!(
            out,
            "[{:02}:{:02}:{:02}] {}: {}",
            whole / 3600,
            whole / 60 % 60,
            whole % 60,
            s.speaker,
            s.text
        );
    }
    out
}

/// Amazon Transcribe batch output with speaker labels: one pronunciation item per word (times
/// as strings, spread evenly over the turn), punctuation items without times, the full text in
/// `transcripts[0]`, and `speaker_labels.segments[]` with their per-word `items` copy, as the
/// service writes them.
pub fn amazon_json(transcript: &Transcript) -> Vec<u8> {
    let mut labels: HashMap<&str, String> = HashMap::new();
    let mut items: Vec<Value> = Vec::new();
    let mut speaker_segments: Vec<Value> = Vec::new();
    let mut full_text = String::new();
    let mut id = 0u64;
    for segment in &transcript.segments {
        let next = labels.len();
        let label = labels
            .entry(segment.speaker.as_str())
            .or_insert_with(|| format!("spk_{next}"))
            .clone();
        let words: Vec<&str> = segment.text.split_whitespace().collect();
        let step = (segment.end - segment.start) / words.len().max(1) as f64;
        let mut segment_items = Vec::with_capacity(words.len());
        for (i, word) in words.iter().enumerate() {
            let bare = word.trim_end_matches(|c: char| c.is_ascii_punctuation() && c != '\'' && c != '-');
            let punctuation = &word[bare.len()..];
            let start = format!("{:.3}", segment.start + step * i as f64);
            let end = format!("{:.3}", segment.start + step * (i + 1) as f64);
            if !bare.is_empty() {
                items.push(json!({
                    "id": id,
                    "type": "pronunciation",
                    "alternatives": [{ "confidence": "0.998", "content": bare }],
                    "start_time": start,
                    "end_time": end,
                    "speaker_label": label,
                }));
                segment_items.push(json!({ "speaker_label": label, "start_time": start, "end_time": end }));
                id += 1;
            }
            for mark in punctuation.chars() {
                items.push(json!({
                    "id": id,
                    "type": "punctuation",
                    "alternatives": [{ "confidence": "0.0", "content": mark.to_string() }],
                    "speaker_label": label,
                }));
                id += 1;
            }
        }
        speaker_segments.push(json!({
            "start_time": format!("{:.3}", segment.start),
            "end_time": format!("{:.3}", segment.end),
            "speaker_label": label,
            "items": segment_items,
        }));
        if !full_text.is_empty() {
            full_text.push(' ');
        }
        full_text.push_str(&segment.text);
    }
    let doc = json!({
        "jobName": "bench-generated",
        "accountId": "123456789012",
        "status": "COMPLETED",
        "results": {
            "language_code": "en-US",
            "transcripts": [{ "transcript": full_text }],
            "speaker_labels": { "channel_label": "ch_0", "speakers": labels.len(), "segments": speaker_segments },
            "items": items,
        }
    });
    serde_json::to_vec(&doc).expect("a JSON value always encodes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use interview_testkit::analysis_fixtures::generate_long_transcript;
    use interview_transcript::parse_transcript;

    #[test]
    fn every_generated_format_reads_back_with_the_same_words_and_speakers() {
        let source = generate_long_transcript(3);
        for format in UploadFormat::ALL {
            let bytes = format.render(&source);
            let parsed = parse_transcript(&bytes, &format!("x.{}", format.extension()))
                .unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!(parsed.word_count(), source.word_count(), "{format:?}");
            assert_eq!(parsed.speakers().len(), source.speakers().len(), "{format:?}");
            let last = parsed.segments.last().unwrap().end;
            assert!((last - source.duration_seconds()).abs() < 1.5, "{format:?}: {last}");
        }
    }

    #[test]
    fn clock_formats_hours_and_millis() {
        assert_eq!(clock(3723.4567, '.'), "01:02:03.457");
        assert_eq!(clock(0.0, ','), "00:00:00,000");
    }
}
