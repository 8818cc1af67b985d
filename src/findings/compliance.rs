//! "How compliant are we", not only "what is wrong": of the resources the rules judged, how
//! many have no open finding — overall, for the machines (VMs and scale sets), per scope (a
//! subscription, or an IaC file) and per rule. A resource with an undecided check is counted
//! apart, never as compliant.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{Finding, Status};
use crate::evaluate::{RuleFailure, Undecided};
use crate::sources::{Origin, Resource};

const MACHINE_TYPES: [&str; 2] = [
    "microsoft.compute/virtualmachines",
    "microsoft.compute/virtualmachinescalesets",
];

/// Resources judged, and how they stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tally {
    pub(crate) evaluated: usize,
    /// No open finding, nothing undecided (waived findings do not count against it).
    pub(crate) compliant: usize,
    /// At least one open finding.
    pub(crate) failing: usize,
    /// No open finding, but a check that could not be decided.
    pub(crate) undecided: usize,
}

impl Tally {
    fn add(&mut self, state: State) {
        self.evaluated += 1;
        match state {
            State::Compliant => self.compliant += 1,
            State::Failing => self.failing += 1,
            State::Undecided => self.undecided += 1,
        }
    }

    /// Compliant share in percent (one decimal); `None` when nothing was judged.
    pub(crate) fn percent(&self) -> Option<f64> {
        (self.evaluated > 0)
            .then(|| (self.compliant as f64 * 1000.0 / self.evaluated as f64).round() / 10.0)
    }

    /// "12 of 20 (60.0%)".
    pub(crate) fn phrase(&self) -> String {
        match self.percent() {
            Some(p) => format!("{} of {} ({p:.1}%)", self.compliant, self.evaluated),
            None => "none evaluated".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Compliant,
    Failing,
    Undecided,
}

/// One scope: a subscription (an estate) or a file (IaC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ScopeCompliance {
    pub(crate) scope: String,
    pub(crate) machines: Tally,
    pub(crate) resources: Tally,
}

/// One rule: the resources it judged, and how many passed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RuleCompliance {
    pub(crate) rule_id: String,
    pub(crate) evaluated: usize,
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    pub(crate) undecided: usize,
}

/// Against a baseline: the compliant shares it had (percent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ComplianceBefore {
    pub(crate) machines: Option<f64>,
    pub(crate) resources: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Compliance {
    pub(crate) machines: Tally,
    pub(crate) resources: Tally,
    /// Per subscription (estate) or file (IaC), by name.
    pub(crate) scopes: Vec<ScopeCompliance>,
    pub(crate) rules: Vec<RuleCompliance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) before: Option<ComplianceBefore>,
}

/// The scope a resource is counted in: its file (IaC), else its subscription.
pub(crate) fn scope_of<'a>(resource_id: &'a str, origin: &'a Origin) -> &'a str {
    match origin {
        Origin::File { file, .. } => file,
        Origin::Snapshot { .. } => subscription_of(resource_id).unwrap_or("(tenant)"),
    }
}

/// The subscription id in a resource id, as written.
pub(crate) fn subscription_of(resource_id: &str) -> Option<&str> {
    crate::sources::id_segment(resource_id, "subscriptions").filter(|s| !s.is_empty())
}

impl Compliance {
    /// `judged`: each resource the rules ran on, with the ids of those rules.
    pub(crate) fn of<'r, I: Iterator<Item = &'r str>>(
        judged: impl Iterator<Item = (&'r Resource, I)>,
        findings: &[Finding],
        undecided: &[Undecided],
        failures: &[RuleFailure],
    ) -> Compliance {
        let open = by_resource(
            findings
                .iter()
                .filter(|f| f.status == Status::Open)
                .map(|f| (&f.resource_id, &f.rule_id)),
        );
        let unsure = by_resource(
            undecided
                .iter()
                .map(|u| (&u.resource_id, &u.rule_id))
                .chain(failures.iter().map(|f| (&f.resource_id, &f.rule_id))),
        );
        let has =
            |rules: Option<&BTreeSet<&str>>, rule: &str| rules.is_some_and(|r| r.contains(rule));
        let mut out = Compliance::default();
        let mut scopes: BTreeMap<&str, ScopeCompliance> = BTreeMap::new();
        let mut rules: BTreeMap<&str, RuleCompliance> = BTreeMap::new();
        for (resource, rule_ids) in judged {
            // Looked up once per resource, not once per rule (80k resources at 20k VMs).
            let key: &str = &resource.key;
            let (failing, undecided) = (open.get(key), unsure.get(key));
            let mut state = State::Compliant;
            for rule in rule_ids {
                let r = rules.entry(rule).or_insert_with(|| RuleCompliance {
                    rule_id: rule.to_string(),
                    evaluated: 0,
                    passed: 0,
                    failed: 0,
                    undecided: 0,
                });
                r.evaluated += 1;
                if has(failing, rule) {
                    r.failed += 1;
                    state = State::Failing;
                } else if has(undecided, rule) {
                    r.undecided += 1;
                    if state == State::Compliant {
                        state = State::Undecided;
                    }
                } else {
                    r.passed += 1;
                }
            }
            let s = scopes
                .entry(scope_of(&resource.id, &resource.origin))
                .or_insert_with_key(|scope| ScopeCompliance {
                    scope: scope.to_string(),
                    machines: Tally::default(),
                    resources: Tally::default(),
                });
            out.resources.add(state);
            s.resources.add(state);
            if MACHINE_TYPES.contains(&resource.kind.as_str()) {
                out.machines.add(state);
                s.machines.add(state);
            }
        }
        out.scopes = scopes.into_values().collect();
        out.rules = rules.into_values().collect();
        out
    }

    /// The shares a baseline report had, when it states them.
    pub(crate) fn compare(&mut self, baseline: Option<&Compliance>) {
        self.before = baseline
            .filter(|b| b.resources.evaluated > 0)
            .map(|b| ComplianceBefore {
                machines: b.machines.percent(),
                resources: b.resources.percent(),
            });
    }
}

/// Lower-cased resource id → the rules named with it.
fn by_resource<'a>(
    pairs: impl Iterator<Item = (&'a String, &'a String)>,
) -> HashMap<String, BTreeSet<&'a str>> {
    let mut out: HashMap<String, BTreeSet<&str>> = HashMap::new();
    for (id, rule) in pairs {
        out.entry(id.to_lowercase()).or_default().insert(rule);
    }
    out
}

/// "+2.5 points" / "−1.0 points" / "unchanged", against a baseline share.
pub(crate) fn change(now: Option<f64>, before: Option<f64>) -> Option<String> {
    let (now, before) = (now?, before?);
    let d = ((now - before) * 10.0).round() / 10.0;
    Some(if d > 0.0 {
        format!("+{d:.1} points")
    } else if d < 0.0 {
        format!("−{:.1} points", -d)
    } else {
        "unchanged".into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_changes_read_as_people_say_them() {
        let t = Tally {
            evaluated: 3,
            compliant: 2,
            failing: 1,
            undecided: 0,
        };
        assert_eq!(t.phrase(), "2 of 3 (66.7%)");
        assert_eq!(Tally::default().phrase(), "none evaluated");
        assert_eq!(
            change(Some(66.7), Some(50.0)).as_deref(),
            Some("+16.7 points")
        );
        assert_eq!(change(Some(50.0), Some(50.0)).as_deref(), Some("unchanged"));
        assert_eq!(
            subscription_of("/subscriptions/abc/resourceGroups/rg"),
            Some("abc")
        );
    }
}
