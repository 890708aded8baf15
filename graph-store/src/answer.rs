//! Relational question answering: the router picks the relations, the graph follows them
//! from the seed entities and ranks what it reaches.

use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::stable_graph::{EdgeIndex, NodeIndex};

use crate::graph::{Graph, RelationTypeId};
use crate::model::{Direction, Fact, GraphAnswer, GraphAnswers, GraphQuestion, PprParams};
use crate::schema::TRANSITIVE_CHAINING;

/// How far a transitive chain is followed.
pub(crate) const MAX_CHAIN: usize = 12;

/// Each further hop along a chain multiplies the score by this: nearer answers first.
pub(crate) const HOP_DECAY: f64 = 0.8;

/// Hops around the seeds considered when the question names no relation.
pub(crate) const NEIGHBORHOOD_HOPS: usize = 2;

/// Breadth-first reach of one seed: hop count and the edge it was reached by.
struct Reach {
    depth: HashMap<NodeIndex, usize>,
    came_from: HashMap<NodeIndex, (NodeIndex, EdgeIndex)>,
}

impl Reach {
    fn chain(&self, graph: &Graph, seed: NodeIndex, mut at: NodeIndex) -> Vec<Fact> {
        let mut facts = Vec::new();
        while at != seed {
            let Some(&(previous, edge)) = self.came_from.get(&at) else {
                break;
            };
            facts.push(graph.fact(edge));
            at = previous;
        }
        facts.reverse();
        facts
    }
}

impl Graph {
    /// Answers a relational question; see [`GraphQuestion`]. Answers reached from more
    /// seeds rank first, then nearer ones, then the more important (more relations);
    /// scores are in (0, 1].
    pub fn answer(&self, question: &GraphQuestion) -> Vec<GraphAnswer> {
        self.answer_counted(question).answers
    }

