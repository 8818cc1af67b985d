//! `kensa iac` on kensa's own fixtures: what a template evaluates to, and bad input.

mod common;

use common::*;

fn iac(args: &[&str]) -> (i32, serde_json::Value, String) {
    let config = iac_config();
    let mut all = vec!["iac", "--format", "json", "--fail-on", "none"];
    if !args.contains(&"--config") {
        all.extend(["--config", config.as_str()]);
    }
    all.extend_from_slice(args);
    let o = kensa(&all);
    let report = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (code(&o), report, stderr(&o))
}

/// The rule families these fixtures were written to exercise; a rule added later in
/// another family does not change their expectations (its own cases live in tests/rules/).
const ABOUT: &[&str] = &["disk.", "image.", "network.", "packer.", "patch."];

fn rules_on(report: &serde_json::Value, name: &str) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["resource_name"] == name)
        .filter(|f| {
            ABOUT
                .iter()
                .any(|a| f["rule_id"].as_str().unwrap_or_default().starts_with(a))
        })
        .map(|f| f["rule_id"].as_str().unwrap_or_default().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn template_language_copy_loops_conditions_and_nested_deployments() {
    let (rc, report, err) = iac(&[&fixture("iac/arm/web-tier.json")]);
    assert_eq!(rc, 0, "{err}");
    // parameters file beside the template: environment=test, adminSource=Internet.
    let names: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["resource_name"].as_str())
        .collect();
    assert!(names.contains(&"web-test-nsg"), "{names:?}");
    // copy loop of 2 VMs, each on a pinned gallery image with encryption at host.
    assert_eq!(
        rules_on(&report, "web-test-vm-0"),
        ["image.approved-source"]
    );
    assert_eq!(
        rules_on(&report, "web-test-vm-1"),
        ["image.approved-source"]
    );
    // the inner-scope nested deployment's VM gets its name from the outer scope.
    assert_eq!(
        rules_on(&report, "web-test-jump"),
        [
            "disk.encryption",
            "image.approved-source",
            "image.pinned-version",
            "patch.assessment-mode"
        ]
    );
    // SSH from the parameter's 'Internet'; the WinRM child rule's condition is false.
    let ssh: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "network.nsg-open-management-port")
        .collect();
    assert_eq!(ssh.len(), 1);
    assert_eq!(ssh[0]["evidence"]["port"], 22);
    assert_eq!(
        ssh[0]["location"]["line"], 41,
        "the destinationPortRange line"
    );
    assert_eq!(report["coverage"]["resources"], 6);
}

#[test]
fn a_required_parameter_without_value_is_unknown() {
    let (rc, report, err) = iac(&[&fixture("iac/arm/web-tier.json"), "--no-parameter-files"]);
    assert_eq!(rc, 3, "undecided, so incomplete: {err}");
    assert_eq!(report["verdict"], "incomplete");
    // adminSource has no default: port 22's exposure is unknown, never a pass or a finding.
    assert!(!report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["rule_id"] == "network.nsg-open-management-port"));
    let undecided = report["coverage"]["undecided"]
        .as_array()
        .expect("undecided");
    let u = undecided
        .iter()
        .find(|u| u["rule_id"] == "network.nsg-open-management-port")
        .expect("an undecided NSG check");
    assert!(
        u["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("adminSource"),
        "{u}"
    );
    assert_eq!(u["location"]["line"], 39, "the sourceAddressPrefix line");
    // ...and the defaults name the prod environment.
    assert!(!rules_on(&report, "web-prod-vm-0").is_empty());
}

#[test]
fn bad_files_are_skipped_with_a_diagnostic_and_the_rest_is_scanned() {
    let (rc, report, err) = iac(&[&fixture("iac/bad"), &fixture("iac/arm")]);
    assert_eq!(rc, 3, "incomplete: {err}");
    for (file, line, what) in [
        ("truncated.json", 5, "expected a quoted member name"),
        (
            "unknown-function.json",
            6,
            "unknown function nosuchfunction()",
        ),
        ("copy-count.json", 8, "copy count \"two\" is not an integer"),
        ("recursion.json", 5, "refers to itself"),
    ] {
        assert!(
            err.contains(&format!("{file}:{line}:")) && err.contains(what),
            "{file}: {err}"
        );
        let gaps = report["coverage"]["source_gaps"].as_array().expect("gaps");
        assert!(
            gaps.iter().any(|g| g["source"]
                .as_str()
                .unwrap_or_default()
                .ends_with(&format!("{file}:{line}"))),
            "{file} listed: {gaps:?}"
        );
    }
    assert_eq!(report["coverage"]["complete"], false);
    assert!(!report["findings"].as_array().expect("findings").is_empty());
}

