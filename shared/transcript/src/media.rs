//! Media intake: the real type of an upload, sniffed from its first bytes.
//!
//! Upload names lie (`interview.mp3` that is a WAV, a `.m4a` that is a PDF), so the pipeline
//! decides from magic bytes alone: [`sniff`] reads a prefix of at most [`SNIFF_BYTES`] and says
//! whether it is a supported recording, text (possibly a transcript), or something else — in
//! which case it says what the file looks like, so the interview's error message is useful.
//!
//! A recording is then probed ([`probe`]): its container is opened with symphonia, the audio
//! track found, its duration read from the headers (WAV data size, FLAC STREAMINFO, MP3
//! Xing/Info, MP4 `mdhd`, Matroska `Duration`), or, where the headers do not say, from the
//! packets' own durations (demuxed, not decoded), or, when only a prefix of a large file was
//! read, estimated from the prefix's bitrate. The first packets are decoded too, so a file with
//! the right magic bytes but garbage after them is refused with a message naming the problem.
//! [`DurationLimits`] then holds the duration against the speech engine's limits (Amazon
//! Transcribe: 0.5 s to 4 h) and the configured ones.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// How many leading bytes [`sniff`] needs; read this much (or the whole file if smaller).
pub const SNIFF_BYTES: u64 = 4096;

/// A recording format the pipeline accepts (and Amazon Transcribe's `MediaFormat` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaFormat {
    /// RIFF WAVE (also RF64/BW64 for large files).
    Wav,
    /// MPEG audio layer I–III, with or without an ID3 tag.
    Mp3,
    /// MPEG-4 audio (`M4A `/`M4B ` brands).
    M4a,
    /// Any other ISO base media file (MP4, MOV): treated as video.
    Mp4,
    /// Free Lossless Audio Codec.
    Flac,
    /// Ogg container (Vorbis, Opus).
    Ogg,
    /// WebM or Matroska.
    Webm,
}

impl MediaFormat {
    /// The short name, as Amazon Transcribe's `MediaFormat` parameter spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaFormat::Wav => "wav",
            MediaFormat::Mp3 => "mp3",
            MediaFormat::M4a => "m4a",
            MediaFormat::Mp4 => "mp4",
            MediaFormat::Flac => "flac",
            MediaFormat::Ogg => "ogg",
            MediaFormat::Webm => "webm",
        }
    }

    /// The MIME type to store the object with.
    pub fn mime_type(self) -> &'static str {
        match self {
            MediaFormat::Wav => "audio/wav",
            MediaFormat::Mp3 => "audio/mpeg",
            MediaFormat::M4a => "audio/mp4",
            MediaFormat::Mp4 => "video/mp4",
            MediaFormat::Flac => "audio/flac",
            MediaFormat::Ogg => "audio/ogg",
            MediaFormat::Webm => "video/webm",
        }
    }

    /// Whether the container is usually video (the item's `source.kind` is then `video`).
    pub fn is_video(self) -> bool {
        matches!(self, MediaFormat::Mp4 | MediaFormat::Webm)
    }
}

impl MediaFormat {
    /// The format a MIME type names, as [`MediaFormat::mime_type`] writes them (plus common
    /// aliases such as `audio/x-wav`, `audio/mp3`, `audio/x-m4a`); also accepts the short names.
    pub fn from_mime_type(mime: &str) -> Option<MediaFormat> {
        let mime = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        Some(match mime.as_str() {
            "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" | "wav" => MediaFormat::Wav,
            "audio/mpeg" | "audio/mp3" | "mp3" => MediaFormat::Mp3,
            "audio/mp4" | "audio/x-m4a" | "audio/m4a" | "m4a" => MediaFormat::M4a,
            "video/mp4" | "video/quicktime" | "mp4" => MediaFormat::Mp4,
            "audio/flac" | "audio/x-flac" | "flac" => MediaFormat::Flac,
            "audio/ogg" | "application/ogg" | "audio/opus" | "ogg" => MediaFormat::Ogg,
            "video/webm" | "audio/webm" | "video/x-matroska" | "audio/x-matroska" | "webm" => MediaFormat::Webm,
            _ => return None,
        })
    }
}

