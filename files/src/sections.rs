//! Turns a stream of headings and text (from the Markdown or HTML reader) into
//! [`Section`]s with heading paths, collapsing whitespace the way a browser does.

use crate::model::Section;

/// A paragraph or line break waiting to be written before the next word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Gap {
    None,
    Space,
    Line,
    Paragraph,
}

/// Text with whitespace collapsed: runs of spaces become one, breaks are written only
/// between words (so a section never starts or ends with one).
#[derive(Debug, Default)]
pub(crate) struct Collapsed {
    text: String,
    gap: Option<Gap>,
}

impl Collapsed {
    /// Inline text: whitespace inside it separates words.
    pub(crate) fn push(&mut self, s: &str) {
        if s.starts_with(char::is_whitespace) {
            self.gap(Gap::Space);
        }
        for word in s.split_whitespace() {
            self.flush_gap();
            self.text.push_str(word);
            self.gap(Gap::Space);
        }
        if !s.ends_with(char::is_whitespace) && !s.trim().is_empty() {
            self.gap = Some(Gap::None);
        }
    }

    /// Preformatted text (a code block), written as is.
    fn push_verbatim(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.flush_gap();
        self.text.push_str(s);
        self.gap = Some(Gap::None);
    }

    fn gap(&mut self, gap: Gap) {
        // Only a gap after some text matters; the larger of two gaps wins.
        if !self.text.is_empty() {
            self.gap = Some(self.gap.map_or(gap, |g| g.max(gap)));
        }
    }

    fn flush_gap(&mut self) {
        if matches!(self.gap, Some(Gap::Line | Gap::Paragraph)) {
            // Verbatim text may end in newlines of its own; the break replaces them.
            self.text.truncate(self.text.trim_end().len());
        }
        match self.gap.take() {
            Some(Gap::Space) => self.text.push(' '),
            Some(Gap::Line) => self.text.push('\n'),
            Some(Gap::Paragraph) => self.text.push_str("\n\n"),
            Some(Gap::None) | None => {}
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub(crate) fn into_string(mut self) -> String {
        self.text.truncate(self.text.trim_end().len());
        self.text
    }
}

/// Builds sections from reader events.
#[derive(Debug, Default)]
pub(crate) struct SectionBuilder {
    /// Open headings: (level, text).
    headings: Vec<(u8, String)>,
    /// The anchor of the innermost heading.
    anchor: Option<String>,
    body: Collapsed,
    /// The heading being read, if inside one.
    heading: Option<(u8, Collapsed)>,
    first_heading: Option<String>,
    sections: Vec<Section>,
}

impl SectionBuilder {
    /// Inline text, in the heading being read if any, else in the body.
    pub(crate) fn text(&mut self, s: &str) {
        match &mut self.heading {
            Some((_, h)) => h.push(s),
            None => self.body.push(s),
        }
    }

    /// Preformatted text: newlines and indentation kept (a code block may arrive in many
    /// pieces, so trailing newlines are only trimmed where a break follows).
    pub(crate) fn verbatim(&mut self, s: &str) {
        match &mut self.heading {
            Some((_, h)) => h.push(s),
            None => self.body.push_verbatim(s),
        }
    }

    /// The end of a paragraph, list, table, code block …
    pub(crate) fn paragraph_break(&mut self) {
        self.break_with(Gap::Paragraph)
    }

    /// A line break (`<br>`, a list item, a table row).
    pub(crate) fn line_break(&mut self) {
        self.break_with(Gap::Line)
    }

    fn break_with(&mut self, gap: Gap) {
        match &mut self.heading {
            Some((_, h)) => h.gap(Gap::Space),
            None => self.body.gap(gap),
        }
    }

    /// A heading of `level` (1 = outermost) starts; the text before it becomes a section.
    pub(crate) fn start_heading(&mut self, level: u8) {
        self.finish_section();
        self.heading = Some((level, Collapsed::default()));
    }

    /// The heading ends; the text after it belongs to it. `anchor` addresses it.
    pub(crate) fn end_heading(&mut self, anchor: Option<String>) {
        let Some((level, text)) = self.heading.take() else { return };
        // Permalink markers that generators put inside headings (rustdoc's `§`, Sphinx's `¶`).
        let text = text.into_string().trim_matches(|c: char| c == '§' || c == '¶' || c.is_whitespace()).to_owned();
        while self.headings.last().is_some_and(|(l, _)| *l >= level) {
            self.headings.pop();
        }
        if !text.is_empty() {
            self.first_heading.get_or_insert_with(|| text.clone());
        }
        self.headings.push((level, text));
        self.anchor = anchor;
    }

    /// Whether a heading is being read (a reader may treat text there differently).
    pub(crate) fn in_heading(&self) -> bool {
        self.heading.is_some()
    }

    fn finish_section(&mut self) {
        let body = std::mem::take(&mut self.body);
        if body.is_empty() {
            return;
        }
        self.sections.push(Section {
            heading_path: self.headings.iter().filter(|(_, t)| !t.is_empty()).map(|(_, t)| t.clone()).collect(),
            anchor: self.anchor.clone(),
            page: None,
            text: body.into_string(),
        });
    }

    /// The sections, and the text of the first heading (a title candidate).
    pub(crate) fn finish(mut self) -> (Vec<Section>, Option<String>) {
        // A heading left open at the end of input still heads nothing; drop it.
        self.heading = None;
        self.finish_section();
        (self.sections, self.first_heading)
    }
}

/// Whitespace collapsed and trimmed (link texts, alt texts, captions).
pub(crate) fn collapse(s: &str) -> String {
    let mut c = Collapsed::default();
    c.push(s);
    c.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_nest_and_pop_by_level() {
        let mut b = SectionBuilder::default();
        b.text("  intro\n text ");
        for (level, title, body) in
            [(1, "Chapter 3", ""), (2, "Ownership", "owning"), (3, "The Stack", "lifo"), (2, "Borrowing", "refs")]
        {
            b.start_heading(level);
            b.text(title);
            b.text(" ¶");
            b.end_heading(Some(title.to_lowercase()));
            b.text(body);
            b.paragraph_break();
        }
        let (sections, first) = b.finish();
        assert_eq!(first.as_deref(), Some("Chapter 3"));
        let paths: Vec<(Vec<String>, &str)> =
            sections.iter().map(|s| (s.heading_path.clone(), s.text.as_str())).collect();
        let v = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            paths,
            vec![
                (v(&[]), "intro text"),
                (v(&["Chapter 3", "Ownership"]), "owning"),
                (v(&["Chapter 3", "Ownership", "The Stack"]), "lifo"),
                (v(&["Chapter 3", "Borrowing"]), "refs"),
            ]
        );
        assert_eq!(sections[2].anchor.as_deref(), Some("the stack"));
    }

    #[test]
    fn whitespace_collapses_but_code_stays() {
        let mut b = SectionBuilder::default();
        b.text("a ");
        b.text(" b");
        b.text("c");
        b.paragraph_break();
        b.line_break();
        b.verbatim("fn main() {\n");
        b.verbatim("    x();\n}\n");
        b.paragraph_break();
        b.text("end");
        b.paragraph_break();
        let (sections, _) = b.finish();
        assert_eq!(sections[0].text, "a bc\n\nfn main() {\n    x();\n}\n\nend");
        assert_eq!(collapse("  two\n\t words "), "two words");
    }
}
