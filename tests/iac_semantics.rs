//! What every IaC source must get right, on kensa's own fixtures with exact verdicts and
//! lines: Terraform modules (local, for_each, installed by `terraform init`, from the
//! registry without `.terraform`), count = 0, dynamic blocks, `.tf` agreeing with its plan;
//! implicit OS disks, unknowns that never pass, duplicate ids, a scan that read nothing.

mod common;

use common::*;

/// (rule, resource name, file name, line, port) of the findings of the disk and network
/// rules, sorted.
fn verdicts(report: &serde_json::Value) -> Vec<(String, String, String, u64, Option<u64>)> {
    let mut v: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            let rule = f["rule_id"].as_str().unwrap_or_default();
            rule.starts_with("disk.") || rule.starts_with("network.")
        })
        .map(|f| {
            let (file, line) = file_and_line(f);
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["resource_name"].as_str().unwrap_or_default().to_string(),
                file,
                line,
                f["evidence"]["port"].as_u64(),
            )
        })
        .collect();
    v.sort();
    v
}

fn v(
    rule: &str,
    name: &str,
    file: &str,
    line: u64,
    port: Option<u64>,
) -> (String, String, String, u64, Option<u64>) {
    (rule.into(), name.into(), file.into(), line, port)
}

fn iac_exit(args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = vec!["iac", "--format", "json", "--fail-on", "none"];
    all.extend_from_slice(args);
    let o = kensa(&all);
    let report = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (code(&o), report, stderr(&o))
}

#[test]
fn terraform_modules_for_each_dynamic_count_zero_and_a_registry_module_not_on_disk() {
    let (rc, report, err) = iac_exit(&[&fixture("iac/terraform/modules")]);
    assert_eq!(
        rc, 3,
        "a registry module was not followed: incomplete. {err}"
    );
    assert_eq!(
        verdicts(&report),
        [
            // The caller leaves encryption at host off for "api" (optional() default).
            v("disk.encryption", "vm-api", "main.tf", 53, None),
            // The dynamic security_rule's port line inside the module; 443 is no finding.
            v(
                "network.nsg-open-management-port",
                "nsg-vm-api",
                "main.tf",
                17,
                Some(22)
            ),
            v(
                "network.nsg-open-management-port",
                "nsg-vm-web",
                "main.tf",
                17,
                Some(22)
            ),
        ]
    );
    let disk = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "disk.encryption")
        .unwrap();
    assert!(
        disk["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("modules/vm/main.tf"),
        "the line inside the module"
    );
    assert_eq!(
        disk["location"]["via"][0]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap(),
        "main.tf:32 module.vm[\"api\"]",
        "and the calling module block"
    );
    // count = 0: the bastion's public IP and RDP rule do not exist.
    assert!(!report.to_string().contains("nsg-bastion"));
    // The module folder is only reached as a module: not also scanned with its defaults.
    assert_eq!(report["coverage"]["resources"], 6, "2 VMs, 2 NICs, 2 NSGs");
    let unevaluated = report["coverage"]["unevaluated"].to_string();
    assert!(
        unevaluated.contains("main.tf:25")
            && unevaluated.contains("Azure/network/azurerm")
            && unevaluated.contains("terraform init"),
        "{unevaluated}"
    );
    assert_eq!(report["verdict"], "incomplete");
    // Addresses are the full module path.
    let o = kensa(&[
        "inventory",
        "--iac",
        &fixture("iac/terraform/modules"),
        "--resources",
        "--type",
        "microsoft.compute/virtualmachines",
    ]);
    let inv: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let addresses: Vec<&str> = inv
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource"]["terraformAddress"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        [
            "module.vm[\"api\"].azurerm_linux_virtual_machine.this",
            "module.vm[\"web\"].azurerm_linux_virtual_machine.this"
        ]
    );
}

#[test]
fn a_module_installed_by_terraform_init_is_followed() {
    let (rc, report, err) = iac_exit(&[&fixture("iac/terraform/installed")]);
    assert_eq!(rc, 0, "{err}");
    assert_eq!(
        verdicts(&report),
        [v(
            "network.nsg-open-management-port",
            "nsg-jump",
            "main.tf",
            27,
            Some(22)
        )]
    );
    let f = &report["findings"][0];
    assert!(f["location"]["file"]
        .as_str()
        .unwrap()
        .ends_with(".terraform/modules/nsg/main.tf"));
    assert!(f["location"]["via"][0]
        .as_str()
        .unwrap()
        .ends_with("installed/main.tf:2 module.nsg"));
}

