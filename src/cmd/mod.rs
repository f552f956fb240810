//! The command line: one module per subcommand, each with `Args` (clap) and
//! a short `run` that parses flags, calls [`crate::ops`] and hands the report
//! to [`crate::render`]; [`args`] holds the flags several subcommands share.

pub mod args;
pub mod completions;
pub mod diff;
pub mod docs;
pub mod du;
pub mod dump;
pub mod extract;
pub mod history;
pub mod ls;
pub mod purge;
pub mod recover;
pub mod repair;
pub mod replay;
pub mod report;
pub mod verify;

use clap::{Parser, Subcommand};

use crate::error::{Error, ExitStatus, ReplayError};
use crate::render::Output;
pub use args::{ConfigArgs, Settings};

/// Inspect, verify, replay, diff and purge Apache ZooKeeper data directories.
#[derive(Parser, Debug)]
#[command(name = "zkdd", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print txn logs and snapshots for people or as JSON Lines.
    Dump(Box<dump::Args>),
    /// Check files and data dirs: checksums, torn tails, gaps, recoverability, digests.
    Verify(verify::Args),
    /// Rebuild the tree at a zxid or time and write it as a snapshot or JSON.
    Replay(Box<replay::Args>),
    /// Compare two trees (snapshots, data dirs at points, JSON dumps).
    Diff(diff::Args),
    /// Delete old snapshots and logs, keeping everything recovery needs.
    Purge(purge::Args),
    /// Every change to a znode (or subtree) across snapshots and logs.
    History(Box<history::Args>),
    /// Write a subtree as it was before a zxid: a zkCli script (undelete) or JSON.
    Extract(Box<extract::Args>),
    /// Space by subtree from a snapshot or data dir; ncdu export.
    Du(Box<du::Args>),
    /// Write a cleaned copy of a damaged txn log (never edits in place).
    Repair(Box<repair::Args>),
    /// Build a data dir ZooKeeper starts from out of a damaged one, and say what was lost.
    Recover(Box<recover::Args>),
    /// One self-contained HTML page of a data dir, for incident reviews.
    Report(Box<report::Args>),
    /// One row per file of a data dir: zxids, txns or nodes, size, how it ends, startup.
    Ls(ls::Args),
    /// Print shell completions.
    Completions(completions::Args),
}

/// The command line with what `--help` says beyond the flags (examples,
/// sections, exit status: [`docs`]) and a version on every subcommand.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command()
        .after_help(docs::short_help("zkdd"))
        .after_long_help(docs::long_help("zkdd"));
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, |sub| {
            sub.version(env!("CARGO_PKG_VERSION"))
                .after_help(docs::short_help(&name))
                .after_long_help(docs::long_help(&name))
        });
    }
    cmd
}

/// The man pages, generated from [`command`]: `zkdd.1`, one
/// `zkdd-<subcommand>.1` per subcommand and `zkdd-json.5`, as (file name,
/// roff bytes).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = command();
    // Propagates the global flags into every subcommand.
    cmd.build();
    let version = format!("zkdd {}", env!("CARGO_PKG_VERSION"));
    let subs: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .map(|s| s.get_name().to_string())
        .collect();
    let page = |c: clap::Command, name: &str, doc: &str| -> std::io::Result<Vec<u8>> {
        let man = clap_mangen::Man::new(c)
            .title(name.to_uppercase())
            .source(version.clone())
            .manual("zkdd manual");
        let mut out = Vec::new();
        man.render_title(&mut out)?;
        // No hyphenation: flags and paths stay whole at any width.
        out.extend_from_slice(b".nh\n");
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)?;
        let mut roff = clap_mangen::roff::Roff::default();
        if doc == "zkdd" {
            roff.control("SH", ["SUBCOMMANDS"]);
            for s in cmd
                .get_subcommands()
                .filter(|s| subs.iter().any(|n| n == s.get_name()))
            {
                roff.control("TP", []);
                roff.text([clap_mangen::roff::bold(format!("zkdd-{}(1)", s.get_name()))]);
                let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
                roff.text([clap_mangen::roff::roman(about)]);
            }
        }
        docs::man_sections(doc, &mut roff, &subs);
        roff.to_writer(&mut out)?;
        man.render_version_section(&mut out)?;
        Ok(out)
    };
    let top = cmd.clone().after_help("").after_long_help("");
    let mut pages = vec![("zkdd.1".to_string(), page(top, "zkdd", "zkdd")?)];
    for name in &subs {
        let Some(sub) = cmd.find_subcommand(name) else {
            continue;
        };
        let full = format!("zkdd-{name}");
        let sub = sub
            .clone()
            .name(full.clone())
            .bin_name(format!("zkdd {name}"))
            .after_help("")
            .after_long_help("");
        pages.push((format!("{full}.1"), page(sub, &full, name)?));
    }
    pages.push(("zkdd-json.5".to_string(), json_page(&version)));
    Ok(pages)
}

