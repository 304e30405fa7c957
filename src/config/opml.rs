//! OPML (placeholder)
