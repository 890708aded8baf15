//! The exact executor of a [`GraphPlan`] on the in-memory graph.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{GraphPlan, Order, PropValue, RankKey};
use crate::graph::Graph;
use crate::model::Fact;
use crate::schema::TRANSITIVE_CHAINING;
use crate::sets::SetTooLarge;

/// Facts kept per entity as its evidence: a chain of three hops and a little more.
pub const MAX_EVIDENCE: usize = 4;

/// Bounds of one execution.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest intermediate set (entities reached by one step, members of a type).
    pub max_set: usize,
    /// Plans with more nodes than this are refused (deeply nested questions).
    pub max_steps: usize,
    /// Checked before every step.
    pub deadline: Option<Instant>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_set: 100_000, max_steps: 64, deadline: None }
    }
}

/// An entity in a plan's answer, with the facts that support it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanEntity {
    /// The entity's id.
    pub id: String,
    /// The facts that lead to it from the start of the plan (at most [`MAX_EVIDENCE`]).
    pub facts: Vec<Fact>,
    /// The value it was ranked by, for a ranking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

/// What a plan evaluates to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanOutput {
    /// A set of entities, in a stable order (ranked for a ranking).
    Entities(Vec<PlanEntity>),
    /// A number of entities.
    Count(usize),
    /// A property's value (or the number compared).
    Number(f64),
    /// A yes or a no.
    Boolean(bool),
}

/// Why a plan could not be answered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// An intermediate set grew past [`Limits::max_set`].
    #[error(transparent)]
    TooLarge(#[from] SetTooLarge),
    /// The deadline passed.
    #[error("the plan ran out of time")]
    Deadline,
    /// The plan has more than [`Limits::max_steps`] nodes.
    #[error("the plan has {0} steps, more than the {1} allowed")]
    TooManySteps(usize, usize),
    /// A node wanted entities and got a number, or the other way round.
    #[error("{0}")]
    Shape(String),
    /// A value was asked of a set that is not one entity.
    #[error("{what} is {n} entities, not one")]
    NotOne {
        /// The plan's text.
        what: String,
        /// How many it was.
        n: usize,
    },
    /// An entity lacks a property the plan reads.
    #[error("{entity} has no numeric '{prop}'")]
    Missing {
        /// The entity's id.
        entity: String,
        /// The property.
        prop: String,
    },
}

type Members = Vec<PlanEntity>;

impl Graph {
    /// Evaluates `plan` exactly. Every intermediate set is capped by `limits.max_set` and the
    /// deadline is checked before each step: a plan that would exceed either stops with an
    /// error rather than running on.
    pub fn execute(&self, plan: &GraphPlan, limits: &Limits) -> Result<PlanOutput, PlanError> {
        let steps = plan.size();
        if steps > limits.max_steps {
            return Err(PlanError::TooManySteps(steps, limits.max_steps));
        }
        Executor { graph: self, limits }.eval(plan)
    }
}

struct Executor<'a> {
    graph: &'a Graph,
    limits: &'a Limits,
}

