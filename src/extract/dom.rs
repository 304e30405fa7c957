//! A flat, pre-order view of the parsed document with per-node text
//! statistics computed once, bottom-up.
//!
//! Why: every later decision (which subtree is the article, which blocks in
//! it are boilerplate) needs text length, link text length, comma and
//! paragraph counts per subtree. Collecting `.text()` per candidate would
//! walk big subtrees again and again; here one walk builds an array in
//! document order where the subtree of node `i` is exactly `i..end[i]`, and
//! one reverse sweep sums every statistic into the parents. Both are
//! iterative, so 100,000 nested `<div>`s cost time linear in their number
//! and no stack.
//!
//! Invisible nodes (scripts, styles, form controls, `hidden`, `aria-hidden`,
//! `display:none`) never enter the array, so nothing downstream sees them.

use ego_tree::NodeRef;
use ego_tree::iter::Edge;
use scraper::{Html, Node};

use super::hints;

/// Index of "no parent" (the document root).
pub const NONE: u32 = u32::MAX;

/// The tags whose role matters to extraction; everything else is
/// [`Tag::Inline`] or [`Tag::Block`] by its display in a default stylesheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Document,
    Text,
    Html,
    Body,
    P,
    Div,
    Section,
    Article,
    Main,
    Header,
    Footer,
    Nav,
    Aside,
    Heading(u8),
    Ul,
    Ol,
    Li,
    Dl,
    Dt,
    Dd,
    Table,
    Tr,
    Td,
    Th,
    Caption,
    Pre,
    Blockquote,
    Figure,
    Figcaption,
    Form,
    Address,
    Hr,
    Br,
    A,
    Img,
    /// Bold/italic/strong/em: what "emphasised" promo lines are wrapped in.
    Emph,
    Time,
    /// Another block-level element (e.g. `center`, `details`, `fieldset`).
    Block,
    /// Another inline element (`span`, `abbr`, unknown custom elements).
    Inline,
}

impl Tag {
    fn of(name: &str) -> Tag {
        match name {
            "p" => Tag::P,
            "div" => Tag::Div,
            "section" => Tag::Section,
            "article" => Tag::Article,
            "main" => Tag::Main,
            "header" | "hgroup" => Tag::Header,
            "footer" => Tag::Footer,
            "nav" | "menu" => Tag::Nav,
            "aside" => Tag::Aside,
            "h1" => Tag::Heading(1),
            "h2" => Tag::Heading(2),
            "h3" => Tag::Heading(3),
            "h4" => Tag::Heading(4),
            "h5" => Tag::Heading(5),
            "h6" => Tag::Heading(6),
            "ul" | "dir" => Tag::Ul,
            "ol" => Tag::Ol,
            "li" => Tag::Li,
            "dl" => Tag::Dl,
            "dt" => Tag::Dt,
            "dd" => Tag::Dd,
            "table" => Tag::Table,
            "tr" => Tag::Tr,
            "td" => Tag::Td,
            "th" => Tag::Th,
            "caption" => Tag::Caption,
            "pre" | "listing" | "xmp" | "plaintext" => Tag::Pre,
            "blockquote" => Tag::Blockquote,
            "figure" => Tag::Figure,
            "figcaption" => Tag::Figcaption,
            "form" => Tag::Form,
            "address" => Tag::Address,
            "hr" => Tag::Hr,
            "br" | "wbr" => Tag::Br,
            "a" => Tag::A,
            "img" | "picture" => Tag::Img,
            "b" | "strong" | "em" | "i" => Tag::Emph,
            "time" => Tag::Time,
            "body" => Tag::Body,
            "html" => Tag::Html,
            "center" | "details" | "summary" | "fieldset" | "legend" | "tbody" | "thead"
            | "tfoot" | "colgroup" | "frameset" | "noframes" | "marquee" | "search" => Tag::Block,
            _ => Tag::Inline,
        }
    }

