//! The property words of one knowledge base, from the names of its entities' properties:
//! `population` is named by "population" and measured by "populous" and "people";
//! `area_km2` by "area" and, through the size measure, "large" and "small"; a boolean such
//! as `landlocked` or `observes_dst` by its own words.

use braid_graph::{PropertyKind, SchemaStats};
use braid_router::lexicon::name_words;
use braid_router::morphology::{is_function_word, stem};

use crate::words::{MEASURES, Measure};

/// A property as the parser sees it.
#[derive(Debug, Clone)]
struct Property {
    name: String,
    kind: PropertyKind,
    /// Stems of the content words of its name, without unit-like words (`km2`).
    stems: Vec<String>,
    /// Entity types carrying it, most frequent first.
    types: Vec<String>,
}

/// The property vocabulary of a schema.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    properties: Vec<Property>,
}

/// Length of a name word that may be read as initials ("dst", "utc").
const MIN_INITIALS: usize = 2;
/// See [`MIN_INITIALS`].
const MAX_INITIALS: usize = 4;

/// Fewest leading words of a longer property name that name it ("UTC offset").
const MIN_PREFIX_WORDS: usize = 2;

/// A property the question names, and how many words name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedProperty {
    /// The property key.
    pub name: String,
    /// Words of the question it spans.
    pub len: usize,
}

impl Vocabulary {
    /// The vocabulary of `schema`'s numeric and boolean properties.
    pub fn new(schema: &SchemaStats) -> Vocabulary {
        let properties = schema
            .properties
            .iter()
            .filter(|p| p.kind != PropertyKind::Text)
            .filter_map(|p| {
                let stems: Vec<String> = name_words(&p.name)
                    .iter()
                    .filter(|w| !is_function_word(w) && !w.chars().any(|c| c.is_ascii_digit()))
                    .map(|w| stem(w))
                    .collect();
                (!stems.is_empty()).then(|| Property {
                    name: p.name.clone(),
                    kind: p.kind,
                    stems,
                    types: p.entity_types.iter().map(|(t, _)| t.clone()).collect(),
                })
            })
            .collect();
        Vocabulary { properties }
    }

    /// Whether the knowledge base has no numeric or boolean property.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// The property of `kind` named by the words at `i`: the content words of its name in
    /// order, or the first two or more of them ("UTC offset" for `utc_offset_hours`). `stems`
    /// are the question's word stems with function words and numbers blanked, which a name
    /// may span ("uses a 12-hour clock" for `uses_12_hour_clock`). The fullest match wins.
    pub fn named_at(
        &self,
        stems: &[String],
        i: usize,
        want: PropertyKind,
        kind: Option<&str>,
    ) -> Option<NamedProperty> {
        if stems.get(i).is_none_or(String::is_empty) {
            return None;
        }
        self.properties
            .iter()
            .filter(|p| p.kind == want && carried(p, kind))
            .filter_map(|p| {
                let (mut matched, mut j, mut end) = (0, i, i);
                while matched < p.stems.len() && j < stems.len() {
                    if stems[j].is_empty() {
                        j += 1;
                        continue;
                    }
                    if stems[j] == p.stems[matched] {
                        matched += 1;
                        j += 1;
                        end = j;
                        continue;
                    }
                    // A short name word may be the initials of the question's words
                    // (`observes_dst`: "observe daylight saving time").
                    let initials = &p.stems[matched];
                    let n = initials.chars().count();
                    let spelled = (MIN_INITIALS..=MAX_INITIALS).contains(&n)
                        && j + n <= stems.len()
                        && stems[j..j + n].iter().zip(initials.chars()).all(|(w, c)| w.starts_with(c));
                    if !spelled {
                        break;
                    }
                    matched += 1;
                    j += n;
                    end = j;
                }
                let whole = matched == p.stems.len();
                (whole || matched >= MIN_PREFIX_WORDS).then_some((p, matched, whole, end - i))
            })
            .max_by_key(|&(p, matched, whole, _)| (whole, matched, usize::MAX - p.types.len()))
            .map(|(p, _, _, len)| NamedProperty { name: p.name.clone(), len })
    }

