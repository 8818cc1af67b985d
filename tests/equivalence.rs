//! Speed work must not change a verdict: the benchmark's estate, at 250 VMs (one VNet, one
//! load balancer with NAT rules and pools, four scale sets; 1,700 resources), is scanned and
//! its findings and undecided checks compared with those the evaluator gave before issue #15
//! (recorded in the snapshot: counts per rule, and a SHA-256 of the findings exactly as the
//! JSON report writes them). The demo estate is held by the report snapshots in reports.rs.

mod common;

#[path = "../benches/support/estate.rs"]
mod estate;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

#[test]
fn findings_on_the_bench_estate_are_those_of_the_recorded_evaluator() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("estate.json");
    let rows = estate::generate(250, &snapshot).unwrap();
    let config = dir.path().join("kensa.toml");
    std::fs::write(&config, "[image]\napproved_galleries = [\"/subscriptions/*/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden\"]\n").unwrap();
    let report = common::scan_json(&[
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--now",
        "2026-11-20T06:00:00Z",
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
    insta::assert_snapshot!(summary);
}
