//! Personalised PageRank by the Andersen–Chung–Lang local push: only the part of the
//! graph near the seeds is touched, so the cost depends on `epsilon`, not on graph size.
//! Edges are treated as undirected (a relation is evidence of relatedness both ways).

use std::collections::{HashMap, VecDeque};

use petgraph::stable_graph::NodeIndex;

use crate::graph::Graph;
use crate::model::{Direction, PprParams};

impl Graph {
    /// Personalised PageRank from weighted seeds (unknown ids and non-positive weights
    /// are ignored; weights are normalised), as `(entity id, mass)` sorted by mass, then
    /// id. Out-of-range parameters fall back to the defaults of [`PprParams`].
    pub fn personalized_pagerank(&self, seeds: &[(String, f64)], params: &PprParams) -> Vec<(String, f64)> {
        let defaults = PprParams::default();
        let alpha = if params.alpha > 0.0 && params.alpha < 1.0 { params.alpha } else { defaults.alpha };
        let epsilon =
            if params.epsilon > 0.0 && params.epsilon.is_finite() { params.epsilon } else { defaults.epsilon };

        let mut residual: HashMap<NodeIndex, f64> = HashMap::new();
        for (id, weight) in seeds {
            if let Some(&node) = self.ids.get(id.as_str())
                && weight.is_finite()
                && *weight > 0.0
            {
                *residual.entry(node).or_default() += weight;
            }
        }
        let total: f64 = residual.values().sum();
        if total <= 0.0 || !total.is_finite() {
            return Vec::new();
        }
        residual.values_mut().for_each(|r| *r /= total);

        let mut degrees: HashMap<NodeIndex, usize> = HashMap::new();
        let mut degree = |node: NodeIndex| *degrees.entry(node).or_insert_with(|| self.node_degree(node));
        let mut estimate: HashMap<NodeIndex, f64> = HashMap::new();
        let mut queue: VecDeque<NodeIndex> = residual.keys().copied().collect();
        let mut queued: std::collections::HashSet<NodeIndex> = queue.iter().copied().collect();
        let mut pushes = 0usize;

        while let Some(node) = queue.pop_front() {
            queued.remove(&node);
            let mass = residual.get(&node).copied().unwrap_or(0.0);
            let node_degree = degree(node);
            if node_degree == 0 {
                // An isolated entity keeps all the mass that reaches it.
                *estimate.entry(node).or_default() += mass;
                residual.insert(node, 0.0);
                continue;
            }
            if mass < epsilon * node_degree as f64 {
                continue;
            }
            if pushes >= params.max_pushes {
                break;
            }
            pushes += 1;
            *estimate.entry(node).or_default() += alpha * mass;
            residual.insert(node, 0.0);
            let share = (1.0 - alpha) * mass / node_degree as f64;
            for (_, next, _) in self.incident_edges(node, Direction::Both) {
                let r = residual.entry(next).or_default();
                *r += share;
                let r = *r;
                if r >= epsilon * degree(next) as f64 && queued.insert(next) {
                    queue.push_back(next);
                }
            }
        }

        let mut ranked: Vec<(String, f64)> = estimate
            .into_iter()
            .filter(|&(_, mass)| mass > 0.0)
            .map(|(node, mass)| (self.graph[node].id.clone(), mass))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked
    }

    /// Ranks items (documents, images) by the PageRank mass of the entities they are
    /// linked to, best first, at most `top`.
    ///
    /// An item's score is the sum of its entities' mass divided by the square root of its
    /// entity count: a plain sum would favour items tagged with many entities for their
    /// breadth alone, a mean would punish a focused item for one extra off-topic tag;
    /// the square root sits between the two.
    pub fn rank_items(&self, ppr: &[(String, f64)], top: usize) -> Vec<(String, f64)> {
        let mut sums: HashMap<&str, f64> = HashMap::new();
        for (id, mass) in ppr {
            if !mass.is_finite() || *mass <= 0.0 {
                continue;
            }
            let Some(items) = self.ids.get(id.as_str()).and_then(|n| self.entity_items.get(n)) else {
                continue;
            };
            for item in items {
                *sums.entry(item.as_str()).or_default() += mass;
            }
        }
        let mut ranked: Vec<(String, f64)> = sums
            .into_iter()
            .map(|(item, sum)| {
                let linked = self.item_entity_count(item).max(1) as f64;
                (item.to_string(), sum / linked.sqrt())
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(top);
        ranked
    }
}
