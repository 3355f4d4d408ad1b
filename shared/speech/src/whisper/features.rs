//! Whisper's log-mel front end, computed one 30-second window at a time.

use super::{HOP, N_FFT, N_FRAMES, WINDOW_SAMPLES};
use crate::audio::TARGET_RATE;
use crate::media::MediaError;
use crate::stream::SampleSource;
use std::sync::Arc;

/// Whisper's log-mel front end.
pub(super) struct MelFeatures {
    n_mels: usize,
    /// Per mel band, the first FFT bin it covers and its non-zero weights from there (each
    /// triangle spans a few bins, so this is ~20× less work than the dense matrix).
    filters: Vec<(usize, Vec<f32>)>,
    window: Vec<f32>,
    fft: Arc<dyn rustfft::Fft<f32>>,
}

impl MelFeatures {
    pub(super) fn new(n_mels: usize) -> Self {
        let window = (0..N_FFT)
            .map(|n| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64).cos()) as f32)
            .collect();
        Self {
            n_mels,
            filters: sparse(&mel_filters(f64::from(TARGET_RATE), N_FFT, n_mels), N_FFT / 2 + 1),
            window,
            fft: rustfft::FftPlanner::new().plan_fft_forward(N_FFT),
        }
    }

    /// The loudest log-mel value of everything `source` gives, one window at a time.
    pub(super) fn loudest(&self, source: &mut dyn SampleSource) -> Result<f32, MediaError> {
        let mut loudest = f32::MIN;
        let mut start = 0;
        loop {
            let window = source.window(start, WINDOW_SAMPLES)?;
            if window.is_empty() {
                break;
            }
            let full = window.len() == WINDOW_SAMPLES;
            loudest = loudest.max(self.log_mel(window).into_iter().fold(f32::MIN, f32::max));
            if !full {
                break;
            }
            start += WINDOW_SAMPLES;
        }
        Ok(loudest)
    }

    /// `[n_mels, N_FRAMES]` features of up to 30 s of samples (zero-padded to 30 s), floored
    /// at 8 below `loudest` (see [`WhisperModel::loudest`]) and scaled as Whisper was trained.
    pub(super) fn compute(&self, samples: &[f32], loudest: f32) -> Vec<f32> {
        let mut out = self.log_mel(samples);
        for v in &mut out {
            *v = ((*v).max(loudest - 8.0) + 4.0) / 4.0;
        }
        out
    }

    /// `[n_mels, N_FRAMES]` log10 mel energies of up to 30 s of samples (zero-padded to 30 s).
    fn log_mel(&self, samples: &[f32]) -> Vec<f32> {
        let len = WINDOW_SAMPLES;
        let pad = N_FFT / 2;
        // Reflect-pad the zero-padded window by half an FFT on each side (centred frames).
        let at = |i: isize| -> f32 {
            let idx = if i < 0 {
                (-i) as usize
            } else if i as usize >= len {
                2 * len - 2 - i as usize
            } else {
                i as usize
            };
            samples.get(idx).copied().unwrap_or(0.0)
        };
        let bins = N_FFT / 2 + 1;
        let mut power = vec![0f32; bins];
        let mut buffer = vec![rustfft::num_complex::Complex32::new(0.0, 0.0); N_FFT];
        let mut scratch = vec![rustfft::num_complex::Complex32::new(0.0, 0.0); self.fft.get_inplace_scratch_len()];
        let mut out = vec![0f32; self.n_mels * N_FRAMES];
        for frame in 0..N_FRAMES {
            let start = (frame * HOP) as isize - pad as isize;
            for (k, slot) in buffer.iter_mut().enumerate() {
                *slot = rustfft::num_complex::Complex32::new(at(start + k as isize) * self.window[k], 0.0);
            }
            self.fft.process_with_scratch(&mut buffer, &mut scratch);
            for (p, c) in power.iter_mut().zip(&buffer) {
                *p = c.norm_sqr();
            }
            for (m, (first, weights)) in self.filters.iter().enumerate() {
                let energy: f32 = weights.iter().zip(&power[*first..]).map(|(w, p)| w * p).sum();
                out[m * N_FRAMES + frame] = energy.max(1e-10).log10();
            }
        }
        out
    }
}

/// Each row of a dense `rows × bins` matrix as (first non-zero column, weights up to the last).
fn sparse(dense: &[f32], bins: usize) -> Vec<(usize, Vec<f32>)> {
    dense
        .chunks(bins)
        .map(|row| {
            let first = row.iter().position(|w| *w != 0.0).unwrap_or(0);
            let last = row.iter().rposition(|w| *w != 0.0).map_or(first, |i| i + 1);
            (first, row[first..last].to_vec())
        })
        .collect()
}

