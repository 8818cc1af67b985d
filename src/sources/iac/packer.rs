//! Packer templates (stub, filled below).
use super::jsonc::Node;
use super::{FileError, FileOutcome};

pub fn is_json_template(root: &Node) -> bool {
    root.get("builders").is_some()
}

pub fn read_json(_root: &Node) -> Result<FileOutcome, FileError> {
    Ok(FileOutcome::default())
}

pub fn read_hcl(_text: &str) -> Result<FileOutcome, FileError> {
    Ok(FileOutcome::default())
}
