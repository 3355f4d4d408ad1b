//! Decoding as a stream: a recording is demuxed, decoded, downmixed and resampled packet by
//! packet, and the recogniser asks for one window at a time ([`Windows`]), so the samples held
//! at any moment are one window and a packet, whatever the recording's length (a 4-hour
//! recording would otherwise be ~0.9 GB of `f32`). What speaker turns need of the whole
//! recording is kept as 10 ms energy envelopes ([`Envelopes`]: 400 bytes per second per channel).

use super::audio::{Envelope, Resampler, ENVELOPE_RATE, TARGET_RATE};
use crate::media::{MediaError, MediaFormat};
use crate::probe::{self, OpenedMedia};
use std::path::Path;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{Decoder, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;

/// How many undecodable packets are tolerated (a glitch) before the file counts as damaged.
const MAX_BAD_PACKETS: usize = 50;

/// What speaker turns need of a whole recording, gathered while it streams by.
#[derive(Debug, Clone, Default)]
pub struct Envelopes {
    /// Mean square of the 16 kHz mono samples per 10 ms frame.
    pub mono: Vec<f32>,
    /// For two or more channels: per channel, the mean square per 10 ms frame.
    pub channels: Vec<Vec<f32>>,
    /// 16 kHz mono samples produced.
    pub samples: u64,
}

impl Envelopes {
    /// Seconds of audio.
    pub fn duration(&self) -> f64 {
        self.samples as f64 / f64::from(TARGET_RATE)
    }
}

/// A recording being decoded to 16 kHz mono, clamped to [-1, 1].
pub struct AudioStream {
    media: OpenedMedia,
    decoder: Box<dyn Decoder>,
    format: MediaFormat,
    codec: String,
    resampler: Option<Resampler>,
    channel_envelope: Option<Envelope>,
    buffer: Option<SampleBuffer<f32>>,
    mono: Vec<f32>,
    resampled: Vec<f32>,
    good: usize,
    bad: usize,
    first_problem: Option<String>,
    ended: bool,
    envelopes: Envelopes,
    /// Sum of squares and count of the 10 ms mono frame being filled.
    frame: (f32, usize),
    /// The source's sample rate and channel count, once the first packet decoded.
    pub source: Option<(u32, usize)>,
}

impl AudioStream {
    /// Opens a local file of the sniffed `format`.
    pub fn open(path: &Path, format: MediaFormat) -> Result<Self, MediaError> {
        // Declared sizes are held against the file before symphonia allocates from them.
        crate::guard::check_file(path, format)?;
        let file = std::fs::File::open(path).map_err(|e| MediaError::Io(e.to_string()))?;
        let media = probe::open(Box::new(file), format)?;
        let codec = probe::codec_name(media.codec);
        let decoder = symphonia::default::get_codecs()
            .make(&media.params, &DecoderOptions::default())
            .map_err(|e| MediaError::Corrupt {
                format,
                codec: codec.clone(),
                detail: format!(
                    "this build cannot decode {codec} ({}); convert the recording to WAV, FLAC, MP3 or M4A (AAC)",
                    probe::describe(&e)
                ),
            })?;
        Ok(Self {
            media,
            decoder,
            format,
            codec,
            resampler: None,
            channel_envelope: None,
            buffer: None,
            mono: Vec::new(),
            resampled: Vec::new(),
            good: 0,
            bad: 0,
            first_problem: None,
            ended: false,
            envelopes: Envelopes::default(),
            frame: (0.0, 0),
            source: None,
        })
    }

    /// Appends the next decoded samples (one packet's worth, or the resampler's tail) to `out`;
    /// `Ok(false)` once the recording has ended and everything was handed out.
    pub fn next_into(&mut self, out: &mut Vec<f32>) -> Result<bool, MediaError> {
        if self.ended {
            return Ok(false);
        }
        self.resampled.clear();
        loop {
            match self.decode_packet()? {
                Some(()) if self.resampled.is_empty() => continue,
                Some(()) => break,
                None => {
                    self.ended = true;
                    if let Some(r) = self.resampler.as_mut() {
                        r.finish(&mut self.resampled);
                    }
                    break;
                }
            }
        }
        let start = out.len();
        out.extend(self.resampled.iter().map(|s| s.clamp(-1.0, 1.0)));
        self.measure(start, out);
        Ok(!self.ended || out.len() > start)
    }

    /// Adds `out[start..]` to the mono envelope.
    fn measure(&mut self, start: usize, out: &[f32]) {
        let frame = TARGET_RATE as usize / ENVELOPE_RATE;
        for s in &out[start..] {
            self.frame.0 += s * s;
            self.frame.1 += 1;
            if self.frame.1 == frame {
                self.envelopes.mono.push(self.frame.0 / frame as f32);
                self.frame = (0.0, 0);
            }
        }
        self.envelopes.samples += (out.len() - start) as u64;
    }

    /// Decodes one packet of the audio track into `self.resampled`; `None` at the end.
    fn decode_packet(&mut self) -> Result<Option<()>, MediaError> {
        let (format, good) = (self.format, self.good);
        let packet = match self.media.reader.next_packet() {
            Ok(p) => p,
            Err(e) if probe::is_end_of_data(&e) => return self.end(),
            Err(SymphoniaError::ResetRequired) => return self.end(),
            Err(e) if good > 0 => {
                tracing::warn!(error = %e, "unreadable data after {good} packets; transcribing what came before it");
                return self.end();
            }
            Err(e) => {
                return Err(MediaError::Unreadable {
                    format,
                    detail: probe::describe(&e),
                })
            }
        };
        if packet.track_id() != self.media.track_id {
            return Ok(Some(()));
        }
        let decoded = match self.decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymphoniaError::DecodeError(e)) => {
                self.bad += 1;
                self.first_problem.get_or_insert_with(|| e.to_string());
                if self.bad > MAX_BAD_PACKETS && self.bad > self.good / 10 {
                    return Err(MediaError::Corrupt {
                        format,
                        codec: self.codec.clone(),
                        detail: format!(
                            "{} packets do not decode (first: {})",
                            self.bad,
                            self.first_problem.clone().unwrap_or_default()
                        ),
                    });
                }
                return Ok(Some(()));
            }
            Err(e) => {
                return Err(MediaError::Corrupt {
                    format,
                    codec: self.codec.clone(),
                    detail: probe::describe(&e),
                })
            }
        };
        self.good += 1;
        let spec = *decoded.spec();
        let channels = spec.channels.count().max(1);
        if decoded.frames() == 0 {
            return Ok(Some(()));
        }
        let buf = match &mut self.buffer {
            Some(b) if b.capacity() >= decoded.capacity() * channels => b,
            _ => self.buffer.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        let samples = buf.samples();
        if self.resampler.is_none() {
            self.source = Some((spec.rate, channels));
            self.resampler = Some(Resampler::new(spec.rate, TARGET_RATE));
            if channels >= 2 {
                self.channel_envelope = Some(Envelope::new(spec.rate, channels));
            }
        }
        if let Some(env) = self.channel_envelope.as_mut() {
            env.push(samples, channels);
        }
        self.mono.clear();
        self.mono.extend(
            samples
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() / channels as f32),
        );
        if let Some(r) = self.resampler.as_mut() {
            r.process(&self.mono, &mut self.resampled);
        }
        Ok(Some(()))
    }

    /// The end of the track: an error if nothing at all decoded.
    fn end(&mut self) -> Result<Option<()>, MediaError> {
        if self.good == 0 {
            return Err(match self.first_problem.take() {
                Some(detail) => MediaError::Corrupt {
                    format: self.format,
                    codec: self.codec.clone(),
                    detail,
                },
                None => MediaError::NoAudio { format: self.format },
            });
        }
        Ok(None)
    }

    /// The envelopes of everything handed out (call after the stream ended).
    pub fn finish(mut self) -> Envelopes {
        if self.frame.1 > 0 {
            self.envelopes.mono.push(self.frame.0 / self.frame.1 as f32);
        }
        if let Some(env) = self.channel_envelope.take() {
            self.envelopes.channels = env.finish();
        }
        self.envelopes
    }
}

