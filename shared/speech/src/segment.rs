//! Speaker turns for engines that only give text and times (Whisper).
//!
//! - Two or more channels that really differ (call recorders put each party on its own
//!   channel): each recognised segment goes to the channel with the most energy during it,
//!   `Speaker 1` for the first channel, `Speaker 2` for the second, and so on.
//! - One channel, or channels that carry the same signal: turns are guessed from pauses. A
//!   silence of at least [`TURN_PAUSE`] seconds between two segments (or a shorter one after a
//!   question) starts a new turn, and turns alternate between `Speaker 1` and `Speaker 2`. This
//!   is a guess, and the transcript says so in its notes.
//!
//! Consecutive segments of the same speaker are then merged into one turn (while the gap is
//! short and the turn stays under a minute), which is what a reader expects of an interview.

use super::audio::{Audio, ENVELOPE_RATE};
use crate::transcript::Segment;

/// A stretch of recognised speech, before speakers are known.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognized {
    /// Seconds from the start of the recording.
    pub start: f64,
    /// Seconds from the start of the recording.
    pub end: f64,
    /// The words.
    pub text: String,
    /// Recognition confidence (0–1), when the engine gives one.
    pub confidence: Option<f32>,
}

/// Pause (seconds) that starts a new turn in a one-channel recording. In the sample call, pauses
/// between sentences of one speaker are at most 0.3 s and pauses between turns 0.74–0.82 s.
pub const TURN_PAUSE: f64 = 0.6;
/// Pause (seconds) that starts a new turn after a question.
pub const TURN_PAUSE_AFTER_QUESTION: f64 = 0.4;
/// How far (seconds) from a segment boundary a pause is looked for.
const PAUSE_SEARCH: f64 = 1.0;
/// Level difference (dB) between channels for a segment to count as one party's.
const CHANNEL_SEPARATION_DB: f32 = 6.0;
/// Share of speech (by duration) that must be clearly on one channel to trust the channels.
const SEPARATED_SHARE: f64 = 0.6;
/// Longest gap (seconds) inside one merged turn.
const MERGE_GAP: f64 = 2.0;
/// Longest merged turn (seconds).
const MERGE_MAX: f64 = 60.0;

/// The note a transcript gets when speakers were guessed from pauses.
pub const LOW_CONFIDENCE_NOTE: &str = "speaker labels are low confidence: the recording has one audio channel, so \
     turns were guessed from pauses and alternate between Speaker 1 and Speaker 2";
/// The note a transcript gets when speakers come from channels.
pub const CHANNEL_NOTE: &str = "speakers were told apart by audio channel (Speaker 1 = first channel)";

/// Assigns speakers and merges turns; returns the segments and notes for the transcript.
pub fn speaker_turns(recognized: Vec<Recognized>, audio: &Audio) -> (Vec<Segment>, Vec<String>) {
    speaker_turns_from(recognized, &audio.channel_energy, &audio.mono_energy())
}