    /// Starts a new line in rendered text (display: block and friends).
    pub fn is_block(self) -> bool {
        !matches!(
            self,
            Tag::Text | Tag::Inline | Tag::A | Tag::Emph | Tag::Time | Tag::Img | Tag::Br
        )
    }
}

/// Elements whose content is never article text: their subtrees are left
/// out of the flat view entirely.
fn is_invisible_tag(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "canvas"
            | "iframe"
            | "object"
            | "embed"
            | "video"
            | "audio"
            | "select"
            | "option"
            | "optgroup"
            | "datalist"
            | "button"
            | "input"
            | "textarea"
            | "head"
            | "title"
            | "meta"
            | "link"
            | "base"
            | "param"
            | "source"
            | "track"
            | "map"
            | "area"
            | "dialog"
    )
}

/// The attributes extraction reads, collected in one pass over them.
#[derive(Default)]
struct Attrs<'e> {
    class: Option<&'e str>,
    id: Option<&'e str>,
    /// `hidden`, `aria-hidden="true"`, an inline style that hides the node,
    /// or a class that the common CSS frameworks use to hide it.
    hidden: bool,
    itemprop: bool,
    /// `itemprop` includes `articleBody`.
    article_body: bool,
}

impl<'e> Attrs<'e> {
    fn of(el: &'e scraper::node::Element) -> Attrs<'e> {
        let mut a = Attrs::default();
        for (name, value) in el.attrs() {
            match name {
                "class" => a.class = Some(value),
                "id" => a.id = Some(value),
                "hidden" => a.hidden = true,
                "aria-hidden" => a.hidden |= value.trim().eq_ignore_ascii_case("true"),
                "style" => a.hidden |= style_hides(value),
                "itemprop" => {
                    a.itemprop = true;
                    a.article_body = value
                        .split_ascii_whitespace()
                        .any(|p| p.eq_ignore_ascii_case("articleBody"));
                }
                _ => {}
            }
        }
        a.hidden |= a.class.is_some_and(hints::is_hiding_class);
        a
    }
}

fn style_hides(style: &str) -> bool {
    if !style.contains("none") && !style.contains("hidden") && !style.contains("NONE") {
        return false;
    }
    let mut compact = String::with_capacity(style.len());
    compact.extend(
        style
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase()),
    );
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

/// One node of the flat view. Counts cover the node's visible subtree.
#[derive(Clone, Copy)]
pub struct FNode<'a> {
    pub node: NodeRef<'a, Node>,
    pub parent: u32,
    /// One past the last descendant: the subtree is `index..end`.
    pub end: u32,
    pub tag: Tag,
    /// Class/id weight: positive for article-like names, negative for
    /// boilerplate-like ones (see [`hints`]).
    pub hint: i16,
    /// The class/id contains a boilerplate word, whatever else it contains.
    pub boilerplate_name: bool,
    /// The class/id marks a region that should not vote (comments, related).
    pub unlikely_name: bool,
    /// The class/id names a reader comment or comment thread.
    pub comment_name: bool,
    /// The class/id's boilerplate words are all weak ones (see
    /// [`hints::Hint::weak_boilerplate`]).
    pub weak_boilerplate_name: bool,
    /// The element declares itself the article body: `itemprop=articleBody`
    /// or a body-container name (`entry-content`, `post-body`).
    pub body_signal: bool,
    /// Visible characters, whitespace runs counted as one.
    pub chars: u32,
    /// Of `chars`, those inside links.
    pub link_chars: u32,
    /// Characters not inside a nested block element: the node's own
    /// paragraph text when it is a block.
    pub inline_chars: u32,
    pub inline_link_chars: u32,
    pub commas: u32,
    pub inline_commas: u32,
    /// Text blocks of paragraph size in the subtree (see [`MIN_PARAGRAPH_CHARS`]).
    pub paragraphs: u32,
    /// Characters in those paragraph blocks.
    pub paragraph_chars: u32,
    pub images: u32,
    pub list_items: u32,
    pub embeds: u32,
    /// A direct child is a block element (the node mixes or wraps blocks).
    pub has_block_child: bool,
}

