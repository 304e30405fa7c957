//! A throwaway PostgreSQL server for a test: `initdb` into a temporary
//! directory, trust authentication, listening on a free loopback port only,
//! stopped and removed when dropped. The server refuses to run as root, so
//! under root it runs as the `postgres` user (Debian's package creates it).
//!
//! Tests that use it carry
//! `#[cfg_attr(not(has_postgres), ignore = "...")]`: build.rs sets
//! `has_postgres` when it finds the server binaries where [`bin_dir`]
//! looks.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

/// Where build.rs found `initdb` and `pg_ctl`.
pub fn bin_dir() -> PathBuf {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_both(d)) {
            return dir;
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries (apt-get install postgresql)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| has_both(d))
        .collect();
    versions.sort();
    versions.pop().expect("initdb and pg_ctl")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl PgServer {
    /// Initialises and starts a server; panics (failing the test) when it
    /// cannot.
    pub fn start(name: &str) -> PgServer {
        PgServer::start_with(name, None)
    }

    /// A server that also accepts TLS, with a certificate for 127.0.0.1
    /// and localhost signed by nobody (its own root); returns the
    /// certificate's PEM file too, for `sslrootcert`.
    pub fn start_tls(name: &str) -> (PgServer, PathBuf) {
        let cert = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
        ])
        .expect("a self-signed certificate");
        let pem = cert.cert.pem();
        let key = cert.signing_key.serialize_pem();
        let server = PgServer::start_with(name, Some((&pem, &key)));
        let root = server.data.with_extension("root.pem");
        std::fs::write(&root, pem).expect("write the root certificate");
        (server, root)
    }

    fn start_with(name: &str, tls: Option<(&str, &str)>) -> PgServer {
        let bin = bin_dir();
        let as_postgres = is_root();
        let data = std::env::temp_dir().join(format!(
            "feedsift-pg-{}-{name}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&data);
        let server = PgServer {
            bin,
            data,
            port: free_port(),
            as_postgres,
        };
        let data = server.data.to_string_lossy().to_string();
        server.run(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c max_connections=100",
            server.port
        );
        if let Some((cert, key)) = tls {
            server.write_private("server.crt", cert);
            server.write_private("server.key", key);
            options.push_str(" -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key");
        }
        let log = format!("{data}/server.log");
        server.run(
            "pg_ctl",
            &[
                "-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start",
            ],
        );
        server.wait_ready();
        server
    }

    /// A file in the data directory that only the server's user may read
    /// (the server refuses a key others can read).
    fn write_private(&self, name: &str, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.data.join(name);
        std::fs::write(&path, text).expect("write into the data directory");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
        if self.as_postgres {
            let done = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&path)
                .status()
                .is_ok_and(|s| s.success());
            assert!(done, "chown {} to postgres", path.display());
        }
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self
            .command(tool)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match postgres::Client::connect(&self.url("postgres"), postgres::NoTls) {
                Ok(_) => return,
                Err(e) if Instant::now() > deadline => panic!("server not ready: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates an empty database; returns its URL.
    pub fn create_db(&self, db: &str) -> String {
        let mut admin = self.client("postgres");
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .expect("create database");
        self.url(db)
    }

    pub fn client(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(db), postgres::NoTls).expect("connect")
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().to_string();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
