//! `[webhook]` and `[feed.webhook]`: where new stories are announced.
//!
//! A webhook target is written by the operator, like the feeds themselves,
//! so it is a trusted destination: it may be on loopback or the LAN (the
//! usual place for a receiver), whatever `allow_private_networks` says,
//! which guards only the URLs that feed content supplies. Deliveries
//! follow no redirects, so a receiver cannot send feedsift elsewhere.
//!
//! The secret is never written in feeds.toml: it is read from a file
//! (relative to feeds.toml's folder) or an environment variable each time
//! a story is sent, as `[feed.http]` secrets are read at each poll, so a
//! rotated secret needs no reload. A secret that cannot be read then fails
//! that delivery with a warning naming the file or variable; the story is
//! not sent without it. It goes out as one header, marked sensitive, and is
//! never logged.

use std::path::Path;
use std::time::Duration;

use reqwest::header::HeaderName;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::error::Problems;
use super::http::{self, SecretSource};
use super::values::{count, duration};

/// Defaults of a webhook's settings.
pub mod defaults {
    use std::time::Duration;

    /// A receiver answers in milliseconds; 10 s covers a slow one without
    /// letting a hung one hold its queue for long.
    pub const TIMEOUT: Duration = Duration::from_secs(10);
    /// Retries after the first attempt, with doubling waits from
    /// [`crate::webhook::FIRST_RETRY_WAIT`]: 1+2+4+8+16 s, about half a
    /// minute of a receiver restarting.
    pub const RETRIES: u64 = 5;
    /// Story ids waiting per target. An id is 8 bytes (the story is read
    /// when it is sent), so 10,000 cost 80 KB and cover hours of a receiver
    /// being down on a busy instance (~1,000 new stories an hour).
    pub const QUEUE: u64 = 10_000;
    pub const SECRET_HEADER: &str = "Authorization";
}

/// The keys of `[webhook]` and `[feed.webhook]`.
pub(super) const KEYS: &[&str] = &[
    "url",
    "secret_file",
    "secret_env",
    "secret_header",
    "timeout",
    "retries",
    "queue",
];

/// One webhook target.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// http or https.
    pub url: Url,
    /// The header the secret is sent in, and where to read it.
    pub secret: Option<(HeaderName, SecretSource)>,
    /// For one delivery attempt, connecting included.
    pub timeout: Duration,
    pub retries: u32,
    pub queue: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    url: Spanned<String>,
    secret_file: Option<Spanned<String>>,
    secret_env: Option<Spanned<String>>,
    secret_header: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    retries: Option<Spanned<i64>>,
    queue: Option<Spanned<i64>>,
}

impl RawWebhook {
    /// `base`: the folder of feeds.toml, which `secret_file` is relative to.
    /// `None` when the URL is unusable; every problem is reported.
    pub(super) fn validate(self, base: &Path, problems: &mut Problems) -> Option<WebhookConfig> {
        let url = Url::parse(self.url.get_ref().trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if url.is_none() {
            problems.at(
                self.url.span(),
                format!(
                    "webhook url {:?} is not an http(s) URL such as http://127.0.0.1:8080/hook",
                    self.url.get_ref()
                ),
            );
        }
        let header = match &self.secret_header {
            Some(h) => match HeaderName::from_bytes(h.get_ref().trim().as_bytes()) {
                Ok(name) => Some(name),
                Err(_) => {
                    problems.at(
                        h.span(),
                        format!("{:?} is not an HTTP header name", h.get_ref()),
                    );
                    None
                }
            },
            None => Some(HeaderName::from_static("authorization")),
        };
        let has_source = self.secret_env.is_some() || self.secret_file.is_some();
        if let (Some(h), false) = (&self.secret_header, has_source) {
            problems.at(h.span(), "secret_header needs secret_file or secret_env");
        }
        let source = http::source("secret", self.secret_env, self.secret_file, base, problems);
        let timeout = duration(
            self.timeout.as_ref(),
            defaults::TIMEOUT,
            Duration::from_secs(1),
            "webhook timeout",
            problems,
        );
        let retries = count(
            self.retries.as_ref(),
            defaults::RETRIES,
            0..=20,
            "retries",
            problems,
        );
        let queue = count(
            self.queue.as_ref(),
            defaults::QUEUE,
            1..=1_000_000,
            "queue",
            problems,
        );
        Some(WebhookConfig {
            url: url?,
            secret: header.zip(source),
            timeout,
            retries: retries as u32,
            queue: queue as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    fn parse(dir: &Path, src: &str) -> Result<Config, String> {
        Config::parse(&dir.join("feeds.toml"), src).map_err(|e| e.to_string())
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("feedsift-webhook-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn global_and_per_feed_webhooks_with_a_secret_from_a_file() {
        let dir = scratch("ok");
        std::fs::write(dir.join("hook.secret"), "Bearer s3cret\n").expect("secret file");
        let config = parse(
            &dir,
            r#"
[webhook]
url = "http://127.0.0.1:9000/hook"
secret_file = "hook.secret"
timeout = "3s"

[[feed]]
url = "https://a.example/feed"

[[feed]]
url = "https://b.example/feed"
[feed.webhook]
url = "https://hooks.example/b"
retries = 0
"#,
        )
        .expect("valid");
        let global = config.webhook.expect("global webhook");
        assert_eq!(global.url.as_str(), "http://127.0.0.1:9000/hook");
        assert_eq!(global.timeout, std::time::Duration::from_secs(3));
        assert_eq!(global.retries, 5);
        let (header, source) = global.secret.as_ref().expect("secret");
        assert_eq!(header.as_str(), "authorization");
        // Read when sent, not when loaded.
        assert_eq!(
            source.read().map(|s| s.expose().to_string()),
            Ok("Bearer s3cret".into())
        );
        assert!(config.feeds[0].webhook.is_none());
        let b = config.feeds[1].webhook.as_ref().expect("feed webhook");
        assert_eq!((b.url.as_str(), b.retries), ("https://hooks.example/b", 0));
    }

    #[test]
    fn bad_webhooks_are_named_with_their_line() {
        let dir = scratch("bad");
        let err = |src: &str| parse(&dir, src).expect_err(src);
        let e = err("[webhook]\nurl = \"ftp://x.example/\"\n");
        assert!(e.contains(":2:") && e.contains("not an http(s) URL"), "{e}");
        let e = err(
            "[webhook]\nurl = \"http://x.example/\"\nsecret_file = \"f\"\nsecret_env = \"V\"\n",
        );
        assert!(e.contains(":3:") && e.contains("both given"), "{e}");
        let e = err("[webhook]\nurl = \"http://x.example/\"\nsecretenv = \"V\"\n");
        assert!(e.contains("did you mean `secret_env`"), "{e}");
        let e = err("[webhook]\nurl = \"http://x.example/\"\nsecret_header = \"X-Key\"\n");
        assert!(e.contains("needs secret_file or secret_env"), "{e}");
        let e = err("[webhook]\nurl = \"http://x.example/\"\nretries = 99\n");
        assert!(e.contains("retries must be between 0 and 20"), "{e}");
        let e = err("[[feed]]\nurl = \"https://a.example/\"\n[feed.webhook]\nurl = \"x\"\n");
        assert!(e.contains(":4:") && e.contains("not an http(s) URL"), "{e}");
    }
}
