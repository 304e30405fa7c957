//! URL canonicalisation: every URL a page is known under maps to one key.
//!
//! Two things come out of a URL, and they are kept apart on purpose:
//!
//! * the **canonical URL** ([`canonicalize`]): a real, fetchable URL with the
//!   noise removed (fragment, tracking parameters, default port, host case,
//!   query order). Scheme, `www.` and a trailing slash are kept, because
//!   servers do not all answer on both schemes or both host names, and
//!   `/slug/` versus `/slug` is a different resource to some of them. This is
//!   what `articles.canonical_url` holds: a link a person can click.
//! * the **URL key** ([`url_key`]): a comparison string that also forgets the
//!   scheme (http ≡ https), a leading `www.` and a trailing slash. Two URLs
//!   with the same key are the same page. The store keeps it in its own
//!   unique column (`articles.url_key`), so the site that moves from http to
//!   https, or links with and without `www.`, does not bring old stories back
//!   as new (newsboat #1965).
//!
//! AMP variants (`/amp/`, `?amp`, `amp.` host) are *not* folded by either
//! function: many sites serve different articles at look-alike paths, so an
//! AMP URL only collapses into its regular page when the page itself says so
//! through its `rel=canonical` ([`resolve_page_canonical`]).
//!
//! [`resolve_page_canonical`] decides the canonical URL of a fetched page from
//! the entry URL, the final URL after redirects and the page's declared
//! canonical, guarding against sites that declare their home page or a
//! section page as the canonical of every article.

use url::Url;

/// Query-parameter name prefixes that only track campaigns: Google Analytics
/// (`utm_`), Matomo/Piwik (`pk_`, `mtm_`), HubSpot ads (`hsa_`).
const TRACKING_PREFIXES: &[&str] = &["utm_", "pk_", "mtm_", "hsa_"];

/// Query parameters (compared case-insensitively) that only track the reader
/// or the campaign and never select content. Each entry was checked to be a
/// click or campaign identifier of the named vendor; names that some sites
/// also use for content (`id`, `p`, `page`, `source`, `cmp`, `s`) are left out
/// on purpose: dropping one of those would merge distinct pages.
const TRACKING_PARAMS: &[&str] = &[
    // Google: click ids (ads, display, iOS app/web), GA linker and client id.
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "_ga",
    "_gl",
    // Meta / Instagram / Twitter / TikTok / LinkedIn / Microsoft / Yandex.
    "fbclid",
    "fb_action_ids",
    "fb_action_types",
    "fb_ref",
    "fb_source",
    "igshid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "msclkid",
    "yclid",
    // Mailchimp, HubSpot, Marketo, Vero, Adobe.
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "__hssc",
    "__hstc",
    "__hsfp",
    "hsctatracking",
    "mkt_tok",
    "vero_id",
    "s_cid",
    // News sites' own share/campaign ids (NYT smid, MSN ocid, Yahoo, Alibaba
    // spm, CNN/WaPo cmpid, Guardian/others icid/ncid, referrer tags).
    "smid",
    "ocid",
    "cmpid",
    "icid",
    "ncid",
    "guccounter",
    "soc_src",
    "soc_trk",
    "spm",
    "ref",
    "ref_src",
    "ref_url",
    "rss",
    "xtor",
    "wt.mc_id",
    "__twitter_impression",
];

/// True when a query parameter only tracks the reader and never selects
/// content: the documented `TRACKING_PARAMS` and `TRACKING_PREFIXES` lists.
pub fn is_tracking_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    TRACKING_PREFIXES.iter().any(|p| key.starts_with(p)) || TRACKING_PARAMS.contains(&key.as_str())
}

/// The canonical form of a URL: fragment and tracking parameters removed,
/// remaining query parameters sorted, empty query dropped. The `url` crate
/// already lower-cases the host, drops a default port and normalises the
/// path's dot segments. The result is still a real URL (scheme, `www.` and
/// trailing slash as given); compare pages with [`url_key`].
pub fn canonicalize(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    let query = url.query().map(clean_query).unwrap_or_default();
    out.set_query(if query.is_empty() { None } else { Some(&query) });
    out
}

