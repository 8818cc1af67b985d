//! `kensa explain RULE…`: rules' documentation, the same text as docs/rules/<id>.md. With
//! `-` (or no id) the ids are read from standard input, the first word of each line, so
//! `kensa policy list | grep network | kensa explain` explains those rules.

use std::io::{IsTerminal, Read};

use clap::Args;

use super::{print, PolicyDirs};
use crate::error::{Error, Result};
use crate::evaluate::Pack;
use crate::render::rule_doc;

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    /// Rule ids, e.g. network.nsg-open-management-port; `-` or none: read them from
    /// standard input (the first word of each line).
    pub(crate) rule_ids: Vec<String>,
    #[command(flatten)]
    pub(crate) policies: PolicyDirs,
}

pub(crate) fn run(args: ExplainArgs) -> Result<u8> {
    let pack = Pack::load(&args.policies.policy_dir, false)?;
    let mut ids = args.rule_ids;
    if ids.is_empty() || ids == ["-"] {
        if ids.is_empty() && std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "which rule? `kensa explain RULE_ID` (`kensa policy list` lists them)".into(),
            ));
        }
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|cause| Error::Read {
                path: "standard input".into(),
                cause,
            })?;
        ids = text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            // `kensa policy list` starts with a header line.
            .filter(|w| pack.rule(w).is_some() || w.contains('.'))
            .map(str::to_string)
            .collect();
        if ids.is_empty() {
            return Err(Error::Usage(
                "no rule id given (as an argument or on standard input)".into(),
            ));
        }
    }
    let mut pages = Vec::new();
    for id in &ids {
        let Some(rule) = pack.rule(id) else {
            return Err(Error::Usage(format!(
                "unknown rule id `{id}`; known: {}",
                pack.ids().join(", ")
            )));
        };
        pages.push(rule_doc::page(&rule.meta));
    }
    print(&pages.join("\n---\n\n"))?;
    Ok(0)
}
