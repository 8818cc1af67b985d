//! Stage 2: index resources by lower-cased id and resolve the relations the rules need.

pub(crate) mod links;
pub(crate) mod parsed;
mod reader;
pub(crate) mod related;

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::sources::{Estate, Origin, RawRow, Resource, SourceGap};
use crate::text::read::Text;
use crate::text::SourceFile;
use links::Links;

/// A subnet lives inside its VNet row; it is indexed on its own so NICs can find it.
pub(crate) struct Subnet {
    pub(crate) raw: RawRow,
    pub(crate) nsg: Option<String>,
}

pub(crate) struct Inventory {
    pub(crate) resources: Vec<Resource>,
    links: Vec<Links>,
    index: HashMap<Arc<str>, usize>,
    subnets: HashMap<String, Subnet>,
    /// VM key → its latest patch assessment summary row.
    assessments: HashMap<String, usize>,
    /// VM key → its software patch rows.
    patches: HashMap<String, Vec<usize>>,
    /// VM key → (JIT policy row, the policy's entry for the VM).
    jit: HashMap<String, Vec<(usize, RawRow)>>,
    /// Gallery image definition key → its version rows.
    versions: HashMap<String, Vec<usize>>,
    /// VM key → its extension rows (IaC declares them; ADE is read from them).
    extensions: HashMap<String, Vec<usize>>,
    /// Load balancer part key (`<lb id>/<kind>/<name>`) → (load balancer row, part index).
    lb_parts: HashMap<String, (usize, usize)>,
    /// Backend pool key → the rules that forward to it (load-balancing rules, NAT rules
    /// over a port range), as part keys.
    pool_rules: HashMap<String, Vec<String>>,
    /// (relation, lower-cased subscription id or `*`) → why its table could not be read.
    unread: HashMap<(&'static str, String), String>,
    pub(crate) gaps: Vec<SourceGap>,
    pub(crate) unevaluated: Vec<SourceGap>,
    pub(crate) skipped: Vec<SourceGap>,
    pub(crate) inputs: Vec<String>,
    /// Rows dropped because an earlier row had the same id (overlapping pages or files).
    pub(crate) duplicates: usize,
    /// The snapshot texts the rows point into.
    texts: Vec<Arc<Text>>,
}

impl Inventory {
    pub(crate) fn build(estate: Estate) -> Result<Inventory> {
        let mut resources = Vec::with_capacity(estate.resources.len());
        let mut index = HashMap::with_capacity(estate.resources.len());
        let mut duplicates = 0;
        for r in estate.resources {
            if index.contains_key(&r.key) {
                duplicates += 1;
                continue;
            }
            index.insert(Arc::clone(&r.key), resources.len());
            resources.push(r);
        }
        let links = read_links(&resources, &estate.texts)?;
        let mut inv = Inventory {
            resources,
            links: Vec::new(),
            index,
            subnets: HashMap::new(),
            assessments: HashMap::new(),
            patches: HashMap::new(),
            jit: HashMap::new(),
            versions: HashMap::new(),
            extensions: HashMap::new(),
            lb_parts: HashMap::new(),
            pool_rules: HashMap::new(),
            unread: unread_tables(&estate.gaps),
            gaps: estate.gaps,
            unevaluated: estate.unevaluated,
            skipped: estate.skipped,
            inputs: estate.inputs,
            duplicates,
            texts: estate.texts,
        };
        for (i, l) in links.iter().enumerate() {
            match l {
                Links::Vnet { subnets } => {
                    for (id, nsg, json) in subnets {
                        inv.subnets.insert(
                            id.clone(),
                            Subnet {
                                raw: RawRow::owned(json.clone()),
                                nsg: nsg.clone(),
                            },
                        );
                    }
                }
                Links::PatchAssessment { vm } => {
                    inv.assessments.insert(vm.clone(), i);
                }
                Links::SoftwarePatch { vm } => inv.patches.entry(vm.clone()).or_default().push(i),
                Links::LoadBalancer { parts, .. } => {
                    for (j, part) in parts.iter().enumerate() {
                        inv.lb_parts.insert(part.key.clone(), (i, j));
                        if matches!(part.kind, "loadBalancingRules" | "inboundNatRules") {
                            for pool in &part.pools {
                                inv.pool_rules
                                    .entry(pool.clone())
                                    .or_default()
                                    .push(part.key.clone());
                            }
                        }
                    }
                }
                Links::Jit { entries } => {
                    for (vm, json) in entries {
                        inv.jit
                            .entry(vm.clone())
                            .or_default()
                            .push((i, RawRow::owned(json.clone())));
                    }
                }
                _ => {}
            }
            let r = &inv.resources[i];
            if r.kind == "microsoft.compute/virtualmachines/extensions" {
                if let Some(at) = r.key.rfind("/extensions/") {
                    inv.extensions
                        .entry(r.key[..at].to_string())
                        .or_default()
                        .push(i);
                }
            }
            if r.kind == "microsoft.compute/galleries/images/versions" {
                if let Some(at) = r.key.rfind("/versions/") {
                    inv.versions
                        .entry(r.key[..at].to_string())
                        .or_default()
                        .push(i);
                }
            }
        }
        inv.links = links;
        Ok(inv)
    }