/// [`speaker_turns`] from the recording's energy envelopes alone (10 ms frames: per channel for
/// two or more channels, and of the mono mix), which is all a streamed recording keeps.
pub fn speaker_turns_from(
    recognized: Vec<Recognized>,
    channel_energy: &[Vec<f32>],
    mono_energy: &[f32],
) -> (Vec<Segment>, Vec<String>) {
    let recognized: Vec<Recognized> = recognized.into_iter().filter(|r| !r.text.trim().is_empty()).collect();
    if recognized.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let (labels, note) = match channel_speakers(&recognized, channel_energy) {
        Some(labels) => (labels, CHANNEL_NOTE),
        None => (pause_speakers(&recognized, mono_energy), LOW_CONFIDENCE_NOTE),
    };
    let segments = merge(recognized.into_iter().zip(labels).collect());
    let speakers = {
        let mut s: Vec<&str> = segments.iter().map(|s| s.speaker.as_str()).collect();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    let notes = if speakers > 1 || note == CHANNEL_NOTE {
        vec![note.to_string()]
    } else {
        Vec::new()
    };
    (segments, notes)
}

fn label(index: usize) -> String {
    format!("Speaker {}", index + 1)
}

/// Mean energy of `envelope` between two times.
fn mean_energy(envelope: &[f32], start: f64, end: f64) -> f32 {
    let from = ((start * ENVELOPE_RATE as f64).floor().max(0.0) as usize).min(envelope.len());
    let to = ((end * ENVELOPE_RATE as f64).ceil() as usize).clamp(from, envelope.len());
    if to == from {
        return 0.0;
    }
    envelope[from..to].iter().sum::<f32>() / (to - from) as f32
}

fn db(energy: f32) -> f32 {
    10.0 * energy.max(1e-12).log10()
}

/// One label per segment from the loudest channel, or `None` when the channels do not
/// separate the speakers (mono, or the same signal on every channel).
fn channel_speakers(recognized: &[Recognized], channels: &[Vec<f32>]) -> Option<Vec<String>> {
    if channels.len() < 2 {
        return None;
    }
    let mut separated = 0.0;
    let mut total = 0.0;
    let mut labels = Vec::with_capacity(recognized.len());
    for r in recognized {
        let levels: Vec<f32> = channels.iter().map(|c| mean_energy(c, r.start, r.end)).collect();
        let mut order: Vec<usize> = (0..levels.len()).collect();
        order.sort_by(|&a, &b| levels[b].total_cmp(&levels[a]));
        let (loudest, second) = (order[0], order[1]);
        let span = (r.end - r.start).max(0.01);
        total += span;
        if db(levels[loudest]) - db(levels[second]) >= CHANNEL_SEPARATION_DB {
            separated += span;
        }
        labels.push(label(loudest));
    }
    (total > 0.0 && separated / total >= SEPARATED_SHARE).then_some(labels)
}

/// One label per segment, alternating at long pauses.
fn pause_speakers(recognized: &[Recognized], envelope: &[f32]) -> Vec<String> {
    let quiet = quiet_threshold(envelope);
    let mut speaker = 0;
    let mut labels = Vec::with_capacity(recognized.len());
    for (i, r) in recognized.iter().enumerate() {
        if i > 0 {
            let prev = &recognized[i - 1];
            // Whisper's segment times are loose (ends often run into the next word), so look
            // for the pause up to a second either side of the boundary, within the two segments.
            let from = (prev.end - PAUSE_SEARCH).max(prev.start);
            let to = (r.start + PAUSE_SEARCH).min(r.end);
            let pause = longest_quiet(envelope, quiet, from, to)
                .max(r.start - prev.end)
                .max(0.0);
            let question = prev.text.trim_end().ends_with('?');
            if pause >= TURN_PAUSE || (question && pause >= TURN_PAUSE_AFTER_QUESTION) {
                speaker = 1 - speaker;
            }
        }
        labels.push(label(speaker));
    }
    labels
}

/// The energy under which a 10 ms frame counts as silence: a fifth of the way (in dB) from
/// the noise floor (10th percentile) to the speech level (90th percentile); with less than
/// 6 dB between the two, only digital silence.
pub(crate) fn quiet_threshold(envelope: &[f32]) -> f32 {
    if envelope.is_empty() {
        return 0.0;
    }
    let mut sorted: Vec<f32> = envelope.iter().map(|e| db(*e)).collect();
    sorted.sort_by(f32::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
    let (floor, speech) = (at(0.1), at(0.9));
    if speech - floor < 6.0 {
        // No real contrast between quiet and loud (steady noise or a steady tone): only
        // digital silence counts as a pause.
        return 0.0;
    }
    let threshold_db = floor + 0.2 * (speech - floor).max(0.0);
    10f32.powf(threshold_db / 10.0)
}

/// The longest run of quiet frames between two times, in seconds.
fn longest_quiet(envelope: &[f32], quiet: f32, start: f64, end: f64) -> f64 {
    let from = ((start.max(0.0) * ENVELOPE_RATE as f64) as usize).min(envelope.len());
    let to = ((end.max(0.0) * ENVELOPE_RATE as f64) as usize).clamp(from, envelope.len());
    let (mut best, mut run) = (0usize, 0usize);
    for &e in &envelope[from..to] {
        if e <= quiet {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best as f64 / ENVELOPE_RATE as f64
}

/// Merges consecutive segments of one speaker into turns.
fn merge(labelled: Vec<(Recognized, String)>) -> Vec<Segment> {
    let mut out: Vec<(Segment, f32, f64)> = Vec::new();
    for (r, speaker) in labelled {
        let span = (r.end - r.start).max(0.0);
        if let Some((last, weighted, spoken)) = out.last_mut() {
            if last.speaker == speaker && r.start - last.end <= MERGE_GAP && r.end - last.start <= MERGE_MAX {
                last.text = format!("{} {}", last.text.trim_end(), r.text.trim());
                last.end = last.end.max(r.end);
                *weighted += r.confidence.unwrap_or(0.0) * span as f32;
                *spoken += span;
                last.confidence = last
                    .confidence
                    .and(r.confidence)
                    .map(|_| *weighted / spoken.max(1e-6) as f32);
                continue;
            }
        }
        out.push((
            Segment {
                speaker,
                start: r.start,
                end: r.end.max(r.start),
                text: r.text.trim().to_string(),
                confidence: r.confidence,
            },
            r.confidence.unwrap_or(0.0) * span as f32,
            span,
        ));
    }
    out.into_iter().map(|(s, _, _)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(start: f64, end: f64, text: &str) -> Recognized {
        Recognized {
            start,
            end,
            text: text.into(),
            confidence: Some(0.9),
        }
    }

    /// An envelope with speech (energy 0.01) during `spans` and near-silence elsewhere.
    fn envelope(seconds: f64, spans: &[(f64, f64)], level: f32) -> Vec<f32> {
        let n = (seconds * ENVELOPE_RATE as f64) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / ENVELOPE_RATE as f64;
                if spans.iter().any(|(a, b)| t >= *a && t < *b) {
                    level
                } else {
                    1e-7
                }
            })
            .collect()
    }

    fn mono_audio(seconds: f64, spans: &[(f64, f64)]) -> Audio {
        // Square-root of the energy as a constant amplitude per 10 ms frame.
        let env = envelope(seconds, spans, 0.01);
        let samples = env.iter().flat_map(|e| std::iter::repeat_n(e.sqrt(), 160)).collect();
        Audio::from_mono(samples)
    }

    #[test]
    fn stereo_channels_decide_the_speaker() {
        let segs = vec![
            rec(0.0, 2.0, "Hello, how are you?"),
            rec(2.3, 4.0, "Fine, thanks."),
            rec(4.1, 5.0, "And you?"),
            rec(6.0, 8.0, "Good."),
        ];
        let left = envelope(9.0, &[(0.0, 2.0), (6.0, 8.0)], 0.01);
        let right = envelope(9.0, &[(2.3, 5.0)], 0.02);
        let audio = Audio {
            samples: vec![0.0; 9 * 16_000],
            channel_energy: vec![left, right],
            source_rate: 16_000,
            source_channels: 2,
        };
        let (out, notes) = speaker_turns(segs, &audio);
        let speakers: Vec<&str> = out.iter().map(|s| s.speaker.as_str()).collect();
        assert_eq!(speakers, ["Speaker 1", "Speaker 2", "Speaker 1"], "{out:?}");
        assert_eq!(out[1].text, "Fine, thanks. And you?", "merged turn");
        assert_eq!((out[1].start, out[1].end), (2.3, 5.0));
        assert_eq!(notes, [CHANNEL_NOTE]);
    }

    #[test]
    fn identical_channels_fall_back_to_pauses() {
        let spans = [(0.0, 2.0), (3.0, 5.0)];
        let env = envelope(6.0, &spans, 0.01);
        let mut audio = mono_audio(6.0, &spans);
        audio.channel_energy = vec![env.clone(), env];
        let (out, notes) = speaker_turns(vec![rec(0.0, 2.0, "Question one?"), rec(3.0, 5.0, "Answer.")], &audio);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].speaker, "Speaker 2");
        assert_eq!(notes, [LOW_CONFIDENCE_NOTE]);
    }

    #[test]
    fn mono_alternates_at_long_pauses_only() {
        // Speech 0–3 s, 3.2–5 s (short pause: same speaker), 6–8 s (1 s pause: new turn),
        // 8.5–9 s after a question-free segment with a 0.5 s pause (same speaker).
        let spans = [(0.0, 3.0), (3.2, 5.0), (6.0, 8.0), (8.5, 9.0)];
        let audio = mono_audio(10.0, &spans);
        let segs = vec![
            rec(0.0, 3.0, "We sell flour."),
            rec(3.2, 5.0, "Mostly to bakeries."),
            rec(6.0, 8.0, "That sounds busy."),
            rec(8.5, 9.0, "Really."),
        ];
        let (out, notes) = speaker_turns(segs, &audio);
        let got: Vec<(&str, &str)> = out.iter().map(|s| (s.speaker.as_str(), s.text.as_str())).collect();
        assert_eq!(
            got,
            [
                ("Speaker 1", "We sell flour. Mostly to bakeries."),
                ("Speaker 2", "That sounds busy. Really.")
            ]
        );
        assert_eq!(notes, [LOW_CONFIDENCE_NOTE]);
    }

    #[test]
    fn a_question_needs_a_shorter_pause() {
        let spans = [(0.0, 2.0), (2.45, 4.0)];
        let audio = mono_audio(5.0, &spans);
        let (out, _) = speaker_turns(vec![rec(0.0, 2.0, "Why?"), rec(2.45, 4.0, "Because.")], &audio);
        assert_eq!(out.len(), 2);
        let (out, notes) = speaker_turns(vec![rec(0.0, 2.0, "Well."), rec(2.45, 4.0, "Because.")], &audio);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(notes.is_empty(), "one speaker, nothing to doubt");
    }

    #[test]
    fn empty_text_is_dropped_and_nothing_in_gives_nothing_out() {
        let audio = mono_audio(2.0, &[]);
        assert_eq!(
            speaker_turns(vec![rec(0.0, 1.0, "  ")], &audio),
            (Vec::new(), Vec::new())
        );
    }
}
