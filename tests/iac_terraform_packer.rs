//! `kensa iac` on Terraform (.tf directories and plans) and Packer (HCL2 and JSON): kensa's
//! own fixtures with exact expectations, and the real third-party files in ../shared.

mod common;

use common::*;

/// The rule families these fixtures were written to exercise; a rule added later in
/// another family does not change their expectations (its own cases live in tests/rules/).
const ABOUT: &[&str] = &["disk.", "image.", "network.", "packer.", "patch."];

/// (rule, resource name, file name, line) of every finding of the rules under test, sorted.
fn found(report: &serde_json::Value) -> Vec<(String, String, String, u64)> {
    let mut v: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            ABOUT
                .iter()
                .any(|a| f["rule_id"].as_str().unwrap_or_default().starts_with(a))
        })
        .map(|f| {
            let (file, line) = file_and_line(f);
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["resource_name"].as_str().unwrap_or_default().to_string(),
                file,
                line,
            )
        })
        .collect();
    v.sort();
    v
}

fn s(rule: &str, name: &str, file: &str, line: u64) -> (String, String, String, u64) {
    (rule.into(), name.into(), file.into(), line)
}

#[test]
fn terraform_directory_with_variables_tfvars_locals_and_associations() {
    let report = iac_json(&[&fixture("iac/terraform/web")]);
    assert_eq!(
        found(&report),
        [
            // the standalone data disk is attached (via the attachment) and not covered:
            // ADE's VolumeType is OS, and the VM has no encryption at host.
            s("disk.encryption", "web-data", "main.tf", 114),
            s("image.approved-source", "web-vm", "main.tf", 110),
            s("image.pinned-version", "web-vm", "main.tf", 110),
            s("network.jit-required", "web-vm", "main.tf", 86),
            // admin_source comes from terraform.tfvars: 0.0.0.0/0.
            s("network.nsg-open-management-port", "web-nsg", "main.tf", 52),
            // NIC → subnet → subnet NSG (association) → Standard public IP.
            s(
                "network.vm-exposed-management-port",
                "web-vm",
                "main.tf",
                86
            ),
        ]
    );
    let disk = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "disk.encryption")
        .expect("the data disk");
    assert!(disk["message"]
        .as_str()
        .unwrap_or_default()
        .contains("attached to VM 'web-vm'"));
}

#[test]
fn terraform_plan_resolves_references_known_after_apply() {
    let report = iac_json(&[&fixture("iac/terraform/plan/tfplan.json")]);
    assert_eq!(
        found(&report),
        [
            s("image.approved-source", "app-vm", "tfplan.json", 123),
            s(
                "network.nsg-open-management-port",
                "app-nsg",
                "tfplan.json",
                25
            ),
        ]
    );
    // The VM's NIC and the NIC's NSG are ids known after apply, joined through the
    // configuration's references.
    let o = kensa(&[
        "inventory",
        "--iac",
        &fixture("iac/terraform/plan/tfplan.json"),
        "--type",
        "microsoft.compute/virtualmachines",
    ]);
    let inv: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(inv[0]["related"]["nics"][0]["nsg"]["name"], "app-nsg");
}

#[test]
fn packer_hcl_directories_and_legacy_json() {
    let report = iac_json(&[
        &fixture("iac/packer"),
        "--config",
        &demo_file("kensa.toml"),
        "--waivers",
        &fixture("iac/no-waivers.toml"),
    ]);
    assert_eq!(
        found(&report),
        [
            s(
                "packer.base-image-pinned",
                "builders[0]",
                "windows.json",
                13
            ),
            s("packer.base-image-pinned", "scratch", "ubuntu.pkr.hcl", 45),
            // gallery name from `{{user `gallery`}}`: not the approved one.
            s(
                "packer.publishes-to-gallery",
                "builders[0]",
                "windows.json",
                18
            ),
            s(
                "packer.publishes-to-gallery",
                "scratch",
                "ubuntu.pkr.hcl",
                39
            ),
            s("packer.traceable-build", "scratch", "ubuntu.pkr.hcl", 39),
        ]
    );
}

