//! The duplicate decision: where an article the poll built goes among the
//! stored ones, through the three layers of [`super`].
//!
//! [`Stories`] holds the near-duplicate index of recent stories and asks a
//! [`StoryLookup`] about stored rows; it writes nothing. The store applies
//! the [`Decision`] in the same transaction and then tells the index about
//! the row ([`Stories::remember`]). It is owned by the single writer, so
//! that "the first stored copy is the root" holds: two copies are never
//! placed concurrently against a stale view.

use std::cmp::Ordering;

use chrono::Utc;

use super::fingerprint::{self, MIN_MATCH_WORDS, MatchKind, Profile};
use super::index::NearDupIndex;
use super::lookup::{StoredCandidate, StoryLookup};
use super::root::{self, Placement, StoredMatch};
use super::{origin, site_blocks};
use crate::model::{ArticleRecord, EntrySource};

/// The stories of the window, as far as finding copies of them needs.
pub struct Stories {
    index: NearDupIndex,
}

/// Where an article goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Layer 1: the same entry of the same feed again (updated upstream, or
    /// its page fetched at last): refresh row `id`; its place among
    /// stories stays.
    SameEntry { id: i64 },
    /// Layer 2: the page is stored as `id`: one more sighting. `refresh`
    /// when the stored row holds the feed's stand-in text and this one was
    /// extracted from the page.
    SamePage { id: i64, refresh: bool },
    /// Layer 3: a new page, stored under this address: the page's declared
    /// canonical, or its own address when the declared one holds another
    /// story.
    NewPage {
        canonical_url: &'a str,
        url_key: &'a str,
        /// The story it is a copy of (a root).
        duplicate_of: Option<i64>,
        /// It is the original of this stored root: once inserted, the old
        /// root and its copies are re-pointed to it, in the same
        /// transaction, so no chain ever exists.
        replaces_root: Option<i64>,
    },
}

impl Stories {
    /// The index rebuilt from `(id, sketch, unix time)` of the stories
    /// stored within the window.
    pub fn rebuild(
        window_secs: i64,
        now: i64,
        rows: impl IntoIterator<Item = (i64, fingerprint::Sketch, i64)>,
    ) -> Stories {
        let index = NearDupIndex::rebuild(window_secs, now, rows);
        tracing::debug!(stories = index.len(), "near-duplicate index rebuilt");
        Stories { index }
    }