#[test]
fn nothing_scannable_exits_2() {
    let (rc, _, err) = iac(&[&fixture("iac/bad")]);
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("no file could be scanned"), "{err}");
}

#[test]
fn hostile_inputs_do_not_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = dir.path().join("deep.json");
    std::fs::write(&deep, "[".repeat(200_000)).expect("written");
    let bomb = dir.path().join("bomb.json");
    std::fs::write(
        &bomb,
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [{"type": "Microsoft.Network/publicIPAddresses", "name": "[concat('ip', copyIndex())]",
                 "copy": {"name": "x", "count": 100000000}}]}"#,
    )
    .expect("written");
    let expr = dir.path().join("expr.json");
    std::fs::write(
        &expr,
        format!(
            r#"{{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [{{"type": "Microsoft.Network/publicIPAddresses", "name": "[{}1{}]"}}]}}"#,
            "concat(".repeat(5000),
            ")".repeat(5000)
        ),
    )
    .expect("written");
    let o = kensa(&[
        "iac",
        dir.path().to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains("nested deeper than"), "{err}");
    assert!(err.contains("copy count 100000000 is outside"), "{err}");
    assert!(err.contains("expression nested deeper"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn walking_skips_excluded_and_tool_directories_and_non_iac_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let template = std::fs::read_to_string(fixture("iac/arm/web-tier.json")).expect("readable");
    for sub in ["app", ".terraform/modules", "node_modules/x", "vendored"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("dir");
        std::fs::write(dir.path().join(sub).join("main.json"), &template).expect("written");
    }
    std::fs::write(dir.path().join("app/package.json"), r#"{"name": "app"}"#).expect("written");
    let root = dir.path().to_str().expect("utf-8");
    let (rc, report, err) = iac(&[root, "--exclude", "**/vendored/**", "--no-parameter-files"]);
    assert_eq!(rc, 3, "incomplete: adminSource has no value: {err}");
    let files: std::collections::BTreeSet<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["location"]["file"].as_str())
        .map(|f| f.rsplit('/').nth(1).unwrap_or_default().to_string())
        .collect();
    assert_eq!(files.into_iter().collect::<Vec<_>>(), ["app"]);
    // A JSON file named on the command line must be IaC.
    let (rc, _, err) = iac(&[&format!("{root}/app/package.json")]);
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("not an ARM template"), "{err}");
}

#[test]
fn fingerprints_do_not_depend_on_where_the_checkout_lives() {
    // The pull-request check scans the base branch in a worktree and the pull request at
    // the root: the same finding must have the same fingerprint in both.
    let template = std::fs::read_to_string(fixture("iac/arm/web-tier.json")).expect("readable");
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    for root in [a.path(), &b.path().join("base")] {
        std::fs::create_dir_all(root.join("infra")).expect("dir");
        std::fs::write(root.join("infra/web.json"), &template).expect("written");
    }
    let scan = |dir: &std::path::Path, extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "iac",
            "infra",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--no-parameter-files",
        ];
        args.extend_from_slice(extra);
        let o = kensa_in(dir.to_str().expect("utf-8"), &args);
        assert!(matches!(code(&o), 0 | 1 | 3), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).expect("JSON")
    };
    let base = scan(&b.path().join("base"), &[]);
    let base_file = a.path().join("base.json");
    std::fs::write(&base_file, base.to_string()).expect("written");
    let pr = scan(
        a.path(),
        &["--baseline", base_file.to_str().expect("utf-8")],
    );
    let changes = &pr["changes"];
    assert_eq!(changes["new"], 0, "{changes}");
    assert!(changes["persisting"].as_u64() > Some(0));
}

#[test]
fn an_explicit_parameters_file_wins_over_the_one_beside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let params = dir.path().join("admins.parameters.json");
    std::fs::write(
        &params,
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {"adminSource": {"value": "10.20.0.0/16"}, "vmCount": {"value": 3}}}"#,
    )
    .expect("written");
    let (rc, report, err) = iac(&[
        &fixture("iac/arm/web-tier.json"),
        "--parameters",
        params.to_str().expect("utf-8"),
    ]);
    assert_eq!(rc, 0, "{err}");
    assert!(
        rules_on(&report, "web-prod-nsg").is_empty(),
        "admins come from a private range"
    );
    assert!(
        !rules_on(&report, "web-prod-vm-2").is_empty(),
        "vmCount = 3"
    );
    assert_eq!(report["coverage"]["undecided"], serde_json::json!([]));
    // A parameters file that is not one is an error naming it.
    let (rc, _, err) = iac(&[
        &fixture("iac/arm/web-tier.json"),
        "--parameters",
        &fixture("iac/arm/web-tier.json"),
    ]);
    assert_eq!(rc, 2);
    assert!(err.contains("not an ARM parameters file"), "{err}");
}
