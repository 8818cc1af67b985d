//! Terraform resources as Azure shows them: each mapped to its ARM shape (`azurerm`),
//! associations joined to the resources they link, children folded into their parents.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::{azurerm, TfResource};
use crate::sources::iac::unknown::{unknown, unknown_reason};
use crate::sources::iac::{normalize, Declared};
use crate::text::SourceFile;

/// A part the scan could not follow, at a span of a file.
pub(crate) use crate::sources::iac::FileNote as Note;

/// Maps, joins associations, folds children: the resources as Azure would show them, and
/// the associations that link nothing kensa can name.
pub(super) fn assemble(
    mut resources: Vec<TfResource>,
    scope: &str,
) -> (Vec<(Declared, Arc<SourceFile>)>, Vec<Note>) {
    // A name only known at apply (`var.name` without a value) is shown as the address.
    for r in &mut resources {
        if r.values
            .get("name")
            .is_some_and(|n| unknown_reason(n).is_some())
        {
            r.values["name"] = json!(r.address);
        }
    }
    let ids: HashMap<String, String> = resources
        .iter()
        .filter_map(|r| {
            Some((
                r.address.clone(),
                azurerm::arm_id(&r.tf_type, &r.values, scope)?,
            ))
        })
        .collect();
    let mut mapped: Vec<(Declared, Arc<SourceFile>)> = Vec::new();
    let mut associations = Vec::new();
    for r in &resources {
        let mut values = r.values.clone();
        resolve_refs(&mut values, &ids);
        if r.tf_type.ends_with("_association")
            || r.tf_type == "azurerm_virtual_machine_data_disk_attachment"
        {
            associations.push((r.tf_type.clone(), values, r));
            continue;
        }
        let Some(id) = azurerm::arm_id(&r.tf_type, &values, scope) else {
            continue;
        };
        let Some(m) = azurerm::map(&r.tf_type, &values, &id) else {
            continue;
        };
        let mut spans = Vec::new();
        for (arm, tf) in &m.links {
            if let Some(s) = crate::sources::nearest_span(&r.spans, tf) {
                spans.push((arm.clone(), s));
            }
        }
        let mut value = m.value;
        value["terraformAddress"] = json!(r.address);
        mapped.push((
            Declared {
                value,
                spans,
                span: r.span,
                file: None,
                via: r.via.clone(),
            },
            Arc::clone(&r.file),
        ));
    }
    let mut notes = Vec::new();
    for (kind, a, r) in associations {
        // A link to a NIC that is neither a resource here nor an id (a value known only at
        // apply, or text that was meant as an expression): what it links is not judged.
        if let Some(nic) = a.get("network_interface_id") {
            let resolvable = nic
                .as_str()
                .is_some_and(|s| s.starts_with("/subscriptions/"));
            if !resolvable {
                let why = unknown_reason(nic)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{nic} is not a resource id"));
                notes.push((
                    Arc::clone(&r.file),
                    r.span,
                    format!(
                        "{}: network_interface_id: {why}; the link it makes is not judged",
                        r.address
                    ),
                ));
                continue;
            }
        }
        let text = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_lowercase);
        let find = |mapped: &mut Vec<(Declared, Arc<SourceFile>)>, id: Option<String>| {
            let id = id?;
            mapped.iter().position(|(d, _)| {
                d.value["id"]
                    .as_str()
                    .is_some_and(|x| x.to_lowercase() == id)
            })
        };
        match kind.as_str() {
            "azurerm_network_interface_security_group_association" => {
                if let Some(i) = find(&mut mapped, text("network_interface_id")) {
                    mapped[i].0.value["properties"]["networkSecurityGroup"] =
                        json!({ "id": a.get("network_security_group_id") });
                }
            }
            "azurerm_subnet_network_security_group_association" => {
                if let Some(i) = find(&mut mapped, text("subnet_id")) {
                    mapped[i].0.value["properties"]["networkSecurityGroup"] =
                        json!({ "id": a.get("network_security_group_id") });
                }
            }
            "azurerm_network_interface_backend_address_pool_association"
            | "azurerm_network_interface_nat_rule_association"
            | "azurerm_network_interface_application_security_group_association" => {
                let (list, target) = match kind.as_str() {
                    "azurerm_network_interface_backend_address_pool_association" => {
                        ("loadBalancerBackendAddressPools", "backend_address_pool_id")
                    }
                    "azurerm_network_interface_nat_rule_association" => {
                        ("loadBalancerInboundNatRules", "nat_rule_id")
                    }
                    _ => ("applicationSecurityGroups", "application_security_group_id"),
                };
                // An ASG association covers every IP configuration of the NIC.
                let config = a.get("ip_configuration_name").cloned();
                if let Some(i) = find(&mut mapped, text("network_interface_id")) {
                    let reference = json!({ "id": a.get(target).cloned().unwrap_or(Value::Null) });
                    if let Some(ipcs) =
                        mapped[i].0.value["properties"]["ipConfigurations"].as_array_mut()
                    {
                        for ipc in ipcs {
                            if config.as_ref().is_some_and(|c| ipc["name"] != *c) {
                                continue;
                            }
                            if let Some(l) = ipc["properties"][list].as_array_mut() {
                                l.push(reference.clone());
                            }
                        }
                    }
                }
            }
            "azurerm_virtual_machine_data_disk_attachment" => {
                let disk = a.get("managed_disk_id").cloned().unwrap_or(Value::Null);
                if let Some(i) = find(&mut mapped, text("virtual_machine_id")) {
                    let vm_id = mapped[i].0.value["id"].clone();
                    if let Some(list) = mapped[i].0.value["properties"]["storageProfile"]
                        ["dataDisks"]
                        .as_array_mut()
                    {
                        list.push(json!({ "lun": a.get("lun"), "managedDisk": { "id": disk } }));
                    }
                    if let Some(d) = find(&mut mapped, text("managed_disk_id")) {
                        mapped[d].0.value["managedBy"] = vm_id;
                    }
                }
            }
            _ => {}
        }
    }
    // Fold subnets and standalone security rules into their parents (files kept aside).
    let files: Vec<Arc<SourceFile>> = mapped.iter().map(|(_, f)| Arc::clone(f)).collect();
    let ids_before: Vec<String> = mapped
        .iter()
        .map(|(d, _)| d.value["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let mut declared: Vec<Declared> = mapped.into_iter().map(|(d, _)| d).collect();
    normalize::merge_children(&mut declared);
    let declared = declared
        .into_iter()
        .filter_map(|d| {
            let id = d.value["id"].as_str().unwrap_or_default().to_string();
            let i = ids_before.iter().position(|x| *x == id)?;
            Some((d, Arc::clone(&files[i])))
        })
        .collect();
    (declared, notes)
}

/// `{"kensa:ref": address}` (a plan's reference known after apply) → that resource's id.
fn resolve_refs(v: &mut Value, ids: &HashMap<String, String>) {
    match v {
        Value::Object(o) if o.len() == 1 && o.contains_key("kensa:ref") => {
            let address = o["kensa:ref"].as_str().unwrap_or_default().to_string();
            *v = match ids.get(&address) {
                Some(id) => json!(id),
                None => unknown(format!("{address}.id is known after apply")),
            };
        }
        Value::Object(o) if unknown_reason(&Value::Object(o.clone())).is_none() => {
            o.values_mut().for_each(|x| resolve_refs(x, ids))
        }
        Value::Array(a) => a.iter_mut().for_each(|x| resolve_refs(x, ids)),
        _ => {}
    }
}
