//! The synthetic estate of the scan benchmark, also scanned by the findings-equivalence test
//! (tests/equivalence.rs): `vms` VMs with their NICs, NSGs, disks, public IPs and patch
//! rows; per 250 VMs a VNet, a subnet NSG, a public load balancer with NAT rules, NAT pools
//! and four scale sets; three gallery image versions.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{json, Value};

const SUB: &str = "5d9c1f3e-2b7a-4c8d-9e0f-1a2b3c4d5e6f";

fn rid(rg: &str, kind: &str, name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/{kind}/{name}")
}

fn base(id: &str, kind: &str, name: &str, rg: &str, props: Value) -> Value {
    json!({"id": id, "name": name, "type": kind, "tenantId": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "kind": "", "location": "westeurope",
           "resourceGroup": rg, "subscriptionId": SUB, "managedBy": "", "sku": null, "plan": null, "properties": props,
           "tags": {"env": "prod", "costcenter": "cc-4711"}, "identity": null, "zones": null, "extendedLocation": null})
}

/// (name, priority, access, protocol, source, destination port, direction)
type RuleSpec<'a> = (&'a str, u32, &'a str, &'a str, &'a str, &'a str, &'a str);

fn nsg_rule(nsg: &str, kind: &str, (name, prio, access, proto, src, port, dir): RuleSpec) -> Value {
    json!({"name": name, "id": format!("{nsg}/{kind}/{name}"), "etag": "W/\"00000000-0000-0000-0000-000000000000\"", "type": format!("Microsoft.Network/networkSecurityGroups/{kind}"),
           "properties": {"provisioningState": "Succeeded", "protocol": proto, "sourcePortRange": "*", "destinationPortRange": port,
                          "sourceAddressPrefix": src, "destinationAddressPrefix": "*", "access": access, "priority": prio, "direction": dir,
                          "sourcePortRanges": [], "destinationPortRanges": [], "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}})
}

/// Writes an ARG response body with `vms` VMs and their neighbours; returns the row count.
pub fn generate(vms: usize, path: &Path) -> std::io::Result<usize> {
    let mut w = BufWriter::new(File::create(path)?);
    let mut rows = 0usize;
    w.write_all(b"{\"resultTruncated\":\"false\",\"facets\":[],\"data\":[\n")?;
    let mut emit = |w: &mut BufWriter<File>, v: Value| -> std::io::Result<()> {
        if rows > 0 {
            w.write_all(b",\n")?;
        }
        rows += 1;
        serde_json::to_writer(&mut *w, &v).map_err(std::io::Error::other)
    };
    let gallery = rid("rg-images", "Microsoft.Compute/galleries", "golden");
    let def = format!("{gallery}/images/ubuntu-2204");
    for (v, published) in [
        ("1.0.0", "2026-06-01T00:00:00Z"),
        ("1.1.0", "2026-09-01T00:00:00Z"),
        ("1.2.0", "2026-11-01T00:00:00Z"),
    ] {
        emit(
            &mut w,
            base(
                &format!("{def}/versions/{v}"),
                "microsoft.compute/galleries/images/versions",
                v,
                "rg-images",
                json!({"publishingProfile": {"publishedDate": published, "replicaCount": 2, "targetRegions": [{"name": "West Europe", "regionalReplicaCount": 2}]}, "provisioningState": "Succeeded"}),
            ),
        )?;
    }
    let vnets = vms.div_ceil(250);
    for n in 0..vnets {
        let vnet = rid(
            "rg-net",
            "Microsoft.Network/virtualNetworks",
            &format!("vnet-{n:03}"),
        );
        let subnets: Vec<Value> = (0..4).map(|s| json!({"name": format!("snet-{s}"), "id": format!("{vnet}/subnets/snet-{s}"), "properties": {"addressPrefix": format!("10.{n}.{s}.0/24"),
            "networkSecurityGroup": if s == 1 { json!({"id": rid("rg-net", "Microsoft.Network/networkSecurityGroups", &format!("nsg-snet-{n:03}"))}) } else { Value::Null }}})).collect();
        emit(
            &mut w,
            base(
                &vnet,
                "microsoft.network/virtualnetworks",
                &format!("vnet-{n:03}"),
                "rg-net",
                json!({"addressSpace": {"addressPrefixes": [format!("10.{n}.0.0/16")]}, "subnets": subnets}),
            ),
        )?;
        let nsg = rid(
            "rg-net",
            "Microsoft.Network/networkSecurityGroups",
            &format!("nsg-snet-{n:03}"),
        );
        emit(
            &mut w,
            base(
                &nsg,
                "microsoft.network/networksecuritygroups",
                &format!("nsg-snet-{n:03}"),
                "rg-net",
                json!({
            "securityRules": [nsg_rule(&nsg, "securityRules", ("allow-https", 100, "Allow", "Tcp", "Internet", "443", "Inbound"))],
            "defaultSecurityRules": defaults(&nsg)}),
            ),
        )?;
        // A public Standard load balancer per VNet: HTTPS to a pool of half its VMs, an SSH
        // NAT rule to every fifth VM, and SSH NAT pools for four scale sets.
        let lb = rid(
            "rg-net",
            "Microsoft.Network/loadBalancers",
            &format!("lb-{n:03}"),
        );
        let lb_pip = rid(
            "rg-net",
            "Microsoft.Network/publicIPAddresses",
            &format!("pip-lb-{n:03}"),
        );
        let fe = json!({"id": format!("{lb}/frontendIPConfigurations/fe")});
        let pool = format!("{lb}/backendAddressPools/be-web");
        let nat_rules: Vec<Value> = (n * 250..vms.min((n + 1) * 250))
            .filter(|i| i % 5 == 0)
            .map(|i| json!({"name": format!("ssh-{i:05}"), "id": format!("{lb}/inboundNatRules/ssh-{i:05}"),
                "properties": {"frontendIPConfiguration": fe, "frontendPort": 50000 + i % 250, "backendPort": 22, "protocol": "Tcp", "enableFloatingIP": false}}))
            .collect();
        let nat_pools: Vec<Value> = (0..4)
            .map(|k| json!({"name": format!("ssh-pool-{k}"), "id": format!("{lb}/inboundNatPools/ssh-pool-{k}"),
                "properties": {"frontendIPConfiguration": fe, "frontendPortRangeStart": 51000 + k * 100, "frontendPortRangeEnd": 51099 + k * 100, "backendPort": 22, "protocol": "Tcp"}}))
            .collect();
        let mut lb_row = base(
            &lb,
            "microsoft.network/loadbalancers",
            &format!("lb-{n:03}"),
            "rg-net",
            json!({
            "frontendIPConfigurations": [{"name": "fe", "id": format!("{lb}/frontendIPConfigurations/fe"), "properties": {"publicIPAddress": {"id": lb_pip}, "privateIPAllocationMethod": "Dynamic"}}],
            "backendAddressPools": [{"name": "be-web", "id": pool, "properties": {}}],
            "loadBalancingRules": [{"name": "https", "id": format!("{lb}/loadBalancingRules/https"), "properties": {"frontendIPConfiguration": fe, "frontendPort": 443, "backendPort": 443, "protocol": "Tcp", "backendAddressPool": {"id": pool}, "backendAddressPools": [{"id": pool}]}}],
            "inboundNatRules": nat_rules, "inboundNatPools": nat_pools, "provisioningState": "Succeeded"}),
        );
        lb_row["sku"] = json!({"name": "Standard", "tier": "Regional"});
        emit(&mut w, lb_row)?;
        let mut p = base(
            &lb_pip,
            "microsoft.network/publicipaddresses",
            &format!("pip-lb-{n:03}"),
            "rg-net",
            json!({"ipAddress": format!("52.{}.0.1", n % 256), "publicIPAllocationMethod": "Static"}),
        );
        p["sku"] = json!({"name": "Standard", "tier": "Regional"});
        emit(&mut w, p)?;
        for k in 0..4 {
            let ss = rid(
                "rg-net",
                "Microsoft.Compute/virtualMachineScaleSets",
                &format!("vmss-{n:03}-{k}"),
            );
            let mut row = base(
                &ss,
                "microsoft.compute/virtualmachinescalesets",
                &format!("vmss-{n:03}-{k}"),
                "rg-net",
                json!({
                "orchestrationMode": "Uniform", "provisioningState": "Succeeded",
                "virtualMachineProfile": {
                    "storageProfile": {"imageReference": {"id": format!("{def}/versions/1.2.0")}, "osDisk": {"osType": "Linux", "createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}}},
                    "securityProfile": {"encryptionAtHost": true, "securityType": "TrustedLaunch", "uefiSettings": {"secureBootEnabled": true, "vTpmEnabled": true}},
                    "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {"primary": true, "ipConfigurations": [{"name": "ipconfig1", "properties": {
                        "subnet": {"id": format!("{vnet}/subnets/snet-{}", k % 4)},
                        "loadBalancerBackendAddressPools": [{"id": pool}],
                        "loadBalancerInboundNatPools": [{"id": format!("{lb}/inboundNatPools/ssh-pool-{k}")}]}}]}}]}}}),
            );
            row["sku"] = json!({"name": "Standard_D2s_v5", "tier": "Standard", "capacity": 3});
            emit(&mut w, row)?;
        }
    }
    for i in 0..vms {
        let rg = format!("rg-app-{:03}", i / 100);
        let vm = rid(
            &rg,
            "Microsoft.Compute/virtualMachines",
            &format!("vm-{i:05}"),
        );
        let nic = rid(
            &rg,
            "Microsoft.Network/networkInterfaces",
            &format!("nic-{i:05}"),
        );
        let nsg = rid(
            &rg,
            "Microsoft.Network/networkSecurityGroups",
            &format!("nsg-{i:05}"),
        );
        let os = rid(
            &rg,
            "Microsoft.Compute/disks",
            &format!("vm-{i:05}_OsDisk_1"),
        );
        let data = rid(&rg, "Microsoft.Compute/disks", &format!("vm-{i:05}-data-0"));
        let public = i % 4 == 0;
        let pip = rid(
            &rg,
            "Microsoft.Network/publicIPAddresses",
            &format!("pip-{i:05}"),
        );
        let version = ["1.0.0", "1.1.0", "1.2.0"][i % 3];
        let image = if i % 10 == 0 {
            json!({"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"})
        } else {
            json!({"id": format!("{def}/versions/{version}")})
        };
        emit(
            &mut w,
            base(
                &vm,
                "microsoft.compute/virtualmachines",
                &format!("vm-{i:05}"),
                &rg,
                json!({
            "vmId": format!("00000000-0000-4000-8000-{i:012}"), "hardwareProfile": {"vmSize": "Standard_D4s_v5"},
            "storageProfile": {"imageReference": image, "osDisk": {"osType": "Linux", "name": format!("vm-{i:05}_OsDisk_1"), "createOption": "FromImage", "caching": "ReadWrite", "managedDisk": {"id": os, "storageAccountType": "Premium_LRS"}, "diskSizeGB": 64},
                "dataDisks": [{"lun": 0, "name": format!("vm-{i:05}-data-0"), "createOption": "Attach", "caching": "None", "managedDisk": {"id": data, "storageAccountType": "Premium_LRS"}, "diskSizeGB": 256}]},
            "osProfile": {"computerName": format!("vm-{i:05}"), "adminUsername": "azureops", "linuxConfiguration": {"disablePasswordAuthentication": true, "provisionVMAgent": true,
                "patchSettings": {"patchMode": "AutomaticByPlatform", "assessmentMode": if i % 7 == 0 { "ImageDefault" } else { "AutomaticByPlatform" }}}, "secrets": [], "allowExtensionOperations": true},
            "networkProfile": {"networkInterfaces": [{"id": nic}]},
            "securityProfile": {"encryptionAtHost": i % 5 != 0, "securityType": "TrustedLaunch", "uefiSettings": {"secureBootEnabled": true, "vTpmEnabled": true}},
            "diagnosticsProfile": {"bootDiagnostics": {"enabled": true}}, "provisioningState": "Succeeded",
            "extended": {"instanceView": {"computerName": format!("vm-{i:05}"), "osName": "ubuntu", "osVersion": "22.04", "powerState": {"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"}}}}),
            ),
        )?;
        let subnet = rid(
            "rg-net",
            "Microsoft.Network/virtualNetworks",
            &format!("vnet-{:03}/subnets/snet-{}", i / 250, i % 4),
        );
        let mut ipc = json!({"privateIPAddress": format!("10.{}.{}.{}", i / 250, i % 4, i % 250 + 4), "privateIPAllocationMethod": "Dynamic", "subnet": {"id": subnet}, "primary": true, "privateIPAddressVersion": "IPv4"});
        if public {
            ipc["publicIPAddress"] = json!({"id": pip});
        }
        let lb = rid(
            "rg-net",
            "Microsoft.Network/loadBalancers",
            &format!("lb-{:03}", i / 250),
        );
        if i % 2 == 0 {
            ipc["loadBalancerBackendAddressPools"] =
                json!([{"id": format!("{lb}/backendAddressPools/be-web")}]);
        }
        if i % 5 == 0 {
            ipc["loadBalancerInboundNatRules"] =
                json!([{"id": format!("{lb}/inboundNatRules/ssh-{i:05}")}]);
        }
        emit(
            &mut w,
            base(
                &nic,
                "microsoft.network/networkinterfaces",
                &format!("nic-{i:05}"),
                &rg,
                json!({
            "ipConfigurations": [{"name": "ipconfig1", "id": format!("{nic}/ipConfigurations/ipconfig1"), "properties": ipc}],
            "networkSecurityGroup": {"id": nsg}, "virtualMachine": {"id": vm}, "enableAcceleratedNetworking": true, "macAddress": "00-0D-3A-00-00-00", "primary": true}),
            ),
        )?;
        let mut rules = vec![nsg_rule(
            &nsg,
            "securityRules",
            (
                "allow-https",
                100,
                "Allow",
                "Tcp",
                "Internet",
                "443",
                "Inbound",
            ),
        )];
        if i % 8 == 0 {
            rules.push(nsg_rule(
                &nsg,
                "securityRules",
                ("allow-ssh", 110, "Allow", "Tcp", "*", "22", "Inbound"),
            ));
        }
        emit(
            &mut w,
            base(
                &nsg,
                "microsoft.network/networksecuritygroups",
                &format!("nsg-{i:05}"),
                &rg,
                json!({"securityRules": rules, "defaultSecurityRules": defaults(&nsg), "networkInterfaces": [{"id": nic}]}),
            ),
        )?;
        for (disk, enc) in [
            (&os, "EncryptionAtRestWithPlatformKey"),
            (
                &data,
                if i % 3 == 0 {
                    "EncryptionAtRestWithCustomerKey"
                } else {
                    "EncryptionAtRestWithPlatformKey"
                },
            ),
        ] {
            let mut d = base(
                disk,
                "microsoft.compute/disks",
                disk.rsplit('/').next().unwrap_or(""),
                &rg,
                json!({
                "diskSizeGB": 64, "diskState": "Attached", "encryption": {"type": enc}, "timeCreated": "2026-06-01T08:00:00Z",
                "creationData": {"createOption": "FromImage", "galleryImageReference": {"id": format!("{def}/versions/{version}")}}, "provisioningState": "Succeeded"}),
            );
            d["managedBy"] = json!(vm);
            emit(&mut w, d)?;
        }
        if public {
            let mut p = base(
                &pip,
                "microsoft.network/publicipaddresses",
                &format!("pip-{i:05}"),
                &rg,
                json!({"ipAddress": format!("20.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256), "publicIPAllocationMethod": "Static", "ipConfiguration": {"id": format!("{nic}/ipConfigurations/ipconfig1")}}),
            );
            p["sku"] =
                json!({"name": if i % 16 == 0 { "Basic" } else { "Standard" }, "tier": "Regional"});
            emit(&mut w, p)?;
        }
        let assessed = if i % 9 == 0 {
            "2026-10-01T00:00:00Z"
        } else {
            "2026-11-19T00:00:00Z"
        };
        emit(
            &mut w,
            base(
                &format!("{vm}/patchAssessmentResults/latest"),
                "microsoft.compute/virtualmachines/patchassessmentresults",
                "latest",
                &rg,
                json!({
            "status": "Succeeded", "lastModifiedDateTime": assessed, "osType": "Linux", "availablePatchCountByClassification": {"security": 1, "critical": 0, "other": 3}}),
            ),
        )?;
        if i % 2 == 0 {
            emit(
                &mut w,
                base(
                    &format!("{vm}/patchAssessmentResults/latest/softwarePatches/p{i}"),
                    "microsoft.compute/virtualmachines/patchassessmentresults/softwarepatches",
                    &format!("p{i}"),
                    &rg,
                    json!({
                "patchName": "openssl", "version": "3.0.2-0ubuntu1.18", "classifications": ["Security"], "publishedDateTime": if i % 4 == 0 { "2026-09-01T00:00:00Z" } else { "2026-11-15T00:00:00Z" }, "installationState": "Pending"}),
                ),
            )?;
        }
    }
    w.write_all(format!("\n],\"totalRecords\":{rows},\"count\":{rows}}}\n").as_bytes())?;
    w.flush()?;
    Ok(rows)
}

fn defaults(nsg: &str) -> Vec<Value> {
    vec![
        nsg_rule(
            nsg,
            "defaultSecurityRules",
            (
                "AllowVnetInBound",
                65000,
                "Allow",
                "*",
                "VirtualNetwork",
                "*",
                "Inbound",
            ),
        ),
        nsg_rule(
            nsg,
            "defaultSecurityRules",
            (
                "AllowAzureLoadBalancerInBound",
                65001,
                "Allow",
                "*",
                "AzureLoadBalancer",
                "*",
                "Inbound",
            ),
        ),
        nsg_rule(
            nsg,
            "defaultSecurityRules",
            ("DenyAllInBound", 65500, "Deny", "*", "*", "*", "Inbound"),
        ),
        nsg_rule(
            nsg,
            "defaultSecurityRules",
            (
                "AllowVnetOutBound",
                65000,
                "Allow",
                "*",
                "VirtualNetwork",
                "*",
                "Outbound",
            ),
        ),
        nsg_rule(
            nsg,
            "defaultSecurityRules",
            (
                "AllowInternetOutBound",
                65001,
                "Allow",
                "*",
                "*",
                "*",
                "Outbound",
            ),
        ),
        nsg_rule(
            nsg,
            "defaultSecurityRules",
            ("DenyAllOutBound", 65500, "Deny", "*", "*", "*", "Outbound"),
        ),
    ]
}
