//! The HTML reader (html5ever through scraper): the page's main text under its headings,
//! without the navigation, scripts and other page chrome around it.
//!
//! The main text is the first `<main>`, else the first `role="main"` element, else the first
//! `<article>`, else `<body>` with its `<header>`, `<footer>` and `<aside>` dropped. Inside
//! it, `<nav>`, `<script>`, `<style>`, `<svg>`, forms, buttons and elements marked
//! `hidden` / `aria-hidden="true"` are left out. On mdBook pages (the Rust book and
//! reference) this keeps the chapter and drops the sidebar, the menu bar with its book-wide
//! `<h1>`, and the previous/next links; rustdoc pages put their content in `<main>` too.

use std::path::Path;

use ego_tree::NodeRef;
use ego_tree::iter::Edge;
use scraper::node::Element;
use scraper::{Html, Node};

use crate::links::LinkResolver;
use crate::model::{ImageRef, Link, LinkTarget, TextContent, words_from_file_name};
use crate::sections::{SectionBuilder, collapse};

/// What an HTML file is.
pub(crate) enum Page {
    /// A page to read: its title and text.
    Content(String, TextContent),
    /// `<meta name="robots" content="noindex">`: the page asks search engines to leave it
    /// out (mdBook's `print.html`, which repeats the whole book; rustdoc's stubs for moved
    /// pages).
    NoIndex,
    /// `<meta http-equiv="refresh" content="0; url=…">`: a stub that sends readers to
    /// another page (mdBook writes one per renamed chapter).
    Redirect(LinkTarget),
}

/// Reads an HTML page. Title: the first heading of the main text, else `<title>`, else the
/// file name in words. With `honour_directives`, a page that asks not to be indexed or that
/// only redirects is reported as such instead of read.
pub(crate) fn read_html(text: &str, path: &Path, resolver: &LinkResolver<'_>, honour_directives: bool) -> Page {
    let page = Html::parse_document(text);
    if honour_directives {
        if let Some(target) = redirect_target(&page, resolver) {
            return Page::Redirect(target);
        }
        if asks_not_to_be_indexed(&page) {
            return Page::NoIndex;
        }
    }
    let (main, chrome) = main_content(&page);
    let mut walker = ContentWalker::new(resolver, true, chrome);
    walker.walk(main);
    let (sections, first_heading) = walker.builder.finish();
    let title = first_heading.or_else(|| page_title(&page)).unwrap_or_else(|| words_from_file_name(path));
    let content = TextContent { sections, links: walker.links, images: walker.images, ..TextContent::default() };
    Page::Content(title, content)
}

/// The `<meta>` elements of the page's `<head>`.
fn metas<'a>(page: &'a Html) -> impl Iterator<Item = &'a Element> + 'a {
    page.tree.root().descendants().filter_map(|node| match node.value() {
        Node::Element(e) if e.name() == "meta" => Some(e),
        _ => None,
    })
}

/// `<meta name="robots" content="… noindex …">` (any case, any order of directives).
fn asks_not_to_be_indexed(page: &Html) -> bool {
    metas(page).any(|e| {
        e.attr("name").is_some_and(|n| n.eq_ignore_ascii_case("robots"))
            && e.attr("content").is_some_and(|c| {
                c.split([',', ' ']).any(|d| d.trim().eq_ignore_ascii_case("noindex") || d.trim() == "none")
            })
    })
}

/// Where `<meta http-equiv="refresh" content="N; url=…">` sends the reader, if the page
/// has one with a target (a refresh without a URL only reloads the page itself).
fn redirect_target(page: &Html, resolver: &LinkResolver<'_>) -> Option<LinkTarget> {
    let content = metas(page)
        .find(|e| e.attr("http-equiv").is_some_and(|h| h.eq_ignore_ascii_case("refresh")))?
        .attr("content")?;
    let (_, rest) = content.split_once(';')?;
    let rest = rest.trim_start();
    let url = rest.get(..4).filter(|p| p.eq_ignore_ascii_case("url=")).map(|_| &rest[4..])?;
    let url = url.trim().trim_matches(|c| c == '\'' || c == '"');
    resolver.resolve(url).map(|(target, _)| target)
}

/// What an HTML fragment (raw HTML inside Markdown) holds.
#[derive(Debug, Default)]
pub(crate) struct Fragment {
    /// Its text, headings included as plain text.
    pub(crate) text: String,
    pub(crate) links: Vec<Link>,
    pub(crate) images: Vec<ImageRef>,
}

