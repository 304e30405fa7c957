//! Editing feeds.toml in place: `feeds add`, `feeds remove`, `feeds import`.
//!
//! feeds.toml is a file people write by hand and annotate. A tool that
//! rewrites it from the parsed config would drop every comment and reorder
//! keys, so edits go through `toml_edit`, which keeps the document as
//! written: everything the command did not touch stays byte for byte.
//!
//! Two rules about comments decide what "the entry" is when one is removed:
//! a comment block directly above a `[[feed]]` header (no blank line in
//! between) describes that feed and goes with it; a comment block directly
//! below the entry's last line and followed by a blank line (typically a
//! commented-out key) belongs to it too. Comment blocks set apart by blank
//! lines (section headings such as `# Atom feeds`) stay.
//!
//! Every write is validated with [`Config::parse`] first and then made
//! atomic (a temporary file in the same directory, fsync, rename, fsync of
//! the directory), so the daemon's file watcher, a crash or a full disk
//! never see half a file. The file's permissions and owner are kept, a
//! symlinked feeds.toml stays a symlink, and an edit made by someone else
//! between our read and our write is detected instead of overwritten.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};
use url::Url;

use super::{Config, ConfigError, FeedConfig, feed_identity};

/// What a feeds.toml created by `feeds add`/`feeds import` starts with: the
/// settings header, so people see where settings go, and a pointer to the
/// documentation.
pub const NEW_FILE: &str = "\
# feedsift configuration. `feedsift check` validates it; the README section
# \"Configuration\" lists every setting. `feedsift feeds add|remove|import`
# edit this file in place and keep comments like these.

[settings]
";

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {message}", path.display())]
    Unsupported { path: PathBuf, message: String },
    #[error("{}: the file changed while feedsift was editing it; nothing was written, run the command again", path.display())]
    Changed { path: PathBuf },
}

/// A feed entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFeed {
    pub url: Url,
    pub name: Option<String>,
    /// As the user wrote it (`30m`), already checked by the caller.
    pub interval: Option<String>,
    /// `always`/`never`; `None` leaves the default (`auto`) implicit.
    pub full_text: Option<String>,
    pub tags: Vec<String>,
}

/// How a URL matches the configured feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The same URL, character for character after URL parsing.
    Exact(usize),
    /// Not the same string but the same feed ([`feed_identity`]): http ≡
    /// https, `www.`, trailing slash, tracking parameters. A valid config
    /// holds at most one feed per identity.
    Equivalent(usize),
    Absent,
}

/// Finds `url` among `feeds`.
pub fn lookup(feeds: &[FeedConfig], url: &Url) -> Lookup {
    if let Some(i) = feeds.iter().position(|f| &f.url == url) {
        return Lookup::Exact(i);
    }
    let identity = feed_identity(url);
    match feeds.iter().position(|f| feed_identity(&f.url) == identity) {
        Some(i) => Lookup::Equivalent(i),
        None => Lookup::Absent,
    }
}

