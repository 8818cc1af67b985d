//! The policy pack as a public contract: its Rego unit tests pass, every rule has tests and
//! a case folder beside it, rule ids are never renamed or removed, and the documentation
//! generated from the rules' metadata is current. Set KENSA_UPDATE_DOCS=1 to regenerate
//! docs/rules/ and the README's rule table.

mod common;
use common::*;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_builtin_policy_test_passes() {
    let o = kensa(&["policy", "test"]);
    let out = stdout(&o);
    assert_eq!(
        code(&o),
        0,
        "failing policy tests:\n{}",
        out.lines()
            .filter(|l| l.starts_with("FAIL"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let passed: usize = out
        .lines()
        .last()
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 60, "only {passed} policy tests found:\n{out}");
}

fn rego_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rego_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rego") {
            out.push(p);
        }
    }
}

#[test]
fn every_rule_file_has_tests_next_to_it() {
    let mut files = Vec::new();
    rego_files(&root().join("policies"), &mut files);
    let rules: Vec<&PathBuf> = files
        .iter()
        .filter(|p| !p.to_string_lossy().ends_with("_test.rego"))
        .filter(|p| !p.starts_with(root().join("policies/lib")))
        .collect();
    assert_eq!(
        rules.len(),
        rule_ids().len(),
        "one rule per file outside policies/lib"
    );
    for r in rules {
        let test = r.with_file_name(format!(
            "{}_test.rego",
            r.file_stem().unwrap().to_string_lossy()
        ));
        let text = std::fs::read_to_string(&test).unwrap_or_default();
        assert!(
            text.contains("\ntest_"),
            "{} has no tests in {}",
            r.display(),
            test.display()
        );
    }
}

#[test]
fn rule_ids_are_the_public_contract() {
    let ids = rule_ids();
    // Every id ever released has a page in docs/rules/; a page whose rule is gone means a
    // rule was renamed or removed, which the contract forbids.
    for entry in std::fs::read_dir(root().join("docs/rules")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let id = name.trim_end_matches(".md");
        assert!(
            ids.iter().any(|i| i == id),
            "docs/rules/{name} names no rule: rule ids are never renamed, reused or removed"
        );
    }
    for r in rules() {
        let id = r["id"].as_str().unwrap();
        for field in ["title", "description", "remediation", "help"] {
            assert!(
                !r[field].as_str().unwrap_or_default().is_empty(),
                "{id}: {field}"
            );
        }
        assert!(!r["resource_types"].as_array().unwrap().is_empty(), "{id}");
        assert!(
            root().join("tests/rules").join(id).is_dir(),
            "{id} has no case folder tests/rules/{id}/"
        );
    }
}

#[test]
fn generated_rule_docs_are_current() {
    let update = std::env::var_os("KENSA_UPDATE_DOCS").is_some();
    let dir = tempfile::tempdir().unwrap();
    let o = kensa(&["policy", "docs", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let docs = root().join("docs/rules");
    for id in rule_ids() {
        let fresh = std::fs::read_to_string(dir.path().join(format!("{id}.md"))).unwrap();
        let path = docs.join(format!("{id}.md"));
        if update {
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed, fresh,
            "docs/rules/{id}.md is stale: run KENSA_UPDATE_DOCS=1 cargo test --test policies"
        );
    }
    let table = stdout(&kensa(&["policy", "list", "--format", "markdown"]));
    let readme_path = root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (begin, end) = ("<!-- rules:begin -->\n", "<!-- rules:end -->");
    let a = readme.find(begin).expect("README has a rules:begin marker") + begin.len();
    let b = readme.find(end).expect("README has a rules:end marker");
    if update {
        let mut new = readme.clone();
        new.replace_range(a..b, &table);
        std::fs::write(&readme_path, new).unwrap();
    } else {
        assert_eq!(
            &readme[a..b],
            table,
            "the README's rule table is stale: run KENSA_UPDATE_DOCS=1 cargo test --test policies"
        );
    }
}
