//! The Rego unit tests of the built-in pack (`policies/**/*_test.rego`), run by `cargo test`
//! through the same runner as `kensa policy test`.

use kensa::evaluate::{policy_test, Pack};

#[test]
fn every_builtin_policy_test_passes() {
    let pack = Pack::load(&[], true).expect("the built-in pack compiles");
    let results = policy_test::run(&pack, |_| true).unwrap();
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| {
            r.failure
                .as_ref()
                .map(|f| format!("{}: {} — {f}", r.file, r.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "failing policy tests:\n{}",
        failures.join("\n")
    );
    assert!(
        results.len() >= 60,
        "only {} policy tests found",
        results.len()
    );
}

#[test]
fn every_rule_has_tests_next_to_it() {
    let pack = Pack::load(&[], true).unwrap();
    for rule in &pack.rules {
        let test_file = rule.file.replace(".rego", "_test.rego");
        let has = pack
            .files
            .iter()
            .any(|f| f.path == test_file && f.source.contains("\ntest_"));
        assert!(has, "{} ({}) has no {test_file}", rule.meta.id, rule.file);
    }
}

#[test]
fn rule_ids_are_the_public_contract() {
    let pack = Pack::load(&[], false).unwrap();
    // Never renamed, never reused: this list only grows.
    assert_eq!(
        pack.ids(),
        vec![
            "disk.encryption",
            "image.age",
            "image.approved-source",
            "image.behind-latest",
            "image.pinned-version",
            "network.jit-required",
            "network.nsg-open-management-port",
            "network.vm-exposed-management-port",
            "packer.base-image-pinned",
            "packer.publishes-to-gallery",
            "packer.traceable-build",
            "patch.age",
            "patch.assessment-mode",
            "patch.assessment-stale",
        ]
    );
    for r in &pack.rules {
        assert!(
            !r.meta.description.is_empty()
                && !r.meta.remediation.is_empty()
                && !r.meta.help.is_empty(),
            "{}",
            r.meta.id
        );
        assert!(!r.meta.resource_types.is_empty(), "{}", r.meta.id);
    }
}
