//! What each subcommand does; returns the process exit code.

use std::io::{IsTerminal, Write};

use crate::cli::{
    Cli, CollectArgs, ColorChoice, Command, DiffArgs, IacArgs, InventoryArgs, OutputArgs,
    PolicyCommand, RunArgs, ScanArgs, SourceArgs,
};
use crate::error::{Error, Result};
use crate::evaluate::{policy_test, Pack};
use crate::findings::baseline;
use crate::findings::report::{Gate, Report, Summary};
use crate::inventory::Inventory;
use crate::render::{self, Format};
use crate::scan::{self, Sources};

pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_INCOMPLETE: u8 = 3;

pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Iac(args) => iac(args),
        Command::Inventory(args) => inventory(args),
        Command::Diff(args) => diff(args),
        Command::Collect(args) => collect(args),
        Command::Policy(PolicyCommand::List(dirs)) => {
            policy_list(&Pack::load(&dirs.policy_dir, false)?)
        }
        Command::Policy(PolicyCommand::Test { dir }) => policy_test(dir),
        Command::Explain { rule_id, policies } => {
            explain(&Pack::load(&policies.policy_dir, false)?, &rule_id)
        }
    }
}

/// Writes to stdout; a closed pipe (`kensa … | head`) is not an error.
fn print(text: &str) -> Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: "standard output".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    run_scan(sources(&args.sources), args.run)
}

fn iac(args: IacArgs) -> Result<u8> {
    let sources = Sources {
        iac: Some(crate::sources::iac::Options {
            paths: args.paths,
            exclude: args.exclude,
            parameters: args.parameters,
            no_parameter_files: args.no_parameter_files,
        }),
        ..Sources::default()
    };
    run_scan(sources, args.run)
}

fn run_scan(sources: Sources, args: RunArgs) -> Result<u8> {
    let opts = scan::Options {
        sources,
        config: args.config,
        policy_dirs: args.policies.policy_dir,
        now: args.now,
        gate: Gate {
            fail_on: args.fail_on.threshold(),
            only_new: args.fail_on_new,
        },
        waivers: args.waivers,
        allow_permanent_waivers: args.allow_permanent_waivers,
        warn_expiring_days: args.warn_expiring_days,
        baseline: args.baseline,
    };
    let mut result = scan::run(&opts)?;
    for w in std::mem::take(&mut result.warnings) {
        eprintln!("{:?}", miette::Report::new(w));
    }
    emit(&result.report, &result.rules(), &args.out)?;
    let report = &result.report;
    Ok(if report.summary.failed {
        EXIT_FINDINGS
    } else if !report.coverage.complete && !args.allow_partial {
        EXIT_INCOMPLETE
    } else {
        0
    })
}

fn sources(args: &SourceArgs) -> Sources {
    Sources {
        snapshots: args.snapshot.clone(),
        demo: args.demo,
        live: args.live.options(),
        iac: None,
    }
}

