//! Every rule's cases, from one walk over `tests/rules/<rule-id>/<case>/`. A case folder
//! holds one input per source form of the same situation: `snapshot.json` (Resource Graph
//! rows, `kensa scan --snapshot`) and/or IaC folders (`arm/`, `bicep/`, `terraform/`,
//! `packer/`, each scanned with `kensa iac`), plus an optional `kensa.toml`. The rule's
//! verdicts are snapshotted once per case (`verdicts.snap`, beside the inputs), and every
//! source form must give the same verdicts: the same case through every source, the same
//! findings. Adding a rule means adding its folder; nothing here changes.

mod common;
use common::*;

use std::path::{Path, PathBuf};

/// One verdict of the rule under test: (status, resource name, where, message).
type Verdict = (String, String, String, String);

/// A case's verdicts per source form: (rule, case folder, [(source, verdicts)]).
type CaseResult = (String, PathBuf, Vec<(String, Vec<Verdict>)>);

fn verdicts(report: &serde_json::Value, rule: &str) -> Vec<Verdict> {
    let mut out = Vec::new();
    let place = |l: &serde_json::Value| match l["file"].as_str() {
        Some(f) => format!(" ({f}:{})", l["line"]),
        None => String::new(),
    };
    for f in report["findings"].as_array().into_iter().flatten() {
        if f["rule_id"] != rule {
            continue;
        }
        out.push((
            f["status"].as_str().unwrap_or_default().to_uppercase(),
            f["resource_name"].as_str().unwrap_or_default().to_string(),
            place(&f["location"]),
            f["message"].as_str().unwrap_or_default().to_string(),
        ));
    }
    for u in report["coverage"]["undecided"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if u["rule_id"] != rule {
            continue;
        }
        let id = u["resource_id"].as_str().unwrap_or_default();
        out.push((
            "UNDECIDED".into(),
            id.rsplit('/').next().unwrap_or(id).to_string(),
            place(&u["location"]),
            u["reason"].as_str().unwrap_or_default().to_string(),
        ));
    }
    out.sort();
    out
}

/// The report of one source form of a case, scanned from inside the case folder.
fn scan(case: &Path, source: &str) -> serde_json::Value {
    let dir = case.to_str().unwrap();
    let common = ["--format", "json", "--fail-on", "none", "--now", NOW];
    let mut args: Vec<&str> = if source == "snapshot.json" {
        vec!["scan", "--snapshot", source]
    } else {
        vec!["iac", source]
    };
    args.extend(common);
    let o = kensa_in(dir, &args);
    assert!(
        matches!(code(&o), 0 | 3),
        "{}/{source}: exit {}\n{}",
        case.display(),
        code(&o),
        stderr(&o)
    );
    serde_json::from_slice(&o.stdout).expect("the JSON report parses")
}

fn sources(case: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(case)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.file_name().is_some_and(|n| n == "snapshot.json"))
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    out.sort();
    out
}

fn cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let mut out = Vec::new();
    for rule in std::fs::read_dir(&root).unwrap() {
        let rule = rule.unwrap().path();
        for case in std::fs::read_dir(&rule).unwrap() {
            let case = case.unwrap().path();
            if case.is_dir() {
                let id = rule.file_name().unwrap().to_string_lossy().to_string();
                out.push((id, case));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_rule_case_gives_its_verdicts_through_every_source() {
    let cases = cases();
    assert!(!cases.is_empty());
    // Scanned in parallel (each scan is a process); checked in order.
    let results: Vec<CaseResult> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(rule, case)| {
                s.spawn(move || {
                    let per_source = sources(case)
                        .into_iter()
                        .map(|src| {
                            let v = verdicts(&scan(case, &src), rule);
                            (src, v)
                        })
                        .collect();
                    (rule.clone(), case.clone(), per_source)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut failures = Vec::new();
    for (rule, case, per_source) in results {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        assert!(!per_source.is_empty(), "{rule}/{name} has no input");
        // The same situation must get the same verdicts, whatever the source.
        let key = |v: &[Verdict]| {
            v.iter()
                .map(|(s, r, _, _)| format!("{s} {r}"))
                .collect::<Vec<_>>()
        };
        let (first_src, first) = &per_source[0];
        for (src, v) in &per_source[1..] {
            if key(v) != key(first) {
                failures.push(format!(
                    "{rule}/{name}: {src} gives {:?} but {first_src} gives {:?}",
                    key(v),
                    key(first)
                ));
            }
        }
        let mut text = String::new();
        for (src, v) in &per_source {
            text.push_str(&format!("{src}:\n"));
            if v.is_empty() {
                text.push_str("  (no findings)\n");
            }
            for (status, resource, at, message) in v {
                text.push_str(&format!("  {status} {resource}{at}: {message}\n"));
            }
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&case);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!("verdicts", text));
        }));
        if checked.is_err() {
            failures.push(format!(
                "{rule}/{name}: verdicts changed (see verdicts.snap.new)"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
