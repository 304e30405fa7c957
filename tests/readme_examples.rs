//! README "Reading the data" runs as written. Each example is the fenced
//! block after a `<!-- readme-test: TOOL NAME -->` line; these tests take
//! them from README.md and run them against a database written by a real
//! `poll --all`, while another connection holds the database's write lock
//! (as the daemon does while it commits):
//!
//! - `sqlite3` blocks are shell commands run by `sh` (they call the
//!   `sqlite3` CLI),
//! - the `python` block is run by `python3`,
//! - `datasette` is started with the README's command on a free loopback
//!   port (the one change to what is printed), and the README's JSON URL is
//!   fetched from it.
//!
//! A test whose tool is not installed is ignored, with the reason (build.rs
//! looks for the tools); `.ci/run` installs all three, so CI runs them all.

mod common;
mod data_support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Scratch, scratch};
use data_support::Newsroom;
use rusqlite::Connection;

/// How long Datasette may take to start answering.
const DATASETTE_START: Duration = Duration::from_secs(60);

struct Example {
    tool: String,
    name: String,
    code: String,
}

fn examples() -> Vec<Example> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("read README.md");
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(marker) = line
            .trim()
            .strip_prefix("<!-- readme-test:")
            .and_then(|m| m.strip_suffix("-->"))
        else {
            continue;
        };
        let mut words = marker.split_whitespace();
        let (Some(tool), Some(name)) = (words.next(), words.next()) else {
            panic!("malformed marker: {line}");
        };
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "marker not followed by a code block: {line}"
        );
        let code: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        out.push(Example {
            tool: tool.into(),
            name: name.into(),
            code: code.join("\n") + "\n",
        });
    }
    out
}

fn example(tool: &str, name: &str) -> String {
    examples()
        .into_iter()
        .find(|e| e.tool == tool && e.name == name)
        .unwrap_or_else(|| panic!("README has no `{tool} {name}` example"))
        .code
}

/// A database from a real poll of the test newsroom (in a scratch directory
/// that lives as long as the first value), and a connection holding its
/// write lock with an uncommitted change for as long as it lives.
fn polled_database(name: &str) -> (Scratch, Newsroom, Connection) {
    let dir = scratch(name);
    let room = Newsroom::start(&dir, "");
    room.poll();
    let writer = Connection::open(room.db_path()).expect("open for writing");
    writer
        .execute_batch("BEGIN IMMEDIATE; UPDATE feeds SET last_error = 'writing' WHERE id = 1;")
        .expect("take the write lock");
    (dir, room, writer)
}

fn data_rows(output: &str) -> Vec<&str> {
    // `-header -column`: a header line, a line of dashes, then the rows.
    output
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

#[test]
#[cfg_attr(
    not(has_sqlite3),
    ignore = "`sqlite3` is not installed (.ci/run installs it)"
)]
fn readme_sqlite3_examples_run_as_written() {
    let all = examples();
    let names: Vec<&str> = all
        .iter()
        .filter(|e| e.tool == "sqlite3")
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["latest", "search", "sources", "incremental"]);
    let (_dir, room, _writer) = polled_database("readme-sqlite3");
    let run = |name: &str| -> String {
        let out = Command::new("sh")
            .args(["-c", &example("sqlite3", name)])
            .current_dir(&room.dir)
            .output()
            .expect("run sh");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{name}: {stderr}"
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let latest = run("latest");
    assert_eq!(data_rows(&latest).len(), 4, "{latest}");
    for story in common::site::STORIES {
        assert!(latest.contains(story.title), "{latest}");
    }
    assert!(!latest.contains("/w/"), "copies are not stories: {latest}");

    let search = run("search");
    let rows = data_rows(&search);
    assert_eq!(rows.len(), 2, "{search}");
    assert!(
        search.contains("[cranes]") && search.contains("[river]"),
        "{search}"
    );

    let sources = run("sources");
    let rows = data_rows(&sources);
    assert_eq!(rows.len(), 2, "{sources}");
    assert!(sources.contains("The Test Herald"), "{sources}");

    let incremental = run("incremental");
    let seqs: Vec<i64> = data_rows(&incremental)
        .iter()
        .map(|r| r.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(seqs.len(), 4, "{incremental}");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{incremental}");
}

#[test]
#[cfg_attr(
    not(has_python3),
    ignore = "`python3` is not installed (.ci/run installs it)"
)]
fn readme_python_example_runs_as_written() {
    let code = example("python", "incremental");
    let (_dir, room, _writer) = polled_database("readme-python");
    let mut child = Command::new("python3")
        .arg("-")
        .current_dir(&room.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(code.as_bytes())
        .expect("send the example");
    let out = child.wait_with_output().expect("python3 output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    let harbour = lines
        .iter()
        .find(|l| l.starts_with("Harbour cranes return"))
        .expect("the harbour story");
    assert!(harbour.ends_with("words, 2 feeds)"), "{harbour}");
    let max: i64 = common::count(
        &Connection::open(room.db_path()).unwrap(),
        "SELECT max(change_seq) FROM stories",
    );
    assert_eq!(lines[4], format!("next time, read after change_seq {max}"));
}

#[test]
#[cfg_attr(
    not(has_datasette),
    ignore = "`datasette` is not installed (.ci/run installs it)"
)]
fn readme_datasette_example_serves_the_database() {
    let metadata = example("datasette-metadata", "metadata");
    let serve = example("datasette", "serve");
    let curl = example("datasette-json", "search");
    let (_dir, room, _writer) = polled_database("readme-datasette");
    std::fs::write(room.dir.join("metadata.yml"), metadata).expect("write metadata.yml");
    let port = free_port();
    let args: Vec<&str> = serve.split_whitespace().collect();
    assert_eq!(args[0], "datasette", "{serve}");
    let log = std::fs::File::create(room.dir.join("datasette.log")).expect("log file");
    let mut server = Command::new(args[0])
        .args(&args[1..])
        .args(["--port", &port.to_string()])
        .current_dir(&room.dir)
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("start datasette");
    let url = curl
        .split('\'')
        .nth(1)
        .expect("a quoted URL in the curl example")
        .replace("127.0.0.1:8001", &format!("127.0.0.1:{port}"));
    let answer = get_when_up(&url);
    let _ = server.kill();
    let _ = server.wait();
    let answer = answer.unwrap_or_else(|e| {
        let log = std::fs::read_to_string(room.dir.join("datasette.log")).unwrap_or_default();
        panic!("{e}\n{log}")
    });
    let rows: serde_json::Value = serde_json::from_str(&answer).expect("a JSON array");
    let rows = rows.as_array().expect("_shape=array");
    assert_eq!(rows.len(), 1, "{answer}");
    assert_eq!(rows[0]["title"], common::site::STORIES[0].title);
    assert!(
        rows[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/news/harbour-cranes-return.html")
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// GETs `url` (plain HTTP on loopback) once the server answers; the body.
fn get_when_up(url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").ok_or("not an http URL")?;
    let (host, path) = rest.split_once('/').ok_or("no path")?;
    let deadline = Instant::now() + DATASETTE_START;
    let mut stream = loop {
        match TcpStream::connect(host) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("datasette did not start: {e}")),
        }
    };
    write!(stream, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let (head, body) = response.split_once("\r\n\r\n").ok_or("no HTTP body")?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(format!("{head}\n{body}"));
    }
    Ok(body.to_string())
}
