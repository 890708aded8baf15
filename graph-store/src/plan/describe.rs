//! A plan as a line a person reads: `borders(Kenya) → uses_currency`.

use super::{GraphPlan, Order, PropValue, RankKey};
use crate::graph::Graph;
use crate::model::Direction;

/// Entities named in a described plan before it says "and N more".
const NAMES_SHOWN: usize = 4;

impl Graph {
    /// `plan` as text, with entity names from this graph: a first hop reads as a call
    /// (`borders(Kenya)`), later hops as arrows (`→ uses_currency`), a hop against the
    /// relation's direction is marked `⁻¹`, a transitive one `*`, a type kept `[country]`.
    pub fn describe_plan(&self, plan: &GraphPlan) -> String {
        match plan {
            GraphPlan::Entities(ids) => {
                let mut names: Vec<String> = ids
                    .iter()
                    .take(NAMES_SHOWN)
                    .map(|id| self.entity(id).map_or_else(|| id.clone(), |e| e.name.clone()))
                    .collect();
                if ids.len() > NAMES_SHOWN {
                    names.push(format!("{} more", ids.len() - NAMES_SHOWN));
                }
                if names.len() == 1 { names.remove(0) } else { format!("{{{}}}", names.join(", ")) }
            }
            GraphPlan::Type(kind) => format!("every {kind}"),
            GraphPlan::Follow { from, relation, direction, transitive, kind } => {
                let mut hop = relation.clone();
                if *direction == Direction::In {
                    hop.push_str("⁻¹");
                }
                if *transitive {
                    hop.push('*');
                }
                let mut text = match from.as_ref() {
                    GraphPlan::Entities(_) => format!("{hop}({})", self.describe_plan(from)),
                    other if needs_brackets(other) => format!("({}) → {hop}", self.describe_plan(other)),
                    other => format!("{} → {hop}", self.describe_plan(other)),
                };
                if let Some(kind) = kind {
                    text.push_str(&format!(" [{kind}]"));
                }
                text
            }
            GraphPlan::Intersect(parts) => self.joined(parts, " ∩ "),
            GraphPlan::Union(parts) => self.joined(parts, " ∪ "),
            GraphPlan::Subtract { from, minus } => {
                format!("{} − {}", self.bracketed(from), self.bracketed(minus))
            }
            GraphPlan::FilterProp { from, prop, op, value } => {
                let value = match value {
                    PropValue::Number(n) => number(*n),
                    PropValue::Bool(b) => b.to_string(),
                    PropValue::Text(t) => format!("\"{t}\""),
                };
                format!("{} where {prop} {} {value}", self.bracketed(from), op.symbol())
            }
            GraphPlan::TopBy { from, key, order, k } => {
                let key = match key {
                    RankKey::Prop(p) => p.clone(),
                    RankKey::Degree { relation, direction: Direction::In } => format!("count of {relation}⁻¹"),
                    RankKey::Degree { relation, .. } => format!("count of {relation}"),
                };
                let end = match order {
                    Order::Desc => "top",
                    Order::Asc => "bottom",
                };
                format!("{end} {k} by {key} of {}", self.bracketed(from))
            }
            GraphPlan::Count(p) => format!("count({})", self.describe_plan(p)),
            GraphPlan::Exists(p) => format!("exists({})", self.describe_plan(p)),
            GraphPlan::Value { from, prop } => format!("{prop}({})", self.describe_plan(from)),
            GraphPlan::Compare { left, op, right } => {
                format!("{} {} {}", self.describe_plan(left), op.symbol(), self.describe_plan(right))
            }
        }
    }

    fn joined(&self, parts: &[GraphPlan], with: &str) -> String {
        parts.iter().map(|p| self.bracketed(p)).collect::<Vec<_>>().join(with)
    }

    fn bracketed(&self, plan: &GraphPlan) -> String {
        if needs_brackets(plan) { format!("({})", self.describe_plan(plan)) } else { self.describe_plan(plan) }
    }
}

fn needs_brackets(plan: &GraphPlan) -> bool {
    matches!(
        plan,
        GraphPlan::Intersect(_) | GraphPlan::Union(_) | GraphPlan::Subtract { .. } | GraphPlan::FilterProp { .. }
    )
}

/// A number without a needless fraction: `50000000`, `1.5`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::CompareOp;
    use crate::{Entity, Graph};

    #[test]
    fn plans_read_as_lines() -> Result<(), crate::GraphError> {
        let mut g = Graph::new();
        g.upsert_entity(Entity::new("eur", "Euro", "currency"))?;
        g.upsert_entity(Entity::new("europe", "Europe", "region"))?;
        let europe = GraphPlan::Follow {
            from: Box::new(GraphPlan::entities(["europe"])),
            relation: "part_of".into(),
            direction: Direction::In,
            transitive: true,
            kind: Some("country".into()),
        };
        let plan = GraphPlan::Subtract {
            from: Box::new(europe.clone()),
            minus: Box::new(GraphPlan::entities(["eur"]).follow("uses_currency", Direction::In)),
        };
        assert_eq!(g.describe_plan(&plan), "part_of⁻¹*(Europe) [country] − uses_currency⁻¹(Euro)");
        let filtered = GraphPlan::FilterProp {
            from: Box::new(GraphPlan::Type("country".into())),
            prop: "population".into(),
            op: CompareOp::Gt,
            value: PropValue::Number(5e7),
        };
        assert_eq!(
            g.describe_plan(&GraphPlan::Count(Box::new(filtered))),
            "count(every country where population > 50000000)"
        );
        let top =
            GraphPlan::TopBy { from: Box::new(europe), key: RankKey::Prop("area_km2".into()), order: Order::Asc, k: 1 };
        assert_eq!(g.describe_plan(&top), "bottom 1 by area_km2 of part_of⁻¹*(Europe) [country]");
        Ok(())
    }
}
