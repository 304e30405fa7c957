//! The article as Markdown (CommonMark): headings, lists, block quotes,
//! links, tables, code blocks and image captions, for pipelines that want
//! the structure the plain text drops.
//!
//! Invariant: the Markdown holds the blocks of the plain text, no more and
//! no fewer. It walks the extractor's chosen subtrees with the same nodes
//! removed as [`super::render`], then keeps exactly the blocks that the text
//! kept (promo blocks and a repeated headline are dropped by the text's
//! rules), matched in order by their words. A kept block that this walk
//! split differently is written from its plain text with its kind's prefix,
//! so no words of the text are ever missing here, whatever later changes
//! the text's rules make.
//!
//! Text is escaped so that it reads as written (`*`, `_`, `[`, a `1.` or
//! `#` starting a line); link and image URLs are made absolute against the
//! page's URL, and links to scripts or to the page itself are left as text.

use scraper::Node;
use url::Url;

use super::dom::{Flat, Tag};
use super::render::{Block, BlockKind};

/// Renders the subtrees at `roots` (minus `removed`) as Markdown, keeping
/// the blocks of `kept` (a subsequence of what [`super::render::render`]
/// made of the same nodes); `base` resolves relative URLs.
pub fn render(
    flat: &Flat,
    roots: &[u32],
    removed: &[bool],
    kept: &[&Block],
    base: Option<&Url>,
) -> String {
    let walked = walk(flat, roots, removed, base);
    let mut out: Vec<MdBlock> = Vec::with_capacity(kept.len());
    let mut next = 0;
    for block in kept {
        let key = words_key(&block.text);
        match walked[next..].iter().position(|m| m.key == key) {
            Some(at) => {
                out.push(walked[next + at].clone());
                next += at + 1;
            }
            None => out.push(MdBlock::from_plain(block)),
        }
    }
    join(&out)
}

/// Renders a whole HTML fragment (a feed entry's content) as Markdown.
pub fn fragment_to_markdown(html: &str, base: Option<&Url>) -> String {
    if html.len() > super::MAX_HTML_BYTES {
        return String::new();
    }
    let doc = scraper::Html::parse_fragment(html);
    let flat = Flat::build(&doc);
    if flat.nodes.is_empty() {
        return String::new();
    }
    let removed = vec![false; flat.nodes.len()];
    join(&walk(&flat, &[0], &removed, base))
}

/// One block as Markdown, with the words that match it to a plain block.
#[derive(Debug, Clone)]
struct MdBlock {
    /// Lower-cased alphanumerics of its visible text.
    key: String,
    md: String,
    kind: BlockKind,
    /// Block quotes it sits in.
    quotes: usize,
    /// Its first line carries a list item's marker.
    starts_item: bool,
}

impl MdBlock {
    /// A plain block written as Markdown by its kind alone.
    fn from_plain(block: &Block) -> MdBlock {
        let lines: Vec<String> = block.text.lines().map(escape_line).collect();
        let md = match block.kind {
            BlockKind::Heading(level) => heading(level, &lines),
            BlockKind::Item => prefixed(&lines, "- ", "  "),
            BlockKind::Quote => prefixed(&lines, "> ", "> "),
            BlockKind::Caption => format!("*{}*", lines.join("\\\n")),
            BlockKind::Row => lines
                .iter()
                .map(|l| format!("| {l} |"))
                .collect::<Vec<_>>()
                .join("\n"),
            BlockKind::Pre => fenced(&block.text),
            BlockKind::Para => lines.join("\\\n"),
        };
        MdBlock {
            key: words_key(&block.text),
            md,
            kind: block.kind,
            quotes: usize::from(block.kind == BlockKind::Quote),
            starts_item: block.kind == BlockKind::Item,
        }
    }
}

/// Equal keys: the same words, whatever the punctuation and spacing.
fn words_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Blocks are separated by a blank line (inside the quotes both sit in);
/// a list item after a one-line item, and table rows, by a line break.
fn join(blocks: &[MdBlock]) -> String {
    let mut out = String::new();
    let mut prev: Option<&MdBlock> = None;
    for b in blocks {
        if let Some(p) = prev {
            let tight = (p.kind == BlockKind::Item && b.starts_item)
                || (p.kind == BlockKind::Row && b.kind == BlockKind::Row);
            out.push('\n');
            if !tight {
                out.push_str(&vec![">"; p.quotes.min(b.quotes)].join(" "));
                out.push('\n');
            }
        }
        out.push_str(&b.md);
        prev = Some(b);
    }
    out
}

