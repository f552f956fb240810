//! `zkdd extract`: a subtree as it was just before a zxid, as a zkCli script
//! (the undelete case) or as JSON Lines.

use std::path::PathBuf;

use crate::cmd::args::{ConfigArgs, GlobalArgs};
use crate::error::{Error, ExitStatus};
use crate::format::jute::perms_letters;
use crate::format::snapshot::NodeKind;
use crate::render::Output;
use crate::render::replay::write_tree_json;
use crate::tree::in_subtree;
use crate::tree::replay::{self, Options, Start, Target};
use crate::tree::{DataTree, OwnedAcl, display_path, open_acl_unsafe};
use crate::zxid::Zxid;

/// Write a subtree as it was just before a zxid as a zkCli script that
/// recreates it (undelete), or as JSON Lines node lines. zkdd stays offline:
/// apply the script yourself with `zkCli.sh -server HOST:PORT < script`.
///
/// The script creates parents first (ancestors of the prefix too: their
/// create fails harmlessly when they exist), then sets non-default ACLs,
/// children before parents. Sequential nodes keep their full names (plain
/// create, no -s). Containers use create -c, TTL nodes create -t (the server
/// needs -Dzookeeper.extendedTypesEnabled=true). Ephemeral nodes are skipped
/// with a warning, or created persistent with --ephemerals-as-persistent.
/// zkCli cannot type some data: bytes that are not UTF-8, line breaks, text
/// with both quote characters or starting with '-'; such nodes are created
/// without data, with a warning and a comment in the script. Versions,
/// times and zxids are new on the target server. /zookeeper is never written.
#[derive(clap::Args, Debug, Default)]
#[command(after_help = "Examples:
  zkdd extract /var/lib/zookeeper --before-zxid 0x1a2b --prefix /app > restore-app.zk
  zkCli.sh -server 127.0.0.1:2181 < restore-app.zk
  zkdd extract /var/lib/zookeeper --before-zxid 0x1a2b --prefix /app --json > app.jsonl

Exit status:
  0  written; nothing was left out
  1  written, but something was left out or altered (ephemerals, untypable data,
     a file ZooKeeper would refuse or cut short): see the warnings
  2  could not run: usage, I/O error, no usable snapshot")]
pub struct Args {
    /// The data dir (dataDir, its version-2/, or default from --config / zoo.cfg).
    #[arg(value_name = "DATADIR")]
    pub dir: Option<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The tree just before the txn with this zxid (hex, e.g. 0x1a2b).
    #[arg(long, value_name = "ZXID")]
    pub before_zxid: String,
    /// The subtree to extract.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub prefix: String,
    /// Create ephemeral nodes as persistent ones instead of skipping them.
    #[arg(long)]
    pub ephemerals_as_persistent: bool,
}

/// Runs `zkdd extract`.
pub fn run(args: &Args, global: &GlobalArgs, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let z = Zxid::parse(&args.before_zxid).ok_or_else(|| {
        Error::Usage(format!(
            "--before-zxid: not a hex zxid: {:?}",
            args.before_zxid
        ))
    })?;
    if !args.prefix.starts_with('/') {
        return Err(Error::Usage(format!(
            "--prefix {:?}: a znode path starts with '/'",
            args.prefix
        )));
    }
    let dir = args.config.open(args.dir.as_deref(), out)?;
    let opts = Options {
        start: Start::Auto,
        target: Target::BeforeZxid(z),
        no_mmap: global.no_mmap,
        limits: global.limits(),
        ..Options::default()
    };
    let pb = out.progress(0, "replay");
    let r = replay::replay(&dir, &opts, &mut |d, t| {
        pb.set_length(t);
        pb.set_position(d);
    })?;
    pb.finish_and_clear();
    let mut findings = r.has_findings();
    for n in r.notes.iter().filter(|n| n.finding) {
        out.warn(&n.message);
    }
    let prefix = args.prefix.as_bytes();
    let prefix = if prefix.len() > 1 {
        prefix.strip_suffix(b"/").unwrap_or(prefix)
    } else {
        prefix
    };
    if out.json {
        write_tree_json(&r.tree, Some(&args.prefix), out)?;
        return Ok(status(findings));
    }
    let s = script(
        &r.tree,
        prefix,
        args.ephemerals_as_persistent,
        r.final_zxid(),
        z,
    );
    for w in &s.warnings {
        out.warn(w);
    }
    findings |= !s.warnings.is_empty();
    if s.nodes == 0 {
        out.warn(&format!(
            "{}: no such node just before {z}",
            String::from_utf8_lossy(prefix)
        ));
        findings = true;
    }
    for l in &s.lines {
        out.line(l)?;
    }
    Ok(status(findings))
}

fn status(findings: bool) -> ExitStatus {
    if findings {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    }
}

/// A generated zkCli script.
struct Script {
    lines: Vec<String>,
    warnings: Vec<String>,
    nodes: usize,
}

