//! What the IaC front ends share after evaluation: resources as Azure (and so Resource
//! Graph) shows them. Child resources declared on their own are folded into their parent;
//! a disk attached by id gets `managedBy`. ARM, Bicep and Terraform all call these.

use serde_json::{Map, Value};

use super::expr::SUBSCRIPTION_ID;
use super::Declared;

/// A disk a VM attaches by id gets `managedBy`, as Azure shows it (the relation the disk
/// rules read).
pub(crate) fn attach_disks(resources: &mut [Declared]) {
    let mut attached = Vec::new();
    for r in resources.iter() {
        if !r.value["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Compute/virtualMachines"))
        {
            continue;
        }
        let storage = &r.value["properties"]["storageProfile"];
        let disks = std::iter::once(&storage["osDisk"])
            .chain(storage["dataDisks"].as_array().into_iter().flatten());
        for d in disks {
            if let Some(id) = d["managedDisk"]["id"].as_str() {
                attached.push((id.to_lowercase(), r.value["id"].clone()));
            }
        }
    }
    for (disk, vm) in attached {
        if let Some(d) = resources.iter_mut().find(|r| {
            r.value["id"]
                .as_str()
                .is_some_and(|x| x.to_lowercase() == disk)
        }) {
            d.value["managedBy"] = vm;
        }
    }
}

/// Child resources declared on their own are folded into their parent, as Azure (and so
/// Resource Graph) shows them: security rules into the NSG, subnets into the VNet,
/// extensions into the scale set model.
pub(crate) fn merge_children(resources: &mut Vec<Declared>) {
    const FOLD: &[(&str, &str)] = &[
        (
            "microsoft.network/networksecuritygroups/securityrules",
            "/properties/securityRules",
        ),
        (
            "microsoft.network/virtualnetworks/subnets",
            "/properties/subnets",
        ),
        (
            "microsoft.compute/virtualmachinescalesets/extensions",
            "/properties/virtualMachineProfile/extensionProfile/extensions",
        ),
        (
            "microsoft.network/loadbalancers/inboundnatrules",
            "/properties/inboundNatRules",
        ),
        (
            "microsoft.network/loadbalancers/backendaddresspools",
            "/properties/backendAddressPools",
        ),
        (
            "microsoft.network/loadbalancers/loadbalancingrules",
            "/properties/loadBalancingRules",
        ),
        // Terraform declares NAT pools on their own (ARM has no such child type).
        (
            "microsoft.network/loadbalancers/inboundnatpools",
            "/properties/inboundNatPools",
        ),
    ];
    let mut i = 0;
    while i < resources.len() {
        let kind = resources[i].value["type"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        let Some((_, at)) = FOLD.iter().find(|(t, _)| *t == kind) else {
            i += 1;
            continue;
        };
        let id = resources[i].value["id"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        let parent_id = id.rsplitn(3, '/').nth(2).unwrap_or_default().to_string();
        // The parent declared in the same module instance or one calling it, else any: a
        // module deployed twice declares the parent twice.
        let is_parent = |r: &Declared| {
            r.value["id"]
                .as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(&parent_id))
        };
        let via = &resources[i].via;
        let same_call = resources
            .iter()
            .enumerate()
            .filter(|(_, r)| is_parent(r) && via.starts_with(&r.via))
            .max_by_key(|(_, r)| r.via.len())
            .map(|(p, _)| p);
        let Some(p) = same_call.or_else(|| resources.iter().position(is_parent)) else {
            i += 1;
            continue;
        };
        let child = resources.remove(i);
        let p = if p > i { p - 1 } else { p };
        let short = child.value["name"]
            .as_str()
            .and_then(|n| n.rsplit('/').next())
            .unwrap_or_default()
            .to_string();
        let mut entry = child.value.clone();
        if let Value::Object(o) = &mut entry {
            o.insert("name".into(), Value::String(short));
            o.remove("resourceGroup");
        }
        let parent = &mut resources[p];
        let Some(list) = pointer_array(&mut parent.value, at) else {
            continue;
        };
        let n = list.len();
        list.push(entry);
        let prefix = format!("{at}/{n}");
        parent.spans.extend(
            child
                .spans
                .into_iter()
                .map(|(path, span)| (format!("{prefix}{path}"), span)),
        );
    }
}

/// The array at `pointer`, created (with its parents) when missing.
fn pointer_array<'v>(root: &'v mut Value, pointer: &str) -> Option<&'v mut Vec<Value>> {
    let mut cur = root;
    for seg in pointer.split('/').skip(1) {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        cur = cur
            .as_object_mut()?
            .entry(seg.to_string())
            .or_insert(Value::Null);
    }
    if !cur.is_array() {
        *cur = Value::Array(Vec::new());
    }
    cur.as_array_mut()
}

/// Sub-resources written inline get the ids Azure gives them, so relations (NIC → subnet)
/// resolve as they do live.
pub(crate) fn name_children(value: &mut Map<String, Value>, id: &str) {
    const CHILDREN: &[&str] = &[
        "subnets",
        "securityRules",
        "ipConfigurations",
        "frontendIPConfigurations",
        "backendAddressPools",
        "inboundNatRules",
        "inboundNatPools",
        "loadBalancingRules",
        "probes",
    ];
    let Some(Value::Object(props)) = value.get_mut("properties") else {
        return;
    };
    for (k, v) in props.iter_mut() {
        let Some(child) = CHILDREN.iter().find(|c| c.eq_ignore_ascii_case(k)) else {
            continue;
        };
        let Value::Array(items) = v else { continue };
        for item in items {
            let Value::Object(o) = item else { continue };
            if o.contains_key("id") {
                continue;
            }
            if let Some(name) = o.get("name").and_then(Value::as_str) {
                let child_id = format!("{id}/{child}/{name}");
                o.insert("id".into(), Value::String(child_id));
            }
        }
    }
}

/// The id a deployment into resource group `rg` would give the resource.
pub(crate) fn resource_id(rg: &str, kind: &str, name: &str) -> String {
    let mut segs = kind.split('/');
    let ns = segs.next().unwrap_or_default();
    let types: Vec<&str> = segs.collect();
    let names: Vec<&str> = name.split('/').collect();
    let mut id = format!(
        "/subscriptions/{}/resourceGroups/{rg}/providers/{ns}",
        SUBSCRIPTION_ID
    );
    for (i, t) in types.iter().enumerate() {
        id.push_str(&format!(
            "/{t}/{}",
            names.get(i).copied().unwrap_or("<unknown name>")
        ));
    }
    id
}
