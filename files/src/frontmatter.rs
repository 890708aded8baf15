//! YAML-ish front matter at the top of a Markdown file.
//!
//! Not a YAML parser: the subset notes and static-site generators actually use —
//! `key: value` (plain or quoted), inline lists `key: [a, b]`, block lists of `- item`
//! lines, and `|` / `>` block scalars. Nested maps are skipped. A full YAML dependency
//! would buy little: a caller needs the title and a few tags, and an odd line must never
//! make a document unreadable.

use std::collections::BTreeMap;

use crate::model::FrontMatterValue;

/// Splits front matter from the body. Front matter is a first line `---` and a later line
/// `---` or `...`; without the closing line there is none (a leading `---` is then
/// Markdown's thematic break).
pub(crate) fn split(text: &str) -> (BTreeMap<String, FrontMatterValue>, &str) {
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else { return (BTreeMap::new(), text) };
    if first.trim_end() != "---" {
        return (BTreeMap::new(), text);
    }
    let mut offset = first.len();
    let start = offset;
    for line in lines {
        let end = offset;
        offset += line.len();
        if matches!(line.trim_end(), "---" | "...") {
            return (parse(&text[start..end]), &text[offset..]);
        }
    }
    (BTreeMap::new(), text)
}

fn parse(block: &str) -> BTreeMap<String, FrontMatterValue> {
    let mut out = BTreeMap::new();
    let lines: Vec<&str> = block.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        // Keys start at column 0; indented lines belong to a previous key.
        if line.starts_with([' ', '\t', '#', '-']) || line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else { continue };
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        let value = value.trim();
        // Lines indented under this key.
        let nested_end = lines[i..]
            .iter()
            .position(|l| !(l.starts_with([' ', '\t']) || l.trim().is_empty() || l.starts_with('-')))
            .map_or(lines.len(), |n| i + n);
        let nested = &lines[i..nested_end];
        i = nested_end;
        let parsed = match value {
            "" => block_list(nested),
            "|" | "|-" | "|+" => Some(FrontMatterValue::Text(block_scalar(nested, "\n"))),
            ">" | ">-" | ">+" => Some(FrontMatterValue::Text(block_scalar(nested, " "))),
            v if v.starts_with('[') && v.ends_with(']') => Some(FrontMatterValue::List(
                v[1..v.len() - 1].split(',').map(unquote).filter(|s| !s.is_empty()).collect(),
            )),
            v => Some(FrontMatterValue::Text(unquote(v))),
        };
        if let Some(v) = parsed {
            out.insert(key.to_owned(), v);
        }
    }
    out
}

/// `- item` lines; `None` when the indented lines are something else (a nested map).
fn block_list(nested: &[&str]) -> Option<FrontMatterValue> {
    let items: Vec<&str> = nested.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
    if items.is_empty() || !items.iter().all(|l| l.starts_with('-')) {
        return None;
    }
    Some(FrontMatterValue::List(items.iter().map(|l| unquote(&l[1..])).collect()))
}

fn block_scalar(nested: &[&str], joiner: &str) -> String {
    nested.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(joiner)
}

/// Trims and removes matching quotes; `\"` in double quotes and `''` in single quotes are
/// unescaped. A trailing ` # comment` on a plain value is dropped.
fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        return s[1..s.len() - 1].replace("\\\"", "\"");
    }
    if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') {
        return s[1..s.len() - 1].replace("''", "'");
    }
    s.split_once(" #").map_or(s, |(v, _)| v.trim_end()).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &str) -> FrontMatterValue {
        FrontMatterValue::Text(v.into())
    }
    fn list(v: &[&str]) -> FrontMatterValue {
        FrontMatterValue::List(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn reads_the_subset_in_use() {
        let doc = "---\ntitle: \"Ownership: the \\\"rules\\\"\"\nauthor: Ferris # the crab\ntags: [rust, 'memory']\n\
                   aliases:\n  - own\n  - borrow\nsummary: >\n  one\n  two\nnested:\n  a: 1\n...\n# Body\n";
        let (fm, body) = split(doc);
        assert_eq!(body, "# Body\n");
        assert_eq!(fm.get("title"), Some(&text("Ownership: the \"rules\"")));
        assert_eq!(fm.get("author"), Some(&text("Ferris")));
        assert_eq!(fm.get("tags"), Some(&list(&["rust", "memory"])));
        assert_eq!(fm.get("aliases"), Some(&list(&["own", "borrow"])));
        assert_eq!(fm.get("summary"), Some(&text("one two")));
        assert_eq!(fm.get("nested"), None);
    }

    #[test]
    fn no_front_matter_without_the_closing_line() {
        let doc = "---\ntitle: x\n\nText after a rule.\n";
        let (fm, body) = split(doc);
        assert!(fm.is_empty());
        assert_eq!(body, doc);
        assert_eq!(split("plain").1, "plain");
        assert_eq!(split("").1, "");
        let (fm, body) = split("---\r\ntitle: crlf\r\n---\r\nbody");
        assert_eq!((fm.get("title"), body), (Some(&text("crlf")), "body"));
    }
}
