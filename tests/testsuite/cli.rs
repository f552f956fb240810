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
        if n.ends_with(".1") && !names.contains(&&n) {
            stale.push(format!("{n} (orphan)"));
        }
    }
    assert!(
        stale.is_empty(),
        "man pages out of date: {stale:?}; run ZKDD_BLESS=1 cargo test man_pages"
    );
    assert!(pages.len() >= 6);
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