impl std::fmt::Display for MediaFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the first bytes of an upload are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    /// A supported recording.
    Media(MediaFormat),
    /// Text in any encoding the readers take, or a Word document: a transcript candidate (the
    /// readers decide whether it is one).
    Text,
    /// Neither; the text says what it looks like (`a PDF document`), to finish a sentence such
    /// as "the upload is …".
    Unknown(String),
}

/// Decides what a file is from its first bytes (at most [`SNIFF_BYTES`] are looked at).
///
/// Never uses the file name. Checks, in order: empty; UTF-16 and UTF-32 byte-order marks (before
/// MP3, whose frame sync `FF Fx` they resemble): text; the media signatures (`RIFF….WAVE`, `ID3`
/// or an MPEG audio frame header, `fLaC`, `OggS`, EBML `1A 45 DF A3`, `….ftyp` + brand); a Word
/// document (Teams, Meet and Otter export transcripts as `.docx`): text; common wrong uploads
/// (PDF, other ZIP and Office documents, PNG, JPEG, GIF, HEIC, AVI, raw AAC); then text in any
/// encoding the readers take (anything not binary).
pub fn sniff(prefix: &[u8]) -> Sniffed {
    let prefix = &prefix[..prefix.len().min(SNIFF_BYTES as usize)];
    if prefix.is_empty() {
        return unknown("an empty file");
    }
    if [&[0xFF, 0xFE][..], &[0xFE, 0xFF], &[0, 0, 0xFE, 0xFF]]
        .iter()
        .any(|bom| prefix.starts_with(bom))
    {
        return Sniffed::Text;
    }
    if let Some(format) = media_format(prefix) {
        return Sniffed::Media(format);
    }
    if is_word_document(prefix) {
        return Sniffed::Text;
    }
    if let Some(description) = wrong_upload(prefix) {
        return Sniffed::Unknown(description);
    }
    if crate::encoding::could_be_text(prefix) {
        return Sniffed::Text;
    }
    unknown("binary data of an unrecognised type")
}

/// A ZIP whose first entries are a Word document's parts.
fn is_word_document(prefix: &[u8]) -> bool {
    prefix.starts_with(b"PK\x03\x04") && prefix.windows(5).any(|w| w == b"word/")
}

/// `Sniffed::Unknown` from a static description.
fn unknown(description: &str) -> Sniffed {
    Sniffed::Unknown(description.to_string())
}

/// The supported media signatures.
fn media_format(prefix: &[u8]) -> Option<MediaFormat> {
    let riff_form = |form: &[u8]| {
        prefix.len() >= 12 && [&b"RIFF"[..], b"RF64", b"BW64"].contains(&&prefix[..4]) && &prefix[8..12] == form
    };
    if riff_form(b"WAVE") {
        return Some(MediaFormat::Wav);
    }
    if prefix.starts_with(b"ID3") || is_mpeg_audio_frame(prefix) {
        return Some(MediaFormat::Mp3);
    }
    if prefix.starts_with(b"fLaC") {
        return Some(MediaFormat::Flac);
    }
    if prefix.starts_with(b"OggS") {
        return Some(MediaFormat::Ogg);
    }
    if prefix.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(MediaFormat::Webm);
    }
    match ftyp_brand(prefix)? {
        b"M4A " | b"M4B " => Some(MediaFormat::M4a),
        brand if is_image_brand(brand) => None,
        _ => Some(MediaFormat::Mp4),
    }
}

/// An MPEG audio frame header: 11 sync bits, a valid version, layer, bitrate and sample rate.
/// ADTS (raw AAC) shares the sync but has layer 0, so it is not taken for MP3.
fn is_mpeg_audio_frame(prefix: &[u8]) -> bool {
    let [first, second, third, ..] = *prefix else {
        return false;
    };
    let version = (second >> 3) & 0b11;
    let layer = (second >> 1) & 0b11;
    let bitrate = third >> 4;
    let sample_rate = (third >> 2) & 0b11;
    first == 0xFF && second & 0xE0 == 0xE0 && version != 0b01 && layer != 0 && bitrate != 0xF && sample_rate != 0b11
}

