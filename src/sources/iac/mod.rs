//! Infrastructure as code: ARM/Bicep JSON, Terraform (plans and `.tf`), Packer. Files are
//! found by walking the given paths and recognised by content; every resource comes out in
//! the one model (ARM-shaped JSON) with the file span of each value.

pub(crate) mod arm;
pub(crate) mod bicep;
pub(crate) mod expr;
mod files;
#[cfg(test)]
mod fuzz;
pub(crate) mod hcl;
pub(crate) mod jsonc;
pub(crate) mod net;
pub(crate) mod normalize;
pub(crate) mod packer;
pub(crate) mod terraform;
pub(crate) mod unknown;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::{Estate, Located, Origin, RawRow, Resource, SourceGap};
use crate::error::{Error, Result};
use crate::text::{SourceFile, Span};
pub(crate) use files::{beside, display, resource_group};
use files::{beside_parameters, globs, kind_of, read_parameters, walk, Kind};

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
/// Something in a file that was not evaluated (and why): it makes the scan incomplete.
pub(crate) type FileNote = (Arc<SourceFile>, Span, String);

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

/// A recognised file, read.
struct Input {
    path: PathBuf,
    file: Arc<SourceFile>,
    kind: Kind,
    explicit: bool,
}

pub(crate) fn load(opts: &Selection, estate: &mut Estate) -> Result<()> {
    let exclude = globs(&opts.exclude)?;
    let mut found = Vec::new();
    let mut walked = HashSet::new();
    for p in &opts.paths {
        if !p.exists() {
            return Err(Error::Usage(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
        walk(p, &exclude, &mut found, p.is_file(), &mut walked);
    }
    let given = match &opts.parameters {
        Some(p) => Some(read_parameters(p)?),
        None => None,
    };
    let mut intake = Intake {
        estate,
        seen: Declarations::new(),
        scanned: 0,
        failed: 0,
    };
    // Files that are not IaC kensa reads (named in the report when nothing else was read).
    let mut others: Vec<String> = Vec::new();
    let mut inputs = Vec::new();
    for (path, explicit) in found {
        let Some(kind) = kind_of(&path) else {
            others.push(display(&path));
            continue;
        };
        let shown = display(&path);
        match crate::text::read::text(&path) {
            Ok(text) => inputs.push(Input {
                file: Arc::new(SourceFile::new(shown, text)),
                path,
                kind,
                explicit,
            }),
            Err(e) => intake.skip(&shown, None, format!("cannot read: {e}")),
        }
    }
    let bicep = BicepPlan::of(&inputs, &mut intake);
    let mut planned: Vec<PathBuf> = Vec::new();
    // HCL configurations span a directory: their files are gathered per directory.
    let mut packer_dirs = DirFiles::new();
    let mut tf_dirs = DirFiles::new();
    let mut modules: Vec<ModuleOutcome> = Vec::new();
    for input in &inputs {
        let dir = input
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let file = Arc::clone(&input.file);
        match input.kind {
            Kind::Json => {
                if let Some(why) = bicep.skips(&input.path, &file) {
                    intake.estate.skipped.push(SourceGap {
                        source: file.path.clone(),
                        reason: why,
                    });
                    continue;
                }
                match read_json(input, given.as_ref(), opts) {
                    Ok(Some(out)) => {
                        // A plan is its configuration, evaluated exactly: the `.tf` beside
                        // it is read for locations only, not evaluated a second time.
                        if out.language == "terraform" {
                            planned.push(dir.clone());
                        }
                        intake.scanned += 1;
                        intake.add(&file, out);
                    }
                    Ok(None) => {}
                    Err(e) => intake.skip(&file.path, Some((&file, e.offset)), e.message),
                }
            }
            Kind::Bicep => modules.extend(bicep.evaluate(input, given.as_ref(), opts, &mut intake)),
            Kind::BicepParams => {}
            Kind::PackerHcl => packer_dirs.entry(dir).or_default().0.push(file),
            Kind::PackerVars => packer_dirs.entry(dir).or_default().1.push(file),
            Kind::Terraform => tf_dirs.entry(dir).or_default().0.push(file),
            Kind::TerraformVars => tf_dirs.entry(dir).or_default().1.push(file),
        }
    }
    for (files, vars) in packer_dirs.values().filter(|(f, _)| !f.is_empty()) {
        modules.push(packer::read_hcl_dir(files, vars));
    }
    tf_dirs.retain(|dir, _| !planned.contains(dir));
    modules.extend(terraform::read_roots(&tf_dirs));
    for m in modules {
        match m {
            Ok(outcomes) => {
                intake.scanned += 1;
                for (file, out) in outcomes {
                    intake.add(&file, out);
                }
            }
            Err((file, e)) => intake.skip(&file.path, Some((&file, e.offset)), e.message),
        }
    }
    let (scanned, failed) = (intake.scanned, intake.failed);
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
                "no infrastructure as code kensa reads was found (ARM JSON, Bicep, Terraform, Packer); {} other file(s) skipped{}",
                others.len(),
                if shown.is_empty() { String::new() } else { format!(": {}", shown.join(", ")) }
            ),
        });
    }
    estate.inputs.extend(opts.paths.iter().map(|p| display(p)));
    Ok(())
}

