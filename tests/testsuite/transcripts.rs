//! CLI transcripts (tests/cli/*.md): help, -q, -v, --json and errors of every
//! subcommand. Each `$ zkdd ARGS` line in a console block runs from
//! testdata/ (arguments split at spaces, no quoting); its exit status (`? N`
//! when not 0) and what it writes to stdout and stderr, merged in order,
//! follow it. `[..]` in a line matches anything (timings).
//! `SNAPSHOTS=overwrite cargo test --test testsuite transcripts` rewrites the
//! files after an intended change; review the diff, and put `[..]` back
//! over timings on lines whose text changed (it survives only where the
//! line still matches).
//!
//! Why not trycmd, which reads the same format: it rewrites every `\` in
//! output to `/` (Windows paths), and so turned JSON's `\"` into `/"` in the
//! transcripts. snapbox compares here with that filter off.

use std::io::Read;
use std::path::Path;

use crate::common;

/// Runs every command of the transcript at `path` and returns the transcript
/// as it is now: the same prose and commands, today's outputs.
fn rerun(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    let mut sections: Vec<String> = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if !in_block {
            out.push_str(line);
            out.push('\n');
            in_block = line == "```console";
            continue;
        }
        if line == "```" {
            out.push_str(&sections.join("\n"));
            out.push_str("```\n");
            sections.clear();
            in_block = false;
        } else if let Some(args) = line.strip_prefix("$ zkdd") {
            sections.push(run(args.split_whitespace().collect()));
        }
    }
    assert!(
        !in_block,
        "{}: a console block is not closed",
        path.display()
    );
    out
}

/// One command: `$ zkdd ARGS`, `? N` unless it exited 0, then its output.
fn run(args: Vec<&str>) -> String {
    let (mut reader, writer) = std::io::pipe().unwrap();
    let mut cmd = common::zkdd();
    cmd.args(&args)
        .current_dir(common::root().join("testdata"))
        // Help wraps at the terminal's width; colour is a terminal's.
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone().unwrap())
        .stderr(writer);
    let mut child = cmd.spawn().unwrap();
    drop(cmd); // its copies of the pipe's write end
    let mut output = String::new();
    reader.read_to_string(&mut output).unwrap();
    let status = child.wait().unwrap();
    let mut section = format!("$ zkdd {}", args.join(" ")).trim_end().to_string() + "\n";
    match status.code() {
        Some(0) => {}
        Some(n) => section.push_str(&format!("? {n}\n")),
        None => section.push_str("? killed by a signal\n"),
    }
    section.push_str(&output);
    if !output.is_empty() && !output.ends_with('\n') {
        section.push('\n');
    }
    section
}

#[test]
fn every_subcommand_says_what_its_transcript_says() {
    let dir = common::root().join("tests/cli");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 13, "{files:?}");
    for path in files {
        let actual = rerun(&path);
        snapbox::Assert::new()
            .normalize_paths(false)
            .action_env("SNAPSHOTS")
            .eq(actual, snapbox::Data::read_from(&path, None));
    }
}
