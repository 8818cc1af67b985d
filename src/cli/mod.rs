//! The command line: one file per verb, each with its arguments and what it runs. Exit
//! codes: 0 passed, 1 open findings at or above `--fail-on`, 2 usage / input / policy error,
//! 3 incomplete (unless `--allow-partial`).

mod collect;
mod diff;
mod explain;
mod iac;
mod init;
mod inventory;
mod policy;
mod scan;
pub(crate) mod write;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
use crate::evaluate::{Runner, Severity};
use crate::findings::report::{Gate, Report, Verdict};
use crate::pipeline::{self, ScanRequest};
use crate::render::{self, Format};
use crate::sources::live::{self, auth::AuthMode};
use crate::sources::Sources;

pub(crate) const EXIT_FINDINGS: u8 = 1;
pub(crate) const EXIT_ERROR: u8 = 2;
pub(crate) const EXIT_INCOMPLETE: u8 = 3;

#[derive(Parser, Debug)]
#[command(name = "kensa", version, about = "検査 — keeps an Azure VM fleet compliant, as code", long_about = None)]
#[command(
    after_help = "Exit codes: 0 passed, 1 open findings at or above --fail-on, 2 usage/input/policy error, 3 incomplete scan.\n\nTry it: kensa scan --demo"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Evaluate the policies on an estate and report the findings.
    Scan(scan::ScanArgs),
    /// Evaluate the same policies on infrastructure as code: ARM/Bicep JSON, Terraform plans
    /// and .tf directories, Packer templates (HCL2 and JSON).
    Iac(iac::IacArgs),
    /// Print the normalised inventory with the relations each rule sees (for policy authors).
    Inventory(inventory::InventoryArgs),
    /// Read an estate from Resource Graph and save it as a snapshot (a response body).
    Collect(collect::CollectArgs),
    /// Work with the policy pack.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Compare two JSON reports: which findings are new, persisting or resolved.
    Diff(diff::DiffArgs),
    /// Show a rule's documentation.
    Explain(explain::ExplainArgs),
    /// Write a commented kensa.toml; with an estate, propose the galleries it uses.
    Init(init::InitArgs),
}

