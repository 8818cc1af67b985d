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
/// blocking forever. A regular file is mapped, not copied: see `Text`.
pub(crate) fn stream_text(path: &Path) -> std::io::Result<Text> {
    if path.as_os_str() != "-" && std::fs::metadata(path)?.is_file() {
        let file = std::fs::File::open(path)?;
        if file.metadata()?.len() > 0 {
            // A file system that cannot map files is read instead.
            // SAFETY: the map is read-only and private; kensa never writes to it. Another
            // process truncating the file during the scan would fault the reads (as it
            // would for ripgrep's maps); changing it could make the text differ from what
            // was validated below, which kensa accepts for a snapshot it was pointed at.
            if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
                std::str::from_utf8(&map).map_err(|e| not_utf8(&map, e.valid_up_to()))?;
                let start = if map.starts_with("\u{feff}".as_bytes()) {
                    '\u{feff}'.len_utf8()
                } else {
                    0
                };
                return Ok(Text::Mapped { map, start });
            }
        }
    }
    read(path, true).map(Text::Owned)
}

/// An input's text: owned, or a read-only map of a large file. A snapshot is read once to
/// index it and then only row by row, so its pages are handed back to the kernel's page
/// cache (`release`) instead of being held: a 2.6 GB estate does not have to fit in the
/// process's memory beside everything built from it.
pub(crate) enum Text {
    Owned(String),
    /// UTF-8 checked when mapped; `start` skips a byte-order mark.
    Mapped {
        map: memmap2::Mmap,
        start: usize,
    },
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Owned(s) => s,
            // SAFETY: checked to be UTF-8 when mapped, and `start` is a char boundary.
            Text::Mapped { map, start } => unsafe { std::str::from_utf8_unchecked(&map[*start..]) },
        }
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Text({} bytes)", self.len())
    }
}

impl Text {
    /// Drops the mapped pages from this process (they stay in the page cache, and a later
    /// read faults them back in); owned text stays.
    #[cfg(unix)]
    pub(crate) fn release(&self) {
        if let Text::Mapped { map, .. } = self {
            // SAFETY: DONTNEED on a read-only file map only discards clean pages, which
            // read back unchanged from the file. Failing to advise costs memory, not results.
            let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }

    /// Windows has no such advice for a view of a file; its pages stay mapped.
    #[cfg(not(unix))]
    pub(crate) fn release(&self) {}
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
        Err(e) => Err(not_utf8(e.as_bytes(), e.utf8_error().valid_up_to())),
    }
}

/// The invalid byte at `valid`, named by line and column.
fn not_utf8(bytes: &[u8], valid: usize) -> Error {
    let before = String::from_utf8_lossy(&bytes[..valid]);
    let (line, column) = super::line_column(&before, before.len());
    Error::new(
        ErrorKind::InvalidData,
        format!(
            "not UTF-8 text: invalid byte 0x{:02x} at line {line}, column {column}",
            bytes[valid]
        ),
    )
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
    fn a_mapped_file_reads_as_its_text_and_bad_bytes_are_placed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("estate.json");
        std::fs::write(&file, b"\xef\xbb\xbf[\n{\"id\": 1}]").unwrap();
        let text = stream_text(&file).unwrap();
        assert!(matches!(text, Text::Mapped { .. }));
        assert_eq!(&*text, "[\n{\"id\": 1}]");
        // Released pages read back unchanged.
        text.release();
        assert_eq!(&*text, "[\n{\"id\": 1}]");
        std::fs::write(&file, b"[\n\"\xff\"]").unwrap();
        let e = stream_text(&file).unwrap_err();
        assert_eq!(
            e.to_string(),
            "not UTF-8 text: invalid byte 0xff at line 2, column 2"
        );
        std::fs::write(&file, b"").unwrap();
        assert_eq!(&*stream_text(&file).unwrap(), "");
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
        assert_eq!(&*stream_text(&fifo).unwrap(), "");
        // A writer's text is read whole.
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, "[]"))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        let got = stream_text(&fifo).unwrap();
        writer.join().unwrap().unwrap();
        assert!(&*got == "[]" || got.is_empty(), "{}", &*got);
    }
}
