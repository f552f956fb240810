//! `zkdd diff`: what was added, removed or modified between two trees, and
//! where two ensemble members' histories part.

use std::path::PathBuf;

use crate::cmd::args::{LocalTimeArgs, OutputArgs, ReadArgs, RedactArgs, Settings};
use crate::error::{Error, ExitStatus};
use crate::files::datadir::DataDir;
use crate::ops::diff::{self, DiffOptions, Field, Side, SideSpec};
use crate::render::Output;
use crate::render::diff::{self as show, ChangeLines, ChangeOptions, Counts, LogsReport};
use crate::render::human::DataMode;
use crate::render::zkcli;
use crate::tree::replay::Target;

/// Compare two trees: a snapshot file, a data dir (its newest recoverable
/// state), a data dir at a point (DIR@0x1a2b or DIR@2026-11-23T03:14:00Z)
/// or a JSON Lines tree from `zkdd replay --json` / `zkdd dump --json`.
///
/// Compared: existence, data (null and empty differ), the resolved ACL list
/// (never the cache id) and each persisted stat field. Not compared by
/// default: ZooKeeper's quota stat nodes (/zookeeper/quota/**/zookeeper_stats,
/// rewritten on every change under a quota) and /zookeeper/config (each
/// member writes its own).
///
/// --logs compares two members' transaction logs zxid by zxid over the range
/// both cover, reports the first zxid where they differ (other bytes, or a
/// txn only one has) with both versions, then the tree diff at the last
/// zxid both agree on.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// Left side: snapshot file, data dir, DIR@ZXID, DIR@TIME or JSON Lines tree.
    #[arg(value_name = "LEFT")]
    pub left: String,
    /// Right side, as LEFT.
    #[arg(value_name = "RIGHT")]
    pub right: String,
    /// Compare two members' transaction logs (LEFT and RIGHT are data dirs).
    #[arg(long)]
    pub logs: bool,
    /// Show old and new values of modified fields (and added/removed nodes).
    #[arg(long)]
    pub values: bool,
    /// Print a zkCli script that turns LEFT into RIGHT.
    #[arg(long, conflicts_with = "logs")]
    pub script: bool,
    /// Only this subtree.
    #[arg(long, value_name = "PATH")]
    pub prefix: Option<String>,
    /// Do not compare: `stat` (every stat field) or a field (data, acl, czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion, ephemeral_owner).
    #[arg(long, value_name = "FIELD", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Leave out ephemeral nodes on both sides.
    #[arg(long)]
    pub ignore_ephemeral: bool,
    /// Also compare the quota stat nodes (/zookeeper/quota/**/zookeeper_stats).
    #[arg(long)]
    pub include_quota_stats: bool,
    /// Also compare /zookeeper/config.
    #[arg(long)]
    pub include_config: bool,
    /// How data is shown with --values.
    #[arg(long, value_enum, default_value_t = DataMode::Text)]
    pub data: DataMode,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub redact: RedactArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub local: LocalTimeArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub read: ReadArgs,
}

impl Args {
    /// What this subcommand runs with.
    pub fn settings(&self) -> Settings {
        Settings {
            report: self.report.clone(),
            redact: self.redact.redact,
            local: self.local.local,
            read: self.read.clone(),
            ..Settings::default()
        }
    }
}

/// Parses an `--ignore` word: `stat` (every stat field) or a field name.
fn parse_ignore(word: &str) -> Result<Vec<Field>, Error> {
    Field::parse(word).ok_or_else(|| {
        Error::Usage(format!(
            "--ignore {word:?}: use stat or one of {}",
            Field::ALL.map(Field::name).join(", ")
        ))
    })
}

/// Runs `zkdd diff`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let mut opts = DiffOptions {
        prefix: args.prefix.as_ref().map(|p| p.as_bytes().to_vec()),
        ignore_ephemeral: args.ignore_ephemeral,
        include_quota_stats: args.include_quota_stats,
        include_config: args.include_config,
        ..DiffOptions::default()
    };
    for w in &args.ignore {
        opts.ignore.extend(parse_ignore(w)?);
    }
    if args.script && out.json {
        return Err(Error::Usage("--script and --json do not mix".into()));
    }
    if args.logs {
        return run_logs(args, global, &opts, out);
    }
    let specs = [
        diff::parse_side(&args.left, global.local)?,
        diff::parse_side(&args.right, global.local)?,
    ];
    // The two sides load on two threads; the left side's error comes first.
    let (left, right) = std::thread::scope(|s| {
        let right = s.spawn(|| {
            diff::load_side(&specs[1], &args.right, global.read.no_mmap, global.limits())
        });
        let left = diff::load_side(&specs[0], &args.left, global.read.no_mmap, global.limits());
        let right = right
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (left, right)
    });
    let (left, right) = (left?, right?);
    compare_and_report(args, &opts, &left, &right, None, out)
}

