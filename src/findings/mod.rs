//! Stage 4: findings with stable fingerprints, and the report that carries them.

pub mod baseline;
pub mod line_hash;
pub mod report;
pub mod waivers;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::evaluate::Rule;
use crate::sources::Resource;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    /// Covered by a waiver in force: kept, counted and shown, but not failing the scan.
    Waived,
}

/// How a finding relates to the baseline scan (`--baseline`, `kensa diff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    New,
    Persisting,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    /// What to do, from the rule's metadata.
    pub text: String,
    /// A concrete command for this resource, where one exists (live resources).
    pub command: Option<String>,
    /// IaC: the corrected declaration in the source's own language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Snippet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snippet {
    /// `arm`, `terraform` or `packer`.
    pub language: String,
    pub code: String,
}

impl Snippet {
    /// The fence language of a Markdown code block.
    pub fn fence(&self) -> &'static str {
        if self.language == "arm" {
            "json"
        } else {
            "hcl"
        }
    }
}

/// Where in a source file the finding points (IaC); null for live and snapshot findings.
/// Lines and columns are 1-based; the end is inclusive-exclusive as SARIF regions are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    #[serde(default)]
    pub end_line: usize,
    #[serde(default)]
    pub end_column: usize,
    /// GitHub's `primaryLocationLineHash` of the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_hash: Option<String>,
    /// When the finding is about the resource as a whole (no single offending value): the
    /// lines of its declaration, where an inline waiver may sit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<(usize, usize)>,
}

impl Location {
    /// The location of the value at JSON pointer `at` in an IaC resource (or of its
    /// nearest ancestor the source recorded); `None` for live resources.
    pub fn of(resource: &Resource, at: &str) -> Option<Location> {
        let located = resource.located.as_ref()?;
        let span = located.span(at)?;
        let file = &located.file;
        let (line, column) = file.position(span.start);
        // One line at most: GitHub shows an alert in a pull request only when every line
        // of its region is in the diff.
        let text = file.line(line);
        let (end_line, end_column) = {
            let (l, c) = file.position(span.end);
            if l == line {
                (l, c)
            } else {
                (line, text.chars().count() + 1)
            }
        };
        let declaration = if located.has(at) {
            None
        } else {
            located
                .extent()
                .map(|e| (file.position(e.start).0, file.position(e.end).0))
        };
        Some(Location {
            file: file.path.clone(),
            line,
            column,
            end_line,
            end_column,
            line_hash: file.line_hash(line).map(str::to_string),
            declaration,
        })
    }
}

/// A JSON pointer from a rule's `at`: an array of keys and indexes, or a pointer string.
pub fn pointer(at: Option<&serde_json::Value>) -> String {
    match at {
        Some(serde_json::Value::Array(parts)) => parts
            .iter()
            .map(|p| match p {
                serde_json::Value::String(s) => {
                    format!("/{}", s.replace('~', "~0").replace('/', "~1"))
                }
                other => format!("/{other}"),
            })
            .collect(),
        Some(serde_json::Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub status: Status,
    pub resource_id: String,
    pub resource_type: String,
    pub resource_name: String,
    pub message: String,
    pub evidence: serde_json::Value,
    pub remediation: Remediation,
    pub location: Option<Location>,
    pub fingerprint: String,
    /// The waiver that covers this finding (status `waived`).
    #[serde(default)]
    pub waiver: Option<waivers::Waiver>,
    /// Against a baseline: new or persisting, and since when it has been seen.
    #[serde(default)]
    pub change: Option<Change>,
    #[serde(default)]
    pub first_seen: Option<String>,
}

/// Stable across runs and machines: the rule id, the lower-cased resource id and the rule's
/// discriminator (a port, a disk) — never the message, which may be reworded.
pub fn fingerprint(rule_id: &str, resource_id: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{rule_id}\n{}\n{key}", resource_id.to_lowercase()));
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Sorts findings for deterministic output and drops duplicates.
pub fn sorted(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| {
                a.resource_id
                    .to_lowercase()
                    .cmp(&b.resource_id.to_lowercase())
            })
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    findings
}

/// Shapes one member of a rule's `deny` set (an object with `msg`, or a string) into a
/// finding on `resource`.
pub fn shape(rule: &Rule, resource: &Resource, value: &serde_json::Value) -> Result<Finding> {
    let contract = |what: &str| Error::Policy {
        file: rule.file.clone(),
        message: format!(
            "rule {}: a `deny` member {what} (got {})",
            rule.meta.id, value
        ),
    };
    let (message, key, evidence, command, severity) = match value {
        serde_json::Value::String(msg) => (
            msg.clone(),
            String::new(),
            serde_json::json!({}),
            None,
            rule.meta.severity,
        ),
        serde_json::Value::Object(o) => {
            let msg = o
                .get("msg")
                .and_then(|m| m.as_str())
                .ok_or_else(|| contract("needs a string `msg`"))?;
            let key = match o.get("key") {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            let severity = match o.get("severity") {
                None => rule.meta.severity,
                Some(s) => serde_json::from_value(s.clone()).map_err(|_| {
                    contract("has a `severity` that is not low|medium|high|critical")
                })?,
            };
            let command = o.get("fix").and_then(|f| f.as_str()).map(str::to_string);
            (
                msg.to_string(),
                key,
                o.get("evidence")
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({})),
                command,
                severity,
            )
        }
        _ => return Err(contract("must be an object or a string")),
    };
    Ok(Finding {
        fingerprint: fingerprint(&rule.meta.id, &resource.id, &key),
        rule_id: rule.meta.id.clone(),
        severity,
        status: Status::Open,
        resource_id: resource.id.clone(),
        resource_type: resource.kind.clone(),
        resource_name: resource.name.clone(),
        message,
        evidence,
        // An IaC finding is fixed in the source, not with `az` on a resource that does not
        // exist yet: the rule's corrected snippet in the file's language replaces the command.
        remediation: match &resource.located {
            Some(l) => Remediation {
                text: rule.meta.remediation.clone(),
                command: None,
                snippet: rule.meta.snippets.get(l.language).map(|code| Snippet {
                    language: l.language.to_string(),
                    code: code.clone(),
                }),
            },
            None => Remediation {
                text: rule.meta.remediation.clone(),
                command,
                snippet: None,
            },
        },
        location: Location::of(resource, &pointer(value.get("at"))),
        waiver: None,
        change: None,
        first_seen: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_id_case_but_not_key() {
        let a = fingerprint(
            "network.nsg-open-management-port",
            "/subscriptions/S/resourceGroups/RG/x",
            "22",
        );
        let b = fingerprint(
            "network.nsg-open-management-port",
            "/subscriptions/s/resourcegroups/rg/X",
            "22",
        );
        let c = fingerprint(
            "network.nsg-open-management-port",
            "/subscriptions/s/resourcegroups/rg/x",
            "3389",
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 32);
        // Pinned: a change here would reopen every alert users have triaged.
        assert_eq!(fingerprint("r", "/x", ""), fingerprint("r", "/X", ""));
    }

    #[test]
    fn severity_orders_low_to_critical() {
        assert!(
            Severity::Critical > Severity::High
                && Severity::High > Severity::Medium
                && Severity::Medium > Severity::Low
        );
    }
}
