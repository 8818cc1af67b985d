//! Bicep read natively: a hand-written parser (`lexer`, `parser`, `syntax`), the
//! translation of its expressions to the ARM expression tree (`translate`), and the
//! evaluation of a file (`scope`: names; `deploy`: resources and modules), so Bicep and ARM
//! share one evaluator and one function library.

mod deploy;
mod lexer;
mod parser;
mod scope;
mod syntax;
mod translate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::{beside, display, normalize, FileError, FileOutcome, ModuleOutcome};
use crate::text::SourceFile;
use scope::Scope;
pub(crate) use syntax::ParseError;
use syntax::{Program, Statement, StatementKind};

/// Parses a `.bicep` file.
pub(crate) fn parse(text: &str) -> Result<Program, ParseError> {
    parser::Parser::new(text)?.program()
}

/// The local module files a `.bicep` file calls (`module x './vm.bicep' = …`).
pub(crate) fn local_modules(path: &Path, file: &SourceFile) -> Vec<PathBuf> {
    let Ok(program) = parse(&file.text) else {
        return Vec::new();
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    program
        .statements
        .iter()
        .filter_map(|s| match &s.kind {
            StatementKind::Module { path, .. } => path.as_str_literal(),
            _ => None,
        })
        .filter(|p| !p.contains(':') && !p.starts_with("br/") && !p.starts_with("ts/"))
        .map(|p| {
            let target = beside(dir, &p);
            target.canonicalize().unwrap_or(target)
        })
        .collect()
}

/// A `.bicepparam` file: the template it is for (`using`) and its parameter values.
pub(crate) fn read_params(
    path: &Path,
    file: &SourceFile,
) -> Result<(PathBuf, HashMap<String, Value>), FileError> {
    let params = parser::Parser::new(&file.text)
        .and_then(|mut p| p.params_file())
        .map_err(|e| FileError::at(e.offset, e.message))?;
    let Some((using, span)) = params.using else {
        return Err(FileError::at(
            0,
            "a parameters file without `using 'template.bicep'`",
        ));
    };
    let target = beside(path.parent().unwrap_or(Path::new("")), &using);
    let target = target.canonicalize().map_err(|e| {
        FileError::at(
            span.start,
            format!("`using '{using}'`: {}: {e}", display(&target)),
        )
    })?;
    // The file's variables are what its parameter values may refer to.
    let program = Program {
        statements: params
            .vars
            .into_iter()
            .map(|(name, value)| Statement {
                span: name.span,
                decorators: Vec::new(),
                kind: StatementKind::Var { name, value },
            })
            .collect(),
    };
    let file = Arc::new(SourceFile::new(file.path.clone(), file.text.clone()));
    let scope = Scope::new(file, &program, HashMap::new(), String::new(), Vec::new(), 0);
    let mut values = HashMap::new();
    for (name, e) in &params.params {
        let v = scope
            .value(e, &[])
            .map_err(|(span, m)| FileError::at(span.start, m))?;
        values.insert(name.name.clone(), v);
    }
    Ok((target, values))
}

/// Evaluates a `.bicep` file with parameter `values`, deploying into resource group `rg`:
/// its resources and its modules', each with the file that declares it.
pub(crate) fn evaluate(
    file: &Arc<SourceFile>,
    values: HashMap<String, Value>,
    rg: &str,
) -> ModuleOutcome {
    let program =
        parse(&file.text).map_err(|e| (Arc::clone(file), FileError::at(e.offset, e.message)))?;
    let scope = Scope::new(
        Arc::clone(file),
        &program,
        values,
        rg.to_string(),
        Vec::new(),
        0,
    );
    let mut run = deploy::deploy(&scope, &program)
        .map_err(|(span, m)| (Arc::clone(file), FileError::at(span.start, m)))?;
    normalize::merge_children(&mut run.resources);
    normalize::attach_disks(&mut run.resources);
    let mut by_file: Vec<(Arc<SourceFile>, FileOutcome)> = vec![(Arc::clone(file), outcome(file))];
    let slot = |f: &Arc<SourceFile>, by_file: &mut Vec<(Arc<SourceFile>, FileOutcome)>| -> usize {
        match by_file.iter().position(|(x, _)| Arc::ptr_eq(x, f)) {
            Some(i) => i,
            None => {
                by_file.push((Arc::clone(f), outcome(f)));
                by_file.len() - 1
            }
        }
    };
    for d in run.resources {
        let f = d.file.clone().unwrap_or_else(|| Arc::clone(file));
        let i = slot(&f, &mut by_file);
        by_file[i].1.resources.push(d);
    }
    for (f, span, message) in run.notes {
        let i = slot(&f, &mut by_file);
        by_file[i].1.notes.push((span, message));
    }
    Ok(by_file)
}

fn outcome(file: &SourceFile) -> FileOutcome {
    FileOutcome {
        language: if file.path.ends_with(".json") {
            "arm"
        } else {
            "bicep"
        },
        ..FileOutcome::default()
    }
}

/// Whether an ARM template was compiled from Bicep (`metadata._generator.name`).
pub(crate) fn compiled(root: &super::jsonc::Node) -> bool {
    root.get("metadata")
        .and_then(|m| m.get("_generator"))
        .and_then(|g| g.get("name"))
        .and_then(super::jsonc::Node::as_str)
        .is_some_and(|n| n.eq_ignore_ascii_case("bicep"))
}
