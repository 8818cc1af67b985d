//! Every input file is read here: only regular files (a FIFO with no writer, or a device,
//! would block or never end), as UTF-8 text whose byte-order mark is dropped, and text that
//! is not UTF-8 is named by its line and column. Standard input is read when the path is `-`.

use std::io::{Error, ErrorKind, Read};
use std::path::Path;

/// The text of the input file at `path` (`-`: standard input).
pub(crate) fn text(path: &Path) -> std::io::Result<String> {
    read(path, false)
}

/// Like `text`, but a pipe is read too (`--snapshot <(zcat estate.json.gz)`): it is opened
/// without waiting for a writer, so a FIFO nobody writes to reads as empty instead of
/// blocking forever.
pub(crate) fn stream_text(path: &Path) -> std::io::Result<String> {
    read(path, true)
}

fn read(path: &Path, pipes: bool) -> std::io::Result<String> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().lock().read_to_end(&mut buf)?;
        buf
    } else {
        // `metadata` does not open the file, so it cannot block on a FIFO.
        let meta = std::fs::metadata(path)?;
        if pipes && is_pipe(&meta) {
            return utf8(read_pipe(path)?);
        }
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "a directory"
            } else {
                "not a regular file (a pipe, socket or device); pass its contents on standard input with `-`"
            };
            return Err(Error::new(ErrorKind::InvalidInput, what));
        }
        std::fs::read(path)?
    };
    utf8(bytes)
}

#[cfg(unix)]
fn is_pipe(meta: &std::fs::Metadata) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type())
}

#[cfg(not(unix))]
fn is_pipe(_: &std::fs::Metadata) -> bool {
    false
}

/// Opened non-blocking (no wait for a writer), then read blocking until the writer closes;
/// with no writer at all the read ends at once (POSIX: end of file).
#[cfg(unix)]
fn read_pipe(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    // SAFETY: fcntl on a descriptor this function owns, with valid flag arguments.
    unsafe {
        let flags = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(f.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK);
    }
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(not(unix))]
fn read_pipe(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// `bytes` as text, its byte-order mark dropped; invalid UTF-8 is an error naming where.
pub(crate) fn utf8(bytes: Vec<u8>) -> std::io::Result<String> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..'\u{feff}'.len_utf8());
            }
            Ok(s)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let before = String::from_utf8_lossy(&bytes[..valid]);
            let (line, column) = super::line_column(&before, before.len());
            Err(Error::new(
                ErrorKind::InvalidData,
                format!(
                    "not UTF-8 text: invalid byte 0x{:02x} at line {line}, column {column}",
                    bytes[valid]
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bom_is_dropped_and_bad_bytes_are_placed() {
        assert_eq!(
            utf8(b"\xef\xbb\xbfpackage x".to_vec()).unwrap(),
            "package x"
        );
        let e = utf8(b"a = 1\nb = \"\xff\"\n".to_vec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "not UTF-8 text: invalid byte 0xff at line 2, column 6"
        );
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("estate.json");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = text(&fifo).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert!(text(dir.path()).is_err());
        // As a stream: nobody writes, so it is empty at once (no wait).
        assert_eq!(stream_text(&fifo).unwrap(), "");
        // A writer's text is read whole.
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, "[]"))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        let got = stream_text(&fifo).unwrap();
        writer.join().unwrap().unwrap();
        assert!(got == "[]" || got.is_empty(), "{got}");
    }
}
