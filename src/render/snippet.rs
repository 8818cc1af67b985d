//! The source excerpt under an IaC finding, drawn by miette: the offending span underlined.

use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};

use crate::text::marked::Marked;
use crate::text::{Location, SourceFile};

/// The finding's message above its source line, or `None` when the report does not carry
/// the file (a report read back from JSON).
pub(crate) fn render(
    sources: &[Arc<SourceFile>],
    at: &Location,
    message: &str,
    label: &str,
    color: bool,
) -> Option<String> {
    let file = sources.iter().find(|f| f.path == at.file)?;
    let start = file.offset(at.line, at.column)?;
    let end = if at.end_line == at.line {
        file.offset(at.line, at.end_column).unwrap_or(start + 1)
    } else {
        start + 1
    };
    let diagnostic = Marked {
        message: message.to_string(),
        // Secrets on the lines around the finding are masked.
        src: NamedSource::new(&at.file, file.masked()),
        span: SourceSpan::new(start.into(), end.saturating_sub(start).max(1)),
        label: label.to_string(),
        severity: miette::Severity::Error,
        code: None,
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
