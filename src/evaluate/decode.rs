//! The rule-output contract, decoded in one place. A rule's `deny` member is a message
//! string or `{"msg", "key"?, "evidence"?, "fix"?, "snippets"?, "severity"?, "at"?}`
//! (`snippets`: the corrected declaration for this finding, by source language, over the
//! rule's generic ones); an `unknown` member
//! is a reason string or `{"msg", "at"?}`. `at` is a path into `input.resource` (an array
//! of keys and indexes, or a JSON pointer) naming the value the answer depends on: for IaC
//! it becomes the file location.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::meta::Severity;
use super::pack::Rule;
use crate::error::{Error, Result};
use crate::sources::Resource;
use crate::text::Location;

/// One member of a rule's `deny` set on one resource.
#[derive(Debug, Clone)]
pub(crate) struct Violation {
    /// Index of the rule in the pack and of the resource in the inventory.
    pub(crate) rule: usize,
    pub(crate) resource: usize,
    pub(crate) message: String,
    /// The rule's discriminator (a port, a disk): part of the finding's identity.
    pub(crate) key: String,
    pub(crate) evidence: Value,
    /// A concrete command that fixes it (live resources).
    pub(crate) fix: Option<String>,
    /// The corrected declaration for this finding, by source language (IaC).
    pub(crate) snippets: std::collections::BTreeMap<String, String>,
    pub(crate) severity: Severity,
    pub(crate) location: Option<Location>,
}

/// A check a rule could not decide (its `unknown` set), as reports list it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Undecided {
    pub(crate) rule_id: String,
    pub(crate) resource_id: String,
    pub(crate) reason: String,
    /// IaC: the value the answer depends on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<Location>,
}

/// A rule that could not be evaluated on a resource: its verdict there is unknown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct RuleFailure {
    pub(crate) rule_id: String,
    pub(crate) resource_id: String,
    /// The policy file of the rule (the message names the line where Rego says it).
    pub(crate) policy: String,
    pub(crate) message: String,
}

impl RuleFailure {
    pub(crate) fn new(rule: &Rule, resource: &Resource, message: String) -> RuleFailure {
        RuleFailure {
            rule_id: rule.meta.id.clone(),
            resource_id: resource.id.clone(),
            policy: rule.file.clone(),
            message,
        }
    }
}

impl Violation {
    pub(crate) fn decode(
        (rule_index, rule): (usize, &Rule),
        (resource_index, resource): (usize, &Resource),
        value: &Value,
    ) -> Result<Violation> {
        let contract = |what: &str| Error::Policy {
            file: rule.file.clone(),
            message: format!(
                "rule {}: a `deny` member {what} (got {value})",
                rule.meta.id
            ),
        };
        let mut v = Violation {
            rule: rule_index,
            resource: resource_index,
            message: String::new(),
            key: String::new(),
            evidence: serde_json::json!({}),
            fix: None,
            snippets: Default::default(),
            severity: rule.meta.severity,
            location: None,
        };
        match value {
            Value::String(msg) => v.message = msg.clone(),
            Value::Object(o) => {
                v.message = o
                    .get("msg")
                    .and_then(Value::as_str)
                    .ok_or_else(|| contract("needs a string `msg`"))?
                    .to_string();
                v.key = match o.get("key") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                if let Some(s) = o.get("severity") {
                    v.severity = serde_json::from_value(s.clone()).map_err(|_| {
                        contract("has a `severity` that is not low|medium|high|critical")
                    })?;
                }
                v.fix = o.get("fix").and_then(Value::as_str).map(str::to_string);
                // Snippets replace the command only in IaC findings; a live finding would
                // carry them unread (a third of a large scan's findings memory).
                if let (Some(Value::Object(by_language)), Some(_)) =
                    (o.get("snippets"), &resource.located)
                {
                    v.snippets = by_language
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect();
                }
                if let Some(e) = o.get("evidence") {
                    v.evidence = e.clone();
                }
            }
            _ => return Err(contract("must be an object or a string")),
        }
        v.location = location(resource, value.get("at"));
        Ok(v)
    }
}

impl Undecided {
    pub(crate) fn decode(rule: &Rule, resource: &Resource, value: &Value) -> Undecided {
        let reason = match (value, value.get("msg")) {
            (Value::String(s), _) => s.clone(),
            (_, Some(Value::String(m))) => m.clone(),
            _ => value.to_string(),
        };
        Undecided {
            rule_id: rule.meta.id.clone(),
            resource_id: resource.id.clone(),
            reason,
            location: location(resource, value.get("at")),
        }
    }
}

/// Where `at` points in an IaC resource's file; `None` for live resources.
fn location(resource: &Resource, at: Option<&Value>) -> Option<Location> {
    resource.located.as_ref()?.location(&pointer(at))
}

/// A JSON pointer from a rule's `at`: an array of keys and indexes, or a pointer string.
fn pointer(at: Option<&Value>) -> String {
    match at {
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match p {
                Value::String(s) => format!("/{}", s.replace('~', "~0").replace('/', "~1")),
                other => format!("/{other}"),
            })
            .collect(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}
