//! Decoding a recording into what a speech engine takes: 16 kHz mono `f32` samples in [-1, 1].
//!
//! [`decode_file`] demuxes and decodes with symphonia (every format [`crate::media`] sniffs,
//! except codecs symphonia lacks, such as Opus), downmixes by averaging the channels, and
//! resamples with [`Resampler`]. For recordings with two or more channels it also keeps a
//! per-channel energy envelope (mean square per 10 ms), so speaker turns can be told apart
//! by channel without keeping every channel's samples.
//!
//! The resampler is a windowed-sinc (band-limited) interpolator: each output sample is the
//! input convolved with a Blackman-windowed sinc low-pass whose cut-off is 95 % of the lower
//! of the two Nyquist frequencies, so downsampling (44.1/48 kHz → 16 kHz) does not alias and
//! upsampling (8 kHz → 16 kHz) does not image. The kernel spans 16 zero crossings on each side
//! and is tabulated at 512 points per zero crossing with linear interpolation between them;
//! each output's taps are normalised to sum to 1, so DC passes unchanged. Positions are kept
//! as exact integer ratios, so long recordings do not drift.

use crate::media::{MediaError, MediaFormat};
use crate::stream::AudioStream;
use std::path::Path;

/// The sample rate speech engines take.
pub const TARGET_RATE: u32 = 16_000;
/// Energy envelope frames per second (10 ms frames).
pub const ENVELOPE_RATE: usize = 100;

/// A decoded recording.
#[derive(Debug, Clone, Default)]
pub struct Audio {
    /// Mono samples at [`TARGET_RATE`], in [-1, 1].
    pub samples: Vec<f32>,
    /// For recordings with two or more channels: per channel, the mean square of each 10 ms
    /// frame ([`ENVELOPE_RATE`] per second). Empty for mono recordings.
    pub channel_energy: Vec<Vec<f32>>,
    /// The source's sample rate.
    pub source_rate: u32,
    /// The source's channel count.
    pub source_channels: usize,
}

impl Audio {
    /// Seconds of audio.
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / f64::from(TARGET_RATE)
    }

    /// Mono audio at the target rate (tests, benchmarks).
    pub fn from_mono(samples: Vec<f32>) -> Self {
        Self {
            samples,
            channel_energy: Vec::new(),
            source_rate: TARGET_RATE,
            source_channels: 1,
        }
    }

    /// The mean square of the mono samples per 10 ms frame.
    pub fn mono_energy(&self) -> Vec<f32> {
        let frame = TARGET_RATE as usize / ENVELOPE_RATE;
        self.samples
            .chunks(frame)
            .map(|c| c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32)
            .collect()
    }
}

/// Decodes a whole local file of the sniffed `format` to 16 kHz mono. This holds every sample
/// (230 MB an hour); the recogniser streams instead ([`crate::stream`]).
pub fn decode_file(path: &Path, format: MediaFormat) -> Result<Audio, MediaError> {
    let mut stream = AudioStream::open(path, format)?;
    let mut audio = Audio::default();
    while stream.next_into(&mut audio.samples)? {}
    if let Some((rate, channels)) = stream.source {
        audio.source_rate = rate;
        audio.source_channels = channels;
    }
    audio.channel_energy = stream.finish().channels;
    Ok(audio)
}

/// Per-channel mean square per 10 ms.
pub(crate) struct Envelope {
    frame: usize,
    filled: usize,
    sums: Vec<f32>,
    out: Vec<Vec<f32>>,
}

impl Envelope {
    pub(crate) fn new(rate: u32, channels: usize) -> Self {
        Self {
            frame: (rate as usize / ENVELOPE_RATE).max(1),
            filled: 0,
            sums: vec![0.0; channels],
            out: vec![Vec::new(); channels],
        }
    }

