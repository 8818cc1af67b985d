//! Hostile and odd input: nothing may crash, hang, exhaust memory or pass silently. One test
//! per class of defect (the live faults are in tests/live.rs, the Rego ones beside the rules).

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

fn demo_rows() -> Vec<Value> {
    let text = std::fs::read_to_string(demo_file("estate.json")).expect("demo");
    let body: Value = serde_json::from_str(&text).expect("json");
    body["data"].as_array().expect("rows").clone()
}

fn write_rows(dir: &std::path::Path, rows: &[Value]) -> String {
    let path = dir.join("estate.json");
    std::fs::write(&path, Value::Array(rows.to_vec()).to_string()).expect("write");
    path.display().to_string()
}

/// The id prefix of the hand-built rows below.
const PROVIDERS: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers";

/// A VM (`vm-1`) whose one NIC, with IP configurations `ipcs`, sits behind NSG `nsg`
/// holding security rules `rules`.
fn vm_behind_nsg(nsg: &str, ipcs: Value, rules: Value) -> Vec<Value> {
    let p = PROVIDERS;
    let nsg_id = format!("{p}/Microsoft.Network/networkSecurityGroups/{nsg}");
    let nic = format!("{p}/Microsoft.Network/networkInterfaces/nic-1");
    vec![
        serde_json::json!({"id": format!("{p}/Microsoft.Compute/virtualMachines/vm-1"),
            "name": "vm-1", "type": "microsoft.compute/virtualmachines",
            "properties": {"networkProfile": {"networkInterfaces": [{"id": nic}]}}}),
        serde_json::json!({"id": nic, "name": "nic-1", "type": "microsoft.network/networkinterfaces",
            "properties": {"networkSecurityGroup": {"id": nsg_id}, "ipConfigurations": ipcs}}),
        serde_json::json!({"id": nsg_id, "name": nsg,
            "type": "microsoft.network/networksecuritygroups",
            "properties": {"securityRules": rules}}),
    ]
}

/// `rows` written one field a line, with `from` replaced by `to` (what a JSON value cannot
/// hold, or spells otherwise); the file's path.
fn write_edited(dir: &std::path::Path, rows: &[Value], from: &str, to: &str) -> String {
    let text = serde_json::to_string_pretty(rows).expect("json");
    assert!(text.contains(from), "{from} is not in the rows");
    let path = dir.join("estate.json");
    std::fs::write(&path, text.replace(from, to)).expect("write");
    path.display().to_string()
}

