//! The `flashpoint` binary: parse the command line and hand it to the library, which runs the
//! command and says how the process exits (78 for a bad config).

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    flashpoint::cli::run(flashpoint::cli::Args::parse()).into()
}
