//! One scan, as the five stage calls: sources → inventory → evaluate → findings → report.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::evaluate::{Evaluator, Pack, Runner};
use crate::findings::report::{Gate, Report};
use crate::findings::waivers::{Waivers, Warning};
use crate::findings::{self, baseline};
use crate::inventory::Inventory;
use crate::settings;
use crate::sources::Sources;

/// What to scan and how to judge it.
#[derive(Debug, Clone)]
pub(crate) struct ScanRequest {
    pub(crate) sources: Sources,
    pub(crate) config: Option<PathBuf>,
    pub(crate) policy_dirs: Vec<PathBuf>,
    /// Where the rules run.
    pub(crate) runner: Runner,
    /// The wall time one resource's evaluation may take.
    pub(crate) policy_timeout: std::time::Duration,
    pub(crate) now: Option<String>,
    pub(crate) gate: Gate,
    pub(crate) waivers: Option<PathBuf>,
    pub(crate) allow_permanent_waivers: bool,
    pub(crate) warn_expiring_days: i64,
    pub(crate) baseline: Option<PathBuf>,
}

pub(crate) struct Scan {
    pub(crate) report: Report,
    /// Waivers that expired or matched nothing, to show on stderr.
    pub(crate) warnings: Vec<Warning>,
    /// Inputs that could not be read in full (each is also a gap in the report).
    pub(crate) diagnostics: Vec<Error>,
    /// Configuration the scan needed and did not have, said once (not per resource).
    pub(crate) notices: Vec<String>,
}

/// The rule that needs `image.approved_galleries`.
const APPROVED_SOURCE: &str = "image.approved-source";

pub(crate) fn run(req: &ScanRequest) -> Result<Scan> {
    let demo = req.sources.demo;
    let config = settings::config(req.config.as_ref(), demo)?;
    let mut pack = Pack::load(&req.policy_dirs, false)?;
    pack.limit(req.policy_timeout);
    config.check_rule_ids(&pack.ids())?;
    let now = settings::instant(req.now.as_deref(), demo)?;
    let waiver_file = settings::waivers(
        req.waivers.as_ref(),
        req.config.as_ref(),
        demo,
        req.allow_permanent_waivers,
    )?;
    let old = req
        .baseline
        .as_ref()
        .map(|p| baseline::read_report(p))
        .transpose()?;
    let evaluator = Evaluator::new(&pack, req.runner, config.params_json(), &now, |id| {
        !config.disabled(id)
    })?;
    // A large snapshot is read mostly on one thread; the pack compiles on the other.
    let early = evaluator.compiles_early(req.sources.snapshot_bytes());
    let (estate, compiled) = std::thread::scope(|s| {
        let compiling = early.then(|| s.spawn(|| evaluator.compile()));
        (req.sources.load(), compiling.and_then(|c| c.join().ok()))
    });
    let mut estate = estate?;
    let diagnostics = std::mem::take(&mut estate.diagnostics);
    let mut inventory = Inventory::build(estate)?;
    let progress = progress_bar(req.sources.quiet, inventory.resources.len());
    let mut evaluation = evaluator.run(&inventory, &progress, compiled);
    let vm_refused = evaluation.vm_refused.take();
    progress.finish_and_clear();
    inventory.drop_relations();
    let mut found = findings::collect(
        std::mem::take(&mut evaluation.violations),
        &pack,
        &inventory,
    );

    // `kensa:ignore` comments in the IaC files scanned join the waiver file's entries.
    let inline = Waivers::inline(&inventory.source_files(), req.allow_permanent_waivers)?;
    let waivers = waiver_file.unwrap_or_default().and(inline);
    let today = chrono::DateTime::parse_from_rfc3339(&now)
        .map_err(|e| Error::Usage(e.to_string()))?
        .date_naive();
    let (waived, warnings) = waivers.apply(&mut found, today, req.warn_expiring_days);
    let changes = match (&old, &req.baseline) {
        (Some(old), Some(path)) => {
            Some(baseline::diff(old, &path.display().to_string(), &mut found))
        }
        _ => None,
    };
    let report = Report::assemble(findings::report::Parts {
        pack: &pack,
        enabled: &|id| !config.disabled(id),
        disabled: config.disabled_ids(),
        inventory: &inventory,
        evaluation,
        findings: found,
        waivers: waived,
        changes,
        compliance_before: old.as_ref().map(|o| o.compliance.clone()),
        gate: req.gate,
        now,
        iac: req.sources.iac.is_some(),
    });
    let mut notices = Vec::new();
    if let Some(why) = vm_refused {
        notices.push(format!(
            "--evaluator vm: the rules ran in the interpreter (slower): {why}"
        ));
    }
    if config.values.image.approved_galleries.is_empty() && !config.disabled(APPROVED_SOURCE) {
        notices.push(format!(
            "no approved Compute Gallery is configured (image.approved_galleries): {APPROVED_SOURCE} is undecided on every machine; `kensa init` writes a kensa.toml and proposes the galleries it sees"
        ));
    }
    Ok(Scan {
        report,
        warnings,
        diagnostics,
        notices,
    })
}

/// Resources from which a scan takes long enough (seconds) to show how far it is.
const LONG_SCAN: usize = 20_000;

/// A bar on the terminal for a long scan (none for a short one, with `--quiet`, in CI, or
/// when standard error is not a terminal).
fn progress_bar(quiet: bool, resources: usize) -> indicatif::ProgressBar {
    if resources < LONG_SCAN || !crate::sources::show_progress(quiet) {
        return indicatif::ProgressBar::hidden();
    }
    let style = indicatif::ProgressStyle::with_template(
        "evaluating {pos}/{len} resources, {elapsed} elapsed, about {eta} left",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    indicatif::ProgressBar::new(0).with_style(style)
}
