//! Where a database may be opened: a file in a directory that exists.
//!
//! feedsift creates the database file, never the directories above it. A
//! mistyped `--db /var/lib/feedsfit/feedsift.db` that silently created a
//! new directory and an empty database would look like every stored
//! article had been lost; refusing it names the typo instead. The default
//! database sits next to feeds.toml, and the systemd unit's
//! `StateDirectory=` creates `/var/lib/feedsift` before the daemon starts,
//! so neither needs a directory made.

use std::path::Path;

use super::StoreError;

/// `Ok` when `path` can be a database file: not a directory, and in a
/// directory that exists.
pub fn check(path: &Path) -> Result<(), StoreError> {
    let refuse = |message: String| {
        Err(StoreError::Location {
            path: path.to_path_buf(),
            message,
        })
    };
    if path.is_dir() {
        return refuse(format!(
            "is a directory; name the database file, e.g. {}",
            path.join("feedsift.db").display()
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => refuse(format!("{} is not a directory", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => refuse(format!(
            "the directory {} does not exist; create it (mkdir -p {}) or correct the path \
             (feedsift does not create directories: a mistyped path must not look like a new, \
             empty database)",
            dir.display(),
            dir.display()
        )),
        Err(e) => refuse(format!("cannot use the directory {}: {e}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_an_error_not_a_new_database() {
        let base = std::env::temp_dir().join(format!("feedsift-loc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        assert!(check(&base.join("feedsift.db")).is_ok());
        let typo = base.join("feedsfit").join("feedsift.db");
        let e = check(&typo).unwrap_err().to_string();
        assert!(
            e.contains("does not exist") && e.contains("mkdir -p"),
            "{e}"
        );
        assert!(!base.join("feedsfit").exists(), "nothing was created");
        let e = check(&base).unwrap_err().to_string();
        assert!(
            e.ends_with(&format!(
                "is a directory; name the database file, e.g. {}",
                base.join("feedsift.db").display()
            )),
            "{e}"
        );
        std::fs::write(base.join("file"), "x").unwrap();
        let e = check(&base.join("file").join("x.db"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a directory"), "{e}");
        assert!(
            check(Path::new("relative.db")).is_ok(),
            "the working directory exists"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
