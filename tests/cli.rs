//! The binary end to end: exit codes, flags, and bad input (a diagnostic naming the file
//! and line, exit 2, no report file left behind, never a panic).

mod common;
use common::*;

#[test]
fn demo_fails_on_high_by_default_and_passes_with_none() {
    assert_eq!(code(&kensa(&["scan", "--demo"])), 1);
    // With no gate the demo is still incomplete: two of its checks are undecided.
    assert_eq!(code(&kensa(&["scan", "--demo", "--fail-on", "none"])), 3);
    assert_eq!(
        code(&kensa(&[
            "scan",
            "--demo",
            "--fail-on",
            "none",
            "--allow-partial"
        ])),
        0
    );
    // The demo's worst finding is critical, so a critical threshold still fails…
    assert_eq!(
        code(&kensa(&["scan", "--demo", "--fail-on", "critical"])),
        1
    );
}

#[test]
fn fail_on_threshold_counts_only_that_severity_and_above() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("k.toml");
    // Only the low rule left: fails on low, passes on medium.
    let others: Vec<String> = rule_ids()
        .into_iter()
        .filter(|id| id != "patch.assessment-mode")
        .collect();
    std::fs::write(&cfg, format!("[rules]\ndisable = {:?}\n", others)).unwrap();
    let c = cfg.display().to_string();
    assert_eq!(
        code(&kensa(&[
            "scan",
            "--demo",
            "--config",
            &c,
            "--fail-on",
            "low"
        ])),
        1
    );
    assert_eq!(
        code(&kensa(&[
            "scan",
            "--demo",
            "--config",
            &c,
            "--fail-on",
            "medium"
        ])),
        0
    );
}

#[test]
fn output_file_is_written_and_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let o = kensa(&[
        "scan",
        "--demo",
        "--format",
        "sarif",
        "--output",
        &out.display().to_string(),
        "--fail-on",
        "none",
    ]);
    assert_eq!(code(&o), 3, "incomplete (undecided checks): {}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("open finding(s)"));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn now_changes_time_based_verdicts() {
    // On Sep 30th, image 1.3.0 (published Sep 10th) was 20 days old and 1.1.0 old but not
    // yet end-of-life (Oct 1st); at the demo's instant vm-web-02 is flagged too.
    let early = scan_json(&["--demo", "--now", "2026-09-30T00:00:00Z"]);
    assert_eq!(early["now"], "2026-09-30T00:00:00Z");
    assert_eq!(
        flagged(&early, "image.age"),
        vec!["vm-batch-01"],
        "old, not yet end-of-life"
    );
    assert!(!early.to_string().contains("past its end-of-life"));
    let mut late = flagged(&demo_json(), "image.age");
    late.dedup();
    assert_eq!(late, vec!["vm-batch-01", "vm-web-02"]);
    let bad = kensa(&["scan", "--demo", "--now", "yesterday"]);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("RFC 3339"), "{}", stderr(&bad));
}

#[test]
fn snapshot_file_equals_the_embedded_demo() {
    let estate = demo_file("estate.json");
    let cfg = demo_file("kensa.toml");
    let from_file = scan_json(&["--snapshot", &estate, "--config", &cfg, "--now", NOW]);
    assert_eq!(
        comparable_findings(&from_file),
        comparable_findings(&demo_json())
    );
}

