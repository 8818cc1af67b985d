//! kensa on Checkov's and Regula's own fixtures: the verdicts docs/peer-comparison.md
//! lists, agreements and disagreements, asserted.

mod common;

use std::collections::BTreeSet;

use common::*;

fn iac(path: &std::path::Path) -> serde_json::Value {
    iac_json(&[path.to_str().expect("utf-8"), "--no-parameter-files"])
}

/// Terraform addresses (or ARM names) with a finding of `rule` (on `port`, when given).
fn failing(report: &serde_json::Value, rule: &str, port: Option<u64>) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .filter(|f| port.is_none() || f["evidence"]["port"].as_u64() == port)
        .map(|f| {
            let id = f["resource_id"].as_str().unwrap_or_default();
            // Terraform declarations sharing one Azure name carry their address after '~';
            // one whose name is only known at apply is named by its address.
            match id.rsplit_once('~') {
                Some((_, address)) => address.to_string(),
                None => f["resource_name"].as_str().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn checkov_terraform_nsg_fixtures() {
    let Some(base) = shared("checkov-cases/tests/terraform") else {
        return;
    };
    let ssh = iac(&base.join("example_NSGRuleSSHAccessRestricted"));
    assert_eq!(
        failing(&ssh, "network.nsg-open-management-port", Some(22)),
        set(&[
            "azurerm_network_security_group.ranges",
            "azurerm_network_security_rule.all",
            "azurerm_network_security_rule.range",
            "azurerm_network_security_rule.ranges_prefixes",
            "azurerm_network_security_rule.ssh",
        ])
    );
    let rdp = iac(&base.join("example_NSGRuleRDPAccessRestricted"));
    assert_eq!(
        failing(&rdp, "network.nsg-open-management-port", Some(3389)),
        set(&[
            "azurerm_network_security_group.ranges",
            "azurerm_network_security_rule.all",
            "azurerm_network_security_rule.range",
            "azurerm_network_security_rule.range_prefix_lower_case",
            "azurerm_network_security_rule.ranges_prefixes",
            "azurerm_network_security_rule.ranges_prefixes_lower_case",
            "azurerm_network_security_rule.rdp",
        ])
    );
}

#[test]
fn checkov_disk_fixtures_and_the_platform_key_disagreement() {
    let Some(base) = shared("checkov-cases/tests") else {
        return;
    };
    let tf = iac(&base.join("terraform/example_AzureManagedDiskEncryption"));
    // Checkov passes pass3 ("encrypted by default"); kensa does not accept platform keys.
    assert_eq!(
        failing(&tf, "disk.encryption", None),
        set(&[
            "azurerm_managed_disk.fail",
            "azurerm_managed_disk.pass3",
            // `fail2` has a literal name and so no address suffix.
            "acctestmd",
        ])
    );
    let arm = iac(&base.join("arm/example_AzureManagedDiscEncryption"));
    let disks: BTreeSet<String> = failing(&arm, "disk.encryption", None)
        .into_iter()
        .filter(|n| n != "Demo-VM")
        .collect();
    assert_eq!(disks, set(&["default"]));
    let des = iac(&base.join("arm/example_AzureManagedDiskEncryptionSet"));
    assert_eq!(failing(&des, "disk.encryption", None), set(&["failed"]));
}

#[test]
fn checkov_arm_nsg_fixtures() {
    let Some(base) = shared("checkov-cases/tests/arm/example_NSGRuleSSHAccessRestricted") else {
        return;
    };
    let r = iac(&base);
    let by_file: BTreeSet<(String, u64)> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["rule_id"] == "network.nsg-open-management-port" && f["evidence"]["port"] == 22
        })
        .map(file_and_line)
        .collect();
    let files: BTreeSet<&str> = by_file.iter().map(|(f, _)| f.as_str()).collect();
    // FAILED.json declares two NSGs with one name: a template error, reported with both
    // lines, and both declarations are judged (as Checkov does).
    assert_eq!(
        files,
        [
            "NSGRulePortAccessRestricted-FAILED.json",
            "NSGRulePortAccessRestricted-RULE-1Pass-1Fail.json"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(by_file.len(), 3, "{by_file:?}");
    let gaps = r["coverage"]["source_gaps"].to_string();
    assert!(
        gaps.contains("NSGRulePortAccessRestricted-FAILED.json:")
            && gaps.contains("is also declared at"),
        "{gaps}"
    );
    assert_eq!(r["verdict"], "incomplete");
}

#[test]
fn regula_fixtures() {
    let Some(base) = shared("regula-cases/tests/rules") else {
        return;
    };
    let disks = iac(&base.join("arm/vm/inputs/disk_encryption_infra.json"));
    let failed = failing(&disks, "disk.encryption", None);
    for invalid in ["reguladisk4", "reguladisk5", "regulavm3"] {
        assert!(failed.contains(invalid), "{invalid}: {failed:?}");
    }
    for valid in ["reguladisk1", "reguladisk2"] {
        assert!(!failed.contains(valid), "{valid}: {failed:?}");
    }
    // Per NSG, not per rule: one finding on RegulaSG1 naming the rule that decides.
    let nsg = iac(&base.join("arm/network/inputs/security_group_no_inbound_22_infra.json"));
    let f: Vec<&serde_json::Value> = nsg["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["rule_id"] == "network.nsg-open-management-port" && f["evidence"]["port"] == 22
        })
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["resource_name"], "RegulaSG1");
    assert_eq!(f[0]["evidence"]["rule"], "Rule1");
    let tf = base.join("tf/azurerm/network/inputs");
    assert_eq!(
        failing(
            &iac(&tf.join("invalid_inbound_port_22.tf")),
            "network.nsg-open-management-port",
            Some(22)
        ),
        set(&["bad-group-01", "bad-group-02"])
    );
    assert!(failing(
        &iac(&tf.join("valid_inbound_port_22.tf")),
        "network.nsg-open-management-port",
        None
    )
    .is_empty());
}
