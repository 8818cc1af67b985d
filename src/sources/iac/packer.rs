//! Packer `azure-arm` builds (HCL2 `*.pkr.hcl` directories and legacy JSON templates) as
//! resources of type `Kensa.Packer/azureArmBuilds`: the builder's settings under
//! `properties`, single blocks as objects, `azure_tag` blocks folded into `azure_tags`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::jsonc::{Kind, Node};
use super::unknown::unknown;
use super::{hcl, Declared, FileError, FileOutcome, ModuleOutcome};
use crate::text::SourceFile;
use crate::text::Span;

pub(crate) const TYPE: &str = "Kensa.Packer/azureArmBuilds";

/// Blocks the builder allows once: read as an object, as in the JSON templates.
const SINGLE: &[&str] = &[
    "shared_image_gallery_destination",
    "shared_image_gallery",
    "plan_info",
    "spot",
];

pub(crate) fn is_json_template(root: &Node) -> bool {
    root.get("builders")
        .is_some_and(|b| matches!(b.kind, Kind::Array(_)))
}

fn resource(
    file: &str,
    name: &str,
    properties: Value,
    spans: Vec<(String, Span)>,
    span: Span,
) -> Declared {
    Declared {
        value: json!({
            "id": format!("packer:{file}#source.azure-arm.{name}"),
            "name": name,
            "type": TYPE,
            "properties": properties,
        }),
        spans,
        span,
        file: None,
        via: Vec::new(),
    }
}

/// A legacy JSON template: `{{user `x`}}` resolved from `variables`, other template
/// functions (`{{env}}`, `{{timestamp}}`…) are unknown.
pub(crate) fn read_json(root: &Node, file: &str) -> Result<FileOutcome, FileError> {
    let mut vars = HashMap::new();
    for (k, v) in root.get("variables").map(Node::members).unwrap_or_default() {
        vars.insert(k.clone(), v.to_value());
    }
    let mut out = FileOutcome {
        language: "packer",
        ..FileOutcome::default()
    };
    for (i, b) in root
        .get("builders")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if b.get("type").and_then(Node::as_str) != Some("azure-arm") {
            continue;
        }
        let name = b
            .get("name")
            .and_then(Node::as_str)
            .map_or_else(|| format!("builders[{i}]"), str::to_string);
        let mut spans = vec![(String::new(), b.span)];
        let props = json_value(b, &vars, "/properties", &mut spans);
        out.resources
            .push(resource(file, &name, props, spans, b.span));
    }
    Ok(out)
}

fn json_value(
    n: &Node,
    vars: &HashMap<String, Value>,
    path: &str,
    spans: &mut Vec<(String, Span)>,
) -> Value {
    spans.push((path.to_string(), n.span));
    match &n.kind {
        Kind::String(s) => user_template(s, vars),
        Kind::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| json_value(x, vars, &format!("{path}/{i}"), spans))
                .collect(),
        ),
        Kind::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        json_value(v, vars, &format!("{path}/{k}"), spans),
                    )
                })
                .collect(),
        ),
        _ => n.to_value(),
    }
}

fn user_template(s: &str, vars: &HashMap<String, Value>) -> Value {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            return Value::String(s.to_string());
        };
        let inner = rest[start + 2..start + end].trim();
        let user = inner
            .strip_prefix("user")
            .map(|u| u.trim().trim_matches('`').trim_matches('"'));
        match user.and_then(|u| vars.get(u)) {
            Some(Value::String(v)) if !v.contains("{{") => out.push_str(v),
            Some(v @ Value::String(_)) => {
                return user_template(v.as_str().unwrap_or_default(), &HashMap::new())
            }
            _ => {
                return unknown(format!(
                    "Packer template expression {{{{{inner}}}}} is only known at build time"
                ))
            }
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Value::String(out)
}

/// A directory of `*.pkr.hcl` files (one configuration), with `*.auto.pkrvars.hcl` values.
pub(crate) fn read_hcl_dir(
    files: &[Arc<SourceFile>],
    vars_files: &[Arc<SourceFile>],
) -> ModuleOutcome {
    let bodies = hcl::parse_all(files)?;
    let vars = hcl::variables(&bodies, vars_files)?;
    let no_refs = |_: &[String]| None;
    // Locals may use each other: a few rounds settle any order.
    let mut locals: HashMap<String, Value> = HashMap::new();
    for _ in 0..4 {
        locals = hcl::locals(&bodies, &hcl::Scope::new(&vars, &locals, &no_refs));
    }
    let scope = hcl::Scope::new(&vars, &locals, &no_refs);
    let mut out = Vec::new();
    for (file, body) in &bodies {
        let mut outcome = FileOutcome {
            language: "packer",
            ..FileOutcome::default()
        };
        for b in body.get_blocks("source") {
            let labels = hcl::labels(b);
            if labels.first().map(String::as_str) != Some("azure-arm") {
                continue;
            }
            let name = labels.get(1).cloned().unwrap_or_default();
            let mut spans = vec![(String::new(), hcl::span_of(b))];
            let mut props = scope.body(&b.body, "/properties", &mut spans);
            normalise(&mut props, &mut spans);
            outcome
                .resources
                .push(resource(&file.path, &name, props, spans, hcl::span_of(b)));
        }
        out.push((Arc::clone(file), outcome));
    }
    Ok(out)
}

/// Single blocks become objects and `azure_tag { name, value }` blocks join `azure_tags`.
fn normalise(props: &mut Value, spans: &mut [(String, Span)]) {
    let Value::Object(o) = props else { return };
    for key in SINGLE {
        if let Some(Value::Array(items)) = o.get(*key) {
            let first = items.first().cloned().unwrap_or(Value::Null);
            o.insert((*key).to_string(), first);
            let from = format!("/properties/{key}/0");
            for (p, _) in spans.iter_mut() {
                if let Some(rest) = p.strip_prefix(&from) {
                    *p = format!("/properties/{key}{rest}");
                }
            }
        }
    }
    if let Some(Value::Array(tags)) = o.remove("azure_tag") {
        let mut merged = o
            .get("azure_tags")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(Map::new);
        for t in tags {
            if let (Some(Value::String(k)), Some(v)) = (t.get("name"), t.get("value")) {
                merged.insert(k.clone(), v.clone());
            }
        }
        o.insert("azure_tags".into(), Value::Object(merged));
    }
}