fn judged(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["resource_name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn rows_without_a_name_are_judged_as_rows_with_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = demo_file("kensa.toml");
    let mut rows = demo_rows();
    let with = write_rows(dir.path(), &rows);
    let named = scan_json(&["--snapshot", &with, "--config", &cfg, "--now", NOW]);
    for r in &mut rows {
        r.as_object_mut().expect("row").remove("name");
    }
    let sub = dir.path().join("nameless");
    std::fs::create_dir(&sub).expect("mkdir");
    let without = write_rows(&sub, &rows);
    let nameless = scan_json(&["--snapshot", &without, "--config", &cfg, "--now", NOW]);
    assert!(!judged(&named).is_empty());
    assert_eq!(judged(&nameless), judged(&named));
}

#[test]
fn control_characters_and_markup_in_names_reach_no_terminal_or_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = demo_rows();
    let evil = "\u{1b}[2J\u{1b}[Hall checks passed<img src=x onerror=alert(1)>";
    let breakout = "</script><img src=x onerror=alert(2)>";
    for r in &mut rows {
        if r["name"] == "vm-legacy-01" {
            r["name"] = Value::String(evil.into());
        }
        if r["name"] == "vm-data-01" {
            r["name"] = Value::String(breakout.into());
        }
    }
    let path = write_rows(dir.path(), &rows);
    let scan_as = |format: &str| scan_as_demo(&path, &["--format", format]);
    let html = stdout(&scan_as("html"));
    assert!(
        html.contains("onerror=alert(2)"),
        "the name is in the page's data"
    );
    // Inside the data element it is inert text (`</` escaped); anywhere else, escaped.
    assert!(!html.contains(breakout), "the name ended the data element");
    let outside: String = html
        .split("<script type=\"application/json\" id=\"data\">")
        .enumerate()
        .map(|(i, part)| match i {
            0 => part,
            _ => part.split_once("</script>").map_or("", |p| p.1),
        })
        .collect();
    assert!(!outside.contains("<img src=x"), "markup reached the page");
    assert!(!html.contains('\u{1b}'));
    for format in ["human", "markdown"] {
        let o = scan_as(format);
        let out = stdout(&o);
        assert!(
            out.contains("all checks passed"),
            "{format}: the name is shown"
        );
        assert!(
            !out.contains('\u{1b}'),
            "{format}: a raw escape reached the output"
        );
        if format == "markdown" {
            // Outside code fences (where it is shown as text), no markup from the name.
            let mut fenced = false;
            for line in out.lines() {
                if line.starts_with("```") {
                    fenced = !fenced;
                } else if !fenced {
                    // Code spans are shown literally; outside them no markup may remain.
                    let prose: String = line.split('`').step_by(2).collect();
                    assert!(
                        !prose.contains("<img"),
                        "markup reached the Markdown: {line}"
                    );
                }
            }
        }
    }
}

#[test]
fn expressions_that_would_exhaust_memory_are_stopped_with_their_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 2 GB in one call, and a string doubled through 40 variables.
    let mut vars = serde_json::Map::new();
    vars.insert("huge".into(), "[padLeft('a', 2000000000, 'b')]".into());
    vars.insert("d0".into(), Value::String("a".repeat(64)));
    for i in 1..40 {
        vars.insert(
            format!("d{i}"),
            format!("[concat(variables('d{}'), variables('d{}'))]", i - 1, i - 1).into(),
        );
    }
    for (file, name) in [
        ("pad.json", "[variables('huge')]"),
        ("double.json", "[substring(variables('d39'), 0, 3)]"),
    ] {
        let template = serde_json::json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "variables": vars,
            "resources": [{"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01",
                "name": name, "location": "westeurope", "properties": {"securityRules": []}}]
        });
        std::fs::write(
            dir.path().join(file),
            serde_json::to_string_pretty(&template).unwrap(),
        )
        .unwrap();
    }
    let o = kensa_in(
        dir.path().to_str().expect("utf-8"),
        &["iac", ".", "--format", "json", "--fail-on", "none"],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("beyond kensa's limit"), "{err}");
    assert!(
        err.contains("double.json:") && err.contains("pad.json:"),
        "{err}"
    );
}

#[test]
fn hcl_templates_that_double_are_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut tf = String::from("locals {\n  a0 = \"aaaaaaaaaaaaaaaa\"\n");
    for i in 1..40 {
        tf.push_str(&format!(
            "  a{i} = \"${{local.a{}}}${{local.a{}}}\"\n",
            i - 1,
            i - 1
        ));
    }
    tf.push_str("}\n\nresource \"azurerm_network_security_group\" \"x\" {\n  name                = \"nsg-${substr(local.a39, 0, 1)}\"\n  location            = \"westeurope\"\n  resource_group_name = \"rg\"\n}\n");
    std::fs::write(dir.path().join("main.tf"), tf).unwrap();
    let r = iac_json(&[dir.path().to_str().expect("utf-8")]);
    assert_eq!(r["coverage"]["resources"], 1);
}

