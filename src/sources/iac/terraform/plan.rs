//! `terraform show -json` plans: planned values (root and child modules), attributes known
//! only after apply resolved through the configuration's references where they name a
//! resource's id, and locations from the `.tf` files beside the plan.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use super::assemble::assemble;
use super::TfResource;
use crate::sources::iac::jsonc::{Kind, Node};
use crate::sources::iac::unknown::unknown;
use crate::sources::iac::{display, hcl, resource_group, FileError, FileOutcome};
use crate::text::{SourceFile, Span};

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
        plan_modules(m, &mut nodes, 0)?;
    }
    let unknown_after: HashMap<String, &Node> =
        list(root.get("resource_changes"), "resource_changes")?
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
            n.get("values")
                .filter(|v| matches!(v.kind, Kind::Object(_))),
        ) else {
            return Err(FileError::at(
                n.span.start,
                "a planned resource without `address`, `type` or `values` object",
            ));
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
            via: Vec::new(),
        });
    }
    let (resources, notes) = assemble(resources, &resource_group(&file.path));
    let notes = notes
        .into_iter()
        .map(|(f, span, m)| match Arc::ptr_eq(&f, file) {
            true => (span, m),
            false => (Span::default(), format!("{}: {m}", f.path)),
        })
        .collect();
    let resources = resources
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
        notes,
    })
}

fn plan_modules<'n>(m: &'n Node, out: &mut Vec<&'n Node>, depth: usize) -> Result<(), FileError> {
    out.extend(list(m.get("resources"), "resources")?);
    if depth < 16 {
        for c in list(m.get("child_modules"), "child_modules")? {
            plan_modules(c, out, depth + 1)?;
        }
    }
    Ok(())
}

/// The items of a plan's list (absent or null: none); anything else is not a plan kensa
/// can read, and must not pass as an empty one.
fn list<'n>(n: Option<&'n Node>, what: &str) -> Result<&'n [Node], FileError> {
    match n.map(|n| (&n.kind, n)) {
        None | Some((Kind::Null, _)) => Ok(&[]),
        Some((Kind::Array(items), _)) => Ok(items),
        Some((_, n)) => Err(FileError::at(
            n.span.start,
            format!("`{what}` is not a list"),
        )),
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
    let scope = hcl::Scope::new(&none, &none, &|_| None);
    for p in paths {
        let Ok(text) = crate::text::read::text(&p) else {
            continue;
        };
        let file = Arc::new(SourceFile::new(display(&p), text));
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
