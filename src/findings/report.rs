//! The report every renderer draws from (`kensa.report/v1`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Finding, Severity};
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub open: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub by_rule: BTreeMap<String, usize>,
    /// Open findings at or above this severity fail the scan (`none`: never).
    pub fail_on: Option<Severity>,
    pub failed: bool,
}

impl Summary {
    pub fn of(findings: &[Finding], rules: &[String], fail_on: Option<Severity>) -> Summary {
        let mut by_severity: BTreeMap<Severity, usize> =
            Severity::ALL.iter().map(|s| (*s, 0)).collect();
        let mut by_rule: BTreeMap<String, usize> = rules.iter().map(|r| (r.clone(), 0)).collect();
        for f in findings {
            *by_severity.entry(f.severity).or_default() += 1;
            *by_rule.entry(f.rule_id.clone()).or_default() += 1;
        }
        let open = findings
            .iter()
            .filter(|f| f.status == super::Status::Open)
            .count();
        let failed = fail_on.is_some_and(|t| {
            findings
                .iter()
                .any(|f| f.status == super::Status::Open && f.severity >= t)
        });
        Summary {
            total: findings.len(),
            open,
            by_severity,
            by_rule,
            fail_on,
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
    pub findings: Vec<Finding>,
}
