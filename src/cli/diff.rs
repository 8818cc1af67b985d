//! `kensa diff OLD NEW`: NEW's findings classified against OLD; fails on new findings only.

use std::path::PathBuf;

use clap::Args;

use super::{emit, exit_code, FailOn, OutputArgs};
use crate::error::Result;
use crate::findings::baseline;
use crate::findings::report::{Gate, Mode};

fn what(mode: Mode) -> &'static str {
    match mode {
        Mode::Iac => "infrastructure as code",
        Mode::Live => "an estate",
    }
}

#[derive(Args, Debug)]
pub(crate) struct DiffArgs {
    /// The earlier report (kensa scan --format json).
    pub(crate) old: PathBuf,
    /// The later report.
    pub(crate) new: PathBuf,
    #[command(flatten)]
    pub(crate) out: OutputArgs,
    /// Exit 1 when a new open finding has this severity or higher.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub(crate) fail_on: FailOn,
}

pub(crate) fn run(args: DiffArgs) -> Result<u8> {
    let old = baseline::read_report(&args.old)?;
    let mut new = baseline::read_report(&args.new)?;
    if old.mode != new.mode {
        eprintln!(
            "kensa: warning: {} is a scan of {} and {} of {}: nearly everything will look new or resolved",
            args.old.display(),
            what(old.mode),
            args.new.display(),
            what(new.mode)
        );
    }
    let changes = baseline::diff(&old, &args.old.display().to_string(), &mut new.findings);
    new.changes = Some(changes);
    // The text formats show only what changed (the new findings; the resolved ones are in
    // `changes`); JSON and SARIF stay whole, usable as the next baseline or upload.
    new.changes_only = true;
    new.compliance.compare(Some(&old.compliance));
    if old.now > new.now {
        eprintln!(
            "kensa: warning: {} ({}) is older than {} ({}): the arguments are OLD NEW",
            args.new.display(),
            new.now,
            args.old.display(),
            old.now
        );
    }
    new.regate(Gate {
        fail_on: args.fail_on.threshold(),
        only_new: true,
    });
    emit(&new, &args.out)?;
    // The diff judges findings; the later scan's completeness was judged when it ran.
    Ok(exit_code(&new, true))
}
