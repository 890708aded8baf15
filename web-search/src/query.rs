//! What a caller asks a web provider for.

use serde::{Deserialize, Serialize};

use crate::error::WebError;

/// Longest query, in bytes, that is sent to a provider. Brave caps queries at 400
/// characters; a bigger bound here only rejects input that is clearly not a search.
pub const MAX_QUERY_BYTES: usize = 2048;

/// Most results any provider is asked for in one call.
pub const MAX_K: usize = 50;

/// Which kind of results to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebCategory {
    /// Web pages.
    #[default]
    General,
    /// Images.
    Images,
    /// News articles.
    News,
}

impl WebCategory {
    /// The lowercase name used on the wire by SearxNG (`categories=`) and in cache keys.
    pub fn as_str(self) -> &'static str {
        match self {
            WebCategory::General => "general",
            WebCategory::Images => "images",
            WebCategory::News => "news",
        }
    }
}

/// One web search request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebQuery {
    /// The search text.
    pub query: String,
    /// How many results are wanted (providers may return fewer).
    #[serde(default = "default_k")]
    pub k: usize,
    /// What kind of results.
    #[serde(default)]
    pub category: WebCategory,
    /// Recency filter: `day`, `week`, `month` or `year` (Brave's `pd`/`pw`/`pm`/`py`
    /// are accepted too). Unknown values are ignored rather than failing the search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness: Option<String>,
}

fn default_k() -> usize {
    10
}

impl WebQuery {
    /// A general-category query for `query` asking for `k` results.
    pub fn new(query: impl Into<String>, k: usize) -> Self {
        WebQuery { query: query.into(), k, category: WebCategory::General, freshness: None }
    }

    /// The same query in another category.
    pub fn with_category(mut self, category: WebCategory) -> Self {
        self.category = category;
        self
    }

    /// The same query restricted to recent results (`day`, `week`, `month`, `year`).
    pub fn with_freshness(mut self, freshness: impl Into<String>) -> Self {
        self.freshness = Some(freshness.into());
        self
    }

    /// Checks the query can be sent: not blank, not absurdly long.
    pub fn validate(&self) -> Result<(), WebError> {
        if self.query.trim().is_empty() {
            return Err(WebError::InvalidQuery("query is empty".into()));
        }
        if self.query.len() > MAX_QUERY_BYTES {
            return Err(WebError::InvalidQuery(format!("query is longer than {MAX_QUERY_BYTES} bytes")));
        }
        Ok(())
    }

    /// The query text trimmed with inner whitespace collapsed, as sent to providers.
    pub fn text(&self) -> String {
        collapse_whitespace(&self.query)
    }

    /// `k` bounded to `1..=MAX_K`.
    pub fn bounded_k(&self) -> usize {
        self.k.clamp(1, MAX_K)
    }

    /// The parsed recency filter, if any and recognised.
    pub fn freshness(&self) -> Option<Freshness> {
        self.freshness.as_deref().and_then(Freshness::parse)
    }
}

/// A recency window understood by every provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Freshness {
    /// The past day.
    Day,
    /// The past week.
    Week,
    /// The past month.
    Month,
    /// The past year.
    Year,
}

impl Freshness {
    /// Parses `day`/`week`/`month`/`year` and common aliases (`pd`, `24h`, `w`, ...).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "day" | "d" | "pd" | "24h" | "today" => Some(Freshness::Day),
            "week" | "w" | "pw" | "7d" => Some(Freshness::Week),
            "month" | "m" | "pm" | "30d" => Some(Freshness::Month),
            "year" | "y" | "py" | "365d" => Some(Freshness::Year),
            _ => None,
        }
    }

    /// The word form used by SearxNG's and Tavily's `time_range`.
    pub fn as_word(self) -> &'static str {
        match self {
            Freshness::Day => "day",
            Freshness::Week => "week",
            Freshness::Month => "month",
            Freshness::Year => "year",
        }
    }
}

/// Trims and collapses every run of whitespace into one space.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_serde_is_lowercase_and_defaults_to_general() {
        let q: WebQuery = serde_json::from_str(r#"{"query":"x"}"#).unwrap();
        assert_eq!(q.category, WebCategory::General);
        assert_eq!(q.k, 10);
        let q: WebQuery = serde_json::from_str(r#"{"query":"x","category":"images"}"#).unwrap();
        assert_eq!(q.category, WebCategory::Images);
        assert_eq!(serde_json::to_string(&WebCategory::News).unwrap(), "\"news\"");
    }

    #[test]
    fn validation_and_bounds() {
        assert!(WebQuery::new("   ", 3).validate().is_err());
        assert!(WebQuery::new("x".repeat(MAX_QUERY_BYTES + 1), 3).validate().is_err());
        assert!(WebQuery::new("rust", 3).validate().is_ok());
        assert_eq!(WebQuery::new("a", 0).bounded_k(), 1);
        assert_eq!(WebQuery::new("a", 1000).bounded_k(), MAX_K);
        assert_eq!(WebQuery::new("  a \n b ", 1).text(), "a b");
    }

    #[test]
    fn freshness_aliases() {
        assert_eq!(Freshness::parse("PD"), Some(Freshness::Day));
        assert_eq!(Freshness::parse("week"), Some(Freshness::Week));
        assert_eq!(Freshness::parse("fortnight"), None);
        assert_eq!(WebQuery::new("a", 1).with_freshness("year").freshness(), Some(Freshness::Year));
    }
}
