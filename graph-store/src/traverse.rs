//! Traversals written once over the [`GraphBackend`] primitives, level by level, so a
//! server backend answers in one round trip per hop: neighbourhoods, shortest paths,
//! relational answers and personalised PageRank on a bounded subgraph. They follow the
//! in-memory algorithms' rules (same ranking of answers, same scores, same facts) but see
//! the graph only through [`GraphBackend::expand`], so every walk is bounded: a hub with a
//! million relations costs one capped query, not a million rows.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::GraphError;
use crate::answer::{HOP_DECAY, MAX_CHAIN, NEIGHBORHOOD_HOPS};
use crate::backend::{Edge, GraphBackend, RankedEntities, Step, SubgraphBound, SubgraphReport};
use crate::graph::MAX_NEIGHBOR_DEPTH;
use crate::model::{
    Direction, Fact, GraphAnswer, GraphAnswers, GraphQuestion, NeighborEntity, NeighborQuery, Neighborhood, PprParams,
};
use crate::schema::TRANSITIVE_CHAINING;

/// Relations fetched by one [`GraphBackend::expand`] of a traversal at most. A level that
/// reaches it is cut there (and an answer's total becomes a lower bound): 100,000 rows of
/// three short strings are about 10 MB on the wire.
pub const EXPAND_LIMIT: usize = 100_000;

/// Entities one seed's relational reach may hold before the chain is cut: a transitive
/// relation followed down from a root ("every kind of entity") would otherwise walk the
/// whole graph. WordNet's deepest `is_a` chain up from a synset holds under 20.
pub const MAX_REACH: usize = 10_000;

/// Levels a shortest-path search expands in total (from both ends), so an unconnected pair
/// costs a bounded number of round trips.
pub const MAX_PATH_LEVELS: usize = 12;

/// An entity reached by a walk: name and type, as the edge that reached it said.
#[derive(Debug, Clone)]
struct Known {
    name: String,
    kind: String,
}

/// Which of a level's edges leave each frontier entity in `direction`.
fn edges_by_node<'a>(
    edges: &'a [Edge],
    frontier: &HashSet<&str>,
    direction: Direction,
) -> HashMap<&'a str, Vec<usize>> {
    let mut at: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, edge) in edges.iter().enumerate() {
        let (s, t) = (edge.fact.source.as_str(), edge.fact.target.as_str());
        if matches!(direction, Direction::Out | Direction::Both) && frontier.contains(s) {
            at.entry(s).or_default().push(i);
        }
        if matches!(direction, Direction::In | Direction::Both) && frontier.contains(t) && s != t {
            at.entry(t).or_default().push(i);
        }
    }
    at
}

/// Breadth-first neighbourhood of `id`, level by level (see [`crate::Graph::neighbors`]).
pub fn neighbors<B: GraphBackend + ?Sized>(
    backend: &B,
    id: &str,
    query: &NeighborQuery,
) -> Result<Neighborhood, GraphError> {
    if !(1..=MAX_NEIGHBOR_DEPTH).contains(&query.depth) {
        return Err(GraphError::invalid("depth", format!("must be between 1 and {MAX_NEIGHBOR_DEPTH}")));
    }
    if query.limit == 0 {
        return Err(GraphError::invalid("limit", "must be at least 1"));
    }
    if !backend.contains(id)? {
        return Err(GraphError::UnknownEntity(id.to_string()));
    }
    let step = Step { relations: query.relation.iter().cloned().collect(), direction: query.direction };
    let mut depth_of: HashMap<String, usize> = HashMap::from([(id.to_string(), 0)]);
    let mut order: Vec<NeighborEntity> = Vec::new();
    let mut traversed: Vec<Fact> = Vec::new();
    let mut frontier = vec![id.to_string()];
    'levels: for depth in 0..query.depth {
        if frontier.is_empty() {
            break;
        }
        let edges = backend.expand(&frontier, &step, EXPAND_LIMIT)?;
        let members: HashSet<&str> = frontier.iter().map(String::as_str).collect();
        let at = edges_by_node(&edges, &members, query.direction);
        let mut next = Vec::new();
        for node in &frontier {
            for &i in at.get(node.as_str()).into_iter().flatten() {
                let edge = &edges[i];
                traversed.push(edge.fact.clone());
                let (other, name, kind) = edge.other(node);
                if depth_of.contains_key(other) {
                    continue;
                }
                if order.len() >= query.limit {
                    break 'levels;
                }
                depth_of.insert(other.to_string(), depth + 1);
                order.push(NeighborEntity {
                    id: other.to_string(),
                    name: name.to_string(),
                    kind: kind.to_string(),
                    depth: depth + 1,
                });
                next.push(other.to_string());
            }
        }
        frontier = next;
    }
    let mut seen = HashSet::new();
    let facts = traversed
        .into_iter()
        .filter(|f| depth_of.contains_key(&f.source) && depth_of.contains_key(&f.target))
        .filter(|f| seen.insert((f.source.clone(), f.relation.clone(), f.target.clone())))
        .collect();
    Ok(Neighborhood { center: id.to_string(), entities: order, facts })
}

