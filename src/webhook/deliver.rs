//! One target's deliveries: its queue of story ids, sent one at a time in
//! the order they were stored, each retried with doubling waits.
//!
//! The story is read from the database when it is sent, in the shape of
//! `feedsift export` ([`crate::store::query::ExportedStory`]), so a queue
//! holds ids, not texts, and a receiver gets the story as it stands then.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use tokio::sync::mpsc;

use super::Stats;
use super::route::{Answer, retry_wait};
use crate::config::WebhookConfig;
use crate::store::{ReadPool, query};

/// `X-Feedsift-Event` of a delivery: what happened. One kind today; named
/// so that receivers can tell it from kinds added later.
pub const EVENT_NEW_STORY: &str = "story.new";

/// A target with its HTTP client.
pub struct Target {
    pub config: WebhookConfig,
    client: reqwest::Client,
    user_agent: String,
}

impl Target {
    pub fn new(config: WebhookConfig, user_agent: &str) -> Result<Target, reqwest::Error> {
        // reqwest is built without a default TLS provider (see fetch).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .build()?;
        Ok(Target {
            config,
            client,
            user_agent: user_agent.to_string(),
        })
    }

    /// Sends every story id that arrives, until the queue closes and is
    /// empty.
    pub async fn run(self, mut queue: mpsc::Receiver<i64>, reader: ReadPool, stats: Arc<Stats>) {
        while let Some(id) = queue.recv().await {
            let story = match reader.with(|c| query::story(c, id)) {
                Ok(Some(story)) => story,
                // Found since to copy an older story, which was announced.
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(story = id, error = %e, "webhook: cannot read the story");
                    stats.add_failed();
                    continue;
                }
            };
            match serde_json::to_vec(&story) {
                Ok(body) => self.deliver(id, body, &stats).await,
                Err(e) => {
                    tracing::warn!(story = id, error = %e, "webhook: cannot encode the story");
                    stats.add_failed();
                }
            }
        }
    }

    /// One story, with retries.
    async fn deliver(&self, id: i64, body: Vec<u8>, stats: &Stats) {
        let url = self.config.url.as_str();
        let secret = match self.secret() {
            Ok(secret) => secret,
            Err(error) => {
                tracing::warn!(story = id, webhook = url, %error, "webhook: story not sent without its secret");
                stats.add_failed();
                return;
            }
        };
        let mut retry = 0;
        loop {
            let (answer, retry_after, said) = self.attempt(id, body.clone(), secret.as_ref()).await;
            match answer {
                Answer::Delivered => {
                    stats.add_delivered();
                    return;
                }
                Answer::Retry if retry < self.config.retries => {
                    retry += 1;
                    let wait = retry_wait(retry, retry_after);
                    tracing::debug!(story = id, webhook = url, %said, retry, ?wait, "webhook: will retry");
                    stats.add_retried();
                    tokio::time::sleep(wait).await;
                }
                Answer::Retry | Answer::Refused => {
                    tracing::warn!(story = id, webhook = url, %said, attempts = retry + 1, "webhook: story not delivered");
                    stats.add_failed();
                    return;
                }
            }
        }
    }

    /// The secret header, read now: a rotated secret needs no reload.
    fn secret(&self) -> Result<Option<(HeaderName, HeaderValue)>, String> {
        let Some((header, source)) = &self.config.secret else {
            return Ok(None);
        };
        let secret = source.read()?;
        let mut value = HeaderValue::from_str(secret.expose())
            .map_err(|_| format!("the secret in {source} is not one line of visible text"))?;
        value.set_sensitive(true);
        Ok(Some((header.clone(), value)))
    }

    /// One POST: what its answer means, the `Retry-After` it asked for,
    /// and what happened, for the log.
    async fn attempt(
        &self,
        id: i64,
        body: Vec<u8>,
        secret: Option<&(HeaderName, HeaderValue)>,
    ) -> (Answer, Option<Duration>, String) {
        let mut request = self
            .client
            .post(self.config.url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(reqwest::header::USER_AGENT, &self.user_agent)
            .header("X-Feedsift-Event", EVENT_NEW_STORY)
            // Lets a receiver drop a story it already has (a retry after
            // an answer that was lost).
            .header("X-Feedsift-Story", id.to_string())
            .body(body);
        if let Some((header, value)) = secret {
            request = request.header(header.clone(), value.clone());
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                (
                    Answer::of_status(status),
                    retry_after,
                    format!("HTTP {status}"),
                )
            }
            Err(e) if e.is_timeout() => (
                Answer::Retry,
                None,
                format!("no answer within {:?}", self.config.timeout),
            ),
            Err(e) => (Answer::Retry, None, crate::error_chain(&e)),
        }
    }
}