/// Reads a fragment of HTML: its text and the references it carries.
pub(crate) fn read_fragment(html: &str, resolver: &LinkResolver<'_>) -> Fragment {
    let fragment = Html::parse_fragment(html);
    let mut walker = ContentWalker::new(resolver, false, false);
    walker.walk(fragment.tree.root());
    let (sections, _) = walker.builder.finish();
    let text = sections.into_iter().map(|s| s.text).collect::<Vec<_>>().join("\n\n");
    Fragment { text, links: walker.links, images: walker.images }
}

/// The element holding the page's main text, and whether page chrome (header, footer,
/// aside) must still be dropped inside it because it is the whole `<body>`.
fn main_content(page: &Html) -> (NodeRef<'_, Node>, bool) {
    let mut role_main = None;
    let mut article = None;
    let mut body = None;
    for node in page.tree.root().descendants() {
        let Node::Element(e) = node.value() else { continue };
        match e.name() {
            "main" => return (node, false),
            "article" if article.is_none() => article = Some(node),
            "body" if body.is_none() => body = Some(node),
            _ => {}
        }
        if role_main.is_none() && e.attr("role") == Some("main") {
            role_main = Some(node);
        }
    }
    match (role_main.or(article), body) {
        (Some(node), _) => (node, false),
        (None, Some(body)) => (body, true),
        (None, None) => (page.tree.root(), true),
    }
}

fn page_title(page: &Html) -> Option<String> {
    page.tree.root().descendants().find_map(|node| match node.value() {
        Node::Element(e) if e.name() == "title" => {
            let text: String = node.descendants().filter_map(|n| n.value().as_text().map(|t| &**t)).collect();
            Some(collapse(&text)).filter(|t| !t.is_empty())
        }
        _ => None,
    })
}

/// Elements whose content is never text of the page.
fn is_boilerplate(e: &Element, chrome: bool) -> bool {
    let hidden = e.attr("hidden").is_some() || e.attr("aria-hidden") == Some("true");
    hidden
        || matches!(
            e.name(),
            "head"
                | "title"
                | "script"
                | "style"
                | "noscript"
                | "template"
                | "nav"
                | "svg"
                | "button"
                | "select"
                | "input"
                | "textarea"
                | "form"
                | "iframe"
                | "object"
                | "canvas"
        )
        || (chrome && matches!(e.name(), "header" | "footer" | "aside"))
}

/// How an element breaks the text flow.
enum Flow {
    Inline,
    Line,
    Paragraph,
}

fn flow(name: &str) -> Flow {
    match name {
        "br" | "li" | "dt" | "dd" | "tr" | "summary" | "figcaption" => Flow::Line,
        "p" | "div" | "section" | "article" | "main" | "header" | "footer" | "aside" | "blockquote" | "pre" | "ul"
        | "ol" | "dl" | "table" | "figure" | "details" | "hr" | "address" | "fieldset" | "h1" | "h2" | "h3" | "h4"
        | "h5" | "h6" | "hgroup" | "center" | "caption" | "body" => Flow::Paragraph,
        _ => Flow::Inline,
    }
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// The fragment that addresses a heading: its `id`; else that of an `<a id>` / `<a name>`
/// inside it (older pages); else that of the `<section>` or `<article>` it heads (rustdoc's
/// `<section id="method.len"><h4>`). Any other ancestor's id names more than this heading.
fn heading_anchor(node: NodeRef<'_, Node>, e: &Element) -> Option<String> {
    let own = e.id().or_else(|| {
        node.descendants().find_map(|n| match n.value() {
            Node::Element(a) if a.name() == "a" => a.id().or_else(|| a.attr("name")),
            _ => None,
        })
    });
    let section = || match node.parent()?.value() {
        Node::Element(p) if matches!(p.name(), "section" | "article") => p.id(),
        _ => None,
    };
    own.or_else(section).map(String::from)
}

/// Walks an element tree without recursion (pages can nest deeper than a stack allows).
struct ContentWalker<'r> {
    resolver: &'r LinkResolver<'r>,
    /// Split sections at `<h1>`–`<h6>`; when false they are ordinary blocks.
    headings: bool,
    /// Drop `<header>`, `<footer>` and `<aside>`.
    chrome: bool,
    builder: SectionBuilder,
    /// The anchor of the heading being read.
    heading_anchor: Option<String>,
    links: Vec<Link>,
    images: Vec<ImageRef>,
}

