//! Milvus boolean expressions: a [`Filter`] for searches and an id list for deletes.
//!
//! Every value enters an expression through [`quote`], which escapes it into a string
//! literal, so no tag, kind, source or id can change what an expression means (no
//! expression injection); nothing else builds expression text from input.

use crate::filter::Filter;

/// The filter as a Milvus boolean expression; empty when it imposes nothing.
pub(super) fn filter_expression(filter: &Filter) -> String {
    let mut parts = Vec::new();
    if let Some(modality) = filter.modality {
        parts.push(format!("modality == {}", quote(modality.as_str())));
    }
    if !filter.kinds.is_empty() {
        parts.push(format!("kind in {}", list(&filter.kinds)));
    }
    if !filter.tags.is_empty() {
        parts.push(format!("ARRAY_CONTAINS_ANY(tags, {})", list(&filter.tags)));
    }
    if !filter.entities.is_empty() {
        parts.push(format!("ARRAY_CONTAINS_ANY(entities, {})", list(&filter.entities)));
    }
    if let Some(source) = &filter.source {
        parts.push(format!("source == {}", quote(source)));
    }
    parts.join(" and ")
}

/// The expression matching exactly the rows with these ids.
pub(super) fn ids_expression(ids: &[String]) -> String {
    format!("id in {}", list(ids))
}

/// A Milvus string literal: double quotes, with backslash, quote and control characters
/// escaped, so no value can change the meaning of an expression.
fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A list literal of quoted values.
fn list(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Modality;

    #[test]
    fn values_are_quoted_so_they_cannot_escape_the_literal() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("x\"] or id != \"\n"), r#""x\"] or id != \"\n""#);
        assert_eq!(quote("\u{1}"), "\"\\u0001\"");
    }

    #[test]
    fn filters_map_to_one_expression() {
        assert_eq!(filter_expression(&Filter::default()), "");
        let f = Filter {
            modality: Some(Modality::Image),
            kinds: vec!["image".into()],
            tags: vec!["animals".into(), "a\"b".into()],
            entities: vec!["concept:koala".into()],
            source: Some("stamps".into()),
        };
        assert_eq!(
            filter_expression(&f),
            r#"modality == "image" and kind in ["image"] and ARRAY_CONTAINS_ANY(tags, ["animals", "a\"b"]) and ARRAY_CONTAINS_ANY(entities, ["concept:koala"]) and source == "stamps""#
        );
    }
}
