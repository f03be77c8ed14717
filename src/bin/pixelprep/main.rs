//! The `pixelprep` binary: the command line of [`app`], run with this process's
//! arguments. Its own modules are the arguments ([`cli`], the only place that
//! sees clap), progress drawing ([`progress`]), the `bench` subcommand
//! ([`bench`]) and the `inspect` report ([`inspect`]); the work is the library's.

use std::process::ExitCode;

mod app;
mod bench;
mod cli;
mod inspect;
mod progress;

fn main() -> ExitCode {
    ExitCode::from(app::run_cli(std::env::args_os(), None))
}
