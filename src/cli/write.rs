//! Reports are written atomically: a temporary file beside the target, then a rename, so a
//! failed or interrupted run never leaves a half-written report behind. A target that exists
//! and is not a regular file (`/dev/null`, a pipe, `/dev/stdout`) is written to directly:
//! renaming over it would replace the device with a file. An interrupted run (Ctrl-C,
//! SIGTERM from a CI runner's cancel) removes its temporary file before it exits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Temporary files being written, removed by the interrupt handler.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Exit status of a run ended by a signal, as shells report SIGINT.
const INTERRUPTED: i32 = 130;

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary files being written, then exit.
pub(crate) fn clean_up_on_interrupt() {
    // Failing to install the handler only loses the clean-up, never a report.
    let _ = ctrlc::set_handler(|| {
        remove_pending();
        std::process::exit(INTERRUPTED);
    });
}

fn remove_pending() {
    if let Ok(pending) = PENDING.lock() {
        for p in pending.iter() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Listed in `PENDING` while it lives.
struct Pending(PathBuf);

impl Pending {
    fn new(path: &Path) -> Pending {
        if let Ok(mut p) = PENDING.lock() {
            p.push(path.to_path_buf());
        }
        Pending(path.to_path_buf())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Ok(mut p) = PENDING.lock() {
            p.retain(|x| *x != self.0);
        }
    }
}

pub(crate) fn atomic(path: &Path, contents: &str) -> Result<()> {
    // `-o -`: standard output, so `kensa collect -o - | kensa scan --snapshot -` works.
    if path.as_os_str() == "-" {
        return super::print(contents);
    }
    let name = path.display().to_string();
    let fail = |cause: std::io::Error| Error::Write {
        path: name.clone(),
        cause,
    };
    // A symbolic link is written through, as a shell redirection does: the link stays.
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            let target = std::fs::read_link(path).map_err(fail)?;
            resolved = match path.parent() {
                Some(dir) if target.is_relative() => dir.join(target),
                _ => target,
            };
            resolved.as_path()
        }
        _ => path,
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
    // The file gets the permissions `touch` would give it (0666 less the umask), or keeps
    // those it had; a temporary file alone would be 0600.
    let mut builder = tempfile::Builder::new();
    builder.prefix(".kensa-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(
        std::fs::metadata(path)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::os::unix::fs::PermissionsExt::from_mode(0o666)),
    );
    // The temporary file's own name would only confuse: the error names the target.
    let mut tmp = builder.tempfile_in(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail(std::io::Error::new(
            e.kind(),
            "its directory does not exist",
        )),
        kind => fail(std::io::Error::from(kind)),
    })?;
    let _pending = Pending::new(tmp.path());
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
    fn an_interrupt_removes_the_files_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join(".kensa-x.tmp");
        std::fs::write(&tmp, "half").unwrap();
        let pending = Pending::new(&tmp);
        remove_pending();
        assert!(!tmp.exists());
        drop(pending);
        assert!(PENDING.lock().unwrap().iter().all(|p| *p != tmp));
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
    fn the_umask_decides_the_mode_and_a_link_is_written_through() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("r.json");
        atomic(&fresh, "x").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        // SAFETY: reads the process umask (and sets it back at once).
        let umask = unsafe {
            let m = libc::umask(0o022);
            libc::umask(m);
            m
        };
        assert_eq!(mode, 0o666 & !(umask as u32));
        let link = dir.path().join("latest.json");
        std::os::unix::fs::symlink("r.json", &link).unwrap();
        atomic(&link, "y").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "y");
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