    /// Where `article`, seen as `source` in feed `feed_id`, goes; `profile`
    /// is its text's.
    pub fn decide<'a, L: StoryLookup>(
        &mut self,
        lookup: &mut L,
        feed_id: i64,
        source: &EntrySource,
        article: &'a ArticleRecord,
        profile: &Profile,
    ) -> Result<Decision<'a>, L::Error> {
        if let Some(id) = lookup.entry_article(feed_id, &source.entry_id)? {
            return Ok(Decision::SameEntry { id });
        }
        let mut address = (article.canonical_url.as_str(), article.url_key.as_str());
        let mut same_page = lookup.by_url_key(address.1)?;
        if let (Some(page), Some((own_url, own_key))) = (&same_page, &article.own_address) {
            // The page's declared canonical is taken, by a different story:
            // a broken canonical tag. Keep this page under its own address.
            if page.is_other_story(profile) {
                tracing::info!(page = %own_url, declared = %address.0, "declared canonical holds another story; ignored");
                address = (own_url.as_str(), own_key.as_str());
                same_page = lookup.by_url_key(own_key)?;
            }
        }
        if let Some(page) = same_page {
            let refresh = !page.is_extracted() && article.extraction.is_extracted();
            return Ok(Decision::SamePage {
                id: page.id,
                refresh,
            });
        }
        let placement = self.place(lookup, article, profile)?;
        Ok(Decision::NewPage {
            canonical_url: address.0,
            url_key: address.1,
            duplicate_of: match placement {
                Some(Placement::CopyOf { root }) => Some(root),
                _ => None,
            },
            replaces_root: match placement {
                Some(Placement::RootOver { old_root }) => Some(old_root),
                _ => None,
            },
        })
    }

    /// Records a stored article's fingerprint so later copies find it.
    pub fn remember(&mut self, id: i64, fingerprint: &fingerprint::Fingerprint) {
        self.index.insert(id, fingerprint, Utc::now().timestamp());
    }

    /// Records a story stored elsewhere (another node sharing the
    /// database) at `time`, Unix seconds, from its stored sketch.
    pub fn remember_at(&mut self, id: i64, sketch: fingerprint::Sketch, time: i64) {
        let fingerprint = fingerprint::Fingerprint {
            content_hash: fingerprint::ContentHash(0),
            word_count: fingerprint::MIN_MATCH_WORDS,
            sketch: Some(sketch),
        };
        self.index.insert(id, &fingerprint, time);
    }

    /// Layer 3: the story a new page's text copies, if any, and its place
    /// in it. The page's `syndicated_from` is the url key of another site's
    /// page that it declares as its canonical.
    fn place<L: StoryLookup>(
        &mut self,
        lookup: &mut L,
        article: &ArticleRecord,
        profile: &Profile,
    ) -> Result<Option<Placement>, L::Error> {
        self.index.expire(Utc::now().timestamp());
        let declared = match article.syndicated_from.as_deref() {
            Some(key) => lookup.by_url_key(key)?,
            None => None,
        };
        let (matched, signal) = match declared {
            Some(page) => (Some(page.as_match()), true),
            None if profile.fingerprint.is_matchable() => {
                (self.find_copy_of(lookup, article, profile)?, false)
            }
            None => (None, false),
        };
        let Some(matched) = matched else {
            return Ok(None);
        };
        let root = matched.root();
        let root_published = lookup.published(root)?;
        let content = match lookup.candidate(root)?.and_then(|c| c.text) {
            Some(root_text) => origin::compare(&article.text, &root_text),
            None => Ordering::Equal,
        };
        let published = article.published_at.map(|t| t.timestamp());
        Ok(Some(root::place(
            published,
            root,
            root_published,
            signal,
            content,
        )))
    }

    /// Exact copy by content hash (any age), else the best confirmed
    /// near-duplicate among the index's candidates. Never merges two
    /// stored stories because a new text resembles both: the best one wins.
    /// A candidate from the page's own host is compared on what the two
    /// pages do not share verbatim ([`site_blocks::same_site_match`]): its
    /// house blurbs may not be learned yet.
    fn find_copy_of<L: StoryLookup>(
        &self,
        lookup: &mut L,
        article: &ArticleRecord,
        profile: &Profile,
    ) -> Result<Option<StoredMatch>, L::Error> {
        let exact = lookup.by_content_hash(profile.fingerprint.content_hash, MIN_MATCH_WORDS)?;
        if exact.is_some() {
            return Ok(exact);
        }
        let host = site_blocks::host_of(&article.url);
        let words = profile.fingerprint.word_count;
        let mut best: Option<(f64, StoredMatch)> = None;
        for candidate in self.index.candidates(&profile.fingerprint) {
            let Some(stored) = lookup.candidate(candidate.id)? else {
                continue;
            };
            // Neither Jaccard nor containment can reach their thresholds
            // when one text is five times the other.
            let theirs = stored.fingerprint.word_count;
            if theirs.saturating_mul(5) < words || words.saturating_mul(5) < theirs {
                continue;
            }
            let same_site =
                host.is_some() && stored.url.as_deref().and_then(site_blocks::host_of) == host;
            let verdict = match stored.text.as_deref() {
                Some(text) if same_site && !text.is_empty() => {
                    site_blocks::same_site_match(&article.text, text)
                }
                _ => confirm(profile, &stored),
            };
            let Some(score) = verdict.map(score) else {
                continue;
            };
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, stored.matched));
            }
        }
        Ok(best.map(|(_, m)| m))
    }
}

/// Is a candidate the same story, on its text or, once purged, on its
/// fingerprint?
fn confirm(new: &Profile, stored: &StoredCandidate) -> Option<MatchKind> {
    match &stored.text {
        Some(text) if !text.is_empty() => new.confirm(&Profile::of(text)),
        _ => fingerprint::confirm_fingerprints(&new.fingerprint, &stored.fingerprint),
    }
}

