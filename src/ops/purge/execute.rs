//! Carrying a plan out: deleting files (each checked again first), syncing
//! the directories, and the lock that keeps two purges of one data dir apart.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::archive::{archive_one, archive_path};
use super::{Action, LOCK_FILE, Outcome, PlannedFile, PurgePlan, PurgeReport, SyncError};

/// Carries out a plan (or, with `dry_run`, only reports it): the files it
/// removes are deleted, or with `archive_to` moved into that directory
/// (see [`super::archive`]). `on_file` is called for every file, in plan
/// order, right after it was dealt with. Before each removal the file is
/// checked again: a file that changed size or mtime since planning is not
/// removed (reported as failed). A refused plan removes nothing.
pub fn execute(
    plan: &PurgePlan,
    dry_run: bool,
    archive_to: Option<&Path>,
    mut on_file: impl FnMut(&PlannedFile, &Outcome),
) -> PurgeReport {
    let mut report = PurgeReport {
        dry_run: dry_run || plan.refusal.is_some(),
        ..PurgeReport::default()
    };
    let mut touched: Vec<PathBuf> = Vec::new();
    for f in &plan.files {
        let outcome = if f.action == Action::Keep || plan.refusal.is_some() {
            Outcome::Kept
        } else if let Some(dir) = archive_to {
            if dry_run {
                Outcome::WouldArchive(archive_path(dir, &f.name))
            } else {
                archive_one(f, dir)
            }
        } else if dry_run {
            Outcome::WouldDelete
        } else {
            delete_one(f)
        };
        match &outcome {
            Outcome::Kept => report.kept += 1,
            Outcome::WouldDelete | Outcome::Deleted => {
                report.deleted += 1;
                report.bytes_freed += f.bytes;
            }
            Outcome::WouldArchive(_) | Outcome::Archived { .. } => {
                report.archived += 1;
                report.bytes_freed += f.bytes;
            }
            Outcome::Vanished => report.vanished += 1,
            Outcome::Failed(_) => report.failed += 1,
        }
        if matches!(outcome, Outcome::Deleted | Outcome::Archived { .. })
            && let Some(parent) = f.path.parent()
            && !touched.iter().any(|t| t == parent)
        {
            touched.push(parent.to_path_buf());
        }
        on_file(f, &outcome);
    }
    // Make the unlinks durable.
    for dir in touched {
        if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
            report.sync_errors.push(SyncError {
                dir,
                error: crate::error::os_error(&e),
            });
        }
    }
    report
}

fn delete_one(f: &PlannedFile) -> Outcome {
    let meta = match fs::symlink_metadata(&f.path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Outcome::Vanished,
        Err(e) => return Outcome::Failed(crate::error::os_error(&e)),
    };
    if !meta.is_file() {
        return Outcome::Failed("no longer a regular file; not deleted".into());
    }
    if meta.len() != f.bytes || (f.mtime.is_some() && meta.modified().ok() != f.mtime) {
        return Outcome::Failed("changed since the plan was made; not deleted".into());
    }
    match fs::remove_file(&f.path) {
        Ok(()) => Outcome::Deleted,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Outcome::Vanished,
        Err(e) => Outcome::Failed(crate::error::os_error(&e)),
    }
}

/// An exclusive lock on a data dir for the length of a purge: an `flock`
/// on `version-2/.zkdd-purge.lock`. The kernel drops it when the process
/// dies, so a stale file from a killed purge never blocks the next one.
/// The file is removed on drop, while still locked.
#[derive(Debug)]
pub struct PurgeLock {
    file: File,
    path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it.
    Locked(PathBuf),
    /// Creating or locking the file failed.
    Io(PathBuf, io::Error),
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Locked(p) => write!(
                f,
                "{}: locked: another zkdd purge is running on this data dir",
                p.display()
            ),
            LockError::Io(p, e) => write!(
                f,
                "{}: cannot create the purge lock: {}",
                p.display(),
                crate::error::os_error(e)
            ),
        }
    }
}

impl PurgeLock {
    /// Takes the lock in `dir` without waiting.
    pub fn acquire(dir: &Path) -> Result<PurgeLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io_err = |e| LockError::Io(path.clone(), e);
        // A purge that just finished unlinks the file it locked; if we locked
        // that unlinked inode, try again on the new file.
        for _ in 0..16 {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(io_err)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Err(LockError::Locked(path)),
                Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
            }
            if same_inode(&file, &path) {
                let _ = file.set_len(0);
                let _ = io::Write::write_all(
                    &mut &file,
                    format!("{}\n", std::process::id()).as_bytes(),
                );
                return Ok(PurgeLock { file, path });
            }
        }
        Err(LockError::Locked(path))
    }
}

#[cfg(unix)]
fn same_inode(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_file: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for PurgeLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}
