//! The hub directory's files as the command line handles them: the lock that lets one hub serve a directory,
//! exports that hold personal data (created readable only by their owner, never replacing a file unless asked, and
//! never one of the hub's own files), and bounded reads of files an auditor is handed.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The lock file in a hub directory, held while a hub serves it.
pub const LOCK_FILE: &str = "hub.lock";
/// Files (and folders) of a hub directory that an export never replaces; SQLite's companions of the databases
/// (`-wal`, `-shm`, `-journal`) are covered by their prefix.
pub const HUB_FILES: &[&str] = &[
    "hub.sqlite",
    "facility.azukari",
    "vault.key",
    "checkpoint.key",
    "checkpoint.pub",
    "tls",
    LOCK_FILE,
];

/// A file problem of the command line.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Another hub serves the directory.
    #[error(
        "another hub is already serving {0} (its lock file is held); stop it first, or serve another directory / {0} は既に別のハブが使用中です（ロック中）。先にそのハブを停止してください"
    )]
    Locked(PathBuf),
    /// The file exists and replacing it was not asked for.
    #[error(
        "{0} already exists; choose a new file, or add --replace to replace it / {0} は既に存在します。別のファイルを指定するか、置き換える場合は --replace を付けてください"
    )]
    Exists(PathBuf),
    /// The path is one of the hub's own files.
    #[error(
        "{0} is one of the hub's own files and is never replaced by an export / {0} はハブ自身のファイルのため、出力先にできません"
    )]
    HubFile(PathBuf),
    /// The file is larger than it may be.
    #[error("{path} is larger than {limit} bytes / {path} が大きすぎます（上限 {limit} バイト）")]
    TooLarge {
        /// Which file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The path is not a regular file (a device, a pipe, a folder).
    #[error("{0} is not a regular file / {0} は通常のファイルではありません")]
    NotAFile(PathBuf),
    /// Reading or writing failed.
    #[error("{path}: {message} / {path} を読み書きできません（{message}）")]
    Io {
        /// Which file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

fn io_error(path: &Path, error: std::io::Error) -> FileError {
    FileError::Io {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// The exclusive lock of a hub directory, released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Take the lock of hub directory `dir` (`hub.lock`, which holds the process id of the hub that has it), or fail
/// with [`FileError::Locked`] when another process holds it.
pub fn lock_hub_dir(dir: &Path) -> Result<DirLock, FileError> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io_error(&path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Err(FileError::Locked(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(error)) => return Err(io_error(&path, error)),
    }
    file.set_len(0).map_err(|e| io_error(&path, e))?;
    writeln!(file, "{}", std::process::id()).map_err(|e| io_error(&path, e))?;
    Ok(DirLock { _file: file })
}

/// Whether `path` is (or is inside) one of the hub's own files of hub directory `hub_dir`.
pub fn is_hub_file(hub_dir: &Path, path: &Path) -> bool {
    // The file (and folders above it) may not exist yet: resolve the nearest existing ancestor, keep the rest.
    let resolve = |p: &Path| -> Option<PathBuf> {
        let mut existing = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(p)
        };
        let mut rest = Vec::new();
        loop {
            if let Ok(full) = existing.canonicalize() {
                return Some(rest.iter().rev().fold(full, |path, name| path.join(name)));
            }
            rest.push(existing.file_name()?.to_os_string());
            existing = existing.parent()?.to_path_buf();
        }
    };
    let (Some(dir), Some(full)) = (resolve(hub_dir), resolve(path)) else {
        return false;
    };
    let Ok(inside) = full.strip_prefix(&dir) else {
        return false;
    };
    let Some(first) = inside.components().next() else {
        return true;
    };
    let first = first.as_os_str().to_string_lossy();
    HUB_FILES
        .iter()
        .any(|name| first == *name || first.starts_with(&format!("{name}-")))
}

/// Write an export holding personal data: created readable and writable by its owner only (0600), and never over
/// an existing file unless `replace` (then through a new file renamed over it, so a reader never sees half of
/// it); never over one of the hub's own files in `hub_dir`, whatever `replace` says.
pub fn write_export(
    hub_dir: &Path,
    path: &Path,
    bytes: &[u8],
    replace: bool,
) -> Result<(), FileError> {
    if is_hub_file(hub_dir, path) {
        return Err(FileError::HubFile(path.to_path_buf()));
    }
    if !replace {
        return write_new_private(path, bytes).map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => FileError::Exists(path.to_path_buf()),
            _ => io_error(path, error),
        });
    }
    let name = path
        .file_name()
        .ok_or_else(|| FileError::NotAFile(path.to_path_buf()))?;
    let mut temporary = name.to_os_string();
    temporary.push(format!(".{}.partial", std::process::id()));
    let temporary = path.with_file_name(temporary);
    let _ = std::fs::remove_file(&temporary);
    write_new_private(&temporary, bytes).map_err(|e| io_error(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        io_error(path, e)
    })
}

/// Create a new file (never an existing one) readable only by its owner, with `bytes`, synced.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Read a regular file of at most `limit` bytes (a device such as `/dev/zero`, or a larger file, is refused
/// before it fills memory).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let metadata = file.metadata().map_err(|e| io_error(path, e))?;
    if !metadata.is_file() {
        return Err(FileError::NotAFile(path.to_path_buf()));
    }
    if metadata.len() > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_hubs_own_files_are_recognised_wherever_the_path_points() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("vault.key"), b"k").unwrap();
        assert!(is_hub_file(dir.path(), &dir.path().join("vault.key")));
        assert!(is_hub_file(dir.path(), &dir.path().join("hub.sqlite-wal")));
        assert!(is_hub_file(
            dir.path(),
            &dir.path().join("tls").join("key.pem")
        ));
        assert!(is_hub_file(
            dir.path(),
            &dir.path().join(".").join("vault.key")
        ));
        assert!(!is_hub_file(dir.path(), &dir.path().join("kanribo.csv")));
    }
}