    /// Why the rows of `relation` (`patch_assessments`, `jit`) may be missing for the
    /// subscription of resource id `key`, if a table gap says so.
    pub(crate) fn unread(&self, relation: &'static str, key: &str) -> Option<&str> {
        let sub = key.split('/').nth(2).unwrap_or_default().to_string();
        self.unread
            .get(&(relation, sub))
            .or_else(|| self.unread.get(&(relation, "*".to_string())))
            .map(String::as_str)
    }

    /// Frees what only the rules' `related` documents are built from (a third of a large
    /// scan's memory): once every resource is evaluated, findings and the report need the
    /// resources and the coverage, not the relations.
    pub(crate) fn drop_relations(&mut self) {
        self.links = Vec::new();
        self.subnets = HashMap::new();
        self.assessments = HashMap::new();
        self.patches = HashMap::new();
        self.jit = HashMap::new();
        self.versions = HashMap::new();
        self.extensions = HashMap::new();
        self.lb_parts = HashMap::new();
        self.pool_rules = HashMap::new();
        self.release_pages();
    }

    /// Hands the pages of mapped snapshots back to the kernel; rows read later fault in
    /// again from the page cache. Called between batches of evaluations, so the process
    /// holds the rows it is reading, not the whole estate.
    pub(crate) fn release_pages(&self) {
        release(&self.texts);
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Resource> {
        self.index.get(key).map(|i| &self.resources[*i])
    }

    /// The IaC files the resources were read from, each once, in resource order.
    pub(crate) fn source_files(&self) -> Vec<Arc<SourceFile>> {
        let mut files: Vec<Arc<SourceFile>> = Vec::new();
        for l in self.resources.iter().filter_map(|r| r.located.as_ref()) {
            if !files.iter().any(|f| Arc::ptr_eq(f, &l.file)) {
                files.push(Arc::clone(&l.file));
            }
        }
        files
    }
}

fn release(texts: &[Arc<Text>]) {
    texts.iter().for_each(|t| t.release());
}

/// Links of every row, in parallel: this is a second pass over the text of the rows that
/// have relations, the bulk of the parse cost after the first.
fn read_links(resources: &[Resource], texts: &[Arc<Text>]) -> Result<Vec<Links>> {
    let mut links = Vec::with_capacity(resources.len());
    // In blocks, releasing a mapped snapshot's pages after each: the rows are read once.
    for block in resources.chunks(16_384) {
        links.extend(read_block(block)?);
        release(texts);
    }
    Ok(links)
}

fn read_block(resources: &[Resource]) -> Result<Vec<Links>> {
    use rayon::prelude::*;
    resources
        .par_iter()
        .map(|r| {
            match (links::read(&r.kind, &r.key, r.raw.json()), &r.origin) {
                (Ok(l), _) => Ok(l),
                (Err(e), Origin::Snapshot { file, row, line }) => Err(Error::input(
                    &format!("{file}:{line}"),
                    format!("row {row} ({}): unexpected shape: {e}", r.id),
                )),
                // An IaC value that is only known at deployment sits where an id should be:
                // the relation stays unresolved, and the rules that need it say so.
                (Err(_), Origin::File { .. }) => Ok(Links::None),
            }
        })
        .collect()
}

/// The relations a table gap leaves unknown, by subscription. The live reader names its gaps
/// `<table> in subscription <id>`, `<table> in <n> subscriptions (…)`, `<table> in management
/// group <name>`, `<table> in tenant`, and `JIT policies of subscription <id>`; a gap that
/// names no single subscription covers every one (`*`).
fn unread_tables(gaps: &[SourceGap]) -> HashMap<(&'static str, String), String> {
    let mut out = HashMap::new();
    for g in gaps {
        let (relation, rest) =
            if let Some(rest) = g.source.strip_prefix("patchassessmentresources in ") {
                ("patch_assessments", rest)
            } else if let Some(sub) = g.source.strip_prefix("JIT policies of subscription ") {
                ("jit", sub)
            } else {
                continue;
            };
        let rest = rest.strip_prefix("subscription ").unwrap_or(rest);
        let scope = if rest.contains(' ') {
            "*".to_string()
        } else {
            rest.to_lowercase()
        };
        out.insert((relation, scope), format!("{}: {}", g.source, g.reason));
    }
    out
}