#[test]
fn real_terraform_and_packer_files_are_read_without_gaps() {
    let (Some(tf), Some(packer)) = (shared("terraform"), shared("packer")) else {
        return;
    };
    let report = iac_json(&[tf.to_str().expect("utf-8"), packer.to_str().expect("utf-8")]);
    assert_eq!(report["coverage"]["source_gaps"], serde_json::json!([]));
    let by_type = &report["coverage"]["resources_by_type"];
    assert!(
        by_type["microsoft.compute/virtualmachines"].as_u64() >= Some(20),
        "{by_type}"
    );
    assert!(
        by_type["kensa.packer/azurearmbuilds"].as_u64() >= Some(20),
        "{by_type}"
    );
    // Regula's plans: the invalid NSGs fail, the valid ones do not (per NSG).
    let flagged = flagged(&report, "network.nsg-open-management-port");
    for name in ["invalidnsg1", "invalidnsg2"] {
        assert!(flagged.iter().any(|n| n == name), "{name}: {flagged:?}");
    }
    assert!(
        !flagged.iter().any(|n| n.starts_with("validnsg")),
        "{flagged:?}"
    );
    // Modules are not fetched: listed as not evaluated.
    assert!(report["coverage"]["unevaluated"]
        .as_array()
        .expect("listed")
        .iter()
        .any(|u| u["reason"].as_str().unwrap_or_default().contains("module")));
}

#[test]
fn bad_hcl_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"azurerm_public_ip\" \"x\" {\n  name = \n}\n",
    )
    .expect("written");
    std::fs::write(
        dir.path().join("build.pkr.hcl"),
        format!("x = {}", "[".repeat(500)),
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
    assert!(err.contains("main.tf:"), "{err}");
    assert!(
        err.contains("build.pkr.hcl:1:") && err.contains("nested deeper"),
        "{err}"
    );
}

#[test]
fn real_module_repositories_are_followed_and_what_is_not_on_disk_is_listed() {
    let Some(dir) = shared("terraform/modules") else {
        return;
    };
    let path = dir.to_str().expect("utf-8");
    let report = iac_json(&[path]);
    assert_eq!(
        report["verdict"], "incomplete",
        "registry modules are not on disk"
    );
    let unevaluated = report["coverage"]["unevaluated"].to_string();
    for registry in [
        "claranet/linux-vm/azurerm",
        "claranet/windows-vm/azurerm",
        "Azure/naming/azurerm",
        "Azure/network/azurerm",
    ] {
        assert!(unevaluated.contains(registry), "{registry} not listed");
    }
    assert!(
        unevaluated.contains("terraform init"),
        "the remedy is named"
    );
    // The AVM VM module's own sub-modules are missing on disk, but its examples call them
    // with empty maps: zero instances, nothing to follow, nothing listed.
    assert!(!unevaluated.contains("./modules/backup"), "{unevaluated}");
    let o = kensa(&["inventory", "--iac", path, "--resources"]);
    let inv: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let addresses: Vec<&str> = inv
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["resource"]["terraformAddress"].as_str())
        .collect();
    // Local sources are followed with the caller's arguments: the traffic-manager example
    // calls ./modules/region twice, the AVM examples call ../../.
    for prefix in [
        "module.region1.",
        "module.region2.",
        "module.testvm.",
        "module.loadbalancer.",
    ] {
        assert!(
            addresses.iter().any(|a| a.starts_with(prefix)),
            "nothing reached through {prefix}: {addresses:?}"
        );
    }
    // A module root that its examples call is not also scanned on its own with defaults.
    assert!(
        !addresses.contains(&"azurerm_linux_virtual_machine.this"),
        "the AVM VM module scanned as a root"
    );
}
