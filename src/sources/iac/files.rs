//! Which files a scan reads: the walk over the given paths, what each file is (by name,
//! then content), how reports name it, and the ARM parameters files beside templates.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use super::{arm, jsonc, terraform, FileError};
use crate::error::{Error, Result};

/// Directories that never hold the project's own IaC.
const SKIP_DIRS: &[&str] = &[".git", ".terraform", "node_modules"];

pub(crate) enum Kind {
    Json,
    Terraform,
    TerraformVars,
    PackerHcl,
    PackerVars,
    Bicep,
    BicepParams,
}

pub(crate) fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    if name.ends_with(".bicep") {
        Some(Kind::Bicep)
    } else if name.ends_with(".bicepparam") {
        Some(Kind::BicepParams)
    } else if name.ends_with(".pkr.hcl") {
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

/// `<stem>.parameters.json` beside the template, when there is one.
/// A Bicep `main.bicep` also takes the parameters of the `azuredeploy.json` compiled from
/// it (quickstarts ship `azuredeploy.parameters.json`).
pub(crate) fn beside_parameters(
    template: &Path,
) -> std::result::Result<HashMap<String, Value>, FileError> {
    let Some(stem) = template
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
    else {
        return Ok(HashMap::new());
    };
    let mut candidates = vec![template.with_file_name(format!("{stem}.parameters.json"))];
    if stem == "main" && template.extension().is_some_and(|e| e == "bicep") {
        candidates.push(template.with_file_name("azuredeploy.parameters.json"));
    }
    match candidates.into_iter().find(|c| c.is_file()) {
        Some(c) => read_parameters(&c).map_err(|e| FileError::at(0, e.to_string())),
        None => Ok(HashMap::new()),
    }
}

pub(crate) fn read_parameters(path: &Path) -> Result<HashMap<String, Value>> {
    let shown = display(path);
    let text = crate::text::read::text(path).map_err(|cause| Error::Read {
        path: shown.clone(),
        cause,
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

/// `rel` as written in a file in `folder` (a module source, a linked template): joined and
/// with `.` and `..` folded, so `app/./vm.bicep` is reported as `app/vm.bicep`. Lexical, not
/// canonical: symbolic links stay as the author wrote them.
pub(crate) fn beside(folder: &Path, rel: &str) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in folder.join(rel).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn globs(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| Error::Usage(format!("--exclude {p:?}: {e}")))?);
    }
    b.build()
        .map_err(|e| Error::Usage(format!("--exclude: {e}")))
}

/// Files under `p` in a stable order; `explicit` when named on the command line. Every real
/// file is listed once and every real directory entered once, whatever symbolic links
/// point at them (a link loop must not make the walk endless, nor a file scanned twice
/// under two names).
pub(crate) fn walk(
    p: &Path,
    exclude: &GlobSet,
    out: &mut Vec<(PathBuf, bool)>,
    explicit: bool,
    seen: &mut HashSet<PathBuf>,
) {
    let shown = display(p);
    if !explicit && (exclude.is_match(&shown) || exclude.is_match(p)) {
        return;
    }
    let Ok(real) = p.canonicalize() else { return };
    if !seen.insert(real.clone()) {
        return;
    }
    if real.is_dir() {
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
            walk(&c, exclude, out, false, seen);
        }
    } else if real.is_file() {
        out.push((p.to_path_buf(), explicit));
    }
}