impl Command {
    pub(crate) fn run(self) -> Result<u8> {
        match self {
            Command::Scan(args) => scan::run(args),
            Command::Iac(args) => iac::run(args),
            Command::Inventory(args) => inventory::run(args),
            Command::Collect(args) => collect::run(args),
            Command::Init(args) => init::run(args),
            Command::Policy(args) => policy::run(args),
            Command::Diff(args) => diff::run(args),
            Command::Explain(args) => explain::run(args),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub(crate) struct SourceArgs {
    /// A saved Resource Graph result: response body, JSON array of rows, or NDJSON (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(crate) snapshot: Vec<PathBuf>,
    /// The demo estate built into kensa (with its own configuration, waivers and clock;
    /// not combined with other sources).
    #[arg(long, conflicts_with_all = ["snapshot", "subscription", "management_group", "tenant"])]
    pub(crate) demo: bool,
    #[command(flatten)]
    pub(crate) live: LiveArgs,
}

impl SourceArgs {
    pub(crate) fn sources(&self) -> Sources {
        Sources {
            snapshots: self.snapshot.clone(),
            demo: self.demo,
            live: self.live.target(),
            iac: None,
            quiet: self.live.quiet,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub(crate) struct LiveArgs {
    /// Read this subscription from Azure Resource Graph (repeatable).
    #[arg(long, value_name = "ID")]
    pub(crate) subscription: Vec<String>,
    /// Read every subscription below this management group (repeatable).
    #[arg(long, value_name = "NAME")]
    pub(crate) management_group: Vec<String>,
    /// Read every subscription the identity can see.
    #[arg(long)]
    pub(crate) tenant: bool,
    /// Azure Resource Manager endpoint (sovereign clouds, tests).
    #[arg(
        long,
        env = "KENSA_ARM_ENDPOINT",
        default_value = "https://management.azure.com"
    )]
    pub(crate) endpoint: String,
    /// Where the access token comes from.
    #[arg(long, value_enum, default_value_t = AuthMode::Auto)]
    pub(crate) auth: AuthMode,
    /// Stop reading after this many seconds; what was not read is reported, never passed.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) timeout: u64,
    /// Give up on one request after this many seconds (it is retried).
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub(crate) request_timeout: u64,
    /// No progress bar.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

impl LiveArgs {
    /// The live read these flags ask for, if any.
    pub(crate) fn target(&self) -> Option<live::Target> {
        if self.subscription.is_empty() && self.management_group.is_empty() && !self.tenant {
            return None;
        }
        Some(live::Target {
            endpoint: self.endpoint.clone(),
            auth: self.auth,
            scope: live::Scope {
                subscriptions: self.subscription.clone(),
                management_groups: self.management_group.clone(),
            },
            timeout: std::time::Duration::from_secs(self.timeout),
            request_timeout: std::time::Duration::from_secs(self.request_timeout.max(1)),
            quiet: self.quiet,
        })
    }
}

#[derive(Args, Debug, Clone, Default)]
pub(crate) struct PolicyDirs {
    /// A directory of Rego policies that add rules or override built-in ones (repeatable).
    #[arg(long, value_name = "DIR")]
    pub(crate) policy_dir: Vec<PathBuf>,
    /// Give up on evaluating the rules for one resource (or one Rego test) after this many
    /// seconds: that rule is reported as failed there, the rest is judged.
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub(crate) policy_timeout: u64,
}

/// What every scan shares: output, gate, configuration, policies, waivers, baseline.
#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) out: OutputArgs,
    /// Exit 1 when an open finding has this severity or higher.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub(crate) fail_on: FailOn,
    /// Evaluation instant (RFC 3339), for reproducible runs. Default: now (the demo: its snapshot time).
    #[arg(long, value_name = "RFC3339")]
    pub(crate) now: Option<String>,
    /// Parameters file. Default: ./kensa.toml when present, else built-in defaults.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) policies: PolicyDirs,
    /// Where the rules run.
    #[arg(long, value_enum, default_value_t = Runner::Auto)]
    pub(crate) evaluator: Runner,
    /// Exit by findings alone even when a source was incomplete (instead of 3).
    #[arg(long)]
    pub(crate) allow_partial: bool,
    /// Waiver file. Default: kensa-waivers.toml beside the config file (or in the current directory).
    #[arg(long, value_name = "FILE")]
    pub(crate) waivers: Option<PathBuf>,
    /// Accept waivers without an `expires` date.
    #[arg(long)]
    pub(crate) allow_permanent_waivers: bool,
    /// List waivers that end within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub(crate) warn_expiring_days: i64,
    /// A previous JSON report: classify findings as new, persisting or resolved.
    #[arg(long, value_name = "REPORT")]
    pub(crate) baseline: Option<PathBuf>,
    /// Fail only on findings that are new since --baseline (which it needs: without a
    /// baseline every finding is new).
    #[arg(long, requires = "baseline")]
    pub(crate) fail_on_new: bool,
}

impl RunArgs {
    /// Runs the scan of `sources`, prints its diagnostics and report; the exit code.
    pub(crate) fn scan(self, sources: Sources) -> Result<u8> {
        let request = ScanRequest {
            sources,
            config: self.config,
            policy_dirs: self.policies.policy_dir,
            runner: self.evaluator,
            policy_timeout: std::time::Duration::from_secs(self.policies.policy_timeout),
            now: self.now,
            gate: Gate {
                fail_on: self.fail_on.threshold(),
                only_new: self.fail_on_new,
            },
            waivers: self.waivers,
            allow_permanent_waivers: self.allow_permanent_waivers,
            warn_expiring_days: self.warn_expiring_days,
            baseline: self.baseline,
        };
        refuse_overwriting_an_input(&self.out, &request)?;
        let scan = pipeline::run(&request)?;
        for d in scan.diagnostics {
            eprintln!("{:?}", miette::Report::new(d));
        }
        for w in scan.warnings {
            eprintln!("{:?}", miette::Report::new(w));
        }
        for n in scan.notices {
            eprintln!("kensa: configuration: {n}");
        }
        emit(&scan.report, &self.out)?;
        let code = exit_code(&scan.report, self.allow_partial);
        // The process ends here, and the OS takes the memory back at once: freeing a large
        // report finding by finding is work on one core (0.12-0.14 s for the 20k benchmark).
        std::mem::forget(scan.report);
        Ok(code)
    }
}

/// `-o` naming a file the scan reads (a snapshot, an IaC file, the configuration or waivers)
/// would replace it with the report: refused. (A previous report given as `--baseline` may
/// be replaced: it is read first, and nightly jobs do exactly that.)
fn refuse_overwriting_an_input(out: &OutputArgs, request: &ScanRequest) -> Result<()> {
    let Some(output) = out.output.as_ref().and_then(|o| o.canonicalize().ok()) else {
        return Ok(());
    };
    let iac = request.sources.iac.as_ref();
    let inputs = request
        .sources
        .snapshots
        .iter()
        .chain(
            iac.into_iter()
                .flat_map(|s| s.paths.iter().chain(&s.parameters)),
        )
        .chain(&request.config)
        .chain(&request.waivers);
    for input in inputs {
        if input.canonicalize().is_ok_and(|i| i == output) {
            return Err(Error::Usage(format!(
                "--output {} is also an input of this scan; the report would replace it",
                input.display()
            )));
        }
    }
    Ok(())
}

/// The exit code a report's verdict gives.
pub(crate) fn exit_code(report: &Report, allow_partial: bool) -> u8 {
    match report.verdict {
        Verdict::Failed => EXIT_FINDINGS,
        Verdict::Incomplete if !allow_partial => EXIT_INCOMPLETE,
        _ => 0,
    }
}

/// Where a report goes and in which format.
#[derive(Args, Debug)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
    /// The Markdown report's size limit, 4096 to 100000000: the summary, compliance and new
    /// findings come first, then findings until the budget is spent (GitHub step summaries
    /// take 1 MiB; a pull-request comment 65,536 characters: use 60000 there).
    #[arg(long, value_name = "BYTES", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(4096..=100_000_000))]
    pub(crate) max_markdown_bytes: u64,
    /// Where the rule pages are published (SARIF `helpUri` = URL/<rule id>.md): your fork
    /// or mirror of docs/rules, or the pages `kensa policy docs` wrote for custom rules.
    #[arg(
        long,
        value_name = "URL",
        env = "KENSA_RULE_DOCS_URL",
        default_value = "https://github.com/kensa-dev/kensa/blob/main/docs/rules"
    )]
    pub(crate) rule_docs_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    pub(crate) fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::None => None,
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Writes to stdout; a closed pipe (`kensa … | head`) is not an error.
pub(crate) fn print(text: &str) -> Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: "standard output".into(),
            cause: e,
        }),
        _ => Ok(()),
    }
}

/// Renders `report` as `out` asks and prints it, or writes it atomically with a line on stderr.
pub(crate) fn emit(report: &Report, out: &OutputArgs) -> Result<()> {
    let color = match out.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            out.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let opts = render::Options {
        color,
        max_markdown_bytes: usize::try_from(out.max_markdown_bytes).unwrap_or(usize::MAX),
        links: render::Links::github(|k| std::env::var(k).ok(), std::env::current_dir().ok()),
        rule_docs_url: out.rule_docs_url.clone(),
    };
    let text = render::render(out.format, report, &opts);
    let Some(path) = &out.output else {
        return print(&text);
    };
    write::atomic(path, &text)?;
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