/// A shortest path between `from` and `to` by breadth-first search from both ends, one
/// level per round trip, the smaller frontier first; relations are walked both ways (see
/// [`crate::Graph::shortest_path`]).
pub fn shortest_path<B: GraphBackend + ?Sized>(
    backend: &B,
    from: &str,
    to: &str,
    relations: Option<&[String]>,
) -> Result<Option<Vec<Fact>>, GraphError> {
    for id in [from, to] {
        if !backend.contains(id)? {
            return Err(GraphError::UnknownEntity(id.to_string()));
        }
    }
    if from == to {
        return Ok(Some(Vec::new()));
    }
    let step = Step { relations: relations.map(<[String]>::to_vec).unwrap_or_default(), direction: Direction::Both };
    // Per side: the edge each entity was reached by (None for the side's start).
    let mut came: [HashMap<String, Option<Fact>>; 2] =
        [HashMap::from([(from.to_string(), None)]), HashMap::from([(to.to_string(), None)])];
    let mut frontiers: [Vec<String>; 2] = [vec![from.to_string()], vec![to.to_string()]];
    for _ in 0..MAX_PATH_LEVELS {
        if frontiers[0].is_empty() || frontiers[1].is_empty() {
            return Ok(None);
        }
        let side = usize::from(frontiers[1].len() < frontiers[0].len());
        let edges = backend.expand(&frontiers[side], &step, EXPAND_LIMIT)?;
        let members: HashSet<&str> = frontiers[side].iter().map(String::as_str).collect();
        let at = edges_by_node(&edges, &members, Direction::Both);
        let mut next = Vec::new();
        let mut meeting: Option<String> = None;
        for node in &frontiers[side] {
            for &i in at.get(node.as_str()).into_iter().flatten() {
                let edge = &edges[i];
                let (other, _, _) = edge.other(node);
                if came[side].contains_key(other) {
                    continue;
                }
                came[side].insert(other.to_string(), Some(edge.fact.clone()));
                if came[1 - side].contains_key(other) {
                    meeting = Some(other.to_string());
                    break;
                }
                next.push(other.to_string());
            }
            if meeting.is_some() {
                break;
            }
        }
        if let Some(middle) = meeting {
            return Ok(Some(join_path(&came, &middle)));
        }
        frontiers[side] = next;
    }
    Ok(None)
}

/// The facts from the start of side 0 to `middle` and on to the start of side 1.
fn join_path(came: &[HashMap<String, Option<Fact>>; 2], middle: &str) -> Vec<Fact> {
    let mut head = Vec::new();
    let mut at = middle.to_string();
    while let Some(Some(fact)) = came[0].get(&at) {
        at = if fact.target == at { fact.source.clone() } else { fact.target.clone() };
        head.push(fact.clone());
    }
    head.reverse();
    let mut at = middle.to_string();
    while let Some(Some(fact)) = came[1].get(&at) {
        at = if fact.source == at { fact.target.clone() } else { fact.source.clone() };
        head.push(fact.clone());
    }
    head
}

/// One seed's breadth-first reach: hop count, the fact it was reached by, and what the
/// walk learnt of each entity.
struct Reach {
    depth: HashMap<String, usize>,
    came_from: HashMap<String, (String, Fact)>,
    truncated: bool,
}

impl Reach {
    fn chain<'a>(&'a self, seed: &str, mut at: &'a str) -> Vec<Fact> {
        let mut facts = Vec::new();
        while at != seed {
            let Some((previous, fact)) = self.came_from.get(at) else {
                break;
            };
            facts.push(fact.clone());
            at = previous;
        }
        facts.reverse();
        facts
    }
}

