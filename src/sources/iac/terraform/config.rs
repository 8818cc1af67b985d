//! One Terraform module as written: its `.tf` files parsed, its variables with their types
//! and defaults, its calls to other modules and where their sources are on disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;
use serde_json::Value;

use super::types;
use crate::sources::iac::hcl::{self, Bodies};
use crate::sources::iac::unknown::unknown;
use crate::sources::iac::{display, FileError, FileNote as Note};
use crate::text::SourceFile;

/// A module's configuration; the root's also has its variable files (`terraform.tfvars`,
/// `*.auto.tfvars`).
pub(crate) struct ModuleConfig {
    /// The directory as found (canonical when it exists).
    pub(crate) dir: PathBuf,
    /// The directory as reports show it.
    pub(crate) shown: String,
    pub(crate) bodies: Bodies,
    /// The root's variable files, parsed (a malformed one fails the root like a `.tf`).
    pub(crate) var_files: Bodies,
}

/// Where a module call's source is.
pub(crate) enum Source {
    /// A directory on disk (a local path, or a module `terraform init` installed).
    Dir(PathBuf),
    /// Not on disk: why, and what to do about it.
    Missing(String),
}

/// The variable files of a root module, in the order Terraform applies them.
pub(crate) fn is_var_file(name: &str) -> bool {
    name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
}

impl ModuleConfig {
    pub(crate) fn parse(
        dir: &Path,
        files: &[Arc<SourceFile>],
        var_files: &[Arc<SourceFile>],
    ) -> Result<ModuleConfig, (Arc<SourceFile>, FileError)> {
        Ok(ModuleConfig {
            dir: dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
            shown: display(dir),
            bodies: hcl::parse_all(files)?,
            var_files: hcl::parse_all(var_files)?,
        })
    }

    /// A module directory read from disk (a called module, inside or outside the scan).
    pub(crate) fn read(dir: &Path) -> Result<ModuleConfig, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", display(dir)))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "tf"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(format!("{} holds no .tf files", display(dir)));
        }
        let mut files = Vec::new();
        for p in paths {
            let text = crate::text::read::text(&p).map_err(|e| format!("{}: {e}", display(&p)))?;
            files.push(Arc::new(SourceFile::new(display(&p), text)));
        }
        ModuleConfig::parse(dir, &files, &[]).map_err(|(f, e)| {
            let (line, column) = f.position(e.offset);
            format!("{}:{line}:{column}: {}", f.path, e.message)
        })
    }

    /// Blocks of one kind across the module's files, with their file.
    pub(crate) fn blocks<'c>(
        &'c self,
        ident: &'c str,
    ) -> impl Iterator<Item = (&'c Arc<SourceFile>, &'c Block)> + 'c {
        self.bodies
            .iter()
            .flat_map(move |(f, b)| b.get_blocks(ident).map(move |blk| (f, blk)))
    }

    /// The local directories this module calls (`source = "./x"`, `"../.."`).
    pub(crate) fn local_calls(&self) -> Vec<PathBuf> {
        self.blocks("module")
            .filter_map(|(_, b)| literal(b, "source"))
            .filter(|s| is_local(s))
            .map(|s| {
                let p = self.dir.join(s);
                p.canonicalize().unwrap_or(p)
            })
            .collect()
    }

    /// Input variables: the caller's values (module arguments, or the root's variable
    /// files), else the declared defaults, converted to their declared types (optional
    /// object attributes get their defaults). A variable without either is unknown, and so
    /// is one whose value does not convert to its type (`terraform plan` would refuse it):
    /// that one is also a note, at the variable file's line or the declaration.
    pub(crate) fn variables(
        &self,
        given: &HashMap<String, Value>,
    ) -> (HashMap<String, Value>, Vec<Note>) {
        let none = HashMap::new();
        let bare = hcl::Scope::new(&none, &none, &|_| None);
        let mut from_files: HashMap<String, (Value, Note)> = HashMap::new();
        for (f, body) in &self.var_files {
            for a in body.attributes() {
                let at = (Arc::clone(f), hcl::span_of(a), String::new());
                from_files.insert(a.key.as_str().to_string(), (bare.eval(&a.value), at));
            }
        }
        let mut out = HashMap::new();
        let mut notes = Vec::new();
        for (file, b) in self.blocks("variable") {
            let Some(name) = hcl::labels(b).into_iter().next() else {
                continue;
            };
            let ty = b.body.get_attribute("type").map(|a| &a.value);
            let nullable = b
                .body
                .get_attribute("nullable")
                .is_none_or(|a| !matches!(&a.value, Expression::Bool(v) if !*v.value()));
            let default = b.body.get_attribute("default").map(|a| bare.eval(&a.value));
            let declared = (Arc::clone(file), hcl::span_of(b), String::new());
            let (value, at) = match given.get(&name) {
                Some(v) => (Some(v), declared),
                None => match from_files.get(&name) {
                    Some((v, at)) => (Some(v), at.clone()),
                    None => (None, declared),
                },
            };
            let value = match value {
                Some(Value::Null) if !nullable => default.clone().unwrap_or(Value::Null),
                Some(v) => v.clone(),
                None => match default {
                    Some(d) => d,
                    None => unknown(format!("var.{name} is required and has no value")),
                },
            };
            let value = match ty.map(|t| types::convert(t, value.clone())) {
                None => value,
                Some(Ok(v)) => v,
                Some(Err(why)) => {
                    let message = format!("var.{name} does not convert to its type: {why}");
                    notes.push((at.0, at.1, message.clone()));
                    unknown(message)
                }
            };
            out.insert(name, value);
        }
        (out, notes)
    }
}

/// A string attribute written as a literal.
pub(crate) fn literal(b: &Block, key: &str) -> Option<String> {
    match &b.body.get_attribute(key)?.value {
        Expression::String(s) => Some(s.value().to_string()),
        _ => None,
    }
}

fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// Where the source of the module call `key` (call names from the root, dot-joined, as
/// `.terraform/modules/modules.json` keys them) in `config` is.
pub(crate) fn source(config: &ModuleConfig, block: &Block, key: &str, root: &Path) -> Source {
    let Some(source) = literal(block, "source") else {
        return Source::Missing("its source is not a literal string".into());
    };
    if is_local(&source) {
        let dir = config.dir.join(&source);
        return match dir.is_dir() {
            true => Source::Dir(dir.canonicalize().unwrap_or(dir)),
            false => Source::Missing(format!(
                "source {source:?} is not a directory ({})",
                display(&dir)
            )),
        };
    }
    if let Some(dir) = installed(root, key) {
        return Source::Dir(dir);
    }
    let version = literal(block, "version")
        .map(|v| format!(" version {v:?}"))
        .unwrap_or_default();
    Source::Missing(format!(
        "source {source:?}{version} is not on disk: run `terraform init` (kensa reads the modules it installs under .terraform/modules), or scan the plan (`terraform show -json`)"
    ))
}

/// A module `terraform init` installed for `key`, from `.terraform/modules/modules.json`.
fn installed(root: &Path, key: &str) -> Option<PathBuf> {
    let text = crate::text::read::text(&root.join(".terraform/modules/modules.json")).ok()?;
    let doc: Value = serde_json::from_str(&text).ok()?;
    let entry = doc["Modules"]
        .as_array()?
        .iter()
        .find(|m| m["Key"].as_str() == Some(key))?;
    let dir = root.join(entry["Dir"].as_str()?);
    dir.is_dir().then(|| dir.canonicalize().unwrap_or(dir))
}
