//! A message over a marked span of a source text, as miette draws it: the excerpt under an
//! IaC finding, a waiver warning at its line. One type, so every such drawing looks alike.

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Marked {
    pub(crate) message: String,
    /// Shared, not copied: a file with thousands of findings or waivers is held once.
    pub(crate) src: NamedSource<std::sync::Arc<super::SourceFile>>,
    pub(crate) span: SourceSpan,
    pub(crate) label: String,
    pub(crate) severity: Severity,
    /// A diagnostic code shown above the message (`kensa::waiver`), if any.
    pub(crate) code: Option<&'static str>,
}

impl Diagnostic for Marked {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.code
            .map(|c| Box::new(c) as Box<dyn std::fmt::Display + 'a>)
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.label.clone()),
            self.span,
        ))))
    }
}