/// The major brand of an ISO base media file (`….ftyp` + 4 bytes).
fn ftyp_brand(prefix: &[u8]) -> Option<&[u8; 4]> {
    if prefix.get(4..8)? != b"ftyp" {
        return None;
    }
    prefix.get(8..12)?.try_into().ok()
}

/// HEIF/AVIF still images use the same container as MP4.
fn is_image_brand(brand: &[u8; 4]) -> bool {
    matches!(brand, b"heic" | b"heix" | b"mif1" | b"msf1" | b"avif" | b"avis")
}

/// Files people upload by mistake, named so the error message says what went wrong.
fn wrong_upload(prefix: &[u8]) -> Option<String> {
    let description = if prefix.starts_with(b"%PDF") {
        "a PDF document"
    } else if prefix.starts_with(b"PK\x03\x04") {
        zip_description(prefix)
    } else if prefix.starts_with(b"\x89PNG\r\n\x1a\n") {
        "a PNG image"
    } else if prefix.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "a JPEG image"
    } else if prefix.starts_with(b"GIF87a") || prefix.starts_with(b"GIF89a") {
        "a GIF image"
    } else if ftyp_brand(prefix).is_some_and(is_image_brand) {
        "a HEIC/AVIF image"
    } else if prefix.len() >= 12 && prefix.starts_with(b"RIFF") && &prefix[8..12] == b"AVI " {
        "an AVI video, which is not supported (convert it to MP4)"
    } else if prefix.len() >= 2 && prefix[0] == 0xFF && prefix[1] & 0xF6 == 0xF0 {
        "raw AAC audio (ADTS), which is not supported (convert it to M4A)"
    } else {
        return None;
    };
    Some(description.to_string())
}

/// Which kind of ZIP: Office documents name their main part near the start.
fn zip_description(prefix: &[u8]) -> &'static str {
    let contains = |needle: &[u8]| prefix.windows(needle.len()).any(|w| w == needle);
    if contains(b"xl/") {
        "an Excel workbook (XLSX)"
    } else if contains(b"ppt/") {
        "a PowerPoint presentation (PPTX)"
    } else {
        "a ZIP archive (or an Office document)"
    }
}

/// How many leading bytes [`probe`] is given for a large object: enough for every header the
/// supported containers put first, and for a bitrate estimate when the header has no duration.
pub const PROBE_BYTES: u64 = 1 << 20;

/// Where a probed duration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationSource {
    /// The container or stream header states it.
    Header,
    /// Summed from the durations of every packet in the file.
    Packets,
    /// Extrapolated from the bitrate of the packets in a prefix of the file (±20 % or so).
    Estimate,
}

/// What probing a recording found.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// The sniffed container.
    pub format: MediaFormat,
    /// The audio codec's short name (`pcm_s16le`, `mp3`, `aac`, `vorbis`, `flac`, `opus`, …).
    pub codec: String,
    /// Samples per second, when the headers say.
    pub sample_rate: Option<u32>,
    /// Channel count, when the headers say.
    pub channels: Option<usize>,
    /// Seconds of audio, when known.
    pub duration: Option<f64>,
    /// Where [`MediaInfo::duration`] came from (meaningless when it is `None`).
    pub duration_source: DurationSource,
    /// Whether this build can decode the codec (the offline engine needs it; Amazon Transcribe
    /// decodes on its side and takes e.g. Opus, which symphonia cannot).
    pub decodable: bool,
}

/// Why a recording could not be read. Displays as the end of a sentence that starts with
/// "the recording …", e.g. "looks like a WAV file but its header is damaged (missing fmt chunk)".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The container could not be opened.
    #[error("looks like {} file but could not be opened: {detail}. It may be damaged or cut short; export it again", article(*.format))]
    Unreadable {
        /// The sniffed container.
        format: MediaFormat,
        /// What the demuxer said.
        detail: String,
    },
    /// The container opened, but its audio did not decode.
    #[error("is {} file whose {codec} audio does not decode: {detail}. It is probably damaged; export it again", article(*.format))]
    Corrupt {
        /// The sniffed container.
        format: MediaFormat,
        /// The codec.
        codec: String,
        /// What the decoder said.
        detail: String,
    },
    /// The container has no audio track (e.g. a silent screen recording).
    #[error("is {} file without an audio track; there is nothing to transcribe", article(*.format))]
    NoAudioTrack {
        /// The sniffed container.
        format: MediaFormat,
    },
    /// The audio track holds no audio data.
    #[error("is {} file whose audio track is empty", article(*.format))]
    NoAudio {
        /// The sniffed container.
        format: MediaFormat,
    },
    /// Reading a local file failed.
    #[error("could not be read from disk: {0}")]
    Io(String),
}