/// What a block sits in, outermost first: its line prefixes.
#[derive(Debug, Clone)]
enum Container {
    Quote,
    /// A list item: its marker goes before its first line, spaces of the
    /// marker's width before every later one.
    Item {
        marker: String,
        started: bool,
    },
}

#[derive(Debug)]
struct List {
    ordered: bool,
    next: u64,
}

/// A link whose text is being written.
#[derive(Debug)]
struct OpenLink {
    /// The `<a>`'s flat index.
    index: u32,
    href: String,
    /// Whether `[` was written into the current block.
    open: bool,
}

struct Walker<'u> {
    base: Option<&'u Url>,
    blocks: Vec<MdBlock>,
    line: String,
    key: String,
    pending_space: bool,
    pre: u32,
    figure: u32,
    /// Innermost open block element: (flat index, tag), as in render.
    block: Vec<(u32, Tag)>,
    containers: Vec<Container>,
    lists: Vec<List>,
    link: Option<OpenLink>,
    /// `![alt](src)` of the open figure, written before its caption.
    image: Option<String>,
    /// Rows written in each open table, and cells in the current row.
    tables: Vec<u32>,
    cells: u32,
}

fn walk(flat: &Flat, roots: &[u32], removed: &[bool], base: Option<&Url>) -> Vec<MdBlock> {
    let mut w = Walker {
        base,
        blocks: Vec::new(),
        line: String::new(),
        key: String::new(),
        pending_space: false,
        pre: 0,
        figure: 0,
        block: Vec::new(),
        containers: Vec::new(),
        lists: Vec::new(),
        link: None,
        image: None,
        tables: Vec::new(),
        cells: 0,
    };
    let mut open: Vec<(u32, u32, Tag)> = Vec::new();
    for &root in roots {
        let Some(root_node) = flat.nodes.get(root as usize) else {
            continue;
        };
        let mut i = root;
        while i < root_node.end {
            while open.last().is_some_and(|&(end, _, _)| end <= i) {
                if let Some((_, index, tag)) = open.pop() {
                    w.close(tag, index);
                }
            }
            let n = &flat.nodes[i as usize];
            if removed.get(i as usize).copied().unwrap_or(false) {
                if n.tag.is_block() {
                    w.flush();
                } else {
                    w.pending_space = true;
                }
                i = n.end;
                continue;
            }
            match n.node.value() {
                Node::Text(t) => w.text(t),
                Node::Element(el) => {
                    w.open(n.tag, i, el);
                    open.push((n.end, i, n.tag));
                }
                _ => {}
            }
            i += 1;
        }
        while let Some((_, index, tag)) = open.pop() {
            w.close(tag, index);
        }
        w.flush();
    }
    w.blocks
}

