//! What the duplicate decision asks of the stored articles, as a trait the
//! store implements ([`crate::store::stories`] for SQLite).
//!
//! The decision ([`super::stories`]) is written once against this trait,
//! so a second backend only answers these questions. Each method is one
//! indexed look-up. The calls come from the single writer inside the
//! transaction that will store the article, so the answers include the
//! poll's own earlier writes (two entries of one poll linking the same page
//! make one article). Methods take `&mut self` so that a backend may hold a
//! transaction or client that needs it; each backend keeps its own error
//! type.

use super::fingerprint::{ContentHash, Fingerprint, Profile};
use super::root::StoredMatch;
use crate::model::Extraction;

pub trait StoryLookup {
    type Error;

    /// The article this feed's entry was stored as (layer 1).
    fn entry_article(&mut self, feed_id: i64, entry_id: &str) -> Result<Option<i64>, Self::Error>;

    /// The article stored under a url key (layer 2; also the page another
    /// page declares as its canonical).
    fn by_url_key(&mut self, key: &str) -> Result<Option<StoredPage>, Self::Error>;

    /// The oldest article with this exact text and at least `min_words`
    /// words, of any age (layer 3).
    fn by_content_hash(
        &mut self,
        hash: ContentHash,
        min_words: u32,
    ) -> Result<Option<StoredMatch>, Self::Error>;

    /// A near-duplicate candidate's text and fingerprint; `None` when it is
    /// no longer stored.
    fn candidate(&mut self, id: i64) -> Result<Option<StoredCandidate>, Self::Error>;

    /// When the article was published (else first stored), in Unix seconds.
    fn published(&mut self, id: i64) -> Result<Option<i64>, Self::Error>;
}

/// An article found by its url key.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPage {
    pub id: i64,
    pub duplicate_of: Option<i64>,
    /// `None` for a status this build does not know.
    pub extraction: Option<Extraction>,
    /// `None` once retention purged it.
    pub text: Option<String>,
}

impl StoredPage {
    pub fn as_match(&self) -> StoredMatch {
        StoredMatch {
            id: self.id,
            duplicate_of: self.duplicate_of,
        }
    }

    /// Its text was extracted from the page (not the feed's stand-in).
    pub fn is_extracted(&self) -> bool {
        self.extraction
            .as_ref()
            .is_some_and(Extraction::is_extracted)
    }

    /// Both texts are long enough to judge and are not the same story.
    pub fn is_other_story(&self, new: &Profile) -> bool {
        let Some(text) = self.text.as_deref() else {
            return false;
        };
        let stored = Profile::of(text);
        stored.fingerprint.is_matchable()
            && new.fingerprint.is_matchable()
            && new.confirm(&stored).is_none()
    }
}

/// A stored article the near-duplicate index proposed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCandidate {
    pub matched: StoredMatch,
    /// The address its text was fetched from (`articles.url`): a page of
    /// the new page's own site is compared without their shared blocks.
    pub url: Option<String>,
    /// `None` once retention purged it: then only the fingerprint is
    /// compared.
    pub text: Option<String>,
    pub fingerprint: Fingerprint,
}