/// How alike a confirmed candidate is, 0–1, to try the best first.
fn score(verdict: MatchKind) -> f64 {
    match verdict {
        MatchKind::Exact => 1.0,
        MatchKind::Near { jaccard } => jaccard,
        MatchKind::Contained { containment } => containment,
        MatchKind::Sketch { agreeing } => agreeing as f64 / fingerprint::SKETCH_LEN as f64,
    }
}
#[cfg(test)]
mod tests {
    //! The decision against an in-memory backend: what a second store
    //! implements is the trait, nothing more.

    use std::collections::HashMap;
    use std::convert::Infallible;

    use super::*;
    use crate::dedup::fingerprint::{ContentHash, Fingerprint};
    use crate::dedup::index::DEFAULT_WINDOW_SECS;
    use crate::dedup::lookup::StoredPage;
    use crate::model::Extraction;
    use chrono::DateTime;

    struct Row {
        key: &'static str,
        duplicate_of: Option<i64>,
        extraction: Extraction,
        text: String,
        published: Option<i64>,
    }

    #[derive(Default)]
    struct Memory {
        rows: Vec<Row>,
        sources: HashMap<(i64, String), i64>,
    }

    impl Memory {
        fn row(&self, id: i64) -> Option<&Row> {
            self.rows.get(usize::try_from(id - 1).ok()?)
        }
    }

    impl StoryLookup for Memory {
        type Error = Infallible;

        fn entry_article(&mut self, feed: i64, entry: &str) -> Result<Option<i64>, Infallible> {
            Ok(self.sources.get(&(feed, entry.to_string())).copied())
        }

        fn by_url_key(&mut self, key: &str) -> Result<Option<StoredPage>, Infallible> {
            Ok(self
                .rows
                .iter()
                .zip(1..)
                .find(|(r, _)| r.key == key)
                .map(|(r, id)| StoredPage {
                    id,
                    duplicate_of: r.duplicate_of,
                    extraction: Some(r.extraction.clone()),
                    text: Some(r.text.clone()),
                }))
        }

        fn by_content_hash(
            &mut self,
            hash: ContentHash,
            min_words: u32,
        ) -> Result<Option<StoredMatch>, Infallible> {
            Ok(self.rows.iter().zip(1..).find_map(|(r, id)| {
                let fp = Fingerprint::of(&r.text);
                (fp.content_hash == hash && fp.word_count >= min_words).then_some(StoredMatch {
                    id,
                    duplicate_of: r.duplicate_of,
                })
            }))
        }

        fn candidate(&mut self, id: i64) -> Result<Option<StoredCandidate>, Infallible> {
            Ok(self.row(id).map(|r| StoredCandidate {
                matched: StoredMatch {
                    id,
                    duplicate_of: r.duplicate_of,
                },
                url: Some(format!("https://{}", r.key)),
                text: Some(r.text.clone()),
                fingerprint: Fingerprint::of(&r.text),
            }))
        }

        fn published(&mut self, id: i64) -> Result<Option<i64>, Infallible> {
            Ok(self.row(id).and_then(|r| r.published))
        }
    }

    const HOUR: i64 = 3600;

