//! Probing a recording with symphonia: its container opened, the audio track found, the
//! duration read, the first packets decoded. The adapter of the [`MediaProbe`] port.
//!
//! This reads untrusted headers, so it runs only in the transcribe step (one interview per
//! invocation), never in ingest, where a crash would take a whole SQS batch with it; and the
//! declared sizes symphonia would allocate from are checked first (`guard.rs`).

use crate::guard::{check_declared_sizes, check_file};
use interview_core::ports::MediaProbe;
use interview_transcript::media::{DurationSource, MediaError, MediaFormat, MediaInfo, ProbeInput};
use symphonia::core::codecs::{CodecType, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// The symphonia prober.
#[derive(Debug, Clone, Copy, Default)]
pub struct SymphoniaProbe;

impl MediaProbe for SymphoniaProbe {
    fn probe(&self, input: ProbeInput<'_>, format: MediaFormat) -> Result<MediaInfo, MediaError> {
        probe(input, format)
    }
}

/// How many packets [`probe`] decodes to tell a damaged file from a good one.
const CHECK_PACKETS: usize = 24;

/// An opened container positioned at its first packet, and the audio track to read.
pub(crate) struct OpenedMedia {
    pub(crate) reader: Box<dyn FormatReader>,
    pub(crate) track_id: u32,
    pub(crate) codec: CodecType,
    pub(crate) params: symphonia::core::codecs::CodecParameters,
}

/// Opens `source` as `format` and picks its first audio track.
pub(crate) fn open(source: Box<dyn MediaSource>, format: MediaFormat) -> Result<OpenedMedia, MediaError> {
    let stream = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    hint.with_extension(match format {
        MediaFormat::M4a | MediaFormat::Mp4 => "mp4",
        MediaFormat::Webm => "mkv",
        other => other.as_str(),
    });
    let options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &options, &MetadataOptions::default())
        .map_err(|e| MediaError::Unreadable {
            format,
            detail: describe(&e),
        })?;
    let reader = probed.format;
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or(MediaError::NoAudioTrack { format })?;
    Ok(OpenedMedia {
        track_id: track.id,
        codec: track.codec_params.codec,
        params: track.codec_params.clone(),
        reader,
    })
}

/// A short, lower-case description of a symphonia error.
pub(crate) fn describe(err: &SymphoniaError) -> String {
    match err {
        SymphoniaError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the data ends unexpectedly".to_string()
        }
        SymphoniaError::IoError(e) => e.to_string(),
        SymphoniaError::DecodeError(m) => format!("malformed data ({m})"),
        SymphoniaError::Unsupported(m) => format!("unsupported feature ({m})"),
        SymphoniaError::LimitError(m) => format!("a safety limit was reached ({m})"),
        SymphoniaError::SeekError(_) => "the stream cannot be seeked".to_string(),
        SymphoniaError::ResetRequired => "the stream changed its parameters midway".to_string(),
    }
}

/// Whether a demuxing error just means "no more data" (the end of a file or of a prefix).
pub(crate) fn is_end_of_data(err: &SymphoniaError) -> bool {
    matches!(err, SymphoniaError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof)
}

/// The codec's short name, also for codecs this build cannot decode.
pub(crate) fn codec_name(codec: CodecType) -> String {
    use symphonia::core::codecs as c;
    if let Some(descriptor) = symphonia::default::get_codecs().get_codec(codec) {
        return descriptor.short_name.to_string();
    }
    let name = match codec {
        c::CODEC_TYPE_OPUS => "opus",
        c::CODEC_TYPE_ALAC => "alac",
        c::CODEC_TYPE_EAC3 => "eac3",
        c::CODEC_TYPE_WMA => "wma",
        c::CODEC_TYPE_SPEEX => "speex",
        c::CODEC_TYPE_MP1 => "mp1",
        c::CODEC_TYPE_MP2 => "mp2",
        _ => "an unknown codec",
    };
    name.to_string()
}

/// Seconds in `ts` units of the track's time base (or its sample rate).
pub(crate) fn seconds(params: &symphonia::core::codecs::CodecParameters, ts: u64) -> Option<f64> {
    if let Some(tb) = params.time_base {
        let t = tb.calc_time(ts);
        return Some(t.seconds as f64 + t.frac);
    }
    params.sample_rate.map(|rate| ts as f64 / f64::from(rate))
}

