//! How long an invocation may still run, so a long step can stop cleanly (and be retried by the
//! state machine) instead of being killed by the Lambda timeout halfway through a write.

use crate::error::TaskError;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The least time a step needs: a read of the item, a provider call and a write. With less
/// left, the step does not start; it fails as transient, so the state machine retries it in a
/// fresh invocation rather than Lambda killing it halfway through a write.
pub const LEAST_TIME: Duration = Duration::from_secs(5);

/// When the current invocation is cut off, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadline(Option<SystemTime>);

impl Deadline {
    /// No deadline: the local runner and the CLI, which the state machine's own task timeouts bound.
    pub const NONE: Deadline = Deadline(None);

    /// A deadline at `at`.
    pub fn at(at: SystemTime) -> Self {
        Self(Some(at))
    }

    /// Lambda's deadline (milliseconds since the epoch, `context.deadline`).
    pub fn from_epoch_millis(millis: u64) -> Self {
        Self(Some(UNIX_EPOCH + Duration::from_millis(millis)))
    }

    /// Time left, or `None` without a deadline. Zero once it has passed.
    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .map(|at| at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
    }

    /// Whether fewer than `needed` remain: a step that needs that long should not start.
    pub fn is_short_of(&self, needed: Duration) -> bool {
        self.remaining().is_some_and(|left| left < needed)
    }

    /// Refuses to start a step with less than [`LEAST_TIME`] left (a transient error: retried).
    pub fn check_time_to_start(&self) -> Result<(), TaskError> {
        if self.is_short_of(LEAST_TIME) {
            return Err(TaskError::Transient(format!(
                "only {} ms were left in this invocation, too little to run the step; it is retried",
                self.remaining().unwrap_or_default().as_millis()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_counts_down_and_none_never_runs_out() {
        assert_eq!(Deadline::NONE.remaining(), None);
        assert!(!Deadline::NONE.is_short_of(Duration::from_secs(3600)));
        let soon = Deadline::at(SystemTime::now() + Duration::from_secs(60));
        assert!(soon.remaining().unwrap() <= Duration::from_secs(60));
        assert!(soon.is_short_of(Duration::from_secs(120)));
        assert!(!soon.is_short_of(Duration::from_secs(1)));
        let past = Deadline::from_epoch_millis(1_000);
        assert_eq!(past.remaining(), Some(Duration::ZERO));
        assert!(past.is_short_of(Duration::from_millis(1)));
        assert!(past.check_time_to_start().unwrap_err().is_transient());
        assert!(Deadline::NONE.check_time_to_start().is_ok());
    }
}