/// "a WAV", "an MP3", … for messages.
fn article(format: MediaFormat) -> String {
    let name = format.as_str().to_ascii_uppercase();
    let vowel_sound = matches!(
        format,
        MediaFormat::Mp3 | MediaFormat::Mp4 | MediaFormat::M4a | MediaFormat::Flac
    );
    format!("{} {name}", if vowel_sound { "an" } else { "a" })
}

/// What [`probe`] reads.
#[derive(Debug, Clone, Copy)]
pub enum ProbeInput<'a> {
    /// The whole object.
    Whole(&'a [u8]),
    /// The first bytes of an object of `total` bytes.
    Prefix {
        /// The bytes read.
        bytes: &'a [u8],
        /// The object's size.
        total: u64,
    },
    /// A local file.
    File(&'a Path),
}

/// Amazon Transcribe's shortest accepted recording, in seconds.
pub const TRANSCRIBE_MIN_SECONDS: f64 = 0.5;
/// Amazon Transcribe's longest accepted recording (4 hours), in seconds.
pub const TRANSCRIBE_MAX_SECONDS: f64 = 4.0 * 3600.0;
/// Amazon Transcribe's largest accepted media file, in bytes.
pub const TRANSCRIBE_MAX_BYTES: u64 = 2_000_000_000;

/// One bound on a recording's duration and who set it, for the message.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationBound {
    /// Seconds.
    pub seconds: f64,
    /// Who needs it: `Amazon Transcribe`, or the setting's name.
    pub set_by: String,
}

/// The shortest and longest recording the configured speech engine takes.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationLimits {
    /// The shortest.
    pub min: DurationBound,
    /// The longest.
    pub max: DurationBound,
}

impl DurationLimits {
    /// The configured bounds (`MIN_MEDIA_SECONDS`, `MAX_MEDIA_SECONDS`), tightened to Amazon
    /// Transcribe's own (0.5 s to 4 h) when it is the engine.
    pub fn new(configured_min: f64, configured_max: f64, amazon_transcribe: bool) -> Self {
        let bound = |seconds: f64, set_by: &str| DurationBound {
            seconds,
            set_by: set_by.to_string(),
        };
        let mut min = bound(configured_min, "MIN_MEDIA_SECONDS");
        let mut max = bound(configured_max, "MAX_MEDIA_SECONDS");
        if amazon_transcribe {
            if TRANSCRIBE_MIN_SECONDS >= min.seconds {
                min = bound(TRANSCRIBE_MIN_SECONDS, "Amazon Transcribe");
            }
            if TRANSCRIBE_MAX_SECONDS <= max.seconds {
                max = bound(TRANSCRIBE_MAX_SECONDS, "Amazon Transcribe");
            }
        }
        Self { min, max }
    }

    /// The input error for a recording of `info`'s duration, if it is out of bounds. An
    /// estimated duration is only refused when it is clearly (25 %) out of bounds; an unknown
    /// one is left to the engine.
    pub fn check(&self, info: &MediaInfo) -> Result<(), String> {
        let Some(duration) = info.duration else {
            return Ok(());
        };
        let slack = if info.duration_source == DurationSource::Estimate {
            0.25
        } else {
            0.0
        };
        let about = if slack > 0.0 { "about " } else { "" };
        let length = format!("the recording is {about}{} long", human_duration(duration));
        if duration < self.min.seconds * (1.0 - slack) {
            let limit = human_duration(self.min.seconds);
            return Err(match self.min.set_by.as_str() {
                "Amazon Transcribe" => {
                    format!("{length}; Amazon Transcribe needs at least {limit}. Upload a longer recording")
                }
                setting => format!(
                    "{length}, under the {limit} minimum set by {setting}. Upload a longer recording or lower {setting}"
                ),
            });
        }
        if duration > self.max.seconds * (1.0 + slack) {
            let limit = human_duration(self.max.seconds);
            return Err(match self.max.set_by.as_str() {
                "Amazon Transcribe" => format!(
                    "{length}; Amazon Transcribe takes at most {limit}. Split it into parts and upload them separately"
                ),
                setting => format!(
                    "{length}, over the {limit} maximum set by {setting}. Split it into parts and upload them \
                     separately, or raise {setting}"
                ),
            });
        }
        Ok(())
    }
}

