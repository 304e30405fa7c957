//! Which proxy a request goes through.
//!
//! By default the environment decides, read the way curl reads it:
//! `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http ones, `ALL_PROXY`
//! for either when the specific one is unset (upper or lower case), and
//! `NO_PROXY` lists the hosts that go direct (`*`, host names matching
//! themselves and their subdomains, IP addresses and CIDR ranges). Two
//! departures: loopback destinations (`localhost`, 127.0.0.0/8, ::1)
//! always go direct, since a proxy elsewhere cannot reach this machine's
//! loopback; and, as in Go and curl, a CGI environment (`REQUEST_METHOD`
//! set) ignores `HTTP_PROXY`, which a client's `Proxy:` header could set.
//!
//! A feed can instead go direct or through a proxy of its own
//! ([`Route`]). The decision is one pure function, [`ProxyEnv::proxy_for`],
//! used both to route the request and to know whether an article page's
//! address will be resolved by us or by the proxy (see
//! [`super::Fetcher`]'s address check).

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use url::{Host, Url};

/// The proxy settings of the environment, read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub http: Option<Url>,
    pub https: Option<Url>,
    pub no_proxy: Vec<String>,
}

impl ProxyEnv {
    /// Reads the process environment.
    pub fn from_process() -> ProxyEnv {
        ProxyEnv::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads proxy settings through `var`; unparsable proxy URLs are
    /// ignored with a warning (a request would fail on them anyway).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| var(n).filter(|v| !v.trim().is_empty()))
        };
        let parse = |name: &str, value: Option<String>| {
            let value = value?;
            // curl accepts `host:port` without a scheme and means http.
            let text = if value.contains("://") {
                value.trim().to_owned()
            } else {
                format!("http://{}", value.trim())
            };
            match Url::parse(&text) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
                _ => {
                    tracing::warn!(
                        variable = name,
                        "proxy setting is not an http(s) URL; ignored"
                    );
                    None
                }
            }
        };
        let all = parse("ALL_PROXY", first(&["ALL_PROXY", "all_proxy"]));
        let cgi = var("REQUEST_METHOD").is_some();
        let http = if cgi {
            None
        } else {
            parse("HTTP_PROXY", first(&["HTTP_PROXY", "http_proxy"]))
        };
        let https = parse("HTTPS_PROXY", first(&["HTTPS_PROXY", "https_proxy"]));
        ProxyEnv {
            http: http.or_else(|| all.clone()),
            https: https.or(all),
            no_proxy: first(&["NO_PROXY", "no_proxy"])
                .map(|v| {
                    v.split(',')
                        .map(|e| e.trim().to_ascii_lowercase())
                        .filter(|e| !e.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The proxy a request to `url` goes through, if any.
    pub fn proxy_for(&self, url: &Url) -> Option<&Url> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        if is_loopback(url) || self.no_proxy.iter().any(|e| bypasses(e, url)) {
            return None;
        }
        Some(proxy)
    }

    /// Host names of the proxies, which the address guard must let
    /// through: the operator chose them.
    pub fn proxy_hosts(&self) -> Vec<String> {
        [&self.http, &self.https]
            .into_iter()
            .flatten()
            .filter_map(|u| u.host_str().map(str::to_owned))
            .collect()
    }
}

/// How one feed's requests are routed.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub enum Route {
    /// As the environment says ([`ProxyEnv`]).
    #[default]
    Environment,
    /// Never through a proxy.
    Direct,
    /// Always through this proxy (it may carry credentials).
    Via(Url),
}

impl Route {
    /// The proxy for `url` on this route.
    pub fn proxy_for<'a>(&'a self, env: &'a ProxyEnv, url: &Url) -> Option<&'a Url> {
        match self {
            Route::Environment => env.proxy_for(url),
            Route::Direct => None,
            Route::Via(proxy) => Some(proxy),
        }
    }
}

impl fmt::Debug for Route {
    /// Never prints a proxy's password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Environment => f.write_str("Environment"),
            Route::Direct => f.write_str("Direct"),
            Route::Via(url) => write!(f, "Via({})", crate::config::http::redact_password(url)),
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// One `NO_PROXY` entry against a URL's host.
fn bypasses(entry: &str, url: &Url) -> bool {
    if entry == "*" {
        return true;
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = ip {
        let entry = entry.trim_start_matches('[').trim_end_matches(']');
        return match (entry.parse::<IpNet>(), entry.parse::<IpAddr>()) {
            (Ok(net), _) => net.contains(&ip),
            (_, Ok(addr)) => addr == ip,
            _ => false,
        };
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_end_matches('.');
    // `example.org` and `.example.org` both cover the domain and its
    // subdomains; a `:port` suffix is not a host and never matches.
    let domain = entry.trim_start_matches('.').trim_end_matches('.');
    !domain.is_empty()
        && (host == domain
            || host
                .strip_suffix(domain)
                .is_some_and(|rest| rest.ends_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> ProxyEnv {
        ProxyEnv::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    fn via<'a>(e: &'a ProxyEnv, url: &str) -> Option<&'a str> {
        e.proxy_for(&Url::parse(url).unwrap()).map(Url::as_str)
    }

    #[test]
    fn scheme_specific_then_all_proxy() {
        let e = env(&[
            ("HTTPS_PROXY", "http://secure.proxy:3128"),
            ("ALL_PROXY", "http://all.proxy:8080"),
        ]);
        assert_eq!(
            via(&e, "https://a.example/"),
            Some("http://secure.proxy:3128/")
        );
        assert_eq!(via(&e, "http://a.example/"), Some("http://all.proxy:8080/"));
        let e = env(&[("http_proxy", "proxy.lan:3128")]);
        assert_eq!(via(&e, "http://a.example/"), Some("http://proxy.lan:3128/"));
        assert_eq!(via(&e, "https://a.example/"), None);
        assert_eq!(via(&env(&[]), "https://a.example/"), None);
    }

    #[test]
    fn no_proxy_hosts_domains_and_networks() {
        let e = env(&[
            ("HTTPS_PROXY", "http://p:1"),
            ("HTTP_PROXY", "http://p:1"),
            (
                "NO_PROXY",
                "Example.ORG, .internal, 10.0.0.0/8, 192.0.2.7, ::2",
            ),
        ]);
        for direct in [
            "https://example.org/",
            "https://www.example.org/feed",
            "https://wiki.internal/",
            "http://10.1.2.3/",
            "http://192.0.2.7:8080/",
            "http://[::2]/",
        ] {
            assert_eq!(via(&e, direct), None, "{direct}");
        }
        for proxied in [
            "https://notexample.org/",
            "https://example.org.evil.test/",
            "http://11.0.0.1/",
            "http://192.0.2.8/",
        ] {
            assert_eq!(via(&e, proxied), Some("http://p:1/"), "{proxied}");
        }
        assert_eq!(
            via(
                &env(&[("HTTP_PROXY", "http://p:1"), ("no_proxy", "*")]),
                "http://a.example/"
            ),
            None
        );
    }

    #[test]
    fn loopback_always_goes_direct() {
        let e = env(&[("HTTP_PROXY", "http://p:1"), ("HTTPS_PROXY", "http://p:1")]);
        for url in [
            "http://127.0.0.1:8080/feed",
            "http://127.9.9.9/",
            "http://[::1]:8080/",
            "http://localhost/",
            "https://api.localhost/",
        ] {
            assert_eq!(via(&e, url), None, "{url}");
        }
        // An explicit per-feed proxy is used as asked.
        let route = Route::Via(Url::parse("http://p:2").unwrap());
        assert!(
            route
                .proxy_for(&e, &Url::parse("http://127.0.0.1/").unwrap())
                .is_some()
        );
        assert!(
            Route::Direct
                .proxy_for(&e, &Url::parse("http://a.example/").unwrap())
                .is_none()
        );
    }

    #[test]
    fn cgi_ignores_http_proxy() {
        let e = env(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")]);
        assert_eq!(via(&e, "http://a.example/"), None);
    }

    #[test]
    fn a_proxy_password_is_never_printed() {
        let route = Route::Via(Url::parse("http://me:s3cret@p:3128").unwrap());
        let shown = format!("{route:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("p:3128"),
            "{shown}"
        );
    }
}
