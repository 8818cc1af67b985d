//! Stage 1: where resources come from. Every source yields the same model: the ARM-shaped
//! JSON row exactly as Resource Graph returns it, plus where it came from.

pub(crate) mod demo;
pub(crate) mod iac;
pub(crate) mod live;
pub(crate) mod snapshot;

use std::path::PathBuf;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::text::read::Text;
use crate::text::{Location, SourceFile, Span};

/// Where the estate comes from: any mix of a live read, snapshots, the demo and IaC.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    pub(crate) snapshots: Vec<PathBuf>,
    /// Infrastructure-as-code files and directories.
    pub(crate) iac: Option<iac::Selection>,
    pub(crate) demo: bool,
    /// Read the estate from Resource Graph.
    pub(crate) live: Option<live::Target>,
    /// `--quiet`: no progress bars.
    pub(crate) quiet: bool,
}

/// Whether progress may be drawn: on a terminal, outside CI, unless `--quiet`.
pub(crate) fn show_progress(quiet: bool) -> bool {
    use std::io::IsTerminal;
    !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

impl Sources {
    /// The size of the snapshot files (standard input and unreadable files count nothing).
    pub(crate) fn snapshot_bytes(&self) -> u64 {
        self.snapshots
            .iter()
            .filter(|p| p.as_os_str() != "-")
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Stage 1: every source read into one estate.
    pub(crate) fn load(&self) -> Result<Estate> {
        if self.snapshots.is_empty() && !self.demo && self.live.is_none() && self.iac.is_none() {
            return Err(Error::Usage(
                "nothing to scan: give --subscription ID, --management-group NAME or --tenant (live), --snapshot FILE, or --demo".into(),
            ));
        }
        let mut estate = Estate::default();
        if let Some(target) = &self.live {
            let collected = live::collect(target)?;
            snapshot::load_text(
                &live::describe(target),
                Text::Owned(collected.body),
                &mut estate,
            )?;
        }
        if self.demo {
            snapshot::load_text(
                demo::ESTATE_NAME,
                Text::Owned(demo::ESTATE.to_string()),
                &mut estate,
            )?;
        }
        for path in &self.snapshots {
            snapshot::load_file(path, &mut estate)?;
        }
        if let Some(selection) = &self.iac {
            iac::load(selection, &mut estate)?;
        }
        Ok(estate)
    }
}

/// One resource row, kept as the raw JSON text it arrived as. Rows borrow a shared buffer so
/// an estate costs its file size in memory, not the several-fold of a parsed document.
#[derive(Clone, Debug)]
pub(crate) struct RawRow {
    buf: Arc<Text>,
    start: usize,
    end: usize,
}

impl RawRow {
    /// `json` must be a sub-slice of `buf` (as serde_json's borrowed `RawValue`s are).
    pub(crate) fn within(buf: &Arc<Text>, json: &str) -> RawRow {
        let start = json.as_ptr() as usize - buf.as_ptr() as usize;
        RawRow {
            buf: Arc::clone(buf),
            start,
            end: start + json.len(),
        }
    }

    pub(crate) fn owned(json: String) -> RawRow {
        let end = json.len();
        RawRow {
            buf: Arc::new(Text::Owned(json)),
            start: 0,
            end,
        }
    }

    pub(crate) fn json(&self) -> &str {
        &self.buf[self.start..self.end]
    }
}

/// Where a resource was read from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Origin {
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

/// Where the parts of an IaC resource were written: JSON pointer into the resource →
/// byte span in `file`.
#[derive(Debug)]
pub(crate) struct Located {
    pub(crate) file: Arc<SourceFile>,
    /// `arm`, `terraform` or `packer`.
    pub(crate) language: &'static str,
    pub(crate) spans: Vec<(String, Span)>,
    /// The module calls the declaration was reached through, outermost first.
    pub(crate) via: Vec<String>,
}

impl Located {
    /// Whether a span was recorded for exactly `pointer` (not just an ancestor).
    pub(crate) fn has(&self, pointer: &str) -> bool {
        !pointer.is_empty()
            && self
                .spans
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(pointer))
    }

    /// The bytes the whole declaration spans.
    pub(crate) fn extent(&self) -> Option<Span> {
        let start = self.spans.iter().map(|(_, s)| s.start).min()?;
        let end = self.spans.iter().map(|(_, s)| s.end).max()?;
        Some(Span::new(start, end))
    }

    /// The span of the value at `pointer`, or of its nearest recorded ancestor.
    pub(crate) fn span(&self, pointer: &str) -> Option<Span> {
        nearest_span(&self.spans, pointer)
    }

    /// Where the value at JSON pointer `pointer` was written (or its nearest recorded
    /// ancestor); a finding about the resource as a whole also gets the declaration's lines.
    pub(crate) fn location(&self, pointer: &str) -> Option<Location> {
        let span = self.span(pointer)?;
        let declaration = if self.has(pointer) {
            None
        } else {
            self.extent()
        };
        let mut location = Location::of(&self.file, span, declaration);
        location.via = self.via.clone();
        Some(location)
    }
}

/// The span recorded for JSON pointer `pointer` (keys compared case-insensitively), or for
/// its nearest recorded ancestor.
pub(crate) fn nearest_span(spans: &[(String, Span)], pointer: &str) -> Option<Span> {
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
pub(crate) struct Resource {
    /// The id as it arrived (mixed case).
    pub(crate) id: String,
    /// Lower-cased id: every join is case-insensitive. Shared with the inventory's index.
    pub(crate) key: Arc<str>,
    /// Lower-cased ARM type, as Resource Graph reports it.
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) raw: RawRow,
    pub(crate) origin: Origin,
    /// IaC resources: where each value was written.
    pub(crate) located: Option<Arc<Located>>,
}

/// Something a source could not read completely. It ends up in the report's coverage
/// section: nothing unread is ever called compliant.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SourceGap {
    pub(crate) source: String,
    pub(crate) reason: String,
}

/// What the sources produced, ready for the inventory.
#[derive(Default, Debug)]
pub(crate) struct Estate {
    /// Problems that did not stop the scan (an IaC file skipped): shown to the user; each
    /// is also a gap.
    pub(crate) diagnostics: Vec<Error>,
    pub(crate) resources: Vec<Resource>,
    pub(crate) gaps: Vec<SourceGap>,
    /// Parts of the sources deliberately not followed (a linked template, a condition that
    /// depends on an unknown): listed in the coverage, not a failure.
    pub(crate) unevaluated: Vec<SourceGap>,
    /// Files deliberately not read on their own, and why (an ARM template compiled from a
    /// scanned Bicep file): informational, not a gap.
    pub(crate) skipped: Vec<SourceGap>,
    /// Human names of the inputs, for the report header.
    pub(crate) inputs: Vec<String>,
    /// The snapshot texts the rows point into (to release their pages between reads).
    pub(crate) texts: Vec<Arc<Text>>,
}

/// Last path segment of an ARM id, used when a row carries no `name`.
/// The path segment after `key` in an ARM id (`subscriptions`, `resourceGroups`), any case.
pub(crate) fn id_segment<'a>(id: &'a str, key: &str) -> Option<&'a str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(key) {
            return parts.next();
        }
    }
    None
}

pub(crate) fn name_from_id(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}