/// Every seed's reach along `step`, level by level: one expansion per level serves all
/// seeds.
fn reaches<B: GraphBackend + ?Sized>(
    backend: &B,
    seeds: &[String],
    step: &Step,
    max_depth: usize,
    known: &mut HashMap<String, Known>,
) -> Result<Vec<Reach>, GraphError> {
    let mut reaches: Vec<Reach> = seeds
        .iter()
        .map(|s| Reach { depth: HashMap::from([(s.clone(), 0)]), came_from: HashMap::new(), truncated: false })
        .collect();
    let mut frontiers: Vec<Vec<String>> = seeds.iter().map(|s| vec![s.clone()]).collect();
    for depth in 0..max_depth {
        let mut union: Vec<String> = Vec::new();
        let mut in_union = HashSet::new();
        for node in frontiers.iter().flatten() {
            if in_union.insert(node.as_str()) {
                union.push(node.clone());
            }
        }
        if union.is_empty() {
            break;
        }
        let edges = backend.expand(&union, step, EXPAND_LIMIT)?;
        let members: HashSet<&str> = union.iter().map(String::as_str).collect();
        let at = edges_by_node(&edges, &members, step.direction);
        for (reach, frontier) in reaches.iter_mut().zip(frontiers.iter_mut()) {
            let mut next = Vec::new();
            for node in frontier.iter() {
                for &i in at.get(node.as_str()).into_iter().flatten() {
                    let edge = &edges[i];
                    let (other, name, kind) = edge.other(node);
                    if reach.depth.contains_key(other) {
                        continue;
                    }
                    if reach.depth.len() >= MAX_REACH {
                        reach.truncated = true;
                        break;
                    }
                    known.entry(other.to_string()).or_insert_with(|| Known { name: name.into(), kind: kind.into() });
                    reach.depth.insert(other.to_string(), depth + 1);
                    reach.came_from.insert(other.to_string(), (node.clone(), edge.fact.clone()));
                    next.push(other.to_string());
                }
            }
            *frontier = next;
        }
        if edges.len() >= EXPAND_LIMIT {
            reaches.iter_mut().for_each(|r| r.truncated = true);
        }
    }
    Ok(reaches)
}

/// The chains from every seed that reaches `node`, without repeats.
fn supporting_facts(seeds: &[String], reaches: &[Reach], node: &str) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    for (seed, reach) in seeds.iter().zip(reaches) {
        if !reach.depth.contains_key(node) {
            continue;
        }
        for fact in reach.chain(seed, node) {
            if !facts.contains(&fact) {
                facts.push(fact);
            }
        }
    }
    facts
}

/// Answers a relational question over the primitives, ranked as
/// [`crate::Graph::answer_counted`] ranks them: more seeds reaching an answer first, then
/// nearer, then more relations (importance, from [`GraphBackend::degrees`]), then name.
pub fn answer_counted<B: GraphBackend + ?Sized>(
    backend: &B,
    question: &GraphQuestion,
) -> Result<GraphAnswers, GraphError> {
    let mut seeds: Vec<String> = backend.entities(&question.seeds)?.into_iter().map(|e| e.id).collect();
    seeds.sort_unstable();
    seeds.dedup();
    if seeds.is_empty() || question.limit == 0 {
        return Ok(GraphAnswers::default());
    }
    let mut known: HashMap<String, Known> = HashMap::new();
    if question.relations.is_empty() {
        return answer_by_pagerank(backend, &seeds, question, &mut known);
    }
    let schema = backend.schema_stats()?;
    let relations: Vec<String> =
        question.relations.iter().filter(|name| schema.relation(name).is_some()).cloned().collect();
    if relations.is_empty() {
        return Ok(GraphAnswers::default());
    }
    let transitive =
        question.relations.iter().all(|name| schema.relation(name).is_some_and(|r| r.chaining >= TRANSITIVE_CHAINING));
    let max_depth = if transitive { MAX_CHAIN } else { 1 };
    let step = Step { relations, direction: question.direction };
    let reaches = reaches(backend, &seeds, &step, max_depth, &mut known)?;

    let mut support: HashMap<&str, (usize, usize)> = HashMap::new();
    for reach in &reaches {
        for (node, &depth) in &reach.depth {
            if depth == 0 {
                continue;
            }
            let entry = support.entry(node.as_str()).or_insert((0, 0));
            entry.0 += 1;
            entry.1 = entry.1.max(depth);
        }
    }
    let seed_set: HashSet<&str> = seeds.iter().map(String::as_str).collect();
    let kind_ok =
        |node: &str| question.target_kind.as_deref().is_none_or(|kind| known.get(node).is_some_and(|k| k.kind == kind));
    let mut answers: Vec<(&str, usize, usize, f64)> = support
        .into_iter()
        .filter(|(node, _)| !seed_set.contains(node) && kind_ok(node))
        .map(|(node, (count, depth))| {
            let coverage = count as f64 / seeds.len() as f64;
            let nearness = HOP_DECAY.powi(i32::try_from(depth - 1).unwrap_or(i32::MAX));
            (node, count, depth, coverage * nearness)
        })
        .collect();
    let ids: Vec<String> = answers.iter().map(|a| a.0.to_string()).collect();
    let degree: HashMap<String, usize> = ids.iter().cloned().zip(backend.degrees(&ids)?).collect();
    let name = |node: &str| known.get(node).map_or("", |k| k.name.as_str()).to_string();
    answers.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(a.2.cmp(&b.2))
            .then(b.3.total_cmp(&a.3))
            .then_with(|| degree.get(b.0).cmp(&degree.get(a.0)))
            .then_with(|| name(a.0).cmp(&name(b.0)))
            .then_with(|| a.0.cmp(b.0))
    });
    let total = answers.len();
    answers.truncate(question.limit);
    let answers = answers
        .into_iter()
        .map(|(node, _, depth, score)| GraphAnswer {
            entity: neighbor_entity(&known, node, depth),
            score,
            facts: supporting_facts(&seeds, &reaches, node),
        })
        .collect();
    Ok(GraphAnswers { answers, total })
}

