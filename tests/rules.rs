//! Rule semantics end to end on the demo estate (each machine in it is built to show one
//! behaviour) and on the real Azure API shapes in ../shared/external.

mod common;
use common::*;

fn by(report: &serde_json::Value, rule: &str, name: &str) -> Vec<serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule && f["resource_name"] == name)
        .cloned()
        .collect()
}

fn ports(report: &serde_json::Value, rule: &str, name: &str) -> Vec<u64> {
    let mut p: Vec<u64> = by(report, rule, name)
        .iter()
        .map(|f| f["evidence"]["port"].as_u64().expect("port is a number"))
        .collect();
    p.sort();
    p
}

#[test]
fn compliant_machines_have_no_findings() {
    let r = demo_json();
    for name in [
        "vm-web-01",
        "vm-jump-01",
        "vmss-api",
        "nic-web-01",
        "nsg-web-01",
        "nsg-jump-01",
        "vm-web-01_OsDisk_1_5f0c",
        "vm-web-01-data-00",
    ] {
        let hits: Vec<_> = findings_of(&r)
            .into_iter()
            .filter(|(_, n)| n == name)
            .collect();
        assert!(hits.is_empty(), "{name}: {hits:?}");
    }
}

#[test]
fn every_rule_fires_somewhere_in_the_demo() {
    let r = demo_json();
    // Packer builds are IaC only: tests/iac_terraform_packer.rs makes those rules fire.
    for (rule, n) in r["summary"]["by_rule"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(rule, _)| !rule.starts_with("packer."))
    {
        assert!(
            n.as_u64().unwrap() > 0,
            "{rule} never fires on the demo estate"
        );
    }
}

#[test]
fn subnet_nsg_closes_what_the_nic_nsg_opens() {
    let r = demo_json();
    // nsg-web-02 admits SSH from the internet, but snet-web's NSG denies it first.
    assert_eq!(
        ports(&r, "network.nsg-open-management-port", "nsg-web-02"),
        vec![22]
    );
    assert!(by(&r, "network.vm-exposed-management-port", "vm-web-02").is_empty());
    // And the other way round: snet-data opens WinRM, nic-data-01's NSG denies it.
    assert_eq!(
        ports(&r, "network.nsg-open-management-port", "nsg-snet-data"),
        vec![5986]
    );
    assert!(by(&r, "network.vm-exposed-management-port", "vm-data-01").is_empty());
}

#[test]
fn basic_public_ip_without_nsg_exposes_every_management_port() {
    let r = demo_json();
    assert_eq!(
        ports(&r, "network.vm-exposed-management-port", "vm-legacy-01"),
        vec![22, 3389, 5985, 5986]
    );
    let f = &by(&r, "network.vm-exposed-management-port", "vm-legacy-01")[0];
    assert_eq!(f["severity"], "critical");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("pip-legacy-01 (52.174.10.7)"));
}

#[test]
fn plural_ranges_count_and_outbound_and_udp_dns_do_not() {
    let r = demo_json();
    assert_eq!(
        ports(&r, "network.nsg-open-management-port", "nsg-mgmt"),
        vec![22, 3389]
    );
    let f = &by(&r, "network.nsg-open-management-port", "nsg-mgmt")[0];
    assert_eq!(f["evidence"]["rule"], "allow-legacy-admin");
    assert_eq!(f["evidence"]["source"], "0.0.0.0/0");
    assert_eq!(f["remediation"]["command"], "az network nsg rule update -g rg-net --nsg-name nsg-mgmt -n allow-legacy-admin --access Deny --subscription 3f2a6d7e-1c4b-4e8a-9d2f-7a1b5c9e0d11");
}

#[test]
fn jit_is_required_only_where_a_public_ip_has_no_entry() {
    let r = demo_json();
    let mut flagged: Vec<String> = findings_of(&r)
        .into_iter()
        .filter(|(rule, _)| rule == "network.jit-required")
        .map(|(_, n)| n)
        .collect();
    flagged.sort();
    // vm-jump-01 has a public IP and a JIT entry (its id in the policy is lower-cased).
    assert_eq!(flagged, vec!["vm-data-01", "vm-legacy-01", "vm-web-02"]);
}

#[test]
fn image_rules_follow_the_running_version() {
    let r = demo_json();
    let age = by(&r, "image.age", "vm-web-02");
    assert_eq!(age.len(), 1);
    assert!(age[0]["evidence"]["image_version"]
        .as_str()
        .unwrap()
        .ends_with("/versions/1.3.0"));
    assert_eq!(age[0]["evidence"]["age_days"], 70);
    let keys: Vec<String> = by(&r, "image.age", "vm-batch-01")
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        keys.iter().any(|m| m.contains("past its end-of-life")),
        "{keys:?}"
    );
    assert_eq!(by(&r, "image.pinned-version", "vm-web-02").len(), 1);
    assert_eq!(
        by(&r, "image.approved-source", "vm-data-01").len(),
        1,
        "sandbox gallery is not approved"
    );
    assert!(
        by(&r, "image.approved-source", "vm-web-02").is_empty(),
        "golden gallery, any case"
    );
}

