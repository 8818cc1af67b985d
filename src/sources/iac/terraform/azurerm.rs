//! azurerm resources mapped to the ARM shape the policies read. A plan's `values` and a
//! `.tf` block evaluated by `hcl::Scope::body` have the same shape (attributes, nested
//! blocks as arrays), so one mapping serves both. Each mapping also says which Terraform
//! attribute every ARM field came from, so findings point at the `.tf` line.

use serde_json::{json, Map, Value};

use crate::sources::iac::unknown::{unknown, unknown_reason};

/// An ARM resource made from one Terraform resource, plus (ARM pointer, Terraform pointer)
/// pairs for locations.
pub(crate) struct Mapped {
    pub(crate) value: Value,
    pub(crate) links: Vec<(String, String)>,
}

/// The ARM type of a mapped azurerm type.
pub(crate) fn arm_type(tf_type: &str) -> Option<&'static str> {
    Some(match tf_type {
        "azurerm_linux_virtual_machine"
        | "azurerm_windows_virtual_machine"
        | "azurerm_virtual_machine" => "Microsoft.Compute/virtualMachines",
        "azurerm_linux_virtual_machine_scale_set"
        | "azurerm_windows_virtual_machine_scale_set"
        | "azurerm_orchestrated_virtual_machine_scale_set" => {
            "Microsoft.Compute/virtualMachineScaleSets"
        }
        "azurerm_managed_disk" => "Microsoft.Compute/disks",
        "azurerm_network_security_group" => "Microsoft.Network/networkSecurityGroups",
        "azurerm_network_security_rule" => "Microsoft.Network/networkSecurityGroups/securityRules",
        "azurerm_network_interface" => "Microsoft.Network/networkInterfaces",
        "azurerm_public_ip" => "Microsoft.Network/publicIPAddresses",
        "azurerm_virtual_network" => "Microsoft.Network/virtualNetworks",
        "azurerm_subnet" => "Microsoft.Network/virtualNetworks/subnets",
        "azurerm_shared_image_version" => "Microsoft.Compute/galleries/images/versions",
        "azurerm_image" => "Microsoft.Compute/images",
        "azurerm_disk_encryption_set" => "Microsoft.Compute/diskEncryptionSets",
        "azurerm_virtual_machine_extension" => "Microsoft.Compute/virtualMachines/extensions",
        "azurerm_virtual_machine_scale_set_extension" => {
            "Microsoft.Compute/virtualMachineScaleSets/extensions"
        }
        "azurerm_lb" => "Microsoft.Network/loadBalancers",
        "azurerm_lb_nat_rule" => "Microsoft.Network/loadBalancers/inboundNatRules",
        "azurerm_lb_nat_pool" => "Microsoft.Network/loadBalancers/inboundNatPools",
        "azurerm_lb_rule" => "Microsoft.Network/loadBalancers/loadBalancingRules",
        "azurerm_lb_backend_address_pool" => "Microsoft.Network/loadBalancers/backendAddressPools",
        "azurerm_application_security_group" => "Microsoft.Network/applicationSecurityGroups",
        _ => return None,
    })
}

/// The ARM name of a resource (child types carry their parents' names).
pub(crate) fn arm_name(tf_type: &str, v: &Value) -> String {
    let s = |k: &str| text(v.get(k));
    match tf_type {
        "azurerm_network_security_rule" => {
            format!("{}/{}", s("network_security_group_name"), s("name"))
        }
        "azurerm_subnet" => format!("{}/{}", s("virtual_network_name"), s("name")),
        t if LB_PARTS.contains(&t) => {
            let lb = text(v.get("loadbalancer_id"));
            format!(
                "{}/{}",
                lb.rsplit('/').next().unwrap_or_default(),
                s("name")
            )
        }
        "azurerm_shared_image_version" => {
            format!("{}/{}/{}", s("gallery_name"), s("image_name"), s("name"))
        }
        _ => s("name"),
    }
}