    pub(crate) fn push(&mut self, interleaved: &[f32], channels: usize) {
        if channels != self.sums.len() {
            return;
        }
        for frame in interleaved.chunks_exact(channels) {
            for (sum, s) in self.sums.iter_mut().zip(frame) {
                *sum += s * s;
            }
            self.filled += 1;
            if self.filled == self.frame {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        for (sum, out) in self.sums.iter_mut().zip(&mut self.out) {
            out.push(*sum / self.filled.max(1) as f32);
            *sum = 0.0;
        }
        self.filled = 0;
    }

    pub(crate) fn finish(mut self) -> Vec<Vec<f32>> {
        if self.filled > 0 {
            self.flush();
        }
        self.out
    }
}

/// Zero crossings of the sinc on each side of the centre.
const ZERO_CROSSINGS: usize = 16;
/// Table points per zero crossing.
const TABLE_DENSITY: usize = 512;
/// Cut-off as a fraction of the lower Nyquist frequency.
const CUTOFF: f64 = 0.95;

/// A streaming windowed-sinc resampler (see the module documentation).
#[derive(Debug, Clone)]
pub struct Resampler {
    from: u64,
    to: u64,
    /// Kernel half-width in input samples.
    half_width: f64,
    /// Input samples per zero crossing of the kernel (1 / (2 · cut-off in cycles per sample)).
    spacing: f64,
    /// The kernel from 0 to `ZERO_CROSSINGS` crossings, `TABLE_DENSITY` points per crossing.
    table: Vec<f32>,
    /// Buffered input; `buffer[0]` is input sample number `buffer_start`.
    buffer: Vec<f32>,
    buffer_start: u64,
    /// Input samples seen.
    consumed: u64,
    /// The next output sample's number.
    next_out: u64,
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz.
    pub fn new(from: u32, to: u32) -> Self {
        let (from, to) = (u64::from(from.max(1)), u64::from(to.max(1)));
        // Cut-off in cycles per input sample.
        let cutoff = 0.5 * CUTOFF * (to as f64 / from as f64).min(1.0);
        let spacing = 1.0 / (2.0 * cutoff);
        let half_width = ZERO_CROSSINGS as f64 * spacing;
        let points = ZERO_CROSSINGS * TABLE_DENSITY;
        let table = (0..=points + 1)
            .map(|i| {
                let crossings = i as f64 / TABLE_DENSITY as f64;
                if crossings >= ZERO_CROSSINGS as f64 {
                    return 0.0;
                }
                let x = std::f64::consts::PI * crossings;
                let sinc = if i == 0 { 1.0 } else { x.sin() / x };
                // Blackman window over [-ZERO_CROSSINGS, ZERO_CROSSINGS], centred.
                let phase = std::f64::consts::PI * (crossings / ZERO_CROSSINGS as f64 + 1.0);
                let window = 0.42 - 0.5 * phase.cos() + 0.08 * (2.0 * phase).cos();
                (sinc * window) as f32
            })
            .collect();
        Self {
            from,
            to,
            half_width,
            spacing,
            table,
            buffer: Vec::new(),
            buffer_start: 0,
            consumed: 0,
            next_out: 0,
        }
    }

    /// Resamples a whole signal at once.
    pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
        if from == to {
            return samples.to_vec();
        }
        let mut r = Resampler::new(from, to);
        let mut out = Vec::with_capacity((samples.len() as u64 * u64::from(to) / u64::from(from.max(1))) as usize + 1);
        r.process(samples, &mut out);
        r.finish(&mut out);
        out
    }

    /// The kernel at `offset` input samples from the centre.
    fn kernel(&self, offset: f64) -> f32 {
        let pos = offset.abs() / self.spacing * TABLE_DENSITY as f64;
        let i = pos as usize;
        if i + 1 >= self.table.len() {
            return 0.0;
        }
        let frac = (pos - i as f64) as f32;
        self.table[i] + (self.table[i + 1] - self.table[i]) * frac
    }

    /// The input position (integer part, fraction) of output sample `n`.
    fn position(&self, n: u64) -> (u64, f64) {
        let num = n as u128 * self.from as u128;
        let whole = (num / self.to as u128) as u64;
        let frac = (num % self.to as u128) as f64 / self.to as f64;
        (whole, frac)
    }

    /// Feeds input samples; appends every output sample whose kernel is fully covered.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.from == self.to {
            out.extend_from_slice(input);
            self.consumed += input.len() as u64;
            return;
        }
        self.buffer.extend_from_slice(input);
        self.consumed += input.len() as u64;
        self.emit(out, self.consumed);
    }

    /// Flushes the tail (the input is taken as followed by silence).
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        if self.from == self.to {
            return;
        }
        let total = self.consumed;
        let pad = self.half_width.ceil() as usize + 2;
        self.buffer.extend(std::iter::repeat_n(0.0, pad));
        let end = self.buffer_start + self.buffer.len() as u64;
        // Output samples whose position lies inside the real input.
        let last_out = (total as u128 * self.to as u128).div_ceil(self.from as u128) as u64;
        let limit = self.next_out.max(last_out);
        while self.next_out < limit {
            let (whole, _) = self.position(self.next_out);
            if whole as f64 + self.half_width + 1.0 >= end as f64 {
                break;
            }
            out.push(self.sample(self.next_out));
            self.next_out += 1;
        }
        self.buffer.clear();
    }

    /// Emits outputs while the input available reaches past each one's kernel.
    fn emit(&mut self, out: &mut Vec<f32>, available: u64) {
        loop {
            let (whole, _) = self.position(self.next_out);
            if whole as f64 + self.half_width + 1.0 >= available as f64 {
                break;
            }
            out.push(self.sample(self.next_out));
            self.next_out += 1;
        }
        // Drop input no future output needs.
        let (whole, _) = self.position(self.next_out);
        let keep_from = (whole as f64 - self.half_width - 1.0).max(0.0) as u64;
        if keep_from > self.buffer_start {
            let drop = ((keep_from - self.buffer_start) as usize).min(self.buffer.len());
            self.buffer.drain(..drop);
            self.buffer_start += drop as u64;
        }
    }

    /// Output sample `n` from the buffered input.
    fn sample(&self, n: u64) -> f32 {
        let (whole, frac) = self.position(n);
        let centre = whole as f64 + frac;
        let first = (centre - self.half_width).ceil().max(0.0) as u64;
        let last = (centre + self.half_width).floor() as u64;
        let (mut acc, mut weight) = (0.0f32, 0.0f32);
        for k in first.max(self.buffer_start)..=last {
            let Some(&x) = self.buffer.get((k - self.buffer_start) as usize) else {
                break;
            };
            let w = self.kernel(k as f64 - centre);
            acc += x * w;
            weight += w;
        }
        if weight.abs() > 1e-6 {
            acc / weight
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, seconds: f64) -> Vec<f32> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin() as f32 * 0.5)
            .collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|s| s * s).sum::<f32>() / x.len().max(1) as f32).sqrt()
    }

    /// Amplitude of `freq` in `x` (one DFT bin, no window: whole periods are used).
    fn amplitude(x: &[f32], freq: f64, rate: u32) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, s) in x.iter().enumerate() {
            let phase = 2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate);
            re += f64::from(*s) * phase.cos();
            im += f64::from(*s) * phase.sin();
        }
        2.0 * (re * re + im * im).sqrt() / x.len() as f64
    }

    #[test]
    fn lengths_match_the_rate_ratio() {
        for (from, to) in [
            (44_100, 16_000),
            (48_000, 16_000),
            (8_000, 16_000),
            (22_050, 16_000),
            (16_000, 16_000),
        ] {
            let input = tone(440.0, from, 1.5);
            let out = Resampler::resample(&input, from, to);
            let want = (input.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as i64;
            assert!(
                (out.len() as i64 - want).abs() <= 1,
                "{from}->{to}: {} vs {want}",
                out.len()
            );
        }
    }

    #[test]
    fn a_tone_in_the_passband_keeps_its_level_and_frequency() {
        for from in [44_100, 48_000, 8_000, 22_050] {
            let out = Resampler::resample(&tone(1000.0, from, 1.0), from, 16_000);
            // Skip the edges (the kernel sees silence beyond them).
            let mid = &out[1600..14400];
            let level = amplitude(mid, 1000.0, 16_000);
            assert!((level - 0.5).abs() < 0.01, "{from}: level {level}");
            assert!((rms(mid) - 0.5 / 2f32.sqrt()).abs() < 0.01, "{from}: rms {}", rms(mid));
        }
    }

    #[test]
    fn content_above_the_new_nyquist_is_removed_not_aliased() {
        // 11 kHz at 44.1 kHz would alias to 5 kHz at 16 kHz without the low-pass.
        let out = Resampler::resample(&tone(11_000.0, 44_100, 1.0), 44_100, 16_000);
        let mid = &out[1600..14400];
        assert!(rms(mid) < 0.005, "leak {}", rms(mid));
        assert!(amplitude(mid, 5_000.0, 16_000) < 0.005);
    }

    #[test]
    fn streaming_in_odd_chunks_equals_one_pass() {
        let input = tone(300.0, 44_100, 0.7);
        let whole = Resampler::resample(&input, 44_100, 16_000);
        let mut r = Resampler::new(44_100, 16_000);
        let mut out = Vec::new();
        for chunk in input.chunks(997) {
            r.process(chunk, &mut out);
        }
        r.finish(&mut out);
        assert_eq!(out.len(), whole.len());
        for (a, b) in out.iter().zip(&whole) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn dc_passes_unchanged() {
        let out = Resampler::resample(&vec![0.25; 48_000], 48_000, 16_000);
        for s in &out[100..out.len() - 100] {
            assert!((s - 0.25).abs() < 1e-4, "{s}");
        }
    }
}
