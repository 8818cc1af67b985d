//! Every input file is read here: only regular files (a FIFO with no writer, or a device,
//! would block or never end), as UTF-8 text whose byte-order mark is dropped, and text that
//! is not UTF-8 is named by its line and column. Standard input is read when the path is `-`.

use std::io::{Error, ErrorKind, Read};
use std::path::Path;

/// The text of the input file at `path` (`-`: standard input).
pub(crate) fn text(path: &Path) -> std::io::Result<String> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().lock().read_to_end(&mut buf)?;
        buf
    } else {
        // `metadata` does not open the file, so it cannot block on a FIFO.
        let meta = std::fs::metadata(path)?;
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
    }
}