/// Where the recogniser reads windows of 16 kHz mono samples, in increasing order of start.
pub trait SampleSource {
    /// Up to `len` samples from sample number `start` on (fewer only at the end). `start` never
    /// goes below an earlier call's, so a streaming source may forget what lies before it.
    fn window(&mut self, start: usize, len: usize) -> Result<&[f32], MediaError>;
}

/// A recording already in memory.
pub struct InMemory<'a>(pub &'a [f32]);

impl SampleSource for InMemory<'_> {
    fn window(&mut self, start: usize, len: usize) -> Result<&[f32], MediaError> {
        let start = start.min(self.0.len());
        Ok(&self.0[start..(start + len).min(self.0.len())])
    }
}

/// A sliding window over an [`AudioStream`]: holds only the samples from the last requested
/// start on.
pub struct Windows {
    stream: AudioStream,
    held: Vec<f32>,
    /// Sample number of `held[0]`.
    first: usize,
    ended: bool,
}

impl Windows {
    /// Windows over `stream`.
    pub fn new(stream: AudioStream) -> Self {
        Self {
            stream,
            held: Vec::new(),
            first: 0,
            ended: false,
        }
    }

    /// The rest of the stream's envelopes (it is decoded to the end first).
    pub fn finish(mut self) -> Result<Envelopes, MediaError> {
        while !self.ended {
            self.held.clear();
            self.ended = !self.stream.next_into(&mut self.held)?;
        }
        Ok(self.stream.finish())
    }

