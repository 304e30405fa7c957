//! Plain-text rendering of chosen subtrees, as a list of blocks.
//!
//! Why blocks and not one string: the promo rules in [`super::clean`] judge
//! paragraph-sized units ("READ MORE: ..." is a whole paragraph, mostly a
//! link, maybe all bold), so the renderer records per block how much of its
//! text sat in links or emphasis while it writes the text. The final text is
//! the kept blocks joined with a blank line (a single newline between list
//! items and table rows).
//!
//! Rules: block elements start a new block; `<br>` is a line break inside a
//! block; whitespace collapses outside `<pre>`; table cells of a row are
//! joined with ` | `; entities are already decoded by the parser.

use scraper::Node;

use super::dom::{Flat, Tag};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Para,
    Heading(u8),
    /// A list item, definition term or description.
    Item,
    Row,
    Quote,
    Caption,
    Pre,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub text: String,
    pub kind: BlockKind,
    /// Visible characters, and of them those in links and in emphasis.
    pub chars: u32,
    pub link_chars: u32,
    pub emph_chars: u32,
    words: u32,
}

impl Block {
    pub fn link_share(&self) -> f32 {
        if self.chars == 0 {
            0.0
        } else {
            self.link_chars as f32 / self.chars as f32
        }
    }

    pub fn emph_share(&self) -> f32 {
        if self.chars == 0 {
            0.0
        } else {
            self.emph_chars as f32 / self.chars as f32
        }
    }

    pub fn words(&self) -> usize {
        self.words as usize
    }

    /// A block of `text` with the given statistics.
    pub fn new(
        text: String,
        kind: BlockKind,
        chars: u32,
        link_chars: u32,
        emph_chars: u32,
    ) -> Block {
        let words = word_count(&text);
        Block {
            text,
            kind,
            chars: chars.max(1),
            link_chars: link_chars.min(chars),
            emph_chars: emph_chars.min(chars),
            words,
        }
    }
}

/// Words in `text`: whitespace-separated tokens, where a run of Chinese or
/// Japanese characters (written without spaces) counts one word per two
/// characters, the average word length of Chinese.
fn word_count(text: &str) -> u32 {
    text.split_whitespace()
        .map(|token| {
            let cjk = token.chars().filter(|&c| super::dom::is_cjk(c)).count() as u32;
            if cjk == 0 { 1 } else { cjk.div_ceil(2).max(1) }
        })
        .sum()
}

struct Open {
    end: u32,
    index: u32,
    tag: Tag,
}

struct Renderer {
    blocks: Vec<Block>,
    line: String,
    pending_space: bool,
    chars: u32,
    link_chars: u32,
    emph_chars: u32,
    links: u32,
    emph: u32,
    pre: u32,
    figure: u32,
    quote: u32,
    /// Innermost open block element: (flat index, tag).
    block: Vec<(u32, Tag)>,
}

/// Renders the subtrees rooted at `roots` (in document order, none inside
/// another) to blocks, leaving out every node `i` with `removed[i]` and its
/// subtree.
pub fn render(flat: &Flat, roots: &[u32], removed: &[bool]) -> Vec<Block> {
    let mut r = Renderer {
        blocks: Vec::new(),
        line: String::new(),
        pending_space: false,
        chars: 0,
        link_chars: 0,
        emph_chars: 0,
        links: 0,
        emph: 0,
        pre: 0,
        figure: 0,
        quote: 0,
        block: Vec::new(),
    };
    let mut open: Vec<Open> = Vec::new();
    for &root in roots {
        let Some(root_node) = flat.nodes.get(root as usize) else {
            continue;
        };
        let mut i = root;
        while i < root_node.end {
            while open.last().is_some_and(|o| o.end <= i) {
                if let Some(o) = open.pop() {
                    r.close(o.tag, o.index);
                }
            }
            let n = &flat.nodes[i as usize];
            if removed.get(i as usize).copied().unwrap_or(false) {
                // A removed block still separates what comes before and after.
                if n.tag.is_block() {
                    r.flush();
                } else {
                    r.pending_space = true;
                }
                i = n.end;
                continue;
            }
            match n.node.value() {
                Node::Text(t) => r.text(t),
                Node::Element(_) => {
                    r.open(n.tag, i);
                    open.push(Open {
                        end: n.end,
                        index: i,
                        tag: n.tag,
                    });
                }
                _ => {}
            }
            i += 1;
        }
        while let Some(o) = open.pop() {
            r.close(o.tag, o.index);
        }
        r.flush();
    }
    r.blocks
}

