//! `RoutePlan`: which routes a query goes to, with calibrated scores and readable reasons.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::route::Route;

/// The decision for one route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RouteDecision {
    /// The route.
    pub route: Route,
    /// The policy's probability that this route answers the query, in [0, 1].
    pub score: f32,
    /// Whether the route is executed.
    pub selected: bool,
    /// Whether the route can run at all (a web route needs a provider).
    pub available: bool,
    /// Why, in words a person can read.
    pub reasons: Vec<String>,
}

/// The routing plan of one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RoutePlan {
    /// All three routes, highest score first.
    pub routes: Vec<RouteDecision>,
    /// The highest-scoring route that is available.
    pub primary: Option<Route>,
}

impl RoutePlan {
    /// The selected routes, highest score first.
    pub fn selected(&self) -> Vec<Route> {
        self.routes.iter().filter(|d| d.selected).map(|d| d.route).collect()
    }

    /// The decision for `route`.
    pub fn decision(&self, route: Route) -> Option<&RouteDecision> {
        self.routes.iter().find(|d| d.route == route)
    }

    /// Mutable decision for `route`.
    pub fn decision_mut(&mut self, route: Route) -> Option<&mut RouteDecision> {
        self.routes.iter_mut().find(|d| d.route == route)
    }
}