/// Opens a recording, finds its audio track and duration, and decodes its first packets.
///
/// `format` is what [`sniff`] found. A prefix is read as a stream that cannot seek, so readers
/// that would look at the end of the file (Ogg) do not mistake the prefix's end for the file's.
/// Errors name what is wrong for a person; a codec this build cannot decode is not an error
/// ([`MediaInfo::decodable`] is false), since the cloud engine may still take it.
pub fn probe(input: ProbeInput<'_>, format: MediaFormat) -> Result<MediaInfo, MediaError> {
    // symphonia trusts some declared counts and sizes: hold them against the file first.
    match input {
        ProbeInput::Whole(bytes) => check_declared_sizes(bytes, bytes.len() as u64, format)?,
        ProbeInput::Prefix { bytes, total } => check_declared_sizes(bytes, total, format)?,
        ProbeInput::File(path) => check_file(path, format)?,
    }
    let (source, whole, total): (Box<dyn MediaSource>, bool, u64) = match input {
        ProbeInput::Whole(bytes) => (Box::new(std::io::Cursor::new(bytes.to_vec())), true, bytes.len() as u64),
        ProbeInput::Prefix { bytes, total } if bytes.len() as u64 >= total => {
            (Box::new(std::io::Cursor::new(bytes.to_vec())), true, bytes.len() as u64)
        }
        ProbeInput::Prefix { bytes, total } => (
            Box::new(ReadOnlySource::new(std::io::Cursor::new(bytes.to_vec()))),
            false,
            total,
        ),
        ProbeInput::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| MediaError::Io(e.to_string()))?;
            let len = file.metadata().map(|m| m.len()).unwrap_or_default();
            (Box::new(file), true, len)
        }
    };
    let mut media = open(source, format)?;
    let codec = codec_name(media.codec);
    let header_duration = media
        .params
        .n_frames
        .filter(|&n| n > 0)
        .and_then(|n| seconds(&media.params, n));
    let mut decoder = symphonia::default::get_codecs()
        .make(&media.params, &DecoderOptions::default())
        .ok();
    let decodable = decoder.is_some();

    // Demux the whole file (cheap: no decoding) when the header has no duration; otherwise
    // only as far as the decode check needs.
    let mut packets = 0usize;
    let mut packet_ts = 0u64;
    let mut packet_bytes = 0u64;
    let mut decoded_ok = 0usize;
    let mut decoded_spec = None;
    let mut decode_failures = 0usize;
    let mut first_failure = None;
    loop {
        if header_duration.is_some() && packets >= CHECK_PACKETS {
            break;
        }
        let packet = match media.reader.next_packet() {
            Ok(p) => p,
            Err(e) if is_end_of_data(&e) => break,
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => {
                if packets == 0 {
                    return Err(MediaError::Unreadable {
                        format,
                        detail: describe(&e),
                    });
                }
                // Garbage after good audio: the offline engine stops there; the cloud engine
                // decides for itself. The packets so far still give a (shorter) duration.
                tracing::warn!(error = %e, packets, "the recording has unreadable data after its first packets");
                break;
            }
        };
        if packet.track_id() != media.track_id {
            continue;
        }
        packets += 1;
        packet_ts += packet.dur;
        packet_bytes += packet.data.len() as u64;
        if packets <= CHECK_PACKETS {
            if let Some(decoder) = decoder.as_mut() {
                match decoder.decode(&packet) {
                    Ok(audio) => {
                        decoded_ok += 1;
                        decoded_spec.get_or_insert(*audio.spec());
                    }
                    Err(e) => {
                        decode_failures += 1;
                        first_failure.get_or_insert_with(|| describe(&e));
                    }
                }
            }
        }
    }
    if packets == 0 {
        return Err(MediaError::NoAudio { format });
    }
    if decodable && decoded_ok == 0 || decode_failures > decoded_ok {
        return Err(MediaError::Corrupt {
            format,
            codec,
            detail: first_failure.unwrap_or_else(|| "no packet decoded".into()),
        });
    }
    let packets_duration = seconds(&media.params, packet_ts);
    let (duration, duration_source) = match (header_duration, whole) {
        (Some(d), _) => (Some(d), DurationSource::Header),
        (None, true) => (packets_duration, DurationSource::Packets),
        (None, false) => {
            let estimate = packets_duration
                .filter(|_| packet_bytes > 0)
                .map(|d| d * total as f64 / packet_bytes as f64);
            (estimate, DurationSource::Estimate)
        }
    };
    Ok(MediaInfo {
        format,
        codec,
        sample_rate: media.params.sample_rate.or(decoded_spec.map(|s| s.rate)),
        channels: media
            .params
            .channels
            .map(|c| c.count())
            .or(decoded_spec.map(|s| s.channels.count())),
        duration,
        duration_source,
        decodable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use interview_testkit::media::wav;
    use interview_transcript::media::{sniff, Sniffed, PROBE_BYTES};

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/media/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn probed(bytes: &[u8]) -> MediaInfo {
        let Sniffed::Media(format) = sniff(bytes) else {
            panic!("not media: {:?}", sniff(bytes));
        };
        probe(ProbeInput::Whole(bytes), format).unwrap_or_else(|e| panic!("{format}: {e}"))
    }

    #[test]
    fn every_container_gives_its_duration_from_the_header() {
        for (name, codec) in [
            ("tone.flac", "flac"),
            ("tone.mp3", "mp3"),
            ("tone.m4a", "aac"),
            ("tone.ogg", "vorbis"),
            ("tone-opus.ogg", "opus"),
            ("tone.webm", "opus"),
        ] {
            let info = probed(&fixture(name));
            let duration = info.duration.unwrap_or_else(|| panic!("{name}: no duration"));
            assert!((duration - 1.5).abs() < 0.06, "{name}: {duration}");
            assert_eq!(info.codec, codec, "{name}");
            assert_eq!(info.decodable, codec != "opus", "{name}");
            if info.decodable {
                assert_eq!(info.channels, Some(2), "{name}");
            }
        }
        let info = probed(&wav(16_000, 1, 2.25));
        assert_eq!(
            (info.duration, info.duration_source),
            (Some(2.25), DurationSource::Header)
        );
        assert_eq!(
            (info.codec.as_str(), info.sample_rate, info.channels),
            ("pcm_s16le", Some(16_000), Some(1))
        );
    }

    #[test]
    fn without_a_header_duration_the_packets_tell_or_a_prefix_estimates() {
        let bytes = fixture("tone-no-xing.mp3");
        let info = probed(&bytes);
        assert!((info.duration.unwrap() - 1.5).abs() < 0.1, "{info:?}");
        // A prefix of an Ogg file cannot seek to its last page: the bitrate gives an estimate.
        let path = format!("{}/../../samples/support-call.ogg", env!("CARGO_MANIFEST_DIR"));
        let ogg = std::fs::read(path).unwrap();
        let whole = probed(&ogg).duration.unwrap();
        let info = probe(
            ProbeInput::Prefix {
                bytes: &ogg[..ogg.len() / 3],
                total: ogg.len() as u64,
            },
            MediaFormat::Ogg,
        )
        .unwrap();
        assert_eq!(info.duration_source, DurationSource::Estimate);
        let estimate = info.duration.unwrap();
        assert!((estimate - whole).abs() < whole * 0.25, "{estimate} vs {whole}");
    }

    #[test]
    fn a_large_wav_is_probed_from_its_first_megabyte() {
        let bytes = wav(16_000, 1, 40.0);
        assert!(bytes.len() as u64 > PROBE_BYTES);
        let info = probe(
            ProbeInput::Prefix {
                bytes: &bytes[..PROBE_BYTES as usize],
                total: bytes.len() as u64,
            },
            MediaFormat::Wav,
        )
        .unwrap();
        assert_eq!(
            (info.duration, info.duration_source),
            (Some(40.0), DurationSource::Header)
        );
    }

    #[test]
    fn right_magic_with_garbage_after_is_refused_with_the_reason() {
        let garbage: Vec<u8> = (0..4000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for head in [
            &b"RIFF\x24\x08\x00\x00WAVE"[..],
            b"fLaC",
            b"ID3\x04\x00\x00\x00\x00\x00\x00",
            b"OggS",
            b"\x00\x00\x00\x20ftypM4A ",
        ] {
            let mut bytes = head.to_vec();
            bytes.extend_from_slice(&garbage);
            let Sniffed::Media(format) = sniff(&bytes) else {
                panic!("{head:?} should sniff as media");
            };
            let err = probe(ProbeInput::Whole(&bytes), format).unwrap_err();
            let text = format!("the recording {err}");
            assert!(
                text.contains(&format.as_str().to_ascii_uppercase())
                    && (text.contains("damaged") || text.contains("empty")),
                "{format}: {text}"
            );
        }
        // A FLAC file cut after its header: no audio.
        let flac = fixture("tone.flac");
        let err = probe(ProbeInput::Whole(&flac[..200]), MediaFormat::Flac).unwrap_err();
        assert!(
            matches!(
                err,
                MediaError::NoAudio { .. } | MediaError::Unreadable { .. } | MediaError::Corrupt { .. }
            ),
            "{err:?}"
        );
        // Audio data replaced by garbage after a valid MP3 header frame.
        let mut mp3 = fixture("tone.mp3");
        let half = mp3.len() / 3;
        for (i, b) in mp3[half..].iter_mut().enumerate() {
            *b = garbage[i % garbage.len()];
        }
        // The first third decodes; the rest is skipped: still a (shorter) recording.
        assert!(probe(ProbeInput::Whole(&mp3), MediaFormat::Mp3).is_ok());
    }
}