/// The id of the resource; `scope` stands in for the subscription (one per module or plan,
/// so two roots that reuse names stay distinct resources).
pub(crate) fn arm_id(tf_type: &str, v: &Value, scope: &str) -> Option<String> {
    let kind = arm_type(tf_type)?;
    // Extensions are children of the machine they are declared for, load balancer parts
    // of their load balancer.
    for (t, parent) in [
        ("azurerm_virtual_machine_extension", "virtual_machine_id"),
        (
            "azurerm_virtual_machine_scale_set_extension",
            "virtual_machine_scale_set_id",
        ),
    ] {
        if tf_type == t {
            let machine = v.get(parent).and_then(Value::as_str)?;
            return Some(format!("{machine}/extensions/{}", text(v.get("name"))));
        }
    }
    if LB_PARTS.contains(&tf_type) {
        let lb = v.get("loadbalancer_id").and_then(Value::as_str)?;
        let child = kind.rsplit('/').next().unwrap_or_default();
        return Some(format!("{lb}/{child}/{}", text(v.get("name"))));
    }
    let rg = text(v.get("resource_group_name"));
    let mut segs = kind.split('/');
    let ns = segs.next().unwrap_or_default();
    let name = arm_name(tf_type, v);
    let names: Vec<&str> = name.split('/').collect();
    let mut id = format!("/subscriptions/{scope}/resourceGroups/{rg}/providers/{ns}");
    for (i, t) in segs.enumerate() {
        id.push_str(&format!("/{t}/{}", names.get(i).copied().unwrap_or("?")));
    }
    Some(id)
}

/// azurerm resources that are parts of a load balancer (`loadbalancer_id`).
const LB_PARTS: &[&str] = &[
    "azurerm_lb_nat_rule",
    "azurerm_lb_nat_pool",
    "azurerm_lb_rule",
    "azurerm_lb_backend_address_pool",
];

/// An id for a resource kensa does not map (a role assignment, a diagnostic setting), so
/// that references to it resolve to a known, stable string.
pub(crate) fn placeholder_id(tf_type: &str, v: &Value, scope: &str) -> String {
    format!(
        "/subscriptions/{scope}/resourceGroups/{}/providers/terraform/{tf_type}/{}",
        text(v.get("resource_group_name")),
        text(v.get("name"))
    )
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(x) if unknown_reason(x).is_some() => "<unknown>".into(),
        Some(Value::Null) | None => "<unset>".into(),
        Some(x) => x.to_string(),
    }
}

fn block<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    match v.get(name) {
        Some(Value::Array(a)) => a.first(),
        Some(o @ Value::Object(_)) if unknown_reason(o).is_none() => Some(o),
        _ => None,
    }
}

/// Blocks `name`, each mapped by `f`. Blocks that are not known (a `dynamic` block over an
/// unknown collection) or are not blocks at all stay an unknown: the checks that read them
/// are undecided, never judged on an empty list.
fn map_blocks(v: &Value, name: &str, mut f: impl FnMut(usize, &Value) -> Value) -> Value {
    match v.get(name) {
        None | Some(Value::Null) => json!([]),
        Some(Value::Array(items)) => {
            Value::Array(items.iter().enumerate().map(|(i, x)| f(i, x)).collect())
        }
        Some(u) if unknown_reason(u).is_some() => u.clone(),
        Some(other) => unknown(format!("{name} is {other}, not blocks")),
    }
}

/// A value, with absent / null read as null and empty strings kept.
fn get(v: &Value, k: &str) -> Value {
    v.get(k).cloned().unwrap_or(Value::Null)
}

fn id_ref(v: Value) -> Value {
    if v.is_null() || v == json!("") {
        Value::Null
    } else {
        json!({ "id": v })
    }
}

struct Builder {
    links: Vec<(String, String)>,
}

impl Builder {
    fn link(&mut self, arm: &str, tf: &str) {
        self.links.push((arm.to_string(), tf.to_string()));
    }
}

