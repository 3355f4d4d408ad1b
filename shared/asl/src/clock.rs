//! Time for the runner. Every wait the runner does (Wait states, retry delays, task and
//! execution timeouts) goes through one [`Clock`], so tests can run hours of virtual time in
//! milliseconds and still see the same ordering of events as real time would give.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// The runner's source of time.
#[async_trait::async_trait]
pub trait Clock: Send + Sync {
    /// The current time as the execution sees it (used for `$$` timestamps, Wait `Timestamp`).
    fn now(&self) -> DateTime<Utc>;
    /// Waits for `d` of this clock's time.
    async fn sleep(&self, d: Duration);
}

/// Real time: what the embedded product uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[async_trait::async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

/// Virtual time that runs `speedup` times faster than real time, so a definition's real
/// intervals (a 30 s poll, a 2 s retry) can be exercised quickly without editing it.
///
/// `sleep(d)` really sleeps `d / speedup`; `now()` is the creation time plus the real time
/// elapsed since, multiplied by `speedup`.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    speedup: f64,
    wall_start: DateTime<Utc>,
    real_start: Instant,
}

impl ScaledClock {
    /// A clock running `speedup` times faster than real time. A speedup that is not a
    /// positive finite number is treated as 1 (real time) rather than panicking.
    pub fn new(speedup: f64) -> Self {
        let speedup = if speedup.is_finite() && speedup > 0.0 {
            speedup
        } else {
            1.0
        };
        ScaledClock {
            speedup,
            wall_start: Utc::now(),
            real_start: Instant::now(),
        }
    }

    /// The factor this clock runs at.
    pub fn speedup(&self) -> f64 {
        self.speedup
    }
}

#[async_trait::async_trait]
impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let virtual_elapsed = self.real_start.elapsed().as_secs_f64() * self.speedup;
        let elapsed = Duration::try_from_secs_f64(virtual_elapsed).unwrap_or(Duration::MAX);
        chrono::Duration::from_std(elapsed)
            .ok()
            .and_then(|d| self.wall_start.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    async fn sleep(&self, d: Duration) {
        let real = Duration::try_from_secs_f64(d.as_secs_f64() / self.speedup).unwrap_or(Duration::MAX);
        tokio::time::sleep(real).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn scaled_clock_compresses_sleeps_and_stretches_now() {
        let clock = ScaledClock::new(1000.0);
        let before = clock.now();
        let real = Instant::now();
        clock.sleep(Duration::from_secs(2)).await;
        let real_elapsed = real.elapsed();
        let virtual_elapsed = clock.now() - before;
        assert!(real_elapsed >= Duration::from_millis(2), "{real_elapsed:?}");
        assert!(real_elapsed < Duration::from_millis(500), "{real_elapsed:?}");
        assert!(virtual_elapsed >= chrono::Duration::seconds(2), "{virtual_elapsed:?}");
    }

    #[test]
    fn nonsense_speedups_fall_back_to_real_time() {
        for bad in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            assert_eq!(ScaledClock::new(bad).speedup(), 1.0);
        }
    }

    #[tokio::test]
    async fn huge_sleeps_do_not_panic() {
        let clock = ScaledClock::new(1e-9);
        let sleeping = clock.sleep(Duration::MAX);
        let timed_out = tokio::time::timeout(Duration::from_millis(5), sleeping).await;
        assert!(timed_out.is_err());
    }
}