fn compare_and_report(
    args: &Args,
    opts: &DiffOptions,
    left: &Side,
    right: &Side,
    logs: Option<&LogsReport<'_>>,
    out: &mut Output<'_>,
) -> Result<ExitStatus, Error> {
    // Damage a side's replay went past: the comparison holds, but the
    // data dir is damaged, as every other subcommand would say.
    let damaged = !left.notes.is_empty() || !right.notes.is_empty();
    for (name, side) in [("left", left), ("right", right)] {
        out.note(&format!(
            "{name}: {}{}",
            side.label,
            side.zxid
                .map_or(String::new(), |z| format!(", the tree at zxid {z}"))
        ));
    }
    for n in left.notes.iter().chain(&right.notes) {
        out.error(n);
    }
    let (ln, rn) = (left.nodes(), right.nodes());
    let mut counts = Counts::default();
    // Changes are written as the merge finds them, except for --script,
    // which orders deletes children first.
    if args.script {
        let (changes, _) = diff::diff(&ln, &rn, opts);
        changes.iter().for_each(|c| counts.add(c));
        let script = zkcli::diff_script(&changes, out.redact);
        for l in &script.lines {
            out.line(l)?;
        }
        for w in &script.warnings {
            out.warn(w);
        }
        // The script is all the output.
        return Ok(ExitStatus::from_findings(counts.any() || damaged));
    }
    let mut lines = ChangeLines::new(ChangeOptions {
        values: args.values,
        data: args.data,
    });
    let compared = diff::diff_each(&ln, &rn, opts, |c| {
        counts.add(&c);
        lines.change(&c, out)
    })?;
    show::summary(out, left, right, counts, compared, logs)?;
    Ok(ExitStatus::from_findings(counts.any() || damaged))
}

/// `--logs`: where two members' histories part, then the trees at the last
/// zxid both agree on.
fn run_logs(
    args: &Args,
    global: &Settings,
    opts: &DiffOptions,
    out: &mut Output<'_>,
) -> Result<ExitStatus, Error> {
    let dir = |s: &str| -> Result<PathBuf, Error> {
        let p = PathBuf::from(s);
        if p.is_dir() {
            Ok(p)
        } else {
            Err(Error::Usage(format!("--logs: {s}: not a data dir")))
        }
    };
    let (da, db) = (dir(&args.left)?, dir(&args.right)?);
    let (dd_a, dd_b) = (DataDir::open(&da, None)?, DataDir::open(&db, None)?);
    let ha = diff::read_history(&dd_a, global.read.no_mmap, global.limits())?;
    let hb = diff::read_history(&dd_b, global.read.no_mmap, global.limits())?;
    let cmp = diff::compare_histories(&ha, &hb);
    let report = LogsReport {
        left: &args.left,
        right: &args.right,
        a: &ha,
        b: &hb,
        cmp: &cmp,
        data: args.data,
    };
    show::logs(out, &report)?;
    let target = cmp.last_common.map_or(Target::End, Target::ToZxid);
    let mut status = ExitStatus::Ok;
    if cmp.last_common.is_none_or(|z| z.0 >= 0) {
        let side = |d: PathBuf, label: &str| {
            diff::load_side(
                &SideSpec::Dir(d, target),
                label,
                global.read.no_mmap,
                global.limits(),
            )
        };
        let left = side(da, &args.left)?;
        let right = side(db, &args.right)?;
        status = compare_and_report(args, opts, &left, &right, Some(&report), out)?;
    }
    if cmp.divergence.is_some() {
        status = ExitStatus::Findings;
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_words() {
        assert_eq!(parse_ignore("stat").unwrap().len(), 9);
        assert_eq!(parse_ignore("data").unwrap(), vec![Field::Data]);
        assert!(parse_ignore("bogus").is_err());
    }
}
