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

use crate::evaluate::{Meta, Severity, Undecided};
use crate::findings::report::Report;
use crate::findings::{Change, Finding};
use crate::text::{clip, Location as FileLocation};

/// GitHub shows at most 1024 characters of a description.
const GITHUB_MAX_TEXT: usize = 1024;

pub(crate) const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub: ≥ 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
pub(crate) fn security_severity(s: Severity) -> &'static str {
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

fn descriptor(m: &Meta, docs: &str) -> ReportingDescriptor {
    let area = m.id.split('.').next().unwrap_or("kensa").to_string();
    let snippets: String = m
        .snippets
        .iter()
        .map(|(lang, code)| {
            let fence = if lang == "arm" { "json" } else { "hcl" };
            format!("\n\n**Corrected ({lang}).**\n\n```{fence}\n{code}\n```")
        })
        .collect();
    let markdown = format!(
        "**{}**\n\n{}\n\n**Why it matters.** {}\n\n**Remediation.** {}{snippets}\n\nSeverity: {} · Applies to: {}\n\nRun `kensa explain {}` for details.",
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
        .help_uri(format!("{}/{}.md", docs.trim_end_matches('/'), m.id))
        .short_description(
            MultiformatMessageString::builder()
                .text(clip(&m.title, GITHUB_MAX_TEXT))
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(clip(&m.description, GITHUB_MAX_TEXT))
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
pub(crate) fn artifact_uri(resource_id: &str) -> String {
    let mut uri = String::from("azure/");
    for b in resource_id.trim_start_matches('/').to_lowercase().bytes() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => uri.push(b as char),
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri
}

/// A source file region for IaC findings; for live resources a stable artifact derived from
/// the resource id (GitHub shows only results with a file location).
fn physical(at: Option<&FileLocation>, resource_id: &str) -> PhysicalLocation {
    let (uri, region) = match at {
        Some(l) => (
            // Outside the working directory: an absolute file URI, which code scanning
            // relativises against the checkout.
            if l.file.starts_with('/') {
                format!("file://{}", l.file)
            } else {
                l.file.clone()
            },
            Region::builder()
                .start_line(l.line as i64)
                .start_column(l.column as i64)
                .end_line(l.end_line.max(l.line) as i64)
                .end_column(l.end_column.max(l.column + 1) as i64)
                .build(),
        ),
        None => (
            artifact_uri(resource_id),
            Region::builder()
                .start_line(1)
                .start_column(1)
                .end_line(1)
                .end_column(2)
                .build(),
        ),
    };
    PhysicalLocation::builder()
        .artifact_location(ArtifactLocation::builder().uri(uri).build())
        .region(region)
        .build()
}

/// A module call the finding was reached through (`file:line module.x`), as a related
/// location: GitHub links it under the alert.
fn call_site(via: &str) -> Option<Location> {
    let (place, label) = via.split_once(' ')?;
    let (file, line) = place.rsplit_once(':')?;
    let line: i64 = line.parse().ok()?;
    Some(
        Location::builder()
            .physical_location(
                PhysicalLocation::builder()
                    .artifact_location(ArtifactLocation::builder().uri(file.to_string()).build())
                    .region(Region::builder().start_line(line).build())
                    .build(),
            )
            .message(
                Message::builder()
                    .text(format!("called as {label}"))
                    .build(),
            )
            .build(),
    )
}

/// GitHub's hash of the line for IaC; for live resources (no file) one derived from the
/// finding's own fingerprint, equally stable.
fn line_hash(at: Option<&FileLocation>, fingerprint: &str) -> String {
    at.and_then(|l| l.line_hash.clone())
        .unwrap_or_else(|| format!("{}:1", &fingerprint[..16.min(fingerprint.len())]))
}

/// An IaC question a rule could not answer (a value only known at deployment): a `review`
/// result, so the pull request shows where the answer depends on a parameter.
fn undecided(u: &Undecided, rule_index: Option<usize>) -> Option<SarifResult> {
    let at = u.location.as_ref()?;
    let text = format!("Cannot decide {}: {}", u.rule_id, u.reason);
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(
        "kensa/v1".to_string(),
        crate::findings::fingerprint(
            &u.rule_id,
            &u.resource_id,
            &format!("undecided\n{}", u.reason),
        ),
    );
    if let Some(h) = &at.line_hash {
        fingerprints.insert("primaryLocationLineHash".to_string(), h.clone());
    }
    let mut r = SarifResult::builder()
        .rule_id(u.rule_id.clone())
        .level(ResultLevel::Note)
        .kind(serde_sarif::sarif::ResultKind::Review)
        .message(Message::builder().text(text).build())
        .locations(vec![Location::builder()
            .physical_location(physical(Some(at), &u.resource_id))
            .build()])
        .partial_fingerprints(fingerprints)
        .build();
    r.rule_index = rule_index.map(|i| i as i64);
    Some(r)
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
    if let Some(snippet) = &f.remediation.snippet {
        markdown.push_str(&format!(
            "\n\nCorrected ({}):\n\n```{}\n{}\n```",
            snippet.language,
            snippet.fence(),
            snippet.code
        ));
    }
    let physical = physical(f.location.as_ref(), &f.resource_id);
    let logical = LogicalLocation::builder()
        .name(f.resource_name.clone())
        .fully_qualified_name(f.resource_id.clone())
        .kind("resource")
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("kensa/v1".to_string(), f.fingerprint.clone());
    fingerprints.insert(
        "primaryLocationLineHash".to_string(),
        line_hash(f.location.as_ref(), &f.fingerprint),
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
            .kind(json!(if w.inline { "inSource" } else { "external" }))
            .status(json!("accepted"))
            .justification(format!(
                "{} (owner {}, until {until}, {})",
                w.reason, w.owner, w.at
            ))
            .build()]
    });
    result.related_locations = f
        .location
        .as_ref()
        .filter(|l| !l.via.is_empty())
        .map(|l| l.via.iter().filter_map(|v| call_site(v)).collect());
    result.baseline_state = f.change.map(|c| match c {
        Change::New => json!("new"),
        Change::Persisting => json!("unchanged"),
    });
    result
}

pub(crate) fn render(report: &Report, opts: &super::Options) -> String {
    let rules = &report.rules;
    let descriptors: Vec<ReportingDescriptor> = rules
        .iter()
        .map(|m| descriptor(m, &opts.rule_docs_url))
        .collect();
    let index = |id: &str| rules.iter().position(|m| m.id == id);
    let mut results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|f| result(f, index(&f.rule_id)))
        .collect();
    results.extend(
        report
            .coverage
            .undecided
            .iter()
            .filter_map(|u| undecided(u, index(&u.rule_id))),
    );
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
    // How compliant the scanned estate or files are (machines, resources, per scope, per rule).
    run_props.insert("compliance".to_string(), json!(report.compliance));
    if !report.coverage.rule_failures.is_empty() {
        run_props.insert(
            "ruleFailures".to_string(),
            json!(report.coverage.rule_failures),
        );
    }
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .automation_details(
            RunAutomationDetails::builder()
                .id(format!("kensa/{}/", report.mode.as_str()))
                .build(),
        )
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
