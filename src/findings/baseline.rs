//! Drift between two scans: every finding is new or persisting (its first-seen date carried
//! forward), and what the baseline had and this scan has not is resolved. Keyed by
//! fingerprint, so a reworded message or a moved resource row changes nothing.

use std::collections::HashMap;

use super::report::{Changes, Report, SCHEMA};
use super::{Change, Finding};
use crate::error::{Error, Result};

/// Reads a `kensa.report/v1` JSON report.
pub(crate) fn read_report(path: &std::path::Path) -> Result<Report> {
    let file = path.display().to_string();
    let text = crate::text::read::text(path).map_err(|cause| Error::Read {
        path: file.clone(),
        cause,
    })?;
    let probe: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        let at = crate::text::offset_of(&text, e.line(), e.column());
        Error::input_at(&file, &text, at, format!("malformed JSON: {e}"), "here")
    })?;
    if probe.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
        return Err(Error::input(&file, format!("not a kensa JSON report (expected \"schema\": \"{SCHEMA}\"; write one with --format json)")));
    }
    serde_json::from_value(probe)
        .map_err(|e| Error::input(&file, format!("not a {SCHEMA} report: {e}")))
}

/// Classifies `findings` against `old` (named `old_name`), in place.
pub(crate) fn diff(old: &Report, old_name: &str, findings: &mut [Finding]) -> Changes {
    let before: HashMap<&str, &Finding> = old
        .findings
        .iter()
        .map(|f| (f.fingerprint.as_str(), f))
        .collect();
    let mut persisting = 0;
    for f in findings.iter_mut() {
        match before.get(f.fingerprint.as_str()) {
            Some(prev) => {
                persisting += 1;
                f.change = Some(Change::Persisting);
                f.first_seen = Some(prev.first_seen.clone().unwrap_or_else(|| old.now.clone()));
            }
            None => f.change = Some(Change::New),
        }
    }
    let now: std::collections::HashSet<&str> =
        findings.iter().map(|f| f.fingerprint.as_str()).collect();
    let resolved: Vec<Finding> = old
        .findings
        .iter()
        .filter(|f| !now.contains(f.fingerprint.as_str()))
        .cloned()
        .collect();
    Changes {
        baseline: old_name.to_string(),
        baseline_now: old.now.clone(),
        new: findings.len() - persisting,
        persisting,
        resolved,
    }
}