impl Executor<'_> {
    fn check_time(&self) -> Result<(), PlanError> {
        match self.limits.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(PlanError::Deadline),
            _ => Ok(()),
        }
    }

    fn eval(&self, plan: &GraphPlan) -> Result<PlanOutput, PlanError> {
        self.check_time()?;
        Ok(match plan {
            GraphPlan::Count(p) => PlanOutput::Count(self.set(p)?.len()),
            GraphPlan::Exists(p) => PlanOutput::Boolean(!self.set(p)?.is_empty()),
            GraphPlan::Value { .. } => PlanOutput::Number(self.number(plan)?),
            GraphPlan::Compare { left, op, right } => {
                let (l, r) = (self.number(left)?, self.number(right)?);
                PlanOutput::Boolean(l.partial_cmp(&r).is_some_and(|o| op.holds(o)))
            }
            _ => PlanOutput::Entities(self.set(plan)?),
        })
    }

    fn number(&self, plan: &GraphPlan) -> Result<f64, PlanError> {
        match plan {
            GraphPlan::Value { from, prop } => {
                let members = self.set(from)?;
                let [one] = &members[..] else {
                    return Err(PlanError::NotOne { what: self.graph.describe_plan(from), n: members.len() });
                };
                self.graph
                    .entity(&one.id)
                    .and_then(|e| e.props.get(prop))
                    .and_then(serde_json::Value::as_f64)
                    .ok_or_else(|| PlanError::Missing { entity: one.id.clone(), prop: prop.clone() })
            }
            GraphPlan::Count(p) => Ok(self.set(p)?.len() as f64),
            other => Err(PlanError::Shape(format!("{} is not a number", self.graph.describe_plan(other)))),
        }
    }

    fn set(&self, plan: &GraphPlan) -> Result<Members, PlanError> {
        self.check_time()?;
        let max = self.limits.max_set;
        match plan {
            GraphPlan::Entities(ids) => {
                let mut seen = HashSet::new();
                let members: Members = ids
                    .iter()
                    .filter(|id| self.graph.contains(id) && seen.insert(id.as_str()))
                    .map(|id| PlanEntity { id: id.clone(), facts: Vec::new(), value: None })
                    .collect();
                if members.len() > max {
                    return Err(SetTooLarge { what: "the entities named".into(), limit: max }.into());
                }
                Ok(members)
            }
            GraphPlan::Type(kind) => Ok(self
                .graph
                .members_of_type(kind, max)?
                .into_iter()
                .map(|id| PlanEntity { id, facts: Vec::new(), value: None })
                .collect()),
            GraphPlan::Follow { from, relation, direction, transitive, kind } => {
                let from = self.set(from)?;
                let evidence: HashMap<&str, &[Fact]> = from.iter().map(|m| (m.id.as_str(), &m.facts[..])).collect();
                let ids: Vec<String> = from.iter().map(|m| m.id.clone()).collect();
                // A chaining relation followed with no type to stop at would wander: it is
                // followed transitively only when asked to.
                let transitive = *transitive
                    && self.graph.schema_stats().relation(relation).is_some_and(|r| r.chaining >= TRANSITIVE_CHAINING);
                let reached = self.graph.follow_set(
                    &ids,
                    std::slice::from_ref(relation),
                    *direction,
                    transitive,
                    kind.as_deref(),
                    max,
                )?;
                Ok(reached
                    .into_iter()
                    .map(|r| {
                        // The chain that reached it, after the evidence of where it started.
                        let start = r.facts.first().map(|f| start_of(f, &evidence));
                        let mut facts: Vec<Fact> =
                            start.and_then(|s| evidence.get(s)).map(|f| f.to_vec()).unwrap_or_default();
                        facts.extend(r.facts);
                        keep_last(&mut facts);
                        PlanEntity { id: r.id, facts, value: None }
                    })
                    .collect())
            }
            GraphPlan::Intersect(parts) => {
                let mut sets = parts.iter().map(|p| self.set(p)).collect::<Result<Vec<_>, _>>()?;
                // The smallest part is the most specific constraint: its order (nearest first)
                // is the answer's ("what kind of animal is a hedgehog": its nearest ancestors).
                sets.sort_by_key(Vec::len);
                let mut sets = sets.into_iter();
                let Some(mut acc) = sets.next() else { return Ok(Vec::new()) };
                for other in sets {
                    let mut by_id: HashMap<String, Vec<Fact>> = other.into_iter().map(|m| (m.id, m.facts)).collect();
                    acc.retain_mut(|m| match by_id.remove(&m.id) {
                        Some(facts) => {
                            merge_facts(&mut m.facts, facts);
                            true
                        }
                        None => false,
                    });
                }
                Ok(acc)
            }
            GraphPlan::Union(parts) => {
                let mut acc: Members = Vec::new();
                let mut at: HashMap<String, usize> = HashMap::new();
                for part in parts {
                    for m in self.set(part)? {
                        match at.get(&m.id) {
                            Some(&i) => merge_facts(&mut acc[i].facts, m.facts),
                            None => {
                                if acc.len() >= max {
                                    return Err(SetTooLarge { what: "a union".into(), limit: max }.into());
                                }
                                at.insert(m.id.clone(), acc.len());
                                acc.push(m);
                            }
                        }
                    }
                }
                Ok(acc)
            }
            GraphPlan::Subtract { from, minus } => {
                let mut from = self.set(from)?;
                let minus: HashSet<String> = self.set(minus)?.into_iter().map(|m| m.id).collect();
                from.retain(|m| !minus.contains(&m.id));
                Ok(from)
            }
            GraphPlan::FilterProp { from, prop, op, value } => {
                let mut from = self.set(from)?;
                from.retain(|m| {
                    self.graph
                        .entity(&m.id)
                        .and_then(|e| e.props.get(prop))
                        .and_then(|v| compare(v, value))
                        .is_some_and(|o| op.holds(o))
                });
                Ok(from)
            }
            GraphPlan::TopBy { from, key, order, k } => {
                let mut ranked: Members = self
                    .set(from)?
                    .into_iter()
                    .filter_map(|mut m| {
                        m.value = match key {
                            RankKey::Prop(prop) => self
                                .graph
                                .entity(&m.id)
                                .and_then(|e| e.props.get(prop))
                                .and_then(serde_json::Value::as_f64),
                            RankKey::Degree { relation, direction } => {
                                Some(self.graph.count_related(&m.id, relation, *direction) as f64)
                            }
                        };
                        m.value.filter(|v| v.is_finite()).map(|_| m)
                    })
                    .collect();
                ranked.sort_by(|a, b| {
                    let (x, y) = (a.value.unwrap_or(0.0), b.value.unwrap_or(0.0));
                    let o = match order {
                        Order::Desc => y.total_cmp(&x),
                        Order::Asc => x.total_cmp(&y),
                    };
                    o.then_with(|| a.id.cmp(&b.id))
                });
                // Ties with the last one kept are kept too: "the most neighbours" has no
                // reason to prefer one of two countries with as many.
                let last = ranked.get(k.saturating_sub(1)).and_then(|m| m.value);
                let tied = ranked.iter().skip(*k).take_while(|m| m.value.is_some() && m.value == last).count();
                ranked.truncate(k + tied);
                Ok(ranked)
            }
            other => Err(PlanError::Shape(format!("{} is not a set of entities", self.graph.describe_plan(other)))),
        }
    }
}

