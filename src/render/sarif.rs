//! SARIF 2.1.0 as GitHub code scanning ingests it: one rule per policy with descriptions,
//! markdown help and `security-severity`; results with a message naming the resource,
//! `partialFingerprints` and, for resources without a source file, a stable artifact URI
//! derived from the resource id plus a logical location carrying the full id.

use std::collections::BTreeMap;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, RunAutomationDetails, Sarif, Suppression, Tool,
    ToolComponent,
};

use crate::evaluate::Rule;
use crate::findings::report::Report;
use crate::findings::{Change, Finding, Severity};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub: ≥ 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn result_level(s: Severity) -> ResultLevel {
    match s {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low => ResultLevel::Note,
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub shows at most 1024 characters of a description.
fn cap(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let m = &rule.meta;
    let area = m.id.split('.').next().unwrap_or("kensa").to_string();
    let markdown = format!(
        "**{}**\n\n{}\n\n**Why it matters.** {}\n\n**Remediation.** {}\n\nSeverity: {} · Applies to: {}\n\nRun `kensa explain {}` for details.",
        m.title,
        m.description,
        m.help,
        m.remediation,
        m.severity.as_str(),
        m.resource_types.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
        m.id
    );
    let mut extra = BTreeMap::new();
    extra.insert(
        "security-severity".to_string(),
        json!(security_severity(m.severity)),
    );
    extra.insert("precision".to_string(), json!("high"));
    extra.insert(
        "problem.severity".to_string(),
        json!(if m.severity >= Severity::High {
            "error"
        } else {
            "warning"
        }),
    );
    ReportingDescriptor::builder()
        .id(m.id.clone())
        .name(m.id.clone())
        .short_description(
            MultiformatMessageString::builder()
                .text(cap(&m.title, 1024))
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(cap(&m.description, 1024))
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(format!("{} {}", m.help, m.remediation).trim().to_string())
                .markdown(markdown)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(m.severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec!["security".to_string(), "azure".to_string(), area])
                .additional_properties(extra)
                .build(),
        )
        .build()
}

/// `subscriptions/…/providers/…/name`, lower-cased and percent-encoded: stable for one resource.
pub fn artifact_uri(resource_id: &str) -> String {
    let mut uri = String::from("azure/");
    for b in resource_id.trim_start_matches('/').to_lowercase().bytes() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => uri.push(b as char),
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri
}

fn result(f: &Finding, rule_index: Option<usize>) -> SarifResult {
    let text = format!(
        "{}. Resource: {}",
        f.message.trim_end_matches('.'),
        f.resource_id
    );
    let mut markdown = format!(
        "{}.\n\nResource: `{}`\n\n{}",
        f.message.trim_end_matches('.'),
        f.resource_id,
        f.remediation.text
    );
    if let Some(cmd) = &f.remediation.command {
        markdown.push_str(&format!("\n\n```sh\n{cmd}\n```"));
    }
    let physical = PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(artifact_uri(&f.resource_id))
                .build(),
        )
        .region(
            Region::builder()
                .start_line(1)
                .start_column(1)
                .end_line(1)
                .end_column(2)
                .build(),
        )
        .build();
    let logical = LogicalLocation::builder()
        .name(f.resource_name.clone())
        .fully_qualified_name(f.resource_id.clone())
        .kind("resource")
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("kensa/v1".to_string(), f.fingerprint.clone());
    fingerprints.insert(
        "primaryLocationLineHash".to_string(),
        format!("{}:1", &f.fingerprint[..16]),
    );
    let mut props = BTreeMap::new();
    props.insert("severity".to_string(), json!(f.severity.as_str()));
    props.insert("resourceType".to_string(), json!(f.resource_type));
    props.insert("evidence".to_string(), f.evidence.clone());
    if let Some(cmd) = &f.remediation.command {
        props.insert("remediationCommand".to_string(), json!(cmd));
    }
    let location = Location::builder()
        .physical_location(physical)
        .logical_locations(vec![logical])
        .build();
    let mut result = SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .level(result_level(f.severity))
        .message(Message::builder().text(text).markdown(markdown).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build();
    result.rule_index = rule_index.map(|i| i as i64);
    // A waiver is an exception decided outside the code: GitHub shows the alert as dismissed.
    result.suppressions = f.waiver.as_ref().map(|w| {
        let until = w.expires.as_deref().unwrap_or("permanent");
        vec![Suppression::builder()
            .kind(json!("external"))
            .status(json!("accepted"))
            .justification(format!(
                "{} (owner {}, until {until}, {})",
                w.reason, w.owner, w.at
            ))
            .build()]
    });
    result.baseline_state = f.change.map(|c| match c {
        Change::New => json!("new"),
        Change::Persisting => json!("unchanged"),
    });
    result
}

pub fn render(report: &Report, rules: &[&Rule]) -> String {
    let descriptors: Vec<ReportingDescriptor> = rules.iter().map(|r| descriptor(r)).collect();
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|f| result(f, rules.iter().position(|r| r.meta.id == f.rule_id)))
        .collect();
    let driver = ToolComponent::builder()
        .name("kensa")
        .version(report.tool.version.clone())
        .semantic_version(report.tool.version.clone())
        .rules(descriptors)
        .build();
    let mut run_props = BTreeMap::new();
    run_props.insert("now".to_string(), json!(report.now));
    run_props.insert(
        "coverageComplete".to_string(),
        json!(report.coverage.complete),
    );
    run_props.insert("sourceGaps".to_string(), json!(report.coverage.source_gaps));
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .automation_details(RunAutomationDetails::builder().id("kensa/live/").build())
        .results(results)
        .properties(
            PropertyBag::builder()
                .additional_properties(run_props)
                .build(),
        )
        .build();
    let log = Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut s = serde_json::to_string_pretty(&log)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise SARIF: {e}\"}}"));
    s.push('\n');
    s
}