fn neighbor_entity(known: &HashMap<String, Known>, id: &str, depth: usize) -> NeighborEntity {
    let k = known.get(id);
    NeighborEntity {
        id: id.to_string(),
        name: k.map(|k| k.name.clone()).unwrap_or_default(),
        kind: k.map(|k| k.kind.clone()).unwrap_or_default(),
        depth,
    }
}

/// No relation given: the seeds' neighbourhood ranked by personalised PageRank.
fn answer_by_pagerank<B: GraphBackend + ?Sized>(
    backend: &B,
    seeds: &[String],
    question: &GraphQuestion,
    known: &mut HashMap<String, Known>,
) -> Result<GraphAnswers, GraphError> {
    let reaches = reaches(backend, seeds, &Step::any(), NEIGHBORHOOD_HOPS, known)?;
    let weighted: Vec<(String, f64)> = seeds.iter().map(|s| (s.clone(), 1.0)).collect();
    let ranked = backend.personalized_pagerank(&weighted, &PprParams::default(), &SubgraphBound::default())?;
    let mut answers: Vec<(String, usize, f64)> = ranked
        .ranked
        .into_iter()
        .filter_map(|(id, mass)| {
            let depth = *reaches.iter().filter_map(|r| r.depth.get(&id)).min()?;
            let kind_ok =
                question.target_kind.as_deref().is_none_or(|kind| known.get(&id).is_some_and(|k| k.kind == kind));
            (depth > 0 && kind_ok).then_some((id, depth, mass))
        })
        .collect();
    let total = answers.len();
    answers.truncate(question.limit);
    let top = answers.first().map_or(1.0, |a| a.2);
    let answers = answers
        .into_iter()
        .map(|(id, depth, mass)| GraphAnswer {
            entity: neighbor_entity(known, &id, depth),
            score: (mass / top).clamp(f64::MIN_POSITIVE, 1.0),
            facts: supporting_facts(seeds, &reaches, &id),
        })
        .collect();
    Ok(GraphAnswers { answers, total })
}

