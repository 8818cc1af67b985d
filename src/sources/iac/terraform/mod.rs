//! Terraform: `terraform show -json` plans and `.tf` directories (no plan, no credentials),
//! azurerm resources mapped to the ARM model (see `azurerm`). Associations
//! (NIC↔NSG, subnet↔NSG, disk attachments) are applied to the resources they join.

pub(crate) mod azurerm;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use super::jsonc::{Kind, Node};
use super::unknown::{unknown, unknown_reason};
use super::{hcl, normalize, Declared, FileError, FileOutcome, ModuleOutcome};
use crate::text::SourceFile;
use crate::text::Span;

/// Evaluation passes over a module before its references are taken as settled.
const MAX_PASSES: usize = 8;

pub(crate) fn is_plan(root: &Node) -> bool {
    root.get("format_version").is_some()
        && (root.get("planned_values").is_some() || root.get("resource_changes").is_some())
}

/// One Terraform resource instance, before mapping.
struct TfResource {
    tf_type: String,
    address: String,
    values: Value,
    /// Where its attributes were written: file and (Terraform pointer → span).
    file: Arc<SourceFile>,
    spans: Vec<(String, Span)>,
    span: Span,
}

/// A plan: planned values (root and child modules), unknown-after-apply attributes
/// resolved through the configuration's references where they name a resource's id, and
/// locations from the `.tf` files beside the plan when they declare the resource.
pub(crate) fn read_plan(
    root: &Node,
    path: &Path,
    file: &Arc<SourceFile>,
) -> Result<FileOutcome, FileError> {
    let mut nodes = Vec::new();
    if let Some(m) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        plan_modules(m, &mut nodes, 0);
    }
    let unknown_after: HashMap<String, &Node> = root
        .get("resource_changes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            Some((
                c.get("address")?.as_str()?.to_string(),
                c.get("change")?.get("after_unknown")?,
            ))
        })
        .collect();
    let config: HashMap<String, &Node> = root
        .get("configuration")
        .and_then(|c| c.get("root_module"))
        .and_then(|m| m.get("resources"))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            Some((
                r.get("address")?.as_str()?.to_string(),
                r.get("expressions")?,
            ))
        })
        .collect();
    // The configuration beside the plan, for file and line.
    let beside = tf_blocks_beside(path);
    let mut resources = Vec::new();
    for n in nodes {
        let (Some(address), Some(tf_type), Some(values)) = (
            n.get("address").and_then(Node::as_str),
            n.get("type").and_then(Node::as_str),
            n.get("values"),
        ) else {
            continue;
        };
        if n.get("mode").and_then(Node::as_str) == Some("data") {
            continue;
        }
        let mut v = values.to_value();
        let base = address.split('[').next().unwrap_or(address);
        if let Some(after) = unknown_after.get(address) {
            mark_unknown(&mut v, after, config.get(base).copied(), "");
        }
        let (file, spans, span) = match beside.get(base) {
            Some((f, spans, span)) => (Arc::clone(f), spans.clone(), *span),
            None => {
                let mut spans = Vec::new();
                node_spans(values, "", &mut spans);
                (Arc::clone(file), spans, n.span)
            }
        };
        resources.push(TfResource {
            tf_type: tf_type.to_string(),
            address: address.to_string(),
            values: v,
            file,
            spans,
            span,
        });
    }
    let resources = assemble(resources, &super::resource_group(&file.path))
        .into_iter()
        .map(|(mut d, f)| {
            if !Arc::ptr_eq(&f, file) {
                d.file = Some(f);
            }
            d
        })
        .collect();
    Ok(FileOutcome {
        language: "terraform",
        resources,
        notes: Vec::new(),
    })
}

fn plan_modules<'n>(m: &'n Node, out: &mut Vec<&'n Node>, depth: usize) {
    out.extend(m.get("resources").map(Node::items).unwrap_or_default());
    if depth < 16 {
        for c in m.get("child_modules").map(Node::items).unwrap_or_default() {
            plan_modules(c, out, depth + 1);
        }
    }
}