    /// Samples held right now (for memory tests).
    pub fn held(&self) -> usize {
        self.held.capacity()
    }
}

impl SampleSource for Windows {
    fn window(&mut self, start: usize, len: usize) -> Result<&[f32], MediaError> {
        let start = start.max(self.first);
        let drop = (start - self.first).min(self.held.len());
        self.held.drain(..drop);
        self.first += drop;
        while !self.ended && self.first + self.held.len() < start + len {
            self.ended = !self.stream.next_into(&mut self.held)?;
        }
        // Skipped past the end of what is held: nothing left to read there.
        if start > self.first + self.held.len() {
            return Ok(&[]);
        }
        let from = start - self.first;
        // Drop what lies before `start` in what was just read, so the buffer stays one window.
        if from > 0 {
            self.held.drain(..from);
            self.first = start;
        }
        Ok(&self.held[..len.min(self.held.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::decode_file;

    /// A 16-bit PCM WAV of `channels` channels at `rate`, `seconds` long: a tone on the first
    /// channel, another at half the level on the second.
    fn wav(rate: u32, channels: u16, seconds: f64) -> Vec<u8> {
        let frames = (f64::from(rate) * seconds) as u32;
        let data_len = frames * u32::from(channels) * 2;
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
        out.extend_from_slice(&(channels * 2).to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for i in 0..frames {
            let t = f64::from(i) / f64::from(rate);
            for c in 0..channels {
                let level = if c == 0 { 0.5 } else { 0.25 };
                let v = (2.0 * std::f64::consts::PI * 440.0 * (1.0 + f64::from(c)) * t).sin() * level;
                out.extend_from_slice(&((v * 32767.0) as i16).to_le_bytes());
            }
        }
        out
    }

    #[test]
    fn windows_read_the_same_samples_as_a_whole_decode_holding_one_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.wav");
        std::fs::write(&path, wav(44_100, 2, 95.0)).unwrap();
        let whole = decode_file(&path, MediaFormat::Wav).unwrap();
        let mut windows = Windows::new(AudioStream::open(&path, MediaFormat::Wav).unwrap());
        let window = 30 * TARGET_RATE as usize;
        // Windows that overlap (a restart inside the last one) and one that skips ahead.
        let starts = [0, window - 8_000, 2 * window, 2 * window + 5 * TARGET_RATE as usize + 3];
        for start in starts {
            let got = windows.window(start, window + 1).unwrap().to_vec();
            let want = &whole.samples[start.min(whole.samples.len())..(start + window + 1).min(whole.samples.len())];
            assert_eq!(got.len(), want.len(), "window at {start}");
            assert!(got == want, "window at {start} differs");
            assert!(windows.held() <= 2 * window, "holds {} samples", windows.held());
        }
        let tail = windows.window(whole.samples.len() + 10, window).unwrap().len();
        assert_eq!(tail, 0, "nothing past the end");
        let envelopes = windows.finish().unwrap();
        assert_eq!(envelopes.samples, whole.samples.len() as u64);
        assert_eq!(envelopes.mono, whole.mono_energy());
        assert_eq!(envelopes.channels, whole.channel_energy);
        assert_eq!(envelopes.channels.len(), 2);
    }

    #[test]
    fn a_window_past_a_short_recording_is_empty_and_in_memory_matches() {
        let samples: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
        let mut source = InMemory(&samples);
        assert_eq!(source.window(990, 100).unwrap().len(), 10);
        assert!(source.window(5000, 100).unwrap().is_empty());
    }
}
