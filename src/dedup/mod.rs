//! Dedup stage: decides whether a page is a story we already have.
//!
//! Pure functions and one in-memory index; the store's single writer applies
//! the verdicts in SQLite. Three layers (DESIGN.md, "Deduplication"):
//!
//! 1. The same entry again in the same feed: the store's `(feed, entry key)`.
//! 2. The same page under other URLs: [`canonical`]. Every URL has a
//!    fetchable canonical form and a scheme-insensitive comparison key.
//! 3. The same text on another page: [`fingerprint`] (content hash, MinHash
//!    sketch, shingle Jaccard) found through [`index::NearDupIndex`], placed
//!    by [`root`].
//!
//! # How the writer applies it
//!
//! Columns (added to `articles` by a migration; the contract's `simhash`
//! column stays and is left NULL, see [`fingerprint`] for why MinHash
//! replaced SimHash): `url_key TEXT UNIQUE NOT NULL`, `content_hash TEXT`
//! (16 hex digits, indexed), `word_count INTEGER`, `minhash BLOB` (96 bytes
//! or NULL). The index is rebuilt at start-up from
//! `SELECT id, minhash, <time> FROM articles WHERE minhash IS NOT NULL AND
//! <time> >= :now - window` where `<time>` is `fetched_at` as Unix seconds,
//! and the same `<time>` is passed to [`index::NearDupIndex::insert`].
//! The window is `dedup_window_days` of feeds.toml:
//! `NearDupIndex::rebuild(days * 86_400, now, rows)`. Call
//! [`index::NearDupIndex::expire`] with the current time before each batch.
//!
//! For each fetched page with `extract_status = ok`:
//!
//! 1. `c = canonical::resolve_page_canonical(entry_url, final_url,
//!    extracted.canonical_url)`. If a row has `url_key = c.key`, it is the
//!    same page: add an `article_sources` row, update the text if it changed
//!    (then see *re-extraction*), done. Otherwise store `canonical_url =
//!    c.url`, `url_key = c.key`.
//! 2. `p = fingerprint::Profile::of(text)`; store `p.fingerprint`'s fields.
//!    If the fingerprint is not matchable (under 80 words), the article is a
//!    root; stop.
//! 3. Find the match, first hit wins:
//!    * `c.syndicated_from` names a stored row (by `url_key`): matched, with
//!      `syndication_signal = true`.
//!    * `SELECT id, duplicate_of FROM articles WHERE content_hash = ? AND
//!      word_count >= 80` (any age, text or not): exact copy.
//!    * `index.candidates(&p.fingerprint)`, in order: load each candidate's
//!      `text, duplicate_of, word_count, content_hash, minhash` (skip ids no
//!      longer present). With text: `p.confirm(&Profile::of(text))`. Text
//!      purged: `fingerprint::confirm_fingerprints`. (Jaccard is at most
//!      the smaller shingle set over the larger, and word counts track set
//!      sizes, so a candidate with under 0.2× or over 5× the new word count
//!      can be skipped before its text is loaded.) Take the confirmed
//!      candidate with the highest Jaccard; never merge two stored stories
//!      because a new text resembles both.
//! 4. No match: a root. Match `m` (a [`root::StoredMatch`]): look up the
//!    root's `published_at` and apply [`root::place`]`(new published,
//!    m.root(), root published, signal)`:
//!    `CopyOf { root }` → `duplicate_of = root`; `RootOver { old_root }` →
//!    insert with `duplicate_of = NULL`, then `UPDATE articles SET
//!    duplicate_of = :new WHERE id = :old_root OR duplicate_of = :old_root`
//!    in the same transaction, so no chain ever exists.
//! 5. `index.insert(id, &p.fingerprint, time)` for every matchable article,
//!    copies included (a third copy may resemble the second more than the
//!    root; step 3 maps it to the root through `duplicate_of`).
//!
//! **Re-extraction** of an article: recompute the profile, update
//! `content_hash`, `word_count`, `minhash`, and `index.insert` the same id
//! again (the index forgets the old sketch at its next compaction; until
//! then a stale candidate is rejected by the confirmation). Existing
//! `duplicate_of` links are kept. If the article is a root, run step 3 for
//! it against other roots; a confirmed match published earlier (by
//! [`root::ROOT_PUBLISHED_SLACK_SECS`]) means this root is itself a copy:
//! re-point it and its copies to that root with the `UPDATE` above (roles
//! swapped).
//!
//! **Retention** may purge `text` but must keep `content_hash`,
//! `word_count` and `minhash`: a purged story is then still recognised
//! (exactly, or by [`fingerprint::confirm_fingerprints`]) and not ingested
//! again as new.
//!
//! A canonical that collides with a stored row whose text is *not*
//! confirmed as the same story (content hash or near-dup) is a canonical
//! abuse the heuristics missed: store the page under its own URL instead
//! (`canonical::canonicalize(final_url)`).

pub mod canonical;
pub mod fingerprint;
pub mod index;
pub mod root;
