//! Reload: SIGHUP (`systemctl reload`) or a change of feeds.toml on disk
//! re-reads the configuration and applies it without a restart.
//!
//! The file is watched through its directory, because editors and
//! `feeds add` replace the file (write a new one, rename it over) rather
//! than write into it, and a watch on the old inode would see nothing.
//! Events are debounced: an editor's save is several events, a script may
//! write several times in a row.
//!
//! What a reload applies: the feed list (added feeds are polled within
//! seconds, removed ones stop and keep their articles, marked `removed`),
//! per-feed settings and intervals, `poll_interval`, and the fetch
//! settings (user agent, concurrency, politeness, timeouts, caps,
//! robots.txt, `allow_private_networks`; polls already running finish with
//! the old ones). What needs a restart, logged when it changed:
//! `database`, `metrics_listen`, `dedup_window_days` (the near-duplicate
//! index is loaded at start) and `retention_days` (the retention task is
//! started with it). A file that does not validate is not
//! applied: the daemon keeps running on the previous configuration and
//! logs the error with file:line:column.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{mpsc, oneshot};

use super::notify::Notifier;
use super::scheduler::Control;
use crate::config::{Config, ConfigError, Settings};
use crate::fetch::FetchSettings;
use crate::poll::pipeline::{Pipeline, PipelineError, PollContext};
use crate::webhook::Routes;

/// Quiet time after the last change event before the file is read: long
/// enough for an editor's write-rename-chmod sequence, short enough that
/// an added feed is polled "within seconds".
const DEBOUNCE: Duration = Duration::from_secs(1);

/// A file that keeps changing (a script appending feeds one by one) is
/// still reloaded at least this often.
const MAX_DEBOUNCE: Duration = Duration::from_secs(5);

/// SIGHUP, registered at start-up: its default action would end the
/// process.
pub struct Hangups(Signal);

impl Hangups {
    pub fn register() -> std::io::Result<Hangups> {
        signal(SignalKind::hangup()).map(Hangups)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Signal,
    FileChanged,
}

/// Owns the running configuration and replaces it on reload.
pub struct Reloader {
    current: Config,
    /// The fetch settings the daemon started with; a reload takes the
    /// configured values from the file and keeps the rest (the address
    /// policy).
    fetch: FetchSettings,
    /// `--db`, which overrides the file's `database` at every load.
    db_override: Option<PathBuf>,
    /// The file watch (stops when dropped) and its events; `None` when the
    /// watch could not be set up.
    watch: Option<(notify::RecommendedWatcher, mpsc::Receiver<()>)>,
}

impl Reloader {
    /// Starts watching the config file at once, so that a change made as
    /// soon as the daemon says it is ready is seen.
    pub fn new(current: Config, fetch: FetchSettings, db_override: Option<PathBuf>) -> Reloader {
        let watch = watch(&current.path)
            .map_err(|e| {
                tracing::warn!(config = %current.path.display(), error = %e,
                    "changes to the config file are not watched; reload with SIGHUP (systemctl reload)");
            })
            .ok();
        Reloader {
            current,
            fetch,
            db_override,
            watch,
        }
    }

    /// Waits for SIGHUP or a change of the file and reloads; runs until
    /// dropped.
    pub async fn run(
        mut self,
        pipeline: &Pipeline,
        mut hangups: Hangups,
        scheduler: mpsc::Sender<Control>,
        notifier: &Notifier,
    ) {
        let (_watcher, mut changes) = match self.watch.take() {
            Some((watcher, changes)) => (Some(watcher), Some(changes)),
            None => (None, None),
        };
        // Changed between start-up's read and the watch being set up.
        self.reload(Cause::FileChanged, pipeline, &scheduler, notifier)
            .await;
        loop {
            let cause = tokio::select! {
                Some(()) = hangups.0.recv() => Cause::Signal,
                () = settled(&mut changes) => Cause::FileChanged,
                else => break,
            };
            self.reload(cause, pipeline, &scheduler, notifier).await;
        }
        tracing::warn!("SIGHUP can no longer be received; the config is not reloaded any more");
        std::future::pending().await
    }

    async fn reload(
        &mut self,
        cause: Cause,
        pipeline: &Pipeline,
        scheduler: &mpsc::Sender<Control>,
        notifier: &Notifier,
    ) {
        if cause == Cause::Signal {
            tracing::info!(config = %self.current.path.display(), "SIGHUP received: reloading");
            notifier.reloading();
        }
        let new = match load(&self.current.path, self.db_override.as_deref()) {
            Ok(new) => new,
            Err(e) => {
                tracing::error!(error = %e.summary(), "config not reloaded; running on with the previous one");
                notifier.status(&format!("config not reloaded: {}", e.summary()));
                if cause == Cause::Signal {
                    notifier.ready();
                }
                return;
            }
        };
        if cause == Cause::FileChanged {
            if new == self.current {
                // A save without edits, or a touch.
                tracing::debug!("config file read again: nothing to apply");
                return;
            }
            tracing::info!(config = %self.current.path.display(), "config file changed: reloading");
            notifier.reloading();
        }
        match self.apply(new, pipeline, scheduler).await {
            Ok(()) => notifier.ready(),
            Err(e) => {
                tracing::error!(error = %e, "config not reloaded; running on with the previous one");
                notifier.status(&format!("config not reloaded: {e}"));
                notifier.ready();
            }
        }
    }

