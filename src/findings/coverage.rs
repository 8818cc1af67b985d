//! What a scan evaluated, and what it could not: built in one place from the inventory and
//! the evaluation, so every report says the same about what it vouches for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::evaluate::{Evaluation, RuleFailure, Undecided};
use crate::inventory::Inventory;
use crate::sources::SourceGap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Coverage {
    /// False when any source was incomplete: the scan cannot vouch for what it did not read.
    pub(crate) complete: bool,
    pub(crate) resources: usize,
    pub(crate) resources_by_type: BTreeMap<String, usize>,
    pub(crate) resources_evaluated: usize,
    pub(crate) evaluations: usize,
    pub(crate) rules: Vec<String>,
    pub(crate) rules_disabled: Vec<String>,
    pub(crate) source_gaps: Vec<SourceGap>,
    pub(crate) undecided: Vec<Undecided>,
    /// Parts of IaC sources deliberately not followed (linked templates, conditions that
    /// depend on unknown values): not failures, but not evaluated either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) unevaluated: Vec<SourceGap>,
    pub(crate) duplicate_rows_dropped: usize,
    /// Files deliberately not read on their own, and why (a compiled template whose Bicep
    /// source was scanned instead): not a gap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) skipped: Vec<SourceGap>,
    /// Rules that failed on a resource (a runtime error in the policy): their verdict there
    /// is unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) rule_failures: Vec<RuleFailure>,
}

impl Coverage {
    /// `rules` are the ids of the rules that ran, `disabled` those the configuration turned
    /// off.
    pub(crate) fn of(
        inventory: &Inventory,
        evaluation: &mut Evaluation,
        rules: Vec<String>,
        disabled: Vec<String>,
    ) -> Coverage {
        let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
        for r in &inventory.resources {
            *by_type.entry(r.kind.clone()).or_default() += 1;
        }
        let mut undecided = std::mem::take(&mut evaluation.undecided);
        undecided.sort();
        let mut source_gaps = inventory.gaps.clone();
        source_gaps.sort();
        let mut unevaluated = inventory.unevaluated.clone();
        unevaluated.sort();
        let mut rule_failures = std::mem::take(&mut evaluation.failures);
        rule_failures.sort();
        if evaluation.resources_evaluated == 0 {
            source_gaps.push(SourceGap {
                source: "scan".into(),
                reason: "nothing was judged: no resource that any rule applies to was read".into(),
            });
        }
        Coverage {
            complete: source_gaps.is_empty()
                && unevaluated.is_empty()
                && undecided.is_empty()
                && rule_failures.is_empty(),
            resources: inventory.resources.len(),
            resources_by_type: by_type,
            resources_evaluated: evaluation.resources_evaluated,
            evaluations: evaluation.evaluations,
            rules,
            rules_disabled: disabled,
            source_gaps,
            undecided,
            unevaluated,
            duplicate_rows_dropped: inventory.duplicates,
            skipped: {
                let mut s = inventory.skipped.clone();
                s.sort();
                s
            },
            rule_failures,
        }
    }
}