/// The end of `fact` that was in the set followed from (the fact is stored in its own
/// direction, which may be against the step's).
fn start_of<'f>(fact: &'f Fact, evidence: &HashMap<&str, &[Fact]>) -> &'f str {
    if evidence.contains_key(fact.source.as_str()) { &fact.source } else { &fact.target }
}

fn keep_last(facts: &mut Vec<Fact>) {
    if facts.len() > MAX_EVIDENCE {
        facts.drain(..facts.len() - MAX_EVIDENCE);
    }
}

fn merge_facts(into: &mut Vec<Fact>, more: Vec<Fact>) {
    for f in more {
        if into.len() >= MAX_EVIDENCE {
            break;
        }
        if !into.contains(&f) {
            into.push(f);
        }
    }
}

/// `value` (from an entity's props) compared with `with`, when they are of one kind.
fn compare(value: &serde_json::Value, with: &PropValue) -> Option<std::cmp::Ordering> {
    match (value, with) {
        (serde_json::Value::Number(n), PropValue::Number(w)) => n.as_f64()?.partial_cmp(w),
        (serde_json::Value::Bool(b), PropValue::Bool(w)) => Some(b.cmp(w)),
        (serde_json::Value::String(s), PropValue::Text(w)) => Some(s.to_lowercase().cmp(&w.to_lowercase())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Direction;
    use crate::plan::CompareOp;
    use crate::{Entity, Relation};

    fn atlas() -> Result<Graph, crate::GraphError> {
        let mut g = Graph::new();
        for (id, kind, props) in [
            ("ken", "country", serde_json::json!({"area_km2": 580367, "population": 53, "landlocked": false})),
            ("tza", "country", serde_json::json!({"area_km2": 947303, "population": 61, "landlocked": false})),
            ("uga", "country", serde_json::json!({"area_km2": 241550, "population": 45, "landlocked": true})),
            ("tzs", "currency", serde_json::json!({})),
            ("ugx", "currency", serde_json::json!({})),
            ("east", "subregion", serde_json::json!({})),
            ("africa", "region", serde_json::json!({})),
        ] {
            let mut e = Entity::new(id, id.to_uppercase(), kind);
            e.props = props.as_object().cloned().unwrap_or_default();
            g.upsert_entity(e)?;
        }
        for (s, r, t) in [
            ("ken", "borders", "tza"),
            ("tza", "borders", "ken"),
            ("ken", "borders", "uga"),
            ("uga", "borders", "ken"),
            ("tza", "borders", "uga"),
            ("uga", "borders", "tza"),
            ("tza", "uses_currency", "tzs"),
            ("uga", "uses_currency", "ugx"),
            ("ken", "part_of", "east"),
            ("tza", "part_of", "east"),
            ("uga", "part_of", "east"),
            ("east", "part_of", "africa"),
        ] {
            g.add_relation(Relation::new(s, r, t))?;
        }
        Ok(g)
    }

    fn ids(out: PlanOutput) -> Vec<String> {
        match out {
            PlanOutput::Entities(m) => m.into_iter().map(|m| m.id).collect(),
            other => vec![format!("{other:?}")],
        }
    }

    fn african() -> GraphPlan {
        GraphPlan::Follow {
            from: Box::new(GraphPlan::entities(["africa"])),
            relation: "part_of".into(),
            direction: Direction::In,
            transitive: true,
            kind: Some("country".into()),
        }
    }

    #[test]
    fn chains_sets_filters_and_rankings() -> Result<(), Box<dyn std::error::Error>> {
        let g = atlas()?;
        let l = Limits::default();
        let chain =
            GraphPlan::entities(["ken"]).follow("borders", Direction::Out).follow("uses_currency", Direction::Out);
        let mut got = ids(g.execute(&chain, &l)?);
        got.sort();
        assert_eq!(got, ["tzs", "ugx"]);
        let PlanOutput::Entities(m) = g.execute(&chain, &l)? else { panic!("a set") };
        assert_eq!(m[0].facts.len(), 2, "{:?}", m[0].facts);
        assert_eq!(m[0].facts[0].source, "ken");

        let mut africa = ids(g.execute(&african(), &l)?);
        africa.sort();
        assert_eq!(africa, ["ken", "tza", "uga"]);
        let no_currency = GraphPlan::Subtract {
            from: Box::new(african()),
            minus: Box::new(GraphPlan::entities(["tzs", "ugx"]).follow("uses_currency", Direction::In)),
        };
        assert_eq!(ids(g.execute(&no_currency, &l)?), ["ken"]);
        let both = GraphPlan::Intersect(vec![
            GraphPlan::entities(["ken"]).follow("borders", Direction::Both),
            GraphPlan::entities(["tza"]).follow("borders", Direction::Both),
        ]);
        assert_eq!(ids(g.execute(&both, &l)?), ["uga"]);
        let landlocked = GraphPlan::FilterProp {
            from: Box::new(african()),
            prop: "landlocked".into(),
            op: CompareOp::Eq,
            value: PropValue::Bool(true),
        };
        assert_eq!(ids(g.execute(&landlocked, &l)?), ["uga"]);
        let big = GraphPlan::FilterProp {
            from: Box::new(GraphPlan::Type("country".into())),
            prop: "population".into(),
            op: CompareOp::Gt,
            value: PropValue::Number(50.0),
        };
        assert_eq!(ids(g.execute(&big, &l)?), ["ken", "tza"]);
        let largest = GraphPlan::TopBy {
            from: Box::new(african()),
            key: RankKey::Prop("area_km2".into()),
            order: Order::Desc,
            k: 1,
        };
        assert_eq!(ids(g.execute(&largest, &l)?), ["tza"]);
        let fewest = GraphPlan::TopBy {
            from: Box::new(GraphPlan::Type("currency".into())),
            key: RankKey::Degree { relation: "uses_currency".into(), direction: Direction::In },
            order: Order::Asc,
            k: 2,
        };
        assert_eq!(ids(g.execute(&fewest, &l)?), ["tzs", "ugx"]);
        // Ties with the last one kept are kept.
        let one = GraphPlan::TopBy {
            from: Box::new(GraphPlan::Type("currency".into())),
            key: RankKey::Degree { relation: "uses_currency".into(), direction: Direction::In },
            order: Order::Desc,
            k: 1,
        };
        assert_eq!(ids(g.execute(&one, &l)?), ["tzs", "ugx"]);
        Ok(())
    }

    #[test]
    fn counts_values_and_comparisons() -> Result<(), Box<dyn std::error::Error>> {
        let g = atlas()?;
        let l = Limits::default();
        assert_eq!(g.execute(&GraphPlan::Count(Box::new(african())), &l)?, PlanOutput::Count(3));
        let area = |id: &str| GraphPlan::Value { from: Box::new(GraphPlan::entities([id])), prop: "area_km2".into() };
        assert_eq!(g.execute(&area("ken"), &l)?, PlanOutput::Number(580367.0));
        let bigger = |a: &str, b: &str| GraphPlan::Compare {
            left: Box::new(area(a)),
            op: CompareOp::Gt,
            right: Box::new(area(b)),
        };
        assert_eq!(g.execute(&bigger("tza", "ken"), &l)?, PlanOutput::Boolean(true));
        assert_eq!(g.execute(&bigger("ken", "tza"), &l)?, PlanOutput::Boolean(false));
        let borders_uga = GraphPlan::Exists(Box::new(GraphPlan::Intersect(vec![
            GraphPlan::entities(["ken"]).follow("borders", Direction::Out),
            GraphPlan::entities(["uga"]),
        ])));
        assert_eq!(g.execute(&borders_uga, &l)?, PlanOutput::Boolean(true));
        // A value of two entities, of an entity without the property, of a set.
        let two = GraphPlan::Value { from: Box::new(GraphPlan::entities(["ken", "tza"])), prop: "area_km2".into() };
        assert!(matches!(g.execute(&two, &l), Err(PlanError::NotOne { n: 2, .. })));
        assert!(matches!(g.execute(&area("tzs"), &l), Err(PlanError::Missing { .. })));
        let bad = GraphPlan::Count(Box::new(GraphPlan::Count(Box::new(african()))));
        assert!(matches!(g.execute(&bad, &l), Err(PlanError::Shape(_))));
        Ok(())
    }

    #[test]
    fn caps_steps_and_deadline() -> Result<(), Box<dyn std::error::Error>> {
        let g = atlas()?;
        let small = Limits { max_set: 2, ..Limits::default() };
        assert!(matches!(g.execute(&african(), &small), Err(PlanError::TooLarge(_))));
        assert!(matches!(g.execute(&GraphPlan::Type("country".into()), &small), Err(PlanError::TooLarge(_))));
        let mut deep = GraphPlan::entities(["ken"]);
        for _ in 0..100 {
            deep = deep.follow("borders", Direction::Out);
        }
        assert!(matches!(g.execute(&deep, &Limits::default()), Err(PlanError::TooManySteps(101, 64))));
        let past = Limits { deadline: Some(Instant::now()), ..Limits::default() };
        assert_eq!(g.execute(&african(), &past), Err(PlanError::Deadline));
        Ok(())
    }
}
