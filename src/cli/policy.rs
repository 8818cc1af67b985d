//! `kensa policy list|test|docs`: the policy pack's rules, its Rego unit tests, and its
//! documentation generated from the rules' metadata.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{print, write, PolicyDirs, EXIT_FINDINGS};
use crate::error::{Error, Result};
use crate::evaluate::{verify, Meta, Pack};
use crate::render::rule_doc;

#[derive(Subcommand, Debug)]
pub(crate) enum PolicyCommand {
    /// List the rules with their severity and title.
    List(ListArgs),
    /// Run the Rego unit tests (`test_*` rules in `*_test.rego`): the built-in pack, or DIR's.
    Test {
        /// A policy directory to test (its files override built-ins of the same package).
        dir: Option<PathBuf>,
        /// Fail a test that runs longer than this many seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 10,
              value_parser = clap::value_parser!(u64).range(1..=3_600))]
        policy_timeout: u64,
    },
    /// Write one Markdown page per rule (`<id>.md`), generated from the rules' metadata.
    Docs {
        /// Where the pages go.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        policies: PolicyDirs,
    },
}

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) policies: PolicyDirs,
    /// `text` (a table), `json` (every rule's metadata) or `markdown` (the README's table).
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub(crate) format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    Text,
    Json,
    Markdown,
}

pub(crate) fn run(command: PolicyCommand) -> Result<u8> {
    match command {
        PolicyCommand::List(args) => list(args),
        PolicyCommand::Test {
            dir,
            policy_timeout,
        } => test(dir, policy_timeout),
        PolicyCommand::Docs { out, policies } => docs(&out, &policies),
    }
}

fn metadata(pack: &Pack) -> Vec<Meta> {
    pack.rules.iter().map(|r| r.meta.clone()).collect()
}

fn list(args: ListArgs) -> Result<u8> {
    let pack = Pack::load(&args.policies.policy_dir, false)?;
    let text = match args.format {
        ListFormat::Text => {
            let mut out = format!("{:<36} {:<9} {}\n", "RULE", "SEVERITY", "TITLE");
            for r in &pack.rules {
                out.push_str(&format!(
                    "{:<36} {:<9} {}\n",
                    r.meta.id,
                    r.meta.severity.as_str(),
                    r.meta.title
                ));
            }
            out
        }
        ListFormat::Json => {
            let mut s = serde_json::to_string_pretty(&metadata(&pack)).unwrap_or_default();
            s.push('\n');
            s
        }
        ListFormat::Markdown => rule_doc::table(&metadata(&pack)),
    };
    print(&text)?;
    Ok(0)
}

fn docs(out: &std::path::Path, policies: &PolicyDirs) -> Result<u8> {
    let pack = Pack::load(&policies.policy_dir, false)?;
    std::fs::create_dir_all(out).map_err(|cause| Error::Write {
        path: out.display().to_string(),
        cause,
    })?;
    for r in &pack.rules {
        write::atomic(
            &out.join(format!("{}.md", r.meta.id)),
            &rule_doc::page(&r.meta),
        )?;
    }
    eprintln!(
        "kensa: wrote {} rule page(s) to {}",
        pack.rules.len(),
        out.display()
    );
    Ok(0)
}

fn test(dir: Option<PathBuf>, timeout: u64) -> Result<u8> {
    let dirs: Vec<_> = dir.iter().cloned().collect();
    let mut pack = Pack::load(&dirs, true)?;
    pack.limit(std::time::Duration::from_secs(timeout));
    let results = verify::run(&pack, |f| dir.is_none() || !f.builtin)?;
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