#[test]
fn thousands_of_unused_waivers_are_each_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut toml = String::new();
    for i in 0..3000 {
        toml.push_str(&format!(
            "[[waiver]]\nrule = \"disk.encryption\"\nresource = \"/subscriptions/*/resourceGroups/rg-gone-{i}/**\"\nreason = \"decommissioned\"\nowner = \"platform@contoso.com\"\nexpires = \"2027-06-30\"\n\n"
        ));
    }
    let waivers = dir.path().join("waivers.toml");
    std::fs::write(&waivers, toml).unwrap();
    let r = scan_json(&[
        "--demo",
        "--now",
        NOW,
        "--waivers",
        waivers.to_str().unwrap(),
    ]);
    assert_eq!(r["waivers"]["unused"].as_array().map_or(0, Vec::len), 3000);
}

#[cfg(unix)]
#[test]
fn symbolic_link_loops_are_walked_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let infra = dir.path().join("infra");
    std::fs::create_dir_all(infra.join("nested")).unwrap();
    std::fs::copy(
        fixture("iac/arm/lv2/azuredeploy.json"),
        infra.join("nested/azuredeploy.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&infra, infra.join("nested/loop")).unwrap();
    std::os::unix::fs::symlink(infra.join("nested"), infra.join("again")).unwrap();
    let r = iac_json(&[infra.to_str().expect("utf-8")]);
    // One NSG, one finding, whatever number of names lead to the file.
    assert_eq!(r["coverage"]["resources"], 1, "{:#}", r["coverage"]);
    assert_eq!(r["findings"].as_array().map_or(0, Vec::len), 1);
}

#[test]
fn an_override_that_declares_no_rule_does_not_delete_the_built_in_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("empty.rego"),
        "package kensa.rules.disk.encryption\n\nimport rego.v1\n\nnote := \"tuned later\"\n",
    )
    .unwrap();
    let o = kensa(&[
        "scan",
        "--demo",
        "--policy-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("empty.rego") && err.contains("would silently disappear"),
        "{err}"
    );
}

#[test]
fn a_policy_that_runs_away_fails_on_that_resource_and_the_rest_is_judged() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("slow.rego"),
        r#"package kensa.rules.custom.slow

import rego.v1

metadata := {"id": "custom.slow", "title": "slow", "severity": "low", "description": "d", "remediation": "r", "help": "h", "resource_types": ["microsoft.compute/virtualmachines"]}

deny contains "never" if {
	input.resource.name == "vm-legacy-01"
	count([x | some x in numbers.range(1, 100000000)]) > 0
}
"#,
    )
    .unwrap();
    let r = scan_json(&[
        "--demo",
        "--now",
        NOW,
        "--policy-dir",
        dir.path().to_str().unwrap(),
        "--policy-timeout",
        "1",
    ]);
    let failures = r["coverage"]["rule_failures"].to_string();
    assert!(
        failures.contains("custom.slow")
            && failures.contains("slow.rego")
            && failures.contains("time limit"),
        "{failures}"
    );
    assert_eq!(r["verdict"], "incomplete");
    assert!(judged(&r).contains(&("disk.encryption".to_string(), "vmss-worker".to_string())));
}

#[test]
fn secrets_in_iac_are_never_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("vm.json"),
        r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": { "adminPassword": { "type": "securestring", "defaultValue": "Sup3rS3cret!" } },
  "resources": [
    {
      "type": "Microsoft.Compute/virtualMachines",
      "apiVersion": "2023-09-01",
      "name": "vm-secret",
      "location": "westeurope",
      "properties": {
        "osProfile": { "computerName": "vm", "adminUsername": "ops", "adminPassword": "[parameters('adminPassword')]" },
        "storageProfile": {
          "customData": "[base64('curl https://example.org/?sig=abc')]",
          "imageReference": { "publisher": "Canonical", "offer": "ubuntu", "sku": "22_04", "version": "latest" },
          "osDisk": { "createOption": "FromImage", "osType": "Linux" }
        }
      }
    }
  ]
}
"#,
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let human = kensa(&["iac", path, "--fail-on", "none"]);
    let inventory = kensa(&["inventory", "--iac", path, "--resources"]);
    for out in [stdout(&human), stdout(&inventory)] {
        assert!(
            !out.contains("Sup3rS3cret") && !out.contains("sig=abc") && !out.contains("Y3VybC"),
            "{out}"
        );
    }
    // The excerpt under the image finding shows the masked neighbour line.
    assert!(
        stdout(&human).contains("\"customData\": ****"),
        "{}",
        stdout(&human)
    );
}

