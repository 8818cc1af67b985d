//! `kensa scan`: the estate (live, snapshots or the demo) judged by the policy pack.

use clap::Args;

use super::{RunArgs, SourceArgs};
use crate::error::Result;

#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    pub(crate) sources: SourceArgs,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

pub(crate) fn run(args: ScanArgs) -> Result<u8> {
    args.run.scan(args.sources.sources())
}
