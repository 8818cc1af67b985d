//! The source excerpt under an IaC finding, drawn by miette: the offending span underlined.

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};

use crate::findings::Location;

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
struct Snippet {
    message: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
}

/// The finding's message above its source line, or `None` when the file is not readable
/// any more (the report may be rendered elsewhere).
pub fn render(at: &Location, message: &str, label: &str, color: bool) -> Option<String> {
    let text = std::fs::read_to_string(&at.file).ok()?;
    let start = offset(&text, at.line, at.column)?;
    let end = if at.end_line == at.line {
        offset(&text, at.line, at.end_column).unwrap_or(start + 1)
    } else {
        start + 1
    };
    let diagnostic = Snippet {
        message: message.to_string(),
        src: NamedSource::new(&at.file, text),
        span: SourceSpan::new(start.into(), end.saturating_sub(start).max(1)),
        label: label.to_string(),
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    GraphicalReportHandler::new_themed(theme)
        .with_width(80)
        .with_context_lines(1)
        .render_report(&mut out, &diagnostic)
        .ok()?;
    Some(out)
}

/// Byte offset of a 1-based line and (character) column.
fn offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let rest = text.get(start..)?;
    let col = rest
        .char_indices()
        .nth(column.checked_sub(1)?)
        .map_or(rest.len(), |(i, _)| i);
    Some(start + col)
}
