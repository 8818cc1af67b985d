//! End-to-end exposure along every network path, on the real templates in ../shared/external
//! (ARM, Bicep quickstarts, Terraform provider examples): what each exposes, and through
//! which kind of path. The per-path cases written for kensa are in
//! tests/rules/network.vm-exposed-management-port/load-balancer-paths.

mod common;

use common::*;

/// (path kind, port) of every end-to-end exposure finding, sorted.
fn exposures(report: &serde_json::Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "network.vm-exposed-management-port")
        .map(|f| {
            (
                f["evidence"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["evidence"]["port"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

fn check(cases: &[(&str, &[(&str, u64)])]) {
    let mut wrong = Vec::new();
    for (rel, expected) in cases {
        let Some(dir) = shared(rel) else { return };
        let got = exposures(&iac_json(&[dir.to_str().expect("utf-8")]));
        let expected: Vec<(String, u64)> =
            expected.iter().map(|(k, p)| (k.to_string(), *p)).collect();
        if got != expected {
            wrong.push(format!("{rel}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn arm_templates_behind_load_balancers() {
    check(&[
        // NAT pool 50000-50099 → 22, the NIC configuration's NSG allows 22 from *.
        (
            "arm-templates/vmss-linux-nat-zones",
            &[("inbound NAT pool", 22)],
        ),
        (
            "arm-templates/vmss-windows-nat-zones",
            &[("inbound NAT pool", 3389)],
        ),
        // No NSG at all and no SKU: a Basic load balancer is open.
        (
            "arm-templates/vmss-custom-script-windows",
            &[("inbound NAT pool", 3389)],
        ),
        // One NAT rule per VM (copy loop), the subnet NSG allows 22 from *.
        (
            "arm-templates/multi-vm-lb-zones",
            &[
                ("inbound NAT rule", 22),
                ("inbound NAT rule", 22),
                ("inbound NAT rule", 22),
            ],
        ),
        (
            "arm-templates/rds-deployment",
            &[("inbound NAT rule", 3389)],
        ),
        // NAT rules to 3389, but the shared subnet's NSG has only the default rules.
        ("arm-templates/2fe-lb80-rdp-1be-nsg-rdp", &[]),
        // NAT pool to 3389 on a Standard load balancer with no NSG: closed.
        ("arm-templates/vmss-trustedlaunch-windows", &[]),
    ]);
}

#[test]
fn bicep_quickstarts_behind_load_balancers() {
    check(&[
        (
            "bicep/quickstarts/active-directory-new-domain",
            &[("inbound NAT rule", 3389)],
        ),
        (
            "bicep/quickstarts/vmss-azure-files-linux",
            &[("inbound NAT pool", 22)],
        ),
        (
            "bicep/quickstarts/vmss-windows-autoscale",
            &[("inbound NAT pool", 3389)],
        ),
        (
            "bicep/quickstarts/vm-new-or-existing-conditions",
            &[("public IP", 22)],
        ),
        // Empty subnet NSGs, internal load balancers, rules that only forward 80.
        ("bicep/quickstarts/1-vm-loadbalancer-2-nics", &[]),
        ("bicep/quickstarts/2-vms-loadbalancer-natrules", &[]),
        ("bicep/quickstarts/2-vms-internal-load-balancer", &[]),
        ("bicep/quickstarts/load-balancer-standard-create", &[]),
        ("bicep/quickstarts/traffic-manager-vm", &[]),
        ("bicep/quickstarts/front-door-premium-vm-private-link", &[]),
    ]);
}

#[test]
fn terraform_examples_behind_load_balancers() {
    check(&[
        (
            "terraform/loadbalancer/vm-scale-set/virtual_machine_scale_set/loadbalancer-probe",
            &[("inbound NAT pool", 22)],
        ),
        // A load-balancing rule 22 → 22 on a frontend named "internal" that is public.
        (
            "terraform/loadbalancer/vm-scale-set/linux/rolling-upgrade-policy",
            &[("load-balancing rule", 22)],
        ),
        (
            "terraform/loadbalancer/service-fabric/windows-vmss-self-signed-certs",
            &[("inbound NAT pool", 3389)],
        ),
    ]);
}

#[test]
fn an_association_that_links_nothing_is_listed_never_passed() {
    let Some(dir) = shared(
        "terraform/loadbalancer/virtual-machines/virtual_machine/2-vms-loadbalancer-lbrules",
    ) else {
        return;
    };
    // Upstream quotes `"element(...)"` as a literal string: the NIC ↔ NAT rule link is lost.
    let report = iac_json(&[dir.to_str().expect("utf-8")]);
    assert_eq!(report["verdict"], "incomplete");
    let notes = report["coverage"]["unevaluated"].to_string();
    assert!(
        notes.contains("azurerm_network_interface_nat_rule_association.natrule[0]")
            && notes.contains("is not a resource id"),
        "{notes}"
    );
}
