//! kensa: Azure VM fleet compliance as code.
//!
//! Data flows one way: [`sources`] → [`inventory`] → [`evaluate`] → [`findings`] →
//! [`render`]; [`pipeline`] strings the stages together, [`cli`] is what the binary runs.
//! docs/architecture.md is the map.

mod cli;
mod error;
mod evaluate;
mod findings;
mod inventory;
mod pipeline;
mod render;
mod settings;
mod sources;
mod text;

use std::process::ExitCode;

use clap::Parser;

/// The whole program: parse the command line, run the verb, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::write::clean_up_on_interrupt();
    match cli.command.run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
