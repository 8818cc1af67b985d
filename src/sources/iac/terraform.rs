//! Terraform (stub).
use std::path::Path;
use std::sync::Arc;

use super::jsonc::Node;
use super::{FileError, FileOutcome};
use crate::sources::SourceFile;

pub fn is_plan(root: &Node) -> bool {
    root.get("format_version").is_some() && root.get("planned_values").is_some()
}

pub fn read_plan(_root: &Node, _path: &Path) -> Result<FileOutcome, FileError> {
    Ok(FileOutcome::default())
}

#[allow(clippy::type_complexity)]
pub fn read_module(
    _dir: &Path,
    _files: &[Arc<SourceFile>],
    _vars: &[Arc<SourceFile>],
) -> Result<Vec<(Arc<SourceFile>, FileOutcome)>, (Arc<SourceFile>, FileError)> {
    Ok(Vec::new())
}