pub(crate) fn map(tf_type: &str, v: &Value, id: &str) -> Option<Mapped> {
    let kind = arm_type(tf_type)?;
    let mut b = Builder {
        links: vec![(String::new(), String::new())],
    };
    let properties = match tf_type {
        "azurerm_network_security_group" => {
            let rules = map_blocks(v, "security_rule", |i, r| {
                let arm = format!("/properties/securityRules/{i}");
                let tf = format!("/security_rule/{i}");
                security_rule(
                    &mut b,
                    r,
                    &format!("{id}/securityRules/{}", text(r.get("name"))),
                    &arm,
                    &tf,
                )
            });
            json!({ "securityRules": rules })
        }
        "azurerm_network_security_rule" => {
            security_rule(&mut b, v, id, "", "")["properties"].clone()
        }
        "azurerm_network_interface" => {
            let ipcs = map_blocks(v, "ip_configuration", |i, c| {
                b.link(
                    &format!("/properties/ipConfigurations/{i}"),
                    &format!("/ip_configuration/{i}"),
                );
                json!({
                    "name": get(c, "name"),
                    "id": format!("{id}/ipConfigurations/{}", text(c.get("name"))),
                    "properties": {
                        "subnet": id_ref(get(c, "subnet_id")),
                        "publicIPAddress": id_ref(get(c, "public_ip_address_id")),
                        "privateIPAddress": get(c, "private_ip_address"),
                        "privateIPAllocationMethod": get(c, "private_ip_address_allocation"),
                        "loadBalancerBackendAddressPools": [],
                        "loadBalancerInboundNatRules": [],
                        "applicationSecurityGroups": [],
                    },
                })
            });
            json!({ "ipConfigurations": ipcs })
        }
        "azurerm_public_ip" => json!({ "publicIPAllocationMethod": get(v, "allocation_method") }),
        "azurerm_virtual_network" => json!({ "subnets": [] }),
        "azurerm_subnet" => json!({}),
        "azurerm_managed_disk" => {
            let des = get(v, "disk_encryption_set_id");
            b.link("/properties/encryption", "/disk_encryption_set_id");
            let encryption = if des.is_null() {
                json!({ "type": "EncryptionAtRestWithPlatformKey" })
            } else {
                json!({ "type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": des })
            };
            let ade = block(v, "encryption_settings").map(
                |s| json!({ "enabled": s.get("enabled").cloned().unwrap_or(Value::Bool(true)) }),
            );
            let mut p = json!({ "encryption": encryption, "diskSizeGB": get(v, "disk_size_gb") });
            if let Some(a) = ade {
                p["encryptionSettingsCollection"] = a;
            }
            if let Some(t) = v.get("security_type").filter(|t| !t.is_null()) {
                p["securityProfile"] = json!({ "securityType": t });
            }
            p
        }
        "azurerm_linux_virtual_machine" | "azurerm_windows_virtual_machine" => {
            vm(&mut b, v, tf_type == "azurerm_windows_virtual_machine")
        }
        "azurerm_virtual_machine" => legacy_vm(&mut b, v),
        "azurerm_linux_virtual_machine_scale_set"
        | "azurerm_windows_virtual_machine_scale_set"
        | "azurerm_orchestrated_virtual_machine_scale_set" => scale_set(&mut b, v),
        "azurerm_shared_image_version" => json!({
            "publishingProfile": {
                "excludeFromLatest": get(v, "exclude_from_latest"),
                "endOfLifeDate": get(v, "end_of_life_date"),
            },
        }),
        "azurerm_virtual_machine_extension" | "azurerm_virtual_machine_scale_set_extension" => {
            extension(v)
        }
        "azurerm_lb" => load_balancer(&mut b, v, id),
        "azurerm_lb_nat_rule" | "azurerm_lb_nat_pool" | "azurerm_lb_rule" => {
            lb_rule(&mut b, tf_type, v)
        }
        _ => json!({}),
    };
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("name".into(), json!(arm_name(tf_type, v)));
    out.insert("type".into(), json!(kind));
    out.insert("location".into(), get(v, "location"));
    out.insert("resourceGroup".into(), get(v, "resource_group_name"));
    out.insert("properties".into(), properties);
    // azurerm ≥ 4 creates Standard public IPs by default; load balancers are Basic unless
    // told otherwise.
    for (t, default) in [("azurerm_public_ip", "Standard"), ("azurerm_lb", "Basic")] {
        if tf_type == t {
            let sku = v
                .get("sku")
                .filter(|s| !s.is_null())
                .cloned()
                .unwrap_or(json!(default));
            out.insert("sku".into(), json!({ "name": sku }));
            b.link("/sku", "/sku");
        }
    }
    if let Some(t) = v.get("tags").filter(|t| t.is_object()) {
        out.insert("tags".into(), t.clone());
    }
    b.link("/name", "/name");
    Some(Mapped {
        value: Value::Object(out),
        links: b.links,
    })
}

