//! Where an article lives: the URL it came from, its canonical URL and the
//! key pages are compared by (dedup layer 2, see [`canonical`]).

use url::Url;

use crate::dedup::canonical;

#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub url: String,
    pub canonical_url: String,
    pub key: String,
    /// The page declares another site's page as its canonical: that
    /// page's url key.
    pub syndicated_from: Option<String>,
    /// The page's own address and key, when its declared canonical is used
    /// instead.
    pub own_address: Option<(String, String)>,
}

impl Address {
    /// An entry link, before (or without) fetching it.
    pub fn of_url(url: &Url) -> Address {
        let canonical_url = canonical::canonicalize(url);
        Address {
            url: url.to_string(),
            key: canonical::url_key(&canonical_url),
            canonical_url: canonical_url.to_string(),
            syndicated_from: None,
            own_address: None,
        }
    }

    /// A link-less entry: the feed's URL with the entry's key as the
    /// fragment. Canonicalisation drops fragments, so the key is added
    /// back to both; without it every link-less entry of a feed would be
    /// taken for the same page.
    pub fn of_entry(feed_url: &Url, entry_key: &str) -> Address {
        let feed = Address::of_url(feed_url);
        let mut canonical_url = canonical::canonicalize(feed_url);
        canonical_url.set_fragment(Some(entry_key));
        let mut url = feed_url.clone();
        url.set_fragment(Some(entry_key));
        Address {
            url: url.to_string(),
            key: format!(
                "{}#{}",
                feed.key,
                canonical_url.fragment().unwrap_or_default()
            ),
            canonical_url: canonical_url.to_string(),
            syndicated_from: None,
            own_address: None,
        }
    }

    /// A fetched page: its declared canonical decides, within the rules of
    /// [`canonical::resolve_page_canonical`].
    pub fn of_page(entry_url: &Url, final_url: &Url, declared: Option<&str>) -> Address {
        let resolved = canonical::resolve_page_canonical(entry_url, final_url, declared);
        let own = Address::of_url(final_url);
        Address {
            url: final_url.to_string(),
            own_address: (own.key != resolved.key).then_some((own.canonical_url, own.key)),
            canonical_url: resolved.url.to_string(),
            key: resolved.key,
            syndicated_from: resolved.syndicated_from.map(|u| canonical::url_key(&u)),
        }
    }
}
