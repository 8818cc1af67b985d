//! Source text and positions, owned in one place: a file is read once into a `SourceFile`;
//! byte spans, line/column positions, line hashes and the `Location` a finding carries are
//! all computed here. Every other module asks this one.

pub(crate) mod line_hash;
pub(crate) mod location;
pub(crate) mod marked;
pub(crate) mod read;
pub(crate) mod secrets;

use std::sync::{Arc, OnceLock};

pub(crate) use location::Location;

/// A byte range `[start, end)` in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The text the span covers in `src` (empty when it does not fit).
    pub(crate) fn text(self, src: &str) -> &str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

/// A source file (IaC) kept for line positions, excerpts and fingerprints.
#[derive(Debug)]
pub(crate) struct SourceFile {
    /// As given on the command line (relative to the working directory when it was).
    pub(crate) path: String,
    pub(crate) text: String,
    line_starts: Vec<usize>,
    hashes: OnceLock<Vec<String>>,
    masked: OnceLock<Arc<SourceFile>>,
    /// Values the readers found secret by declaration (`@secure()`, `securestring`,
    /// `sensitive = true`) whatever their names: masked with the rest.
    secrets: std::sync::Mutex<Vec<Span>>,
}

impl SourceFile {
    pub(crate) fn new(path: String, text: String) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path,
            text,
            line_starts,
            hashes: OnceLock::new(),
            masked: OnceLock::new(),
            secrets: std::sync::Mutex::default(),
        }
    }

    /// Marks the text at `span` as a secret value (before anything is shown).
    pub(crate) fn mark_secret(&self, span: Span) {
        if let Ok(mut s) = self.secrets.lock() {
            s.push(span);
        }
    }

    /// The file as kensa shows it: secret values masked, every offset unchanged.
    pub(crate) fn masked(&self) -> Arc<SourceFile> {
        Arc::clone(self.masked.get_or_init(|| {
            let spans = self.secrets.lock().map(|s| s.clone()).unwrap_or_default();
            Arc::new(SourceFile::new(
                self.path.clone(),
                secrets::mask_text(&self.text, &spans),
            ))
        }))
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|s| *s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |t| t.chars().count() + 1);
        (line, column)
    }

    /// The text of 1-based `line`, without its line break.
    pub(crate) fn line(&self, line: usize) -> &str {
        let start = self
            .line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(0);
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or_default()
            .trim_end_matches(['\n', '\r'])
    }

    /// GitHub's `primaryLocationLineHash` of 1-based `line`.
    pub(crate) fn line_hash(&self, line: usize) -> Option<&str> {
        self.hashes
            .get_or_init(|| line_hash::rolling_hashes(&self.text))
            .get(line.wrapping_sub(1))
            .map(String::as_str)
    }

    /// Byte offset of a 1-based line and (character) column; `None` beyond the text.
    pub(crate) fn offset(&self, line: usize, column: usize) -> Option<usize> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let rest = self.text.get(start..)?;
        let col = rest
            .char_indices()
            .nth(column.checked_sub(1)?)
            .map_or(rest.len(), |(i, _)| i);
        Some(start + col)
    }
}

/// `text` cut to at most `max` characters, the last of them `…` when it was cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// How many line feeds `bytes` holds (vectorised: a 2.6 GB snapshot's rows are numbered
/// by counting them, on one thread before the rows are read on all).
pub(crate) fn newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// 1-based line and column of a byte offset in `text` (without building a `SourceFile`:
/// snapshots can be hundreds of megabytes).
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = newlines(before.as_bytes()) + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset of a 1-based line and column (as serde_json and toml report them); the end
/// of the text when beyond it.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = text[start..].split('\n').next().unwrap_or("");
    let col = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    start + col
}

/// The largest char boundary at or before `i`.
pub(crate) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// miette draws excerpts straight from the file's text, starting a few lines above the span
/// (found through the line index): miette's own reader scans from the start of the text, once
/// per excerpt, which made thousands of excerpts of one file quadratic.
impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        use miette::{MietteSpanContents, SourceSpan};
        let (line, _) = self.position(span.offset());
        let first = line.saturating_sub(1 + context_lines_before);
        let base = self.line_starts.get(first).copied().unwrap_or(0);
        let window = self.text.get(base..).unwrap_or("");
        let local = SourceSpan::new((span.offset().saturating_sub(base)).into(), span.len());
        let c = window.read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new(
            c.data(),
            SourceSpan::new((base + c.span().offset()).into(), c.span().len()),
            first + c.line(),
            c.column(),
            first + c.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_round_trip() {
        let text = "{\n  \"a\": 1,\n  \"b\": x\n}";
        let off = offset_of(text, 3, 8);
        assert_eq!(&text[off..off + 1], "x");
        assert_eq!(line_column(text, off), (3, 8));
        let file = SourceFile::new("f".into(), text.into());
        assert_eq!(file.position(off), (3, 8));
        assert_eq!(file.offset(3, 8), Some(off));
        assert_eq!(file.line(3), "  \"b\": x");
        assert_eq!(file.offset(9, 1), None);
    }
}
