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
pub mod ls;
pub mod ncdu;
pub mod prometheus;
pub mod purge;
pub mod recover;
pub mod redact;
pub mod repair;
pub mod replay;
pub mod report;
pub mod units;
pub mod verify;
pub mod zkcli;

use std::io::{self, BufWriter, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};

/// The JSON Schema of every `--json` line (zkdd-json(5) is written from it).
pub const JSON_SCHEMA: &str = include_str!("zkdd.schema.json");
use serde::Serialize;

/// When to colour: the `--color` choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR (or TERM=dumb) says otherwise.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How a command wants its report written.
#[derive(Clone, Copy, Debug, Default)]
pub struct OutputOptions {
    /// JSON Lines instead of text.
    pub json: bool,
    /// Nothing when all is well.
    pub quiet: bool,
    /// What was read and decided (-v), per file (-vv).
    pub verbose: u8,
    /// Times in the local zone.
    pub local_time: bool,
    /// Exact byte counts instead of human sizes.
    pub exact_bytes: bool,
    /// When to colour.
    pub color: ColorChoice,
    /// Data and ACL credentials as stored or redacted (`--redact`).
    pub redact: redact::Redaction,
}

/// What a painted word means; each has one colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paint {
    /// A clean verdict, a file kept.
    Good,
    /// An error, corruption, a removed node, a deleted file.
    Bad,
    /// A warning, a modified node.
    Warn,
    /// A note, an added node.
    Info,
}

impl Paint {
    fn style(self) -> anstyle::Style {
        use anstyle::AnsiColor;
        let color = match self {
            Paint::Good => AnsiColor::Green,
            Paint::Bad => AnsiColor::Red,
            Paint::Warn => AnsiColor::Yellow,
            Paint::Info => AnsiColor::Cyan,
        };
        let style = anstyle::Style::new().fg_color(Some(color.into()));
        if self == Paint::Bad {
            style.bold()
        } else {
            style
        }
    }
}

/// Where and how a command writes.
pub struct Output<'w> {
    out: BufWriter<Box<dyn Write + 'w>>,
    err: Box<dyn Write + 'w>,
    /// JSON Lines instead of text.
    pub json: bool,
    /// Nothing on stdout or stderr when all is well; no progress.
    pub quiet: bool,
    /// Extra detail (-v, -vv).
    pub verbose: u8,
    /// Show times in the local zone.
    pub local_time: bool,
    /// Exact byte counts instead of human sizes.
    pub exact_bytes: bool,
    /// Data and ACL credentials as stored or redacted (`--redact`): every
    /// renderer that writes data or ACLs asks it.
    pub redact: redact::Redaction,
    color_out: bool,
    color_err: bool,
    progress_allowed: bool,
}

impl<'w> Output<'w> {
    /// Output to the process's stdout and stderr.
    pub fn stdio(o: OutputOptions) -> Output<'static> {
        let progress_allowed = !o.json && !o.quiet && io::stderr().is_terminal();
        // anstream reads NO_COLOR, CLICOLOR(_FORCE), TERM and the terminal
        // once; nothing wraps the streams (dump writes gigabytes).
        let wants = |auto: anstream::ColorChoice| match o.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => auto != anstream::ColorChoice::Never,
        };
        let color_out = !o.json && wants(anstream::AutoStream::choice(&io::stdout()));
        let color_err = wants(anstream::AutoStream::choice(&io::stderr()));
        Output {
            out: BufWriter::with_capacity(256 * 1024, Box::new(io::stdout().lock())),
            err: Box::new(io::stderr()),
            json: o.json,
            quiet: o.quiet,
            verbose: o.verbose,
            local_time: o.local_time,
            exact_bytes: o.exact_bytes,
            redact: o.redact,
            color_out,
            color_err,
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
            exact_bytes: false,
            redact: redact::Redaction::Off,
            color_out: false,
            color_err: false,
            progress_allowed: false,
        }
    }

    /// `text` coloured for what it means, when stdout is coloured.
    pub fn paint(&self, what: Paint, text: &str) -> String {
        if self.color_out {
            let style = what.style();
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    fn paint_err(&self, what: Paint, text: &str) -> String {
        if self.color_err {
            let style = what.style();
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    /// A size for people (`64.0 MiB`), or the exact count with `--bytes`.
    pub fn size(&self, n: u64) -> String {
        units::size(n, self.exact_bytes)
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
            let tag = self.paint_err(Paint::Warn, "warning:");
            let _ = writeln!(self.err, "zkdd: {tag} {}", sanitize(msg));
        }
    }

    /// An error on stderr (printed even with --quiet).
    pub fn error(&mut self, msg: &str) {
        let _ = self.out.flush();
        let tag = self.paint_err(Paint::Bad, "error:");
        let _ = writeln!(self.err, "zkdd: {tag} {}", sanitize(msg));
    }

    /// A note on stderr, shown with -v: what was read and decided.
    pub fn note(&mut self, msg: &str) {
        self.say(1, msg);
    }

    /// Per-file detail on stderr, shown with -vv.
    pub fn detail(&mut self, msg: &str) {
        self.say(2, msg);
    }

    fn say(&mut self, level: u8, msg: &str) {
        if self.verbose >= level && !self.quiet {
            let _ = self.out.flush();
            let _ = writeln!(self.err, "zkdd: {}", sanitize(msg));
        }
    }

    /// A line of text that only comments on the result (a headline, a
    /// summary): not written with --quiet.
    pub fn comment(&mut self, text: &str) -> io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        self.line(text)
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

/// Prints a fatal error to stderr (`zkdd: <error>`), and with --json also
/// one `error` line to stdout, so a script reading the lines learns why
/// there are no others.
pub fn report_error(out: &mut Output<'_>, command: &str, err: &crate::error::Error) {
    if out.json {
        let (file, offset) = err.location();
        let _ = out.json_line(&serde_json::json!({
            "type": "error",
            "command": command,
            "code": err.code(),
            "message": err.to_string(),
            "file": file.map(|p| p.display().to_string()),
            "offset": offset,
        }));
        let _ = out.flush();
    }
    eprintln!("zkdd: {}", sanitize(&err.to_string()));
}

/// A usage error found before a command runs: with `--json` among the
/// arguments, one `error` line on stdout; with `to_stderr` (clap prints its
/// own errors) also `zkdd: error: …` on stderr.
pub fn report_usage_error(argv: &[std::ffi::OsString], message: &str, to_stderr: bool) {
    if argv.iter().any(|a| a == "--json") {
        let command = argv
            .get(1)
            .and_then(|a| a.to_str())
            .filter(|a| !a.starts_with('-'));
        println!(
            "{}",
            serde_json::json!({
                "type": "error",
                "command": command,
                "code": "usage",
                "message": message,
                "file": null,
                "offset": null,
            })
        );
    }
    if to_stderr {
        eprintln!("zkdd: error: {}", sanitize(message));
    }
}
