//! `zkdd completions SHELL`: shell completion scripts generated from the CLI.

use clap::CommandFactory;

use crate::cli::{Cli, GlobalArgs};
use crate::error::{Error, ExitStatus};
use crate::render::Output;

/// Print a completion script for a shell.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  zkdd completions bash > /etc/bash_completion.d/zkdd
  zkdd completions zsh > \"${fpath[1]}/_zkdd\"")]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes the script to stdout.
pub fn run(args: &Args, _g: &GlobalArgs, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "zkdd", out);
    Ok(ExitStatus::Ok)
}