fn node_spans(n: &Node, path: &str, out: &mut Vec<(String, Span)>) {
    out.push((path.to_string(), n.span));
    match &n.kind {
        Kind::Object(m) => m
            .iter()
            .for_each(|(k, v)| node_spans(v, &format!("{path}/{k}"), out)),
        Kind::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| node_spans(v, &format!("{path}/{i}"), out)),
        _ => {}
    }
}

/// Attributes Terraform will only know after apply: a reference to another resource's id
/// becomes that id (as the model computes it), anything else an unknown.
fn mark_unknown(v: &mut Value, after: &Node, expr: Option<&Node>, key: &str) {
    match (&after.kind, v) {
        (Kind::Bool(true), slot) => {
            let reference = expr
                .and_then(|e| e.get("references"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .find(|r| r.ends_with(".id"))
                .map(|r| r.trim_end_matches(".id").to_string());
            *slot = match reference {
                // A list of ids (`network_interface_ids`) gets the one it references.
                Some(address) if key.ends_with("_ids") => json!([{ "kensa:ref": address }]),
                Some(address) => json!({ "kensa:ref": address }),
                None => unknown(format!("{key} is known after apply")),
            };
        }
        (Kind::Object(members), Value::Object(o)) => {
            for (k, a) in members {
                let slot = o.entry(k.clone()).or_insert(Value::Null);
                mark_unknown(slot, a, expr.and_then(|e| e.get(k)), k);
            }
        }
        (Kind::Array(items), Value::Array(vals)) => {
            for (i, a) in items.iter().enumerate() {
                if let Some(slot) = vals.get_mut(i) {
                    mark_unknown(slot, a, expr.and_then(|e| e.items().get(i)), key);
                }
            }
        }
        _ => {}
    }
}

/// `resource` blocks of the configuration beside a plan, by address, with their spans:
/// the `.tf` of the plan's own name when there is one, else every `.tf` in its directory.
type Located = (Arc<SourceFile>, Vec<(String, Span)>, Span);

fn tf_blocks_beside(plan: &Path) -> HashMap<String, Located> {
    let mut out = HashMap::new();
    let Some(dir) = plan.parent() else { return out };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    paths.sort();
    let same = plan.with_extension("tf");
    if paths.contains(&same) {
        paths = vec![same];
    }
    let none = HashMap::new();
    let no_refs = |_: &[String]| None;
    let scope = hcl::Scope {
        vars: &none,
        locals: &none,
        reference: &no_refs,
    };
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let file = Arc::new(SourceFile::new(super::display(&p), text));
        let Ok(body) = hcl::parse(&file.text) else {
            continue;
        };
        for b in body.get_blocks("resource") {
            let labels = hcl::labels(b);
            if let [t, n] = labels.as_slice() {
                let mut spans = vec![(String::new(), hcl::span_of(b))];
                scope.body(&b.body, "", &mut spans);
                out.insert(
                    format!("{t}.{n}"),
                    (Arc::clone(&file), spans, hcl::span_of(b)),
                );
            }
        }
    }
    out
}

/// A directory of `.tf` files (one module) with `terraform.tfvars` / `*.auto.tfvars`.
pub(crate) fn read_module(
    dir: &Path,
    files: &[Arc<SourceFile>],
    var_files: &[Arc<SourceFile>],
) -> ModuleOutcome {
    let scope_id = super::resource_group(&super::display(dir));
    let bodies = hcl::parse_all(files)?;
    let vars = hcl::variables(&bodies, var_files)?;
    let mut notes: Vec<(Arc<SourceFile>, Span, String)> = Vec::new();
    for (file, body) in &bodies {
        for m in body.get_blocks("module") {
            notes.push((
                Arc::clone(file),
                hcl::span_of(m),
                format!(
                    "module '{}' is not followed (modules are not fetched or expanded)",
                    hcl::labels(m).first().cloned().unwrap_or_default()
                ),
            ));
        }
    }
    // Evaluated until nothing changes (at most MAX_PASSES times): each pass resolves
    // references through the previous pass's values and ids (local → resource group name →
    // resource id chains).
    let mut previous: HashMap<String, Value> = HashMap::new();
    let mut locals: HashMap<String, Value> = HashMap::new();
    let mut resources = Vec::new();
    for _ in 0..MAX_PASSES {
        let ids: HashMap<String, Value> = previous
            .iter()
            .filter_map(|(addr, v)| {
                let t = addr.split('.').next()?;
                Some((addr.clone(), json!(azurerm::arm_id(t, v, &scope_id)?)))
            })
            .collect();
        let resolve = |path: &[String]| -> Option<Value> {
            if path.first().map(String::as_str) == Some("count") {
                return Some(json!(0));
            }
            let [t, n, attr, ..] = path else { return None };
            if t == "data" {
                return None;
            }
            let addr = format!("{t}.{n}");
            if attr == "id" {
                return ids.get(&addr).cloned();
            }
            previous
                .get(&addr)
                .and_then(|v| v.get(attr.as_str()))
                .cloned()
        };
        let scope = hcl::Scope {
            vars: &vars,
            locals: &locals,
            reference: &resolve,
        };
        let next_locals = hcl::locals(&bodies, &scope);
        let mut current = HashMap::new();
        resources.clear();
        for (file, body) in &bodies {
            for b in body.get_blocks("resource") {
                let labels = hcl::labels(b);
                let [t, n] = labels.as_slice() else { continue };
                let address = format!("{t}.{n}");
                let mut spans = vec![(String::new(), hcl::span_of(b))];
                let values = scope.body(&b.body, "", &mut spans);
                current.insert(address.clone(), values.clone());
                resources.push(TfResource {
                    tf_type: t.clone(),
                    address,
                    values,
                    file: Arc::clone(file),
                    spans,
                    span: hcl::span_of(b),
                });
            }
        }
        let settled = current == previous && next_locals == locals;
        previous = current;
        locals = next_locals;
        if settled {
            break;
        }
    }
    for (file, body) in &bodies {
        for b in body.get_blocks("resource") {
            if b.body.has_attribute("count") || b.body.has_attribute("for_each") {
                notes.push((
                    Arc::clone(file),
                    hcl::span_of(b),
                    format!(
                        "{}: count/for_each not expanded, one instance evaluated",
                        hcl::labels(b).join(".")
                    ),
                ));
            }
        }
    }
    let declared = assemble(resources, &scope_id);
    // Resources go back to the file that declares them.
    let mut by_file: Vec<(Arc<SourceFile>, FileOutcome)> = files
        .iter()
        .map(|f| {
            let out = FileOutcome {
                language: "terraform",
                ..FileOutcome::default()
            };
            (Arc::clone(f), out)
        })
        .collect();
    for (d, file) in declared {
        if let Some((_, out)) = by_file.iter_mut().find(|(f, _)| Arc::ptr_eq(f, &file)) {
            out.resources.push(d);
        }
    }
    for (file, span, message) in notes {
        if let Some((_, out)) = by_file.iter_mut().find(|(f, _)| Arc::ptr_eq(f, &file)) {
            out.notes.push((span, message));
        }
    }
    Ok(by_file)
}

/// Maps, joins associations, folds children: the resources as Azure would show them.
fn assemble(mut resources: Vec<TfResource>, scope: &str) -> Vec<(Declared, Arc<SourceFile>)> {
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
            associations.push((r.tf_type.clone(), values));
            continue;
        }
        let Some(mut id) = azurerm::arm_id(&r.tf_type, &values, scope) else {
            continue;
        };
        // Two declarations with one Azure name would collide at apply; until then they are
        // two resources, and both are judged.
        if mapped.iter().any(|(d, _)| {
            d.value["id"]
                .as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(&id))
        }) {
            id = format!("{id}~{}", r.address);
        }
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
            },
            Arc::clone(&r.file),
        ));
    }
    for (kind, a) in associations {
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
    declared
        .into_iter()
        .filter_map(|d| {
            let id = d.value["id"].as_str().unwrap_or_default().to_string();
            let i = ids_before.iter().position(|x| *x == id)?;
            Some((d, Arc::clone(&files[i])))
        })
        .collect()
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
