//! Command-line interface. Exit codes: 0 clean, 1 open findings at or above `--fail-on`,
//! 2 usage / input / policy error, 3 incomplete scan (unless `--allow-partial`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::findings::Severity;
use crate::render::Format;
use crate::sources::live::{self, auth::AuthMode};

#[derive(Parser, Debug)]
#[command(name = "kensa", version, about = "検査 — keeps an Azure VM fleet compliant, as code", long_about = None)]
#[command(
    after_help = "Exit codes: 0 passed, 1 open findings at or above --fail-on, 2 usage/input/policy error, 3 incomplete scan.\n\nTry it: kensa scan --demo"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Evaluate the policies on an estate and report the findings.
    Scan(ScanArgs),
    /// Evaluate the same policies on infrastructure as code: ARM/Bicep JSON, Terraform plans
    /// and .tf directories, Packer templates (HCL2 and JSON).
    Iac(IacArgs),
    /// Print the normalised inventory with the relations each rule sees (for policy authors).
    Inventory(InventoryArgs),
    /// Read an estate from Resource Graph and save it as a snapshot (a response body).
    Collect(CollectArgs),
    /// Work with the policy pack.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Compare two JSON reports: which findings are new, persisting or resolved.
    Diff(DiffArgs),
    /// Show a rule's documentation.
    Explain {
        /// A rule id, e.g. network.nsg-open-management-port
        rule_id: String,
        #[command(flatten)]
        policies: PolicyDirs,
    },
}

#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// A saved Resource Graph result: response body, JSON array of rows, or NDJSON (repeatable).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Vec<PathBuf>,
    /// Scan the demo estate built into kensa.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Args, Debug, Clone)]
pub struct LiveArgs {
    /// Read this subscription from Azure Resource Graph (repeatable).
    #[arg(long, value_name = "ID")]
    pub subscription: Vec<String>,
    /// Read every subscription below this management group (repeatable).
    #[arg(long, value_name = "NAME")]
    pub management_group: Vec<String>,
    /// Read every subscription the identity can see.
    #[arg(long)]
    pub tenant: bool,
    /// Azure Resource Manager endpoint (sovereign clouds, tests).
    #[arg(
        long,
        env = "KENSA_ARM_ENDPOINT",
        default_value = "https://management.azure.com"
    )]
    pub endpoint: String,
    /// Where the access token comes from.
    #[arg(long, value_enum, default_value_t = AuthMode::Auto)]
    pub auth: AuthMode,
    /// Stop reading after this many seconds; what was not read is reported, never passed.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub timeout: u64,
    /// Give up on one request after this many seconds (it is retried).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub request_timeout: u64,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

impl LiveArgs {
    /// The live read these flags ask for, if any.
    pub fn options(&self) -> Option<live::Options> {
        if self.subscription.is_empty() && self.management_group.is_empty() && !self.tenant {
            return None;
        }
        Some(live::Options {
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

#[derive(Args, Debug)]
pub struct CollectArgs {
    #[command(flatten)]
    pub live: LiveArgs,
    /// Where to save the estate (written atomically).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Exit 0 even when part of the estate could not be read (instead of 3).
    #[arg(long)]
    pub allow_partial: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct PolicyDirs {
    /// A directory of Rego policies that add rules or override built-in ones (repeatable).
    #[arg(long, value_name = "DIR")]
    pub policy_dir: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct IacArgs {
    /// Files and directories to scan (directories recursively, skipping .git, .terraform
    /// and node_modules). Default: the current directory.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Skip paths matching this glob (repeatable), e.g. '**/examples/**'.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// ARM parameters file for every template (default: <template>.parameters.json beside each).
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
    /// Evaluate ARM templates with their parameters' default values only.
    #[arg(long, conflicts_with = "parameters")]
    pub no_parameter_files: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

/// What every scan shares: output, gate, configuration, policies, waivers, baseline.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub out: OutputArgs,
    /// Exit 1 when an open finding has this severity or higher.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Evaluation instant (RFC 3339), for reproducible runs. Default: now (the demo: its snapshot time).
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Parameters file. Default: ./kensa.toml when present, else built-in defaults.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub policies: PolicyDirs,
    /// Exit by findings alone even when a source was incomplete (instead of 3).
    #[arg(long)]
    pub allow_partial: bool,
    /// Waiver file. Default: kensa-waivers.toml beside the config file (or in the current directory).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Accept waivers without an `expires` date.
    #[arg(long)]
    pub allow_permanent_waivers: bool,
    /// List waivers that end within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub warn_expiring_days: i64,
    /// A previous JSON report: classify findings as new, persisting or resolved.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,
    /// Fail only on findings that are new since --baseline.
    #[arg(long)]
    pub fail_on_new: bool,
}

/// Where a report goes and in which format.
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier report (kensa scan --format json).
    pub old: PathBuf,
    /// The later report.
    pub new: PathBuf,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Exit 1 when a new open finding has this severity or higher.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
}

#[derive(Args, Debug)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Only resources of this type (lower-case ARM type, e.g. microsoft.compute/virtualmachines).
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// Infrastructure-as-code files or directories, read as `kensa iac` reads them (repeatable).
    #[arg(long, value_name = "PATH")]
    pub iac: Vec<PathBuf>,
    /// With --iac: show each resource as evaluated (the `input.resource` the rules see).
    #[arg(long)]
    pub resources: bool,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// List the rules with their severity and title.
    List(PolicyDirs),
    /// Run the Rego unit tests (`test_*` rules in `*_test.rego`): the built-in pack, or DIR's.
    Test {
        /// A policy directory to test (its files override built-ins of the same package).
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
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
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
