//! The three knowledge sources a query can be routed to.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A knowledge source Braid can route a query to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// The entity–relationship graph.
    Graph,
    /// The ANN + BM25 index over documents and images.
    Vector,
    /// A web search provider.
    Web,
}

impl Route {
    /// Every route, in a fixed order (the order of the policy's outputs).
    pub const ALL: [Route; 3] = [Route::Graph, Route::Vector, Route::Web];

    /// The lowercase name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Graph => "graph",
            Route::Vector => "vector",
            Route::Web => "web",
        }
    }

    /// Position in [`Route::ALL`].
    pub fn index(self) -> usize {
        match self {
            Route::Graph => 0,
            Route::Vector => 1,
            Route::Web => 2,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a route name that is not `graph`, `vector` or `web`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown route '{0}': expected graph, vector or web")]
pub struct UnknownRoute(pub String);

impl FromStr for Route {
    type Err = UnknownRoute;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "graph" => Ok(Route::Graph),
            "vector" => Ok(Route::Vector),
            "web" => Ok(Route::Web),
            _ => Err(UnknownRoute(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for r in Route::ALL {
            assert_eq!(r.as_str().parse::<Route>(), Ok(r));
            assert_eq!(Route::ALL[r.index()], r);
        }
        assert!("telepathy".parse::<Route>().is_err());
        assert_eq!(serde_json::to_string(&Route::Vector).ok().as_deref(), Some("\"vector\""));
    }
}
