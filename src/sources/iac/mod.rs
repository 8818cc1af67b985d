//! Infrastructure as code: ARM/Bicep JSON, Terraform (plans and `.tf`), Packer. Files are
//! found by walking the given paths and recognised by content; every resource comes out in
//! the one model (ARM-shaped JSON) with the file span of each value.

pub(crate) mod arm;
pub(crate) mod expr;
pub(crate) mod hcl;
pub(crate) mod jsonc;
pub(crate) mod normalize;
pub(crate) mod packer;
pub(crate) mod terraform;
pub(crate) mod unknown;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use super::{Estate, Located, Origin, RawRow, Resource, SourceGap};
use crate::error::{Error, Result};
use crate::text::{SourceFile, Span};

/// Directories that never hold the project's own IaC.
const SKIP_DIRS: &[&str] = &[".git", ".terraform", "node_modules"];

#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    pub(crate) paths: Vec<PathBuf>,
    /// Globs over the path as walked (e.g. `**/examples/**`).
    pub(crate) exclude: Vec<String>,
    /// An ARM parameters file applied to every template (instead of the one beside it).
    pub(crate) parameters: Option<PathBuf>,
    /// Do not pick up `<template>.parameters.json` beside a template.
    pub(crate) no_parameter_files: bool,
}

/// One resource as a source produced it: ARM-shaped JSON and where its parts were written.
pub(crate) struct Declared {
    pub(crate) value: Value,
    pub(crate) spans: Vec<(String, Span)>,
    pub(crate) span: Span,
    /// When not the file being read (a plan's resource found in the `.tf` beside it).
    pub(crate) file: Option<Arc<SourceFile>>,
    /// The module calls it was reached through, outermost first (`main.tf:12 module.vm`).
    pub(crate) via: Vec<String>,
}

/// What reading one file gave.
#[derive(Default)]
pub(crate) struct FileOutcome {
    /// `arm`, `terraform` or `packer`.
    pub(crate) language: &'static str,
    pub(crate) resources: Vec<Declared>,
    /// Parts not followed, at a span of the file.
    pub(crate) notes: Vec<(Span, String)>,
}

/// What a directory-wide configuration (Terraform module, Packer HCL) gave, per file; or the
/// file that stopped it.
pub(crate) type ModuleOutcome =
    Result<Vec<(Arc<SourceFile>, FileOutcome)>, (Arc<SourceFile>, FileError)>;

/// The files of one directory: configuration files and variable files.
pub(crate) type DirFiles = BTreeMap<PathBuf, (Vec<Arc<SourceFile>>, Vec<Arc<SourceFile>>)>;

/// A file that could not be scanned, at a byte offset.
#[derive(Debug)]
pub(crate) struct FileError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

impl FileError {
    pub(crate) fn at(offset: usize, message: impl Into<String>) -> FileError {
        FileError {
            offset,
            message: message.into(),
        }
    }
}