impl<'r> ContentWalker<'r> {
    fn new(resolver: &'r LinkResolver<'r>, headings: bool, chrome: bool) -> ContentWalker<'r> {
        ContentWalker {
            resolver,
            headings,
            chrome,
            builder: SectionBuilder::default(),
            heading_anchor: None,
            links: Vec::new(),
            images: Vec::new(),
        }
    }

    fn walk(&mut self, root: NodeRef<'_, Node>) {
        let mut skipping = None;
        let mut pre_depth = 0usize;
        // Open `<a href>`s: node, href, text so far.
        let mut open_links: Vec<(ego_tree::NodeId, String, String)> = Vec::new();
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Text(t) => {
                            if pre_depth > 0 {
                                self.builder.verbatim(t);
                            } else {
                                self.builder.text(t);
                            }
                            for (_, _, text) in &mut open_links {
                                text.push_str(t);
                            }
                        }
                        Node::Element(e) => {
                            if is_boilerplate(e, self.chrome) {
                                skipping = Some(node.id());
                                continue;
                            }
                            self.open(node, e, &mut pre_depth);
                            if e.name() == "a"
                                && let Some(href) = e.attr("href")
                            {
                                open_links.push((node.id(), href.to_owned(), String::new()));
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if let Some(id) = skipping {
                        if id == node.id() {
                            skipping = None;
                        }
                        continue;
                    }
                    let Node::Element(e) = node.value() else { continue };
                    self.close(e, &mut pre_depth);
                    if open_links.last().is_some_and(|(id, _, _)| *id == node.id())
                        && let Some((_, href, text)) = open_links.pop()
                        && let Some((target, anchor)) = self.resolver.resolve(&href)
                    {
                        self.links.push(Link { target, anchor, text: collapse(&text) });
                    }
                }
            }
        }
    }

    fn open(&mut self, node: NodeRef<'_, Node>, e: &Element, pre_depth: &mut usize) {
        let name = e.name();
        match heading_level(name) {
            Some(level) if self.headings => {
                self.heading_anchor = heading_anchor(node, e);
                return self.builder.start_heading(level);
            }
            _ => {}
        }
        match name {
            "pre" => *pre_depth += 1,
            "img" => {
                if let Some((target, _)) = e.attr("src").and_then(|src| self.resolver.resolve(src)) {
                    self.images.push(ImageRef { target, alt: collapse(e.attr("alt").unwrap_or("")) });
                }
            }
            _ => {}
        }
        self.flow_break(name);
    }

    fn close(&mut self, e: &Element, pre_depth: &mut usize) {
        let name = e.name();
        match heading_level(name) {
            Some(_) if self.headings => return self.builder.end_heading(self.heading_anchor.take()),
            _ => {}
        }
        match name {
            "pre" => *pre_depth = pre_depth.saturating_sub(1),
            // Table cells sit side by side: a space keeps their words apart.
            "td" | "th" => self.builder.text(" "),
            _ => {}
        }
        self.flow_break(name);
    }

    fn flow_break(&mut self, name: &str) {
        match flow(name) {
            Flow::Inline => {}
            Flow::Line => self.builder.line_break(),
            Flow::Paragraph => self.builder.paragraph_break(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LinkTarget;

    #[test]
    fn main_text_without_chrome() {
        let page = r##"<!DOCTYPE html><html><head><title>Ch 4 - The Book</title><style>p{}</style></head>
<body><nav><a href="toc.html">Contents</a></nav><h1 class="menu-title">The Book</h1>
<main><h2 id="what-is-ownership"><a class="header" href="#what-is-ownership">What Is Ownership?</a></h2>
<p>Rules   that
govern <code>memory</code>.</p><script>track()</script>
<h3 id="the-stack">The <em>Stack</em></h3><pre><code>let s = 1;
<span class="boring">fn f() {}
</span>let t = 2;
</code></pre><table><tr><td>a</td><td>b</td></tr></table>
<p>See <a href="ch04-02.html#refs">references</a> and <img src="img/s.svg" alt="a  stack"></p>
<button>Copy</button><div hidden>secret</div></main>
<nav class="nav-wrapper"><a href="ch05.html">Next</a></nav></body></html>"##;
        let resolver = LinkResolver::new("", "book/ch04.html");
        let (title, content) = content_of(read_html(page, Path::new("ch04.html"), &resolver, true));
        assert_eq!(title, "What Is Ownership?");
        let texts: Vec<(&[String], &str)> =
            content.sections.iter().map(|s| (s.heading_path.as_slice(), s.text.as_str())).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert_eq!(texts[0].1, "Rules that govern memory.");
        assert_eq!(texts[1].0, ["What Is Ownership?".to_string(), "The Stack".to_string()]);
        assert_eq!(texts[1].1, "let s = 1;\nfn f() {}\nlet t = 2;\n\na b\n\nSee references and");
        assert_eq!(content.sections[1].anchor.as_deref(), Some("the-stack"));
        assert_eq!(content.links.len(), 1, "nav and self links are left out: {:?}", content.links);
        assert_eq!(content.links[0].target, LinkTarget::File { id: "book/ch04-02.html".into() });
        assert_eq!(content.links[0].anchor.as_deref(), Some("refs"));
        assert_eq!(content.links[0].text, "references");
        assert_eq!(content.images[0].alt, "a stack");
        assert_eq!(content.images[0].target, LinkTarget::File { id: "book/img/s.svg".into() });
    }

    fn content_of(page: Page) -> (String, TextContent) {
        match page {
            Page::Content(title, content) => (title, content),
            Page::NoIndex | Page::Redirect(_) => panic!("a page to read"),
        }
    }

    #[test]
    fn pages_that_ask_not_to_be_indexed_or_only_redirect_say_so() {
        let resolver = LinkResolver::new("book/", "old/ch17-00-oop.html");
        let redirect = r#"<html><head><meta http-equiv="Refresh" content="0; URL='../ch18-00-oop.html#x'"></head>
<body><p>Redirecting to... <a href="../ch18-00-oop.html">ch18</a></p></body></html>"#;
        assert!(matches!(
            read_html(redirect, Path::new("a.html"), &resolver, true),
            Page::Redirect(LinkTarget::File { id }) if id == "book/ch18-00-oop.html"
        ));
        let noindex =
            r#"<html><head><meta name="ROBOTS" content="noindex, follow"></head><body><p>Old.</p></body></html>"#;
        assert!(matches!(read_html(noindex, Path::new("a.html"), &resolver, true), Page::NoIndex));
        // A refresh without a target reloads the page itself: an ordinary page.
        let reload = r#"<html><head><meta http-equiv="refresh" content="30"></head><body><p>Live.</p></body></html>"#;
        assert!(matches!(read_html(reload, Path::new("a.html"), &resolver, true), Page::Content(..)));
        // Told to read everything, both are pages like any other.
        let (_, content) = content_of(read_html(noindex, Path::new("a.html"), &resolver, false));
        assert_eq!(content.sections[0].text, "Old.");
        assert!(matches!(read_html(redirect, Path::new("a.html"), &resolver, false), Page::Content(..)));
    }

    #[test]
    fn headings_without_an_id_take_their_anchor_from_a_name_or_their_section() {
        let page = r##"<main><h2>Intro<a href="#intro" class="anchor">§</a></h2><p>a</p>
<h2><a name="old-style"></a>Old style</h2><p>b</p>
<section id="method.len"><span>1.0.0</span><h4>pub fn len(&amp;self)</h4></section><p>c</p>
<div id="wrapper"><h3>In a div</h3><p>d</p></div></main>"##;
        let resolver = LinkResolver::new("", "p.html");
        let (_, content) = content_of(read_html(page, Path::new("p.html"), &resolver, true));
        let anchors: Vec<(&str, Option<&str>)> = content
            .sections
            .iter()
            .map(|s| (s.heading_path.last().map_or("", String::as_str), s.anchor.as_deref()))
            .collect();
        assert_eq!(
            anchors,
            [
                ("Intro", None),
                ("Old style", Some("old-style")),
                ("pub fn len(&self)", Some("method.len")),
                ("In a div", None)
            ]
        );
    }

    #[test]
    fn body_without_main_drops_header_and_footer() {
        let page = "<html><head><title> Plain   page </title></head><body><header>Site</header>\
                    <nav><a href=\"menu.html\">Menu</a></nav><p>Only this.</p><aside>Ads</aside>\
                    <footer>(c)</footer></body></html>";
        let resolver = LinkResolver::new("", "p.html");
        let (title, content) = content_of(read_html(page, Path::new("p.html"), &resolver, true));
        assert_eq!(title, "Plain page");
        assert_eq!(content.sections.len(), 1);
        assert_eq!(content.sections[0].text, "Only this.");
        assert!(content.sections[0].heading_path.is_empty());
        assert!(content.links.is_empty(), "{:?}", content.links);
    }
}
