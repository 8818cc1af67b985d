//! Terraform (stub).
use std::path::{Path, PathBuf};
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
    _files: &[PathBuf],
) -> Result<(Vec<Arc<SourceFile>>, Vec<FileOutcome>), (Arc<SourceFile>, FileError)> {
    Ok((Vec::new(), Vec::new()))
}
