//! Exponential backoff with jitter between retries.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Delays that double per attempt from `base` up to `max`, each drawn uniformly from
/// the upper half of its step ("equal jitter") so that clients failing together do not
/// retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: Duration::from_millis(100), max: Duration::from_secs(2) }
    }
}

impl Backoff {
    /// The delay before retry number `retry` (1 for the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.saturating_sub(1)).unwrap_or(u32::MAX);
        let step = self.base.saturating_mul(factor).min(self.max);
        let half = step / 2;
        half + half.mul_f64(random_unit())
    }
}

/// A uniform number in [0, 1). Jitter needs no cryptographic quality, only different
/// values across calls and processes; std's randomly keyed hasher provides that.
fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let bits = RandomState::new().hash_one(n) >> 11;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_within_bounds() {
        let b = Backoff { base: Duration::from_millis(100), max: Duration::from_millis(1000) };
        for _ in 0..50 {
            let d1 = b.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
            let d3 = b.delay(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400), "{d3:?}");
            assert!(b.delay(40) <= Duration::from_millis(1000));
        }
    }
}
