//! A token bucket that keeps calls under a provider's queries-per-second quota.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::WebError;

/// Allows `qps` calls per second on average with bursts of up to `burst`.
#[derive(Debug)]
pub struct TokenBucket {
    qps: f64,
    burst: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// May go negative: a waiting caller reserves its token before sleeping, so callers
    /// are served in order and never oversubscribe.
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    /// `qps` must be positive and finite; `burst` is at least 1.
    pub fn new(qps: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket { qps, burst, state: Mutex::new(Bucket { tokens: burst, refilled_at: Instant::now() }) }
    }

    /// Takes a token, waiting for one if it arrives before `deadline`; otherwise returns
    /// [`WebError::RateLimited`] at once without waiting.
    pub async fn acquire(&self, deadline: Instant) -> Result<(), WebError> {
        let wait = {
            let mut bucket = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let elapsed = now.saturating_duration_since(bucket.refilled_at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * self.qps).min(self.burst);
            bucket.refilled_at = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                return Ok(());
            }
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / self.qps);
            if now + wait > deadline {
                return Err(WebError::RateLimited { retry_after: Some(wait) });
            }
            bucket.tokens -= 1.0;
            wait
        };
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_then_waits_then_refuses() {
        let bucket = TokenBucket::new(2.0, 2);
        let far = Instant::now() + Duration::from_secs(10);
        bucket.acquire(far).await.unwrap();
        bucket.acquire(far).await.unwrap();

        let start = Instant::now();
        bucket.acquire(far).await.unwrap();
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(490) && waited <= Duration::from_millis(510), "{waited:?}");

        let near = Instant::now() + Duration::from_millis(100);
        let err = bucket.acquire(near).await.unwrap_err();
        assert!(matches!(err, WebError::RateLimited { retry_after: Some(_) }));
    }
}