/// `[id, …]` → `[{"id": id}, …]` (an unknown list stays unknown).
fn id_refs(v: &Value, k: &str) -> Value {
    match v.get(k) {
        Some(Value::Array(ids)) => Value::Array(ids.iter().map(|i| json!({ "id": i })).collect()),
        Some(u) if unknown_reason(u).is_some() => u.clone(),
        _ => json!([]),
    }
}

fn load_balancer(b: &mut Builder, v: &Value, id: &str) -> Value {
    let frontends = map_blocks(v, "frontend_ip_configuration", |i, f| {
        b.link(
            &format!("/properties/frontendIPConfigurations/{i}"),
            &format!("/frontend_ip_configuration/{i}"),
        );
        json!({
            "name": get(f, "name"),
            "id": format!("{id}/frontendIPConfigurations/{}", text(f.get("name"))),
            "properties": {
                "publicIPAddress": id_ref(get(f, "public_ip_address_id")),
                "publicIPPrefix": id_ref(get(f, "public_ip_prefix_id")),
                "subnet": id_ref(get(f, "subnet_id")),
                "privateIPAddress": get(f, "private_ip_address"),
            },
        })
    });
    json!({ "frontendIPConfigurations": frontends })
}

/// A NAT rule, NAT pool or load-balancing rule: the frontend it listens on (by name in
/// azurerm), ports, protocol and backend pools.
fn lb_rule(b: &mut Builder, tf_type: &str, v: &Value) -> Value {
    let lb = text(v.get("loadbalancer_id"));
    let frontend = format!(
        "{lb}/frontendIPConfigurations/{}",
        text(v.get("frontend_ip_configuration_name"))
    );
    for (a, t) in [
        ("backendPort", "backend_port"),
        ("frontendPort", "frontend_port"),
        ("protocol", "protocol"),
        ("frontendPortRangeStart", "frontend_port_start"),
    ] {
        b.link(&format!("/properties/{a}"), &format!("/{t}"));
    }
    let floating = v
        .get("floating_ip_enabled")
        .or_else(|| v.get("enable_floating_ip"))
        .filter(|x| !x.is_null())
        .cloned()
        .unwrap_or(json!(false));
    let mut p = json!({
        "frontendIPConfiguration": { "id": frontend },
        "protocol": get(v, "protocol"),
        "backendPort": get(v, "backend_port"),
        "enableFloatingIP": floating,
    });
    match tf_type {
        "azurerm_lb_nat_pool" => {
            p["frontendPortRangeStart"] = get(v, "frontend_port_start");
            p["frontendPortRangeEnd"] = get(v, "frontend_port_end");
        }
        "azurerm_lb_nat_rule" => {
            p["frontendPort"] = get(v, "frontend_port");
            if !get(v, "frontend_port_start").is_null() {
                p["frontendPortRangeStart"] = get(v, "frontend_port_start");
                p["frontendPortRangeEnd"] = get(v, "frontend_port_end");
            }
            p["backendAddressPool"] = id_ref(get(v, "backend_address_pool_id"));
        }
        _ => {
            p["frontendPort"] = get(v, "frontend_port");
            let mut pools = id_refs(v, "backend_address_pool_ids");
            // azurerm < 3 had one pool.
            if let (Some(list), Value::String(one)) =
                (pools.as_array_mut(), get(v, "backend_address_pool_id"))
            {
                list.push(json!({ "id": one }));
            }
            p["backendAddressPools"] = pools;
        }
    }
    p
}

