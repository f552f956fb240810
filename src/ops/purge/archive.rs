//! `purge --archive-to DIR`: the files a plan removes are moved into an
//! archive directory instead of being deleted (pg_archivecleanup's world).
//!
//! A file is never lost: the source is unlinked only after its archived
//! copy is durable (the archive directory fsynced) and, when bytes were
//! copied, read back and compared byte for byte with the source. On any
//! failure the source stays where it was.
//!
//! * Same file system: a hard link into the archive, then the source is
//!   unlinked: a rename that can never replace a file already archived.
//! * Across file systems (or where hard links are refused): a copy under a
//!   temporary name in the archive ([`AtomicFile`]), synced, given the
//!   source's permissions and mtime, renamed into place (never over an
//!   existing file), the archive directory synced, the copy compared with
//!   the source, and only then the source unlinked.
//! * A file of that name already in the archive is never overwritten. When
//!   its bytes equal the source's (a previous run stopped between archiving
//!   and unlinking), the source is unlinked; otherwise the file fails and
//!   both stay.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{ArchiveMethod, Outcome, PlannedFile};
use crate::error::os_error;
use crate::files::atomic::AtomicFile;

/// Archives one planned file into `dir` (see the module docs); the outcome
/// is [`Outcome::Archived`], [`Outcome::Vanished`] or [`Outcome::Failed`].
pub fn archive_one(f: &PlannedFile, dir: &Path) -> Outcome {
    if let Err(o) = unchanged(f) {
        return o;
    }
    let dest = archive_path(dir, &f.name);
    let method = match fs::symlink_metadata(&dest) {
        Ok(m) => {
            // Already there: a previous run stopped before unlinking, or
            // another file of the same name.
            if !m.is_file() {
                return failed(&dest, "exists in the archive and is not a regular file");
            }
            match same_bytes(&f.path, &dest) {
                Ok(true) => ArchiveMethod::Existing,
                Ok(false) => {
                    return failed(
                        &dest,
                        "exists in the archive with other content; not overwritten",
                    );
                }
                Err(e) => return failed(&dest, &os_error(&e)),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::hard_link(&f.path, &dest) {
            Ok(()) => ArchiveMethod::Link,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return failed(&dest, "appeared in the archive meanwhile; not overwritten");
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && !f.path.exists() => {
                return Outcome::Vanished;
            }
            // Another file system (EXDEV), or hard links refused: copy.
            Err(_) => match copy_checked(f, &dest) {
                Ok(()) => ArchiveMethod::Copy,
                Err(e) => return Outcome::Failed(e),
            },
        },
        Err(e) => return failed(&dest, &os_error(&e)),
    };
    // The archived name must survive a crash before the source goes.
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        return failed(
            dir,
            &format!("fsync of the archive failed: {}", os_error(&e)),
        );
    }
    if let Err(o) = unchanged(f) {
        return match o {
            Outcome::Vanished => Outcome::Archived { to: dest, method },
            Outcome::Failed(why) => Outcome::Failed(format!(
                "{why} (while archiving; a copy is in {}, the source kept)",
                dest.display()
            )),
            o => o,
        };
    }
    match fs::remove_file(&f.path) {
        Ok(()) => Outcome::Archived { to: dest, method },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Outcome::Archived { to: dest, method },
        Err(e) => Outcome::Failed(format!(
            "archived to {}, but the source could not be removed: {}",
            dest.display(),
            os_error(&e)
        )),
    }
}

fn failed(path: &Path, why: &str) -> Outcome {
    Outcome::Failed(format!("{}: {why}; source kept", path.display()))
}

/// The source is still the regular file the plan saw (size and mtime).
fn unchanged(f: &PlannedFile) -> Result<(), Outcome> {
    let meta = match fs::symlink_metadata(&f.path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Outcome::Vanished),
        Err(e) => return Err(Outcome::Failed(os_error(&e))),
    };
    if !meta.is_file() {
        return Err(Outcome::Failed(
            "no longer a regular file; not archived".into(),
        ));
    }
    if meta.len() != f.bytes || (f.mtime.is_some() && meta.modified().ok() != f.mtime) {
        return Err(Outcome::Failed(
            "changed since the plan was made; not archived".into(),
        ));
    }
    Ok(())
}

/// Copies the source to `dest` (absent) through a synced temporary file,
/// with the source's permissions and mtime, then reads the copy back and
/// compares it with the source; a copy that differs is removed again.
fn copy_checked(f: &PlannedFile, dest: &Path) -> Result<(), String> {
    let at = |p: &Path, e: io::Error| format!("{}: {}; source kept", p.display(), os_error(&e));
    let mut src = File::open(&f.path).map_err(|e| at(&f.path, e))?;
    let meta = src.metadata().map_err(|e| at(&f.path, e))?;
    let (tmp, mut out) = AtomicFile::create(dest).map_err(|e| at(dest, e))?;
    io::copy(&mut src, &mut out).map_err(|e| at(dest, e))?;
    out.set_permissions(meta.permissions())
        .map_err(|e| at(dest, e))?;
    if let Ok(m) = meta.modified() {
        out.set_modified(m).map_err(|e| at(dest, e))?;
    }
    let len = tmp.commit(out, false).map_err(|e| at(dest, e))?;
    let same = len == f.bytes && same_bytes(&f.path, dest).map_err(|e| at(dest, e))?;
    if !same {
        let _ = fs::remove_file(dest);
        return Err(format!(
            "{}: the archived copy differs from the source (removed again); source kept",
            dest.display()
        ));
    }
    Ok(())
}

/// True when the two files hold the same bytes.
fn same_bytes(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut fa, mut fb) = (File::open(a)?, File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = read_full(&mut fa, &mut ba)?;
        let m = read_full(&mut fb, &mut bb)?;
        if n != m || ba.get(..n) != bb.get(..m) {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Where `name` goes in the archive `dir`.
pub fn archive_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
