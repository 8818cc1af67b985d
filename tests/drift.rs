//! Drift: `kensa diff` and `scan --baseline` classify findings as new, persisting (first seen
//! carried forward) or resolved, by fingerprint; `--fail-on-new` gates on new ones only.

mod common;
use common::*;

use std::collections::BTreeSet;

/// The demo as seen on Sep 30th (fewer aged images and overdue patches) and on Nov 20th.
fn reports(dir: &tempfile::TempDir) -> (String, String) {
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    for (path, now) in [(&old, "2026-09-30T00:00:00Z"), (&new, NOW)] {
        let o = kensa(&[
            "scan",
            "--demo",
            "--now",
            now,
            "--format",
            "json",
            "--fail-on",
            "none",
            "--allow-partial",
            "--output",
            &path.display().to_string(),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    (old.display().to_string(), new.display().to_string())
}

fn fingerprints(path: &str) -> BTreeSet<String> {
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn diff_splits_new_persisting_and_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = reports(&dir);
    let o = kensa(&["diff", &old, &new, "--format", "json", "--fail-on", "none"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (a, b) = (fingerprints(&old), fingerprints(&new));
    let ch = &r["changes"];
    assert_eq!(
        ch["new"].as_u64().unwrap() as usize,
        b.difference(&a).count()
    );
    assert_eq!(
        ch["persisting"].as_u64().unwrap() as usize,
        b.intersection(&a).count()
    );
    assert_eq!(
        ch["resolved"].as_array().unwrap().len(),
        a.difference(&b).count()
    );
    // What time alone changed in the demo estate:
    let mut new_ones: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["change"] == "new")
        .map(|f| {
            format!(
                "{} {}",
                f["rule_id"].as_str().unwrap(),
                f["resource_name"].as_str().unwrap()
            )
        })
        .collect();
    new_ones.sort();
    assert_eq!(
        new_ones,
        vec![
            "image.age vm-batch-01",
            "image.age vm-web-02",
            "patch.age vm-legacy-01",
            "patch.assessment-stale vm-legacy-01"
        ]
    );
    // The JSON of a diff stays whole (a baseline for the next run): the persisting findings
    // carry the instant they were first seen.
    let persisting = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["change"] == "persisting")
        .unwrap();
    assert_eq!(persisting["first_seen"], "2026-09-30T00:00:00Z");
    // And back: the same four are resolved.
    let back: serde_json::Value = serde_json::from_slice(
        &kensa(&["diff", &new, &old, "--format", "json", "--fail-on", "none"]).stdout,
    )
    .unwrap();
    assert_eq!(back["changes"]["resolved"].as_array().unwrap().len(), 4);
    assert_eq!(back["changes"]["new"], 0);
}

#[test]
fn diff_fails_only_on_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = reports(&dir);
    // patch.age on vm-legacy-01 is new and high.
    assert_eq!(code(&kensa(&["diff", &old, &new])), 1);
    assert_eq!(
        code(&kensa(&["diff", &old, &new, "--fail-on", "critical"])),
        0,
        "the critical findings are old"
    );
    assert_eq!(code(&kensa(&["diff", &new, &new])), 0);
    let md = stdout(&kensa(&["diff", &old, &new, "--format", "markdown"]));
    assert!(
        md.contains("### What changed since `2026-09-30T00:00:00Z`") && md.contains("**4 new**"),
        "{md}"
    );
    let human = stdout(&kensa(&["diff", &new, &old, "--color", "never"]));
    assert!(
        human.contains("4 resolved") && human.contains("✔ resolved patch.age on vm-legacy-01"),
        "{human}"
    );
}

#[test]
fn scan_with_baseline_and_fail_on_new() {
    let dir = tempfile::tempdir().unwrap();
    let (old, _) = reports(&dir);
    let r = scan_json(&["--demo", "--baseline", &old]);
    assert_eq!(r["changes"]["new"], 4);
    assert_eq!(
        code(&kensa(&[
            "scan",
            "--demo",
            "--baseline",
            &old,
            "--fail-on-new",
            "--fail-on",
            "critical",
            "--allow-partial"
        ])),
        0,
        "no new critical finding (the demo's undecided checks are allowed here)"
    );
    assert_eq!(
        code(&kensa(&[
            "scan",
            "--demo",
            "--baseline",
            &old,
            "--fail-on-new"
        ])),
        1
    );
    let sarif: serde_json::Value = serde_json::from_slice(
        &kensa(&[
            "scan",
            "--demo",
            "--baseline",
            &old,
            "--format",
            "sarif",
            "--fail-on",
            "none",
        ])
        .stdout,
    )
    .unwrap();
    let states: BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states, BTreeSet::from(["new", "unchanged"]));
}

#[test]
fn a_baseline_that_is_not_a_report_is_an_error() {
    let o = kensa(&["scan", "--demo", "--baseline", &demo_file("estate.json")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not a kensa JSON report"),
        "{}",
        stderr(&o)
    );
    let o = kensa(&[
        "diff",
        &fixture("bad/malformed.json"),
        &fixture("bad/malformed.json"),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("malformed.json:9:"), "{}", stderr(&o));
}
