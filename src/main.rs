//! The `zkdd` binary: parse the command line, run, map the result to an exit code.

use std::process::ExitCode;

use clap::FromArgMatches;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(hint) = zkdd::cmd::usage_hint(&argv) {
        zkdd::render::report_usage_error(&argv, &hint, true);
        return ExitCode::from(2);
    }
    let parsed = zkdd::cmd::command()
        .try_get_matches_from(&argv)
        .and_then(|m| zkdd::cmd::Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version exit 0; usage errors 2, with an `error`
            // line on stdout under --json.
            if e.use_stderr() {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                let message = first.strip_prefix("error: ").unwrap_or(first);
                zkdd::render::report_usage_error(&argv, message, false);
            }
            e.exit()
        }
    };
    let settings = cli.command.settings();
    let mut out = zkdd::render::Output::stdio(settings.output_options());
    match zkdd::cmd::run(&cli, &mut out) {
        Ok(status) => status.into(),
        // `zkdd dump ... | head` is not an error.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            let _ = out.flush();
            zkdd::render::report_error(&mut out, cli.command.name(), &err);
            err.exit_status().into()
        }
    }
}