/// A feed URL as feeds.toml accepts it (http or https) from what a person
/// typed or an OPML file holds: surrounding space trimmed, `https://`
/// assumed when no scheme is given, and the `feed://host/x` and
/// `feed:https://host/x` pseudo-schemes some readers use turned into HTTP.
pub fn feed_url(text: &str) -> Result<Url, String> {
    let text = text.trim();
    let address = if let Some(rest) = text.strip_prefix("feed:") {
        if rest.starts_with("http://") || rest.starts_with("https://") {
            rest.to_owned()
        } else {
            format!("http:{rest}")
        }
    } else if !text.contains("://") && (!text.contains(':') || has_port(text)) {
        // `host/path` or `host:port/path`, not `mailto:` and friends.
        format!("https://{text}")
    } else {
        text.to_owned()
    };
    let url = Url::parse(&address).map_err(|e| format!("{text:?} is not a valid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{text:?} is a {} URL; feeds must be http or https",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
    }
    Ok(url)
}

/// `host:port` or `host:port/path`: digits after the first colon, up to
/// the end or a slash.
fn has_port(text: &str) -> bool {
    text.split_once(':').is_some_and(|(host, rest)| {
        let port = rest.split('/').next().unwrap_or_default();
        !host.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether `text` names its scheme; without one [`feed_url`] assumes
/// `https://`.
pub fn has_scheme(text: &str) -> bool {
    let text = text.trim();
    text.contains("://") || text.starts_with("feed:") || (text.contains(':') && !has_port(text))
}

/// feeds.toml opened for editing.
pub struct FeedsFile {
    /// The path as given, for messages.
    path: PathBuf,
    /// The file's text when it was read; `None` when it did not exist.
    original: Option<String>,
    doc: DocumentMut,
    /// The validated config of the text as read.
    config: Config,
    /// Set after an append: the position for the next one. The document
    /// then ends with our entry, so a batch (an OPML import) appends
    /// without re-rendering the whole document each time.
    appended_up_to: Option<isize>,
}

impl FeedsFile {
    /// Reads and validates feeds.toml; a missing file starts from
    /// [`NEW_FILE`] and is created on [`FeedsFile::save`].
    pub fn open(path: &Path) -> Result<FeedsFile, EditError> {
        let original = match fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(EditError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let text = original.as_deref().unwrap_or(NEW_FILE);
        // Config::parse first: its messages name file:line:column and the
        // setting, which is what a person fixing the file needs.
        let config = Config::parse(path, text)?;
        let doc: DocumentMut =
            text.parse()
                .map_err(|e: toml_edit::TomlError| EditError::Unsupported {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
        if doc.get("feed").is_some_and(|f| !f.is_array_of_tables()) {
            return Err(EditError::Unsupported {
                path: path.to_path_buf(),
                message: "`feed` is written as an inline array; feedsift edits `[[feed]]` \
                          tables only (rewrite the entries as [[feed]] tables, see the README)"
                    .into(),
            });
        }
        Ok(FeedsFile {
            path: path.to_path_buf(),
            original,
            doc,
            config,
            appended_up_to: None,
        })
    }

    /// The config as it was read (before any edit).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// True when the file did not exist and will be created.
    pub fn is_new(&self) -> bool {
        self.original.is_none()
    }

    /// The document as it would be written now.
    pub fn render(&self) -> String {
        self.doc.to_string()
    }

    /// Appends a `[[feed]]` entry at the very end of the file, after any
    /// trailing comments, separated from what precedes it by one blank line.
    pub fn append(&mut self, feed: &NewFeed) {
        let (prefix, position) = match self.appended_up_to {
            // Our own entry ends the document with a newline.
            Some(position) => ("\n".to_owned(), position),
            None => {
                let rendered = self.doc.to_string();
                let gap = if rendered.is_empty() || rendered.ends_with("\n\n") {
                    ""
                } else if rendered.ends_with('\n') {
                    "\n"
                } else {
                    "\n\n"
                };
                // The document's trailing comments move into the new
                // header's prefix: the same bytes in the same place, but
                // now before the entry rather than after it.
                let trailing = self.doc.trailing().as_str().unwrap_or_default().to_owned();
                self.doc.set_trailing("");
                let position = max_position(self.doc.as_table()).map_or(0, |p| p + 1);
                (format!("{trailing}{gap}"), position)
            }
        };
        self.appended_up_to = Some(position + 1);

        let mut table = Table::new();
        table.set_position(Some(position));
        table.decor_mut().set_prefix(prefix);
        table.insert("url", value(feed.url.as_str()));
        if let Some(name) = &feed.name {
            table.insert("name", value(name.as_str()));
        }
        if let Some(interval) = &feed.interval {
            table.insert("interval", value(interval.as_str()));
        }
        if let Some(full_text) = &feed.full_text {
            table.insert("full_text", value(full_text.as_str()));
        }
        if !feed.tags.is_empty() {
            let tags: toml_edit::Array = feed.tags.iter().map(String::as_str).collect();
            table.insert("tags", value(tags));
        }
        let feeds = self
            .doc
            .entry("feed")
            .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
        if let Some(array) = feeds.as_array_of_tables_mut() {
            array.push(table);
        }
    }

    /// Removes the `index`-th feed (file order, as in [`Config::feeds`])
    /// with the comments that belong to it (see the module docs).
    pub fn remove(&mut self, index: usize) -> bool {
        let Some(array) = self
            .doc
            .get_mut("feed")
            .and_then(Item::as_array_of_tables_mut)
        else {
            return false;
        };
        if index >= array.len() {
            return false;
        }
        let removed = array.remove(index);
        self.appended_up_to = None;
        if array.is_empty() {
            self.doc.remove("feed");
        }
        let prefix = prefix_of(&removed);
        let (lead, _attached) = split_attached(&prefix);
        let after = removed_end_position(&removed);
        let next = after.and_then(|p| next_position(self.doc.as_table(), p));
        let moved_to_next = next.is_some_and(|p| {
            with_table_at(self.doc.as_table_mut(), p, &mut |next| {
                let next_prefix = prefix_of(next);
                let (_hugging, rest) = split_hugging(&next_prefix, false);
                next.decor_mut().set_prefix(join_gap(lead, rest));
            })
        });
        if !moved_to_next {
            let trailing = self.doc.trailing().as_str().unwrap_or_default().to_owned();
            let (_hugging, rest) = split_hugging(&trailing, true);
            // At the end of the file a blank-only lead would leave a stray
            // blank line behind; only comments are worth keeping.
            let merged = if has_comment(lead) {
                join_gap(lead, rest)
            } else {
                rest.to_owned()
            };
            self.doc.set_trailing(merged);
        }
        true
    }

    /// Validates the edited document and writes it atomically; returns the
    /// config that was written.
    pub fn save(&self) -> Result<Config, EditError> {
        let text = self.render();
        let config = Config::parse(&self.path, &text)?;
        write_atomically(
            &self.path,
            text.as_bytes(),
            self.original.as_deref().map(str::as_bytes),
        )?;
        Ok(config)
    }
}

fn prefix_of(table: &Table) -> String {
    table
        .decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

fn is_blank_line(line: &str) -> bool {
    line.trim().is_empty() && line.ends_with('\n')
}

fn has_comment(text: &str) -> bool {
    text.split_inclusive('\n').any(is_comment_line)
}

/// Splits a header's prefix into what stays (`lead`) and the comment block
/// directly above the header (`attached`, with the header's indentation).
fn split_attached(prefix: &str) -> (&str, &str) {
    let lines: Vec<&str> = prefix.split_inclusive('\n').collect();
    let mut cut = prefix.len();
    for line in lines.iter().rev() {
        // The last piece without a newline is the header's indentation.
        if !line.ends_with('\n') || is_comment_line(line) {
            cut -= line.len();
        } else {
            break;
        }
    }
    prefix.split_at(cut)
}

/// Splits the prefix of the header after a removed entry into the comment
/// block hugging the removed entry's last line (`hugging`: comment lines at
/// the very start, ended by a blank line — or by the end of the file when
/// `at_end`) and the rest.
fn split_hugging(prefix: &str, at_end: bool) -> (&str, &str) {
    let mut cut = 0;
    for line in prefix.split_inclusive('\n') {
        if is_comment_line(line) && line.ends_with('\n') {
            cut += line.len();
        } else if is_blank_line(line) {
            return prefix.split_at(cut);
        } else {
            break;
        }
    }
    if at_end && cut == prefix.len() {
        return prefix.split_at(cut);
    }
    ("", prefix)
}

/// Joins what stays of the removed entry's prefix with the next header's
/// prefix without doubling the blank line between them.
fn join_gap(lead: &str, rest: &str) -> String {
    let lead_ends_blank = lead
        .split_inclusive('\n')
        .next_back()
        .is_some_and(is_blank_line);
    match rest.split_inclusive('\n').next() {
        Some(first) if lead_ends_blank && is_blank_line(first) => {
            format!("{lead}{}", &rest[first.len()..])
        }
        _ => format!("{lead}{rest}"),
    }
}

/// Calls `f` on every table written as a header (`[x]` / `[[x]]`).
fn for_each_header<'a>(table: &'a Table, f: &mut dyn FnMut(&'a Table)) {
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => {
                if is_header(t) {
                    f(t);
                }
                for_each_header(t, f);
            }
            Item::ArrayOfTables(array) => {
                for t in array.iter() {
                    if is_header(t) {
                        f(t);
                    }
                    for_each_header(t, f);
                }
            }
            _ => {}
        }
    }
}

fn is_header(t: &Table) -> bool {
    !t.is_implicit() && !t.is_dotted() && t.position().is_some()
}

fn max_position(root: &Table) -> Option<isize> {
    let mut max = None;
    for_each_header(root, &mut |t| max = max.max(t.position()));
    max
}

/// The position of the last header inside a removed entry (the entry's own
/// `[[feed]]`, or its `[feed.extract]`).
fn removed_end_position(removed: &Table) -> Option<isize> {
    let mut last = removed.position();
    for_each_header(removed, &mut |t| last = last.max(t.position()));
    last
}

fn next_position(root: &Table, after: isize) -> Option<isize> {
    let mut next: Option<isize> = None;
    for_each_header(root, &mut |t| {
        if let Some(p) = t.position().filter(|p| *p > after) {
            next = Some(next.map_or(p, |n| n.min(p)));
        }
    });
    next
}

/// Applies `f` to the header table at `position`; false if there is none.
fn with_table_at(table: &mut Table, position: isize, f: &mut dyn FnMut(&mut Table)) -> bool {
    for (_, item) in table.iter_mut() {
        let tables: Vec<&mut Table> = match item {
            Item::Table(t) => vec![t],
            Item::ArrayOfTables(array) => array.iter_mut().collect(),
            _ => continue,
        };
        for t in tables {
            if is_header(t) && t.position() == Some(position) {
                f(t);
                return true;
            }
            if with_table_at(t, position, f) {
                return true;
            }
        }
    }
    false
}

/// Replaces the file at `path` with `contents` atomically. `expected` is
/// the content read before editing (`None`: the file did not exist); if the
/// file no longer holds it, nothing is written and [`EditError::Changed`]
/// is returned.
pub fn write_atomically(
    path: &Path,
    contents: &[u8],
    expected: Option<&[u8]>,
) -> Result<(), EditError> {
    let io_err = |source: io::Error| EditError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Write through a symlink to its target: renaming over the link would
    // replace it with a regular file.
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(io_err)?,
        _ => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "feeds.toml".into());
    let existing = match fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(e)),
    };

    let temp = TempFile::create(&dir, &name).map_err(io_err)?;
    let mut file = &temp.file;
    file.write_all(contents).map_err(io_err)?;
    if let Some(meta) = &existing {
        file.set_permissions(meta.permissions()).map_err(io_err)?;
        keep_owner(&temp.file, meta);
    }
    file.sync_all().map_err(io_err)?;

    // Optimistic concurrency: the check and the rename are not one atomic
    // step, but this catches an editor save or a second `feeds add` that
    // landed while we were fetching.
    let now = match fs::read(&target) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(e)),
    };
    if now.as_deref() != expected {
        return Err(EditError::Changed {
            path: path.to_path_buf(),
        });
    }
    fs::rename(&temp.path, &target).map_err(io_err)?;
    temp.disarm();
    // The rename is durable only once the directory entry is on disk.
    if let Err(e) = fs::File::open(&dir).and_then(|d| d.sync_all()) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot fsync the directory after writing feeds.toml");
    }
    Ok(())
}