#[test]
fn nothing_to_scan_is_a_usage_error() {
    let o = kensa(&["scan"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--snapshot"), "{}", stderr(&o));
}

fn bad_input(file: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let o = kensa(&[
        "scan",
        "--snapshot",
        &fixture(file),
        "--format",
        "json",
        "--output",
        &out.display().to_string(),
    ]);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    for e in expect {
        assert!(err.contains(e), "expected {e:?} in:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "a report was written despite the error");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "temporary files left behind"
    );
}

#[test]
fn malformed_json_names_file_line_and_column() {
    bad_input(
        "bad/malformed.json",
        &["malformed.json:9:", "malformed JSON"],
    );
}

#[test]
fn row_without_id_names_the_row() {
    bad_input(
        "bad/row-without-id.json",
        &["row-without-id.json:", "row 1 has no `id`"],
    );
}

#[test]
fn wrong_type_names_the_row() {
    bad_input("bad/wrong-type.json", &["wrong-type.json:", "row 0"]);
}

#[test]
fn truncated_file_is_an_error() {
    bad_input("bad/truncated.json", &["truncated.json:", "EOF"]);
}

#[test]
fn unreadable_file_is_named() {
    let o = kensa(&["scan", "--snapshot", "/nonexistent/estate.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read /nonexistent/estate.json"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn not_utf8_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("latin1.json");
    std::fs::write(&f, b"[{\"id\": \"caf\xe9\"}]").unwrap();
    let o = kensa(&["scan", "--snapshot", &f.display().to_string()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not UTF-8"), "{}", stderr(&o));
}

#[test]
fn incomplete_snapshot_exits_3_and_says_so() {
    let f = fixture("bad/incomplete-page.json");
    let o = kensa(&["scan", "--snapshot", &f, "--fail-on", "none"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(stdout(&o).contains("INCOMPLETE"), "{}", stdout(&o));
    let json = kensa(&[
        "scan",
        "--snapshot",
        &f,
        "--fail-on",
        "none",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["coverage"]["complete"], false);
    let gaps = report["coverage"]["source_gaps"].as_array().unwrap();
    assert!(
        gaps.iter()
            .any(|g| g["reason"].as_str().unwrap().contains("$skipToken")),
        "{gaps:?}"
    );
    assert!(
        gaps.iter().any(|g| g["reason"]
            .as_str()
            .unwrap()
            .contains("`totalRecords` is 412")),
        "{gaps:?}"
    );
    assert_eq!(
        code(&kensa(&[
            "scan",
            "--snapshot",
            &f,
            "--fail-on",
            "none",
            "--allow-partial"
        ])),
        0
    );
    // Findings still decide first: 1 beats 3.
    assert_eq!(
        code(&kensa(&["scan", "--snapshot", &f, "--fail-on", "low"])),
        1
    );
    let md = kensa(&[
        "scan",
        "--snapshot",
        &f,
        "--fail-on",
        "none",
        "--format",
        "markdown",
    ]);
    assert!(stdout(&md).contains("incomplete"), "{}", stdout(&md));
}

#[test]
fn config_errors_point_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kensa.toml");
    std::fs::write(
        &cfg,
        "[image]\napproved_galleries = []\nmax_age_days = \"thirty\"\n",
    )
    .unwrap();
    let o = kensa(&["scan", "--demo", "--config", &cfg.display().to_string()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("kensa.toml:3:"), "{}", stderr(&o));

    std::fs::write(&cfg, "[rules]\ndisable = [\"network.nsg-open-port\"]\n").unwrap();
    let o = kensa(&["scan", "--demo", "--config", &cfg.display().to_string()]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown rule id `network.nsg-open-port`"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("kensa.toml:2:"), "{}", stderr(&o));
}

#[test]
fn disabled_rules_are_not_evaluated_and_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kensa.toml");
    std::fs::write(&cfg, "[rules]\ndisable = [\"network.jit-required\"]\n").unwrap();
    let report = scan_json(&["--demo", "--config", &cfg.display().to_string()]);
    assert_eq!(
        report["coverage"]["rules_disabled"],
        serde_json::json!(["network.jit-required"])
    );
    assert!(flagged(&report, "network.jit-required").is_empty());
}

#[test]
fn broken_policy_is_named_with_its_line() {
    let o = kensa(&[
        "scan",
        "--demo",
        "--policy-dir",
        &fixture("policies/broken"),
    ]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("syntax_error.rego:8:1"), "{err}");
}

#[test]
fn user_policy_adds_a_rule() {
    let dir = fixture("policies/custom");
    let tagged = flagged(
        &scan_json(&["--demo", "--policy-dir", &dir]),
        "contoso.vm-owner-tag",
    );
    assert!(tagged.contains(&"vm-web-02".to_string()), "{tagged:?}");
    assert!(
        !tagged.contains(&"vm-legacy-01".to_string()),
        "vm-legacy-01 has an owner tag"
    );
    let list = stdout(&kensa(&["policy", "list", "--policy-dir", &dir]));
    assert!(
        list.contains("contoso.vm-owner-tag") && list.contains("disk.encryption"),
        "{list}"
    );
    let tests = kensa(&["policy", "test", &dir]);
    assert_eq!(code(&tests), 0, "{}", stdout(&tests));
    assert!(
        stdout(&tests).contains("PASS") && stdout(&tests).contains("2 passed, 0 failed"),
        "{}",
        stdout(&tests)
    );
}

#[test]
fn user_policy_overrides_a_builtin_by_package() {
    let jit = flagged(
        &scan_json(&["--demo", "--policy-dir", &fixture("policies/override")]),
        "network.jit-required",
    );
    assert_eq!(
        jit,
        vec!["vm-legacy-01"],
        "the override only flags legacy machines"
    );
}

#[test]
fn failing_policy_test_exits_1() {
    let o = kensa(&["policy", "test", &fixture("policies/failing")]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("FAIL") && stdout(&o).contains("1 passed, 1 failed"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn builtin_policy_tests_pass_through_the_cli() {
    let o = kensa(&["policy", "test"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains(" 0 failed"));
}

#[test]
fn explain_and_list() {
    let o = kensa(&["explain", "network.nsg-open-management-port"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert!(
        text.contains("severity: **high**")
            && text.contains("0.0.0.0/0")
            && text.contains("## Fix"),
        "{text}"
    );
    let o = kensa(&["explain", "network.nope"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unknown rule id"), "{}", stderr(&o));
    let list = stdout(&kensa(&["policy", "list"]));
    assert_eq!(list.lines().count(), rule_ids().len() + 1, "{list}");
    // explain prints exactly the generated page.
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/rules/network.nsg-open-management-port.md"),
    )
    .unwrap();
    assert_eq!(text, page);
}

#[test]
fn inventory_shows_relations() {
    let o = kensa(&[
        "inventory",
        "--demo",
        "--type",
        "Microsoft.Compute/virtualMachines",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let inv: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let vms = inv.as_array().unwrap();
    assert_eq!(vms.len(), 7);
    let web02 = vms.iter().find(|v| v["name"] == "vm-web-02").unwrap();
    let ipc = &web02["related"]["nics"][0]["ip_configurations"][0];
    assert_eq!(ipc["public_ip"]["name"], "pip-web-02");
    assert_eq!(ipc["subnet_nsg"]["name"], "nsg-snet-web");
    assert_eq!(web02["related"]["nics"][0]["nsg"]["name"], "nsg-web-02");
    // The running version comes from the OS disk, whose reference is in mixed case.
    assert_eq!(web02["related"]["image_version_source"], "osDisk");
    assert_eq!(web02["related"]["image_version"]["name"], "1.3.0");
    assert_eq!(web02["origin"]["kind"], "snapshot");

    let o = kensa(&[
        "inventory",
        "--demo",
        "--type",
        "microsoft.compute/virtualmachinescalesets",
    ]);
    let sets: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let api = sets
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "vmss-api")
        .unwrap();
    let ipc = &api["related"]["nic_configurations"][0]["ip_configurations"][0];
    assert_eq!(ipc["subnet_nsg"]["name"], "nsg-snet-web");
    assert_eq!(api["related"]["image_version"]["name"], "1.4.0");
}

#[test]
fn help_is_clear() {
    let o = kensa(&["scan", "--help"]);
    let text = stdout(&o);
    for flag in [
        "--snapshot",
        "--demo",
        "--format",
        "--output",
        "--fail-on",
        "--now",
        "--config",
        "--policy-dir",
        "--allow-partial",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help");
    }
    assert!(stdout(&kensa(&["--help"])).contains("Exit codes"));
}

#[test]
fn a_policy_failing_on_one_resource_does_not_abort_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let o = kensa(&[
        "scan",
        "--demo",
        "--policy-dir",
        &fixture("policies/erroring"),
        "--format",
        "json",
        "--fail-on",
        "none",
        "--output",
        &out.display().to_string(),
    ]);
    assert_eq!(code(&o), 3, "incomplete: {}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["verdict"], "incomplete");
    let failures = report["coverage"]["rule_failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    for f in failures {
        assert_eq!(f["rule_id"], "contoso.conflict");
        assert!(f["resource_id"]
            .as_str()
            .unwrap()
            .starts_with("/subscriptions/"));
        assert!(
            f["policy"].as_str().unwrap().ends_with("conflict.rego"),
            "{f}"
        );
        assert!(
            f["message"].as_str().unwrap().contains("conflict.rego:"),
            "the line: {f}"
        );
    }
    // Every other rule still judged every resource.
    assert_eq!(
        report["summary"]["open"],
        demo_json()["summary"]["open"],
        "the built-in rules' findings are all there"
    );
}

#[test]
fn init_writes_the_defaults_and_proposes_the_galleries_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("kensa.toml");
    let p = plain.to_str().unwrap();
    assert_eq!(code(&kensa(&["init", "-o", p])), 0);
    let text = std::fs::read_to_string(&plain).unwrap();
    for key in [
        "approved_galleries",
        "max_age_days = 30",
        "accept_ade = true",
        "management_ports = [22, 3389, 5985, 5986]",
        "max_pending_days = 14",
        "commit_tag_keys",
    ] {
        assert!(text.contains(key), "{key}");
    }
    assert_eq!(
        code(&kensa(&["init", "-o", p])),
        2,
        "an existing file is kept"
    );
    assert_eq!(code(&kensa(&["init", "--demo", "-o", p, "--force"])), 0);
    let proposed = std::fs::read_to_string(&plain).unwrap();
    assert!(
        proposed.contains("galleries/golden\",  # 6 machine(s)"),
        "{proposed}"
    );
    // Scanning with it: the approved-source rule judges again.
    let o = kensa(&[
        "scan",
        "--demo",
        "--config",
        p,
        "--format",
        "json",
        "--fail-on",
        "none",
    ]);
    assert!(!stderr(&o).contains("no approved Compute Gallery"));
}

#[test]
fn without_an_approved_gallery_machines_are_undecided_and_kensa_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("kensa.toml");
    std::fs::write(&empty, "").unwrap();
    let o = kensa(&[
        "scan",
        "--demo",
        "--config",
        empty.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "none",
    ]);
    assert_eq!(
        stderr(&o)
            .matches("no approved Compute Gallery is configured")
            .count(),
        1
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(flagged(&r, "image.approved-source").is_empty());
    let undecided = r["coverage"]["undecided"].as_array().unwrap();
    assert!(
        undecided
            .iter()
            .filter(|u| u["rule_id"] == "image.approved-source")
            .count()
            >= 8
    );
}

#[test]
fn dash_is_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let o = kensa_in(
        dir.path().to_str().unwrap(),
        &[
            "scan",
            "--demo",
            "--format",
            "json",
            "-o",
            "-",
            "--fail-on",
            "none",
        ],
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(r["schema"], "kensa.report/v1");
    assert!(!dir.path().join("-").exists());
}

/// The allocator's options compiled into the binary reach jemalloc (src/main.rs): without
/// them freed pages stay 10 s and a large scan's peak memory grows past its target.
#[cfg(not(windows))]
#[test]
fn the_allocator_returns_freed_pages_after_100_ms() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kensa"))
        .arg("--version")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .expect("the kensa binary runs");
    let stats = stderr(&o);
    assert_eq!(code(&o), 0);
    assert!(stats.contains("opt.dirty_decay_ms: 100 "), "{stats}");
}