#[test]
fn disk_encryption_accepts_encryption_at_host_ade_and_customer_keys() {
    let r = demo_json();
    let mut flagged: Vec<String> = findings_of(&r)
        .into_iter()
        .filter(|(rule, _)| rule == "disk.encryption")
        .map(|(_, n)| n)
        .collect();
    flagged.sort();
    assert_eq!(
        flagged,
        vec![
            "disk-old-backup",
            "vm-legacy-01_OsDisk_1_9d4b",
            "vmss-worker"
        ]
    );
}

#[test]
fn patch_rules_judge_running_machines_only() {
    let r = demo_json();
    assert_eq!(by(&r, "patch.age", "vm-legacy-01").len(), 1);
    assert!(
        by(&r, "patch.age", "vm-web-02").is_empty(),
        "openssl is only 8 days old"
    );
    assert_eq!(
        by(&r, "patch.assessment-stale", "vm-data-01").len(),
        1,
        "Failed assessment"
    );
    assert!(
        findings_of(&r)
            .iter()
            .all(|(rule, n)| !(rule.starts_with("patch.assessment-stale") && n == "vm-batch-01")),
        "deallocated"
    );
    assert_eq!(by(&r, "patch.assessment-mode", "vm-legacy-01").len(), 1);
}

#[test]
fn coverage_names_what_could_not_be_decided() {
    let r = demo_json();
    let undecided = r["coverage"]["undecided"].as_array().unwrap();
    assert!(undecided
        .iter()
        .any(|u| u["rule_id"] == "network.vm-exposed-management-port"
            && u["resource_id"].as_str().unwrap().ends_with("vm-app-03")));
    assert!(
        undecided
            .iter()
            .all(|u| u["reason"].as_str().unwrap().contains("nic-app-03")),
        "{undecided:?}"
    );
    // Undecided checks make the scan incomplete: nothing unjudged is ever "passed".
    assert_eq!(r["coverage"]["complete"], false);
    assert_eq!(r["coverage"]["source_gaps"], serde_json::json!([]));
    assert_eq!(r["coverage"]["resources"], 61);
}

#[test]
fn fingerprints_are_stable_and_unique() {
    let a = demo_json();
    let fps: Vec<&str> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    let mut unique = fps.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), fps.len());
    // Pinned value: a change would reopen every alert users have triaged.
    let f = &by(&a, "network.nsg-open-management-port", "nsg-web-02")[0];
    // sha256("network.nsg-open-management-port\n<lower-cased id>\n22"), first 16 bytes.
    assert_eq!(f["fingerprint"], "6b7f735148e7ca2b0831ca172462e16d");
}

/// Real rows: the ARG VM row and the bodies of the ARM GET examples, as NDJSON.
#[test]
fn real_api_shapes_scan_cleanly() {
    let Some(dir) = shared("azure-api/resources") else {
        return;
    };
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let row = if let Some(g) = doc.get("graphResults") {
            g.clone()
        } else {
            doc["responses"]["200"]["body"].clone()
        };
        if row.get("id").is_some() && row.get("type").is_some() {
            lines.push(serde_json::to_string(&row).unwrap());
        }
    }
    assert!(lines.len() >= 10, "only {} rows", lines.len());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("real.ndjson");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let o = kensa(&[
        "scan",
        "--snapshot",
        &file.display().to_string(),
        "--format",
        "json",
        "--fail-on",
        "none",
        "--now",
        NOW,
        "--config",
        &demo_file("kensa.toml"),
    ]);
    // Incomplete: the real rows reference NICs and disks that are not in them.
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The real ARG row: marketplace `latest`, deallocated, no assessment mode.
    for rule in [
        "image.approved-source",
        "image.pinned-version",
        "patch.assessment-mode",
    ] {
        assert_eq!(by(&r, rule, "vm-test").len(), 1, "{rule}");
    }
    assert!(
        by(&r, "patch.assessment-stale", "vm-test").is_empty(),
        "deallocated VMs are not judged"
    );
    // The NSG example opens port 80 only.
    assert!(by(&r, "network.nsg-open-management-port", "testnsg").is_empty());
}

#[test]
fn rollout_view_lists_machines_behind_the_newest_golden_image() {
    let r = demo_json();
    let rollout = r["rollout"].as_array().unwrap();
    assert_eq!(rollout.len(), 1);
    assert!(rollout[0]["image_definition"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .ends_with("/galleries/golden/images/ubuntu-2204"));
    assert_eq!(rollout[0]["latest_version"], "1.4.0");
    let behind: Vec<(String, u64)> = rollout[0]["behind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["resource_name"].as_str().unwrap().to_string(),
                b["versions_behind"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        behind,
        vec![("vm-batch-01".to_string(), 2), ("vm-web-02".to_string(), 1)]
    );
    // Machines on a version of an unapproved gallery are not part of the rollout.
    assert!(by(&r, "image.behind-latest", "vm-data-01").is_empty());
}