impl Walker<'_> {
    fn open(&mut self, tag: Tag, index: u32, el: &scraper::node::Element) {
        match tag {
            Tag::Br => {
                if !self.line.is_empty() && !self.line.ends_with('\n') {
                    self.line.push('\n');
                }
                self.pending_space = false;
            }
            Tag::Td | Tag::Th => {
                if !self.line.is_empty() && !self.line.ends_with('\n') {
                    self.line.push_str(" | ");
                }
                self.cells += 1;
                self.pending_space = false;
            }
            Tag::A => {
                if self.link.is_none() && self.pre == 0 {
                    if let Some(href) = el.attr("href").and_then(|h| self.link_target(h)) {
                        self.link = Some(OpenLink {
                            index,
                            href,
                            open: false,
                        });
                    }
                }
            }
            Tag::Img => {
                if self.figure > 0 && self.image.is_none() {
                    self.image = self.image_of(el);
                }
            }
            Tag::Emph | Tag::Inline | Tag::Time | Tag::Text => {}
            _ => {
                self.flush();
                match tag {
                    Tag::Pre => self.pre += 1,
                    Tag::Figure | Tag::Figcaption | Tag::Caption => self.figure += 1,
                    Tag::Blockquote => self.containers.push(Container::Quote),
                    Tag::Ul | Tag::Ol => self.lists.push(List {
                        ordered: tag == Tag::Ol,
                        next: el
                            .attr("start")
                            .and_then(|s| s.trim().parse().ok())
                            .unwrap_or(1),
                    }),
                    Tag::Li => {
                        let marker = match self.lists.last_mut() {
                            Some(list) if list.ordered => {
                                list.next += 1;
                                format!("{}. ", list.next - 1)
                            }
                            _ => "- ".to_string(),
                        };
                        self.containers.push(Container::Item {
                            marker,
                            started: false,
                        });
                    }
                    Tag::Table => self.tables.push(0),
                    Tag::Tr => self.cells = 0,
                    _ => {}
                }
                self.block.push((index, tag));
            }
        }
    }

    fn close(&mut self, tag: Tag, index: u32) {
        match tag {
            Tag::A => {
                if self.link.as_ref().is_some_and(|l| l.index == index) {
                    self.end_link_text();
                    self.link = None;
                }
            }
            Tag::Br
            | Tag::Td
            | Tag::Th
            | Tag::Img
            | Tag::Emph
            | Tag::Inline
            | Tag::Time
            | Tag::Text => {}
            _ => {
                self.flush();
                match tag {
                    Tag::Pre => self.pre = self.pre.saturating_sub(1),
                    Tag::Figure | Tag::Figcaption | Tag::Caption => {
                        self.figure = self.figure.saturating_sub(1);
                        if tag == Tag::Figure {
                            self.image = None;
                        }
                    }
                    Tag::Blockquote | Tag::Li => {
                        self.containers.pop();
                    }
                    Tag::Ul | Tag::Ol => {
                        self.lists.pop();
                    }
                    Tag::Table => {
                        self.tables.pop();
                    }
                    _ => {}
                }
                if self.block.last().is_some_and(|&(i, _)| i == index) {
                    self.block.pop();
                }
            }
        }
    }

    fn text(&mut self, text: &str) {
        for c in text.chars() {
            if self.pre == 0 && c.is_whitespace() {
                self.pending_space = true;
                continue;
            }
            if c == '\u{AD}' || c == '\u{200B}' || c == '\u{FEFF}' {
                continue;
            }
            if self.pending_space && !self.line.is_empty() && !self.line.ends_with('\n') {
                self.line.push(' ');
            }
            self.pending_space = false;
            if let Some(link) = self.link.as_mut().filter(|l| !l.open) {
                link.open = true;
                // `![` would make the link an image.
                if self.line.ends_with('!') {
                    self.line.pop();
                    self.line.push_str("\\!");
                }
                self.line.push('[');
            }
            let c = if c == '\u{A0}' { ' ' } else { c };
            if c.is_alphanumeric() {
                self.key.extend(c.to_lowercase());
            }
            if self.pre == 0 && needs_escape(c, !self.tables.is_empty()) {
                self.line.push('\\');
            }
            self.line.push(c);
        }
    }

    /// Closes the link's text in this block (`](href)`), or takes back a
    /// `[` that got no text.
    fn end_link_text(&mut self) {
        let Some(link) = self.link.as_mut().filter(|l| l.open) else {
            return;
        };
        link.open = false;
        if self.line.ends_with('[') {
            self.line.pop();
        } else {
            self.line.push_str("](");
            self.line.push_str(&link.href);
            self.line.push(')');
        }
    }

    fn flush(&mut self) {
        self.end_link_text();
        self.pending_space = false;
        let raw = std::mem::take(&mut self.line);
        let key = std::mem::take(&mut self.key);
        let pre = self.pre > 0;
        let lines: Vec<String> = raw
            .split('\n')
            .map(|l| if pre { l.trim_end() } else { l.trim() })
            .filter(|l| !l.is_empty())
            .map(|l| if pre { l.to_string() } else { escape_line(l) })
            .collect();
        if lines.is_empty() {
            return;
        }
        let tag = self.block.last().map_or(Tag::Body, |&(_, t)| t);
        let kind = if pre {
            BlockKind::Pre
        } else {
            match tag {
                Tag::Heading(level) => BlockKind::Heading(level),
                Tag::Li | Tag::Dt | Tag::Dd => BlockKind::Item,
                Tag::Tr => BlockKind::Row,
                _ if self.figure > 0 => BlockKind::Caption,
                _ if self.quotes() > 0 => BlockKind::Quote,
                _ => BlockKind::Para,
            }
        };
        let body = match kind {
            BlockKind::Heading(level) => heading(level, &lines),
            BlockKind::Pre => fenced(&lines.join("\n")),
            BlockKind::Row => self.row(&lines),
            BlockKind::Caption => {
                let caption = format!("*{}*", lines.join("\\\n"));
                match self.image.take() {
                    Some(image) => format!("{image}\n{caption}"),
                    None => caption,
                }
            }
            BlockKind::Item | BlockKind::Quote | BlockKind::Para => lines.join("\\\n"),
        };
        let (md, starts_item) = self.contained(&body);
        self.blocks.push(MdBlock {
            key,
            md,
            kind,
            quotes: self.quotes(),
            starts_item,
        });
    }

    /// A table row; the first of its table gets the header rule after it.
    fn row(&mut self, lines: &[String]) -> String {
        let mut md = format!("| {} |", lines.join(" "));
        if let Some(rows) = self.tables.last_mut() {
            if *rows == 0 {
                md.push('\n');
                md.push_str(&"| --- ".repeat(self.cells.max(1) as usize));
                md.push('|');
            }
            *rows += 1;
        }
        md
    }

    /// `body` with the prefixes of the quotes and list items it sits in,
    /// and whether it starts a list item.
    fn contained(&mut self, body: &str) -> (String, bool) {
        let mut starts_item = false;
        let mut first = String::new();
        let mut rest = String::new();
        for c in &mut self.containers {
            match c {
                Container::Quote => {
                    first.push_str("> ");
                    rest.push_str("> ");
                }
                Container::Item { marker, started } => {
                    if *started {
                        first.push_str(&" ".repeat(marker.len()));
                    } else {
                        first.push_str(marker);
                        *started = true;
                        starts_item = true;
                    }
                    rest.push_str(&" ".repeat(marker.len()));
                }
            }
        }
        let mut out = String::with_capacity(body.len() + first.len());
        for (i, line) in body.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let prefix = if i == 0 { &first } else { &rest };
            out.push_str(if line.is_empty() {
                prefix.trim_end()
            } else {
                prefix
            });
            out.push_str(line);
        }
        (out, starts_item)
    }

    fn quotes(&self) -> usize {
        self.containers
            .iter()
            .filter(|c| matches!(c, Container::Quote))
            .count()
    }

    /// Where a link goes, absolute; `None` for links that lead nowhere a
    /// reader of the text can follow (scripts, the page itself).
    fn link_target(&self, href: &str) -> Option<String> {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') {
            return None;
        }
        let url = match self.base {
            Some(base) => base.join(href).ok()?,
            None => Url::parse(href).ok()?,
        };
        matches!(url.scheme(), "http" | "https" | "mailto").then(|| url_in_markdown(&url))
    }

    /// `![alt](src)` of an image element, lazily loaded ones included.
    fn image_of(&self, el: &scraper::node::Element) -> Option<String> {
        let src = ["src", "data-src"]
            .iter()
            .filter_map(|a| el.attr(a))
            .find(|s| !s.trim().is_empty() && !s.trim_start().starts_with("data:"))?;
        let target = self.link_target(src)?;
        let alt: String = el
            .attr("alt")
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut escaped = String::with_capacity(alt.len());
        for c in alt.chars() {
            if needs_escape(c, false) {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        Some(format!("![{escaped}]({target})"))
    }
}

/// A URL as a link destination: parentheses and spaces, which would end
/// it, percent-encoded.
fn url_in_markdown(url: &Url) -> String {
    url.as_str()
        .replace('(', "%28")
        .replace(')', "%29")
        .replace(' ', "%20")
}

/// Characters that would be read as Markdown anywhere in a line.
fn needs_escape(c: char, in_table: bool) -> bool {
    matches!(c, '\\' | '*' | '_' | '[' | ']' | '`' | '<') || (in_table && c == '|')
}

/// Escapes what would make a line start a heading, quote, list, rule or
/// fence.
fn escape_line(line: &str) -> String {
    let bytes = line.as_bytes();
    let after = |i: usize| bytes.get(i).is_none_or(|b| *b == b' ' || *b == b'\t');
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let starts_block = match bytes.first() {
        Some(b'#') => after(bytes.iter().take_while(|b| **b == b'#').count()),
        Some(b'>') => true,
        Some(b'-' | b'+' | b'=') => after(1) || bytes.iter().all(|b| *b == bytes[0]),
        Some(b'~') => line.starts_with("~~~"),
        _ => false,
    };
    if starts_block {
        return format!("\\{line}");
    }
    if (1..=9).contains(&digits)
        && matches!(bytes.get(digits), Some(b'.' | b')'))
        && after(digits + 1)
    {
        return format!("{}\\{}", &line[..digits], &line[digits..]);
    }
    line.to_string()
}

fn heading(level: u8, lines: &[String]) -> String {
    format!(
        "{} {}",
        "#".repeat(level.clamp(1, 6) as usize),
        lines.join(" ")
    )
}

fn prefixed(lines: &[String], first: &str, rest: &str) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{}{l}", if i == 0 { first } else { rest }))
        .collect::<Vec<_>>()
        .join("\\\n")
}