#[test]
fn a_tf_configuration_and_its_plan_agree() {
    let (_, tf, err) = iac_exit(&[&fixture("iac/terraform/agreement/config")]);
    let (_, plan, err2) = iac_exit(&[&fixture("iac/terraform/agreement/plan/tfplan.json")]);
    let judged = |r: &serde_json::Value| -> Vec<(String, String, Option<u64>)> {
        let mut j: Vec<_> = verdicts(r)
            .into_iter()
            .map(|(rule, name, _, _, port)| (rule, name, port))
            .collect();
        j.sort();
        j
    };
    assert_eq!(
        judged(&tf),
        [
            (
                "disk.encryption".to_string(),
                "disk-cache".to_string(),
                None
            ),
            (
                "network.nsg-open-management-port".into(),
                "nsg-web-1".into(),
                Some(22)
            ),
            (
                "network.nsg-open-management-port".into(),
                "nsg-web-1".into(),
                Some(3389)
            ),
            (
                "network.nsg-open-management-port".into(),
                "nsg-web-2".into(),
                Some(22)
            ),
        ],
        "{err}"
    );
    assert_eq!(judged(&tf), judged(&plan), "{err2}");
}

#[test]
fn an_implicit_os_disk_is_a_disk() {
    let (_, report, err) = iac_exit(&[&fixture("iac/arm/semantics/implicit-os-disk.json")]);
    assert_eq!(
        verdicts(&report),
        [v(
            "disk.encryption",
            "vm-marketplace",
            "implicit-os-disk.json",
            12,
            None
        )],
        "{err}"
    );
}

#[test]
fn an_unknown_encryption_setting_is_undecided_never_passed() {
    let (rc, report, err) = iac_exit(&[
        &fixture("iac/arm/semantics/unknown-encryption.json"),
        "--no-parameter-files",
    ]);
    assert_eq!(rc, 3, "{err}");
    assert!(verdicts(&report).is_empty(), "no confident verdict");
    let mut undecided: Vec<(String, u64)> = report["coverage"]["undecided"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["rule_id"] == "disk.encryption")
        .map(|u| {
            (
                u["reason"]
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_string(),
                u["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    undecided.sort();
    assert_eq!(
        undecided,
        [
            ("OS disk".to_string(), 18),
            ("encryption type".to_string(), 36)
        ]
    );
}

#[test]
fn duplicate_ids_are_reported_with_both_lines_and_each_declaration_is_judged() {
    let (rc, report, err) = iac_exit(&[&fixture("iac/arm/semantics/duplicates.json")]);
    assert_eq!(rc, 3, "{err}");
    assert_eq!(
        verdicts(&report),
        [
            v(
                "network.nsg-open-management-port",
                "nsg-app",
                "duplicates.json",
                27,
                Some(22)
            ),
            v(
                "network.nsg-open-management-port",
                "nsg-app",
                "duplicates.json",
                45,
                Some(3389)
            ),
        ]
    );
    let gaps: Vec<(String, String)> = report["coverage"]["source_gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["source"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                g["reason"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        gaps,
        [
            (
                "duplicates.json:18".to_string(),
                "duplicates.json:11: a deployment keeps only one; both are evaluated".to_string()
            ),
            (
                "duplicates.json:36".to_string(),
                "duplicates.json:11: a deployment keeps only one; both are evaluated".to_string()
            ),
        ]
    );
}

#[test]
fn a_scan_that_read_nothing_judgeable_is_not_passed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# infra\n").unwrap();
    let (rc, report, _) = iac_exit(&[dir.path().to_str().unwrap()]);
    assert_eq!(rc, 3);
    assert_eq!(report["verdict"], "incomplete");
    let gaps = report["coverage"]["source_gaps"].to_string();
    assert!(
        gaps.contains("README.md") && gaps.contains("nothing was judged"),
        "{gaps}"
    );
    // An empty directory too.
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(iac_exit(&[empty.path().to_str().unwrap()]).0, 3);
}
