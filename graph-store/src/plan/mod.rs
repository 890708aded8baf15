//! Graph plans: a question compiled into set operations over the graph — start from entities
//! or a type, follow relations either way, intersect, unite and subtract, filter by a
//! property, count, rank by a property or a degree, compare two values — and answered
//! exactly by [`Graph::execute`], under a cap on every intermediate set and a deadline.
//!
//! ```
//! use braid_graph::plan::{GraphPlan, Limits, PlanOutput};
//! use braid_graph::{Direction, Entity, Graph, Relation};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut g = Graph::new();
//! for (id, name, kind) in [("ken", "Kenya", "country"), ("tza", "Tanzania", "country"), ("tzs", "shilling", "currency")] {
//!     g.upsert_entity(Entity::new(id, name, kind))?;
//! }
//! g.add_relation(Relation::new("ken", "borders", "tza"))?;
//! g.add_relation(Relation::new("tza", "uses_currency", "tzs"))?;
//!
//! // "what currency do the countries bordering Kenya use"
//! let plan = GraphPlan::entities(["ken"]).follow("borders", Direction::Out).follow("uses_currency", Direction::Out);
//! assert_eq!(g.describe_plan(&plan), "borders(Kenya) → uses_currency");
//! let PlanOutput::Entities(found) = g.execute(&plan, &Limits::default())? else { panic!() };
//! assert_eq!(found[0].id, "tzs");
//! assert_eq!(found[0].facts.len(), 2, "Kenya borders Tanzania, Tanzania uses the shilling");
//! # Ok(())
//! # }
//! ```

mod describe;
mod exec;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use exec::{Limits, PlanEntity, PlanError, PlanOutput};

use crate::model::Direction;

/// A typed graph plan. Set-valued nodes (`entities` … `top_by`) evaluate to a list of
/// entities; `count`, `value`, `exists` and `compare` to a number or a boolean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GraphPlan {
    /// These entities (unknown ids are dropped).
    Entities(Vec<String>),
    /// Every entity of this type.
    Type(String),
    /// The entities reached from `from` over `relation` in `direction`; `transitive` follows
    /// it to a fixed point; `kind` keeps only entities of that type.
    Follow {
        /// Where to start.
        from: Box<GraphPlan>,
        /// The relation type.
        relation: String,
        /// Which way.
        direction: Direction,
        /// Follow to a fixed point (`part_of`: city → country → region).
        #[serde(default)]
        transitive: bool,
        /// Keep only entities of this type.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
    },
    /// Members of every set.
    Intersect(Vec<GraphPlan>),
    /// Members of any set.
    Union(Vec<GraphPlan>),
    /// Members of `from` not in `minus` (negation).
    Subtract {
        /// The set.
        from: Box<GraphPlan>,
        /// What is taken away.
        minus: Box<GraphPlan>,
    },
    /// Members of `from` whose property `prop` compares with `value` by `op`; members without
    /// the property never pass (not even `!=`).
    FilterProp {
        /// The set.
        from: Box<GraphPlan>,
        /// The property key, e.g. `population`.
        prop: String,
        /// The comparison.
        op: CompareOp,
        /// The value compared with.
        value: PropValue,
    },
    /// The `k` members of `from` with the largest (or smallest) `key`, and any tied with the
    /// last of them; members without a value are left out.
    TopBy {
        /// The set.
        from: Box<GraphPlan>,
        /// What to rank by.
        key: RankKey,
        /// Largest or smallest first.
        order: Order,
        /// How many to keep.
        k: usize,
    },
    /// The number of members.
    Count(Box<GraphPlan>),
    /// The numeric property `prop` of the one entity `from` evaluates to.
    Value {
        /// A plan of exactly one entity.
        from: Box<GraphPlan>,
        /// The property key.
        prop: String,
    },
    /// Whether the set is not empty.
    Exists(Box<GraphPlan>),
    /// Whether `left op right`, both numbers (`value` or `count`).
    Compare {
        /// Left side.
        left: Box<GraphPlan>,
        /// The comparison.
        op: CompareOp,
        /// Right side.
        right: Box<GraphPlan>,
    },
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl CompareOp {
    /// The operator as written in a plan: `>`, `<=`, …
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "≠",
            CompareOp::Gt => ">",
            CompareOp::Ge => "≥",
            CompareOp::Lt => "<",
            CompareOp::Le => "≤",
        }
    }

    /// Whether `ordering` (left compared with right) satisfies the operator.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CompareOp::Eq => ordering == Equal,
            CompareOp::Ne => ordering != Equal,
            CompareOp::Gt => ordering == Greater,
            CompareOp::Ge => ordering != Less,
            CompareOp::Lt => ordering == Less,
            CompareOp::Le => ordering != Greater,
        }
    }
}

/// A property value a plan compares with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PropValue {
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A string (compared exactly, ignoring case).
    Text(String),
}

/// What a ranking orders by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RankKey {
    /// A numeric property.
    Prop(String),
    /// The number of relations of a type in a direction ("the most neighbours").
    Degree {
        /// The relation type.
        relation: String,
        /// Which way.
        direction: Direction,
    },
}

/// Which end of a ranking comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Largest first.
    Desc,
    /// Smallest first.
    Asc,
}

impl GraphPlan {
    /// The plan `Entities(ids)`.
    pub fn entities<I, S>(ids: I) -> GraphPlan
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        GraphPlan::Entities(ids.into_iter().map(Into::into).collect())
    }

    /// This plan followed one hop over `relation`.
    pub fn follow(self, relation: impl Into<String>, direction: Direction) -> GraphPlan {
        GraphPlan::Follow { from: Box::new(self), relation: relation.into(), direction, transitive: false, kind: None }
    }

    /// Whether the plan evaluates to a set of entities (as opposed to a number or a boolean).
    pub fn is_set(&self) -> bool {
        !matches!(
            self,
            GraphPlan::Count(_) | GraphPlan::Value { .. } | GraphPlan::Exists(_) | GraphPlan::Compare { .. }
        )
    }

    /// Number of nodes: what the executor's step budget is counted in.
    pub fn size(&self) -> usize {
        1 + match self {
            GraphPlan::Entities(_) | GraphPlan::Type(_) => 0,
            GraphPlan::Follow { from, .. }
            | GraphPlan::FilterProp { from, .. }
            | GraphPlan::TopBy { from, .. }
            | GraphPlan::Value { from, .. } => from.size(),
            GraphPlan::Count(p) | GraphPlan::Exists(p) => p.size(),
            GraphPlan::Intersect(ps) | GraphPlan::Union(ps) => ps.iter().map(GraphPlan::size).sum(),
            GraphPlan::Subtract { from, minus } => from.size() + minus.size(),
            GraphPlan::Compare { left, right, .. } => left.size() + right.size(),
        }
    }
}
