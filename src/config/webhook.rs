//! `[webhook]` and `[feed.webhook]`: where new stories are announced.
//!
//! A webhook target is written by the operator, like the feeds themselves,
//! so it is a trusted destination: it may be on loopback or the LAN (the
//! usual place for a receiver), whatever `allow_private_networks` says,
//! which guards only the URLs that feed content supplies. Deliveries
//! follow no redirects, so a receiver cannot send feedsift elsewhere.
//!
//! The secret is read when the config loads, from a file (relative to
//! feeds.toml) or an environment variable, never written in feeds.toml
//! itself; it is sent as one header and never printed (its `Debug` is
//! masked). A secret this process cannot read (the service's file or
//! variable, seen from an operator's shell) is an error only for the
//! commands that send ([`crate::config::Config::check_secrets`]): `status`
//! and `export` still read the database.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::{ConfigError, Locate, count_setting, duration_setting};

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

/// One webhook target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// http or https.
    pub url: Url,
    pub secret: SecretSetting,
    /// For one delivery attempt, connecting included.
    pub timeout: Duration,
    pub retries: u32,
    pub queue: usize,
}

/// Whether a webhook sends a secret, and whether it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSetting {
    None,
    Ready(Secret),
    /// Configured, but this process cannot read it.
    Unavailable(ConfigError),
}

impl SecretSetting {
    /// The secret to send, when there is one and it could be read.
    pub fn get(&self) -> Option<&Secret> {
        match self {
            SecretSetting::Ready(s) => Some(s),
            SecretSetting::None | SecretSetting::Unavailable(_) => None,
        }
    }
}

/// A header carrying the webhook's secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub header: HeaderName,
    pub value: HeaderValue,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}: ***)", self.header)
    }
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
    pub(super) fn validate(
        self,
        base: &Path,
        locate: &Locate,
    ) -> Result<WebhookConfig, ConfigError> {
        let url = Url::parse(self.url.get_ref().trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                locate(
                    Some(self.url.span()),
                    format!(
                        "webhook url {:?} is not an http(s) URL such as http://127.0.0.1:8080/hook",
                        self.url.get_ref()
                    ),
                )
            })?;
        let secret = self.secret(base, locate)?;
        Ok(WebhookConfig {
            url,
            secret,
            timeout: duration_setting(
                self.timeout,
                defaults::TIMEOUT,
                Duration::from_secs(1),
                "webhook timeout",
                locate,
            )?,
            retries: count_setting(self.retries, defaults::RETRIES, 0..=20, "retries", locate)?
                as u32,
            queue: count_setting(self.queue, defaults::QUEUE, 1..=1_000_000, "queue", locate)?
                as usize,
        })
    }

    /// The secret setting; a secret that cannot be read is kept as
    /// [`SecretSetting::Unavailable`], a malformed one is an error.
    fn secret(&self, base: &Path, locate: &Locate) -> Result<SecretSetting, ConfigError> {
        let unavailable = |e: ConfigError| Ok(SecretSetting::Unavailable(e));
        let (text, span) = match (&self.secret_file, &self.secret_env) {
            (Some(_), Some(env)) => {
                return Err(locate(
                    Some(env.span()),
                    "give secret_file or secret_env, not both".into(),
                ));
            }
            (Some(file), None) => {
                let path = base.join(file.get_ref());
                match std::fs::read_to_string(&path) {
                    Ok(text) => (text, file.span()),
                    Err(e) => {
                        return unavailable(locate(
                            Some(file.span()),
                            format!("cannot read secret_file {}: {e}", path.display()),
                        ));
                    }
                }
            }
            (None, Some(env)) => match std::env::var(env.get_ref()) {
                Ok(text) => (text, env.span()),
                Err(_) => {
                    return unavailable(locate(
                        Some(env.span()),
                        format!("environment variable {} is not set", env.get_ref()),
                    ));
                }
            },
            (None, None) => {
                if let Some(header) = &self.secret_header {
                    return Err(locate(
                        Some(header.span()),
                        "secret_header needs secret_file or secret_env".into(),
                    ));
                }
                return Ok(SecretSetting::None);
            }
        };
        let header_text = self
            .secret_header
            .as_ref()
            .map_or(defaults::SECRET_HEADER, |h| h.get_ref().as_str());
        let header = HeaderName::from_bytes(header_text.trim().as_bytes()).map_err(|_| {
            let span = self.secret_header.as_ref().map(Spanned::span);
            locate(span, format!("{header_text:?} is not an HTTP header name"))
        })?;
        // A file ends with a newline; the secret does not.
        let mut value = HeaderValue::from_str(text.trim()).map_err(|_| {
            locate(
                Some(span.clone()),
                "the secret is not a valid header value (one line of visible characters)".into(),
            )
        })?;
        if text.trim().is_empty() {
            return Err(locate(Some(span), "the secret is empty".into()));
        }
        value.set_sensitive(true);
        Ok(SecretSetting::Ready(Secret { header, value }))
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
        let secret = global.secret.get().expect("secret").clone();
        assert_eq!(secret.header.as_str(), "authorization");
        assert_eq!(secret.value.to_str().ok(), Some("Bearer s3cret"));
        assert!(!format!("{secret:?}").contains("s3cret"));
        assert!(config.feeds[0].webhook.is_none());
        let b = config.feeds[1].webhook.as_ref().expect("feed webhook");
        assert_eq!((b.url.as_str(), b.retries), ("https://hooks.example/b", 0));
    }

    #[test]
    fn bad_webhooks_are_named_with_their_line() {
        let dir = scratch("bad");
        let err = |src: &str| match parse(&dir, src) {
            Ok(config) => config.check_secrets().expect_err(src).to_string(),
            Err(e) => e,
        };
        let e = err("[webhook]\nurl = \"ftp://x.example/\"\n");
        assert!(e.contains(":2:") && e.contains("not an http(s) URL"), "{e}");
        let e = err("[webhook]\nurl = \"http://x.example/\"\nsecret_file = \"missing\"\n");
        assert!(
            e.contains(":3:") && e.contains("cannot read secret_file"),
            "{e}"
        );
        let e = err(
            "[webhook]\nurl = \"http://x.example/\"\nsecret_env = \"FEEDSIFT_TEST_UNSET_VAR_9\"\n",
        );
        assert!(e.contains("is not set"), "{e}");
        let e = err("[webhook]\nurl = \"http://x.example/\"\nsecret_header = \"X-Key\"\n");
        assert!(e.contains("needs secret_file or secret_env"), "{e}");
        let e = err("[webhook]\nurl = \"http://x.example/\"\nretries = 99\n");
        assert!(e.contains("retries must be between 0 and 20"), "{e}");
        let e = err("[[feed]]\nurl = \"https://a.example/\"\n[feed.webhook]\nurl = \"x\"\n");
        assert!(e.contains(":4:") && e.contains("not an http(s) URL"), "{e}");
    }
}
