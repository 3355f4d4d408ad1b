//! Media intake: the real type of an upload, sniffed from its first bytes.
//!
//! Upload names lie (`interview.mp3` that is a WAV, a `.m4a` that is a PDF), so the pipeline
//! decides from magic bytes alone: [`sniff`] reads a prefix of at most [`SNIFF_BYTES`] and says
//! whether it is a supported recording, text (possibly a transcript), or something else — in
//! which case it says what the file looks like, so the interview's error message is useful.

use serde::{Deserialize, Serialize};

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
    /// UTF-8 text without NUL bytes: a transcript candidate.
    Text,
    /// Neither; the text says what it looks like (`a PDF document`), to finish a sentence such
    /// as "the upload is …".
    Unknown(String),
}

/// Decides what a file is from its first bytes (at most [`SNIFF_BYTES`] are looked at).
///
/// Never uses the file name. Checks, in order: empty; UTF-16 byte-order marks (before MP3, whose
/// frame sync `FF Fx` they resemble); the media signatures (`RIFF….WAVE`, `ID3` or an MPEG audio
/// frame header, `fLaC`, `OggS`, EBML `1A 45 DF A3`, `….ftyp` + brand); common wrong uploads
/// (PDF, ZIP and Office documents, PNG, JPEG, GIF, HEIC, AVI, raw AAC); then text (valid UTF-8,
/// no NUL, a multi-byte character cut off by the end of the prefix allowed).
pub fn sniff(prefix: &[u8]) -> Sniffed {
    let prefix = &prefix[..prefix.len().min(SNIFF_BYTES as usize)];
    if prefix.is_empty() {
        return unknown("an empty file");
    }
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]) {
        return unknown("UTF-16 text (save it as UTF-8)");
    }
    if let Some(format) = media_format(prefix) {
        return Sniffed::Media(format);
    }
    if let Some(description) = wrong_upload(prefix) {
        return Sniffed::Unknown(description);
    }
    if is_text(prefix) {
        return Sniffed::Text;
    }
    unknown("binary data of an unrecognised type")
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
    if contains(b"word/") {
        "a Word document (DOCX); export the transcript as .txt instead"
    } else if contains(b"xl/") {
        "an Excel workbook (XLSX)"
    } else if contains(b"ppt/") {
        "a PowerPoint presentation (PPTX)"
    } else {
        "a ZIP archive (or an Office document)"
    }
}

/// UTF-8 without NUL bytes; a character cut off by the end of the prefix is fine.
fn is_text(prefix: &[u8]) -> bool {
    if prefix.contains(&0) {
        return false;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => true,
        // `error_len() == None` means the input ended inside a character: the prefix cut it.
        Err(err) => err.error_len().is_none(),
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
        assert_eq!(sniff(b"RIFF\x24\x08"), Sniffed::Text);
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
        let cases: [(&[u8], &str); 8] = [
            (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
            (
                b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml....word/document.xml",
                "a Word document (DOCX); export the transcript as .txt instead",
            ),
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
            (b"\xfe\xff\x00W\x00E", "UTF-16 text (save it as UTF-8)"),
        ];
        for (bytes, description) in cases {
            assert_eq!(sniff(bytes), unknown_text(description), "{description}");
        }
        assert_eq!(
            sniff(b"\xff\xfeW\x00E\x00B\x00"),
            unknown_text("UTF-16 text (save it as UTF-8)")
        );
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
        assert_eq!(
            sniff(b"caf\xe9 au lait"),
            unknown_text("binary data of an unrecognised type")
        );
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
}
