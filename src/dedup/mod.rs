//! Dedup stage: decides whether a page is a story we already have.
//!
//! Layer 1 (the same entry again) is the store's `(feed, entry key)` key.
//! Layer 2 is [`canonical`]: one canonical URL per page. Layer 3 (the same
//! text elsewhere) is content fingerprints looked up in an index that the
//! store's writer owns.

pub mod canonical;
