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
    /// IaC: the value the answer depends on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<super::Location>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Live,
    Iac,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Iac => "iac",
        }
    }
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
    /// Parts of IaC sources deliberately not followed (linked templates, conditions that
    /// depend on unknown values): not failures, but not evaluated either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unevaluated: Vec<crate::sources::SourceGap>,
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

/// The golden-image rollout view: per image definition, the machines not yet on its newest
/// version. Drawn from `image.behind-latest` findings, so it says exactly what the rule says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    pub image_definition: String,
    pub latest_version: String,
    pub behind: Vec<Behind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Behind {
    pub resource_id: String,
    pub resource_name: String,
    pub running_version: String,
    pub versions_behind: u64,
    pub days_behind: i64,
}

pub const BEHIND_LATEST: &str = "image.behind-latest";

impl Rollout {
    /// The image definition's name (the last segment of its id).
    pub fn image_name(&self) -> &str {
        self.image_definition
            .rsplit('/')
            .next()
            .unwrap_or(&self.image_definition)
    }

    pub fn of(findings: &[Finding]) -> Vec<Rollout> {
        let mut by_definition: BTreeMap<(String, String), Vec<Behind>> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.rule_id == BEHIND_LATEST) {
            let e = &f.evidence;
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            by_definition
                .entry((text("image_definition"), text("latest_version")))
                .or_default()
                .push(Behind {
                    resource_id: f.resource_id.clone(),
                    resource_name: f.resource_name.clone(),
                    running_version: text("running_version"),
                    versions_behind: e["versions_behind"].as_u64().unwrap_or(0),
                    days_behind: e["days_behind"].as_i64().unwrap_or(0),
                });
        }
        by_definition
            .into_iter()
            .map(|((image_definition, latest_version), behind)| Rollout {
                image_definition,
                latest_version,
                behind,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    /// `live` (an estate: Resource Graph, snapshots, the demo) or `iac` (source files).
    #[serde(default)]
    pub mode: Mode,
    pub now: String,
    pub inputs: Vec<String>,
    pub coverage: Coverage,
    pub summary: Summary,
    /// What the waiver file did (expired, unused, expiring soon).
    pub waivers: waivers::Outcome,
    /// Against a baseline: what changed.
    pub changes: Option<Changes>,
    /// Machines not yet on the newest version of their golden image, by image definition.
    #[serde(default)]
    pub rollout: Vec<Rollout>,
    pub findings: Vec<Finding>,
}