/// The comparison key of a URL: [`canonicalize`] plus scheme-insensitive
/// (http ≡ https), without a leading `www.`, without a trailing slash, and
/// with percent-escapes of unreserved characters decoded (`%7E` ≡ `~`).
/// Shaped `host[:port]/path[?query]`; never a fetchable URL.
pub fn url_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut key = String::with_capacity(url.as_str().len());
    key.push_str(host);
    // A port is part of the identity unless it is the default of either
    // scheme, which would otherwise break http ≡ https for `:443`/`:80`.
    if let Some(port) = url.port().filter(|p| *p != 80 && *p != 443) {
        key.push(':');
        key.push_str(&port.to_string());
    }
    let path = normalize_percent(url.path());
    key.push_str(path.trim_end_matches('/'));
    if key.len() == host.len() {
        key.push('/');
    }
    if let Some(q) = url.query() {
        let q = clean_query(q);
        if !q.is_empty() {
            key.push('?');
            key.push_str(&normalize_percent(&q));
        }
    }
    key
}

/// Drops empty and tracking pairs, sorts the rest. Pairs are compared and
/// re-joined as written (not decoded and re-encoded) so the URL stays the one
/// the server knows: `%20` and `+` are not equivalent to every server.
fn clean_query(query: &str) -> String {
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            let name = percent_decode(name);
            !is_tracking_param(&name)
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs.join("&")
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("{s}=").as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// Decodes `%XX` escapes of RFC 3986 unreserved characters and upper-cases
/// the hex of the others, so equivalent spellings compare equal.
fn normalize_percent(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes
            .get(i + 1..i + 3)
            .filter(|h| bytes[i] == b'%' && h.iter().all(u8::is_ascii_hexdigit));
        if let Some(hex) = escape.and_then(|h| std::str::from_utf8(h).ok()) {
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(v));
                } else {
                    out.push('%');
                    out.push_str(&hex.to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        // Not an escape: copy the whole UTF-8 character.
        let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// The registrable domain ("eTLD+1") of a host per the Public Suffix List:
/// `news.bbc.co.uk` → `bbc.co.uk`. IP addresses and names the list cannot
/// split (`localhost`) are their own registrable domain.
pub fn registrable_domain(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.');
            Some(psl::domain_str(d).unwrap_or(d).to_ascii_lowercase())
        }
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(ip) => Some(ip.to_string()),
    }
}

/// The non-AMP URL an AMP URL stands for, or `None` when the URL has no AMP
/// marker. Markers: an `amp.` host label, an `amp` path segment at the start
/// or end (`/amp/story`, `/story/amp/`), a `.amp` before the extension
/// (`/story.amp.html`), an `amp`/`outputType=amp` query parameter.
///
/// Only a guess: [`resolve_page_canonical`] uses it to recognise the page's
/// own canonical confirming it, never to fold URLs on its own.
pub fn amp_target(url: &Url) -> Option<Url> {
    let mut out = url.clone();
    let mut changed = false;
    if let Some(rest) = url.host_str().and_then(|h| h.strip_prefix("amp.")) {
        if rest.contains('.') && out.set_host(Some(rest)).is_ok() {
            changed = true;
        }
    }
    let trailing = url.path().ends_with('/');
    let mut segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    if segments.len() > 1
        && segments
            .first()
            .is_some_and(|s| s.eq_ignore_ascii_case("amp"))
    {
        segments.remove(0);
        changed = true;
    } else if segments.len() > 1
        && segments
            .last()
            .is_some_and(|s| s.eq_ignore_ascii_case("amp"))
    {
        segments.pop();
        changed = true;
    }
    let mut last = segments.pop().map(str::to_owned);
    if let Some(l) = last.as_mut() {
        for ext in [".amp.html", ".amp.htm", ".amp"] {
            if let Some(stem) = l.strip_suffix(ext) {
                *l = format!("{stem}{}", &ext[4..]);
                changed = true;
                break;
            }
        }
    }
    let mut path = String::from("/");
    path.push_str(&segments.join("/"));
    if let Some(l) = last {
        if !segments.is_empty() {
            path.push('/');
        }
        path.push_str(&l);
        if trailing {
            path.push('/');
        }
    }
    out.set_path(&path);
    if let Some(q) = url.query() {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|pair| {
                let lower = pair.to_ascii_lowercase();
                let is_amp = matches!(lower.as_str(), "amp" | "amp=" | "amp=1" | "amp=true")
                    || lower == "outputtype=amp"
                    || lower == "output=amp";
                changed |= is_amp;
                !is_amp && !pair.is_empty()
            })
            .collect();
        let kept = kept.join("&");
        out.set_query(if kept.is_empty() { None } else { Some(&kept) });
    }
    changed.then(|| canonicalize(&out))
}