/// A JSON file, recognised by content: ARM template, Terraform plan, Packer legacy JSON.
/// Other JSON (parameters files, package.json…) is not IaC and is passed over unless it was
/// named on the command line.
fn read_json(
    input: &Input,
    given: Option<&HashMap<String, Value>>,
    opts: &Selection,
) -> std::result::Result<Option<FileOutcome>, FileError> {
    let (path, file) = (&input.path, &input.file);
    let root = jsonc::parse(&file.text).map_err(|e| FileError::at(e.offset, e.message))?;
    if arm::is_template(&root) {
        let params = match given {
            Some(p) => p.clone(),
            None if opts.no_parameter_files => HashMap::new(),
            None => beside_parameters(path)?,
        };
        let place = arm::Place { path, file };
        let out = arm::evaluate(&root, &params, &resource_group(&file.path), Some(place))
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
    if arm::is_parameters_file(&root) || !input.explicit {
        return Ok(None);
    }
    Err(FileError::at(
        root.span.start,
        "not an ARM template, Terraform plan or Packer template (an ARM template needs a deploymentTemplate `$schema`)",
    ))
}

/// How the templates of a scan compose: Bicep files are evaluated once per `.bicepparam`
/// that points at them (else with their `<name>.parameters.json` or defaults), never on
/// their own when another scanned template calls them as a module or links them, and
/// instead of the ARM JSON that was compiled from them.
struct BicepPlan {
    /// Canonical paths of the scanned `.bicep` files.
    sources: HashSet<PathBuf>,
    /// Canonical paths of files scanned `.bicep` files call as local modules.
    modules: HashSet<PathBuf>,
    /// Template (canonical) → the `.bicepparam` files using it.
    params: HashMap<PathBuf, Vec<ParamsFile>>,
}

/// A `.bicepparam` file as shown, and its values.
type ParamsFile = (String, HashMap<String, Value>);

impl BicepPlan {
    fn of(inputs: &[Input], intake: &mut Intake<'_>) -> BicepPlan {
        let mut plan = BicepPlan {
            sources: HashSet::new(),
            modules: HashSet::new(),
            params: HashMap::new(),
        };
        for i in inputs {
            let real = i.path.canonicalize().unwrap_or_else(|_| i.path.clone());
            match i.kind {
                Kind::Bicep => {
                    plan.modules.extend(bicep::local_modules(&i.path, &i.file));
                    plan.sources.insert(real);
                }
                Kind::Json => plan.modules.extend(arm::linked_files(&i.path, &i.file)),
                Kind::BicepParams => match bicep::read_params(&i.path, &i.file) {
                    Ok((target, values)) => plan
                        .params
                        .entry(target)
                        .or_default()
                        .push((i.file.path.clone(), values)),
                    Err(e) => intake.skip(&i.file.path, Some((&i.file, e.offset)), e.message),
                },
                _ => {}
            }
        }
        plan
    }

    /// Why a JSON file is not read on its own, if it is not.
    fn skips(&self, path: &Path, file: &SourceFile) -> Option<String> {
        let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if self.modules.contains(&real) {
            return Some(
                "evaluated as a module or linked template of another scanned template".into(),
            );
        }
        let root = jsonc::parse(&file.text).ok()?;
        if !bicep::compiled(&root) {
            return None;
        }
        let dir = real.parent()?;
        let stem = real.file_stem()?.to_string_lossy().to_string();
        let source = [format!("{stem}.bicep"), "main.bicep".to_string()]
            .into_iter()
            .map(|n| dir.join(n))
            .find(|b| {
                self.sources.contains(b)
                    && (b.file_stem().is_some_and(|s| s.to_string_lossy() == stem)
                        || stem == "azuredeploy")
            })?;
        Some(format!(
            "compiled from {}, which is scanned: its resources are reported once, from the Bicep source",
            display(&source)
        ))
    }

    fn evaluate(
        &self,
        input: &Input,
        given: Option<&HashMap<String, Value>>,
        opts: &Selection,
        intake: &mut Intake<'_>,
    ) -> Vec<ModuleOutcome> {
        let real = input
            .path
            .canonicalize()
            .unwrap_or_else(|_| input.path.clone());
        let file = &input.file;
        if self.modules.contains(&real) {
            intake.estate.skipped.push(SourceGap {
                source: file.path.clone(),
                reason: "evaluated as a module of a scanned Bicep file".into(),
            });
            return Vec::new();
        }
        if let Some(sets) = self.params.get(&real) {
            return sets
                .iter()
                .map(|(shown, values)| {
                    bicep::evaluate(file, values.clone(), &resource_group(shown))
                })
                .collect();
        }
        let values = match given {
            Some(p) => p.clone(),
            None if opts.no_parameter_files => HashMap::new(),
            None => match beside_parameters(&input.path) {
                Ok(v) => v,
                Err(e) => {
                    intake.skip(&file.path, Some((file, e.offset)), e.message);
                    return Vec::new();
                }
            },
        };
        vec![bicep::evaluate(file, values, &resource_group(&file.path))]
    }
}

/// What the files of a scan add to the estate, as they are read.
struct Intake<'e> {
    estate: &'e mut Estate,
    /// Resource ids declared so far (lower-cased) → where.
    seen: Declarations,
    scanned: usize,
    failed: usize,
}

