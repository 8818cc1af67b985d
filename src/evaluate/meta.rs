//! What a rule says about itself: its `metadata` rule. The id is a public contract.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub(crate) const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Meta {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) severity: Severity,
    pub(crate) description: String,
    pub(crate) remediation: String,
    #[serde(default)]
    pub(crate) help: String,
    /// Lower-cased resource types the rule reads; `*` for every type.
    pub(crate) resource_types: Vec<String>,
    /// The corrected code for IaC findings, by source language (`arm`, `bicep`,
    /// `terraform`, `packer`): what the offending declaration should say instead.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) snippets: BTreeMap<String, String>,
}