fn security_rule(b: &mut Builder, r: &Value, id: &str, arm: &str, tf: &str) -> Value {
    for (a, t) in [
        ("destinationPortRange", "destination_port_range"),
        ("destinationPortRanges", "destination_port_ranges"),
        ("sourceAddressPrefix", "source_address_prefix"),
        ("sourceAddressPrefixes", "source_address_prefixes"),
        ("access", "access"),
        ("direction", "direction"),
        ("protocol", "protocol"),
        ("priority", "priority"),
    ] {
        b.link(&format!("{arm}/properties/{a}"), &format!("{tf}/{t}"));
    }
    b.link(arm, tf);
    json!({
        "name": get(r, "name"),
        "id": id,
        "properties": {
            "priority": get(r, "priority"),
            "direction": get(r, "direction"),
            "access": get(r, "access"),
            "protocol": get(r, "protocol"),
            "sourceAddressPrefix": get(r, "source_address_prefix"),
            "sourceAddressPrefixes": r.get("source_address_prefixes").cloned().unwrap_or(json!([])),
            "destinationPortRange": get(r, "destination_port_range"),
            "destinationPortRanges": r.get("destination_port_ranges").cloned().unwrap_or(json!([])),
            "destinationAddressPrefix": get(r, "destination_address_prefix"),
            "destinationAddressPrefixes": r.get("destination_address_prefixes").cloned().unwrap_or(json!([])),
            "destinationApplicationSecurityGroups": id_refs(r, "destination_application_security_group_ids"),
        },
    })
}

fn image_reference(b: &mut Builder, v: &Value, arm: &str) -> Value {
    if let Some(r) = block(v, "source_image_reference") {
        b.link(
            &format!("{arm}/version"),
            "/source_image_reference/0/version",
        );
        b.link(arm, "/source_image_reference/0");
        return json!({
            "publisher": get(r, "publisher"),
            "offer": get(r, "offer"),
            "sku": get(r, "sku"),
            "version": get(r, "version"),
        });
    }
    b.link(&format!("{arm}/id"), "/source_image_id");
    match v.get("source_image_id") {
        Some(id) if !id.is_null() => json!({ "id": id }),
        _ => json!({}),
    }
}

fn os_disk(b: &mut Builder, d: Option<&Value>, arm: &str, tf: &str) -> Value {
    let Some(d) = d else { return json!({}) };
    b.link(arm, tf);
    let mut managed = json!({ "storageAccountType": get(d, "storage_account_type") });
    if let Some(des) = d.get("disk_encryption_set_id").filter(|x| !x.is_null()) {
        managed["diskEncryptionSet"] = json!({ "id": des });
    }
    if let Some(t) = d.get("security_encryption_type").filter(|x| !x.is_null()) {
        managed["securityProfile"] = json!({ "securityEncryptionType": t });
    }
    json!({ "createOption": "FromImage", "managedDisk": managed })
}