/// A block with at least this much own text counts as a paragraph.
/// Readability's 25 characters: shorter lines are labels, bylines, buttons.
pub const MIN_PARAGRAPH_CHARS: u32 = 25;

/// The flat document plus what the head said (collected during the same
/// walk so metadata needs no second traversal).
pub struct Flat<'a> {
    pub nodes: Vec<FNode<'a>>,
    pub html: Option<NodeRef<'a, Node>>,
    pub body: Option<u32>,
    pub metas: Vec<NodeRef<'a, Node>>,
    pub links: Vec<NodeRef<'a, Node>>,
    pub title: Option<NodeRef<'a, Node>>,
    pub json_ld: Vec<NodeRef<'a, Node>>,
    /// `<time>` elements and anything with an `itemprop` in visible content.
    pub times: Vec<u32>,
    pub itemprops: Vec<u32>,
}

impl<'a> Flat<'a> {
    pub fn build(doc: &'a Html) -> Flat<'a> {
        let mut flat = Flat {
            nodes: Vec::with_capacity(doc.tree.nodes().len()),
            html: None,
            body: None,
            metas: Vec::new(),
            links: Vec::new(),
            title: None,
            json_ld: Vec::new(),
            times: Vec::new(),
            itemprops: Vec::new(),
        };
        let mut open: Vec<u32> = Vec::new();
        // The node whose subtree is being left out, until it closes.
        let mut skipping: Option<ego_tree::NodeId> = None;
        let mut hint_buf = String::new();
        for edge in doc.tree.root().traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    let (tag, hint) = match node.value() {
                        Node::Document | Node::Fragment => (Tag::Document, hints::Hint::default()),
                        Node::Text(_) => (Tag::Text, hints::Hint::default()),
                        Node::Element(el) => {
                            let name = el.name();
                            if is_invisible_tag(name) {
                                flat.note_head_node(name, el, node);
                                // Players and embeds are left out, but a
                                // container of them is a media widget.
                                if matches!(name, "iframe" | "object" | "embed" | "video" | "audio")
                                {
                                    if let Some(p) =
                                        open.last().and_then(|&p| flat.nodes.get_mut(p as usize))
                                    {
                                        p.embeds += 1;
                                    }
                                }
                                skipping = Some(node.id());
                                continue;
                            }
                            let attrs = Attrs::of(el);
                            if attrs.hidden {
                                skipping = Some(node.id());
                                continue;
                            }
                            if attrs.itemprop {
                                flat.itemprops.push(flat.nodes.len() as u32);
                            }
                            let tag = Tag::of(name);
                            // A subheading's generated anchor id
                            // (`nav_the_heading__1`) says nothing of its
                            // role (see [`hints::is_anchor_slug`]).
                            let id = attrs.id.filter(|id| {
                                !(matches!(tag, Tag::Heading(2..=6)) && hints::is_anchor_slug(id))
                            });
                            let mut hint = hints::weight(attrs.class, id, &mut hint_buf);
                            hint.body |= attrs.article_body;
                            (tag, hint)
                        }
                        _ => {
                            skipping = Some(node.id());
                            continue;
                        }
                    };
                    let index = flat.nodes.len() as u32;
                    let body_signal = hint.body;
                    match tag {
                        Tag::Html => flat.html = Some(node),
                        Tag::Body if flat.body.is_none() => flat.body = Some(index),
                        Tag::Time => flat.times.push(index),
                        _ => {}
                    }
                    flat.nodes.push(FNode {
                        node,
                        parent: open.last().copied().unwrap_or(NONE),
                        end: index + 1,
                        tag,
                        hint: hint.weight,
                        boilerplate_name: hint.boilerplate,
                        unlikely_name: hint.unlikely,
                        comment_name: hint.comment,
                        weak_boilerplate_name: hint.weak_boilerplate,
                        body_signal,
                        chars: 0,
                        link_chars: 0,
                        inline_chars: 0,
                        inline_link_chars: 0,
                        commas: 0,
                        inline_commas: 0,
                        paragraphs: 0,
                        paragraph_chars: 0,
                        images: 0,
                        list_items: 0,
                        embeds: 0,
                        has_block_child: false,
                    });
                    open.push(index);
                }
                Edge::Close(node) => {
                    if let Some(skip) = skipping {
                        if skip == node.id() {
                            skipping = None;
                        }
                        continue;
                    }
                    if let Some(index) = open.pop() {
                        let end = flat.nodes.len() as u32;
                        if let Some(n) = flat.nodes.get_mut(index as usize) {
                            n.end = end;
                        }
                    }
                }
            }
        }
        flat.sum_up();
        flat
    }

    /// Remembers the head elements metadata reads, although their content
    /// is never rendered.
    fn note_head_node(&mut self, name: &str, el: &scraper::node::Element, node: NodeRef<'a, Node>) {
        match name {
            "meta" => self.metas.push(node),
            "link" => self.links.push(node),
            "title" if self.title.is_none() => self.title = Some(node),
            "script"
                if el
                    .attr("type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) =>
            {
                self.json_ld.push(node);
            }
            "head" => {
                // The head's children are skipped with it; collect the ones
                // metadata needs right here (a head is small and shallow).
                for child in node.descendants() {
                    if let Node::Element(c) = child.value() {
                        match c.name() {
                            "meta" => self.metas.push(child),
                            "link" => self.links.push(child),
                            "title" if self.title.is_none() => self.title = Some(child),
                            "script"
                                if c.attr("type").is_some_and(|t| {
                                    t.trim().eq_ignore_ascii_case("application/ld+json")
                                }) =>
                            {
                                self.json_ld.push(child)
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Fills every node's counts from its children: one reverse sweep, since
    /// in pre-order all descendants come after their ancestor.
    fn sum_up(&mut self) {
        for i in (0..self.nodes.len()).rev() {
            let n = self.nodes[i];
            let mut done = n;
            match n.tag {
                Tag::Text => {
                    if let Node::Text(t) = n.node.value() {
                        let (chars, commas) = text_stats(t);
                        done.chars = chars;
                        done.inline_chars = chars;
                        done.commas = commas;
                        done.inline_commas = commas;
                    }
                }
                Tag::A => {
                    done.link_chars = n.chars;
                    done.inline_link_chars = n.inline_chars;
                }
                Tag::Img => done.images += 1,
                Tag::Li => done.list_items += 1,
                _ => {}
            }
            if done.tag.is_block()
                && (done.inline_chars >= MIN_PARAGRAPH_CHARS
                    || done.tag == Tag::P && done.chars > 0)
            {
                done.paragraphs += 1;
                done.paragraph_chars += done.inline_chars;
            }
            self.nodes[i] = done;
            let Some(p) = self.nodes.get_mut(n.parent as usize) else {
                continue;
            };
            p.chars += done.chars;
            p.link_chars += done.link_chars;
            p.commas += done.commas;
            p.paragraphs += done.paragraphs;
            p.paragraph_chars += done.paragraph_chars;
            p.images += done.images;
            p.list_items += done.list_items;
            p.embeds += done.embeds;
            if done.tag.is_block() {
                p.has_block_child = true;
            } else {
                p.inline_chars += done.inline_chars;
                p.inline_link_chars += done.inline_link_chars;
                p.inline_commas += done.inline_commas;
            }
        }
    }

    pub fn element(&self, i: u32) -> Option<&'a scraper::node::Element> {
        self.nodes
            .get(i as usize)
            .and_then(|n| n.node.value().as_element())
    }

    /// Share of the subtree's text that sits inside links.
    pub fn link_density(&self, i: u32) -> f32 {
        let n = &self.nodes[i as usize];
        if n.chars == 0 {
            0.0
        } else {
            n.link_chars as f32 / n.chars as f32
        }
    }

    pub fn is_ancestor(&self, ancestor: u32, node: u32) -> bool {
        let a = &self.nodes[ancestor as usize];
        ancestor <= node && node < a.end
    }

    /// The nearest node that holds both `a` (or `a` itself) and `b`;
    /// `None` when they are in different trees.
    pub fn common_ancestor(&self, a: u32, b: u32) -> Option<u32> {
        let mut lca = a;
        while !self.is_ancestor(lca, b) {
            lca = self.nodes[lca as usize].parent;
            if lca == NONE {
                return None;
            }
        }
        Some(lca)
    }
}

/// Chinese and Japanese script: written without spaces, one character
/// carrying about a word's worth of text.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'     // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}'   // CJK Extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK Unified Ideographs
        | '\u{F900}'..='\u{FAFF}'   // Compatibility Ideographs
        | '\u{20000}'..='\u{2FA1F}' // Extensions B..F, supplement
    )
}

/// A Chinese or Japanese character counts as this many characters in the
/// text statistics, so that length thresholds tuned on alphabetic text
/// (paragraph size, vote weight) mean the same amount of text: alphabetic
/// words average five or six characters and a space, Chinese words two
/// characters.
const CJK_CHAR_WEIGHT: u32 = 2;

/// Characters (whitespace runs as one, leading/trailing runs dropped; CJK
/// weighted by [`CJK_CHAR_WEIGHT`]) and commas (Latin and CJK) of one text
/// node.
fn text_stats(text: &str) -> (u32, u32) {
    let mut chars = 0u32;
    let mut seen_word = false;
    let mut commas = 0u32;
    let mut in_space = true;
    for c in text.chars() {
        if c.is_whitespace() {
            in_space = true;
            continue;
        }
        if in_space {
            if seen_word {
                chars += 1;
            }
            seen_word = true;
            in_space = false;
        }
        chars += if is_cjk(c) { CJK_CHAR_WEIGHT } else { 1 };
        if matches!(c, ',' | '，' | '、' | '،') {
            commas += 1;
        }
    }
    (chars, commas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_summed_bottom_up() {
        let doc = Html::parse_document(
            "<body><div id=a><p>Hello, world, this is a long enough sentence.</p><p><a href=x>link text</a> tail</p>\
             <script>var x = 1;</script><div hidden>secret</div></div></body>",
        );
        let flat = Flat::build(&doc);
        let body = flat.body.expect("body") as usize;
        let b = &flat.nodes[body];
        // The long sentence, and the short <p> (a <p> is a paragraph at any length).
        assert_eq!(b.paragraphs, 2);
        assert_eq!(b.link_chars, 9);
        assert_eq!(b.commas, 2);
        assert!(
            !flat
                .nodes
                .iter()
                .any(|n| matches!(n.node.value(), Node::Text(t) if t.contains("secret")))
        );
        assert!(
            !flat
                .nodes
                .iter()
                .any(|n| matches!(n.node.value(), Node::Text(t) if t.contains("var x")))
        );
    }

    #[test]
    fn deep_nesting_is_iterative() {
        let html = "<div>".repeat(4_000) + "deep text" + &"</div>".repeat(4_000);
        let doc = Html::parse_document(&html);
        let flat = Flat::build(&doc);
        assert!(flat.nodes.len() > 4_000);
        assert_eq!(flat.nodes[flat.body.expect("body") as usize].chars, 9);
    }

    #[test]
    fn text_stats_collapse_whitespace() {
        assert_eq!(text_stats("  a  b,c \n"), (5, 1));
        assert_eq!(text_stats(""), (0, 0));
    }
}