/// Personalised PageRank by local push on the subgraph within `bound` of the seeds,
/// fetched level by level. Relations count both ways, as in
/// [`crate::Graph::personalized_pagerank`]. Entities inside the bound were expanded with all
/// their relations, so their degree is exact and they push; entities on the boundary keep
/// α times the mass that reached them (the share a push would have kept) and spread none,
/// which is what a walk cut at the bound can say about them.
pub fn subgraph_pagerank<B: GraphBackend + ?Sized>(
    backend: &B,
    seeds: &[(String, f64)],
    params: &PprParams,
    bound: &SubgraphBound,
) -> Result<RankedEntities, GraphError> {
    let defaults = PprParams::default();
    let alpha = if params.alpha > 0.0 && params.alpha < 1.0 { params.alpha } else { defaults.alpha };
    let epsilon = if params.epsilon > 0.0 && params.epsilon.is_finite() { params.epsilon } else { defaults.epsilon };
    let ids: Vec<String> = seeds.iter().map(|(id, _)| id.clone()).collect();
    let existing: HashSet<String> = backend.entities(&ids)?.into_iter().map(|e| e.id).collect();
    let mut weights: Vec<(String, f64)> = Vec::new();
    for (id, weight) in seeds {
        if existing.contains(id) && weight.is_finite() && *weight > 0.0 {
            weights.push((id.clone(), *weight));
        }
    }
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    let mut report = SubgraphReport { bound: Some(*bound), ..SubgraphReport::default() };
    if total <= 0.0 || !total.is_finite() {
        return Ok(RankedEntities { ranked: Vec::new(), subgraph: Some(report) });
    }

    // Fetch the subgraph: rows of entities, undirected neighbour lists of expanded ones.
    let mut rows = Rows::default();
    let mut frontier: Vec<String> = Vec::new();
    let mut queued = HashSet::new();
    for (id, _) in &weights {
        if queued.insert(id.clone()) {
            frontier.push(id.clone());
            rows.row(id);
        }
    }
    let mut seen_edges: HashSet<(String, String, String)> = HashSet::new();
    for hop in 0..bound.hops {
        if frontier.is_empty() {
            break;
        }
        let budget = bound.max_relations.saturating_sub(report.relations);
        if budget == 0 {
            report.truncated = true;
            break;
        }
        let edges = backend.expand(&frontier, &Step::any(), budget)?;
        report.hops = hop + 1;
        if edges.len() >= budget {
            report.truncated = true;
        }
        for id in &frontier {
            let r = rows.row(id);
            rows.expanded[r] = true;
        }
        let mut next = Vec::new();
        for edge in edges {
            let key = (edge.fact.source.clone(), edge.fact.relation.clone(), edge.fact.target.clone());
            if !seen_edges.insert(key) {
                continue;
            }
            report.relations += 1;
            let (s, t) = (rows.row(&edge.fact.source), rows.row(&edge.fact.target));
            rows.neighbours[s].push(t);
            rows.neighbours[t].push(s);
            for end in [&edge.fact.source, &edge.fact.target] {
                if queued.insert(end.clone()) {
                    next.push(end.clone());
                }
            }
        }
        frontier = next;
    }
    let Rows { row_of, names, neighbours, expanded } = rows;
    let rows = names.len();
    report.entities = rows;

    // Local push (Andersen–Chung–Lang) over the fetched rows.
    let mut residual = vec![0.0f64; rows];
    let mut estimate = vec![0.0f64; rows];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for (id, weight) in &weights {
        if let Some(&r) = row_of.get(id) {
            residual[r] += weight / total;
        }
    }
    queue.extend(residual.iter().enumerate().filter(|(_, mass)| **mass > 0.0).map(|(r, _)| r));
    let mut pushes = 0usize;
    while let Some(r) = queue.pop_front() {
        let mass = residual[r];
        if mass == 0.0 || !expanded[r] {
            continue;
        }
        let degree = neighbours[r].len() as f64;
        if degree == 0.0 {
            estimate[r] += mass;
            residual[r] = 0.0;
            continue;
        }
        if mass < epsilon * degree {
            continue;
        }
        if pushes >= params.max_pushes {
            break;
        }
        pushes += 1;
        estimate[r] += alpha * mass;
        residual[r] = 0.0;
        let share = (1.0 - alpha) * mass / degree;
        for &next in &neighbours[r] {
            let before = residual[next];
            residual[next] += share;
            let threshold = epsilon * neighbours[next].len().max(1) as f64;
            if expanded[next] && before < threshold && residual[next] >= threshold {
                queue.push_back(next);
            }
        }
    }
    for ((estimate, residual), expanded) in estimate.iter_mut().zip(&residual).zip(&expanded) {
        if !expanded {
            *estimate += alpha * residual;
        }
    }
    let mut ranked: Vec<(String, f64)> =
        (0..rows).filter(|&r| estimate[r] > 0.0).map(|r| (names[r].clone(), estimate[r])).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(RankedEntities { ranked, subgraph: Some(report) })
}

/// The entities of a fetched subgraph as dense rows.
#[derive(Default)]
struct Rows {
    row_of: HashMap<String, usize>,
    names: Vec<String>,
    neighbours: Vec<Vec<usize>>,
    /// Whether the row's relations were all fetched (it is inside the bound).
    expanded: Vec<bool>,
}

impl Rows {
    fn row(&mut self, id: &str) -> usize {
        if let Some(&r) = self.row_of.get(id) {
            return r;
        }
        let r = self.names.len();
        self.row_of.insert(id.to_string(), r);
        self.names.push(id.to_string());
        self.neighbours.push(Vec::new());
        self.expanded.push(false);
        r
    }
}