    /// [`Graph::answer`], also saying how many answers there were before the limit: a
    /// question with hundreds of matches ("which packages depend on libc") gets the most
    /// important ones and the total.
    pub fn answer_counted(&self, question: &GraphQuestion) -> GraphAnswers {
        let mut seeds: Vec<NodeIndex> =
            question.seeds.iter().filter_map(|id| self.ids.get(id.as_str()).copied()).collect();
        seeds.sort_unstable();
        seeds.dedup();
        if seeds.is_empty() || question.limit == 0 {
            return GraphAnswers::default();
        }
        if question.relations.is_empty() {
            return self.answer_by_pagerank(&seeds, question);
        }

        let relations: HashSet<RelationTypeId> =
            question.relations.iter().filter_map(|name| self.relation_id(name)).collect();
        if relations.is_empty() {
            return GraphAnswers::default();
        }
        // Chains are followed further only along relations whose chains compose in the data
        // (a koala is a phalanger is a marsupial); others end after one hop.
        let schema = self.schema_stats();
        let transitive = question
            .relations
            .iter()
            .all(|name| schema.relation(name).is_some_and(|r| r.chaining >= TRANSITIVE_CHAINING));
        let max_depth = if transitive { MAX_CHAIN } else { 1 };

        let reaches: Vec<Reach> =
            seeds.iter().map(|&seed| self.reach(seed, question.direction, Some(&relations), max_depth)).collect();

        // Candidate → (seeds reaching it, farthest of their distances).
        let mut support: HashMap<NodeIndex, (usize, usize)> = HashMap::new();
        for reach in &reaches {
            for (&node, &depth) in &reach.depth {
                if depth == 0 {
                    continue;
                }
                let entry = support.entry(node).or_insert((0, 0));
                entry.0 += 1;
                entry.1 = entry.1.max(depth);
            }
        }
        let seed_set: HashSet<NodeIndex> = seeds.iter().copied().collect();
        let mut answers: Vec<(NodeIndex, usize, usize, f64)> = support
            .into_iter()
            .filter(|(node, _)| !seed_set.contains(node))
            .filter(|(node, _)| self.has_kind(*node, question.target_kind.as_deref()))
            .map(|(node, (count, depth))| {
                let coverage = count as f64 / seeds.len() as f64;
                let nearness = HOP_DECAY.powi(i32::try_from(depth - 1).unwrap_or(i32::MAX));
                (node, count, depth, coverage * nearness)
            })
            .collect();
        answers.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(a.2.cmp(&b.2))
                .then(b.3.total_cmp(&a.3))
                .then_with(|| self.node_degree(b.0).cmp(&self.node_degree(a.0)))
                .then_with(|| self.graph[a.0].name.cmp(&self.graph[b.0].name))
        });
        let total = answers.len();
        answers.truncate(question.limit);
        let answers = answers
            .into_iter()
            .map(|(node, _, depth, score)| GraphAnswer {
                entity: self.neighbor_entity(node, depth),
                score,
                facts: self.supporting_facts(&seeds, &reaches, node),
            })
            .collect();
        GraphAnswers { answers, total }
    }

    /// No relation given: the seeds' neighbourhood, ranked by personalised PageRank.
    fn answer_by_pagerank(&self, seeds: &[NodeIndex], question: &GraphQuestion) -> GraphAnswers {
        let reaches: Vec<Reach> =
            seeds.iter().map(|&seed| self.reach(seed, Direction::Both, None, NEIGHBORHOOD_HOPS)).collect();
        let weighted: Vec<(String, f64)> = seeds.iter().map(|&seed| (self.graph[seed].id.clone(), 1.0)).collect();
        let ranked = self.personalized_pagerank(&weighted, &PprParams::default());
        let mut answers: Vec<(NodeIndex, usize, f64)> = ranked
            .iter()
            .filter_map(|(id, mass)| {
                let node = *self.ids.get(*id)?;
                let depth = reaches.iter().filter_map(|r| r.depth.get(&node)).min()?;
                (*depth > 0 && self.has_kind(node, question.target_kind.as_deref())).then_some((node, *depth, *mass))
            })
            .collect();
        let total = answers.len();
        answers.truncate(question.limit);
        let top = answers.first().map_or(1.0, |a| a.2);
        answers.iter_mut().for_each(|a| a.2 = (a.2 / top).clamp(f64::MIN_POSITIVE, 1.0));
        let answers = answers
            .into_iter()
            .map(|(node, depth, score)| GraphAnswer {
                entity: self.neighbor_entity(node, depth),
                score,
                facts: self.supporting_facts(seeds, &reaches, node),
            })
            .collect();
        GraphAnswers { answers, total }
    }

    fn has_kind(&self, node: NodeIndex, kind: Option<&str>) -> bool {
        kind.is_none_or(|kind| self.graph[node].kind == kind)
    }

    /// The chains from every seed that reaches `node`, without repeats.
    fn supporting_facts(&self, seeds: &[NodeIndex], reaches: &[Reach], node: NodeIndex) -> Vec<Fact> {
        let mut facts: Vec<Fact> = Vec::new();
        for (&seed, reach) in seeds.iter().zip(reaches) {
            if !reach.depth.contains_key(&node) {
                continue;
            }
            for fact in reach.chain(self, seed, node) {
                if !facts.contains(&fact) {
                    facts.push(fact);
                }
            }
        }
        facts
    }

    fn reach(
        &self,
        seed: NodeIndex,
        direction: Direction,
        relations: Option<&HashSet<RelationTypeId>>,
        max_depth: usize,
    ) -> Reach {
        let mut reach = Reach { depth: HashMap::from([(seed, 0)]), came_from: HashMap::new() };
        let mut queue = VecDeque::from([seed]);
        while let Some(node) = queue.pop_front() {
            let depth = reach.depth.get(&node).copied().unwrap_or(0);
            if depth >= max_depth {
                continue;
            }
            for (edge, next, relation) in self.incident_edges(node, direction) {
                if relations.is_some_and(|r| !r.contains(&relation)) || reach.depth.contains_key(&next) {
                    continue;
                }
                reach.depth.insert(next, depth + 1);
                reach.came_from.insert(next, (node, edge));
                queue.push_back(next);
            }
        }
        reach
    }
}
