//! `zkdd verify` (not built yet).

use crate::cli::GlobalArgs;
use crate::error::{Error, ExitStatus};
use crate::render::Output;

/// Not built yet.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  (none yet)\n\nExit status:\n  2  not built yet")]
pub struct Args {}

/// Not built yet.
pub fn run(_args: &Args, _g: &GlobalArgs, _out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    Err(Error::Usage("zkdd verify is not built yet".into()))
}