pub(crate) fn load(opts: &Selection, estate: &mut Estate) -> Result<()> {
    let exclude = globs(&opts.exclude)?;
    let mut files = Vec::new();
    for p in &opts.paths {
        if !p.exists() {
            return Err(Error::Usage(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
        walk(p, &exclude, &mut files, p.is_file());
    }
    let given = match &opts.parameters {
        Some(p) => Some(read_parameters(p)?),
        None => None,
    };
    let mut scanned = 0;
    let mut failed = 0;
    let mut seen = Declarations::new();
    // Files that are not IaC kensa reads (named in the report when nothing else was read).
    let mut others: Vec<String> = Vec::new();
    let mut planned: Vec<PathBuf> = Vec::new();
    // HCL configurations span a directory: their files are gathered per directory.
    let mut packer_dirs = DirFiles::new();
    let mut tf_dirs = DirFiles::new();
    for (path, explicit) in &files {
        let Some(kind) = kind_of(path) else {
            others.push(display(path));
            continue;
        };
        let shown = display(path);
        let text = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    failed += 1;
                    skip(estate, &shown, None, "not UTF-8 text".into());
                    continue;
                }
            },
            Err(e) => {
                failed += 1;
                skip(estate, &shown, None, format!("cannot read: {e}"));
                continue;
            }
        };
        let file = Arc::new(SourceFile::new(shown.clone(), text));
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        match kind {
            Kind::Json => match read_json(path, &file, given.as_ref(), opts, *explicit) {
                Ok(Some(out)) => {
                    scanned += 1;
                    // A plan is its configuration, evaluated exactly: the `.tf` beside it
                    // is read for locations only, not evaluated a second time.
                    if out.language == "terraform" {
                        planned.push(dir.clone());
                    }
                    add(estate, &mut seen, &file, out);
                }
                Ok(None) => {}
                Err(e) => {
                    failed += 1;
                    skip(estate, &shown, Some((&file, e.offset)), e.message);
                }
            },
            Kind::PackerHcl => packer_dirs.entry(dir).or_default().0.push(file),
            Kind::PackerVars => packer_dirs.entry(dir).or_default().1.push(file),
            Kind::Terraform => tf_dirs.entry(dir).or_default().0.push(file),
            Kind::TerraformVars => tf_dirs.entry(dir).or_default().1.push(file),
        }
    }
    let mut modules: Vec<ModuleOutcome> = Vec::new();
    for (files, vars) in packer_dirs.values().filter(|(f, _)| !f.is_empty()) {
        modules.push(packer::read_hcl_dir(files, vars));
    }
    tf_dirs.retain(|dir, _| !planned.contains(dir));
    modules.extend(terraform::read_roots(&tf_dirs));
    for m in modules {
        match m {
            Ok(outcomes) => {
                scanned += 1;
                for (file, out) in outcomes {
                    add(estate, &mut seen, &file, out);
                }
            }
            Err((file, e)) => {
                failed += 1;
                skip(estate, &file.path, Some((&file, e.offset)), e.message);
            }
        }
    }
    if scanned == 0 && failed > 0 {
        return Err(Error::NothingScanned(std::mem::take(
            &mut estate.diagnostics,
        )));
    }
    if scanned == 0 {
        let shown: Vec<&str> = others.iter().take(5).map(String::as_str).collect();
        estate.gaps.push(SourceGap {
            source: opts.paths.iter().map(|p| display(p)).collect::<Vec<_>>().join(", "),
            reason: format!(
                "no infrastructure as code kensa reads was found (ARM/Bicep JSON, Terraform, Packer); {} other file(s) skipped{}",
                others.len(),
                if shown.is_empty() { String::new() } else { format!(": {}", shown.join(", ")) }
            ),
        });
    }
    estate.inputs.extend(opts.paths.iter().map(|p| display(p)));
    Ok(())
}

/// Prints the diagnostic and records the file as not covered.
fn skip(estate: &mut Estate, shown: &str, at: Option<(&SourceFile, usize)>, message: String) {
    let (source, err) = match at {
        Some((file, offset)) => {
            let (line, _) = file.position(offset);
            (
                format!("{shown}:{line}"),
                Error::input_at(shown, &file.text, offset, message.clone(), "here"),
            )
        }
        None => (shown.to_string(), Error::input(shown, message.clone())),
    };
    estate.diagnostics.push(err);
    estate.gaps.push(SourceGap {
        source,
        reason: format!("file skipped: {message}"),
    });
}

/// Resource ids declared so far (lower-cased) → where.
type Declarations = HashMap<String, String>;

fn add(estate: &mut Estate, seen: &mut Declarations, file: &Arc<SourceFile>, out: FileOutcome) {
    for (span, message) in out.notes {
        let (line, _) = file.position(span.start);
        estate.unevaluated.push(SourceGap {
            source: format!("{}:{line}", file.path),
            reason: message,
        });
    }
    for mut d in out.resources {
        let file = d.file.as_ref().unwrap_or(file);
        let Value::Object(o) = &d.value else { continue };
        let text = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (mut id, kind, name) = (text("id"), text("type"), text("name"));
        let (line, column) = file.position(d.span.start);
        let here = match o.get("terraformAddress").and_then(Value::as_str) {
            Some(address) => format!("{}:{line} ({address})", file.path),
            None => format!("{}:{line}", file.path),
        };
        // Two declarations of one resource id: an error of the template itself. Both are
        // evaluated (the later one under its own id) and the scan says so.
        if let Some(first) = seen.get(&id.to_lowercase()) {
            // Ids built from values only known at deployment may well differ then.
            if !id.contains("<unknown") {
                estate.gaps.push(SourceGap {
                    source: here.clone(),
                    reason: format!(
                        "resource id {id} is also declared at {first}: a deployment keeps only one; both are evaluated"
                    ),
                });
            }
            let suffix = o
                .get("terraformAddress")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{}:{line}", file.path), str::to_string);
            id = format!("{id}~{suffix}");
            d.value["id"] = Value::String(id.clone());
        }
        seen.insert(id.to_lowercase(), here);
        estate.resources.push(Resource {
            key: Arc::from(id.to_lowercase()),
            id,
            kind: kind.to_lowercase(),
            name,
            raw: RawRow::owned(d.value.to_string()),
            origin: Origin::File {
                file: Arc::from(file.path.as_str()),
                line,
                column,
            },
            located: Some(Arc::new(Located {
                file: Arc::clone(file),
                language: out.language,
                spans: d.spans,
                via: d.via,
            })),
        });
    }
}

