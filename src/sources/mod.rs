//! Stage 1: where resources come from. Every source yields the same model: the ARM-shaped
//! JSON row exactly as Resource Graph returns it, plus where it came from.

pub mod demo;
pub mod live;
pub mod snapshot;

use std::sync::Arc;

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
    /// Human names of the inputs, for the report header.
    pub inputs: Vec<String>,
}

/// Last path segment of an ARM id, used when a row carries no `name`.
pub fn name_from_id(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}