/// Root can edit a file owned by the service user; the new file must stay
/// theirs or the daemon can no longer read it. Best effort: a user without
/// the right to change ownership already owns the file they could edit.
#[cfg(unix)]
fn keep_owner(file: &fs::File, meta: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    let Ok(new) = file.metadata() else { return };
    if (new.uid(), new.gid()) == (meta.uid(), meta.gid()) {
        return;
    }
    if let Err(e) = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())) {
        tracing::warn!(error = %e, uid = meta.uid(), gid = meta.gid(), "cannot keep feeds.toml's owner");
    }
}

#[cfg(not(unix))]
fn keep_owner(_file: &fs::File, _meta: &fs::Metadata) {}

/// A temporary file next to the target, removed unless renamed into place.
struct TempFile {
    path: PathBuf,
    file: fs::File,
    armed: std::cell::Cell<bool>,
}

impl TempFile {
    fn create(dir: &Path, name: &str) -> io::Result<TempFile> {
        let pid = std::process::id();
        // A few attempts cover a stale file left by a killed process with a
        // recycled pid; `create_new` never follows or truncates anything.
        let mut last = None;
        for attempt in 0..8u32 {
            let path = dir.join(format!(".{name}.{pid}.{attempt}.tmp"));
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file,
                        armed: std::cell::Cell::new(true),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("cannot create a temporary file")))
    }

    fn disarm(&self) {
        self.armed.set(false);
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed.get() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(text: &str) -> (tempdir::Dir, FeedsFile) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("feeds.toml");
        fs::write(&path, text).unwrap();
        let file = FeedsFile::open(&path).unwrap();
        (dir, file)
    }

    mod tempdir {
        use std::path::PathBuf;
        use std::sync::atomic::{AtomicUsize, Ordering};

        pub struct Dir(pub PathBuf);
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        impl Dir {
            pub fn new() -> Dir {
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let dir =
                    std::env::temp_dir().join(format!("feedsift-edit-{}-{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).unwrap();
                Dir(dir)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn new_feed(url: &str) -> NewFeed {
        NewFeed {
            url: Url::parse(url).unwrap(),
            name: Some("New \"one\"".into()),
            interval: Some("30m".into()),
            full_text: None,
            tags: vec!["a".into(), "b c".into()],
        }
    }

    const FILE: &str = "\
# top comment
[settings]
database = \"x.db\"   # trailing comment
poll_interval=\"15m\"

# RSS 2.0
[[feed]]
url = \"https://a.example/rss\"
name = 'A'

[[feed]]
url = \"https://b.example/rss\"
# interval = \"5m\"

# Atom
# (two lines)
[[feed]]
url = \"https://c.example/atom\"

[feed.extract]
content = \"article\"

[[feed]]
url = \"https://d.example/feed\"
";

    #[test]
    fn append_keeps_every_byte_and_goes_last() {
        let (_d, mut f) = edit(FILE);
        f.append(&new_feed("https://e.example/feed"));
        let out = f.render();
        assert_eq!(
            out,
            format!(
                "{FILE}\n[[feed]]\nurl = \"https://e.example/feed\"\nname = 'New \"one\"'\ninterval = \"30m\"\ntags = [\"a\", \"b c\"]\n"
            )
        );
        let config = Config::parse(Path::new("feeds.toml"), &out).unwrap();
        assert_eq!(config.feeds.len(), 5);
        assert_eq!(config.feeds[4].tags, vec!["a", "b c"]);
    }

    #[test]
    fn batch_appends_follow_each_other() {
        let text = "[settings]\n\n# end comment\n";
        let (_d, mut f) = edit(text);
        let mut one = new_feed("https://one.example/");
        one.name = None;
        one.interval = None;
        one.tags.clear();
        let mut two = one.clone();
        two.url = Url::parse("https://two.example/").unwrap();
        f.append(&one);
        f.append(&two);
        assert_eq!(
            f.render(),
            "[settings]\n\n# end comment\n\n[[feed]]\nurl = \"https://one.example/\"\n\n[[feed]]\nurl = \"https://two.example/\"\n"
        );
    }

    #[test]
    fn append_after_trailing_comments_and_without_final_newline() {
        let text = "[settings]\n\n[[feed]]\nurl = \"https://a.example/\"\n\n# [[feed]]\n# url = \"https://old.example/\"\n";
        let (_d, mut f) = edit(text);
        f.append(&new_feed("https://e.example/"));
        assert!(f.render().starts_with(text), "{}", f.render());
        assert!(f.render()[text.len()..].starts_with("\n[[feed]]\nurl = \"https://e.example/\""));

        let text = "[settings]\ndatabase = \"x.db\"";
        let (_d, mut f) = edit(text);
        f.append(&new_feed("https://e.example/"));
        assert!(
            f.render()
                .starts_with("[settings]\ndatabase = \"x.db\"\n\n[[feed]]\n"),
            "{:?}",
            f.render()
        );
        Config::parse(Path::new("f.toml"), &f.render()).unwrap();
    }

    #[test]
    fn append_to_a_file_that_ends_with_another_table() {
        let text = "[[feed]]\nurl = \"https://a.example/\"\n\n[settings]\ndatabase = \"x.db\"\n";
        let (_d, mut f) = edit(text);
        f.append(&new_feed("https://e.example/"));
        assert!(f.render().starts_with(text));
        let config = Config::parse(Path::new("f.toml"), &f.render()).unwrap();
        assert_eq!(config.feeds.len(), 2);
    }

    #[test]
    fn remove_middle_entry_takes_its_hugging_comment_only() {
        let (_d, mut f) = edit(FILE);
        assert!(f.remove(1));
        let expected = FILE.replace(
            "[[feed]]\nurl = \"https://b.example/rss\"\n# interval = \"5m\"\n\n",
            "",
        );
        assert_eq!(f.render(), expected);
    }

    #[test]
    fn remove_takes_the_attached_comment_block_and_subtables() {
        let (_d, mut f) = edit(FILE);
        assert!(f.remove(2));
        let expected = FILE.replace(
            "# Atom\n# (two lines)\n[[feed]]\nurl = \"https://c.example/atom\"\n\n[feed.extract]\ncontent = \"article\"\n\n",
            "",
        );
        assert_eq!(f.render(), expected);
    }

    #[test]
    fn remove_first_keeps_a_detached_heading() {
        let text = "[settings]\n\n# Section\n\n# about A\n[[feed]]\nurl = \"https://a.example/\"\n\n[[feed]]\nurl = \"https://b.example/\"\n";
        let (_d, mut f) = edit(text);
        assert!(f.remove(0));
        assert_eq!(
            f.render(),
            "[settings]\n\n# Section\n\n[[feed]]\nurl = \"https://b.example/\"\n"
        );
    }

    #[test]
    fn remove_last_leaves_no_stray_blank_line() {
        let (_d, mut f) = edit(FILE);
        assert!(f.remove(3));
        let expected = FILE.replace("\n[[feed]]\nurl = \"https://d.example/feed\"\n", "");
        assert_eq!(f.render(), expected);
        assert!(!f.remove(3));
    }

    #[test]
    fn remove_the_only_feed() {
        let text = "[settings]\n\n[[feed]]\nurl = \"https://a.example/\"\n";
        let (_d, mut f) = edit(text);
        assert!(f.remove(0));
        assert_eq!(f.render(), "[settings]\n");
        Config::parse(Path::new("f.toml"), &f.render()).unwrap();
    }

    #[test]
    fn lookup_exact_and_equivalent() {
        let (_d, f) = edit(FILE);
        let feeds = &f.config().feeds;
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(lookup(feeds, &u("https://b.example/rss")), Lookup::Exact(1));
        assert_eq!(
            lookup(feeds, &u("http://www.b.example/rss/")),
            Lookup::Equivalent(1)
        );
        assert_eq!(lookup(feeds, &u("https://z.example/")), Lookup::Absent);
    }

    #[test]
    fn feed_urls_from_people_and_opml() {
        let ok = |s: &str| feed_url(s).unwrap().to_string();
        assert_eq!(ok(" https://a.example/feed "), "https://a.example/feed");
        assert_eq!(ok("a.example/feed"), "https://a.example/feed");
        assert_eq!(ok("a.example:8080/feed"), "https://a.example:8080/feed");
        assert_eq!(ok("localhost:8080/feed"), "https://localhost:8080/feed");
        assert_eq!(ok("127.0.0.1:8080"), "https://127.0.0.1:8080/");
        assert!(!has_scheme("localhost:8080/feed"));
        assert!(!has_scheme("a.example/feed"));
        assert!(has_scheme("http://a.example/feed"));
        assert!(has_scheme("mailto:x@a.example"));
        assert_eq!(ok("feed://a.example/rss"), "http://a.example/rss");
        assert_eq!(ok("feed:https://a.example/rss"), "https://a.example/rss");
        assert!(
            feed_url("mailto:x@a.example")
                .unwrap_err()
                .contains("http or https")
        );
        assert!(feed_url("ftp://a.example/").is_err());
        assert!(feed_url("https://").is_err());
    }

    #[test]
    fn inline_feed_array_is_refused_clearly() {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("feeds.toml");
        fs::write(&path, "feed = [{ url = \"https://a.example/\" }]\n").unwrap();
        let Err(e) = FeedsFile::open(&path) else {
            panic!("inline array accepted")
        };
        assert!(e.to_string().contains("inline array"), "{e}");
    }

    #[test]
    fn missing_file_starts_from_the_template() {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("feeds.toml");
        let mut f = FeedsFile::open(&path).unwrap();
        assert!(f.is_new());
        f.append(&new_feed("https://e.example/"));
        f.save().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(NEW_FILE), "{text}");
        assert!(text.ends_with("tags = [\"a\", \"b c\"]\n"), "{text}");
    }

    #[test]
    fn atomic_write_detects_a_concurrent_change() {
        let (d, mut f) = edit(FILE);
        f.append(&new_feed("https://e.example/"));
        let path = d.0.join("feeds.toml");
        fs::write(&path, "[settings]\n").unwrap();
        let e = f.save().unwrap_err();
        assert!(matches!(e, EditError::Changed { .. }), "{e}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "[settings]\n");
        let leftovers: Vec<_> = fs::read_dir(&d.0).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary file left behind");
    }

    #[test]
    fn invalid_result_is_not_written() {
        let (d, mut f) = edit(FILE);
        let mut bad = new_feed("https://e.example/");
        bad.interval = Some("5".into());
        f.append(&bad);
        let e = f.save().unwrap_err();
        assert!(matches!(e, EditError::Config(_)), "{e}");
        assert_eq!(fs::read_to_string(d.0.join("feeds.toml")).unwrap(), FILE);
    }
}
