//! Personalised PageRank by the Andersen–Chung–Lang local push: only the part of the
//! graph near the seeds is touched, so the cost depends on `epsilon`, not on graph size.
//! Edges are treated as undirected (a relation is evidence of relatedness both ways).
//!
//! The push walks the compact adjacency snapshot ([`crate::adjacency`]) and keeps its
//! per-node state (residual, estimate, flags) in dense arrays indexed by node row, reused
//! across the queries of a thread: only the rows a query touched are reset by the next
//! one, so a query costs what it pushes, not what the graph holds.

use std::cell::RefCell;
use std::collections::HashMap;

use petgraph::stable_graph::NodeIndex;

use crate::graph::Graph;
use crate::model::PprParams;

/// Per-thread working memory of the push, sized to the largest graph seen.
///
/// No per-row flags: a row is queued exactly while its residual is at or above its
/// threshold (it is queued when an update crosses the threshold and its residual is
/// zeroed when it is pushed), so "crossed the threshold" is the queueing test; a row
/// first touched has neither residual nor estimate; a row first pushed has no estimate.
#[derive(Default)]
struct Scratch {
    residual: Vec<f64>,
    estimate: Vec<f64>,
    /// Rows that got residual before any estimate; with `pushed`, every row whose
    /// residual or estimate may be non-zero, reset at the next query's start (so even a
    /// query that unwound midway leaves nothing behind).
    touched: Vec<u32>,
    /// Rows with an estimate, in the order they first got one.
    pushed: Vec<u32>,
    /// The FIFO of rows to push: appended at the end, read from `head`; never wraps, as
    /// a query queues each row at most once per push of a neighbour.
    queue: Vec<u32>,
}

impl Scratch {
    fn reset(&mut self, rows: usize) {
        for &row in self.touched.iter().chain(&self.pushed) {
            let row = row as usize;
            self.residual[row] = 0.0;
            self.estimate[row] = 0.0;
        }
        self.touched.clear();
        self.pushed.clear();
        self.queue.clear();
        if self.residual.len() < rows {
            self.residual.resize(rows, 0.0);
            self.estimate.resize(rows, 0.0);
        }
    }
}

