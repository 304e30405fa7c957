//! Load harness (issue 5, "Performance"): full poll cycles over 10,000
//! feeds served from 500 loopback addresses, measured, not asserted.
//!
//! ```sh
//! cargo bench --bench poll_harness            # release build, ~2 min
//! FEEDS=2000 HOSTS=100 cargo bench --bench poll_harness
//! DATABASE=postgres://postgres@127.0.0.1:5432/bench NODES=3 cargo bench --bench poll_harness
//! PROFILE=1 cargo bench --bench poll_harness  # perf record of the steady cycles
//! ```
//!
//! The harness re-runs itself as a child process that serves the feeds, so
//! the poller's figures (time, peak RSS) are its own. The server is a small
//! hand-rolled HTTP/1.1 responder on tokio (keep-alive, Content-Length, no
//! parsing beyond the request line and `If-None-Match`): it answers from
//! bytes prepared up front, so it costs the poller as little CPU as
//! possible on a shared 2-core box, and it needs no server-side HTTP crate.
//!
//! The poller side is the library's pipeline as the daemon runs it: one
//! [`Pipeline`] (database, writer, HTTP client) for the whole run, and each
//! cycle polls every feed once, as `poll --all` does. Cycles:
//!
//! 1. seed: every feed answers 200 with an ETag; ~200,000 new entries are
//!    stored (`full_text = "never"`, so no pages);
//! 2. not modified: every feed answers 304 (target ≤ 5 s per cycle);
//! 3. unchanged: every feed answers 200 without validators and nothing in
//!    it is new (target ≤ 20 s per cycle).
//!
//! Peak RSS (VmHWM) is reported per cycle (reset through
//! /proc/self/clear_refs before each), so the seed's does not hide the
//! steady cycles'.
//!
//! Measured on a 2-core box shared with other builds (one run each,
//! median of 3 cycles; default settings but `per_host_delay = "0s"`,
//! `respect_robots = false`):
//!
//! | | seed (200k new) | 304 cycle | 200, nothing new | peak RSS |
//! | --- | --- | --- | --- | --- |
//! | before | 14.4 s | 0.34 s (29,800 feeds/s) | 1.73 s (5,770 feeds/s) | 290 MiB seed, 299 MiB steady |
//! | polls under way bounded | 14.2 s | 0.34 s (29,800 feeds/s) | 1.78 s (5,630 feeds/s) | 101 MiB seed, 111 MiB steady |
//!
//! Where the time goes (perf, dwarf call graphs, steady cycles): feed
//! parsing ~25 % (measured with feed-rs then ~18 %, the repair pre-scan ~7 %), SQLite reads
//! ~12 % (the entries' statuses, then one point query per entry, ~9 %, now
//! one batched query per poll; `feed_state` ~3 %), the writer thread ~12 %, the HTTP client ~8 % plus socket
//! syscalls, and ~12 % thread wake-ups and switches (the blocking pool
//! grows to ~100 threads parsing in parallel). The seed is writer-bound:
//! ~14,000 articles/s stored.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use feedsift::config::Config;
use feedsift::fetch::FetchSettings;
use feedsift::model::PollResult;
use feedsift::poll::pipeline::Pipeline;
use feedsift::poll::{self, FeedTarget, PollReport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The issue's load: 10,000 feeds over at least 500 addresses, ~20 items.
const DEFAULT_FEEDS: usize = 10_000;
const DEFAULT_HOSTS: usize = 500;
const ITEMS_PER_FEED: usize = 20;
/// Steady cycles of each kind; the median is the figure.
const DEFAULT_CYCLES: usize = 3;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let feeds = args
            .get(2)
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_FEEDS);
        let hosts = args
            .get(3)
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_HOSTS);
        serve(feeds, hosts);
        return;
    }
    // `cargo test --benches` runs bench targets with `--test`: nothing to
    // measure there.
    if args.iter().any(|a| a == "--test") {
        return;
    }
    let feeds = env_usize("FEEDS", DEFAULT_FEEDS);
    let hosts = env_usize("HOSTS", DEFAULT_HOSTS).min(feeds).max(1);
    let cycles = env_usize("CYCLES", DEFAULT_CYCLES).max(1);
    if let Err(e) = run(feeds, hosts, cycles) {
        eprintln!("poll_harness: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------- server

/// `127.1.x.y`: clear of the 127.0.0.x addresses the tests and the
/// newsroom use.
fn host_ip(i: usize) -> String {
    format!("127.1.{}.{}", i / 250, i % 250 + 1)
}

const WORDS: &[&str] = &[
    "harbour",
    "council",
    "river",
    "train",
    "library",
    "budget",
    "storm",
    "market",
    "school",
    "bridge",
    "museum",
    "election",
    "festival",
    "hospital",
    "airport",
    "forest",
    "factory",
    "court",
    "stadium",
    "farmers",
    "teachers",
    "ministers",
    "volunteers",
    "engineers",
    "route",
    "report",
    "plan",
    "vote",
    "strike",
    "repair",
    "opening",
    "closure",
    "record",
    "warning",
    "winter",
    "summer",
    "night",
    "morning",
    "north",
    "south",
    "city",
    "village",
    "region",
];

/// A deterministic feed of `ITEMS_PER_FEED` items with unique texts.
fn feed_body(feed: usize, host: &str, port: u16) -> Vec<u8> {
    let mut items = String::new();
    let mut seed = (feed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in 0..ITEMS_PER_FEED {
        let mut words = Vec::with_capacity(30);
        for _ in 0..30 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            words.push(WORDS[(seed % WORDS.len() as u64) as usize]);
        }
        let hour = (i * 3) % 24;
        items.push_str(&format!(
            "<item><title>Feed {feed} story {i}: {} {}</title>\
             <link>http://{host}:{port}/a/{feed}/{i}.html</link>\
             <guid isPermaLink=\"false\">f{feed}-i{i}</guid>\
             <pubDate>Fri, {:02} Nov 2026 {hour:02}:15:00 GMT</pubDate>\
             <description>Story {i} of feed {feed}. {}.</description></item>\n",
            words[0],
            words[1],
            20 - i / 8,
            words.join(" ")
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Harness feed {feed}</title><link>http://{host}:{port}/</link>\
         <description>Load harness</description>\n{items}</channel></rss>\n"
    )
    .into_bytes()
}

struct Served {
    /// Mode `etag`: 200 with an ETag, 304 when it is sent back.
    with_etag: Vec<u8>,
    /// Mode `plain`: 200 without validators, whatever the request says.
    plain: Vec<u8>,
    etag: String,
}

fn serve(feeds: usize, hosts: usize) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("serve: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let mut listeners = Vec::with_capacity(hosts);
        for h in 0..hosts {
            let ip = host_ip(h);
            match TcpListener::bind((ip.as_str(), 0)).await {
                Ok(l) => listeners.push(l),
                Err(e) => {
                    eprintln!("serve: bind {ip}: {e}");
                    return;
                }
            }
        }
        let ports: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.port()).unwrap_or(0))
            .collect();
        // Feed f lives on host f % hosts.
        let mut served: HashMap<String, Served> = HashMap::with_capacity(feeds);
        for f in 0..feeds {
            let h = f % hosts;
            let body = feed_body(f, &host_ip(h), ports[h]);
            let etag = format!("\"v1-{f}\"");
            let head = |validators: &str| {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n{validators}Content-Length: {}\r\n\r\n",
                    body.len()
                )
                .into_bytes()
            };
            let mut with_etag = head(&format!("ETag: {etag}\r\n"));
            with_etag.extend_from_slice(&body);
            let mut plain = head("");
            plain.extend_from_slice(&body);
            served.insert(format!("/feed/{f}.xml"), Served { with_etag, plain, etag });
        }
        let served = Arc::new(served);
        let plain_mode = Arc::new(AtomicBool::new(false));
        for l in listeners {
            let (served, plain_mode) = (served.clone(), plain_mode.clone());
            tokio::spawn(async move {
                while let Ok((conn, _)) = l.accept().await {
                    let (served, plain_mode) = (served.clone(), plain_mode.clone());
                    tokio::spawn(connection(conn, served, plain_mode));
                }
            });
        }
        let mut out = std::io::stdout();
        for (h, port) in ports.iter().enumerate() {
            let _ = writeln!(out, "{}:{port}", host_ip(h));
        }
        let _ = writeln!(out, "READY");
        let _ = out.flush();
        // Mode changes arrive on stdin, one word a line; EOF ends the server.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(4);
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        while let Some(line) = rx.recv().await {
            plain_mode.store(line.trim() == "plain", Ordering::SeqCst);
            let _ = writeln!(out, "OK {}", line.trim());
            let _ = out.flush();
        }
    });
}