/// Why a page's declared canonical was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoredCanonical {
    /// Not an absolute http(s) URL, or not parseable.
    Invalid,
    /// Points at a site's home page (path `/`): declared by sites whose
    /// template hard-codes it; following it would merge every article.
    HomePage,
    /// Points at a section page: an ancestor path of the article
    /// (`/news/world/` for `/news/world/2024/05/some-story`) or a short path
    /// that does not look like an article when the page's own path does.
    SectionPage,
}

/// The canonical URL of a fetched page, as decided by [`resolve_page_canonical`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCanonical {
    /// What `articles.canonical_url` holds: a real URL.
    pub url: Url,
    /// [`url_key`] of `url`: what the store compares (unique column).
    pub key: String,
    /// The page declares a canonical on another registrable domain: it is a
    /// syndicated copy of that URL. The store links this article to the
    /// stored article with that key, if any (`duplicate_of`), else treats it
    /// as any other article (content matching still applies).
    pub syndicated_from: Option<Url>,
    /// Set when the page declared a canonical that was not followed.
    pub ignored: Option<IgnoredCanonical>,
}

/// Decides the canonical URL of a fetched page.
///
/// * `entry_url`: the URL the feed listed.
/// * `fetched_url`: the final URL after redirects.
/// * `declared`: the page's `<link rel=canonical>`, else its `og:url`, as
///   written (relative URLs are resolved against `fetched_url`).
///
/// The page's address is the fetched URL, unless the redirect ended on the
/// site's home page while the entry pointed deeper (paywalls and removed
/// articles redirect to `/`; folding those would merge unrelated entries),
/// in which case it is the entry URL. A declared canonical on the same
/// registrable domain wins unless it is the home page or a section page
/// (canonical abuse) — an AMP page whose canonical is its own non-AMP URL is
/// always followed. A declared canonical on another registrable domain is a
/// syndication signal and is returned in `syndicated_from`.
pub fn resolve_page_canonical(
    entry_url: &Url,
    fetched_url: &Url,
    declared: Option<&str>,
) -> PageCanonical {
    let base = if is_root(fetched_url) && !is_root(entry_url) {
        entry_url
    } else {
        fetched_url
    };
    let own = canonicalize(base);
    let mut result = PageCanonical {
        key: url_key(&own),
        url: own,
        syndicated_from: None,
        ignored: None,
    };

    let Some(declared) = declared.map(str::trim).filter(|d| !d.is_empty()) else {
        return result;
    };
    let Some(target) = base
        .join(declared)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .map(|u| canonicalize(&u))
    else {
        result.ignored = Some(IgnoredCanonical::Invalid);
        return result;
    };
    if url_key(&target) == result.key {
        // Same page (perhaps a nicer spelling, e.g. https): prefer the
        // page's own spelling of it.
        result.url = target;
        return result;
    }
    if is_root(&target) {
        result.ignored = Some(IgnoredCanonical::HomePage);
        return result;
    }
    let confirms_amp = amp_target(base).is_some_and(|plain| url_key(&plain) == url_key(&target));
    if !confirms_amp && looks_like_section_of(&target, base) {
        result.ignored = Some(IgnoredCanonical::SectionPage);
        return result;
    }
    if registrable_domain(&target) == registrable_domain(base) {
        result.key = url_key(&target);
        result.url = target;
    } else {
        result.syndicated_from = Some(target);
    }
    result
}