/// Slaney-scale mel filters with Slaney area normalisation (librosa's default, as Whisper uses).
fn mel_filters(sample_rate: f64, n_fft: usize, n_mels: usize) -> Vec<f32> {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let log_step = 6.4f64.ln() / 27.0;
    let hz_to_mel = |hz: f64| {
        if hz >= MIN_LOG_HZ {
            min_log_mel + (hz / MIN_LOG_HZ).ln() / log_step
        } else {
            hz / F_SP
        }
    };
    let mel_to_hz = |mel: f64| {
        if mel >= min_log_mel {
            MIN_LOG_HZ * (log_step * (mel - min_log_mel)).exp()
        } else {
            F_SP * mel
        }
    };
    let bins = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..bins).map(|i| i as f64 * sample_rate / n_fft as f64).collect();
    let top = hz_to_mel(sample_rate / 2.0);
    let points: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(top * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut filters = vec![0f32; n_mels * bins];
    for m in 0..n_mels {
        let (lo, centre, hi) = (points[m], points[m + 1], points[m + 2]);
        let norm = 2.0 / (hi - lo);
        for (k, &f) in fft_freqs.iter().enumerate() {
            let rising = (f - lo) / (centre - lo);
            let falling = (hi - f) / (hi - centre);
            let weight = rising.min(falling).max(0.0);
            filters[m * bins + k] = (weight * norm) as f32;
        }
    }
    filters
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::InMemory;

    #[test]
    fn mel_filters_are_triangles_with_slaney_area() {
        let filters = mel_filters(16_000.0, N_FFT, 80);
        let bins = N_FFT / 2 + 1;
        assert_eq!(filters.len(), 80 * bins);
        for m in 0..80 {
            let row = &filters[m * bins..(m + 1) * bins];
            assert!(row.iter().all(|w| *w >= 0.0));
            assert!(row.iter().any(|w| *w > 0.0), "filter {m} is empty");
        }
        // The first filter peaks on bin 1 (40 Hz, one mel step ≈ 33.4 Hz above 0 Hz).
        let first = &filters[..bins];
        let peak = first.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert_eq!(peak, 1);
    }

    #[test]
    fn features_of_silence_and_a_tone() {
        let mel = MelFeatures::new(80);
        let silence = mel.compute(&[], -10.0);
        assert_eq!(silence.len(), 80 * N_FRAMES);
        assert!(silence.iter().all(|v| (*v - silence[0]).abs() < 1e-6));
        let tone: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin() * 0.3)
            .collect();
        let own_loudest = mel.log_mel(&tone).into_iter().fold(f32::MIN, f32::max);
        assert_eq!(mel.loudest(&mut InMemory(&tone)).unwrap(), own_loudest);
        // The loudest part of a longer recording counts wherever it is.
        let mut long = vec![0.0f32; WINDOW_SAMPLES + 8_000];
        long.extend_from_slice(&tone);
        assert!((mel.loudest(&mut InMemory(&long)).unwrap() - own_loudest).abs() < 0.05);
        let f = mel.compute(&tone, own_loudest);
        let max = f.iter().copied().fold(f32::MIN, f32::max);
        let min = f.iter().copied().fold(f32::MAX, f32::min);
        assert!(
            (max - min - 2.0).abs() < 1e-4,
            "dynamic range is clamped to 8 (2 after scaling): {max} {min}"
        );
        // The 1 kHz tone's band is the loudest in the middle of the second.
        let frame = 50;
        let loudest = (0..80)
            .max_by(|&a, &b| f[a * N_FRAMES + frame].total_cmp(&f[b * N_FRAMES + frame]))
            .unwrap();
        let filters = mel_filters(16_000.0, N_FFT, 80);
        let bin_1k = 1000 * N_FFT / 16_000;
        let best_filter = (0..80)
            .max_by(|&a, &b| filters[a * 201 + bin_1k].total_cmp(&filters[b * 201 + bin_1k]))
            .unwrap();
        assert!(
            (loudest as i32 - best_filter as i32).abs() <= 1,
            "{loudest} vs {best_filter}"
        );
        // In a louder recording the same window's quiet parts sit on a higher floor: the floor
        // follows the recording, not the window.
        let quiet: Vec<f32> = tone.iter().map(|s| s * 0.001).collect();
        let alone = mel.compute(&quiet, mel.log_mel(&quiet).into_iter().fold(f32::MIN, f32::max));
        let in_loud_recording = mel.compute(&quiet, own_loudest);
        let floor = |f: &[f32]| f.iter().copied().fold(f32::MAX, f32::min);
        assert!((floor(&in_loud_recording) - (own_loudest - 8.0 + 4.0) / 4.0).abs() < 1e-5);
        assert!(floor(&alone) < floor(&in_loud_recording) - 0.5);
    }
}