async fn connection(
    mut conn: TcpStream,
    served: Arc<HashMap<String, Served>>,
    plain_mode: Arc<AtomicBool>,
) {
    let _ = conn.set_nodelay(true);
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let path = head.split_whitespace().nth(1).unwrap_or("/");
        let if_none_match = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("if-none-match").then(|| v.trim())
        });
        let written = match served.get(path) {
            None => {
                conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    .await
            }
            Some(s) if plain_mode.load(Ordering::Relaxed) => conn.write_all(&s.plain).await,
            Some(s) if if_none_match == Some(s.etag.as_str()) => {
                let reply = format!("HTTP/1.1 304 Not Modified\r\nETag: {}\r\n\r\n", s.etag);
                conn.write_all(reply.as_bytes()).await
            }
            Some(s) => conn.write_all(&s.with_etag).await,
        };
        if written.is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------- poller

struct ServerProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl ServerProcess {
    fn start(feeds: usize, hosts: usize) -> Result<(ServerProcess, Vec<String>), String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args(["serve", &feeds.to_string(), &hosts.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut addrs = Vec::new();
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                return Err("the server exited before it was ready".into());
            }
            match line.trim() {
                "READY" => break,
                addr => addrs.push(addr.to_string()),
            }
        }
        Ok((
            ServerProcess {
                child,
                stdin,
                stdout,
            },
            addrs,
        ))
    }

    fn mode(&mut self, mode: &str) -> Result<(), String> {
        writeln!(self.stdin, "{mode}").map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if line.trim() != format!("OK {mode}") {
            return Err(format!("server answered {line:?}"));
        }
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `DATABASE`: a PostgreSQL URL (an empty database) to measure that
/// backend; the default is a SQLite file in the scratch directory.
fn database() -> String {
    std::env::var("DATABASE").unwrap_or_else(|_| "feedsift.db".into())
}

fn write_config(dir: &Path, feeds: usize, addrs: &[String]) -> Result<PathBuf, String> {
    let concurrency = env_usize("CONCURRENCY", 0);
    let mut toml = format!(
        "[settings]\ndatabase = \"{}\"\nper_host_delay = \"0s\"\nrespect_robots = false\n",
        database()
    );
    if concurrency > 0 {
        toml.push_str(&format!("max_concurrent_fetches = {concurrency}\n"));
    }
    for f in 0..feeds {
        toml.push_str(&format!(
            "\n[[feed]]\nurl = \"http://{}/feed/{f}.xml\"\nfull_text = \"never\"\n",
            addrs[f % addrs.len()]
        ));
    }
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).map_err(|e| e.to_string())?;
    Ok(path)
}

