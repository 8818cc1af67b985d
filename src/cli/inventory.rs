//! `kensa inventory`: the resources and relations the rules see, as JSON (for policy
//! authors).

use std::path::PathBuf;

use clap::Args;

use super::{print, SourceArgs};
use crate::error::Result;
use crate::inventory::Inventory;
use crate::sources::iac;

#[derive(Args, Debug)]
pub(crate) struct InventoryArgs {
    #[command(flatten)]
    pub(crate) sources: SourceArgs,
    /// Only resources of this type (lower-case ARM type, e.g. microsoft.compute/virtualmachines).
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) kind: Option<String>,
    /// Infrastructure-as-code files or directories, read as `kensa iac` reads them (repeatable).
    #[arg(long, value_name = "PATH")]
    pub(crate) iac: Vec<PathBuf>,
    /// With --iac: show each resource as evaluated (the `input.resource` the rules see).
    #[arg(long)]
    pub(crate) resources: bool,
}

pub(crate) fn run(args: InventoryArgs) -> Result<u8> {
    let mut sources = args.sources.sources();
    if !args.iac.is_empty() {
        sources.iac = Some(iac::Selection {
            paths: args.iac.clone(),
            ..Default::default()
        });
    }
    let mut estate = sources.load()?;
    for d in std::mem::take(&mut estate.diagnostics) {
        eprintln!("{:?}", miette::Report::new(d));
    }
    let inv = Inventory::build(estate)?;
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
        // As the rules receive them (numbers as regorus holds them: `1.0` is `1`).
        let (shown, why) = match inv.shown(i) {
            Ok(shown) => (Some(shown), None),
            Err(why) => (None, Some(why)),
        };
        let [resource, related] = shown.unwrap_or_else(|| {
            let row = serde_json::from_str(r.raw.json()).unwrap_or_default();
            [row, serde_json::Value::Null]
        });
        let mut entry = serde_json::json!({
            "id": r.id,
            "type": r.kind,
            "name": r.name,
            "origin": r.origin,
            "related": related,
        });
        if args.resources {
            entry["resource"] = resource;
        }
        if let Some(why) = why {
            entry["input_error"] =
                format!("the rules cannot be handed this resource: {why}").into();
        }
        // Passwords, custom data, keys: never printed.
        let entry = crate::text::secrets::mask_value(&entry);
        out.push_str(&serde_json::to_string_pretty(&entry).unwrap_or_default());
    }
    out.push_str("\n]\n");
    print(&out)?;
    for g in &inv.gaps {
        eprintln!("kensa: INCOMPLETE {}: {}", g.source, g.reason);
    }
    Ok(0)
}
