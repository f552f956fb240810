//! zkCli scripts (`extract`, `diff --script`), with one quoting rule.
//!
//! zkCli (`ZooKeeperMain`) splits a line into bare words and `"…"` or
//! `'…'` strings, with no escapes, strips the quotes, and hands the words to
//! a commons-cli parser: so a word that starts with `-` is taken for an
//! option even when quoted, `""` is an empty argument (empty data, not
//! null), and a value holding a line break or both quote characters cannot
//! be typed at all. `setAcl` takes `scheme:id:perms,…` and splits it at
//! every `,` and at the first and last `:`, so a scheme may hold neither
//! and an id no `,`. (Checked against zkCli 3.8.0.)

use crate::format::jute::perms_letters;
use crate::format::snapshot::NodeKind;
use crate::ops::diff::{Change, ChangeKind, Field};
use crate::ops::extract::ExtractNode;
use crate::render::human;
use crate::render::redact::{self, Redaction, SCRIPT_GUARD};
use crate::tree::{OwnedAcl, open_acl_unsafe};
use crate::zxid::Zxid;

/// One zkCli word for `b`, or why it cannot be typed.
pub fn token(b: &[u8]) -> Result<String, &'static str> {
    let t = std::str::from_utf8(b).map_err(|_| "binary data (not UTF-8)")?;
    if t.contains(['\n', '\r']) {
        return Err("a line break");
    }
    if t.chars().any(|c| c.is_control() && c != '\t') {
        return Err("a control character");
    }
    if t.starts_with('-') {
        return Err("a leading '-' (zkCli reads it as an option)");
    }
    let bare = !t.is_empty() && !t.chars().any(char::is_whitespace) && !t.starts_with(['"', '\'']);
    if bare {
        Ok(t.to_string())
    } else if !t.contains('"') {
        Ok(format!("\"{t}\""))
    } else if !t.contains('\'') {
        Ok(format!("'{t}'"))
    } else {
        Err("both quote characters")
    }
}

/// The `setAcl` argument for `list`, or why zkCli cannot express it.
pub fn acl(list: &[OwnedAcl]) -> Result<String, &'static str> {
    acl_as(list, Redaction::Off)
}

/// [`acl`], credentials masked as `redact` says.
pub fn acl_as(list: &[OwnedAcl], redact: Redaction) -> Result<String, &'static str> {
    let mut parts = Vec::with_capacity(list.len());
    for a in list {
        let scheme = std::str::from_utf8(&a.scheme).map_err(|_| "an ACL scheme not in UTF-8")?;
        let masked = redact.acl_id(&a.scheme, &a.id);
        let id = std::str::from_utf8(masked.as_deref().unwrap_or(&a.id))
            .map_err(|_| "an ACL id not in UTF-8")?;
        if scheme.contains([',', ':']) {
            return Err("an ACL scheme with ',' or ':'");
        }
        if id.contains(',') {
            return Err("an ACL id with ','");
        }
        parts.push(format!("{scheme}:{id}:{}", perms_letters(a.perms)));
    }
    token(parts.join(",").as_bytes())
}

/// A redacted value as one zkCli word: `"<redacted N bytes sha256:…>"`.
fn redacted_word(d: &[u8]) -> String {
    format!("\"{}\"", redact::text(d))
}

/// A script and what it could not express.
#[derive(Debug, Default)]
pub struct Script {
    /// The lines, comments included.
    pub lines: Vec<String>,
    /// What was left out or altered, one message each.
    pub warnings: Vec<String>,
}

/// The `create` flags for a node kind; `None` for an ephemeral.
fn create_flags(kind: NodeKind) -> Option<String> {
    match kind {
        NodeKind::Persistent => Some(String::new()),
        NodeKind::Container => Some("-c ".into()),
        NodeKind::Ttl(t) => Some(format!("-t {t} ")),
        NodeKind::Ephemeral(_) => None,
    }
}

