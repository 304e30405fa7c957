//! Reading the response headers that steer scheduling.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap};

/// `Retry-After` as a wait from `now`: delta-seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// How long the response says it stays fresh: `Cache-Control: max-age`
/// (`no-cache`/`no-store` mean zero), else `Expires` minus `Date`.
pub fn fresh_for(headers: &HeaderMap) -> Option<Duration> {
    for value in headers.get_all(header::CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            if directive.eq_ignore_ascii_case("no-cache")
                || directive.eq_ignore_ascii_case("no-store")
            {
                return Some(Duration::ZERO);
            }
            if let Some((name, secs)) = directive.split_once('=') {
                if name.trim().eq_ignore_ascii_case("max-age") {
                    if let Ok(secs) = secs.trim().trim_matches('"').parse::<u64>() {
                        return Some(Duration::from_secs(secs));
                    }
                }
            }
        }
    }
    let date = |name| -> Option<DateTime<Utc>> {
        let v = headers.get(name)?.to_str().ok()?;
        Some(httpdate::parse_http_date(v).ok()?.into())
    };
    let expires = date(header::EXPIRES)?;
    let now = date(header::DATE).unwrap_or_else(Utc::now);
    Some((expires - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            retry_after(&headers(&[(header::RETRY_AFTER, "120")]), now),
            Some(Duration::from_secs(120))
        );
        let h = headers(&[(header::RETRY_AFTER, "Wed, 25 Nov 2026 10:05:00 GMT")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(300)));
        let past = headers(&[(header::RETRY_AFTER, "Wed, 25 Nov 2026 09:00:00 GMT")]);
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(
            retry_after(&headers(&[(header::RETRY_AFTER, "soon")]), now),
            None
        );
    }

    #[test]
    fn freshness() {
        assert_eq!(
            fresh_for(&headers(&[(header::CACHE_CONTROL, "public, max-age=1800")])),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(
            fresh_for(&headers(&[(header::CACHE_CONTROL, "no-cache")])),
            Some(Duration::ZERO)
        );
        let h = headers(&[
            (header::DATE, "Wed, 25 Nov 2026 10:00:00 GMT"),
            (header::EXPIRES, "Wed, 25 Nov 2026 11:00:00 GMT"),
        ]);
        assert_eq!(fresh_for(&h), Some(Duration::from_secs(3600)));
        assert_eq!(fresh_for(&HeaderMap::new()), None);
    }
}