/// `securityProfile`: encryption at host and Trusted Launch. azurerm has no security type
/// attribute: Secure Boot or vTPM imply `TrustedLaunch`, a confidential OS disk
/// `ConfidentialVM`.
fn security_profile(b: &mut Builder, v: &Value, os_disk: Option<&Value>, arm: &str) -> Value {
    for (a, t) in [
        ("encryptionAtHost", "/encryption_at_host_enabled"),
        ("uefiSettings/secureBootEnabled", "/secure_boot_enabled"),
        ("uefiSettings/vTpmEnabled", "/vtpm_enabled"),
    ] {
        b.link(&format!("{arm}/{a}"), t);
    }
    let flag = |k: &str| {
        v.get(k)
            .filter(|x| !x.is_null())
            .cloned()
            .unwrap_or(json!(false))
    };
    let (secure_boot, vtpm) = (flag("secure_boot_enabled"), flag("vtpm_enabled"));
    let confidential = os_disk
        .and_then(|d| d.get("security_encryption_type"))
        .is_some_and(|t| !t.is_null());
    let security_type = if confidential {
        json!("ConfidentialVM")
    } else if let Some(u) = [&secure_boot, &vtpm]
        .into_iter()
        .find(|x| unknown_reason(x).is_some())
    {
        u.clone()
    } else if secure_boot == json!(true) || vtpm == json!(true) {
        json!("TrustedLaunch")
    } else {
        Value::Null
    };
    json!({
        "encryptionAtHost": flag("encryption_at_host_enabled"),
        "securityType": security_type,
        "uefiSettings": { "secureBootEnabled": secure_boot, "vTpmEnabled": vtpm },
    })
}

fn patch_settings(v: &Value) -> Value {
    json!({
        "patchMode": v.get("patch_mode").cloned().unwrap_or(json!("ImageDefault")),
        "assessmentMode": v.get("patch_assessment_mode").cloned().unwrap_or(json!("ImageDefault")),
    })
}

fn vm(b: &mut Builder, v: &Value, windows: bool) -> Value {
    let image = image_reference(b, v, "/properties/storageProfile/imageReference");
    let disk = os_disk(
        b,
        block(v, "os_disk"),
        "/properties/storageProfile/osDisk",
        "/os_disk/0",
    );
    let security = security_profile(b, v, block(v, "os_disk"), "/properties/securityProfile");
    b.link("/properties/osProfile", "/patch_assessment_mode");
    let config_key = if windows {
        "windowsConfiguration"
    } else {
        "linuxConfiguration"
    };
    let nics: Vec<Value> = match v.get("network_interface_ids") {
        Some(Value::Array(ids)) => ids.iter().map(|i| json!({ "id": i })).collect(),
        _ => Vec::new(),
    };
    let mut disk = disk;
    disk["osType"] = json!(if windows { "Windows" } else { "Linux" });
    json!({
        "storageProfile": { "imageReference": image, "osDisk": disk, "dataDisks": [] },
        "securityProfile": security,
        "osProfile": { "computerName": get(v, "computer_name"), config_key: { "patchSettings": patch_settings(v) } },
        "networkProfile": { "networkInterfaces": nics },
    })
}

fn legacy_vm(b: &mut Builder, v: &Value) -> Value {
    let image = block(v, "storage_image_reference").map_or(json!({}), |r| {
        b.link(
            "/properties/storageProfile/imageReference",
            "/storage_image_reference/0",
        );
        b.link(
            "/properties/storageProfile/imageReference/version",
            "/storage_image_reference/0/version",
        );
        match r.get("id").filter(|x| !x.is_null() && *x != &json!("")) {
            Some(id) => json!({ "id": id }),
            None => json!({
                "publisher": get(r, "publisher"),
                "offer": get(r, "offer"),
                "sku": get(r, "sku"),
                "version": get(r, "version"),
            }),
        }
    });
    let os = block(v, "storage_os_disk").map_or(json!({}), |d| {
        b.link("/properties/storageProfile/osDisk", "/storage_os_disk/0");
        match d
            .get("vhd_uri")
            .filter(|x| !x.is_null() && *x != &json!(""))
        {
            Some(uri) => json!({ "vhd": { "uri": uri } }),
            None => json!({ "managedDisk": { "storageAccountType": get(d, "managed_disk_type") } }),
        }
    });
    let windows = block(v, "os_profile_windows_config").is_some();
    let nics: Vec<Value> = match v.get("network_interface_ids") {
        Some(Value::Array(ids)) => ids.iter().map(|i| json!({ "id": i })).collect(),
        _ => Vec::new(),
    };
    let mut p = json!({
        "storageProfile": { "imageReference": image, "osDisk": os, "dataDisks": [] },
        "networkProfile": { "networkInterfaces": nics },
    });
    if block(v, "os_profile").is_some() {
        let key = if windows {
            "windowsConfiguration"
        } else {
            "linuxConfiguration"
        };
        p["osProfile"] = json!({ key: {} });
    }
    p
}

