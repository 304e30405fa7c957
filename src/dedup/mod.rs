//! Dedup stage: is an article a story we already have, and where does it
//! go? Pure functions, one in-memory index, and the decision written once
//! against [`lookup::StoryLookup`], which the store implements; the store
//! only carries the decision out in SQL.
//!
//! Three layers, first hit wins ([`stories::Stories::decide`]):
//!
//! 1. **The same entry again** in the same feed (`(feed, entry key)` of
//!    `article_sources`): updated upstream, or its page fetched at last.
//!    Its row is refreshed (text, fingerprint); its place among stories
//!    stays.
//! 2. **The same page under another URL**: pages are compared by
//!    [`canonical::url_key`] (tracking parameters, `www.`, scheme, trailing
//!    slash and escapes do not count). The poll already skips fetching a
//!    linked page whose key is stored, and records a sighting; after a
//!    fetch, the page's declared canonical decides its key, within
//!    [`canonical::resolve_page_canonical`]'s rules. A stored page gets one
//!    more sighting; its text is replaced only when it was the feed's
//!    stand-in and the new one was extracted from the page. A declared
//!    canonical whose stored row holds a different story (both texts
//!    judgeable, not confirmed alike) is a broken tag: the page is stored
//!    under its own address.
//! 3. **The same text on another page**. The match, first hit wins: the
//!    stored page another site's page declares as its canonical (a
//!    syndication signal); else, for texts of at least
//!    [`fingerprint::MIN_MATCH_WORDS`] words, a stored article with the same
//!    [`fingerprint::ContentHash`] (any age), else the best candidate of the
//!    MinHash index ([`index::NearDupIndex`], stories of the last
//!    `dedup_window_days`) confirmed on the texts — Jaccard, or containment
//!    for a truncated copy — or on the fingerprints when the stored text was
//!    purged ([`fingerprint::confirm_fingerprints`]). A candidate from the
//!    page's own host is compared without the blocks the two pages share
//!    verbatim ([`site_blocks::same_site_match`]): a site's house blurb
//!    does not make its stories one.
//!    [`root::place`] then makes the new article a copy of the story's root,
//!    or, clearly published earlier (or, when the dates cannot tell, free of
//!    the marks a republisher adds: [`origin`]), the story's new root: the
//!    old root and its copies are re-pointed to it in the same transaction,
//!    so `duplicate_of` always names a root.
//!
//! Before all this, a page's text loses its site's learned boilerplate
//! ([`site_blocks`]: lines repeated on the pages of three distinct stories
//! of one host), so neither the stored text nor the fingerprint holds it.
//!
//! Every stored or refreshed article's fingerprint goes into the index
//! ([`stories::Stories::remember`]), copies included: a third copy may
//! resemble the second more than the root, and `duplicate_of` maps it to
//! the root. The index is rebuilt at start-up from the `minhash` of the
//! articles first stored within the window.
//!
//! Columns: `url_key` (unique), `content_hash` (16 hex digits),
//! `word_count`, `minhash` (400 bytes, NULL under the minimum); the
//! contract's `simhash` column stays NULL ([`fingerprint`] says why MinHash
//! replaced it). Retention purges `text` but keeps these, so a purged story
//! is still recognised rather than ingested again as new.

pub mod canonical;
pub mod fingerprint;
pub mod index;
pub mod lookup;
pub mod origin;
pub mod root;
pub mod site_blocks;
pub mod stories;
