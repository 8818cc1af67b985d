//! Stage 4: findings with stable fingerprints, and the report that carries them.

pub(crate) mod baseline;
pub(crate) mod compliance;
pub(crate) mod coverage;
pub(crate) mod report;
pub(crate) mod waivers;

use std::fmt::Write as _;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::evaluate::{Pack, Rule, Severity, Violation};
use crate::inventory::Inventory;
use crate::sources::Resource;
use crate::text::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Open,
    /// Covered by a waiver in force: kept, counted and shown, but not failing the scan.
    Waived,
}

/// How a finding relates to the baseline scan (`--baseline`, `kensa diff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Change {
    New,
    Persisting,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Remediation {
    /// What to do, from the rule's metadata.
    pub(crate) text: String,
    /// A concrete command for this resource, where one exists (live resources).
    pub(crate) command: Option<String>,
    /// IaC: the corrected declaration in the source's own language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) snippet: Option<Snippet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Snippet {
    /// `arm`, `terraform` or `packer`.
    pub(crate) language: String,
    pub(crate) code: String,
}

impl Snippet {
    /// The fence language of a Markdown code block.
    pub(crate) fn fence(&self) -> &'static str {
        match self.language.as_str() {
            "arm" => "json",
            "bicep" => "bicep",
            _ => "hcl",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Finding {
    pub(crate) rule_id: String,
    pub(crate) severity: Severity,
    pub(crate) status: Status,
    pub(crate) resource_id: String,
    pub(crate) resource_type: String,
    pub(crate) resource_name: String,
    pub(crate) message: String,
    pub(crate) evidence: serde_json::Value,
    pub(crate) remediation: Remediation,
    pub(crate) location: Option<Location>,
    pub(crate) fingerprint: String,
    /// The waiver that covers this finding (status `waived`).
    #[serde(default)]
    pub(crate) waiver: Option<Waiver>,
    /// Against a baseline: new or persisting, and since when it has been seen.
    #[serde(default)]
    pub(crate) change: Option<Change>,
    #[serde(default)]
    pub(crate) first_seen: Option<String>,
}

/// A waiver as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Waiver {
    pub(crate) rule: String,
    pub(crate) resource: String,
    pub(crate) reason: String,
    pub(crate) owner: String,
    /// `YYYY-MM-DD`, or null for a permanent waiver (`--allow-permanent-waivers`).
    pub(crate) expires: Option<String>,
    pub(crate) ticket: Option<String>,
    /// Where it is written: `file:line`.
    pub(crate) at: String,
    /// A `kensa:ignore` comment in the IaC source (SARIF: an in-source suppression).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) inline: bool,
}

/// Stable across runs and machines: the rule id, the lower-cased resource id and the rule's
/// discriminator (a port, a disk) — never the message, which may be reworded.
pub(crate) fn fingerprint(rule_id: &str, resource_id: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{rule_id}\n{}\n{key}", resource_id.to_lowercase()));
    let mut hex = String::with_capacity(32);
    for b in digest.iter().take(16) {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// The findings of an evaluation, in report order, one per fingerprint.
pub(crate) fn collect(
    violations: Vec<Violation>,
    pack: &Pack,
    inventory: &Inventory,
) -> Vec<Finding> {
    // On every worker: a large scan has tens of thousands (a fingerprint, a fix each).
    let mut found: Vec<(&str, Finding)> = violations
        .into_par_iter()
        .map(|v| {
            let (rule, resource) = (&pack.rules[v.rule], &inventory.resources[v.resource]);
            (&*resource.key, Finding::of(v, rule, resource))
        })
        .collect();
    // Resources by their id in lower case: the inventory's key, not a copy per comparison.
    found.par_sort_by(|(a_key, a), (b_key, b)| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a_key.cmp(b_key))
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    let mut findings: Vec<Finding> = found.into_iter().map(|(_, f)| f).collect();
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    findings
}

impl Finding {
    /// The finding a rule's decoded `deny` member makes on `resource`.
    pub(crate) fn of(v: Violation, rule: &Rule, resource: &Resource) -> Finding {
        Finding {
            fingerprint: fingerprint(&rule.meta.id, &resource.id, &v.key),
            rule_id: rule.meta.id.clone(),
            severity: v.severity,
            status: Status::Open,
            resource_id: resource.id.clone(),
            resource_type: resource.kind.clone(),
            resource_name: resource.name.clone(),
            message: v.message,
            evidence: v.evidence,
            // An IaC finding is fixed in the source, not with `az` on a resource that does
            // not exist yet: the rule's corrected snippet in the file's language replaces
            // the command.
            remediation: match &resource.located {
                Some(l) => Remediation {
                    text: rule.meta.remediation.clone(),
                    command: None,
                    // This finding's own snippet (its port, OS, names), else the rule's.
                    snippet: v
                        .snippets
                        .get(l.language)
                        .or_else(|| rule.meta.snippets.get(l.language))
                        .map(|code| Snippet {
                            language: l.language.to_string(),
                            code: named(code, l.language, &resource.name, v.location.as_ref()),
                        }),
                },
                None => Remediation {
                    text: rule.meta.remediation.clone(),
                    command: v
                        .fix
                        .map(|c| match compliance::subscription_of(&resource.id) {
                            Some(sub) => with_subscription(&c, sub),
                            None => c,
                        }),
                    snippet: None,
                },
            },
            location: v.location,
            waiver: None,
            change: None,
            first_seen: None,
        }
    }
}

/// The snippet with a first comment line naming what it fixes and where (Terraform, Bicep
/// and Packer have comments; ARM JSON does not).
fn named(code: &str, language: &str, name: &str, at: Option<&crate::text::Location>) -> String {
    let mark = match language {
        "terraform" | "packer" => "#",
        "bicep" => "//",
        _ => return code.to_string(),
    };
    let place = at
        .map(|l| format!(" ({}:{})", l.file, l.line))
        .unwrap_or_default();
    let name = name.replace(char::is_control, " ");
    format!("{mark} fixes {name}{place}\n{code}")
}

/// `s` as one shell word (a subscription id read from a file may hold anything).
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        s.to_string()
    } else {
        format!(
            "'{}'",
            s.replace('\'', "'\\''").replace(char::is_control, " ")
        )
    }
}

/// `command` with `--subscription SUB` on each `az` command in it (they are chained with
/// `&&`, a `#` comment may follow): the shell's default subscription is not necessarily the
/// resource's. `az rest` names the subscription in its URL and takes no such option.
fn with_subscription(command: &str, subscription: &str) -> String {
    let (code, comment) = match command.find("  #") {
        Some(at) => command.split_at(at),
        None => (command, ""),
    };
    let parts: Vec<String> = code
        .split(" && ")
        .map(|part| {
            let part = part.trim_end();
            if part.starts_with("az ")
                && !part.starts_with("az rest")
                && !part.contains("--subscription")
            {
                format!("{part} --subscription {}", shell_word(subscription))
            } else {
                part.to_string()
            }
        })
        .collect();
    format!("{}{comment}", parts.join(" && "))
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

    #[test]
    fn every_az_command_names_the_subscription() {
        let c = "az vm deallocate -g rg -n vm && az vm start -g rg -n vm  # restarts";
        assert_eq!(
            with_subscription(c, "s1"),
            "az vm deallocate -g rg -n vm --subscription s1 && az vm start -g rg -n vm --subscription s1  # restarts"
        );
        let rest = "az rest --method put --url \"/subscriptions/s1/x\"";
        assert_eq!(with_subscription(rest, "s1"), rest);
    }
}