/// Grows `list` to at least `len` slots, doubling, so that growth is rare.
fn make_room(list: &mut Vec<u32>, len: usize) {
    if list.len() < len {
        list.resize(len.next_power_of_two(), 0);
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

impl Graph {
    /// Personalised PageRank from weighted seeds (unknown ids and non-positive weights
    /// are ignored; weights are normalised), as `(entity id, mass)` sorted by mass, then
    /// id, for every entity that received mass. Out-of-range parameters fall back to the
    /// defaults of [`PprParams`].
    ///
    /// The masses are the push's estimates: each falls short of the exact PageRank by at
    /// most `epsilon` × the entity's degree, and the total by at most `epsilon` × the
    /// summed degrees of the entities left with residual mass; `epsilon` trades accuracy
    /// for time (see [`PprParams::epsilon`]).
    pub fn personalized_pagerank(&self, seeds: &[(String, f64)], params: &PprParams) -> Vec<(&str, f64)> {
        let defaults = PprParams::default();
        let alpha = if params.alpha > 0.0 && params.alpha < 1.0 { params.alpha } else { defaults.alpha };
        let epsilon =
            if params.epsilon > 0.0 && params.epsilon.is_finite() { params.epsilon } else { defaults.epsilon };

        let mut weights: Vec<(usize, f64)> = Vec::with_capacity(seeds.len());
        for (id, weight) in seeds {
            if let Some(&node) = self.ids.get(id.as_str())
                && weight.is_finite()
                && *weight > 0.0
            {
                weights.push((node.index(), *weight));
            }
        }
        let total: f64 = weights.iter().map(|(_, w)| w).sum();
        if total <= 0.0 || !total.is_finite() {
            return Vec::new();
        }

        let adjacency = self.adjacency();
        let degrees = adjacency.degrees();
        SCRATCH.with_borrow_mut(|scratch| {
            scratch.reset(adjacency.rows());
            let Scratch { residual, estimate, touched, pushed, queue } = scratch;
            let (residual, estimate) = (&mut residual[..], &mut estimate[..]);
            let mut head = 0;
            for &(row, weight) in &weights {
                if residual[row] == 0.0 {
                    touched.push(row as u32);
                }
                residual[row] += weight / total;
            }
            // Seeds are queued in the order given (repeats add up), those at their
            // threshold only, like any other row.
            for &row in touched.iter() {
                let row = row as usize;
                if residual[row] >= epsilon * f64::from(degrees[row]) {
                    queue.push(row as u32);
                }
            }

            // `queue[..queued]` and `touched[..fresh]` are the lists; the slots after them
            // are room to write into (see below), grown rarely, never per push.
            let (mut queued, mut fresh) = (queue.len(), touched.len());
            let mut pushes = 0usize;
            while head < queued {
                let row = queue[head] as usize;
                head += 1;
                let mass = residual[row];
                let degree = f64::from(degrees[row]);
                if degree == 0.0 {
                    // An isolated entity (only ever a seed) keeps all the mass it has.
                    if estimate[row] == 0.0 {
                        pushed.push(row as u32);
                    }
                    estimate[row] += mass;
                    residual[row] = 0.0;
                    continue;
                }
                if mass < epsilon * degree {
                    continue;
                }
                if pushes >= params.max_pushes {
                    break;
                }
                pushes += 1;
                if estimate[row] == 0.0 {
                    pushed.push(row as u32);
                }
                estimate[row] += alpha * mass;
                residual[row] = 0.0;
                let share = (1.0 - alpha) * mass / degree;
                let neighbours = adjacency.neighbours(row);
                make_room(queue, queued + neighbours.len());
                make_room(touched, fresh + neighbours.len());
                // Written without branches: whether a neighbour crosses its threshold or is
                // touched for the first time is a coin toss to the branch predictor, and
                // mispredictions cost more than the arithmetic. Each neighbour is written
                // past a list's end, which moves over it only if the test holds.
                for neighbour in neighbours {
                    let next = neighbour.row as usize;
                    let before = residual[next];
                    let after = before + share;
                    residual[next] = after;
                    let threshold = epsilon * f64::from(neighbour.degree);
                    queue[queued] = neighbour.row;
                    queued += usize::from((before < threshold) & (after >= threshold));
                    touched[fresh] = neighbour.row;
                    fresh += usize::from((before == 0.0) & (estimate[next] == 0.0));
                }
            }
            queue.truncate(queued);
            touched.truncate(fresh);

            let mut ranked: Vec<(u32, f64)> =
                pushed.iter().map(|&row| (row, estimate[row as usize])).filter(|&(_, mass)| mass > 0.0).collect();
            ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then_with(|| self.node_id(a.0).cmp(self.node_id(b.0))));
            ranked.into_iter().map(|(row, mass)| (self.node_id(row), mass)).collect()
        })
    }

    fn node_id(&self, row: u32) -> &str {
        &self.graph[NodeIndex::new(row as usize)].id
    }

    /// Ranks items (documents, images) by the PageRank mass of the entities they are
    /// linked to, best first, at most `top`.
    ///
    /// An item's score is the sum of its entities' mass divided by the square root of its
    /// entity count: a plain sum would favour items tagged with many entities for their
    /// breadth alone, a mean would punish a focused item for one extra off-topic tag;
    /// the square root sits between the two.
    pub fn rank_items(&self, ppr: &[(&str, f64)], top: usize) -> Vec<(String, f64)> {
        let mut sums: HashMap<&str, f64> = HashMap::new();
        for (id, mass) in ppr {
            if !mass.is_finite() || *mass <= 0.0 {
                continue;
            }
            let Some(items) = self.ids.get(*id).and_then(|n| self.entity_items.get(n)) else {
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

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet, VecDeque};

    use petgraph::Direction as PetDirection;
    use petgraph::stable_graph::NodeIndex;
    use petgraph::visit::EdgeRef;

    use crate::model::PprParams;
    use crate::{Entity, Graph, Relation};

    /// The push as it was before the adjacency snapshot: hash maps, petgraph's edge lists.
    fn reference(graph: &Graph, seeds: &[(&str, f64)], params: &PprParams) -> Vec<(String, f64)> {
        let edges_at = |node: NodeIndex| -> Vec<NodeIndex> {
            let out = graph.graph.edges_directed(node, PetDirection::Outgoing).map(|e| e.target());
            out.chain(graph.graph.edges_directed(node, PetDirection::Incoming).map(|e| e.source())).collect()
        };
        let mut residual: HashMap<NodeIndex, f64> = HashMap::new();
        let mut queue = VecDeque::new();
        let total: f64 = seeds.iter().map(|(_, w)| w).sum();
        for (id, weight) in seeds {
            let node = graph.ids[*id];
            if !residual.contains_key(&node) {
                queue.push_back(node);
            }
            *residual.entry(node).or_default() += weight / total;
        }
        let mut queued: HashSet<NodeIndex> = queue.iter().copied().collect();
        let mut estimate: HashMap<NodeIndex, f64> = HashMap::new();
        while let Some(node) = queue.pop_front() {
            queued.remove(&node);
            let mass = residual[&node];
            let degree = edges_at(node).len() as f64;
            if degree == 0.0 {
                *estimate.entry(node).or_default() += mass;
                residual.insert(node, 0.0);
                continue;
            }
            if mass < params.epsilon * degree {
                continue;
            }
            *estimate.entry(node).or_default() += params.alpha * mass;
            residual.insert(node, 0.0);
            for next in edges_at(node) {
                let r = residual.entry(next).or_default();
                *r += (1.0 - params.alpha) * mass / degree;
                if *r >= params.epsilon * edges_at(next).len() as f64 && queued.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        let mut ranked: Vec<(String, f64)> =
            estimate.into_iter().map(|(node, mass)| (graph.graph[node].id.clone(), mass)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked
    }

    fn read_jsonl<T: serde::de::DeserializeOwned>(name: &str) -> Vec<T> {
        let path = format!("{}/../examples/data/atlas/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).expect("atlas file readable");
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("JSON line")).collect()
    }

    /// Same push order, same arithmetic: the snapshot's answers equal the old ones, on
    /// the atlas, from single seeds and from seed sets, at the default and a fine epsilon.
    #[test]
    fn snapshot_push_matches_the_hash_map_push_on_the_atlas() {
        let mut graph = Graph::new();
        graph.import_entities(read_jsonl::<Entity>("entities.jsonl"));
        graph.import_relations(read_jsonl::<Relation>("relations.jsonl"));
        let mut ids: Vec<String> = graph.entities().map(|e| e.id.clone()).collect();
        ids.sort_unstable();
        for epsilon in [PprParams::default().epsilon, 1e-6] {
            let params = PprParams { epsilon, ..PprParams::default() };
            for (n, chunk) in ids.chunks(3).step_by(53).enumerate() {
                // One, two or three seeds, one of them weighted double.
                let seeds: Vec<(&str, f64)> = chunk
                    .iter()
                    .take(1 + n % 3)
                    .enumerate()
                    .map(|(i, id)| (id.as_str(), 1.0 + (i == 1) as u8 as f64))
                    .collect();
                let owned: Vec<(String, f64)> = seeds.iter().map(|&(id, w)| (id.to_string(), w)).collect();
                let new = graph.personalized_pagerank(&owned, &params);
                let old = reference(&graph, &seeds, &params);
                assert_eq!(new.len(), old.len(), "{seeds:?} at {epsilon:e}");
                for (k, ((a, x), (b, y))) in new.iter().zip(&old).enumerate().take(20) {
                    assert!((x - y).abs() <= 1e-12, "{seeds:?} #{k}: {a} {x} vs {b} {y}");
                    assert!(a == b || (x - y).abs() <= 1e-15, "{seeds:?} #{k}: {a} vs {b}");
                }
            }
        }
    }
}
