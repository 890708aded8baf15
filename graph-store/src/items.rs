//! [`ItemLinks`]: which documents and images mention which entities, by id, for backends
//! whose graph lives elsewhere. Items live in the knowledge base's store of record, which
//! rebuilds these links at start-up, so they stay in this process even when the entities
//! are on a server.

use std::collections::{BTreeSet, HashMap};
use std::sync::{PoisonError, RwLock};

/// Item ↔ entity links, shared by readers.
#[derive(Debug, Default)]
pub struct ItemLinks {
    inner: RwLock<Links>,
}

#[derive(Debug, Default)]
struct Links {
    item_entities: HashMap<String, Vec<String>>,
    entity_items: HashMap<String, BTreeSet<String>>,
}

impl ItemLinks {
    /// No links.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `item` mentions `entities`, replacing its earlier links.
    pub fn link(&self, item: &str, entities: &[String]) {
        let mut links = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        links.unlink(item);
        let mut entities: Vec<String> = entities.to_vec();
        entities.sort_unstable();
        entities.dedup();
        if entities.is_empty() {
            return;
        }
        for entity in &entities {
            links.entity_items.entry(entity.clone()).or_default().insert(item.to_string());
        }
        links.item_entities.insert(item.to_string(), entities);
    }

    /// Forgets every link of `item`; `false` when it had none.
    pub fn unlink(&self, item: &str) -> bool {
        self.inner.write().unwrap_or_else(PoisonError::into_inner).unlink(item)
    }

    /// Forgets every link to `entity` (it was removed from the graph).
    pub fn forget_entity(&self, entity: &str) {
        let mut links = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let Some(items) = links.entity_items.remove(entity) else {
            return;
        };
        for item in items {
            if let Some(entities) = links.item_entities.get_mut(&item) {
                entities.retain(|e| e != entity);
                if entities.is_empty() {
                    links.item_entities.remove(&item);
                }
            }
        }
    }

    /// Items linked to the entity, sorted.
    pub fn items_of(&self, entity: &str) -> Vec<String> {
        let links = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        links.entity_items.get(entity).map(|items| items.iter().cloned().collect()).unwrap_or_default()
    }

    /// Entities the item is linked to.
    pub fn entities_of(&self, item: &str) -> Vec<String> {
        let links = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        links.item_entities.get(item).cloned().unwrap_or_default()
    }

    /// Items by the mass of their entities, with the same scoring as
    /// [`crate::Graph::rank_items`]: the sum of their entities' mass over the square root of
    /// their entity count.
    pub fn rank(&self, ranked: &[(String, f64)], top: usize) -> Vec<(String, f64)> {
        let links = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut sums: HashMap<&str, f64> = HashMap::new();
        for (id, mass) in ranked {
            if !mass.is_finite() || *mass <= 0.0 {
                continue;
            }
            for item in links.entity_items.get(id).into_iter().flatten() {
                *sums.entry(item.as_str()).or_default() += mass;
            }
        }
        let mut out: Vec<(String, f64)> = sums
            .into_iter()
            .map(|(item, sum)| {
                let linked = links.item_entities.get(item).map_or(1, Vec::len).max(1) as f64;
                (item.to_string(), sum / linked.sqrt())
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.truncate(top);
        out
    }
}

impl Links {
    fn unlink(&mut self, item: &str) -> bool {
        let Some(entities) = self.item_entities.remove(item) else {
            return false;
        };
        for entity in entities {
            if let Some(items) = self.entity_items.get_mut(&entity) {
                items.remove(item);
                if items.is_empty() {
                    self.entity_items.remove(&entity);
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_replace_and_rank() {
        let links = ItemLinks::new();
        links.link("doc:1", &["a".into(), "b".into(), "a".into()]);
        links.link("doc:2", &["b".into()]);
        assert_eq!(links.entities_of("doc:1"), vec!["a", "b"]);
        assert_eq!(links.items_of("b"), vec!["doc:1", "doc:2"]);
        let ranked = links.rank(&[("b".into(), 1.0), ("a".into(), 0.1)], 10);
        // doc:2 holds b alone: 1/1; doc:1 spreads over two: 1.1/√2.
        assert_eq!(ranked[0].0, "doc:2");
        links.link("doc:1", &["c".into()]);
        assert!(links.items_of("a").is_empty());
        assert!(links.unlink("doc:1") && !links.unlink("doc:1"));
        links.link("doc:3", &["b".into(), "c".into()]);
        links.forget_entity("b");
        assert!(links.items_of("b").is_empty());
        assert_eq!(links.entities_of("doc:3"), vec!["c"]);
        links.forget_entity("c");
        assert!(links.entities_of("doc:3").is_empty() && !links.unlink("doc:3"));
    }
}
