//! One module per subcommand, each with `Args` (clap) and `run`.

pub mod completions;
pub mod diff;
pub mod du;
pub mod dump;
pub mod extract;
pub mod history;
pub mod purge;
pub mod repair;
pub mod replay;
pub mod verify;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::error::{Error, ExitStatus};
use crate::render::Output;

/// Runs the parsed command line against `out`.
pub fn run(cli: &Cli, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let g: &GlobalArgs = &cli.global;
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
        Command::Completions(a) => completions::run(a, g, out),
    }?;
    out.flush()?;
    Ok(status)
}
