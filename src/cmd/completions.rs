//! `zkdd completions SHELL`: shell completion scripts generated from the CLI.

use crate::error::{Error, ExitStatus};
use crate::render::Output;

/// Print a completion script for a shell.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes the script for `cli` (the whole command line) to stdout.
pub fn run(
    args: &Args,
    cli: &mut clap::Command,
    out: &mut Output<'_>,
) -> Result<ExitStatus, Error> {
    clap_complete::generate(args.shell, cli, "zkdd", out);
    Ok(ExitStatus::Ok)
}
