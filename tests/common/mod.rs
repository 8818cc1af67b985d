//! Helpers shared by the integration tests: run the real binary, find the shared data.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const NOW: &str = "2026-11-20T06:00:00Z";

pub fn kensa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the kensa binary runs")
}

/// `kensa ARGS…` run in `dir` (IaC paths are reported relative to the working directory).
pub fn kensa_in(dir: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the kensa binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
        .display()
        .to_string()
}

/// `../shared/external/<rel>` beside the repository, or None (with a note) when absent.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/external")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is missing (../shared is not beside the repository)",
            p.display()
        );
        None
    }
}

/// `kensa scan --format json --fail-on none ARGS…`, which must exit 0 or 3 (incomplete:
/// the demo has undecided checks): the parsed report.
pub fn scan_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["scan", "--format", "json", "--fail-on", "none"];
    all.extend_from_slice(args);
    let o = kensa(&all);
    assert!(
        matches!(code(&o), 0 | 3),
        "exit {}: {}",
        code(&o),
        stderr(&o)
    );
    serde_json::from_slice(&o.stdout).expect("the JSON report parses")
}

/// `kensa scan --snapshot SNAPSHOT` judged as the demo is (its kensa.toml, its instant),
/// `--fail-on none`, then `extra` (a format, a colour).
pub fn scan_as_demo(snapshot: &str, extra: &[&str]) -> Output {
    let cfg = demo_file("kensa.toml");
    let mut args = vec![
        "scan",
        "--snapshot",
        snapshot,
        "--config",
        &cfg,
        "--now",
        NOW,
        "--fail-on",
        "none",
    ];
    args.extend_from_slice(extra);
    kensa(&args)
}

pub fn demo_json() -> serde_json::Value {
    scan_json(&["--demo"])
}

/// Names of the resources a rule flagged.
pub fn flagged(report: &serde_json::Value, rule: &str) -> Vec<String> {
    findings_of(report)
        .into_iter()
        .filter(|(r, _)| r == rule)
        .map(|(_, n)| n)
        .collect()
}

/// Findings of the demo report as (rule id, resource name, key evidence) tuples.
pub fn findings_of(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["resource_name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A report's findings, without where the waiver file was read from (the same waivers read
/// from the embedded demo and from fixtures/ differ only there).
pub fn comparable_findings(report: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut findings = report["findings"].as_array().cloned().unwrap_or_default();
    for f in &mut findings {
        f["waiver"]["at"] = serde_json::Value::Null;
    }
    findings
}

/// The settings IaC tests scan with unless they give their own: the platform team's golden
/// gallery is the approved image source (without one, image.approved-source is undecided).
pub fn iac_config() -> String {
    fixture("iac/kensa.toml")
}

/// `kensa iac --format json --fail-on none ARGS…` (with `iac_config()` unless ARGS name a
/// `--config`), which must exit 0 or 3 (incomplete): the parsed report.
pub fn iac_json(args: &[&str]) -> serde_json::Value {
    let config = iac_config();
    let mut all = vec!["iac", "--format", "json", "--fail-on", "none"];
    if !args.contains(&"--config") {
        all.extend(["--config", config.as_str()]);
    }
    all.extend_from_slice(args);
    let o = kensa(&all);
    assert!(
        matches!(code(&o), 0 | 3),
        "exit {}: {}",
        code(&o),
        stderr(&o)
    );
    serde_json::from_slice(&o.stdout).expect("the JSON report parses")
}

/// (file name, line) of an IaC finding's location.
pub fn file_and_line(finding: &serde_json::Value) -> (String, u64) {
    let file = finding["location"]["file"].as_str().unwrap_or_default();
    (
        file.rsplit('/').next().unwrap_or_default().to_string(),
        finding["location"]["line"].as_u64().unwrap_or(0),
    )
}

/// Every rule's metadata, as `kensa policy list --format json` prints it.
pub fn rules() -> Vec<serde_json::Value> {
    let o = kensa(&["policy", "list", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("the rule list parses")
}

/// The ids of the built-in rules, in order.
pub fn rule_ids() -> Vec<String> {
    rules()
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A file of the demo estate shipped in the binary (`demo/`).
pub fn demo_file(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("demo")
        .join(rel)
        .display()
        .to_string()
}
