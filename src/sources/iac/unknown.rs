//! The unknown protocol every IaC reader shares: a value that cannot be known before
//! deployment (a parameter without a value, `reference()`, `known after apply`…) stands in
//! its place as `{"kensa:unknown": "<why>"}`. Evaluators propagate it; the inventory and
//! the policies recognise it (`util.unknown` in Rego), so a rule that depends on it reports
//! the check as undecided instead of passing or failing with confidence.

use serde_json::{json, Value};

pub(crate) const UNKNOWN_KEY: &str = "kensa:unknown";

pub(crate) fn unknown(reason: impl Into<String>) -> Value {
    json!({ UNKNOWN_KEY: reason.into() })
}

/// The reason of an unknown value; `None` for a known one.
pub(crate) fn unknown_reason(v: &Value) -> Option<&str> {
    match v {
        Value::Object(o) if o.len() == 1 => o.get(UNKNOWN_KEY).and_then(Value::as_str),
        _ => None,
    }
}

/// Whether a serialised document may hold an unknown anywhere: a cheap text test that errs
/// towards "maybe". The key is written as itself, or with `\u` escapes (a snapshot's rows
/// keep the text they came with: `"kensa\u003aunknown"` is the same key), so any `\u`
/// counts too; a "maybe" only makes the rules run their unknown checks.
pub(crate) fn mentioned_in(json: &str) -> bool {
    json.contains(UNKNOWN_KEY) || json.contains("\\u")
}
