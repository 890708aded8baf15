//! Metadata filters shared by the dense and the lexical side of a search.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::item::{ItemMeta, Modality};

/// Narrows a search to items whose metadata matches.
///
/// All set conditions must hold (AND across fields). Inside a list field the item needs
/// only ONE of the listed values (ANY): `tags: ["animals", "plants"]` matches an item
/// tagged `animals` or `plants`. Values compare exactly (case-sensitive). Empty lists and
/// `None` impose no condition, so `Filter::default()` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Filter {
    /// Only items of this modality.
    pub modality: Option<Modality>,
    /// Only items whose kind is one of these.
    pub kinds: Vec<String>,
    /// Only items carrying at least one of these tags.
    pub tags: Vec<String>,
    /// Only items linked to at least one of these entity ids.
    pub entities: Vec<String>,
    /// Only items from exactly this source.
    pub source: Option<String>,
}

impl Filter {
    /// True when the filter imposes no condition.
    pub fn is_empty(&self) -> bool {
        self.modality.is_none()
            && self.kinds.is_empty()
            && self.tags.is_empty()
            && self.entities.is_empty()
            && self.source.is_none()
    }

    /// Whether an item with this metadata passes the filter.
    pub fn matches(&self, meta: &ItemMeta<'_>) -> bool {
        self.modality.is_none_or(|m| m == meta.modality)
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == meta.kind))
            && any_shared(&self.tags, meta.tags)
            && any_shared(&self.entities, meta.entities)
            && self.source.as_deref().is_none_or(|s| meta.source == Some(s))
    }
}

/// ANY semantics: an empty wanted list imposes nothing.
fn any_shared(wanted: &[String], have: &[String]) -> bool {
    wanted.is_empty() || wanted.iter().any(|w| have.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Item;

    fn item() -> Item {
        Item {
            id: "img:1".into(),
            modality: Modality::Image,
            kind: "image".into(),
            title: "A koala".into(),
            text: "A koala in a tree".into(),
            tags: vec!["animals".into(), "mammals".into()],
            entities: vec!["concept:koala".into()],
            source: Some("stamps".into()),
        }
    }

    #[test]
    fn empty_filter_matches_everything() {
        let f = Filter::default();
        assert!(f.is_empty());
        assert!(f.matches(&item().meta()));
    }

    #[test]
    fn fields_are_anded_and_lists_are_any() {
        let it = item();
        let ok = Filter {
            modality: Some(Modality::Image),
            kinds: vec!["document".into(), "image".into()],
            tags: vec!["plants".into(), "mammals".into()],
            entities: vec!["concept:koala".into()],
            source: Some("stamps".into()),
        };
        assert!(!ok.is_empty());
        assert!(ok.matches(&it.meta()));
        let wrong_modality = Filter { modality: Some(Modality::Text), ..ok.clone() };
        assert!(!wrong_modality.matches(&it.meta()));
        let no_tag = Filter { tags: vec!["plants".into()], ..ok.clone() };
        assert!(!no_tag.matches(&it.meta()));
        let wrong_source = Filter { source: Some("other".into()), ..ok };
        assert!(!wrong_source.matches(&it.meta()));
    }

    #[test]
    fn deserializes_partial_json() {
        let f: Filter = serde_json::from_str(r#"{"modality":"image","tags":["animals"]}"#).expect("valid filter json");
        assert_eq!(f.modality, Some(Modality::Image));
        assert_eq!(f.tags, vec!["animals".to_string()]);
        assert!(f.kinds.is_empty());
    }
}
