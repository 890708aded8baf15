//! Resolving the `href`/`src` of a link or image to the id of the file it names.

use percent_encoding::percent_decode_str;

use crate::model::LinkTarget;

/// Resolves references found in one document.
#[derive(Debug, Clone)]
pub(crate) struct LinkResolver<'a> {
    /// The id prefix of the root.
    prefix: &'a str,
    /// The document's path relative to the root, `/`-separated.
    relative: &'a str,
}

/// A resolved reference: the target and the fragment.
pub(crate) type Resolved = (LinkTarget, Option<String>);

impl<'a> LinkResolver<'a> {
    pub(crate) fn new(prefix: &'a str, relative: &'a str) -> LinkResolver<'a> {
        LinkResolver { prefix, relative }
    }

    /// Resolves `href`. `None` for references that name no other file: empty, `#anchor`
    /// only, a link to the document itself, `javascript:` and `data:` URLs.
    pub(crate) fn resolve(&self, href: &str) -> Option<Resolved> {
        let href = href.trim();
        let (rest, fragment) = match href.split_once('#') {
            Some((rest, f)) => (rest, Some(f)),
            None => (href, None),
        };
        let anchor = fragment.filter(|f| !f.is_empty()).map(|f| percent_decode_str(f).decode_utf8_lossy().into_owned());
        if let Some(scheme) = scheme(rest) {
            if scheme.eq_ignore_ascii_case("javascript") || scheme.eq_ignore_ascii_case("data") {
                return None;
            }
            return Some((LinkTarget::External { url: href.to_owned() }, None));
        }
        if rest.starts_with("//") {
            return Some((LinkTarget::External { url: href.to_owned() }, None));
        }
        let path = rest.split_once('?').map_or(rest, |(p, _)| p);
        if path.is_empty() {
            return None; // `#anchor` or `?query`: this same document
        }
        let path = percent_decode_str(path).decode_utf8_lossy();
        // An absolute path is taken from the root (a site's root, for HTML).
        let (base, path) = match path.strip_prefix('/') {
            Some(p) => ("", p),
            None => (self.relative.rsplit_once('/').map_or("", |(dir, _)| dir), &*path),
        };
        let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
        for seg in path.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Some((LinkTarget::OutsideRoot { path: href.to_owned() }, anchor));
                    }
                }
                s => parts.push(s),
            }
        }
        let relative = parts.join("/");
        if relative == self.relative || relative.is_empty() {
            return None;
        }
        Some((LinkTarget::File { id: format!("{}{relative}", self.prefix) }, anchor))
    }
}

/// The scheme of a URL (`https` in `https://…`), per RFC 3986: a letter, then letters,
/// digits, `+`, `-`, `.`, then `:`. Windows drive letters are not expected in documents.
fn scheme(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: &str, anchor: Option<&str>) -> Option<Resolved> {
        Some((LinkTarget::File { id: id.into() }, anchor.map(String::from)))
    }

    #[test]
    fn relative_links_become_ids() {
        let r = LinkResolver::new("", "book/ch04-01.html");
        assert_eq!(r.resolve("ch04-02.html#the-stack"), file("book/ch04-02.html", Some("the-stack")));
        assert_eq!(r.resolve("./img/../img/a%20b.png?x=1"), file("book/img/a b.png", None));
        assert_eq!(r.resolve("../std/vec/struct.Vec.html"), file("std/vec/struct.Vec.html", None));
        assert_eq!(r.resolve("/reference/index.html"), file("reference/index.html", None));
        assert_eq!(r.resolve("../../up.md"), Some((LinkTarget::OutsideRoot { path: "../../up.md".into() }, None)));
        assert_eq!(r.resolve("#the-stack"), None);
        assert_eq!(r.resolve("ch04-01.html#x"), None);
        assert_eq!(r.resolve(""), None);

        let prefixed = LinkResolver::new("docs/", "intro.md");
        assert_eq!(prefixed.resolve("guide/setup.md#install"), file("docs/guide/setup.md", Some("install")));
    }

    #[test]
    fn urls_with_a_scheme_stay_external() {
        let r = LinkResolver::new("", "a.md");
        let ext = |u: &str| Some((LinkTarget::External { url: u.into() }, None));
        assert_eq!(r.resolve("https://doc.rust-lang.org/std/#x"), ext("https://doc.rust-lang.org/std/#x"));
        assert_eq!(r.resolve("mailto:ferris@example.org"), ext("mailto:ferris@example.org"));
        assert_eq!(r.resolve("//cdn.example.org/x.png"), ext("//cdn.example.org/x.png"));
        assert_eq!(r.resolve("javascript:void(0)"), None);
        assert_eq!(r.resolve("data:image/png;base64,AAAA"), None);
        // A colon later in a relative path is no scheme.
        assert_eq!(r.resolve("notes/10:30.md"), file("notes/10:30.md", None));
    }
}
