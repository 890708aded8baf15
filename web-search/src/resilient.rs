//! The layer around any provider: cache → circuit breaker → rate limiter → deadline,
//! retried with backoff. One call never outlives its deadline, retries included.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::breaker::CircuitBreaker;
use crate::cache::{CacheKey, TtlCache};
use crate::error::WebError;
use crate::model::{WebHit, WebStats};
use crate::provider::WebProvider;
use crate::query::WebQuery;
use crate::ratelimit::TokenBucket;

/// How the resilience layer behaves. The per-call deadline is separate (see
/// [`ResilientProvider::new`]) because it comes from the provider configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ResilienceConfig {
    /// Retries after the first attempt (on 429, 5xx, timeouts and transport errors).
    pub max_retries: u32,
    /// Delays between retries.
    pub backoff: Backoff,
    /// Consecutive failures that open the circuit.
    pub breaker_threshold: u32,
    /// How long an open circuit refuses calls before letting a probe through.
    pub breaker_cooldown: Duration,
    /// Upstream requests per second; `None` for no limit.
    pub qps: Option<f64>,
    /// Requests allowed back to back before the rate applies.
    pub burst: u32,
    /// Cached answers kept; 0 disables the cache.
    pub cache_capacity: usize,
    /// How long a cached answer is served.
    pub cache_ttl: Duration,
}

impl Default for ResilienceConfig {
    fn default() -> Self {
        ResilienceConfig {
            max_retries: 2,
            backoff: Backoff::default(),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            qps: Some(5.0),
            burst: 5,
            cache_capacity: 1024,
            cache_ttl: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    failures: AtomicU64,
}

/// Wraps a provider with a deadline, retries, a circuit breaker, a rate limiter and a
/// cache, and counts what happened ([`WebProvider::stats`]).
#[derive(Debug)]
pub struct ResilientProvider<P> {
    inner: P,
    deadline: Duration,
    max_retries: u32,
    backoff: Backoff,
    breaker: CircuitBreaker,
    limiter: Option<TokenBucket>,
    cache: TtlCache<CacheKey, Vec<WebHit>>,
    counters: Counters,
}

impl<P: WebProvider> ResilientProvider<P> {
    /// Wraps `inner`; every `search` finishes within `deadline`.
    pub fn new(inner: P, deadline: Duration, config: ResilienceConfig) -> Self {
        let limiter =
            config.qps.filter(|qps| qps.is_finite() && *qps > 0.0).map(|qps| TokenBucket::new(qps, config.burst));
        ResilientProvider {
            inner,
            deadline,
            max_retries: config.max_retries,
            backoff: config.backoff,
            breaker: CircuitBreaker::new(config.breaker_threshold, config.breaker_cooldown),
            limiter,
            cache: TtlCache::new(config.cache_capacity, config.cache_ttl),
            counters: Counters::default(),
        }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    async fn search_uncounted(&self, q: &WebQuery) -> Result<Vec<WebHit>, WebError> {
        q.validate()?;
        let key = CacheKey::new(q);
        if let Some(hits) = self.cache.get(&key) {
            self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hits);
        }
        self.counters.cache_misses.fetch_add(1, Ordering::Relaxed);
        let hits = self.search_with_retries(q, Instant::now() + self.deadline).await?;
        self.cache.insert(key, hits.clone());
        Ok(hits)
    }

    async fn search_with_retries(&self, q: &WebQuery, deadline: Instant) -> Result<Vec<WebHit>, WebError> {
        let mut retries = 0;
        loop {
            self.breaker.check()?;
            if let Some(limiter) = &self.limiter {
                limiter.acquire(deadline).await?;
            }
            let outcome =
                tokio::time::timeout_at(deadline, self.inner.search(q)).await.unwrap_or(Err(WebError::Timeout));
            let error = match outcome {
                Ok(hits) => {
                    self.breaker.record_success();
                    return Ok(hits);
                }
                Err(error) => error,
            };
            if error.is_provider_failure() {
                self.breaker.record_failure();
            } else {
                self.breaker.record_success();
            }
            if !error.is_retryable() || retries >= self.max_retries {
                return Err(error);
            }
            retries += 1;
            let delay = match error {
                WebError::RateLimited { retry_after: Some(wait) } => wait,
                _ => self.backoff.delay(retries),
            };
            // A retry that cannot finish before the deadline is not worth starting.
            if Instant::now() + delay >= deadline {
                return Err(error);
            }
            tracing::debug!(
                provider = self.inner.name(),
                retry = retries,
                ?delay,
                error = %error,
                "retrying web search"
            );
            tokio::time::sleep(delay).await;
        }
    }
}

#[async_trait]
impl<P: WebProvider> WebProvider for ResilientProvider<P> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn search(&self, q: &WebQuery) -> Result<Vec<WebHit>, WebError> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let result = self.search_uncounted(q).await;
        if let Err(error) = &result {
            self.counters.failures.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(provider = self.inner.name(), error = %error, "web search failed");
        }
        result
    }

