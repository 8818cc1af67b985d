//! Speed work must not change a verdict: the benchmark's estate, at 250 VMs (one VNet, one
//! load balancer with NAT rules and pools, four scale sets; 1,700 resources), is scanned and
//! its findings and undecided checks compared with those the evaluator gave before issue #15
//! (recorded in the snapshot: counts per rule, and a SHA-256 of the findings exactly as the
//! JSON report writes them). Both evaluators are held to it: regorus' VM (the default) and
//! the interpreter. The demo estate is held by the report snapshots in reports.rs and by
//! the comparison of its two evaluations below.

mod common;

#[path = "../benches/support/estate.rs"]
mod estate;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

#[test]
fn findings_on_the_bench_estate_are_those_of_the_recorded_evaluator() {
    insta::assert_snapshot!(
        "findings_on_the_bench_estate_are_those_of_the_recorded_evaluator",
        summary("vm")
    );
}

#[test]
fn the_interpreter_gives_the_same_findings_on_the_bench_estate() {
    insta::assert_snapshot!(
        "findings_on_the_bench_estate_are_those_of_the_recorded_evaluator",
        summary("interpreter")
    );
}

/// The order rows arrive in is not the order they are evaluated in (an NSG is evaluated just
/// before the first machine behind it, which reads its internet rules from it): an export
/// grouped by table, VMs before NSGs, gives the same findings.
#[test]
fn rows_grouped_by_type_give_the_same_findings() {
    insta::assert_snapshot!(
        "findings_on_the_bench_estate_are_those_of_the_recorded_evaluator",
        summary_of("vm", true)
    );
}

#[test]
fn the_demo_gives_the_same_report_in_both_evaluators() {
    let report = |evaluator: &str| common::scan_json(&["--demo", "--evaluator", evaluator]);
    assert_eq!(report("vm"), report("interpreter"));
}

fn summary(evaluator: &str) -> String {
    summary_of(evaluator, false)
}

/// Counts per rule and digests of the bench estate's findings with `evaluator`, its rows
/// sorted by type when `by_type`.
fn summary_of(evaluator: &str, by_type: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("estate.json");
    let rows = estate::generate(250, &snapshot).unwrap();
    if by_type {
        let text = std::fs::read_to_string(&snapshot).unwrap();
        let mut body: serde_json::Value = serde_json::from_str(&text).unwrap();
        let rows = body["data"].as_array_mut().unwrap();
        rows.sort_by_key(|r| r["type"].as_str().unwrap().to_lowercase());
        std::fs::write(&snapshot, body.to_string()).unwrap();
    }
    let config = dir.path().join("kensa.toml");
    std::fs::write(&config, "[image]\napproved_galleries = [\"/subscriptions/*/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden\"]\n").unwrap();
    let report = common::scan_json(&[
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--now",
        "2026-11-20T06:00:00Z",
        "--evaluator",
        evaluator,
    ]);
    let findings = &report["findings"];
    let undecided = &report["coverage"]["undecided"];
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings.as_array().unwrap() {
        *per_rule.entry(f["rule_id"].as_str().unwrap()).or_default() += 1;
    }
    let digest = |v: &serde_json::Value| {
        let bytes = serde_json::to_vec(v).unwrap();
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let mut summary = format!(
        "resources: {rows}\nevaluations: {}\nfindings: {}\nundecided: {}\n",
        report["coverage"]["evaluations"],
        findings.as_array().unwrap().len(),
        undecided.as_array().map_or(0, Vec::len)
    );
    for (rule, n) in per_rule {
        summary.push_str(&format!("  {rule}: {n}\n"));
    }
    summary.push_str(&format!(
        "sha256 of findings: {}\nsha256 of undecided: {}\n",
        digest(findings),
        digest(undecided)
    ));
    summary
}

#[test]
fn iac_reports_are_the_same_in_both_evaluators() {
    let mut paths = vec![common::fixture("iac")];
    for rel in [
        "terraform",
        "arm-templates",
        "bicep",
        "packer",
        "checkov-cases",
    ] {
        paths.extend(common::shared(rel).map(|p| p.display().to_string()));
    }
    for path in &paths {
        let report = |evaluator: &str| {
            common::iac_json(&[
                path.as_str(),
                "--now",
                "2026-11-20T06:00:00Z",
                "--evaluator",
                evaluator,
            ])
        };
        let (vm, interpreted) = (report("vm"), report("interpreter"));
        assert!(vm["coverage"]["evaluations"].as_u64() > Some(0), "{path}");
        assert_eq!(vm, interpreted, "{path}");
    }
}
