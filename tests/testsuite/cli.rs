//! The command line as a whole: help texts, man pages, completions.

use crate::common;

/// Man pages in man/ are generated from the clap definition; this fails when
/// they drift. `ZKDD_BLESS=1 cargo test man_pages` rewrites them.
#[test]
fn man_pages_are_current() {
    let dir = common::root().join("man");
    let pages = zkdd::cmd::man_pages().unwrap();
    let bless = std::env::var_os("ZKDD_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, bytes) in &pages {
        let path = dir.join(name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, bytes).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
            stale.push(name.clone());
        }
    }
    // No page for a subcommand that no longer exists.
    let names: Vec<&String> = pages.iter().map(|(n, _)| n).collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let n = entry.unwrap().file_name().to_string_lossy().into_owned();
        if (n.ends_with(".1") || n.ends_with(".5")) && !names.contains(&&n) {
            stale.push(format!("{n} (orphan)"));
        }
    }
    assert!(
        stale.is_empty(),
        "man pages out of date: {stale:?}; run ZKDD_BLESS=1 cargo test man_pages"
    );
    assert!(pages.len() >= 6);
}

/// Every page renders cleanly at 80 columns with man-db's man: no line
/// wider, no warning, each example verbatim on its own lines (not
/// reflowed), the standard sections, the version, and no reference to a
/// page that does not exist.
#[test]
fn man_pages_render_at_80_columns() {
    let have_man = std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_man {
        assert!(
            std::env::var_os("ZKDD_REQUIRE_MAN").is_none(),
            "ZKDD_REQUIRE_MAN is set but man is not installed"
        );
        common::skip("man_pages_render_at_80_columns", common::Missing::Man);
        return;
    }
    let dir = common::root().join("man");
    let version = format!("zkdd {}", env!("CARGO_PKG_VERSION"));
    let pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".1") || n.ends_with(".5"))
        .collect();
    assert!(pages.len() >= 13, "{pages:?}");
    for name in &pages {
        let o = std::process::Command::new("man")
            .arg("-l")
            .arg(dir.join(name))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env_remove("MAN_KEEP_FORMATTING")
            .output()
            .unwrap();
        assert!(o.status.success(), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.trim().is_empty(), "{name}: {err}");
        let text = String::from_utf8_lossy(&o.stdout);
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{name}: {} columns: {line}",
                line.chars().count()
            );
        }
        assert!(text.contains(&version), "{name}: no version");
        let sections: &[&str] = if name.ends_with(".5") {
            &["NAME", "DESCRIPTION", "SEE ALSO"]
        } else {
            &[
                "NAME",
                "SYNOPSIS",
                "OPTIONS",
                "EXAMPLES",
                "EXIT STATUS",
                "ENVIRONMENT",
                "FILES",
                "SEE ALSO",
            ]
        };
        for s in sections {
            assert!(text.lines().any(|l| l == *s), "{name}: no {s} section");
        }
        // References: zkdd-x(N) names a page that is here.
        for (i, _) in text.match_indices("zkdd") {
            let rest = &text[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '(' || c == ')'));
            let word = &rest[..end.unwrap_or(rest.len())];
            if let Some((page, sect)) = word.strip_suffix(')').and_then(|w| w.split_once('(')) {
                assert!(
                    dir.join(format!("{page}.{sect}")).exists(),
                    "{name} refers to {word}, which does not exist"
                );
            }
        }
    }
    // Examples render verbatim: every line of every example, whole.
    for sub in [
        "dump", "verify", "replay", "diff", "purge", "history", "extract", "du", "repair",
        "recover", "report", "ls",
    ] {
        let name = format!("zkdd-{sub}.1");
        let o = std::process::Command::new("man")
            .args(["-l"])
            .arg(dir.join(&name))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for e in zkdd::cmd::docs::doc(sub).examples {
            for l in e.cmd.lines() {
                assert!(lines.contains(&l.trim()), "{name}: example reflowed: {l}");
            }
        }
    }
}

#[test]
fn every_subcommand_documents_examples_and_exit_status() {
    use clap::CommandFactory;
    let cmd = zkdd::cmd::Cli::command();
    for sub in cmd.get_subcommands() {
        let name = sub.get_name().to_string();
        let o = common::run(&[&name, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{name} --help");
        let help = common::stdout(&o);
        assert!(help.contains("Examples:"), "{name} --help has no examples");
        if name != "completions" {
            assert!(
                help.contains("Exit status"),
                "{name} --help has no exit status"
            );
        }
    }
}

#[test]
fn completions_are_generated_for_common_shells() {
    for shell in ["bash", "zsh", "fish"] {
        let o = common::run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        let s = common::stdout(&o);
        assert!(s.contains("dump") && s.contains("max-buffer"), "{shell}");
    }
}

#[test]
fn broken_pipe_is_a_quiet_success() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = common::fixtures().join("standalone/data");
    let mut child = common::zkdd()
        .args(["dump", "--all", dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}