impl Intake<'_> {
    fn skip(&mut self, shown: &str, at: Option<(&SourceFile, usize)>, message: String) {
        self.failed += 1;
        skip(self.estate, shown, at, message);
    }

    fn add(&mut self, file: &Arc<SourceFile>, out: FileOutcome) {
        add(self.estate, &mut self.seen, file, out);
    }
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
/// Resource ids declared so far: where, the resource as declared, and the module calls that
/// reached it.
type Declarations = HashMap<String, (String, Value, Vec<String>)>;

fn add(estate: &mut Estate, seen: &mut Declarations, file: &Arc<SourceFile>, out: FileOutcome) {
    for (span, message) in out.notes {
        let (line, _) = file.position(span.start);
        let gap = SourceGap {
            source: format!("{}:{line}", file.path),
            reason: message,
        };
        // A module called twice says the same thing twice.
        if !estate.unevaluated.contains(&gap) {
            estate.unevaluated.push(gap);
        }
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
        let mut here = match o.get("terraformAddress").and_then(Value::as_str) {
            Some(address) => format!("{}:{line} ({address})", file.path),
            None => format!("{}:{line}", file.path),
        };
        // Two calls of one module declare at the same line: the calls tell them apart.
        if !d.via.is_empty() {
            here = format!("{here} via {}", d.via.join(" → "));
        }
        // Two declarations of one resource id: an error of the template itself. Both are
        // evaluated (the later one under its own id) and the scan says so.
        if let Some((first, earlier, earlier_via)) = seen.get(&id.to_lowercase()) {
            // Ids built from values only known at deployment (`<…>`) may well differ then.
            let known = !id.contains('<');
            // One module deployed twice alike (to prove it is idempotent): two deployments
            // with one result, judged once. Within one deployment a second declaration is
            // an error of the template, alike or not.
            if known && *earlier == d.value && *earlier_via != d.via {
                estate.skipped.push(SourceGap {
                    source: here,
                    reason: format!("resource id {id} is declared alike at {first}: judged once"),
                });
                continue;
            }
            let gap = SourceGap {
                source: here.clone(),
                reason: format!(
                    "resource id {id} is also declared at {first}: a deployment keeps only one; both are evaluated"
                ),
            };
            if known && !estate.gaps.contains(&gap) {
                estate.gaps.push(gap);
            }
            let suffix = o
                .get("terraformAddress")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{}:{line}", file.path), str::to_string);
            // Loop instances with unknown names share file and line too: number them, so
            // that none is taken for another.
            let base = format!("{id}~{suffix}");
            id = base.clone();
            let mut n = 1;
            while seen.contains_key(&id.to_lowercase()) {
                n += 1;
                id = format!("{base}#{n}");
            }
            d.value["id"] = Value::String(id.clone());
        }
        seen.insert(id.to_lowercase(), (here, d.value.clone(), d.via.clone()));
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
