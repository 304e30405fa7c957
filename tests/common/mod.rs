//! Shared test support: a real HTTP/1.1 server on loopback whose answers
//! each test scripts (status, headers, body, delays, validators), and
//! helpers to run the real `feedsift` binary against it.

#![allow(dead_code)] // each test binary uses a different part of this file

pub mod pg;
pub mod site;

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait before answering.
    pub delay: Duration,
    /// Answer 304 when the request's If-None-Match carries this tag.
    pub etag: Option<String>,
    /// Send the body this many bytes at a time, pausing between chunks.
    pub drip: Option<(usize, Duration)>,
    /// Send `body` over and over without a Content-Length, until the client
    /// hangs up: an endless response.
    pub endless: bool,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
            etag: None,
            drip: None,
            endless: false,
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            ..Reply::ok("text/plain", format!("status {status}\n"))
        }
    }
    pub fn html(body: impl Into<Vec<u8>>) -> Reply {
        Reply::ok("text/html; charset=utf-8", body)
    }
    pub fn with_etag(mut self, tag: &str) -> Reply {
        self.etag = Some(tag.into());
        self.headers.push(("ETag".into(), tag.into()));
        self
    }
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn with_delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
    pub fn with_drip(mut self, bytes: usize, every: Duration) -> Reply {
        self.drip = Some((bytes, every));
        self
    }
    /// A 200 whose body is `chunk` repeated forever.
    pub fn endless(content_type: &str, chunk: impl Into<Vec<u8>>) -> Reply {
        Reply {
            endless: true,
            ..Reply::ok(content_type, chunk)
        }
    }
    /// A redirect to `location` (absolute or relative).
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).with_header("Location", location)
    }
}

/// A request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    /// When the request's head had been read.
    pub at: Instant,
}

#[derive(Default)]
struct State {
    /// Path (with query) -> replies; the last one repeats.
    routes: HashMap<String, VecDeque<Reply>>,
    seen: Vec<Seen>,
    /// Requests read and not yet fully answered, and the most ever.
    in_flight: usize,
    peak_in_flight: usize,
}

/// A scripted HTTP server on a loopback address, one thread per connection.
pub struct Server {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Server {
    /// Starts on `ip` (e.g. "127.0.0.1", or "127.0.0.7" to be another host).
    pub fn start(ip: &str) -> Server {
        let listener = TcpListener::bind((ip, 0)).expect("bind test server");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let state = shared.clone();
                thread::spawn(move || serve(conn, state));
            }
        });
        Server { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Always answer `path` with `reply`.
    pub fn route(&self, path: &str, reply: Reply) {
        self.script(path, vec![reply]);
    }

    /// Answer `path` with these replies in turn; the last one repeats.
    pub fn script(&self, path: &str, replies: Vec<Reply>) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.into(), replies.into());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }

    pub fn clear_seen(&self) {
        self.state.lock().unwrap().seen.clear();
    }

    /// The most requests this server was answering at once: from reading
    /// a request's head to having written its last byte.
    pub fn peak_in_flight(&self) -> usize {
        self.state.lock().unwrap().peak_in_flight
    }
}

/// Counts a request as in flight until dropped, whichever way `serve`
/// returns.
struct InFlight(Arc<Mutex<State>>);

impl InFlight {
    fn enter(state: &Arc<Mutex<State>>) -> InFlight {
        let mut st = state.lock().unwrap();
        st.in_flight += 1;
        st.peak_in_flight = st.peak_in_flight.max(st.in_flight);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut st) = self.0.lock() {
            st.in_flight -= 1;
        }
    }
}

fn serve(conn: TcpStream, state: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut conn = conn;
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    // Counted until the response's last bytes are handed to the socket: the
    // client cannot be done before then, so an overlap seen here is real,
    // not this thread being slow to note that it finished.
    let mut in_flight = Some(InFlight::enter(&state));
    let reply = {
        let mut st = state.lock().unwrap();
        st.seen.push(Seen {
            path: path.clone(),
            headers: headers.clone(),
            at: Instant::now(),
        });
        match st.routes.get_mut(&path) {
            Some(q) if q.len() > 1 => q.pop_front(),
            Some(q) => q.front().cloned(),
            None => None,
        }
    }
    .unwrap_or_else(|| Reply::status(404));
    thread::sleep(reply.delay);
    let not_modified = reply.etag.is_some() && headers.get("if-none-match") == reply.etag.as_ref();
    let (status, body) = if not_modified {
        (304, Vec::new())
    } else {
        (reply.status, reply.body.clone())
    };
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if reply.endless && !not_modified {
        head.push_str("Connection: close\r\n\r\n");
        if conn.write_all(head.as_bytes()).is_err() || body.is_empty() {
            return;
        }
        // Until the client hangs up.
        while conn.write_all(&body).is_ok() {}
        return;
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    match reply.drip {
        Some((n, every)) if !body.is_empty() => {
            if conn.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunks: Vec<&[u8]> = body.chunks(n.max(1)).collect();
            for (i, chunk) in chunks.iter().enumerate() {
                if i + 1 == chunks.len() {
                    in_flight.take();
                }
                if conn.write_all(chunk).is_err() {
                    return;
                }
                let _ = conn.flush();
                thread::sleep(every);
            }
        }
        _ => {
            let mut response = head.into_bytes();
            response.extend_from_slice(&body);
            in_flight.take();
            if conn.write_all(&response).is_err() {
                return;
            }
        }
    }
    let _ = conn.flush();
    // Let the client read everything before the socket closes.
    let _ = conn.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 256];
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = conn.read(&mut sink);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A fresh scratch directory for one test, removed when the test passes
/// (dropped without a panic) and kept for a look when it fails.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("feedsift-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    Scratch(dir)
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_feedsift")
}

/// Runs `feedsift --config <config> <args>` and returns its output.
pub fn feedsift(config: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "feedsift=debug")
        .output()
        .expect("run feedsift")
}

/// Writes a feeds.toml with polite-but-fast test settings and these feeds.
pub fn write_config(dir: &Path, feeds: &[&str], extra_settings: &str) -> PathBuf {
    let mut toml = format!(
        "[settings]\ndatabase = \"feedsift.db\"\nper_host_delay = \"0s\"\nrespect_robots = false\n{extra_settings}\n"
    );
    for f in feeds {
        toml.push_str(&format!("\n[[feed]]\nurl = \"{f}\"\n"));
    }
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).expect("write feeds.toml");
    path
}

/// Opens the database a test run wrote.
pub fn db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("feedsift.db")).expect("open db")
}

pub fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}
