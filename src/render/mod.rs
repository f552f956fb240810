//! The only place that writes to stdout and stderr.
//!
//! Commands get an [`Output`]: one buffered stdout, a stderr for warnings,
//! and the output settings. Tests build one over in-memory buffers.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod bytescan;
pub mod diff;
pub mod du;
pub mod dump;
pub mod history;
pub mod human;
pub mod json;
pub mod jsonw;
pub mod ncdu;
pub mod prometheus;
pub mod purge;
pub mod recover;
pub mod repair;
pub mod replay;
pub mod report;
pub mod units;
pub mod verify;
pub mod zkcli;

use std::io::{self, BufWriter, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Where and how a command writes.
pub struct Output<'w> {
    out: BufWriter<Box<dyn Write + 'w>>,
    err: Box<dyn Write + 'w>,
    /// JSON Lines instead of text.
    pub json: bool,
    /// Only errors on stderr; no progress.
    pub quiet: bool,
    /// Extra detail (-v, -vv).
    pub verbose: u8,
    /// Show times in the local zone.
    pub local_time: bool,
    progress_allowed: bool,
}

impl<'w> Output<'w> {
    /// Output to the process's stdout and stderr.
    pub fn stdio(json: bool, quiet: bool, verbose: u8, local_time: bool) -> Output<'static> {
        let progress_allowed = !json && !quiet && io::stderr().is_terminal();
        Output {
            out: BufWriter::with_capacity(256 * 1024, Box::new(io::stdout().lock())),
            err: Box::new(io::stderr()),
            json,
            quiet,
            verbose,
            local_time,
            progress_allowed,
        }
    }

    /// Output into the given writers (tests, in-process runs).
    pub fn new(out: impl Write + 'w, err: impl Write + 'w, json: bool) -> Output<'w> {
        Output {
            out: BufWriter::new(Box::new(out)),
            err: Box::new(err),
            json,
            quiet: false,
            verbose: 0,
            local_time: false,
            progress_allowed: false,
        }
    }

    /// Writes one JSON Lines record.
    pub fn json_line<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value).map_err(io::Error::from)?;
        self.out.write_all(b"\n")
    }

    /// Writes one line of text.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// A warning on stderr (suppressed by --quiet). Flushes stdout first so
    /// the two streams interleave in order on a terminal.
    pub fn warn(&mut self, msg: &str) {
        if !self.quiet {
            let _ = self.out.flush();
            let _ = writeln!(self.err, "zkdd: warning: {}", sanitize(msg));
        }
    }

    /// An error on stderr (printed even with --quiet).
    pub fn error(&mut self, msg: &str) {
        let _ = self.out.flush();
        let _ = writeln!(self.err, "zkdd: error: {}", sanitize(msg));
    }

    /// A note on stderr, shown with -v.
    pub fn note(&mut self, msg: &str) {
        if self.verbose > 0 && !self.quiet {
            let _ = self.out.flush();
            let _ = writeln!(self.err, "zkdd: {}", sanitize(msg));
        }
    }

    /// A progress bar over `len` units (bytes) on stderr, hidden unless
    /// stderr is a terminal and neither --json nor --quiet is set.
    pub fn progress(&self, len: u64, what: &str) -> ProgressBar {
        if !self.progress_allowed {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        ) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(what.to_string());
        pb
    }

    /// Flushes stdout.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Write for Output<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Replaces control characters so file names and znode paths cannot drive
/// the terminal.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Prints a fatal error and its causes to stderr: `zkdd: <error>`.
pub fn report_error(err: &crate::error::Error) {
    eprintln!("zkdd: {}", sanitize(&err.to_string()));
}
