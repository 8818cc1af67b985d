//! Where policy files are: every `.rego` file below a directory, sorted by path. Compiled
//! into the binary (the built-in pack, by build.rs) and used at run time (`--policy-dir`),
//! so both read the same files the same way.

use std::path::{Path, PathBuf};

/// Every `.rego` file below `dir`, sorted; the first directory that cannot be read stops it.
pub(crate) fn rego_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "rego") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort();
    Ok(out)
}
