//! Stage 1: where resources come from. Every source yields the same model: the ARM-shaped
//! JSON row exactly as Resource Graph returns it, plus where it came from.

pub mod demo;
pub mod iac;
pub mod live;
pub mod snapshot;

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

/// One resource row, kept as the raw JSON text it arrived as. Rows borrow a shared buffer so
/// an estate costs its file size in memory, not the several-fold of a parsed document.
#[derive(Clone, Debug)]
pub struct RawRow {
    buf: Arc<String>,
    start: usize,
    end: usize,
}

impl RawRow {
    /// `json` must be a sub-slice of `buf` (as serde_json's borrowed `RawValue`s are).
    pub fn within(buf: &Arc<String>, json: &str) -> RawRow {
        let start = json.as_ptr() as usize - buf.as_ptr() as usize;
        RawRow {
            buf: Arc::clone(buf),
            start,
            end: start + json.len(),
        }
    }

    pub fn owned(json: String) -> RawRow {
        let end = json.len();
        RawRow {
            buf: Arc::new(json),
            start: 0,
            end,
        }
    }

    pub fn json(&self) -> &str {
        &self.buf[self.start..self.end]
    }
}

/// Where a resource was read from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A saved Resource Graph result: file, 0-based row index and 1-based line of the row.
    Snapshot {
        file: Arc<str>,
        row: usize,
        line: usize,
    },
    /// An infrastructure-as-code file: where the resource is declared (1-based).
    File {
        file: Arc<str>,
        line: usize,
        column: usize,
    },
}

/// A source file an IaC resource came from, kept for line positions and fingerprints.
#[derive(Debug)]
pub struct SourceFile {
    /// As given on the command line (relative to the working directory when it was).
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
    hashes: OnceLock<Vec<String>>,
}

impl SourceFile {
    pub fn new(path: String, text: String) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path,
            text,
            line_starts,
            hashes: OnceLock::new(),
        }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize) {
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
    pub fn line(&self, line: usize) -> &str {
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
    pub fn line_hash(&self, line: usize) -> Option<&str> {
        self.hashes
            .get_or_init(|| crate::findings::line_hash::rolling_hashes(&self.text))
            .get(line.wrapping_sub(1))
            .map(String::as_str)
    }
}

/// Where the parts of an IaC resource were written: JSON pointer into the resource →
/// byte span in `file`.
#[derive(Debug)]
pub struct Located {
    pub file: Arc<SourceFile>,
    /// `arm`, `terraform` or `packer`.
    pub language: &'static str,
    pub spans: Vec<(String, iac::jsonc::Span)>,
}

impl Located {
    /// Whether a span was recorded for exactly `pointer` (not just an ancestor).
    pub fn has(&self, pointer: &str) -> bool {
        !pointer.is_empty()
            && self
                .spans
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(pointer))
    }

    /// The bytes the whole declaration spans.
    pub fn extent(&self) -> Option<iac::jsonc::Span> {
        let start = self.spans.iter().map(|(_, s)| s.start).min()?;
        let end = self.spans.iter().map(|(_, s)| s.end).max()?;
        Some(iac::jsonc::Span { start, end })
    }

    /// The span of the value at `pointer`, or of its nearest recorded ancestor.
    pub fn span(&self, pointer: &str) -> Option<iac::jsonc::Span> {
        nearest_span(&self.spans, pointer)
    }
}

/// The span recorded for JSON pointer `pointer` (keys compared case-insensitively), or for
/// its nearest recorded ancestor.
pub fn nearest_span(
    spans: &[(String, iac::jsonc::Span)],
    pointer: &str,
) -> Option<iac::jsonc::Span> {
    let mut p = pointer;
    loop {
        if let Some((_, s)) = spans.iter().find(|(k, _)| k.eq_ignore_ascii_case(p)) {
            return Some(*s);
        }
        if p.is_empty() {
            return None;
        }
        p = p.rsplit_once('/').map_or("", |(head, _)| head);
    }
}

/// A resource in the one model every stage after the sources works on.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The id as it arrived (mixed case).
    pub id: String,
    /// Lower-cased id: every join is case-insensitive. Shared with the inventory's index.
    pub key: Arc<str>,
    /// Lower-cased ARM type, as Resource Graph reports it.
    pub kind: String,
    pub name: String,
    pub raw: RawRow,
    pub origin: Origin,
    /// IaC resources: where each value was written.
    pub located: Option<Arc<Located>>,
}

/// Something a source could not read completely. It ends up in the report's coverage
/// section: nothing unread is ever called compliant.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceGap {
    pub source: String,
    pub reason: String,
}

/// What the sources produced, ready for the inventory.
#[derive(Default, Debug)]
pub struct Loaded {
    pub resources: Vec<Resource>,
    pub gaps: Vec<SourceGap>,
    /// Parts of the sources deliberately not followed (a linked template, a condition that
    /// depends on an unknown): listed in the coverage, not a failure.
    pub unevaluated: Vec<SourceGap>,
    /// Human names of the inputs, for the report header.
    pub inputs: Vec<String>,
}

/// Last path segment of an ARM id, used when a row carries no `name`.
pub fn name_from_id(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}
