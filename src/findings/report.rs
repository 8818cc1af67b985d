//! The report every renderer draws from (`kensa.report/v1`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::baseline::Changes;
use super::waivers;
use super::{Change, Finding, Severity, Status};
use crate::sources::SourceGap;

pub const SCHEMA: &str = "kensa.report/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn this() -> Tool {
        Tool {
            name: "kensa".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// A rule that could not decide for a resource (e.g. image version unknown).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Undecided {
    pub rule_id: String,
    pub resource_id: String,
    pub reason: String,
}

/// What was evaluated, and what could not be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// False when any source was incomplete: the scan cannot vouch for what it did not read.
    pub complete: bool,
    pub resources: usize,
    pub resources_by_type: BTreeMap<String, usize>,
    pub resources_evaluated: usize,
    pub evaluations: usize,
    pub rules: Vec<String>,
    pub rules_disabled: Vec<String>,
    pub source_gaps: Vec<SourceGap>,
    pub undecided: Vec<Undecided>,
    pub duplicate_rows_dropped: usize,
}

/// What fails a scan: open findings at or above a severity, optionally only new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// `none` (null): never fail.
    pub fail_on: Option<Severity>,
    /// Only findings new since the baseline count (`--fail-on-new`).
    pub only_new: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub open: usize,
    pub waived: usize,
    /// Open findings by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Open findings by rule.
    pub by_rule: BTreeMap<String, usize>,
    pub gate: Gate,
    pub failed: bool,
}

impl Summary {
    pub fn of(findings: &[Finding], rules: &[String], gate: Gate) -> Summary {
        let mut by_severity: BTreeMap<Severity, usize> =
            Severity::ALL.iter().map(|s| (*s, 0)).collect();
        let mut by_rule: BTreeMap<String, usize> = rules.iter().map(|r| (r.clone(), 0)).collect();
        let open: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.status == Status::Open)
            .collect();
        for f in &open {
            *by_severity.entry(f.severity).or_default() += 1;
            *by_rule.entry(f.rule_id.clone()).or_default() += 1;
        }
        // Without a baseline every finding is new.
        let counts = |f: &&&Finding| !gate.only_new || f.change != Some(Change::Persisting);
        let failed = gate
            .fail_on
            .is_some_and(|t| open.iter().filter(counts).any(|f| f.severity >= t));
        Summary {
            total: findings.len(),
            open: open.len(),
            waived: findings.len() - open.len(),
            by_severity,
            by_rule,
            gate,
            failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub now: String,
    pub inputs: Vec<String>,
    pub coverage: Coverage,
    pub summary: Summary,
    /// What the waiver file did (expired, unused, expiring soon).
    pub waivers: waivers::Outcome,
    /// Against a baseline: what changed.
    pub changes: Option<Changes>,
    pub findings: Vec<Finding>,
}