    async fn apply(
        &mut self,
        mut new: Config,
        pipeline: &Pipeline,
        scheduler: &mpsc::Sender<Control>,
    ) -> Result<(), String> {
        for setting in needs_restart(&self.current.settings, &new.settings) {
            tracing::warn!(
                setting,
                "setting changed in the config file; it takes effect at the next restart"
            );
        }
        keep_restart_settings(&self.current.settings, &mut new.settings);
        if pipeline.webhooks.is_none() && !Routes::of(&new).is_empty() {
            return Err(PipelineError::WebhooksNeedSqlite.to_string());
        }
        let ctx = if new.settings == self.current.settings {
            None
        } else {
            let fetch = FetchSettings {
                policy: self.fetch.policy.clone(),
                ..FetchSettings::from_config(&new.settings)
            };
            Some(PollContext {
                fetcher: pipeline.fetcher(fetch).map_err(|e| e.to_string())?,
                allow_private_networks: new.settings.allow_private_networks,
                max_entries_per_poll: new.settings.max_entries_per_poll,
                markdown: new.settings.markdown,
                ..pipeline.ctx.clone()
            })
        };
        let targets = pipeline.sync_feeds(&new).await.map_err(|e| e.to_string())?;
        if let Some(webhooks) = &pipeline.webhooks {
            webhooks.retarget(&new);
        }
        let (done, summary) = oneshot::channel();
        scheduler
            .send(Control::Retarget { targets, ctx, done })
            .await
            .map_err(|_| "the scheduler has stopped".to_string())?;
        let summary = summary
            .await
            .map_err(|_| "the scheduler has stopped".to_string())?;
        tracing::info!(
            feeds = new.feeds.len(),
            added = summary.added,
            removed = summary.removed,
            rescheduled = summary.rescheduled,
            "config reloaded"
        );
        self.current = new;
        Ok(())
    }
}

/// Loads the config the way start-up does: validated, `--db` applied.
fn load(path: &Path, db_override: Option<&Path>) -> Result<Config, ConfigError> {
    let mut config = Config::load(path)?;
    if let Some(db) = db_override {
        config.settings.database = db.to_path_buf();
    }
    Ok(config)
}

/// Settings a running daemon cannot change, by name, that differ.
fn needs_restart(running: &Settings, file: &Settings) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if running.database != file.database {
        changed.push("database");
    }
    if running.metrics_listen != file.metrics_listen {
        changed.push("metrics_listen");
    }
    if running.dedup_window_days != file.dedup_window_days {
        changed.push("dedup_window_days");
    }
    if running.retention_days != file.retention_days {
        changed.push("retention_days");
    }
    changed
}

/// The running values of the restart-only settings, so the running config
/// says what is in effect.
fn keep_restart_settings(running: &Settings, file: &mut Settings) {
    file.database = running.database.clone();
    file.metrics_listen = running.metrics_listen;
    file.dedup_window_days = running.dedup_window_days;
    file.retention_days = running.retention_days;
}

/// Watches the directory of `path` for changes to it, and when `path` is
/// a symlink the directory of the file it points to as well (`feeds add`
/// rewrites the target and keeps the link). The watcher stops when dropped.
fn watch(path: &Path) -> notify::Result<(notify::RecommendedWatcher, mpsc::Receiver<()>)> {
    use notify::{EventKind, RecursiveMode, Watcher};

    let mut places = vec![dir_and_name(path)];
    if let Ok(target) = std::fs::canonicalize(path) {
        let target = dir_and_name(&target);
        if !places.contains(&target) {
            places.push(target);
        }
    }
    let names: Vec<_> = places.iter().filter_map(|(_, n)| n.clone()).collect();
    // One pending signal is enough: the reload reads the file as it is then.
    let (tx, rx) = mpsc::channel(1);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        let ours = |p: &PathBuf| p.file_name().is_some_and(|n| names.iter().any(|m| m == n));
        if event.paths.iter().any(ours) {
            let _ = tx.try_send(());
        }
    })?;
    for (dir, _) in &places {
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    }
    Ok((watcher, rx))
}

fn dir_and_name(path: &Path) -> (PathBuf, Option<std::ffi::OsString>) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    (dir, path.file_name().map(|n| n.to_os_string()))
}

/// The next change, once the file has been quiet for [`DEBOUNCE`] (or has
/// kept changing for [`MAX_DEBOUNCE`]). Never resolves without a watcher.
async fn settled(changes: &mut Option<mpsc::Receiver<()>>) {
    let Some(rx) = changes else {
        return std::future::pending().await;
    };
    if rx.recv().await.is_none() {
        tracing::warn!("the config file watcher stopped; reload with SIGHUP (systemctl reload)");
        *changes = None;
        return std::future::pending().await;
    }
    let deadline = tokio::time::Instant::now() + MAX_DEBOUNCE;
    loop {
        let quiet_until = (tokio::time::Instant::now() + DEBOUNCE).min(deadline);
        match tokio::time::timeout_at(quiet_until, rx.recv()).await {
            Ok(Some(())) if tokio::time::Instant::now() < deadline => continue,
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_only_settings_are_named_and_kept() {
        let path = Path::new("/etc/feedsift/feeds.toml");
        let running = Config::parse(path, "[settings]\ndatabase = \"a.db\"\n")
            .unwrap()
            .settings;
        let mut file = Config::parse(
            path,
            "[settings]\ndatabase = \"b.db\"\nmetrics_listen = \"127.0.0.1:9187\"\nuser_agent = \"x/1\"\n",
        )
        .unwrap()
        .settings;
        assert_eq!(
            needs_restart(&running, &file),
            vec!["database", "metrics_listen"]
        );
        keep_restart_settings(&running, &mut file);
        assert_eq!(file.database, running.database);
        assert_eq!(file.metrics_listen, None);
        assert_eq!(file.user_agent, "x/1", "other settings apply");
    }
}
