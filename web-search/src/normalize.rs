//! Turns a provider's raw results into clean, ranked, de-duplicated [`WebHit`]s.

use std::collections::HashSet;

use url::Url;

use crate::canonical::canonicalize_url;
use crate::model::{WebHit, WebModality};
use crate::query::collapse_whitespace;

/// Longest snippet kept, in characters.
pub const MAX_SNIPPET_CHARS: usize = 500;
/// Longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// A result as a provider reported it, before cleaning.
#[derive(Debug, Default, Clone)]
pub(crate) struct RawHit {
    pub title: Option<String>,
    pub url: Option<String>,
    pub snippet: Option<String>,
    pub published: Option<String>,
    pub engine: Option<String>,
    pub modality: WebModality,
    pub image_url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub score: Option<f64>,
}

/// Cleans `raw` in provider order: drops hits without a usable http(s) URL, merges
/// duplicates (same canonical page URL and same image), ranks 1..n and keeps `k`.
pub(crate) fn normalize_hits(raw: impl IntoIterator<Item = RawHit>, k: usize) -> Vec<WebHit> {
    let mut seen = HashSet::new();
    let mut hits = Vec::new();
    for item in raw {
        if hits.len() >= k {
            break;
        }
        let Some(url) = item.url.as_deref().and_then(|u| canonicalize_url(u).ok()) else {
            tracing::debug!("dropping web result without a usable URL");
            continue;
        };
        let image_url = item.image_url.as_deref().and_then(web_url);
        if !seen.insert((url.clone(), image_url.clone())) {
            continue;
        }
        let rank = hits.len() + 1;
        let title = clean_text(item.title.as_deref().unwrap_or_default(), MAX_TITLE_CHARS);
        let score = item.score.map(|s| s as f32).filter(|s| s.is_finite()).unwrap_or(1.0 / rank as f32);
        hits.push(WebHit {
            rank,
            title: if title.is_empty() { url.clone() } else { title },
            snippet: clean_text(item.snippet.as_deref().unwrap_or_default(), MAX_SNIPPET_CHARS),
            url,
            published: non_empty(item.published),
            engine: non_empty(item.engine),
            modality: item.modality,
            image_url,
            thumbnail_url: item.thumbnail_url.as_deref().and_then(web_url),
            score,
        });
    }
    hits
}

/// An image or thumbnail URL, kept as given (CDNs sign query strings) if it is http(s).
/// Protocol-relative `//host/x` is read as https.
fn web_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let parsed = if raw.starts_with("//") { Url::parse(&format!("https:{raw}")) } else { Url::parse(raw) };
    parsed.ok().filter(|u| matches!(u.scheme(), "http" | "https")).map(String::from)
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Strips markup, decodes common entities, collapses whitespace and truncates to
/// `max_chars` characters (ending in `…` when cut).
pub(crate) fn clean_text(text: &str, max_chars: usize) -> String {
    let text = collapse_whitespace(&decode_entities(&strip_tags(text)));
    truncate_chars(&text, max_chars)
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let starts_tag = c == '<' && chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || *n == '/' || *n == '!');
        if starts_tag {
            // Skip to the closing '>'; a tag is replaced by a space so words stay apart
            // ("a<br>b"), and the whitespace collapse removes any extra.
            for skipped in chars.by_ref() {
                if skipped == '>' {
                    break;
                }
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let decoded =
            rest.find(';').filter(|&end| end <= 10).and_then(|end| decode_entity(&rest[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some(_) => {
            let keep = max_chars.saturating_sub(1);
            let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
            format!("{}…", text[..end].trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(url: &str) -> RawHit {
        RawHit { url: Some(url.into()), title: Some(url.into()), ..RawHit::default() }
    }

    #[test]
    fn cleans_markup_and_entities() {
        assert_eq!(
            clean_text("  The <strong>Rust</strong>\n\n language &amp; <em>you</em> &#39;x&#x27; ", 500),
            "The Rust language & you 'x'"
        );
        assert_eq!(clean_text("a < b and c > d", 500), "a < b and c > d");
        assert_eq!(clean_text("&bogus; & &amp", 500), "&bogus; & &amp");
        assert_eq!(clean_text("line<br/>break", 500), "line break");
    }

    #[test]
    fn truncates_at_char_boundary() {
        let long = "é".repeat(600);
        let cut = clean_text(&long, MAX_SNIPPET_CHARS);
        assert_eq!(cut.chars().count(), MAX_SNIPPET_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate_chars("short", 10), "short");
    }

    #[test]
    fn ranks_dedupes_and_limits() {
        let hits = normalize_hits(
            vec![
                raw("https://a.example/x?utm_source=1"),
                raw("https://A.example/x#frag"),
                raw("javascript:alert(1)"),
                RawHit { url: None, ..RawHit::default() },
                RawHit { score: Some(7.5), ..raw("https://b.example/") },
                raw("https://c.example/"),
            ],
            2,
        );
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].url, "https://a.example/x");
        assert_eq!(hits[0].rank, 1);
        assert_eq!(hits[0].score, 1.0);
        assert_eq!(hits[1].url, "https://b.example/");
        assert_eq!(hits[1].rank, 2);
        assert_eq!(hits[1].score, 7.5);
    }

    #[test]
    fn image_urls_are_validated_not_rewritten() {
        let hits = normalize_hits(
            vec![RawHit {
                modality: WebModality::Image,
                image_url: Some("https://cdn.example/i.jpg?sig=abc&utm_source=x".into()),
                thumbnail_url: Some("//cdn.example/t.jpg".into()),
                ..raw("https://page.example/")
            }],
            5,
        );
        assert_eq!(hits[0].image_url.as_deref(), Some("https://cdn.example/i.jpg?sig=abc&utm_source=x"));
        assert_eq!(hits[0].thumbnail_url.as_deref(), Some("https://cdn.example/t.jpg"));
    }
}
