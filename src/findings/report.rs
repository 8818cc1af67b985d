//! The report every renderer draws from (`kensa.report/v1`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::compliance::Compliance;
use super::coverage::Coverage;
use super::waivers::WaiverSummary;
use super::{Change, Finding, Status};
use crate::evaluate::{Meta, Severity};

pub(crate) const SCHEMA: &str = "kensa.report/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tool {
    pub(crate) name: String,
    pub(crate) version: String,
}

impl Tool {
    pub(crate) fn this() -> Tool {
        Tool {
            name: "kensa".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mode {
    #[default]
    Live,
    Iac,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Iac => "iac",
        }
    }
}

/// What fails a scan: open findings at or above a severity, optionally only new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Gate {
    /// `none` (null): never fail.
    pub(crate) fail_on: Option<Severity>,
    /// Only findings new since the baseline count (`--fail-on-new`).
    pub(crate) only_new: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub(crate) total: usize,
    pub(crate) open: usize,
    pub(crate) waived: usize,
    /// Open findings by severity.
    pub(crate) by_severity: BTreeMap<Severity, usize>,
    /// Open findings by rule.
    pub(crate) by_rule: BTreeMap<String, usize>,
    pub(crate) gate: Gate,
    pub(crate) failed: bool,
}

impl Summary {
    pub(crate) fn of(findings: &[Finding], rules: &[String], gate: Gate) -> Summary {
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

/// The one verdict of a scan, computed once: failed when the gate trips, else incomplete
/// when anything was not read, followed or decided, else passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    Failed,
    Incomplete,
    #[default]
    Passed,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Failed => "failed",
            Verdict::Incomplete => "incomplete",
            Verdict::Passed => "passed",
        }
    }

    pub(crate) fn of(summary: &Summary, coverage: &Coverage) -> Verdict {
        if summary.failed {
            Verdict::Failed
        } else if !coverage.complete {
            Verdict::Incomplete
        } else {
            Verdict::Passed
        }
    }
}

/// Against a baseline: what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Changes {
    /// The baseline report and the instant it was taken.
    pub(crate) baseline: String,
    pub(crate) baseline_now: String,
    pub(crate) new: usize,
    pub(crate) persisting: usize,
    /// Findings of the baseline that this scan no longer has.
    pub(crate) resolved: Vec<Finding>,
}

/// The golden-image rollout view: per image definition, the machines not yet on its newest
/// version. Drawn from `image.behind-latest` findings, so it says exactly what the rule says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Rollout {
    pub(crate) image_definition: String,
    pub(crate) latest_version: String,
    pub(crate) behind: Vec<Behind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Behind {
    pub(crate) resource_id: String,
    pub(crate) resource_name: String,
    pub(crate) running_version: String,
    pub(crate) versions_behind: u64,
    pub(crate) days_behind: i64,
}

pub(crate) const BEHIND_LATEST: &str = "image.behind-latest";

impl Rollout {
    /// The image definition's name (the last segment of its id).
    pub(crate) fn image_name(&self) -> &str {
        self.image_definition
            .rsplit('/')
            .next()
            .unwrap_or(&self.image_definition)
    }