    /// A story of 120 words; `n` picks which.
    fn story(n: u32) -> String {
        (0..120)
            .map(|i| format!("s{n}w{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn article(key: &str, text: &str, published_h: Option<i64>) -> ArticleRecord {
        ArticleRecord {
            url: format!("https://{key}"),
            canonical_url: format!("https://{key}"),
            url_key: key.into(),
            syndicated_from: None,
            own_address: None,
            title: None,
            byline: None,
            published_at: published_h.and_then(|h| DateTime::from_timestamp(h * HOUR, 0)),
            fetched_at: None,
            lang: None,
            text: text.into(),
            extraction: Extraction::Extracted,
            modified_at: None,
            site_name: None,
            description: None,
            image_url: None,
            markdown: None,
            details: Default::default(),
        }
    }

    fn source(entry: &str) -> EntrySource {
        EntrySource {
            entry_id: entry.into(),
            entry_url: None,
            entry_updated_at: None,
        }
    }

    /// One stored root: `a.example/1`, story 1, published at hour 10.
    fn stored() -> (Stories, Memory) {
        let mut stories = Stories::rebuild(DEFAULT_WINDOW_SECS, Utc::now().timestamp(), []);
        let mut memory = Memory::default();
        memory.rows.push(Row {
            key: "a.example/1",
            duplicate_of: None,
            extraction: Extraction::Extracted,
            text: story(1),
            published: Some(10 * HOUR),
        });
        memory.sources.insert((1, "e1".into()), 1);
        stories.remember(1, &Fingerprint::of(&story(1)));
        (stories, memory)
    }

    fn decide<'a>(
        (stories, memory): &mut (Stories, Memory),
        entry: &str,
        article: &'a ArticleRecord,
    ) -> Decision<'a> {
        let profile = Profile::of(&article.text);
        let Ok(decision) = stories.decide(memory, 1, &source(entry), article, &profile);
        decision
    }

    #[test]
    fn the_same_entry_again_refreshes_its_row() {
        let a = article("a.example/1", "a shorter update", None);
        assert_eq!(
            decide(&mut stored(), "e1", &a),
            Decision::SameEntry { id: 1 }
        );
    }

    #[test]
    fn the_same_page_is_a_sighting_and_replaces_only_a_stand_in_text() {
        let mut db = stored();
        let a = article("a.example/1", &story(1), None);
        assert_eq!(
            decide(&mut db, "e2", &a),
            Decision::SamePage {
                id: 1,
                refresh: false
            }
        );
        db.1.rows[0].extraction = Extraction::FetchFailed {
            error: "HTTP 503".into(),
        };
        assert_eq!(
            decide(&mut db, "e2", &a),
            Decision::SamePage {
                id: 1,
                refresh: true
            }
        );
    }

    #[test]
    fn a_declared_canonical_that_holds_another_story_is_ignored() {
        let mut a = article("a.example/1", &story(2), None);
        a.own_address = Some(("https://b.example/2".into(), "b.example/2".into()));
        assert_eq!(
            decide(&mut stored(), "e2", &a),
            Decision::NewPage {
                canonical_url: "https://b.example/2",
                url_key: "b.example/2",
                duplicate_of: None,
                replaces_root: None,
            }
        );
    }

    #[test]
    fn copies_point_to_the_root_and_an_earlier_original_takes_its_place() {
        let mut db = stored();
        // The same text elsewhere, published later: a copy.
        let copy = article("c.example/1", &story(1), Some(12));
        assert!(matches!(
            decide(&mut db, "e2", &copy),
            Decision::NewPage {
                duplicate_of: Some(1),
                replaces_root: None,
                ..
            }
        ));
        // Nearly the same text (a few words changed), published hours
        // earlier: the original.
        let edited = story(1)
            .replacen("s1w5 ", "edited ", 1)
            .replacen("s1w9 ", "also ", 1);
        let original = article("d.example/1", &edited, Some(2));
        assert!(matches!(
            decide(&mut db, "e3", &original),
            Decision::NewPage {
                duplicate_of: None,
                replaces_root: Some(1),
                ..
            }
        ));
        // A different story is its own root.
        let other = article("e.example/1", &story(3), None);
        assert!(matches!(
            decide(&mut db, "e4", &other),
            Decision::NewPage {
                duplicate_of: None,
                replaces_root: None,
                ..
            }
        ));
    }

    #[test]
    fn a_page_that_says_it_is_syndicated_is_a_copy_whatever_its_date() {
        let mut a = article("f.example/1", "a short wire rewrite", Some(1));
        a.syndicated_from = Some("a.example/1".into());
        assert!(matches!(
            decide(&mut stored(), "e2", &a),
            Decision::NewPage {
                duplicate_of: Some(1),
                replaces_root: None,
                ..
            }
        ));
    }
}