fn scale_set(b: &mut Builder, v: &Value) -> Value {
    let root = "/properties/virtualMachineProfile";
    let image = image_reference(b, v, &format!("{root}/storageProfile/imageReference"));
    let os = os_disk(
        b,
        block(v, "os_disk"),
        &format!("{root}/storageProfile/osDisk"),
        "/os_disk/0",
    );
    let data = map_blocks(v, "data_disk", |i, d| {
        b.link(
            &format!("{root}/storageProfile/dataDisks/{i}"),
            &format!("/data_disk/{i}"),
        );
        let mut managed = json!({ "storageAccountType": get(d, "storage_account_type") });
        if let Some(des) = d.get("disk_encryption_set_id").filter(|x| !x.is_null()) {
            managed["diskEncryptionSet"] = json!({ "id": des });
        }
        json!({ "lun": d.get("lun").cloned().unwrap_or(json!(i)), "managedDisk": managed })
    });
    let nics = map_blocks(v, "network_interface", |_, n| {
        let ipcs = map_blocks(n, "ip_configuration", |_, c| {
            // `load_balancer_inbound_nat_rules_ids` holds NAT pool ids.
            let mut props = json!({
                "subnet": id_ref(get(c, "subnet_id")),
                "loadBalancerBackendAddressPools": id_refs(c, "load_balancer_backend_address_pool_ids"),
                "loadBalancerInboundNatPools": id_refs(c, "load_balancer_inbound_nat_rules_ids"),
                "applicationSecurityGroups": id_refs(c, "application_security_group_ids"),
            });
            if let Some(p) = block(c, "public_ip_address") {
                props["publicIPAddressConfiguration"] = json!({ "name": get(p, "name") });
            }
            json!({ "name": get(c, "name"), "properties": props })
        });
        json!({
            "name": get(n, "name"),
            "properties": {
                "networkSecurityGroup": id_ref(get(n, "network_security_group_id")),
                "ipConfigurations": ipcs,
            },
        })
    });
    let extensions = map_blocks(v, "extension", |_, e| json!({ "properties": extension(e) }));
    let security = security_profile(
        b,
        v,
        block(v, "os_disk"),
        &format!("{root}/securityProfile"),
    );
    json!({
        "virtualMachineProfile": {
            "storageProfile": { "imageReference": image, "osDisk": os, "dataDisks": data },
            "securityProfile": security,
            "networkProfile": { "networkInterfaceConfigurations": nics },
            "extensionProfile": { "extensions": extensions },
        },
    })
}

/// An extension's settings arrive as a JSON string (`jsonencode(...)`): decoded when known.
fn extension(v: &Value) -> Value {
    let settings = match v.get("settings") {
        Some(Value::String(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| unknown("settings are not JSON"))
        }
        Some(Value::Object(o)) => Value::Object(o.clone()),
        Some(u) if unknown_reason(u).is_some() => u.clone(),
        _ => json!({}),
    };
    json!({
        "publisher": get(v, "publisher"),
        "type": get(v, "type"),
        "typeHandlerVersion": get(v, "type_handler_version"),
        "settings": settings,
    })
}
