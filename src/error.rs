//! Operational errors (bad input, unreadable files, broken policies). Findings are never
//! errors. Every error names the file, and the line and column where one is known.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::text::{floor_char_boundary, line_column};

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum Error {
    // The cause is part of the message, not a `source`: miette would print it twice.
    #[error("cannot read {path}: {cause}")]
    #[diagnostic(code(kensa::io))]
    Read { path: String, cause: std::io::Error },

    #[error("cannot write {path}: {cause}")]
    #[diagnostic(code(kensa::io))]
    Write { path: String, cause: std::io::Error },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(Box<InputError>),

    #[error("policy {file}: {message}")]
    #[diagnostic(code(kensa::policy))]
    Policy { file: String, message: String },

    /// A command-line value that cannot be used.
    #[error("{flag} {value:?}: {problem}")]
    #[diagnostic(code(kensa::argument))]
    Argument {
        flag: &'static str,
        value: String,
        problem: String,
    },

    #[error("{0}")]
    #[diagnostic(code(kensa::usage))]
    Usage(String),

    /// Every input was unreadable: nothing was scanned.
    #[error("no file could be scanned ({} skipped)", .0.len())]
    #[diagnostic(code(kensa::input))]
    NothingScanned(#[related] Vec<Error>),
}

/// Bad input: where (file:line:column), what, and a bounded excerpt of the file.
#[derive(Debug, Error, Diagnostic)]
#[error("{location}: {message}")]
#[diagnostic(code(kensa::input))]
pub(crate) struct InputError {
    pub(crate) location: String,
    pub(crate) message: String,
    #[source_code]
    src: Option<Excerpt>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    help: Option<String>,
}

impl Error {
    /// An input error at byte `offset` of `text` (the whole file), shown with a short,
    /// bounded excerpt: snapshots can be one 200 MB line, which must never be echoed.
    pub(crate) fn input_at(
        file: &str,
        text: &str,
        offset: usize,
        message: impl Into<String>,
        label: &str,
    ) -> Error {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let (line, column) = line_column(text, offset);
        let (excerpt, span) = excerpt(text, offset);
        Error::Input(Box::new(InputError {
            location: format!("{file}:{line}:{column}"),
            message: message.into(),
            src: Some(Excerpt {
                name: file.to_string(),
                text: excerpt,
                line: line - 1,
            }),
            span: Some(span),
            label: label.to_string(),
            help: None,
        }))
    }

    /// An input error without a position (the file as a whole).
    pub(crate) fn input(file: &str, message: impl Into<String>) -> Error {
        Error::Input(Box::new(InputError {
            location: file.to_string(),
            message: message.into(),
            src: None,
            span: None,
            label: String::new(),
            help: None,
        }))
    }

    pub(crate) fn with_help(mut self, text: impl Into<String>) -> Error {
        if let Error::Input(e) = &mut self {
            e.help = Some(text.into());
        }
        self
    }
}

/// One line of a file, shown with its real line number.
#[derive(Debug)]
pub(crate) struct Excerpt {
    name: String,
    text: String,
    /// 0-based line of the file the excerpt comes from.
    line: usize,
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

const EXCERPT_WIDTH: usize = 120;

/// The line holding `offset`, cut to a window around it, and the span of `offset` in it.
fn excerpt(text: &str, offset: usize) -> (String, SourceSpan) {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let from = floor_char_boundary(
        text,
        offset.saturating_sub(EXCERPT_WIDTH / 2).max(line_start),
    );
    let to = floor_char_boundary(text, (from + EXCERPT_WIDTH).min(line_end));
    let to = to.max(offset);
    let mut shown = String::new();
    let mut at = offset - from;
    if from > line_start {
        shown.push('…');
        at += '…'.len_utf8();
    }
    shown.push_str(&text[from..to]);
    if to < line_end {
        shown.push('…');
    }
    let len = shown[at..].chars().next().map_or(0, char::len_utf8);
    (shown, SourceSpan::new(at.into(), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_of_a_huge_line_is_bounded() {
        let text = format!("[{}x{}]", "1,".repeat(100_000), ",2".repeat(100_000));
        let off = text.find('x').unwrap();
        let (shown, span) = excerpt(&text, off);
        assert!(
            shown.chars().count() <= EXCERPT_WIDTH + 2,
            "{}",
            shown.len()
        );
        assert_eq!(&shown[span.offset()..span.offset() + span.len()], "x");
    }
}
