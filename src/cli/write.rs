//! Reports are written atomically: a temporary file beside the target, then a rename, so a
//! failed or interrupted run never leaves a half-written report behind. A target that exists
//! and is not a regular file (`/dev/null`, a pipe, `/dev/stdout`) is written to directly:
//! renaming over it would replace the device with a file.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

pub(crate) fn atomic(path: &Path, contents: &str) -> Result<()> {
    let name = path.display().to_string();
    let fail = |source: std::io::Error| Error::Write {
        path: name.clone(),
        source,
    };
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(fail)?;
        return f.write_all(contents.as_bytes()).map_err(fail);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".kensa-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(contents.as_bytes()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("r.json");
        std::fs::write(&target, "old old old old").unwrap();
        atomic(&target, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_special_file_is_written_to_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        atomic(&fifo, "report").unwrap();
        assert_eq!(reader.join().unwrap(), "report");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_path() {
        let err = atomic(Path::new("/nonexistent-kensa-dir/r.json"), "x").unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent-kensa-dir/r.json"),
            "{err}"
        );
    }
}
