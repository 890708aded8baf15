//! The Markdown reader (CommonMark plus tables, footnotes, task lists and heading
//! attributes, by pulldown-cmark).

use std::collections::HashMap;
use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::frontmatter;
use crate::html;
use crate::links::LinkResolver;
use crate::model::{ImageRef, Link, TextContent, words_from_file_name};
use crate::sections::{SectionBuilder, collapse};

/// Reads a Markdown file: front matter, sections under their headings, links and images.
/// Title: front matter `title`, else the first heading, else the file name in words.
pub(crate) fn read_markdown(text: &str, path: &Path, resolver: &LinkResolver<'_>) -> (String, TextContent) {
    let (front_matter, body) = frontmatter::split(text);
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;

    let mut b = SectionBuilder::default();
    let mut links: Vec<Link> = Vec::new();
    let mut images: Vec<ImageRef> = Vec::new();
    let mut slugs = Slugs::default();
    // Open links: destination and text so far. Links nest only through images in links.
    let mut open_links: Vec<(String, String)> = Vec::new();
    // The image being read: its destination and alt text (its text is not body text).
    let mut open_image: Option<(String, String)> = None;
    let mut heading_id: Option<String> = None;
    let mut heading_text = String::new();
    let mut in_code = false;
    let mut html_block = String::new();
    let mut in_html_block = false;

    for event in Parser::new_ext(body, options) {
        match event {
            Event::Start(tag) => match tag {
                Tag::Heading { level, id, .. } => {
                    b.start_heading(heading_level(level));
                    heading_id = id.map(|s| s.to_string());
                    heading_text.clear();
                }
                Tag::Paragraph | Tag::BlockQuote(_) | Tag::List(_) | Tag::Table(_) | Tag::FootnoteDefinition(_) => {
                    b.paragraph_break()
                }
                Tag::Item
                | Tag::TableRow
                | Tag::TableHead
                | Tag::DefinitionListTitle
                | Tag::DefinitionListDefinition => b.line_break(),
                Tag::CodeBlock(_) => {
                    b.paragraph_break();
                    in_code = true;
                }
                Tag::HtmlBlock => in_html_block = true,
                Tag::Link { dest_url, .. } => open_links.push((dest_url.to_string(), String::new())),
                Tag::Image { dest_url, .. } => open_image = Some((dest_url.to_string(), String::new())),
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Heading(_) => {
                    let anchor = heading_id.take().unwrap_or_else(|| slugs.slug(&heading_text));
                    b.end_heading(Some(anchor));
                }
                TagEnd::Paragraph
                | TagEnd::BlockQuote(_)
                | TagEnd::List(_)
                | TagEnd::Table
                | TagEnd::FootnoteDefinition
                | TagEnd::CodeBlock => {
                    in_code = false;
                    b.paragraph_break()
                }
                TagEnd::Item | TagEnd::TableRow | TagEnd::TableHead => b.line_break(),
                TagEnd::TableCell => b.text(" "),
                TagEnd::HtmlBlock => {
                    in_html_block = false;
                    let fragment = html::read_fragment(&html_block, resolver);
                    b.text(&fragment.text);
                    b.paragraph_break();
                    links.extend(fragment.links);
                    images.extend(fragment.images);
                    html_block.clear();
                }
                TagEnd::Link => {
                    if let Some((dest, text)) = open_links.pop()
                        && let Some((target, anchor)) = resolver.resolve(&dest)
                    {
                        links.push(Link { target, anchor, text: collapse(&text) });
                    }
                }
                TagEnd::Image => {
                    if let Some((dest, alt)) = open_image.take()
                        && let Some((target, _)) = resolver.resolve(&dest)
                    {
                        images.push(ImageRef { target, alt: collapse(&alt) });
                    }
                }
                _ => {}
            },
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                if let Some((_, alt)) = &mut open_image {
                    alt.push_str(&t);
                    continue;
                }
                if let Some((_, text)) = open_links.last_mut() {
                    text.push_str(&t);
                }
                if b.in_heading() {
                    heading_text.push_str(&t);
                }
                if in_code { b.verbatim(&t) } else { b.text(&t) }
            }
            Event::SoftBreak => b.text(" "),
            Event::HardBreak => b.line_break(),
            Event::Rule => b.paragraph_break(),
            Event::Html(h) if in_html_block => html_block.push_str(&h),
            Event::Html(h) | Event::InlineHtml(h) => {
                // Inline tags come one at a time (`<a href=…>`, text, `</a>`): only the
                // references they carry are kept; the text between them is Markdown text.
                // Most inline tags (`<br>`, `<kbd>`) carry none: skip parsing those.
                let lower = h.to_ascii_lowercase();
                if !lower.contains("href") && !lower.contains("src") {
                    continue;
                }
                let fragment = html::read_fragment(&h, resolver);
                links.extend(fragment.links);
                images.extend(fragment.images);
            }
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    let (sections, first_heading) = b.finish();
    let title = front_matter
        .get("title")
        .and_then(|v| v.as_text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .or(first_heading)
        .unwrap_or_else(|| words_from_file_name(path));
    (title, TextContent { front_matter, sections, links, images })
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// GitHub-style heading slugs, unique within a document: lowercase, letters, digits, `-`
/// and `_` kept, spaces to `-`, everything else dropped; a repeat gets `-1`, `-2` ….
/// This is what links like `other.md#the-stack-and-the-heap` are written against.
#[derive(Debug, Default)]
struct Slugs {
    seen: HashMap<String, usize>,
}

impl Slugs {
    fn slug(&mut self, heading: &str) -> String {
        let base: String = heading
            .trim()
            .chars()
            .flat_map(char::to_lowercase)
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let n = self.seen.entry(base.clone()).or_insert(0);
        let slug = if *n == 0 { base } else { format!("{base}-{n}") };
        *n += 1;
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_github() {
        let mut s = Slugs::default();
        assert_eq!(s.slug("The Stack and the Heap"), "the-stack-and-the-heap");
        assert_eq!(s.slug("What Is `Ownership`?"), "what-is-ownership");
        assert_eq!(s.slug("Ünïcode & stuff"), "ünïcode--stuff");
        assert_eq!(s.slug("The Stack and the Heap"), "the-stack-and-the-heap-1");
    }
}
