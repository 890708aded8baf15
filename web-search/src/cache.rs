//! A bounded time-to-live cache of search answers.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::query::{WebCategory, WebQuery};

/// What makes two searches the same: the query text ignoring case and spacing, `k`, the
/// category and the recency filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    query: String,
    k: usize,
    category: WebCategory,
    freshness: Option<String>,
}

impl CacheKey {
    pub fn new(q: &WebQuery) -> Self {
        CacheKey {
            query: q.text().to_lowercase(),
            k: q.k,
            category: q.category,
            freshness: q.freshness().map(|f| f.as_word().to_owned()),
        }
    }
}

/// Holds at most `capacity` entries, each for at most `ttl`; when full, the oldest
/// insertion is evicted first.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    capacity: usize,
    ttl: Duration,
    inner: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    map: HashMap<K, Entry<V>>,
    /// Insertion order; an item is stale when its key was re-inserted with a newer `seq`.
    order: VecDeque<(u64, K)>,
    next_seq: u64,
}

#[derive(Debug)]
struct Entry<V> {
    inserted: Instant,
    seq: u64,
    value: V,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        TtlCache {
            capacity,
            ttl,
            inner: Mutex::new(Entries { map: HashMap::new(), order: VecDeque::new(), next_seq: 0 }),
        }
    }

    fn entries(&self) -> MutexGuard<'_, Entries<K, V>> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The fresh value for `key`, if any.
    pub fn get(&self, key: &K) -> Option<V> {
        let mut entries = self.entries();
        let fresh = entries.map.get(key).map(|e| e.inserted.elapsed() < self.ttl)?;
        if fresh {
            entries.map.get(key).map(|e| e.value.clone())
        } else {
            entries.map.remove(key);
            None
        }
    }

    pub fn insert(&self, key: K, value: V) {
        if self.capacity == 0 || self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries();
        let seq = entries.next_seq;
        entries.next_seq += 1;
        if !entries.map.contains_key(&key) {
            while entries.map.len() >= self.capacity {
                let Some((old_seq, old_key)) = entries.order.pop_front() else {
                    break;
                };
                if entries.map.get(&old_key).is_some_and(|e| e.seq == old_seq) {
                    entries.map.remove(&old_key);
                }
            }
        }
        entries.order.push_back((seq, key.clone()));
        entries.map.insert(key, Entry { inserted: Instant::now(), seq, value });
        // Re-inserting hot keys leaves stale order items; drop them before they pile up.
        if entries.order.len() > 2 * self.capacity {
            let Entries { map, order, .. } = &mut *entries;
            order.retain(|(s, k)| map.get(k).is_some_and(|e| e.seq == *s));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn expires_and_evicts_oldest() {
        let cache = TtlCache::new(2, Duration::from_secs(60));
        cache.insert("a", 1);
        cache.insert("b", 2);
        cache.insert("a", 10); // refresh, not a new entry
        assert_eq!(cache.len(), 2);
        cache.insert("c", 3); // evicts "b": "a" was re-inserted more recently
        assert_eq!(cache.get(&"a"), Some(10));
        assert_eq!(cache.get(&"b"), None);
        assert_eq!(cache.get(&"c"), Some(3));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(cache.get(&"a"), None);
        assert!(cache.len() <= 1);
    }

    #[test]
    fn stale_order_items_stay_bounded() {
        let cache = TtlCache::new(3, Duration::from_secs(60));
        for i in 0..1000 {
            cache.insert(i % 2, i);
        }
        assert!(cache.entries().order.len() <= 6);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn keys_ignore_case_and_spacing() {
        let a = CacheKey::new(&WebQuery::new("  Rust   Lang ", 5));
        let b = CacheKey::new(&WebQuery::new("rust lang", 5));
        assert_eq!(a, b);
        assert_ne!(a, CacheKey::new(&WebQuery::new("rust lang", 6)));
        assert_ne!(a, CacheKey::new(&WebQuery::new("rust lang", 5).with_category(WebCategory::News)));
    }
}