    pub(crate) fn of(findings: &[Finding]) -> Vec<Rollout> {
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Report {
    pub(crate) schema: String,
    pub(crate) tool: Tool,
    /// `live` (an estate: Resource Graph, snapshots, the demo) or `iac` (source files).
    #[serde(default)]
    pub(crate) mode: Mode,
    pub(crate) now: String,
    pub(crate) inputs: Vec<String>,
    pub(crate) coverage: Coverage,
    pub(crate) summary: Summary,
    /// Failed, incomplete or passed: what every format states and the exit code follows.
    #[serde(default)]
    pub(crate) verdict: Verdict,
    /// What the waiver file did (expired, unused, expiring soon).
    pub(crate) waivers: WaiverSummary,
    /// Against a baseline: what changed.
    pub(crate) changes: Option<Changes>,
    /// Machines not yet on the newest version of their golden image, by image definition.
    #[serde(default)]
    pub(crate) rollout: Vec<Rollout>,
    /// How many of the judged resources and machines are compliant, overall, per scope and
    /// per rule.
    #[serde(default)]
    pub(crate) compliance: Compliance,
    pub(crate) findings: Vec<Finding>,
    /// The metadata of the rules that were evaluated, so a report renders on its own (SARIF
    /// rule descriptors, `kensa diff` of custom rules).
    #[serde(default)]
    pub(crate) rules: Vec<Meta>,
    /// The IaC files the findings point into, for excerpts (not serialised: a report read
    /// back from JSON shows locations without excerpts).
    #[serde(skip)]
    pub(crate) sources: Vec<std::sync::Arc<crate::text::SourceFile>>,
    /// `kensa diff`: the text formats list only the new findings.
    #[serde(skip)]
    pub(crate) changes_only: bool,
}

impl Report {
    /// This report without its findings (the JSON writer writes them apart, on every
    /// worker). Every field is named, so a new one cannot be left out unseen.
    pub(crate) fn without_findings(&self) -> Report {
        let Report {
            schema,
            tool,
            mode,
            now,
            inputs,
            coverage,
            summary,
            verdict,
            waivers,
            changes,
            rollout,
            compliance,
            findings: _,
            rules,
            sources,
            changes_only,
        } = self;
        Report {
            schema: schema.clone(),
            tool: tool.clone(),
            mode: *mode,
            now: now.clone(),
            inputs: inputs.clone(),
            coverage: coverage.clone(),
            summary: summary.clone(),
            verdict: *verdict,
            waivers: waivers.clone(),
            changes: changes.clone(),
            rollout: rollout.clone(),
            compliance: compliance.clone(),
            findings: Vec::new(),
            rules: rules.clone(),
            sources: sources.clone(),
            changes_only: *changes_only,
        }
    }

    /// The findings a text format lists: all, or only the new ones in a diff.
    pub(crate) fn listed(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| !self.changes_only || f.change == Some(Change::New))
    }
}

/// What a report is assembled from: the stages' results.
pub(crate) struct Parts<'a> {
    pub(crate) pack: &'a crate::evaluate::Pack,
    pub(crate) enabled: &'a dyn Fn(&str) -> bool,
    pub(crate) disabled: Vec<String>,
    pub(crate) inventory: &'a crate::inventory::Inventory,
    pub(crate) evaluation: crate::evaluate::Evaluation,
    pub(crate) findings: Vec<Finding>,
    pub(crate) waivers: WaiverSummary,
    pub(crate) changes: Option<Changes>,
    /// The baseline report's compliance, for the change in it.
    pub(crate) compliance_before: Option<Compliance>,
    pub(crate) gate: Gate,
    pub(crate) now: String,
    pub(crate) iac: bool,
}

impl Report {
    pub(crate) fn assemble(mut p: Parts<'_>) -> Report {
        let rules: Vec<Meta> = p
            .pack
            .rules
            .iter()
            .filter(|r| (p.enabled)(&r.meta.id))
            .map(|r| r.meta.clone())
            .collect();
        let ids: Vec<String> = rules.iter().map(|m| m.id.clone()).collect();
        let coverage = Coverage::of(p.inventory, &mut p.evaluation, ids, p.disabled);
        let summary = Summary::of(&p.findings, &coverage.rules, p.gate);
        let judged = p.evaluation.judged.iter().map(|(i, rules)| {
            let ids = rules.iter().map(|&r| p.pack.rules[r].meta.id.as_str());
            (&p.inventory.resources[*i], ids)
        });
        let mut compliance = Compliance::of(
            judged,
            &p.findings,
            &coverage.undecided,
            &coverage.rule_failures,
        );
        compliance.compare(p.compliance_before.as_ref());
        Report {
            schema: SCHEMA.into(),
            tool: Tool::this(),
            mode: if p.iac { Mode::Iac } else { Mode::Live },
            now: p.now,
            inputs: p.inventory.inputs.clone(),
            verdict: Verdict::of(&summary, &coverage),
            coverage,
            summary,
            waivers: p.waivers,
            changes: p.changes,
            rollout: Rollout::of(&p.findings),
            compliance,
            findings: p.findings,
            rules,
            sources: p.inventory.source_files(),
            changes_only: false,
        }
    }

    /// Re-judges the report against `gate` (`kensa diff`): summary and verdict follow.
    pub(crate) fn regate(&mut self, gate: Gate) {
        self.summary = Summary::of(&self.findings, &self.coverage.rules, gate);
        self.verdict = Verdict::of(&self.summary, &self.coverage);
    }
}