impl Renderer {
    fn open(&mut self, tag: Tag, index: u32) {
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
                self.pending_space = false;
            }
            Tag::A => self.links += 1,
            Tag::Emph => self.emph += 1,
            Tag::Img | Tag::Inline | Tag::Time | Tag::Text => {}
            _ => {
                self.flush();
                match tag {
                    Tag::Pre => self.pre += 1,
                    Tag::Figure | Tag::Figcaption | Tag::Caption => self.figure += 1,
                    Tag::Blockquote => self.quote += 1,
                    _ => {}
                }
                self.block.push((index, tag));
            }
        }
    }

    fn close(&mut self, tag: Tag, index: u32) {
        match tag {
            Tag::A => self.links = self.links.saturating_sub(1),
            Tag::Emph => self.emph = self.emph.saturating_sub(1),
            Tag::Br | Tag::Td | Tag::Th | Tag::Img | Tag::Inline | Tag::Time | Tag::Text => {}
            _ => {
                self.flush();
                match tag {
                    Tag::Pre => self.pre = self.pre.saturating_sub(1),
                    Tag::Figure | Tag::Figcaption | Tag::Caption => {
                        self.figure = self.figure.saturating_sub(1)
                    }
                    Tag::Blockquote => self.quote = self.quote.saturating_sub(1),
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
                self.count(1);
            }
            self.pending_space = false;
            self.line.push(if c == '\u{A0}' { ' ' } else { c });
            if !c.is_whitespace() {
                self.count(1);
            }
        }
    }

    fn count(&mut self, n: u32) {
        self.chars += n;
        if self.links > 0 {
            self.link_chars += n;
        }
        if self.emph > 0 {
            self.emph_chars += n;
        }
    }

    fn flush(&mut self) {
        self.pending_space = false;
        let text = tidy(&self.line, self.pre > 0);
        self.line.clear();
        let (chars, link_chars, emph_chars) = (self.chars, self.link_chars, self.emph_chars);
        self.chars = 0;
        self.link_chars = 0;
        self.emph_chars = 0;
        if text.is_empty() {
            return;
        }
        let tag = self.block.last().map_or(Tag::Body, |&(_, t)| t);
        let kind = if self.pre > 0 {
            BlockKind::Pre
        } else {
            match tag {
                Tag::Heading(level) => BlockKind::Heading(level),
                Tag::Li | Tag::Dt | Tag::Dd => BlockKind::Item,
                Tag::Tr => BlockKind::Row,
                _ if self.figure > 0 => BlockKind::Caption,
                _ if self.quote > 0 => BlockKind::Quote,
                _ => BlockKind::Para,
            }
        };
        self.blocks
            .push(Block::new(text, kind, chars, link_chars, emph_chars));
    }
}

/// Trims every line of a block and drops empty lines (`<br><br>` inside a
/// paragraph becomes one line break; a real paragraph break comes from
/// block structure).
fn tidy(line: &str, pre: bool) -> String {
    let mut out = String::with_capacity(line.len());
    for l in line.split('\n') {
        let l = if pre { l.trim_end() } else { l.trim() };
        if l.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(l);
    }
    out
}

/// Joins blocks: a blank line between paragraphs, a single line break
/// between consecutive list items or table rows.
pub fn join<'b>(blocks: impl IntoIterator<Item = &'b Block>) -> String {
    let mut out = String::new();
    let mut prev: Option<BlockKind> = None;
    for b in blocks {
        if let Some(p) = prev {
            let tight = matches!(
                (p, b.kind),
                (BlockKind::Item, BlockKind::Item) | (BlockKind::Row, BlockKind::Row)
            );
            out.push_str(if tight { "\n" } else { "\n\n" });
        }
        out.push_str(&b.text);
        prev = Some(b.kind);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(html: &str) -> String {
        let doc = scraper::Html::parse_document(html);
        let flat = Flat::build(&doc);
        let body = flat.body.expect("body");
        let removed = vec![false; flat.nodes.len()];
        join(&render(&flat, &[body], &removed))
    }

    #[test]
    fn paragraphs_headings_lists() {
        let t = text_of(
            "<h2>Title</h2><p>One  two\n three.</p><p>Four<br>five</p><ul><li>a</li><li>b</li></ul><blockquote>q</blockquote>",
        );
        assert_eq!(t, "Title\n\nOne two three.\n\nFour\nfive\n\na\nb\n\nq");
    }

    #[test]
    fn no_glued_words_across_blocks() {
        let t = text_of("<div><a href=x>CLICK HERE</a><ul><li><a>Home</a></li></ul></div>");
        assert_eq!(t, "CLICK HERE\n\nHome");
    }

    #[test]
    fn inline_elements_do_not_split_words() {
        assert_eq!(
            text_of("<p>un<b>believ</b>able <i>and</i> <a>so on</a>.</p>"),
            "unbelievable and so on."
        );
    }

    #[test]
    fn entities_and_invisible_content() {
        let t = text_of(
            "<p>Fish &amp; chips&nbsp;&mdash; caf&eacute;</p><script>x()</script><style>p{}</style>\
             <p hidden>no</p><p aria-hidden=true>no</p><p style='display: none'>no</p><noscript>no</noscript>\
             <form><input value=no><button>no</button><select><option>no</option></select></form>",
        );
        assert_eq!(t, "Fish & chips — café");
    }

    #[test]
    fn tables_as_lines() {
        let t = text_of(
            "<table><tr><th>Name</th><th>Score</th></tr><tr><td>A</td><td>1</td></tr></table>",
        );
        assert_eq!(t, "Name | Score\nA | 1");
    }

    #[test]
    fn pre_keeps_whitespace() {
        assert_eq!(text_of("<pre>a  b\n  c</pre>"), "a  b\n  c");
    }

    #[test]
    fn words_of_text_without_spaces() {
        assert_eq!(word_count("one two three"), 3);
        // Ten Chinese characters are about five words; Latin and Hangul
        // tokens count one each.
        assert_eq!(word_count("周末去山里看红叶了吗"), 5);
        assert_eq!(word_count("iPhone 周末 한국어 단어"), 4);
    }

    #[test]
    fn block_statistics() {
        let doc =
            scraper::Html::parse_document("<p><strong><a href=x>READ MORE</a></strong> here</p>");
        let flat = Flat::build(&doc);
        let removed = vec![false; flat.nodes.len()];
        let blocks = render(&flat, &[flat.body.expect("body")], &removed);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].link_chars, 9);
        assert_eq!(blocks[0].emph_chars, 9);
        assert_eq!(blocks[0].chars, 14);
    }
}