/// `0.2 s`, `12.5 s`, `3 min 20 s`, `4 h 12 min`.
pub fn human_duration(seconds: f64) -> String {
    if seconds < 60.0 {
        let rounded = (seconds * 10.0).round() / 10.0;
        if rounded.fract() == 0.0 {
            format!("{rounded:.0} s")
        } else {
            format!("{rounded:.1} s")
        }
    } else if seconds < 3600.0 {
        let s = seconds.round() as u64;
        match s % 60 {
            0 => format!("{} min", s / 60),
            rest => format!("{} min {rest} s", s / 60),
        }
    } else {
        let m = (seconds / 60.0).round() as u64;
        match m % 60 {
            0 => format!("{} h", m / 60),
            rest => format!("{} h {rest} min", m / 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(format: MediaFormat) -> Sniffed {
        Sniffed::Media(format)
    }

    fn unknown_text(s: &str) -> Sniffed {
        Sniffed::Unknown(s.to_string())
    }

    /// A prefix: `head`, then filler so the length is realistic.
    fn with_tail(head: &[u8]) -> Vec<u8> {
        let mut bytes = head.to_vec();
        bytes.extend(std::iter::repeat_n(0x55, 64));
        bytes
    }

    #[test]
    fn wav_including_large_file_variants() {
        assert_eq!(
            sniff(&with_tail(b"RIFF\x24\x08\x00\x00WAVEfmt ")),
            media(MediaFormat::Wav)
        );
        assert_eq!(
            sniff(&with_tail(b"RF64\xff\xff\xff\xffWAVEds64")),
            media(MediaFormat::Wav)
        );
        assert_eq!(
            sniff(&with_tail(b"RIFF\x24\x08\x00\x00AVI LIST")),
            unknown_text("an AVI video, which is not supported (convert it to MP4)")
        );
        assert_eq!(
            sniff(b"RIFF\x24\x08"),
            unknown_text("binary data of an unrecognised type"),
            "a control byte in six: not text"
        );
    }

    #[test]
    fn mp3_with_id3_or_a_bare_frame() {
        assert_eq!(
            sniff(&with_tail(b"ID3\x04\x00\x00\x00\x00\x00\x00")),
            media(MediaFormat::Mp3)
        );
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz.
        assert_eq!(sniff(&with_tail(&[0xFF, 0xFB, 0x90, 0x64])), media(MediaFormat::Mp3));
        // MPEG-2 layer III, 64 kbit/s, 22.05 kHz.
        assert_eq!(sniff(&with_tail(&[0xFF, 0xF3, 0x80, 0xC4])), media(MediaFormat::Mp3));
    }

    #[test]
    fn invalid_frame_headers_are_not_mp3() {
        // Reserved version bits.
        assert_ne!(sniff(&with_tail(&[0xFF, 0xEB, 0x90, 0x64])), media(MediaFormat::Mp3));
        // Bad bitrate index 15.
        assert_ne!(sniff(&with_tail(&[0xFF, 0xFB, 0xF0, 0x64])), media(MediaFormat::Mp3));
        // Reserved sample rate.
        assert_ne!(sniff(&with_tail(&[0xFF, 0xFB, 0x9C, 0x64])), media(MediaFormat::Mp3));
        // ADTS AAC: same sync, layer 0.
        assert_eq!(
            sniff(&with_tail(&[0xFF, 0xF1, 0x50, 0x80])),
            unknown_text("raw AAC audio (ADTS), which is not supported (convert it to M4A)")
        );
    }

    #[test]
    fn flac_ogg_and_matroska() {
        assert_eq!(sniff(&with_tail(b"fLaC\x00\x00\x00\x22")), media(MediaFormat::Flac));
        assert_eq!(sniff(&with_tail(b"OggS\x00\x02\x00\x00")), media(MediaFormat::Ogg));
        assert_eq!(
            sniff(&with_tail(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm")),
            media(MediaFormat::Webm)
        );
    }

    #[test]
    fn mp4_family_by_brand() {
        assert_eq!(
            sniff(&with_tail(b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00")),
            media(MediaFormat::M4a)
        );
        assert_eq!(
            sniff(&with_tail(b"\x00\x00\x00\x20ftypM4B \x00\x00\x02\x00")),
            media(MediaFormat::M4a)
        );
        assert_eq!(
            sniff(&with_tail(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00")),
            media(MediaFormat::Mp4)
        );
        assert_eq!(
            sniff(&with_tail(b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00")),
            media(MediaFormat::Mp4)
        );
        assert_eq!(
            sniff(&with_tail(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00")),
            unknown_text("a HEIC/AVIF image")
        );
    }

    #[test]
    fn common_wrong_uploads_are_named() {
        let cases: [(&[u8], &str); 6] = [
            (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
            (
                b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml....xl/workbook.xml",
                "an Excel workbook (XLSX)",
            ),
            (
                b"PK\x03\x04\x14\x00\x00\x00notes/readme.md",
                "a ZIP archive (or an Office document)",
            ),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
            (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a JPEG image"),
            (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
        ];
        for (bytes, description) in cases {
            assert_eq!(sniff(bytes), unknown_text(description), "{description}");
        }
        // Text in UTF-16 or UTF-32 (a byte-order mark), and Word documents, go to the readers.
        for text in [
            &b"\xfe\xff\x00W\x00E"[..],
            b"\xff\xfe\x00\x00W\x00\x00\x00",
            b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml....word/document.xml",
        ] {
            assert_eq!(sniff(text), Sniffed::Text, "{text:?}");
        }
        assert_eq!(sniff(b"\xff\xfeW\x00E\x00B\x00"), Sniffed::Text);
    }

    #[test]
    fn text_with_bom_crlf_and_a_cut_off_character() {
        assert_eq!(sniff(b"WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\n"), Sniffed::Text);
        assert_eq!(sniff("\u{feff}Rosa: café".as_bytes()), Sniffed::Text);
        // "é" is C3 A9; the prefix ends after C3.
        assert_eq!(sniff(b"Rosa: caf\xc3"), Sniffed::Text);
    }

    #[test]
    fn binary_and_empty() {
        assert_eq!(sniff(b""), unknown_text("an empty file"));
        assert_eq!(
            sniff(b"Rosa\x00: hi"),
            unknown_text("binary data of an unrecognised type")
        );
        // Windows-1252 text is text: the readers detect its encoding.
        assert_eq!(sniff(b"caf\xe9 au lait"), Sniffed::Text);
        assert_eq!(
            sniff(&[0x00, 0x01, 0x02, 0x03]),
            unknown_text("binary data of an unrecognised type")
        );
    }

    #[test]
    fn only_the_first_sniff_bytes_count() {
        let mut bytes = vec![b'a'; SNIFF_BYTES as usize];
        bytes.push(0);
        assert_eq!(sniff(&bytes), Sniffed::Text);
    }

    #[test]
    fn any_prefix_gets_an_answer() {
        // Every prefix of every signature above, and every two-byte value: no panic, no empty text.
        let heads: [&[u8]; 6] = [
            b"RIFF\x24\x08\x00\x00WAVE",
            b"\x00\x00\x00\x20ftypM4A ",
            b"\x1a\x45\xdf\xa3",
            b"PK\x03\x04word/",
            b"\xff\xfb\x90",
            "é".as_bytes(),
        ];
        for head in heads {
            for end in 0..=head.len() {
                if let Sniffed::Unknown(description) = sniff(&head[..end]) {
                    assert!(!description.is_empty());
                }
            }
        }
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                if let Sniffed::Unknown(description) = sniff(&[a, b]) {
                    assert!(!description.is_empty());
                }
            }
        }
    }

    #[test]
    fn names_and_types() {
        let all = [
            MediaFormat::Wav,
            MediaFormat::Mp3,
            MediaFormat::M4a,
            MediaFormat::Mp4,
            MediaFormat::Flac,
            MediaFormat::Ogg,
            MediaFormat::Webm,
        ];
        let names: Vec<&str> = all.iter().map(|f| f.as_str()).collect();
        assert_eq!(names, ["wav", "mp3", "m4a", "mp4", "flac", "ogg", "webm"]);
        let videos: Vec<MediaFormat> = all.iter().copied().filter(|f| f.is_video()).collect();
        assert_eq!(videos, [MediaFormat::Mp4, MediaFormat::Webm]);
        assert_eq!(MediaFormat::Mp3.mime_type(), "audio/mpeg");
        assert_eq!(MediaFormat::Webm.mime_type(), "video/webm");
        assert_eq!(MediaFormat::M4a.to_string(), "m4a");
        assert_eq!(serde_json::to_string(&MediaFormat::Flac).unwrap(), "\"flac\"");
    }

    #[test]
    fn duration_limits_name_who_set_them() {
        let info = |d: f64, source| MediaInfo {
            format: MediaFormat::Wav,
            codec: "pcm_s16le".into(),
            sample_rate: Some(16_000),
            channels: Some(1),
            duration: Some(d),
            duration_source: source,
            decodable: true,
        };
        let amazon = DurationLimits::new(0.5, 4.0 * 3600.0, true);
        assert_eq!(
            amazon.check(&info(0.2, DurationSource::Header)).unwrap_err(),
            "the recording is 0.2 s long; Amazon Transcribe needs at least 0.5 s. Upload a longer recording"
        );
        assert_eq!(
            amazon
                .check(&info(4.0 * 3600.0 + 720.0, DurationSource::Header))
                .unwrap_err(),
            "the recording is 4 h 12 min long; Amazon Transcribe takes at most 4 h. Split it into parts and upload \
             them separately"
        );
        assert!(amazon.check(&info(0.5, DurationSource::Header)).is_ok());
        let configured = DurationLimits::new(2.0, 3600.0, true);
        assert_eq!(
            configured.check(&info(1.0, DurationSource::Header)).unwrap_err(),
            "the recording is 1 s long, under the 2 s minimum set by MIN_MEDIA_SECONDS. Upload a longer recording or \
             lower MIN_MEDIA_SECONDS"
        );
        assert!(configured
            .check(&info(5400.0, DurationSource::Header))
            .unwrap_err()
            .contains("over the 1 h maximum set by MAX_MEDIA_SECONDS"));
        // Estimates get slack, and the message says "about".
        assert!(configured.check(&info(4000.0, DurationSource::Estimate)).is_ok());
        assert!(configured
            .check(&info(5000.0, DurationSource::Estimate))
            .unwrap_err()
            .starts_with("the recording is about 1 h 23 min long"));
        // The offline engine has only the configured limits.
        let offline = DurationLimits::new(0.5, 8.0 * 3600.0, false);
        assert!(offline.check(&info(5.0 * 3600.0, DurationSource::Header)).is_ok());
        assert!(offline
            .check(&info(0.1, DurationSource::Header))
            .unwrap_err()
            .contains("set by MIN_MEDIA_SECONDS"));
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(0.2), "0.2 s");
        assert_eq!(human_duration(12.0), "12 s");
        assert_eq!(human_duration(200.0), "3 min 20 s");
        assert_eq!(human_duration(3600.0), "1 h");
        assert_eq!(human_duration(15_120.0), "4 h 12 min");
    }

    #[test]
    fn mime_types_map_back_to_formats() {
        for f in [
            MediaFormat::Wav,
            MediaFormat::Mp3,
            MediaFormat::M4a,
            MediaFormat::Mp4,
            MediaFormat::Flac,
            MediaFormat::Ogg,
            MediaFormat::Webm,
        ] {
            assert_eq!(MediaFormat::from_mime_type(f.mime_type()), Some(f));
            assert_eq!(MediaFormat::from_mime_type(f.as_str()), Some(f));
        }
        assert_eq!(
            MediaFormat::from_mime_type("audio/x-wav; codecs=1"),
            Some(MediaFormat::Wav)
        );
        assert_eq!(MediaFormat::from_mime_type("text/plain"), None);
    }
}