/// zkdd-json(5), written from the schema every `--json` line validates
/// against: the line types of each subcommand, and each line's fields in
/// order with what they mean.
fn json_page(version: &str) -> Vec<u8> {
    use clap_mangen::roff::{Roff, bold, italic, roman};
    let schema: serde_json::Value =
        serde_json::from_str(crate::render::JSON_SCHEMA).unwrap_or_default();
    let defs = &schema["$defs"];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let mut roff = Roff::default();
    roff.control("TH", ["ZKDD-JSON", "5", "", version, "zkdd manual"]);
    roff.control("nh", []);
    roff.control("SH", ["NAME"]);
    roff.text([roman("zkdd-json - the JSON Lines zkdd writes with --json")]);
    roff.control("SH", ["DESCRIPTION"]);
    roff.text([roman(text(&schema["description"]))]);
    roff.control("PP", []);
    roff.text([roman("The JSON Schema (draft 2020-12) is src/render/zkdd.schema.json in the source; every --json output of the test suite is checked against it.")]);
    roff.control("SH", ["VALUES"]);
    for name in [
        "zxid",
        "hex",
        "time",
        "data",
        "acl_entry",
        "acl",
        "stat",
        "counter",
    ] {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(text(&defs[name]["description"]))]);
    }
    roff.control("SH", ["LINES BY SUBCOMMAND"]);
    if let Some(commands) = defs["commands"].as_object() {
        for (command, any) in commands {
            let lines: Vec<String> = any["anyOf"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["$ref"].as_str()?.strip_prefix("#/$defs/lines/"))
                .map(str::to_string)
                .collect();
            roff.control("TP", []);
            roff.text([bold(command.clone())]);
            roff.text([roman(lines.join(", "))]);
        }
    }
    roff.control("SH", ["LINES"]);
    if let Some(lines) = defs["lines"].as_object() {
        for (name, line) in lines {
            let t = &line["properties"]["type"]["const"];
            let command = &line["properties"]["command"]["const"];
            let head = match command.as_str() {
                Some(c) => format!("{name} (type {}, command {c})", text(t)),
                None => format!("{name} (type {})", text(t)),
            };
            roff.control("SS", [head.as_str()]);
            roff.text([roman(text(&line["description"]))]);
            let required: Vec<&str> = line["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str())
                .collect();
            if let Some(props) = line["properties"].as_object() {
                for (field, p) in props
                    .iter()
                    .filter(|(f, _)| !["type", "command"].contains(&f.as_str()))
                {
                    roff.control("TP", []);
                    let opt = if required.contains(&field.as_str()) {
                        ""
                    } else {
                        " (optional)"
                    };
                    roff.text([bold(field.clone()), italic(opt)]);
                    roff.text([roman(text(&p["description"]))]);
                }
            }
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman("zkdd(1), zkdd-dump(1), zkdd-verify(1), jq(1)")]);
    roff.render().into_bytes()
}

impl Command {
    /// The subcommand's name as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Dump(_) => "dump",
            Command::Verify(_) => "verify",
            Command::Replay(_) => "replay",
            Command::Diff(_) => "diff",
            Command::Purge(_) => "purge",
            Command::History(_) => "history",
            Command::Extract(_) => "extract",
            Command::Du(_) => "du",
            Command::Repair(_) => "repair",
            Command::Recover(_) => "recover",
            Command::Report(_) => "report",
            Command::Ls(_) => "ls",
            Command::Completions(_) => "completions",
        }
    }

    /// What the subcommand runs with, from the flags it takes.
    pub fn settings(&self) -> Settings {
        match self {
            Command::Dump(a) => a.settings(),
            Command::Verify(a) => a.settings(),
            Command::Replay(a) => a.settings(),
            Command::Diff(a) => a.settings(),
            Command::Purge(a) => a.settings(),
            Command::History(a) => a.settings(),
            Command::Extract(a) => a.settings(),
            Command::Du(a) => a.settings(),
            Command::Repair(a) => a.settings(),
            Command::Recover(a) => a.settings(),
            Command::Report(a) => a.settings(),
            Command::Ls(a) => a.settings(),
            Command::Completions(_) => Settings::default(),
        }
    }
}

/// Runs the parsed command line against `out`.
pub fn run(cli: &Cli, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let settings = cli.command.settings();
    let g = &settings;
    let started = std::time::Instant::now();
    let status = match &cli.command {
        Command::Dump(a) => dump::run(a, g, out),
        Command::Verify(a) => verify::run(a, g, out),
        Command::Replay(a) => replay::run(a, g, out),
        Command::Diff(a) => diff::run(a, g, out),
        Command::Purge(a) => purge::run(a, g, out),
        Command::History(a) => history::run(a, g, out),
        Command::Extract(a) => extract::run(a, g, out),
        Command::Du(a) => du::run(a, g, out),
        Command::Repair(a) => repair::run(a, g, out),
        Command::Recover(a) => recover::run(a, g, out),
        Command::Report(a) => report::run(a, g, out),
        Command::Ls(a) => ls::run(a, g, out),
        Command::Completions(a) => completions::run(a, &mut command(), out),
    }
    .map_err(explain)?;
    out.note(&format!(
        "{} took {}",
        cli.command.name(),
        crate::render::units::duration(started.elapsed())
    ));
    out.flush()?;
    Ok(status)
}

/// A usage error clap cannot say well, found in the raw arguments:
/// PurgeTxnLog users type `purge -n 5` for "retain 5", where `-n` is
/// `--dry-run`.
pub fn usage_hint(argv: &[std::ffi::OsString]) -> Option<String> {
    let args: Vec<&str> = argv.iter().filter_map(|a| a.to_str()).collect();
    if args.get(1) != Some(&"purge") {
        return None;
    }
    let at = args.iter().position(|a| *a == "-n")?;
    let count = args.get(at + 1)?;
    let is_number = !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit());
    (is_number && !std::path::Path::new(count).exists()).then(|| {
        format!("-n is --dry-run here; did you mean --retain {count}? (PurgeTxnLog's -n is the retain count)")
    })
}

/// The library's errors with the flags that help, where some do.
pub fn explain(e: Error) -> Error {
    match e {
        Error::Replay(ReplayError::NoUsableSnapshot { .. }) => Error::Usage(format!(
            "{e}; use --from-empty if the logs go back to the first txn, or --snapshot FILE"
        )),
        Error::Replay(ReplayError::LogsNotFromStart(_)) => {
            Error::Usage(format!("--from-empty: {e}"))
        }
        e => e,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
