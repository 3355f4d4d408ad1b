//! A voice-activity gate for the recogniser: finds where sound starts in a window, so stretches
//! of silence (a recording left running, a muted call, the minutes before an interview starts)
//! are skipped without running the model on them.
//!
//! Energy-based and deliberately conservative: a 10 ms frame counts as sound when its mean
//! square is above −50 dBFS, far below speech (−35 to −15 dBFS) and above digital silence and
//! quiet rooms. Noise louder than that is left to Whisper's own no-speech test, so the gate can
//! only save time, never drop speech a person could hear.

use super::audio::TARGET_RATE;

/// Samples per 10 ms frame.
const FRAME: usize = TARGET_RATE as usize / 100;
/// Mean square of −50 dBFS.
const SOUND_LEVEL: f32 = 1e-5;
/// Leading silence shorter than this is not worth a restart.
pub const MIN_SKIP: usize = 2 * TARGET_RATE as usize;
/// How much silence is kept before the first sound (Whisper wants a little lead-in).
pub const LEAD_IN: usize = TARGET_RATE as usize / 2;

/// Where the first frame of sound in `samples` starts; `None` when the whole stretch is silent.
pub fn first_sound(samples: &[f32]) -> Option<usize> {
    samples
        .chunks(FRAME)
        .position(|frame| frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32 > SOUND_LEVEL)
        .map(|frame| frame * FRAME)
}

/// How far to move a window that starts in silence: `Some(n)` skips `n` samples (all of them
/// when the window is silent), `None` keeps the window where it is.
pub fn skip(window: &[f32]) -> Option<usize> {
    match first_sound(window) {
        None => Some(window.len()),
        Some(at) if at >= MIN_SKIP => Some(at - LEAD_IN),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(seconds: f64, level: f32) -> Vec<f32> {
        (0..(seconds * f64::from(TARGET_RATE)) as usize)
            .map(|i| (i as f32 * 0.2).sin() * level)
            .collect()
    }

    #[test]
    fn silence_is_skipped_and_speech_level_sound_is_not() {
        let mut window = vec![0.0; 5 * TARGET_RATE as usize];
        window.extend(tone(1.0, 0.1));
        assert_eq!(first_sound(&window), Some(5 * TARGET_RATE as usize));
        assert_eq!(skip(&window), Some(5 * TARGET_RATE as usize - LEAD_IN));
        // A second of silence: not worth a restart.
        let mut short = vec![0.0; TARGET_RATE as usize];
        short.extend(tone(1.0, 0.1));
        assert_eq!(skip(&short), None);
        // All silent (or hiss at −60 dBFS): skip the whole window.
        assert_eq!(skip(&tone(30.0, 0.0)), Some(30 * TARGET_RATE as usize));
        assert_eq!(skip(&tone(3.0, 0.0014)), Some(3 * TARGET_RATE as usize));
        // Quiet speech at −40 dBFS is sound.
        assert_eq!(skip(&tone(3.0, 0.014)), None);
        assert_eq!(skip(&[]), Some(0));
    }
}