#[test]
fn the_report_never_replaces_an_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snapshot = dir.path().join("estate.json");
    std::fs::copy(demo_file("estate.json"), &snapshot).unwrap();
    let before = std::fs::read(&snapshot).unwrap();
    let s = snapshot.to_str().unwrap();
    let o = kensa(&["scan", "--snapshot", s, "-o", s, "--fail-on", "none"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("is also an input"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&snapshot).unwrap(), before);
}

/// `kensa ARGS…` that must end by itself within a minute (a blocked read fails the test
/// instead of hanging it).
fn kensa_bounded(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kensa runs");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        let text = text.to_string();
        std::thread::spawn(move || pipe.write_all(text.as_bytes()));
    }
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().ok();
            panic!("kensa {args:?} did not end");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn inputs_are_regular_files_of_text_and_bad_ones_are_placed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("estate.json");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let f = fifo.to_str().unwrap();
    for args in [
        vec!["scan", "--demo", "--config", f],
        vec!["scan", "--demo", "--waivers", f],
    ] {
        let o = kensa_bounded(&args, None);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    }
    // A snapshot may be a pipe; one nobody writes to is empty, not a wait.
    let o = kensa_bounded(&["scan", "--snapshot", f], None);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("empty"), "{}", stderr(&o));
    let o = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "\"{}\" scan --snapshot <(cat \"{}\") --fail-on none --format json",
            env!("CARGO_BIN_EXE_kensa"),
            demo_file("estate.json")
        ))
        .output()
        .unwrap();
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    // A FIFO among the policies.
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    let c = std::ffi::CString::new(policies.join("x.rego").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let o = kensa_bounded(
        &["scan", "--demo", "--policy-dir", policies.to_str().unwrap()],
        None,
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    // The same estate on standard input is read.
    let estate = std::fs::read_to_string(demo_file("estate.json")).unwrap();
    let o = kensa_bounded(
        &["scan", "--snapshot", "-", "--fail-on", "none"],
        Some(&estate),
    );
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    // A byte-order mark is no error; bytes that are not UTF-8 are placed by line.
    let toml = dir.path().join("kensa.toml");
    std::fs::write(&toml, b"\xef\xbb\xbf[patch]\n").unwrap();
    let o = kensa(&[
        "scan",
        "--demo",
        "--config",
        toml.to_str().unwrap(),
        "-o",
        "/dev/null",
    ]);
    assert_ne!(code(&o), 2, "{}", stderr(&o));
    std::fs::write(&toml, b"[patch]\nx = \"\xff\"\n").unwrap();
    let o = kensa(&["scan", "--demo", "--config", toml.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("line 2, column 6"), "{}", stderr(&o));
    let rego = dir.path().join("bom");
    std::fs::create_dir(&rego).unwrap();
    std::fs::write(
        rego.join("lib.rego"),
        b"\xef\xbb\xbfpackage kensa.lib.extra\n\nimport rego.v1\n\nanswer := 42\n",
    )
    .unwrap();
    let o = kensa(&[
        "scan",
        "--demo",
        "--policy-dir",
        rego.to_str().unwrap(),
        "-o",
        "/dev/null",
    ]);
    assert_ne!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn a_recursive_policy_function_is_refused_naming_its_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("loop.rego"),
        r#"package kensa.rules.custom.loop

import rego.v1

import data.kensa.rules.custom.helper

metadata := {"id": "custom.loop", "title": "loop", "severity": "low", "description": "d", "remediation": "r", "help": "h", "resource_types": ["microsoft.compute/virtualmachines"]}

depth(n) := d if {
	d := helper.deeper(n + 1)
}

deny contains "never" if {
	depth(1) > 0
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("helper.rego"),
        "package kensa.rules.custom.helper\n\nimport rego.v1\n\ndeeper(n) := data.kensa.rules.custom.loop.depth(n)\n",
    )
    .unwrap();
    let o = kensa_bounded(
        &[
            "scan",
            "--demo",
            "--policy-dir",
            dir.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("loop.rego") && err.contains("recursion"),
        "{err}"
    );
}

#[test]
fn an_interrupted_run_exits_130_through_its_clean_up() {
    use std::process::{Command, Stdio};
    // Waiting for a snapshot on standard input that never comes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(["scan", "--snapshot", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kensa runs");
    // Once kensa runs (exec done: its own command line) and its SIGINT handler is
    // installed (Linux shows caught signals in /proc).
    let caught = || {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains("--snapshot") {
            return false;
        }
        std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .ok()
            .and_then(|s| {
                let mask = s.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
                u64::from_str_radix(mask.trim(), 16).ok()
            })
            .is_some_and(|m| m & (1 << (libc::SIGINT - 1)) != 0)
    };
    let start = std::time::Instant::now();
    while !caught() && start.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // `wait` closes the child's standard input first: kept open here, or the end of input
    // races the signal (under load kensa read it and exited 2, "empty file", before its
    // handler ran).
    let _stdin = child.stdin.take();
    // SAFETY: signals a child process this test started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{status:?}");
}

/// Values a deployment would refuse, and shapes kensa cannot read, are never judged as if
/// valid or empty: a diagnostic at the file and line (exit 2), or undecided checks and
/// unevaluated parts (exit 3).
#[test]
fn malformed_iac_values_are_placed_or_undecided_never_passed() {
    let cases: &[(&str, i32, &[&str])] = &[
        (
            "arm-resources-string",
            2,
            &["azuredeploy.json:4:16", "neither an array nor an object"],
        ),
        (
            "arm-allowed-values",
            2,
            &[
                "azuredeploy.json:5:",
                "EncryptionAtRestWithPlatformKey",
                "not one of its allowed values",
            ],
        ),
        (
            "bicep-allowed",
            2,
            &["main.bicep:13:", "\"Standard_LRS\"", "allowed values"],
        ),
        (
            "tf-malformed-vars",
            2,
            &["terraform.tfvars:2:1", "expected `]`"],
        ),
        (
            "plan-wrong-shape",
            2,
            &["tfplan.json:6:", "`resources` is not a list"],
        ),
        (
            "tf-wrong-vars",
            3,
            &[
                "terraform.tfvars:1: var.ports does not convert",
                "a list is required",
                "terraform.tfvars:2: var.open",
                "a bool is required",
            ],
        ),
        (
            "tf-unknown-dynamic",
            3,
            &[
                "? network.nsg-open-management-port",
                "dynamic \"security_rule\": var.ports is required",
            ],
        ),
        (
            "plan-wrong-attribute",
            3,
            &[
                "? network.nsg-open-management-port",
                "security_rule is \"allow-all\", not blocks",
            ],
        ),
    ];
    for (case, exit, expected) in cases {
        let o = kensa(&["iac", &fixture(&format!("hostile/{case}"))]);
        // Wrapped lines joined: the messages are matched whole.
        let out = format!("{}{}", stdout(&o), stderr(&o))
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(code(&o), *exit, "{case}: {out}");
        for e in *expected {
            assert!(out.contains(e), "{case}: {e:?} not in {out}");
        }
    }
}

#[test]
fn values_declared_secret_are_masked_whatever_their_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = r#"{ "name": "ssh", "properties": { "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*" } }"#;
    std::fs::write(
        dir.path().join("nsg.json"),
        format!(
            r#"{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {{ "bootstrapKey": {{ "type": "securestring", "defaultValue": "ArmS3cretValue" }} }},
  "resources": [ {{ "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01", "name": "nsg-arm", "location": "westeurope", "properties": {{ "securityRules": [ {rule} ] }} }} ]
}}
"#
        ),
    )
    .unwrap();
    let bicep_rule = "{ name: 'ssh', properties: { priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourcePortRange: '*', destinationPortRange: '22', sourceAddressPrefix: '*', destinationAddressPrefix: '*' } }";
    std::fs::write(
        dir.path().join("main.bicep"),
        format!(
            "@secure()\nparam bootstrapKey string = 'BicepS3cretValue'\nresource nsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {{ name: 'nsg-bicep', location: 'westeurope', properties: {{ securityRules: [ {bicep_rule} ] }} }}\n"
        ),
    )
    .unwrap();
    let o = kensa(&["iac", dir.path().to_str().unwrap(), "--fail-on", "none"]);
    let out = stdout(&o);
    assert!(
        out.contains("nsg-arm") && out.contains("nsg-bicep"),
        "{out}"
    );
    // The lines next to the findings are shown, their secret values masked.
    assert!(out.contains("\"defaultValue\": ****************"), "{out}");
    assert!(
        out.contains("param bootstrapKey string = ******************"),
        "{out}"
    );
    assert!(!out.contains("S3cretValue"), "{out}");
}

