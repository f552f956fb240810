//! The `zkdd` binary: parse the command line, run, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap exits with 2 on usage errors by itself.
    let cli = zkdd::cmd::Cli::parse();
    let g = &cli.global;
    let mut out = zkdd::render::Output::stdio(g.json, g.quiet, g.verbose, g.local);
    match zkdd::cmd::run(&cli, &mut out) {
        Ok(status) => status.into(),
        // `zkdd dump ... | head` is not an error.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            let _ = out.flush();
            zkdd::render::report_error(&err);
            err.exit_status().into()
        }
    }
}
