//! `kensa collect`: the estate as a Resource Graph response body, for offline scans.

use std::path::PathBuf;

use clap::Args;

use super::{write, LiveArgs, EXIT_INCOMPLETE};
use crate::error::{Error, Result};
use crate::sources::live;

#[derive(Args, Debug)]
pub(crate) struct CollectArgs {
    #[command(flatten)]
    pub(crate) live: LiveArgs,
    /// Where to save the estate (written atomically).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Exit 0 even when part of the estate could not be read (instead of 3).
    #[arg(long)]
    pub(crate) allow_partial: bool,
}

pub(crate) fn run(args: CollectArgs) -> Result<u8> {
    let Some(target) = args.live.target() else {
        return Err(Error::Usage(
            "nothing to collect: give --subscription ID, --management-group NAME or --tenant"
                .into(),
        ));
    };
    let collected = live::collect(&target)?;
    write::atomic(&args.output, &collected.body)?;
    let s = &collected.stats;
    eprintln!(
        "kensa: wrote {} ({} rows; {} requests, {} pages, {} retries, throttled {} times for {:.1}s)",
        args.output.display(),
        collected.rows,
        s.requests,
        s.pages,
        s.retries,
        s.throttled,
        s.throttled_wait.as_secs_f64()
    );
    for g in &collected.gaps {
        eprintln!("kensa: NOT READ {}: {}", g.source, g.reason);
    }
    Ok(if collected.gaps.is_empty() || args.allow_partial {
        0
    } else {
        EXIT_INCOMPLETE
    })
}