/// A fenced code block, its fence longer than any backtick run inside.
fn fenced(code: &str) -> String {
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}\n{code}\n{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(html: &str) -> String {
        let base = Url::parse("https://news.example/2026/story.html").ok();
        fragment_to_markdown(html, base.as_ref())
    }

    #[test]
    fn heading_list_quote_and_link() {
        assert_eq!(
            md("<h2>The harbour</h2>\
                <p>Dockers <a href='/strike'>walked out</a> on Monday.</p>\
                <ul><li>Pay</li><li>Hours</li></ul>\
                <blockquote><p>We stay out.</p><p>All of us.</p></blockquote>"),
            "## The harbour\n\n\
             Dockers [walked out](https://news.example/strike) on Monday.\n\n\
             - Pay\n- Hours\n\n\
             > We stay out.\n>\n> All of us."
        );
    }

    #[test]
    fn ordered_and_nested_lists_keep_their_numbers_and_indent() {
        assert_eq!(
            md(
                "<ol start=3><li>Three<ul><li>a</li><li>b</li></ul></li><li><p>Four</p><p>more</p></li></ol>"
            ),
            "3. Three\n   - a\n   - b\n4. Four\n\n   more"
        );
    }

    #[test]
    fn text_that_looks_like_markdown_is_escaped() {
        assert_eq!(
            md("<p>1. not a list</p><p># not a heading, *not* [a link]</p><p>2026 was_good</p>"),
            "1\\. not a list\n\n\\# not a heading, \\*not\\* \\[a link\\]\n\n2026 was\\_good"
        );
    }

    #[test]
    fn figures_tables_and_code() {
        assert_eq!(
            md(
                "<figure><img src='/a.jpg' alt='Cranes [idle]'><figcaption>Idle cranes.</figcaption></figure>\
                <table><tr><th>Port</th><th>Ships</th></tr><tr><td>North|East</td><td>4</td></tr></table>\
                <pre>let x = `y`;\n  z();</pre>"
            ),
            "![Cranes \\[idle\\]](https://news.example/a.jpg)\n*Idle cranes.*\n\n\
             | Port | Ships |\n| --- | --- |\n| North\\|East | 4 |\n\n\
             ```\nlet x = `y`;\n  z();\n```"
        );
    }

    #[test]
    fn links_to_nowhere_stay_text_and_links_around_blocks_close_per_block() {
        assert_eq!(
            md(
                "<p><a href='#top'>Top</a> <a href='javascript:go()'>go</a> <a href='mailto:x@y.example'>mail</a></p>\
                <a href='/next'><h3>Next story</h3><p>Teaser</p></a>\
                <p>Now digital!<a href='/signup'>Sign up</a></p>"
            ),
            "Top go [mail](mailto:x@y.example)\n\n\
             ### [Next story](https://news.example/next)\n\n[Teaser](https://news.example/next)\n\n\
             Now digital\\![Sign up](https://news.example/signup)"
        );
    }
}
