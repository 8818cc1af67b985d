//! `kensa iac`: infrastructure as code judged by the same policy pack.

use std::path::PathBuf;

use clap::Args;

use super::RunArgs;
use crate::error::Result;
use crate::sources::{iac, Sources};

#[derive(Args, Debug)]
pub(crate) struct IacArgs {
    /// Files and directories to scan (directories recursively, skipping .git, .terraform
    /// and node_modules). Default: the current directory.
    #[arg(value_name = "PATH", default_value = ".")]
    pub(crate) paths: Vec<PathBuf>,
    /// Skip paths matching this glob (repeatable), e.g. '**/examples/**'.
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
    /// ARM parameters file for every template (default: <template>.parameters.json beside each).
    #[arg(long, value_name = "FILE")]
    pub(crate) parameters: Option<PathBuf>,
    /// Evaluate ARM templates with their parameters' default values only.
    #[arg(long, conflicts_with = "parameters")]
    pub(crate) no_parameter_files: bool,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

pub(crate) fn run(args: IacArgs) -> Result<u8> {
    let sources = Sources {
        iac: Some(iac::Selection {
            paths: args.paths,
            exclude: args.exclude,
            parameters: args.parameters,
            no_parameter_files: args.no_parameter_files,
        }),
        ..Sources::default()
    };
    args.run.scan(sources)
}