enum Kind {
    Json,
    Terraform,
    TerraformVars,
    PackerHcl,
    PackerVars,
}

fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    if name.ends_with(".pkr.hcl") {
        Some(Kind::PackerHcl)
    } else if name.ends_with(".auto.pkrvars.hcl") {
        Some(Kind::PackerVars)
    } else if name.ends_with(".tf") {
        Some(Kind::Terraform)
    } else if terraform::is_var_file(&name) {
        Some(Kind::TerraformVars)
    } else if name.ends_with(".json") || name.ends_with(".jsonc") {
        Some(Kind::Json)
    } else {
        None
    }
}

/// A JSON file, recognised by content: ARM template, Terraform plan, Packer legacy JSON.
/// Other JSON (parameters files, package.json…) is not IaC and is passed over unless it was
/// named on the command line.
fn read_json(
    path: &Path,
    file: &Arc<SourceFile>,
    given: Option<&HashMap<String, Value>>,
    opts: &Selection,
    explicit: bool,
) -> std::result::Result<Option<FileOutcome>, FileError> {
    let root = jsonc::parse(&file.text).map_err(|e| FileError::at(e.offset, e.message))?;
    if arm::is_template(&root) {
        let params = match given {
            Some(p) => p.clone(),
            None if opts.no_parameter_files => HashMap::new(),
            None => beside_parameters(path)?,
        };
        let out = arm::evaluate(&root, &params, &resource_group(&file.path))
            .map_err(|e| FileError::at(e.span.start, e.message))?;
        return Ok(Some(FileOutcome {
            language: "arm",
            resources: out.resources,
            notes: out.notes.into_iter().map(|n| (n.span, n.message)).collect(),
        }));
    }
    if terraform::is_plan(&root) {
        return terraform::read_plan(&root, path, file).map(Some);
    }
    if packer::is_json_template(&root) {
        return packer::read_json(&root, &file.path).map(Some);
    }
    if arm::is_parameters_file(&root) || !explicit {
        return Ok(None);
    }
    Err(FileError::at(
        root.span.start,
        "not an ARM template, Terraform plan or Packer template (an ARM template needs a deploymentTemplate `$schema`)",
    ))
}

/// `<stem>.parameters.json` beside the template, when there is one.
fn beside_parameters(template: &Path) -> std::result::Result<HashMap<String, Value>, FileError> {
    let Some(stem) = template.file_stem() else {
        return Ok(HashMap::new());
    };
    let candidate = template.with_file_name(format!("{}.parameters.json", stem.to_string_lossy()));
    if !candidate.is_file() {
        return Ok(HashMap::new());
    }
    read_parameters(&candidate).map_err(|e| FileError::at(0, e.to_string()))
}

fn read_parameters(path: &Path) -> Result<HashMap<String, Value>> {
    let shown = display(path);
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: shown.clone(),
        source,
    })?;
    let root = jsonc::parse(&text)
        .map_err(|e| Error::input_at(&shown, &text, e.offset, e.message, "here"))?;
    if root.get("parameters").is_none() || arm::is_template(&root) {
        return Err(Error::input(
            &shown,
            "not an ARM parameters file (no `parameters` object)",
        ));
    }
    Ok(arm::parameter_values(&root))
}

/// Each template deploys into its own placeholder resource group, named after the file, so
/// two templates that declare a resource of the same name stay two resources.
pub(crate) fn resource_group(shown: &str) -> String {
    shown
        .split('/')
        .filter(|seg| !matches!(*seg, "" | "." | ".."))
        .collect::<Vec<_>>()
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The path as reports show it: relative to the working directory when it lies below it
/// (SARIF wants repository-relative paths), else as given.
pub(crate) fn display(p: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let p = rel.as_deref().unwrap_or(p);
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn globs(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| Error::Usage(format!("--exclude {p:?}: {e}")))?);
    }
    b.build()
        .map_err(|e| Error::Usage(format!("--exclude: {e}")))
}

/// Files under `p` in a stable order; `explicit` when named on the command line.
fn walk(p: &Path, exclude: &GlobSet, out: &mut Vec<(PathBuf, bool)>, explicit: bool) {
    let shown = display(p);
    if !explicit && (exclude.is_match(&shown) || exclude.is_match(p)) {
        return;
    }
    if p.is_dir() {
        if !explicit
            && p.file_name()
                .is_some_and(|n| SKIP_DIRS.contains(&n.to_string_lossy().as_ref()))
        {
            return;
        }
        let Ok(entries) = std::fs::read_dir(p) else {
            return;
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for c in children {
            walk(&c, exclude, out, false);
        }
    } else if p.is_file() {
        out.push((p.to_path_buf(), explicit));
    }
}