/// One zkCli token for `b`, or why it cannot be typed. zkCli splits a line
/// into bare words and "…" or '…' strings, with no escapes.
fn token(b: &[u8]) -> Result<String, &'static str> {
    let t = std::str::from_utf8(b).map_err(|_| "binary data (not UTF-8)")?;
    if t.contains(['\n', '\r']) {
        return Err("a line break");
    }
    if t.starts_with('-') {
        return Err("a leading '-' (zkCli reads it as an option)");
    }
    let plain = !t.is_empty() && !t.chars().any(char::is_whitespace) && !t.starts_with(['"', '\'']);
    if plain {
        Ok(t.to_string())
    } else if !t.contains('"') {
        Ok(format!("\"{t}\""))
    } else if !t.contains('\'') {
        Ok(format!("'{t}'"))
    } else {
        Err("both quote characters")
    }
}

fn acl_text(l: &[OwnedAcl]) -> String {
    l.iter()
        .map(|a| {
            format!(
                "{}:{}:{}",
                String::from_utf8_lossy(&a.scheme),
                String::from_utf8_lossy(&a.id),
                perms_letters(a.perms)
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn script(tree: &DataTree, prefix: &[u8], persist_eph: bool, at: Zxid, before: Zxid) -> Script {
    let mut s = Script {
        lines: vec![
            format!(
                "# zkdd extract: {} as it was just before zxid {before} (tree at {at})",
                String::from_utf8_lossy(prefix)
            ),
            "# apply with: zkCli.sh -server HOST:PORT < THIS_FILE".into(),
        ],
        warnings: Vec::new(),
        nodes: 0,
    };
    // Ancestors of the prefix first, so the script also works on an empty server.
    let mut wanted: Vec<&[u8]> = Vec::new();
    let mut end = 1;
    while let Some(i) = prefix
        .get(end..)
        .and_then(|r| r.iter().position(|&b| b == b'/'))
    {
        wanted.push(&prefix[..end + i]);
        end += i + 1;
    }
    let default_acl = open_acl_unsafe();
    let mut acls: Vec<(String, String)> = Vec::new();
    let nodes = tree.sorted_nodes();
    let is_ancestor = |p: &[u8]| wanted.contains(&p);
    for (key, n) in nodes {
        let path = display_path(key);
        if path == b"/" || in_subtree(path, b"/zookeeper") {
            continue;
        }
        let ancestor = is_ancestor(path);
        if !ancestor && !in_subtree(path, prefix) {
            continue;
        }
        let shown = String::from_utf8_lossy(path).into_owned();
        if !ancestor {
            s.nodes += 1;
        }
        let ptok = match token(path) {
            Ok(t) => t,
            Err(why) => {
                s.warnings.push(format!(
                    "{shown}: skipped: zkCli cannot type a path with {why}"
                ));
                continue;
            }
        };
        let mut flags = String::new();
        match NodeKind::of(n.stat().ephemeral_owner) {
            NodeKind::Persistent => {}
            NodeKind::Container => flags.push_str("-c "),
            NodeKind::Ttl(t) => flags.push_str(&format!("-t {t} ")),
            NodeKind::Ephemeral(sid) => {
                if persist_eph {
                    s.warnings.push(format!(
                        "{shown}: ephemeral of session {sid}, created as a persistent node"
                    ));
                } else {
                    s.warnings.push(format!(
                        "{shown}: ephemeral of session {sid}, skipped (use --ephemerals-as-persistent)"
                    ));
                    s.lines.push(format!("# skipped ephemeral {shown}"));
                    continue;
                }
            }
        }
        let data = match n.data() {
            None | Some(b"") => String::new(),
            Some(d) => match token(d) {
                Ok(t) => format!(" {t}"),
                Err(why) => {
                    s.warnings.push(format!(
                        "{shown}: data ({} bytes) has {why}, which zkCli cannot type; created without data",
                        d.len()
                    ));
                    s.lines
                        .push(format!("# {shown}: data not restored ({why})"));
                    String::new()
                }
            },
        };
        if ancestor {
            s.lines
                .push("# ancestor of the prefix (fails harmlessly if it exists)".to_string());
        }
        s.lines.push(format!("create {flags}{ptok}{data}"));
        match tree.acl(n) {
            Some(l) if *l != default_acl[..] && !l.is_empty() => {
                acls.push((ptok, acl_text(&l)));
            }
            Some(_) => {}
            None => s
                .warnings
                .push(format!("{shown}: ACL missing from the snapshot; left open")),
        }
    }
    // Last, and children first: a restrictive ACL must not block later creates.
    for (p, a) in acls.into_iter().rev() {
        s.lines.push(format!("setAcl {p} {a}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::token;

    #[test]
    fn tokens_zkcli_can_type() {
        assert_eq!(token(b"v1").unwrap(), "v1");
        assert_eq!(token(b"a b").unwrap(), "\"a b\"");
        assert_eq!(token(b"say \"hi\"").unwrap(), "'say \"hi\"'");
        assert_eq!(token(b"'q").unwrap(), "\"'q\"");
        assert!(token(b"it's \"x\"").is_err());
        assert!(token(b"a\nb").is_err());
        assert!(token(b"-x").is_err());
        assert!(token(&[0xff, 0x00]).is_err());
    }
}