fn is_root(url: &Url) -> bool {
    url.path().trim_matches('/').is_empty() && url.query().is_none_or(|q| clean_query(q).is_empty())
}

fn segments(url: &Url) -> Vec<&str> {
    url.path().split('/').filter(|s| !s.is_empty()).collect()
}

/// An article path names one item: a slug of three or more words, a number
/// of four or more digits (an id or a date part), a file name with an
/// extension, or a query that selects it (`?p=123`).
fn looks_like_article(url: &Url) -> bool {
    if url.query().is_some_and(|q| !clean_query(q).is_empty()) {
        return true;
    }
    segments(url).last().is_some_and(|last| {
        last.split(['-', '_']).filter(|w| !w.is_empty()).count() >= 3
            || last.chars().filter(char::is_ascii_digit).count() >= 4
            || last.contains('.')
    })
}

/// True when `canonical` looks like a section page for the article at
/// `page`: an ancestor path that is not itself article-like, or a path with
/// fewer segments that is not article-like while the page's path is.
fn looks_like_section_of(canonical: &Url, page: &Url) -> bool {
    if looks_like_article(canonical) {
        return false;
    }
    let c = segments(canonical);
    let p = segments(page);
    let is_ancestor = c.len() < p.len() && p.starts_with(&c);
    is_ancestor || (c.len() < p.len() && looks_like_article(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    /// (input, canonical URL, key): the canonical URL stays fetchable, the
    /// key folds everything that names the same page.
    const TABLE: &[(&str, &str, &str)] = &[
        // Scheme and host case, default ports.
        (
            "HTTPS://Example.COM/a/b",
            "https://example.com/a/b",
            "example.com/a/b",
        ),
        (
            "http://example.com:80/a",
            "http://example.com/a",
            "example.com/a",
        ),
        (
            "https://example.com:443/a",
            "https://example.com/a",
            "example.com/a",
        ),
        (
            "http://example.com:8480/a",
            "http://example.com:8480/a",
            "example.com:8480/a",
        ),
        (
            "http://127.0.0.2:8480/news/x-1",
            "http://127.0.0.2:8480/news/x-1",
            "127.0.0.2:8480/news/x-1",
        ),
        // http ≡ https, www., trailing slash: only in the key.
        (
            "http://www.example.com/story/",
            "http://www.example.com/story/",
            "example.com/story",
        ),
        (
            "https://example.com/story",
            "https://example.com/story",
            "example.com/story",
        ),
        (
            "https://www.example.com/",
            "https://www.example.com/",
            "example.com/",
        ),
        (
            "https://www.example.com",
            "https://www.example.com/",
            "example.com/",
        ),
        // Fragments.
        (
            "https://example.com/a#comments",
            "https://example.com/a",
            "example.com/a",
        ),
        // Tracking parameters, in any case, with the rest sorted.
        (
            "https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x",
            "https://example.com/a",
            "example.com/a",
        ),
        (
            "https://example.com/a?id=7&fbclid=abc&gclid=1&dclid=2&gbraid=3&wbraid=4&msclkid=5",
            "https://example.com/a?id=7",
            "example.com/a?id=7",
        ),
        (
            "https://example.com/a?mc_cid=1&mc_eid=2&igshid=3&yclid=4&_hsenc=5&_hsmi=6&mkt_tok=7",
            "https://example.com/a",
            "example.com/a",
        ),
        (
            "https://example.com/a?ref=tw&ref_src=twsrc&cmpid=rss&ocid=msn&_ga=1.2&spm=a.b&smid=nytcore",
            "https://example.com/a",
            "example.com/a",
        ),
        (
            "https://example.com/a?z=1&b=2&a=3&pk_campaign=x",
            "https://example.com/a?a=3&b=2&z=1",
            "example.com/a?a=3&b=2&z=1",
        ),
        (
            "https://example.com/a?",
            "https://example.com/a",
            "example.com/a",
        ),
        (
            "https://example.com/a?&&p=1&",
            "https://example.com/a?p=1",
            "example.com/a?p=1",
        ),
        // Content-selecting parameters stay.
        (
            "https://example.com/?p=123",
            "https://example.com/?p=123",
            "example.com/?p=123",
        ),
        // Percent-escapes: unreserved decoded in the key only.
        (
            "https://example.com/%7Euser/a%2fb",
            "https://example.com/%7Euser/a%2fb",
            "example.com/~user/a%2Fb",
        ),
        // AMP is never folded by URL shape alone.
        (
            "https://example.com/story/amp/",
            "https://example.com/story/amp/",
            "example.com/story/amp",
        ),
        (
            "https://amp.example.com/story?amp=1",
            "https://amp.example.com/story?amp=1",
            "amp.example.com/story?amp=1",
        ),
    ];

    #[test]
    fn canonicalisation_table() {
        for (input, canonical, key) in TABLE {
            let c = canonicalize(&u(input));
            assert_eq!(c.as_str(), *canonical, "canonical URL of {input}");
            assert_eq!(url_key(&u(input)), *key, "key of {input}");
            assert_eq!(url_key(&c), *key, "key of canonical of {input}");
        }
    }

    #[test]
    fn tracking_variants_share_a_key() {
        let plain = url_key(&u("http://127.0.0.3:8480/2024/05/17/a-story.html"));
        for variant in [
            "http://127.0.0.3:8480/2024/05/17/a-story.html?utm_source=feed&utm_medium=rss",
            "http://127.0.0.3:8480/2024/05/17/a-story.html?fbclid=IwAR0x",
            "http://127.0.0.3:8480/2024/05/17/a-story.html?gclid=Cj0&mc_cid=1&mc_eid=2#top",
        ] {
            assert_eq!(url_key(&u(variant)), plain, "{variant}");
        }
    }

    #[test]
    fn amp_targets() {
        for (amp, plain) in [
            (
                "https://example.com/amp/story-of-x",
                "https://example.com/story-of-x",
            ),
            (
                "https://example.com/news/story-of-x/amp/",
                "https://example.com/news/story-of-x/",
            ),
            (
                "https://amp.example.com/news/story",
                "https://example.com/news/story",
            ),
            (
                "https://example.com/news/story.amp.html",
                "https://example.com/news/story.html",
            ),
            (
                "https://example.com/news/story?amp",
                "https://example.com/news/story",
            ),
            (
                "https://example.com/news/story?outputType=amp&id=2",
                "https://example.com/news/story?id=2",
            ),
        ] {
            assert_eq!(
                amp_target(&u(amp)).map(|x| x.to_string()),
                Some(plain.to_string()),
                "{amp}"
            );
        }
        assert_eq!(
            amp_target(&u("https://example.com/news/amplifier-review")),
            None
        );
        assert_eq!(amp_target(&u("https://example.com/amp")), None);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable_domain(&u("https://news.bbc.co.uk/x")).as_deref(),
            Some("bbc.co.uk")
        );
        assert_eq!(
            registrable_domain(&u("https://www.Example.com/x")).as_deref(),
            Some("example.com")
        );
        assert_eq!(
            registrable_domain(&u("http://127.0.0.2:8480/x")).as_deref(),
            Some("127.0.0.2")
        );
        assert_eq!(
            registrable_domain(&u("http://localhost/x")).as_deref(),
            Some("localhost")
        );
    }

    fn resolve(entry: &str, fetched: &str, declared: Option<&str>) -> PageCanonical {
        resolve_page_canonical(&u(entry), &u(fetched), declared)
    }

    #[test]
    fn page_canonical_same_site_wins() {
        let r = resolve(
            "https://example.com/p/123?utm_source=rss",
            "https://www.example.com/p/123",
            Some("https://www.example.com/2024/05/big-story-today"),
        );
        assert_eq!(
            r.url.as_str(),
            "https://www.example.com/2024/05/big-story-today"
        );
        assert_eq!(r.key, "example.com/2024/05/big-story-today");
        assert_eq!((r.syndicated_from, r.ignored), (None, None));

        let relative = resolve(
            "https://example.com/x?id=9",
            "https://example.com/x?id=9",
            Some("/stories/nine-lives-saved"),
        );
        assert_eq!(
            relative.url.as_str(),
            "https://example.com/stories/nine-lives-saved"
        );

        let sub = resolve(
            "https://m.example.co.uk/a-b-c",
            "https://m.example.co.uk/a-b-c",
            Some("https://www.example.co.uk/a-b-c"),
        );
        assert_eq!(sub.url.as_str(), "https://www.example.co.uk/a-b-c");
    }

    #[test]
    fn page_canonical_other_site_is_syndication() {
        let r = resolve(
            "http://127.0.0.5:8480/news/world/quake-hits-3",
            "http://127.0.0.5:8480/news/world/quake-hits-3",
            Some("https://www.reuters.com/world/quake-hits-coast-2024-05-17/"),
        );
        assert_eq!(
            r.url.as_str(),
            "http://127.0.0.5:8480/news/world/quake-hits-3"
        );
        assert_eq!(
            r.syndicated_from.map(|s| s.to_string()).as_deref(),
            Some("https://www.reuters.com/world/quake-hits-coast-2024-05-17/")
        );
    }

    #[test]
    fn page_canonical_abuse_is_ignored() {
        let page = "https://example.com/news/world/2024/05/17/quake-hits-coast";
        for (declared, why) in [
            ("https://example.com/", IgnoredCanonical::HomePage),
            ("https://www.example.com", IgnoredCanonical::HomePage),
            ("/", IgnoredCanonical::HomePage),
            (
                "https://example.com/news/world/",
                IgnoredCanonical::SectionPage,
            ),
            ("https://example.com/sport", IgnoredCanonical::SectionPage),
            ("https://othersite.org/", IgnoredCanonical::HomePage),
            ("javascript:alert(1)", IgnoredCanonical::Invalid),
        ] {
            let r = resolve(page, page, Some(declared));
            assert_eq!(r.url.as_str(), page, "{declared}");
            assert_eq!(r.ignored, Some(why), "{declared}");
            assert_eq!(r.syndicated_from, None, "{declared}");
        }
        // An id-like ancestor is a real article, not a section.
        let r = resolve(
            "https://example.com/news/123456/slug",
            "https://example.com/news/123456/slug",
            Some("https://example.com/news/123456"),
        );
        assert_eq!(
            (r.url.as_str(), r.ignored),
            ("https://example.com/news/123456", None)
        );
    }

    #[test]
    fn amp_page_collapses_only_when_confirmed() {
        let amp = "https://example.com/news/quake/amp/";
        let confirmed = resolve(amp, amp, Some("https://example.com/news/quake/"));
        assert_eq!(confirmed.url.as_str(), "https://example.com/news/quake/");
        assert_eq!(confirmed.ignored, None);
        let unconfirmed = resolve(amp, amp, None);
        assert_eq!(unconfirmed.url.as_str(), amp);
        let amp_host = resolve(
            "https://amp.example.com/quake?amp",
            "https://amp.example.com/quake?amp",
            Some("https://www.example.com/quake"),
        );
        assert_eq!(amp_host.key, "example.com/quake");
    }

    #[test]
    fn redirect_to_home_page_keeps_the_entry() {
        let r = resolve(
            "https://example.com/2024/05/gone-story",
            "https://example.com/",
            None,
        );
        assert_eq!(r.url.as_str(), "https://example.com/2024/05/gone-story");
        let r = resolve(
            "https://feeds.example.net/~r/x/123",
            "https://example.com/2024/05/real-story?utm_source=feedburner",
            None,
        );
        assert_eq!(r.url.as_str(), "https://example.com/2024/05/real-story");
    }
}
