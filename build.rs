//! Tells the tests which external tools this machine has, so a test that
//! needs one it lacks shows up as ignored, with the reason, instead of
//! passing without having run. `.ci/run` installs them all.

use std::path::{Path, PathBuf};

/// Command-line tools some tests run, each announced as `has_<name>` (a
/// `-` becomes `_`) when it is on PATH.
const TOOLS: [&str; 4] = ["sqlite3", "python3", "datasette", "systemd-analyze"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rustc-check-cfg=cfg(has_postgres)");
    if postgres_bin_dir().is_some() {
        println!("cargo::rustc-cfg=has_postgres");
    }
    for tool in TOOLS {
        let cfg = format!("has_{}", tool.replace('-', "_"));
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if on_path(tool) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
}

/// A directory holding the PostgreSQL server's `initdb` and `pg_ctl`: on
/// PATH, else Debian's /usr/lib/postgresql/<version>/bin. tests/common/pg.rs
/// looks in the same places.
fn postgres_bin_dir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_both(d)) {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| has_both(d))
        .collect();
    versions.sort();
    versions.pop()
}