    /// The numeric property of `kind` that `measure` is: one whose name has a word of the
    /// measure's nouns ("area" in `area_km2`, "size" in `installed_size_kib`).
    pub fn numeric_for(&self, measure: &Measure, kind: Option<&str>) -> Option<&str> {
        let nouns: Vec<String> = measure.nouns.iter().map(|n| stem(n)).collect();
        self.properties
            .iter()
            .filter(|p| p.kind == PropertyKind::Number && carried(p, kind))
            .find(|p| p.stems.iter().any(|s| nouns.contains(s)))
            .map(|p| p.name.as_str())
    }

    /// The first of `measures` that `kind` has a property for, with that property.
    pub fn resolve<'m>(&self, measures: &[&'m Measure], kind: Option<&str>) -> Option<(&'m Measure, String)> {
        measures.iter().find_map(|m| self.numeric_for(m, kind).map(|p| (*m, p.to_string())))
    }

    /// Whether entities of `kind` carry the property `name`.
    pub fn carries(&self, name: &str, kind: Option<&str>) -> bool {
        self.properties.iter().any(|p| p.name == name && carried(p, kind))
    }
}

fn carried(p: &Property, kind: Option<&str>) -> bool {
    kind.is_none_or(|k| p.types.iter().any(|t| t == k))
}

/// The measures whose adjective `word` is, with its degree and which way it points.
pub fn measures_of_adjective(word: &str) -> Vec<(&'static Measure, crate::words::Degree, braid_graph::plan::Order)> {
    use braid_graph::plan::Order;
    let mut found = Vec::new();
    for m in MEASURES {
        for (list, order) in [(m.more, Order::Desc), (m.less, Order::Asc)] {
            if let Some(d) = list.iter().find_map(|a| crate::words::degree_of(word, a)) {
                found.push((m, d, order));
            }
        }
    }
    found
}

/// The measures that count `word` ("people" for a population).
pub fn measures_counting(word: &str) -> Vec<&'static Measure> {
    MEASURES.iter().filter(|m| m.counted.contains(&word) || m.nouns.contains(&word)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_graph::{Entity, Graph};

    fn schema() -> std::sync::Arc<SchemaStats> {
        let mut g = Graph::new();
        for (id, kind, props) in [
            ("a", "country", serde_json::json!({"area_km2": 10, "population": 5, "landlocked": true})),
            ("b", "city", serde_json::json!({"population": 3, "lat": 1.5})),
            ("p", "package", serde_json::json!({"installed_size_kib": 30, "essential": false})),
        ] {
            let mut e = Entity::new(id, id, kind);
            e.props = props.as_object().cloned().unwrap_or_default();
            if g.upsert_entity(e).is_err() {
                return std::sync::Arc::default();
            }
        }
        g.schema_stats()
    }

    #[test]
    fn measures_find_properties_by_their_names() {
        let v = Vocabulary::new(&schema());
        let size = &MEASURES[0];
        assert_eq!(v.numeric_for(size, Some("country")), Some("area_km2"));
        assert_eq!(v.numeric_for(size, Some("package")), Some("installed_size_kib"));
        assert_eq!(v.numeric_for(size, Some("city")), None);
        // "the biggest city": no area, so the next measure "big" speaks of.
        let big: Vec<&Measure> = measures_of_adjective("biggest").into_iter().map(|(m, _, _)| m).collect();
        assert_eq!(v.resolve(&big, Some("city")).map(|(_, p)| p), Some("population".to_string()));
        let stems: Vec<String> = ["", "it", "landlocked"].iter().map(|w| stem(w)).collect();
        assert_eq!(
            v.named_at(&stems, 2, PropertyKind::Boolean, Some("country")).map(|p| p.name),
            Some("landlocked".into())
        );
        assert_eq!(v.named_at(&stems, 2, PropertyKind::Boolean, Some("city")), None);
        let mut g = Graph::new();
        let mut zone = Entity::new("z", "z", "timezone");
        zone.props = serde_json::json!({"observes_dst": true}).as_object().cloned().unwrap_or_default();
        assert!(g.upsert_entity(zone).is_ok());
        let zones = Vocabulary::new(&g.schema_stats());
        let stems: Vec<String> =
            ["zones", "that", "observe", "daylight", "saving", "time"].iter().map(|w| stem(w)).collect();
        assert_eq!(
            zones.named_at(&stems, 2, PropertyKind::Boolean, None),
            Some(NamedProperty { name: "observes_dst".into(), len: 4 })
        );
        assert!(measures_counting("people").iter().any(|m| m.nouns.contains(&"population")));
    }
}
