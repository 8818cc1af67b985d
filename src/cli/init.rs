//! `kensa init`: a commented `kensa.toml` with every parameter at its default. Given an
//! estate (`--snapshot`, `--subscription`, `--management-group`, `--tenant`, `--demo`), it
//! proposes as `image.approved_galleries` the Compute Galleries it sees, with how many
//! machines run an image from each — the platform team then keeps the golden ones.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use super::{write, SourceArgs};
use crate::error::{Error, Result};
use crate::evaluate::config::ConfigFile;
use crate::inventory::links::image_reference_id;
use crate::sources::Resource;

#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    pub(crate) sources: SourceArgs,
    /// Where to write the configuration.
    #[arg(short, long, value_name = "FILE", default_value = "kensa.toml")]
    pub(crate) output: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub(crate) force: bool,
}

pub(crate) fn run(args: InitArgs) -> Result<u8> {
    if args.output.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} exists; give --force to replace it",
            args.output.display()
        )));
    }
    let sources = args.sources.sources();
    let seen = if sources.snapshots.is_empty() && !sources.demo && sources.live.is_none() {
        None
    } else {
        Some(galleries(&sources.load()?.resources))
    };
    let text = template(seen.as_ref());
    write::atomic(&args.output, &text)?;
    match &seen {
        Some(g) => eprintln!(
            "kensa: wrote {} ({} galler{} proposed as approved: keep the golden ones)",
            args.output.display(),
            g.len(),
            if g.len() == 1 { "y" } else { "ies" }
        ),
        None => eprintln!(
            "kensa: wrote {}; set image.approved_galleries (or run `kensa init --snapshot FILE` to see the galleries in use)",
            args.output.display()
        ),
    }
    Ok(0)
}

/// Gallery id (as first written) → machines running an image from it. Galleries in the
/// estate that no machine uses are listed with 0.
fn galleries(resources: &[Resource]) -> BTreeMap<String, (String, usize)> {
    let mut out: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for r in resources {
        if r.kind == "microsoft.compute/galleries" {
            out.entry(r.id.to_lowercase())
                .or_insert_with(|| (r.id.clone(), 0));
            continue;
        }
        let Some(id) = image_reference_id(&r.kind, r.raw.json()) else {
            continue;
        };
        if let Some(gallery) = gallery_of(&id) {
            out.entry(gallery.to_lowercase())
                .or_insert_with(|| (gallery.to_string(), 0))
                .1 += 1;
        }
    }
    out
}

/// `/subscriptions/…/galleries/<name>` out of an image (version) id.
fn gallery_of(image: &str) -> Option<&str> {
    let at = image.to_ascii_lowercase().find("/galleries/")? + "/galleries/".len();
    let end = image[at..].find('/').map_or(image.len(), |i| at + i);
    Some(&image[..end])
}

fn list<T: std::fmt::Display>(items: &[T], quote: bool) -> String {
    let q = if quote { "\"" } else { "" };
    let items: Vec<String> = items.iter().map(|i| format!("{q}{i}{q}")).collect();
    format!("[{}]", items.join(", "))
}

/// The configuration file: every parameter at its default, with what it means.
fn template(seen: Option<&BTreeMap<String, (String, usize)>>) -> String {
    let d = ConfigFile::default();
    let galleries = match seen {
        None => "approved_galleries = [\n  # \"/subscriptions/*/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden\",\n]".to_string(),
        Some(g) if g.is_empty() => "approved_galleries = [\n  # no Compute Gallery was seen in the estate: add the golden one's id\n]".to_string(),
        Some(g) => {
            let mut by_use: Vec<&(String, usize)> = g.values().collect();
            by_use.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let lines: Vec<String> = by_use
                .iter()
                .map(|(id, n)| format!("  \"{id}\",  # {n} machine(s) run an image from it"))
                .collect();
            format!(
                "# Proposed from the galleries seen in the estate: keep only the golden ones.\napproved_galleries = [\n{}\n]",
                lines.join("\n")
            )
        }
    };
    format!(
        r#"# kensa configuration: the parameters the policies read (data.kensa.params). Every key
# is optional; the values below are the defaults. `kensa explain RULE` says how each rule
# uses them.

[image]
# Compute Gallery resource ids whose images are approved (any case; `*` matches one path
# segment). Without one, image.approved-source cannot judge and is undecided everywhere.
{galleries}
# A running image version older than this many days fails image.age.
max_age_days = {max_age}

[disk]
# Whether Azure Disk Encryption (in-guest) satisfies disk.encryption.
accept_ade = {ade}

[network]
# Ports that must never face the internet: SSH, RDP, WinRM over HTTP and HTTPS.
management_ports = {ports}

[patch]
# A running VM's last successful patch assessment may be at most this many days old.
max_assessment_age_days = {assessment}
# A pending Critical/Security patch published longer ago than this fails patch.age.
max_pending_days = {pending}

[packer]
# Image tags that carry the source commit (packer.traceable-build), any case.
commit_tag_keys = {tags}

[rules]
# Rule ids not to evaluate (the report lists them as disabled).
disable = []

[custom]
# Free-form parameters for your own policies (data.kensa.params.custom).
"#,
        max_age = d.image.max_age_days,
        ade = d.disk.accept_ade,
        ports = list(&d.network.management_ports, false),
        assessment = d.patch.max_assessment_age_days,
        pending = d.patch.max_pending_days,
        tags = list(&d.packer.commit_tag_keys, true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_the_defaults_and_proposals_parse() {
        let plain: ConfigFile = toml::from_str(&template(None)).expect("parses");
        assert_eq!(plain, ConfigFile::default());
        let mut seen = BTreeMap::new();
        let g = "/subscriptions/s/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden";
        seen.insert(g.to_lowercase(), (g.to_string(), 7));
        let proposed: ConfigFile = toml::from_str(&template(Some(&seen))).expect("parses");
        assert_eq!(proposed.image.approved_galleries, [g]);
        assert_eq!(
            gallery_of(&format!("{g}/images/ubuntu/versions/1.2.3")),
            Some(g)
        );
    }
}
