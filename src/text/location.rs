//! Where in a source file a finding points: the one `Location` every stage after the
//! sources carries (sources compute it; findings, waivers and renderers read it).

use serde::{Deserialize, Serialize};

use super::{SourceFile, Span};

/// Lines and columns are 1-based; the end is exclusive, as SARIF regions are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Location {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    #[serde(default)]
    pub(crate) end_line: usize,
    #[serde(default)]
    pub(crate) end_column: usize,
    /// GitHub's `primaryLocationLineHash` of the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) line_hash: Option<String>,
    /// When the finding is about the resource as a whole (no single offending value): the
    /// lines of its declaration, where an inline waiver may sit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) declaration: Option<(usize, usize)>,
    /// The module calls that lead to the declaration (Terraform, Bicep), outermost first,
    /// as `file:line module.name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) via: Vec<String>,
}

impl Location {
    /// The location of `span` in `file`, cut to its first line (GitHub shows an alert in a
    /// pull request only when every line of its region is in the diff); `declaration` is
    /// the whole declaration's span when the finding is about the resource as a whole.
    pub(crate) fn of(file: &SourceFile, span: Span, declaration: Option<Span>) -> Location {
        let (line, column) = file.position(span.start);
        let (end_line, end_column) = {
            let (l, c) = file.position(span.end);
            if l == line {
                (l, c)
            } else {
                (line, file.line(line).chars().count() + 1)
            }
        };
        Location {
            file: file.path.clone(),
            line,
            column,
            end_line,
            end_column,
            line_hash: file.line_hash(line).map(str::to_string),
            declaration: declaration.map(|e| (file.position(e.start).0, file.position(e.end).0)),
            via: Vec::new(),
        }
    }
}