    fn stats(&self) -> WebStats {
        WebStats {
            cache_hits: self.counters.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.counters.cache_misses.load(Ordering::Relaxed),
            requests: self.counters.requests.load(Ordering::Relaxed),
            failures: self.counters.failures.load(Ordering::Relaxed),
            circuit_open: self.breaker.is_open(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// A provider that replays scripted outcomes and counts calls.
    struct Scripted {
        outcomes: Mutex<VecDeque<Result<Vec<WebHit>, WebError>>>,
        calls: AtomicU64,
        delay: Duration,
    }

    impl Scripted {
        fn new(outcomes: Vec<Result<Vec<WebHit>, WebError>>) -> Self {
            Scripted { outcomes: Mutex::new(outcomes.into()), calls: AtomicU64::new(0), delay: Duration::ZERO }
        }
        fn calls(&self) -> u64 {
            self.calls.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl WebProvider for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        async fn search(&self, _q: &WebQuery) -> Result<Vec<WebHit>, WebError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.outcomes.lock().unwrap().pop_front().unwrap_or(Ok(Vec::new()))
        }
    }

    fn config() -> ResilienceConfig {
        ResilienceConfig { qps: None, ..ResilienceConfig::default() }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_then_succeeds_and_caches() {
        let inner = Scripted::new(vec![Err(WebError::Http { status: 503 }), Ok(Vec::new())]);
        let p = ResilientProvider::new(inner, Duration::from_secs(5), config());
        let q = WebQuery::new("rust", 3);
        p.search(&q).await.unwrap();
        assert_eq!(p.inner().calls(), 2);
        p.search(&WebQuery::new("  RUST ", 3)).await.unwrap();
        assert_eq!(p.inner().calls(), 2, "second identical query is a cache hit");
        let s = p.stats();
        assert_eq!((s.requests, s.cache_hits, s.cache_misses, s.failures), (2, 1, 1, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_client_errors() {
        let inner = Scripted::new(vec![Err(WebError::Http { status: 401 })]);
        let p = ResilientProvider::new(inner, Duration::from_secs(5), config());
        let err = p.search(&WebQuery::new("rust", 3)).await.unwrap_err();
        assert_eq!(err, WebError::Http { status: 401 });
        assert_eq!(p.inner().calls(), 1);
        assert_eq!(p.stats().failures, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_beyond_deadline_returns_at_once() {
        let wait = Some(Duration::from_secs(60));
        let inner = Scripted::new(vec![Err(WebError::RateLimited { retry_after: wait })]);
        let p = ResilientProvider::new(inner, Duration::from_secs(5), config());
        let start = Instant::now();
        let err = p.search(&WebQuery::new("rust", 3)).await.unwrap_err();
        assert_eq!(err, WebError::RateLimited { retry_after: wait });
        assert!(start.elapsed() < Duration::from_millis(10));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_bounds_slow_providers() {
        let mut inner = Scripted::new(vec![]);
        inner.delay = Duration::from_secs(10);
        let p = ResilientProvider::new(inner, Duration::from_millis(500), config());
        let start = Instant::now();
        assert_eq!(p.search(&WebQuery::new("rust", 3)).await.unwrap_err(), WebError::Timeout);
        assert_eq!(start.elapsed(), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn circuit_opens_and_fails_fast() {
        let failures = (0..20).map(|_| Err(WebError::Http { status: 500 })).collect();
        let inner = Scripted::new(failures);
        let cfg = ResilienceConfig { max_retries: 0, breaker_threshold: 3, ..config() };
        let p = ResilientProvider::new(inner, Duration::from_secs(5), cfg);
        for i in 0..3 {
            let q = WebQuery::new(format!("q{i}"), 3);
            assert_eq!(p.search(&q).await.unwrap_err(), WebError::Http { status: 500 });
        }
        assert!(p.stats().circuit_open);
        let err = p.search(&WebQuery::new("q9", 3)).await.unwrap_err();
        assert!(matches!(err, WebError::CircuitOpen { .. }), "{err:?}");
        assert_eq!(p.inner().calls(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn local_rate_limit_refuses_beyond_deadline() {
        let inner = Scripted::new(vec![]);
        let cfg = ResilienceConfig { qps: Some(0.1), burst: 1, cache_capacity: 0, ..config() };
        let p = ResilientProvider::new(inner, Duration::from_secs(1), cfg);
        p.search(&WebQuery::new("a", 1)).await.unwrap();
        let err = p.search(&WebQuery::new("b", 1)).await.unwrap_err();
        assert!(matches!(err, WebError::RateLimited { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn invalid_queries_never_reach_the_provider() {
        let p = ResilientProvider::new(Scripted::new(vec![]), Duration::from_secs(1), config());
        assert!(matches!(p.search(&WebQuery::new("  ", 1)).await, Err(WebError::InvalidQuery(_))));
        assert_eq!(p.inner().calls(), 0);
    }
}