/// `kensa collect`: the estate as a Resource Graph response body, for offline scans.
fn collect(args: CollectArgs) -> Result<u8> {
    let Some(opts) = args.live.options() else {
        return Err(Error::Usage(
            "nothing to collect: give --subscription ID, --management-group NAME or --tenant"
                .into(),
        ));
    };
    let collected = crate::sources::live::collect(&opts)?;
    crate::output::write_atomic(&args.output, &collected.body)?;
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

/// Renders `report` as `out` asks and prints it, or writes it atomically with a line on stderr.
fn emit(report: &Report, rules: &[&crate::evaluate::Rule], out: &OutputArgs) -> Result<()> {
    let color = match out.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            out.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let text = render::render(out.format, report, rules, color);
    let Some(path) = &out.output else {
        return print(&text);
    };
    crate::output::write_atomic(path, &text)?;
    if out.format != Format::Human {
        eprintln!(
            "kensa: wrote {} ({} open finding(s), coverage {})",
            path.display(),
            report.summary.open,
            if report.coverage.complete {
                "complete"
            } else {
                "INCOMPLETE"
            }
        );
    }
    Ok(())
}

/// `kensa diff OLD NEW`: NEW's findings classified against OLD; fails on new findings only.
fn diff(args: DiffArgs) -> Result<u8> {
    let old = baseline::read_report(&args.old)?;
    let mut new = baseline::read_report(&args.new)?;
    let changes = baseline::diff(&old, &args.old.display().to_string(), &mut new.findings);
    new.changes = Some(changes);
    new.summary = Summary::of(
        &new.findings,
        &new.coverage.rules,
        Gate {
            fail_on: args.fail_on.threshold(),
            only_new: true,
        },
    );
    // Rule metadata for SARIF comes from the pack; rules a report names but the pack lacks
    // (a user policy not loaded now) are simply not described.
    let pack = Pack::load(&[], false)?;
    let rules: Vec<_> = pack
        .rules
        .iter()
        .filter(|r| new.coverage.rules.contains(&r.meta.id))
        .collect();
    emit(&new, &rules, &args.out)?;
    Ok(if new.summary.failed { EXIT_FINDINGS } else { 0 })
}

fn inventory(args: InventoryArgs) -> Result<u8> {
    let mut src = sources(&args.sources);
    if !args.iac.is_empty() {
        src.iac = Some(crate::sources::iac::Options {
            paths: args.iac.clone(),
            ..Default::default()
        });
    }
    let inv = Inventory::build(src.load()?)?;
    let wanted = args.kind.map(|k| k.to_lowercase());
    let mut out = String::from("[\n");
    let mut first = true;
    for (i, r) in inv.resources.iter().enumerate() {
        if wanted.as_ref().is_some_and(|k| *k != r.kind) {
            continue;
        }
        if !first {
            out.push_str(",\n");
        }
        first = false;
        let mut entry = serde_json::json!({
            "id": r.id,
            "type": r.kind,
            "name": r.name,
            "origin": r.origin,
            "related": serde_json::from_str::<serde_json::Value>(&inv.related_json(i)).unwrap_or_default(),
        });
        if args.resources {
            entry["resource"] = serde_json::from_str(r.raw.json()).unwrap_or_default();
        }
        out.push_str(&serde_json::to_string_pretty(&entry).unwrap_or_default());
    }
    out.push_str("\n]\n");
    print(&out)?;
    for g in &inv.gaps {
        eprintln!("kensa: INCOMPLETE {}: {}", g.source, g.reason);
    }
    Ok(0)
}

fn policy_list(pack: &Pack) -> Result<u8> {
    let mut out = format!("{:<36} {:<9} {}\n", "RULE", "SEVERITY", "TITLE");
    for r in &pack.rules {
        out.push_str(&format!(
            "{:<36} {:<9} {}\n",
            r.meta.id,
            r.meta.severity.as_str(),
            r.meta.title
        ));
    }
    print(&out)?;
    Ok(0)
}

fn explain(pack: &Pack, id: &str) -> Result<u8> {
    let Some(rule) = pack.rule(id) else {
        let known = pack.ids().join(", ");
        return Err(Error::Usage(format!(
            "unknown rule id `{id}`; known: {known}"
        )));
    };
    let m = &rule.meta;
    let text = format!(
        "{id} — {title}\nseverity: {sev}\napplies to: {types}\npolicy: {file}\n\n{desc}\n\nWhy: {help}\n\nRemediation: {rem}\n",
        id = m.id,
        title = m.title,
        sev = m.severity.as_str(),
        types = m.resource_types.join(", "),
        file = rule.file,
        desc = textwrap::fill(&m.description, 80),
        help = m.help,
        rem = m.remediation,
    );
    print(&text)?;
    Ok(0)
}

fn policy_test(dir: Option<std::path::PathBuf>) -> Result<u8> {
    let dirs: Vec<_> = dir.iter().cloned().collect();
    let pack = Pack::load(&dirs, true)?;
    let results = policy_test::run(&pack, |f| dir.is_none() || !f.builtin)?;
    let mut out = String::new();
    for r in &results {
        match &r.failure {
            None => out.push_str(&format!("PASS {}: {}\n", r.file, r.name)),
            Some(why) => out.push_str(&format!("FAIL {}: {} — {why}\n", r.file, r.name)),
        }
    }
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    out.push_str(&format!(
        "{} passed, {failed} failed\n",
        results.len() - failed
    ));
    print(&out)?;
    if results.is_empty() {
        return Err(Error::Usage(
            "no policy tests found (test_* rules in *_test.rego files)".into(),
        ));
    }
    Ok(if failed > 0 { EXIT_FINDINGS } else { 0 })
}