/// From /proc/self/status, in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// A count from /proc/self/status (no unit).
fn status_kib_free(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().parse().ok())
}

fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[derive(Default, Debug)]
struct Cycle {
    seconds: f64,
    /// VmHWM during this cycle alone, and threads at its end.
    peak_rss_mib: u64,
    threads: u64,
    ok: usize,
    failed: usize,
    not_modified: usize,
    new_articles: usize,
    /// Polls another node had (several nodes on one PostgreSQL database).
    elsewhere: usize,
}

/// On PostgreSQL, makes every feed due again, so that each node of the
/// cycle leases the feeds no other node has taken yet.
fn make_all_due() -> Result<(), String> {
    let url = database();
    if !feedsift::config::is_postgres_url(&url) {
        return Ok(());
    }
    let mut client = feedsift::store::postgres::connect(&url).map_err(|e| e.to_string())?;
    client
        .execute("UPDATE feeds SET next_poll_at = NULL", &[])
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// One cycle: every node polls every feed (as each node's scheduler would
/// when all are due); on a shared database the leases split them.
async fn cycle(pipelines: &[Pipeline], targets: &[FeedTarget]) -> Cycle {
    // The sync client drives its own runtime: not on an async worker.
    match tokio::task::spawn_blocking(make_all_due).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("  cannot make the feeds due: {e}"),
        Err(e) => eprintln!("  cannot make the feeds due: {e}"),
    }
    reset_peak_rss();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for pipeline in pipelines {
        for target in targets {
            let (ctx, target) = (pipeline.ctx.clone(), target.clone());
            tasks.spawn(async move { poll::poll_feed(&ctx, &target).await });
        }
    }
    let mut c = Cycle::default();
    let mut first_error: Option<PollReport> = None;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(r) => {
                if r.ok() {
                    c.ok += 1;
                } else {
                    c.failed += 1;
                    first_error.get_or_insert(r.clone());
                }
                c.not_modified += usize::from(r.result == PollResult::NotModified);
                c.elsewhere += usize::from(r.result == PollResult::Elsewhere);
                c.new_articles += r.applied.new_articles;
            }
            Err(_) => c.failed += 1,
        }
    }
    c.seconds = started.elapsed().as_secs_f64();
    c.peak_rss_mib = status_kib("VmHWM:").unwrap_or(0) / 1024;
    c.threads = status_kib_free("Threads:").unwrap_or(0);
    if let Some(r) = first_error {
        eprintln!("  first failure: {} {:?}", r.url, r.error);
    }
    c
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run(feeds: usize, hosts: usize, cycles: usize) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("feedsift-harness-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (mut server, addrs) = ServerProcess::start(feeds, hosts)?;
    let config_path = write_config(&dir, feeds, &addrs)?;
    let config = Config::load(&config_path).map_err(|e| e.to_string())?;
    let settings = FetchSettings::from_config(&config.settings);
    println!(
        "poll_harness: {feeds} feeds on {} addresses, {ITEMS_PER_FEED} items each; max_concurrent_fetches = {}, per_host_concurrency = {}; {} worker threads",
        addrs.len(),
        settings.max_concurrent,
        settings.per_host_concurrency,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let profile = std::env::var("PROFILE").is_ok();
    let nodes = env_usize("NODES", 1).max(1);
    runtime.block_on(async {
        let started = Instant::now();
        let mut pipelines = Vec::new();
        let mut targets = Vec::new();
        for _ in 0..nodes {
            let pipeline = Pipeline::start(&config, settings.clone())
                .await
                .map_err(|e| e.to_string())?;
            targets = pipeline
                .sync_feeds(&config)
                .await
                .map_err(|e| e.to_string())?;
            pipelines.push(pipeline);
        }
        println!("nodes: {nodes} on {}", feedsift::store::backend::redacted(&database()));
        println!("start-up (database, feeds sync): {:.2} s", started.elapsed().as_secs_f64());

        let seed = cycle(&pipelines, &targets).await;
        report("seed (200, all new)", &seed, feeds);

        let perf = if profile { start_perf(&dir) } else { None };
        let mut not_modified = Vec::new();
        let mut steady_peak = 0;
        for _ in 0..cycles {
            let c = cycle(&pipelines, &targets).await;
            report("not modified (304)", &c, feeds);
            not_modified.push(c.seconds);
            steady_peak = steady_peak.max(c.peak_rss_mib);
        }
        server.mode("plain")?;
        // The first plain cycle also drops the stored validators.
        let mut unchanged = Vec::new();
        for _ in 0..cycles {
            let c = cycle(&pipelines, &targets).await;
            report("unchanged (200, nothing new)", &c, feeds);
            unchanged.push(c.seconds);
            steady_peak = steady_peak.max(c.peak_rss_mib);
        }
        if let Some(perf) = perf {
            stop_perf(perf, &dir);
        }
        for pipeline in pipelines {
            pipeline.finish().await;
        }
        let (a, b) = (median(not_modified), median(unchanged));
        println!(
            "SUMMARY 304 cycle {a:.2} s ({:.0} feeds/s, target <= 5 s); 200-nothing-new cycle {b:.2} s ({:.0} feeds/s, target <= 20 s); peak RSS {steady_peak} MiB in the steady cycles, {} MiB in the seed (target <= 150 MiB)",
            feeds as f64 / a,
            feeds as f64 / b,
            seed.peak_rss_mib,
        );
        let db = dir.join("feedsift.db");
        let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        println!("database: {} MiB at {}", size / (1024 * 1024), db.display());
        Ok::<(), String>(())
    })?;
    if std::env::var("KEEP").is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn report(what: &str, c: &Cycle, feeds: usize) {
    println!(
        "{what:<30} {:>7.2} s  {:>6.0} feeds/s  ok {} (304: {}, another node's: {}), failed {}, new articles {}; peak RSS {} MiB, {} threads",
        c.seconds,
        feeds as f64 / c.seconds,
        c.ok - c.elsewhere,
        c.not_modified,
        c.elsewhere,
        c.failed,
        c.new_articles,
        c.peak_rss_mib,
        c.threads
    );
}

fn start_perf(dir: &Path) -> Option<Child> {
    let out = dir.join("perf.data");
    let child = Command::new("perf")
        .args(["record", "-F", "200", "--call-graph", "dwarf,16384", "-o"])
        .arg(&out)
        .args(["-p", &std::process::id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(500));
    Some(child)
}

fn stop_perf(mut perf: Child, dir: &Path) {
    let _ = Command::new("kill")
        .args(["-INT", &perf.id().to_string()])
        .status();
    let _ = perf.wait();
    println!(
        "perf data: {} (perf report -i ... --no-children)",
        dir.join("perf.data").display()
    );
}