#[test]
fn a_row_nested_too_deeply_fails_its_checks_at_its_line_and_the_rest_is_judged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = demo_rows();
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let vm = rows
        .iter()
        .position(|r| r["name"] == "vm-legacy-01")
        .expect("vm-legacy-01");
    rows[vm]["properties"]["deep"] = serde_json::from_str::<Value>(&deep[200..400]).unwrap();
    let path = dir.path().join("estate.json");
    // serde_json's own writer refuses no depth: the row is written by hand around it.
    let text = serde_json::to_string(&rows).unwrap().replace(
        &serde_json::to_string(&rows[vm]["properties"]["deep"]).unwrap(),
        &deep,
    );
    std::fs::write(&path, text).unwrap();
    let r = scan_json(&["--snapshot", path.to_str().unwrap(), "--now", NOW]);
    let failures = r["coverage"]["rule_failures"].to_string();
    assert!(
        failures.contains("estate.json:") && failures.contains("recursion limit"),
        "{failures}"
    );
    assert_eq!(r["verdict"], "incomplete");
    assert!(judged(&r).contains(&("disk.encryption".to_string(), "vmss-worker".to_string())));
}

#[test]
fn fix_commands_are_one_valid_shell_line_whatever_the_names() {
    fn rename(v: &mut Value) {
        match v {
            Value::String(s) => {
                *s = s
                    .replace("rg-net", "rg-net(old)")
                    .replace("nsg-mgmt", "nsg mgmt's \"x\"\n`id`");
            }
            Value::Array(a) => a.iter_mut().for_each(rename),
            Value::Object(o) => o.values_mut().for_each(rename),
            _ => {}
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = demo_rows();
    rows.iter_mut().for_each(rename);
    let path = write_rows(dir.path(), &rows);
    let r = scan_json(&[
        "--snapshot",
        &path,
        "--config",
        &demo_file("kensa.toml"),
        "--now",
        NOW,
    ]);
    let mut renamed = 0;
    for f in r["findings"].as_array().unwrap() {
        let Some(cmd) = f["remediation"]["command"].as_str() else {
            continue;
        };
        assert!(!cmd.contains('\n'), "one line: {cmd}");
        let o = std::process::Command::new("bash")
            .args(["-n", "-c", cmd])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let code = cmd.split("  #").next().unwrap();
        assert!(
            !code.contains(['<', '>']) || code.contains("'"),
            "a redirection: {cmd}"
        );
        renamed += usize::from(cmd.contains("rg-net(old)"));
    }
    assert!(renamed >= 2, "the renamed group is quoted, not dropped");
}

/// A row the snapshot reader accepts but the policy engine cannot hold (a number beyond
/// f64): every rule on each resource whose input holds it fails, naming the row, the scan is
/// incomplete, and `kensa inventory` says so instead of printing part of what rules see.
#[test]
fn a_row_the_rules_cannot_be_handed_fails_its_rules_not_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vm_behind_nsg(
        "nsg-big",
        serde_json::json!([]),
        serde_json::json!([{"name": "r", "properties": {"priority": 7}}]),
    );
    let path = write_edited(dir.path(), &rows, "\"priority\": 7", "\"priority\": 1e400");
    let r = scan_json(&["--snapshot", &path, "--now", NOW]);
    assert_eq!(r["verdict"], "incomplete");
    let failures = r["coverage"]["rule_failures"].as_array().unwrap();
    let about = |name: &str| {
        failures
            .iter()
            .filter(|f| f.to_string().contains(name))
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
    };
    for name in ["nsg-big", "vm-1"] {
        let theirs = about(name);
        assert!(!theirs.is_empty(), "{name}: {failures:?}");
        assert!(
            theirs
                .iter()
                .all(|f| f.contains("cannot be handed to the policies")
                    && f.contains("estate.json:")),
            "{theirs:?}"
        );
    }
    let o = kensa(&["inventory", "--snapshot", &path]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let inv: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let errors: Vec<_> = inv
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["input_error"].is_string())
        .map(|e| e["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(errors, ["vm-1", "nsg-big"], "{inv}");
    // A position inside the fragment would point nowhere in the file: left out.
    let why = inv[2]["input_error"].as_str().unwrap_or_default();
    assert!(
        why.contains("out of range") && !why.contains(" at line "),
        "{why}"
    );
    // The NIC's own input holds no NSG row, so it is shown in full.
    assert!(inv[1]["related"].is_object(), "{inv}");
}

/// A snapshot keeps its rows' text, and JSON may spell the unknown marker with escapes
/// (`"kensa\u003aunknown"` is the key `kensa:unknown`): the value is still unknown to the
/// rules, and a verdict that depends on it is undecided — in the VM and in the interpreter,
/// whether or not the NSG's rules were handed to the machine behind it.
#[test]
fn an_unknown_spelled_with_escapes_is_still_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let pip = format!("{PROVIDERS}/Microsoft.Network/publicIPAddresses/pip-1");
    let mut rows = vm_behind_nsg(
        "nsg-1",
        serde_json::json!([{"name": "ipc", "properties": {"privateIPAddress": "10.0.0.4",
            "publicIPAddress": {"id": pip}}}]),
        serde_json::json!([{"name": "ssh", "properties": {"priority": 100,
            "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
            "sourceAddressPrefix": "*", "destinationPortRange": "22",
            "destinationAddressPrefix": {"kensa:unknown": "x"}}}]),
    );
    rows.push(serde_json::json!({"id": pip, "name": "pip-1",
        "type": "microsoft.network/publicipaddresses", "sku": {"name": "Standard"},
        "properties": {"ipAddress": "20.1.1.1"}}));
    let path = write_edited(
        dir.path(),
        &rows,
        "\"kensa:unknown\"",
        "\"kensa\\u003aunknown\"",
    );
    assert!(!std::fs::read_to_string(&path)
        .unwrap()
        .contains("kensa:unknown"));
    for evaluator in ["vm", "interpreter"] {
        let r = scan_json(&["--snapshot", &path, "--now", NOW, "--evaluator", evaluator]);
        let undecided = r["coverage"]["undecided"].to_string();
        assert!(
            undecided.contains("network.vm-exposed-management-port")
                && undecided.contains("is not known"),
            "{evaluator}: {undecided}"
        );
        assert_eq!(r["verdict"], "incomplete", "{evaluator}");
    }
}
