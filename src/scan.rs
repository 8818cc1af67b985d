//! The whole pipeline for one scan: sources → inventory → evaluate → findings → report.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::config;
use crate::error::{Error, Result};
use crate::evaluate::{Evaluator, Pack};
use crate::findings::report::{
    Coverage, Gate, Mode, Report, Rollout, Summary, Tool, Undecided, SCHEMA,
};
use crate::findings::waivers::{self, Waivers};
use crate::findings::{self, baseline};
use crate::inventory::Inventory;
use crate::sources::{demo, iac, live, snapshot, Loaded};

/// Where the estate comes from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub snapshots: Vec<PathBuf>,
    /// Infrastructure-as-code files and directories.
    pub iac: Option<iac::Options>,
    pub demo: bool,
    /// Read the estate from Resource Graph.
    pub live: Option<live::Options>,
}

impl Sources {
    pub fn load(&self) -> Result<Loaded> {
        if self.snapshots.is_empty() && !self.demo && self.live.is_none() && self.iac.is_none() {
            return Err(Error::Usage(
                "nothing to scan: give --subscription ID, --management-group NAME or --tenant (live), --snapshot FILE, or --demo".into(),
            ));
        }
        let mut loaded = Loaded::default();
        if let Some(opts) = &self.live {
            let collected = live::collect(opts)?;
            snapshot::load_text(&live::describe(opts), collected.body, &mut loaded)?;
        }
        if self.demo {
            snapshot::load_text(demo::ESTATE_NAME, demo::ESTATE.to_string(), &mut loaded)?;
        }
        for path in &self.snapshots {
            snapshot::load_file(path, &mut loaded)?;
        }
        if let Some(opts) = &self.iac {
            iac::load(opts, &mut loaded)?;
        }
        Ok(loaded)
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub sources: Sources,
    pub config: Option<PathBuf>,
    pub policy_dirs: Vec<PathBuf>,
    pub now: Option<String>,
    pub gate: Gate,
    pub waivers: Option<PathBuf>,
    pub allow_permanent_waivers: bool,
    pub warn_expiring_days: i64,
    pub baseline: Option<PathBuf>,
}

/// The waiver file: `--waivers`, else the demo's own with `--demo`, else
/// `kensa-waivers.toml` beside the configuration file (or in the current directory).
fn load_waivers(opts: &Options) -> Result<Option<Waivers>> {
    if let Some(path) = &opts.waivers {
        return Waivers::read(path, opts.allow_permanent_waivers).map(Some);
    }
    if opts.sources.demo && opts.config.is_none() {
        return Waivers::parse(
            demo::WAIVERS_NAME,
            demo::WAIVERS.to_string(),
            opts.allow_permanent_waivers,
        )
        .map(Some);
    }
    let dir = opts
        .config
        .as_ref()
        .and_then(|c| c.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let beside = dir.join("kensa-waivers.toml");
    if beside.is_file() {
        return Waivers::read(&beside, opts.allow_permanent_waivers).map(Some);
    }
    Ok(None)
}

/// The configuration: `--config`, else the demo's own with `--demo`, else `./kensa.toml`
/// when present, else the defaults.
pub fn load_config(explicit: Option<&PathBuf>, demo: bool) -> Result<config::Loaded> {
    match explicit {
        Some(path) => config::Loaded::read(path),
        None if demo => config::Loaded::parse(demo::CONFIG_NAME, demo::CONFIG.to_string()),
        None => {
            let local = PathBuf::from("kensa.toml");
            if local.is_file() {
                config::Loaded::read(&local)
            } else {
                Ok(config::Loaded::default())
            }
        }
    }
}

/// `--now`, normalised to UTC seconds; the demo's own instant; or the clock.
pub fn evaluation_instant(now: Option<&str>, demo: bool) -> Result<String> {
    let t: DateTime<Utc> = match now {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| {
                Error::Usage(format!(
                    "--now {s:?} is not an RFC 3339 timestamp ({e}), e.g. 2026-11-20T06:00:00Z"
                ))
            })?
            .with_timezone(&Utc),
        None if demo => DateTime::parse_from_rfc3339(demo::NOW)
            .map_err(|e| Error::Usage(e.to_string()))?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    Ok(t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub struct Scan {
    pub report: Report,
    pub pack: Pack,
    /// Waivers that expired or matched nothing, to show on stderr.
    pub warnings: Vec<waivers::Warning>,
}

impl Scan {
    /// The rules that were evaluated, in report order.
    pub fn rules(&self) -> Vec<&crate::evaluate::Rule> {
        self.pack
            .rules
            .iter()
            .filter(|r| self.report.coverage.rules.contains(&r.meta.id))
            .collect()
    }
}

pub fn run(opts: &Options) -> Result<Scan> {
    let cfg = load_config(opts.config.as_ref(), opts.sources.demo)?;
    let pack = Pack::load(&opts.policy_dirs, false)?;
    cfg.check_rule_ids(&pack.ids())?;
    let now = evaluation_instant(opts.now.as_deref(), opts.sources.demo)?;
    let waiver_file = load_waivers(opts)?;
    let old = opts
        .baseline
        .as_ref()
        .map(|p| baseline::read_report(p))
        .transpose()?;
    let inventory = Inventory::build(opts.sources.load()?)?;
    let evaluator = Evaluator::new(&pack, cfg.params_json(), &now, |id| !cfg.disabled(id))?;
    let mut outcome = evaluator.run(&inventory)?;
    let mut findings = findings::sorted(std::mem::take(&mut outcome.findings));
    let today = DateTime::parse_from_rfc3339(&now)
        .map_err(|e| Error::Usage(e.to_string()))?
        .date_naive();
    // `kensa:ignore` comments in the IaC files scanned join the waiver file's entries.
    let mut files: Vec<std::sync::Arc<crate::sources::SourceFile>> = Vec::new();
    for r in &inventory.resources {
        if let Some(l) = &r.located {
            if !files.iter().any(|f| std::sync::Arc::ptr_eq(f, &l.file)) {
                files.push(std::sync::Arc::clone(&l.file));
            }
        }
    }
    let inline = Waivers::inline(&files, opts.allow_permanent_waivers)?;
    let all = waiver_file.unwrap_or_default().and(inline);
    let (waived, warnings) = if all.is_empty() {
        Default::default()
    } else {
        all.apply(&mut findings, today, opts.warn_expiring_days)
    };
    let changes = match (&old, &opts.baseline) {
        (Some(old), Some(path)) => Some(baseline::diff(
            old,
            &path.display().to_string(),
            &mut findings,
        )),
        _ => None,
    };

    let rules: Vec<String> = pack
        .rules
        .iter()
        .map(|r| r.meta.id.clone())
        .filter(|id| !cfg.disabled(id))
        .collect();
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for r in &inventory.resources {
        *by_type.entry(r.kind.clone()).or_default() += 1;
    }
    let mut undecided: Vec<Undecided> = outcome
        .undecided
        .iter()
        .map(|u| Undecided {
            rule_id: pack.rules[u.rule].meta.id.clone(),
            resource_id: inventory.resources[u.resource].id.clone(),
            reason: u.reason.clone(),
            location: u.location.clone(),
        })
        .collect();
    undecided.sort();
    let mut gaps = inventory.gaps.clone();
    gaps.sort();
    let coverage = Coverage {
        complete: gaps.is_empty(),
        resources: inventory.resources.len(),
        resources_by_type: by_type,
        resources_evaluated: outcome.resources_evaluated,
        evaluations: outcome.evaluations,
        rules_disabled: cfg
            .config
            .rules
            .disable
            .iter()
            .map(|d| d.get_ref().clone())
            .collect(),
        rules,
        source_gaps: gaps,
        unevaluated: {
            let mut u = inventory.unevaluated.clone();
            u.sort();
            u
        },
        undecided,
        duplicate_rows_dropped: inventory.duplicates,
    };
    let summary = Summary::of(&findings, &coverage.rules, opts.gate);
    let report = Report {
        schema: SCHEMA.into(),
        tool: Tool::this(),
        mode: if opts.sources.iac.is_some() {
            Mode::Iac
        } else {
            Mode::Live
        },
        now,
        inputs: inventory.inputs.clone(),
        coverage,
        summary,
        waivers: waived,
        changes,
        rollout: Rollout::of(&findings),
        findings,
    };
    Ok(Scan {
        report,
        pack,
        warnings,
    })
}
