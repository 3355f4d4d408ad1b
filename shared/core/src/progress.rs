//! Progress of long work (a recording being transcribed, a transcript analysed in parts), as the
//! engines report it and the item shows it: a number and a status detail such as
//! "transcribing 12:30 of 48:00". Each report is also the interview's heartbeat, which is what
//! lets the sweeper's thresholds be short (see `Settings::stale_threshold`).
//!
//! A detail names positions and counts only, never interview content, so it may go on the item,
//! into events and into the API.

use async_trait::async_trait;
use std::time::Duration;

/// The least wall-clock time between two progress writes for one interview: one fenced item
/// write per 30 s keeps a 4-hour recording to a few hundred writes while still beating well
/// inside every stale threshold.
pub const MIN_WRITE_INTERVAL: Duration = Duration::from_secs(30);

/// How far a piece of long work has come.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WorkProgress {
    /// Waiting for the engine to pick the job up (another job runs first).
    Queued,
    /// Speech recognition has reached `done` seconds of a `total`-second recording.
    Transcribing {
        /// Seconds of audio transcribed so far.
        done: f64,
        /// The recording's length in seconds.
        total: f64,
    },
    /// The analyzer is at part `part` (1-based) of `of`.
    Analysing {
        /// The part being worked on, from 1.
        part: usize,
        /// How many parts there are.
        of: usize,
    },
}

impl WorkProgress {
    /// The share done, from 0 to 1 (`Queued` is 0).
    pub fn fraction(&self) -> f64 {
        let share = match *self {
            WorkProgress::Queued => 0.0,
            WorkProgress::Transcribing { done, total } if total > 0.0 => done / total,
            WorkProgress::Transcribing { .. } => 0.0,
            // Part k of n is under way: k − 1 parts are done.
            WorkProgress::Analysing { part, of } if of > 0 => part.saturating_sub(1) as f64 / of as f64,
            WorkProgress::Analysing { .. } => 0.0,
        };
        if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// The status detail a person reads ("transcribing 12:30 of 48:00", "analysing part 3 of 6").
    pub fn detail(&self) -> String {
        match *self {
            WorkProgress::Queued => "waiting for the speech engine".into(),
            WorkProgress::Transcribing { done, total } => {
                format!("transcribing {} of {}", clock(done.min(total)), clock(total))
            }
            WorkProgress::Analysing { part, of } => format!("analysing part {part} of {of}"),
        }
    }
}

/// `m:ss`, or `h:mm:ss` from an hour on; negative or non-finite input reads as zero.
pub fn clock(seconds: f64) -> String {
    let s = if seconds.is_finite() && seconds > 0.0 {
        seconds as u64
    } else {
        0
    };
    match s / 3600 {
        0 => format!("{}:{:02}", s / 60, s % 60),
        h => format!("{h}:{:02}:{:02}", (s / 60) % 60, s % 60),
    }
}

/// Where an engine reports progress while it works. The handler's implementation writes it to
/// the item (fenced on the run, at most once per [`MIN_WRITE_INTERVAL`]); engines call it freely.
#[async_trait]
pub trait ProgressSink: Send + Sync {
    /// Records that the work has reached `progress`.
    async fn report(&self, progress: WorkProgress);
}

/// A sink that drops every report, for callers with no item to write to (benchmarks, tools).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

#[async_trait]
impl ProgressSink for NoProgress {
    async fn report(&self, _progress: WorkProgress) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_name_positions_only() {
        let p = WorkProgress::Transcribing {
            done: 750.0,
            total: 2880.0,
        };
        assert_eq!(p.detail(), "transcribing 12:30 of 48:00");
        assert!((p.fraction() - 750.0 / 2880.0).abs() < 1e-9);
        let long = WorkProgress::Transcribing {
            done: 5000.0,
            total: 4.0 * 3600.0,
        };
        assert_eq!(long.detail(), "transcribing 1:23:20 of 4:00:00");
        let a = WorkProgress::Analysing { part: 3, of: 6 };
        assert_eq!(a.detail(), "analysing part 3 of 6");
        assert!((a.fraction() - 2.0 / 6.0).abs() < 1e-9);
    }

    #[test]
    fn odd_numbers_stay_in_range() {
        let cases = [
            WorkProgress::Transcribing { done: 10.0, total: 0.0 },
            WorkProgress::Transcribing {
                done: f64::NAN,
                total: 5.0,
            },
            WorkProgress::Transcribing { done: 9.0, total: 5.0 },
            WorkProgress::Analysing { part: 0, of: 0 },
            WorkProgress::Analysing { part: 9, of: 2 },
        ];
        for p in cases {
            let f = p.fraction();
            assert!((0.0..=1.0).contains(&f), "{p:?}: {f}");
        }
        assert_eq!(clock(-3.0), "0:00");
        assert_eq!(clock(f64::INFINITY), "0:00");
        assert_eq!(
            WorkProgress::Transcribing { done: 9.0, total: 5.0 }.detail(),
            "transcribing 0:05 of 0:05"
        );
    }
}
