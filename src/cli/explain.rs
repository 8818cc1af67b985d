//! `kensa explain RULE`: a rule's documentation, the same text as docs/rules/<id>.md.

use clap::Args;

use super::{print, PolicyDirs};
use crate::error::{Error, Result};
use crate::evaluate::Pack;
use crate::render::rule_doc;

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    /// A rule id, e.g. network.nsg-open-management-port
    pub(crate) rule_id: String,
    #[command(flatten)]
    pub(crate) policies: PolicyDirs,
}

pub(crate) fn run(args: ExplainArgs) -> Result<u8> {
    let pack = Pack::load(&args.policies.policy_dir, false)?;
    let Some(rule) = pack.rule(&args.rule_id) else {
        return Err(Error::Usage(format!(
            "unknown rule id `{}`; known: {}",
            args.rule_id,
            pack.ids().join(", ")
        )));
    };
    print(&rule_doc::page(&rule.meta))?;
    Ok(0)
}