/// `extract`'s script: the nodes created parents first, then their
/// non-default ACLs, children first (a restrictive ACL must not block a
/// later create). `persist_eph` creates ephemerals as persistent nodes.
pub fn extract_script(
    nodes: &[ExtractNode<'_>],
    prefix: &[u8],
    persist_eph: bool,
    at: Zxid,
    when: &str,
    redact: Redaction,
) -> Script {
    let mut s = Script {
        lines: vec![format!(
            "# zkdd extract: {} as it was {when} (tree at {at})",
            String::from_utf8_lossy(prefix)
        )],
        warnings: Vec::new(),
    };
    if redact.is_on() {
        s.lines.extend(SCRIPT_GUARD.map(String::from));
    } else {
        s.lines
            .push("# apply with: zkCli.sh -server HOST:PORT < THIS_FILE".into());
    }
    let default_acl = open_acl_unsafe();
    let mut acls: Vec<(String, &[OwnedAcl])> = Vec::new();
    for n in nodes {
        let shown = String::from_utf8_lossy(n.path).into_owned();
        let ptok = match token(n.path) {
            Ok(t) => t,
            Err(why) => {
                s.warnings.push(format!(
                    "{shown}: skipped: zkCli cannot type a path with {why}"
                ));
                continue;
            }
        };
        let flags = match (create_flags(n.kind), n.kind) {
            (Some(f), _) => f,
            (None, NodeKind::Ephemeral(sid)) if persist_eph => {
                s.warnings.push(format!(
                    "{shown}: ephemeral of session {sid}, created as a persistent node"
                ));
                String::new()
            }
            (None, kind) => {
                let sid = kind.session().unwrap_or_default();
                s.warnings.push(format!(
                    "{shown}: ephemeral of session {sid}, skipped (use --ephemerals-as-persistent)"
                ));
                s.lines.push(format!("# skipped ephemeral {shown}"));
                continue;
            }
        };
        // No data word is null data; `""` is empty data.
        let data = match n.data {
            None => String::new(),
            Some(d) if redact.is_on() => format!(" {}", redacted_word(d)),
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
        if n.ancestor {
            s.lines
                .push("# ancestor of the prefix (fails harmlessly if it exists)".to_string());
        }
        s.lines.push(format!("create {flags}{ptok}{data}"));
        match &n.acl {
            Some(l) if **l != default_acl[..] && !l.is_empty() => acls.push((ptok, l)),
            Some(_) => {}
            None => s
                .warnings
                .push(format!("{shown}: ACL missing from the snapshot; left open")),
        }
    }
    // Last, and children first: a restrictive ACL must not block later creates.
    for (p, list) in acls.into_iter().rev() {
        match acl_as(list, redact) {
            Ok(a) => s.lines.push(format!("setAcl {p} {a}")),
            Err(why) => s.warnings.push(format!(
                "{p}: ACL not restored: zkCli cannot express {why}; left open"
            )),
        }
    }
    s
}

/// `diff --script`: zkCli commands that turn the left tree into the right
/// one: deletes children first, creates and sets parents first, ACLs last
/// (so a restrictive one cannot block the creates below it).
pub fn diff_script(changes: &[Change<'_>], redact: Redaction) -> Script {
    let mut s = Script::default();
    if redact.is_on() {
        s.lines.extend(SCRIPT_GUARD.map(String::from));
    }
    // A redacted value as its data word: the script never runs (the guard
    // stops zkCli), it is there to be read.
    let data_word = |d: &[u8]| {
        if redact.is_on() {
            Ok(redacted_word(d))
        } else {
            token(d)
        }
    };
    let skip = |s: &mut Script, path: &[u8], why: &str| {
        s.warnings
            .push(format!("--script: {}: {why}; skipped", human::path(path)));
    };
    for c in changes
        .iter()
        .rev()
        .filter(|c| c.kind == ChangeKind::Removed)
    {
        match token(c.path()) {
            Ok(p) => s.lines.push(format!("delete {p}")),
            Err(_) => skip(&mut s, c.path(), "path zkCli cannot quote"),
        }
    }
    let mut acl_lines = Vec::new();
    for c in changes {
        let Some(r) = &c.right else { continue };
        let Ok(path) = token(r.path()) else {
            skip(&mut s, r.path(), "path zkCli cannot quote");
            continue;
        };
        let acl_change = match c.kind {
            ChangeKind::Added => r
                .acl
                .as_deref()
                .is_some_and(|a| *a != open_acl_unsafe()[..]),
            _ => c.fields.contains(&Field::Acl),
        };
        if c.kind == ChangeKind::Added {
            let Some(flag) = create_flags(NodeKind::of(r.stat.ephemeral_owner)) else {
                skip(&mut s, r.path(), "ephemeral node (it belongs to a session)");
                continue;
            };
            match r.data.map(data_word) {
                None => s.lines.push(format!("create {flag}{path}")),
                Some(Ok(q)) => s.lines.push(format!("create {flag}{path} {q}")),
                Some(Err(_)) => {
                    skip(&mut s, r.path(), "data zkCli cannot express");
                    continue;
                }
            }
        } else if c.fields.contains(&Field::Data) {
            match r.data.map(data_word) {
                Some(Ok(q)) => s.lines.push(format!("set {path} {q}")),
                Some(Err(_)) => skip(&mut s, r.path(), "data zkCli cannot express"),
                None => skip(&mut s, r.path(), "null data cannot be set through zkCli"),
            }
        }
        if acl_change {
            match r.acl.as_deref().map(|l| acl_as(l, redact)) {
                Some(Ok(a)) => acl_lines.push(format!("setAcl {path} {a}")),
                _ => skip(&mut s, r.path(), "ACL zkCli cannot express"),
            }
        }
    }
    s.lines.extend(acl_lines);
    if !s.warnings.is_empty() {
        s.warnings.push(format!(
            "--script: {} change(s) could not be expressed in zkCli",
            s.warnings.len()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_zkcli_can_type() {
        assert_eq!(token(b"v1").unwrap(), "v1");
        assert_eq!(token(b"").unwrap(), "\"\"");
        assert_eq!(token(b"a b").unwrap(), "\"a b\"");
        assert_eq!(token(b"say \"hi\"").unwrap(), "'say \"hi\"'");
        assert_eq!(token(b"'q").unwrap(), "\"'q\"");
        assert_eq!(token(b"ab\"c").unwrap(), "ab\"c");
        assert!(token(b"it's \"x\"").is_err());
        assert!(token(b"a\nb").is_err());
        assert!(token(b"-x").is_err());
        assert!(token(&[0xff, 0x00]).is_err());
    }

    #[test]
    fn acls_zkcli_can_express() {
        let a = |scheme: &str, id: &str, perms: i32| OwnedAcl {
            perms,
            scheme: scheme.as_bytes().into(),
            id: id.as_bytes().into(),
        };
        assert_eq!(
            acl(&[a("digest", "alice:h4sh=", 31), a("world", "anyone", 1)]).unwrap(),
            "digest:alice:h4sh=:cdrwa,world:anyone:r"
        );
        assert_eq!(
            acl(&[a("digest", "al ice:h", 31)]).unwrap(),
            "\"digest:al ice:h:cdrwa\""
        );
        assert!(acl(&[a("x509", "CN=a,O=b", 31)]).is_err());
        assert!(acl(&[a("sch:eme", "id", 31)]).is_err());
    }
}
