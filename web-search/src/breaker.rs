//! A circuit breaker: after repeated provider failures, stop calling it for a while.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::WebError;

#[derive(Debug, Clone, Copy)]
enum State {
    Closed {
        consecutive_failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe call is in flight; others are refused until it reports back (or, if it
    /// never does because its caller gave up, until another cool-down has passed).
    HalfOpen {
        probe_started: Instant,
    },
}

/// Opens after `threshold` consecutive failures, refuses calls for `cooldown`, then lets
/// one probe through: success closes it, failure opens it again.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

impl CircuitBreaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        CircuitBreaker {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::Closed { consecutive_failures: 0 }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a plain value, always valid; a panic elsewhere cannot corrupt it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admits a call, or refuses it with [`WebError::CircuitOpen`].
    pub fn check(&self) -> Result<(), WebError> {
        let now = Instant::now();
        let mut state = self.state();
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if now >= until => {
                *state = State::HalfOpen { probe_started: now };
                Ok(())
            }
            State::Open { until } => Err(WebError::CircuitOpen { retry_in: until - now }),
            State::HalfOpen { probe_started } => {
                let probe_deadline = probe_started + self.cooldown;
                if now >= probe_deadline {
                    *state = State::HalfOpen { probe_started: now };
                    Ok(())
                } else {
                    Err(WebError::CircuitOpen { retry_in: probe_deadline - now })
                }
            }
        }
    }

    /// The provider answered (even with a 4xx): it is up.
    pub fn record_success(&self) {
        *self.state() = State::Closed { consecutive_failures: 0 };
    }

    /// The provider failed (5xx, timeout, transport, garbage).
    pub fn record_failure(&self) {
        let now = Instant::now();
        let mut state = self.state();
        *state = match *state {
            State::Closed { consecutive_failures } if consecutive_failures + 1 < self.threshold => {
                State::Closed { consecutive_failures: consecutive_failures + 1 }
            }
            State::Open { until } => State::Open { until },
            _ => {
                tracing::warn!(cooldown = ?self.cooldown, "web provider circuit opened");
                State::Open { until: now + self.cooldown }
            }
        };
    }

    /// Whether calls are currently being refused.
    pub fn is_open(&self) -> bool {
        let now = Instant::now();
        match *self.state() {
            State::Closed { .. } => false,
            State::Open { until } => now < until,
            State::HalfOpen { probe_started } => now < probe_started + self.cooldown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_probes_and_closes() {
        let b = CircuitBreaker::new(3, Duration::from_secs(30));
        for _ in 0..2 {
            b.check().unwrap();
            b.record_failure();
        }
        assert!(!b.is_open());
        b.record_failure();
        assert!(b.is_open());
        assert!(matches!(b.check(), Err(WebError::CircuitOpen { .. })));

        tokio::time::advance(Duration::from_secs(31)).await;
        b.check().unwrap(); // the probe
        assert!(matches!(b.check(), Err(WebError::CircuitOpen { .. })), "only one probe");
        b.record_failure();
        assert!(b.is_open());

        tokio::time::advance(Duration::from_secs(31)).await;
        b.check().unwrap();
        b.record_success();
        assert!(!b.is_open());
        b.check().unwrap();
        b.check().unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn lost_probe_is_replaced_after_cooldown() {
        let b = CircuitBreaker::new(1, Duration::from_secs(10));
        b.record_failure();
        tokio::time::advance(Duration::from_secs(11)).await;
        b.check().unwrap(); // probe whose caller never reports back
        tokio::time::advance(Duration::from_secs(11)).await;
        b.check().unwrap();
    }

    #[test]
    fn success_resets_the_count() {
        let b = CircuitBreaker::new(2, Duration::from_secs(10));
        b.record_failure();
        b.record_success();
        b.record_failure();
        assert!(!b.is_open());
    }
}
