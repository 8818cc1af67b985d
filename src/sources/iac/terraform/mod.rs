//! Terraform: `terraform show -json` plans (`plan`) and `.tf` configurations evaluated
//! without a plan or credentials (`instance`: modules, count/for_each, dynamic blocks),
//! azurerm resources mapped to the ARM model (`azurerm`) and joined (`assemble`).

mod assemble;
pub(crate) mod azurerm;
mod config;
mod instance;
mod plan;
mod types;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use super::jsonc::Node;
use super::{resource_group, DirFiles, FileOutcome, ModuleOutcome};
use crate::text::{SourceFile, Span};
use config::ModuleConfig;
use instance::{Instance, Run};
pub(crate) use plan::read_plan;

pub(crate) fn is_plan(root: &Node) -> bool {
    root.get("format_version").is_some()
        && (root.get("planned_values").is_some() || root.get("resource_changes").is_some())
}

/// One Terraform resource instance, before mapping.
#[derive(Clone)]
pub(crate) struct TfResource {
    pub(crate) tf_type: String,
    /// Its full address (`module.vm["web"].azurerm_linux_virtual_machine.this[0]`).
    pub(crate) address: String,
    pub(crate) values: Value,
    /// Where its attributes were written: file and (Terraform pointer → span).
    pub(crate) file: Arc<SourceFile>,
    pub(crate) spans: Vec<(String, Span)>,
    pub(crate) span: Span,
    /// The module calls that lead to it, outermost first.
    pub(crate) via: Vec<String>,
}

/// Whether a file name is a variable file of a root module.
pub(crate) fn is_var_file(name: &str) -> bool {
    config::is_var_file(name)
}

/// The `.tf` directories of a scan, evaluated from their roots: a directory that another
/// scanned directory calls as a local module is evaluated as that module (with the
/// caller's arguments), not also on its own with its defaults.
pub(crate) fn read_roots(dirs: &DirFiles) -> Vec<ModuleOutcome> {
    let mut outcomes = Vec::new();
    let mut configs: Vec<Rc<ModuleConfig>> = Vec::new();
    for (dir, (files, vars)) in dirs.iter().filter(|(_, (f, _))| !f.is_empty()) {
        match ModuleConfig::parse(dir, files, vars) {
            Ok(c) => configs.push(Rc::new(c)),
            Err(e) => outcomes.push(Err(e)),
        }
    }
    let called: HashSet<PathBuf> = configs.iter().flat_map(|c| c.local_calls()).collect();
    let scanned: HashMap<PathBuf, Rc<ModuleConfig>> = configs
        .iter()
        .map(|c| (c.dir.clone(), Rc::clone(c)))
        .collect();
    for root in configs.iter().filter(|c| !called.contains(&c.dir)) {
        outcomes.push(Ok(evaluate_root(root, scanned.clone())));
    }
    outcomes
}

fn evaluate_root(
    root: &ModuleConfig,
    scanned: HashMap<PathBuf, Rc<ModuleConfig>>,
) -> Vec<(Arc<SourceFile>, FileOutcome)> {
    let scope_id = resource_group(&root.shown);
    let run = Run::new(&root.dir, &scope_id, scanned);
    let (variables, variable_notes) = root.variables(&HashMap::new());
    let evaluated = run.evaluate(root, &variables, &Instance::default());
    let (declared, notes) = assemble::assemble(evaluated.resources.clone(), &scope_id);
    // Resources and notes go back to the file that declares them.
    let mut by_file: Vec<(Arc<SourceFile>, FileOutcome)> = root
        .bodies
        .iter()
        .map(|(f, _)| (Arc::clone(f), outcome()))
        .collect();
    for (d, file) in declared {
        let i = slot(&mut by_file, &file);
        by_file[i].1.resources.push(d);
    }
    for (file, span, message) in evaluated.notes.iter().chain(&notes).chain(&variable_notes) {
        let i = slot(&mut by_file, file);
        by_file[i].1.notes.push((*span, message.clone()));
    }
    by_file
}

/// The index of `file`'s outcome, added when it is a file of a called module.
fn slot(by_file: &mut Vec<(Arc<SourceFile>, FileOutcome)>, file: &Arc<SourceFile>) -> usize {
    match by_file.iter().position(|(f, _)| Arc::ptr_eq(f, file)) {
        Some(i) => i,
        None => {
            by_file.push((Arc::clone(file), outcome()));
            by_file.len() - 1
        }
    }
}

fn outcome() -> FileOutcome {
    FileOutcome {
        language: "terraform",
        ..FileOutcome::default()
    }
}
