//! ARM templates (and Bicep compiled to ARM JSON) evaluated into the resource model: the
//! values a deployment would send, with the template span each value came from.

mod scope;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::expr::{text, LINK_BASE};
use super::jsonc::{Kind, Node};
use super::normalize;
use super::unknown::{unknown, unknown_reason};
use super::{beside, Declared};
use crate::text::{SourceFile, Span};
use scope::{Rec, Scope};

/// Loops larger than this are not expanded (no real template needs it; a hostile one could
/// otherwise ask for billions of copies).
const MAX_COPIES: i64 = 800;
const MAX_NESTING: usize = 16;

/// Something the evaluation could not cover (a linked template, a condition that depends
/// on an unknown); it ends up in the report's coverage section.
#[derive(Debug)]
pub(crate) struct Note {
    pub(crate) span: Span,
    pub(crate) message: String,
}

#[derive(Debug)]
pub(crate) struct EvalError {
    pub(crate) span: Span,
    pub(crate) message: String,
}

#[derive(Default)]
pub(crate) struct Output {
    pub(crate) resources: Vec<Declared>,
    pub(crate) notes: Vec<Note>,
}

/// A document is an ARM template when its `$schema` says so, or it has `resources` and
/// `contentVersion` (templates written without `$schema`).
pub(crate) fn is_template(root: &Node) -> bool {
    let schema = root.get("$schema").and_then(Node::as_str).unwrap_or("");
    let schema = schema.to_ascii_lowercase();
    if schema.contains("deploymenttemplate.json") {
        return true;
    }
    schema.is_empty() && root.get("resources").is_some() && root.get("contentVersion").is_some()
}

pub(crate) fn is_parameters_file(root: &Node) -> bool {
    let schema = root.get("$schema").and_then(Node::as_str).unwrap_or("");
    schema
        .to_ascii_lowercase()
        .contains("deploymentparameters.json")
}

/// Evaluates `template` with `parameters` (a parameters file's `parameters` values, by
/// lower-cased name) in resource group `rg`.
/// Evaluates `template` with `parameters` (a parameters file's `parameters` values, by
/// lower-cased name) in resource group `rg`; linked templates are read relative to
/// `folder` when given.
pub(crate) fn evaluate(
    template: &Node,
    parameters: &HashMap<String, Value>,
    rg: &str,
    place: Option<Place<'_>>,
) -> Result<Output, EvalError> {
    if let Some(p) = place {
        mark_secure_defaults(template, p.file, 0);
    }
    let first = pass(template, parameters, rg, Rc::default(), place)?;
    if !first.1 {
        return Ok(first.0);
    }
    // reference() was asked for: a second pass answers it from what the first pass saw
    // declared (ids and declared properties; runtime-only values stay unknown).
    let mut refs = HashMap::new();
    for r in &first.0.resources {
        let (Some(id), Some(name)) = (r.value["id"].as_str(), r.value["name"].as_str()) else {
            continue;
        };
        refs.insert(id.to_lowercase(), r.value.clone());
        refs.entry(name.to_lowercase())
            .or_insert_with(|| r.value.clone());
    }
    Ok(pass(template, parameters, rg, Rc::new(refs), place)?.0)
}

/// The defaults of `securestring` / `secureObject` parameters, in the template and the
/// templates nested in it, are secrets whatever their names.
fn mark_secure_defaults(n: &Node, file: &SourceFile, depth: usize) {
    if depth > 64 {
        return;
    }
    for (key, value) in n.members() {
        if key.as_str() == "parameters" {
            for (_, decl) in value.members() {
                let secure = decl
                    .get("type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.to_ascii_lowercase().starts_with("secure"));
                if let Some(d) = decl.get("defaultValue").filter(|_| secure) {
                    file.mark_secret(d.span);
                }
            }
        }
    }
    for child in n.items().iter().chain(n.members().iter().map(|(_, v)| v)) {
        mark_secure_defaults(child, file, depth + 1);
    }
}

/// Where a template was read from: its path (linked templates are found beside it) and
/// its text (linked templates' findings name the line of the deployment that links them).
#[derive(Clone, Copy)]
pub(crate) struct Place<'a> {
    pub(crate) path: &'a Path,
    pub(crate) file: &'a Arc<SourceFile>,
}

fn pass(
    template: &Node,
    parameters: &HashMap<String, Value>,
    rg: &str,
    refs: Rc<HashMap<String, Value>>,
    place: Option<Place<'_>>,
) -> Result<(Output, bool), EvalError> {
    let scope = Scope::new(template, parameters.clone(), rg, refs);
    let mut out = Output::default();
    let walker = Walker {
        depth: 0,
        folder: place.and_then(|p| p.path.parent()).map(Path::to_path_buf),
        file: place.map(|p| Arc::clone(p.file)),
    };
    if let Some(list) = template.get("resources") {
        walker.resources(&scope, list, None, &mut out)?;
    }
    normalize::merge_children(&mut out.resources);
    normalize::attach_disks(&mut out.resources);
    let asked = scope.referenced.get();
    Ok((out, asked))
}

/// The files a template links by relative path (`templateLink.relativePath`, or
/// `uri(deployment().properties.templateLink.uri, 'x.json')`), for the scan to evaluate
/// them as linked templates rather than on their own.
pub(crate) fn linked_files(path: &Path, file: &SourceFile) -> Vec<PathBuf> {
    fn find(n: &Node, out: &mut Vec<String>, depth: usize) {
        if depth > 64 {
            return;
        }
        if let Some(link) = n.get("templateLink") {
            if let Some(r) = link.get("relativePath").and_then(Node::as_str) {
                out.push(r.to_string());
            }
            if let Some(u) = link.get("uri").and_then(Node::as_str) {
                let marker = "deployment().properties.templateLink.uri,";
                if let Some(at) = u.find(marker) {
                    let rest = u[at + marker.len()..].trim();
                    if let Some(quoted) = rest.strip_prefix('\'') {
                        out.extend(quoted.split('\'').next().map(str::to_string));
                    }
                }
            }
        }
        for child in n.items().iter().chain(n.members().iter().map(|(_, v)| v)) {
            find(child, out, depth + 1);
        }
    }
    let Ok(root) = super::jsonc::parse(&file.text) else {
        return Vec::new();
    };
    if !is_template(&root) {
        return Vec::new();
    }
    let mut rel = Vec::new();
    find(&root, &mut rel, 0);
    let folder = path.parent().unwrap_or(Path::new(""));
    rel.into_iter()
        .filter(|r| !r.starts_with('['))
        .map(|r| {
            let p = beside(folder, &r);
            p.canonicalize().unwrap_or(p)
        })
        .collect()
}

/// Parameter values from a parameters file (`{"parameters": {"x": {"value": …}}}`).
pub(crate) fn parameter_values(file: &Node) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    if let Some(p) = file.get("parameters") {
        for (k, v) in p.members() {
            let value = match (v.get("value"), v.get("reference")) {
                (Some(val), _) => val.to_value(),
                (None, Some(_)) => unknown(format!("parameter '{k}' is a Key Vault reference")),
                (None, None) => continue,
            };
            out.insert(k.to_lowercase(), value);
        }
    }
    out
}

struct Walker {
    depth: usize,
    /// The folder of the template, for linked templates given by relative path.
    folder: Option<PathBuf>,
    /// The template's file, for the lines of the deployments that link others.
    file: Option<Arc<SourceFile>>,
}

impl Walker {
    fn resources(
        &self,
        scope: &Scope<'_>,
        list: &Node,
        parent: Option<(&str, &str)>,
        out: &mut Output,
    ) -> Result<(), EvalError> {
        let err = |scope: &Scope<'_>, fallback: Span, message: String| EvalError {
            span: scope.fail_at.borrow_mut().take().unwrap_or(fallback),
            message,
        };
        // Resources may be an array or (languageVersion 2.0) an object of symbolic names.
        let nodes: Vec<&Node> = match &list.kind {
            Kind::Array(items) => items.iter().collect(),
            Kind::Object(m) => m.iter().map(|(_, v)| v).collect(),
            // Nothing read must never look like nothing there.
            _ => {
                return Err(EvalError {
                    span: list.span,
                    message: "`resources` is neither an array nor an object of resources".into(),
                })
            }
        };
        for node in nodes {
            if node
                .get("existing")
                .is_some_and(|e| matches!(e.kind, Kind::Bool(true)))
            {
                continue;
            }
            let loop_spec = node.get("copy");
            let count = match loop_spec {
                Some(spec) => scope.count(spec).map_err(|m| err(scope, spec.span, m))?,
                None => Some(1),
            };
            let loop_name = loop_spec
                .and_then(|s| s.get("name"))
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_lowercase();
            let instances = match count {
                Some(n) => (0..n).map(|i| json!(i)).collect::<Vec<_>>(),
                // Never one made-up instance judged as real: the loop is listed instead.
                None => {
                    out.notes.push(Note {
                        span: loop_spec.map_or(node.span, |s| s.span),
                        message: "the copy count is not known: its instances are not evaluated"
                            .into(),
                    });
                    Vec::new()
                }
            };
            for index in instances {
                if loop_spec.is_some() {
                    scope
                        .copies
                        .borrow_mut()
                        .push((loop_name.clone(), index, false));
                }
                let r = self.resource(scope, node, parent, out);
                if loop_spec.is_some() {
                    scope.copies.borrow_mut().pop();
                }
                r.map_err(|m| err(scope, node.span, m))?;
            }
        }
        Ok(())
    }

    fn resource(
        &self,
        scope: &Scope<'_>,
        node: &Node,
        parent: Option<(&str, &str)>,
        out: &mut Output,
    ) -> Result<(), String> {
        if let Some(cond) = node.get("condition") {
            let c = scope.eval(cond, &mut None)?;
            if let Some(why) = unknown_reason(&c) {
                out.notes.push(Note {
                    span: cond.span,
                    message: format!("resource not evaluated: its condition is not known ({why})"),
                });
                return Ok(());
            }
            if c == Value::Bool(false)
                || c.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))
            {
                return Ok(());
            }
        }
        let short_type = text_of(scope, node, "type")?;
        let short_name = text_of(scope, node, "name")?;
        let (kind, name) = match parent {
            Some((pt, pn)) if !short_type.contains('/') || !short_type.contains('.') => (
                format!("{pt}/{short_type}"),
                if short_name.contains('/') {
                    short_name.clone()
                } else {
                    format!("{pn}/{short_name}")
                },
            ),
            _ => (short_type.clone(), short_name.clone()),
        };
        if kind.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
            return self.deployment(scope, node, &name, out);
        }
        let id = normalize::resource_id(&scope.rg, &kind, &name);
        let mut spans = Vec::new();
        let mut value = Map::new();
        for (k, v) in node.members() {
            let lk = k.to_ascii_lowercase();
            if matches!(
                lk.as_str(),
                "copy" | "condition" | "resources" | "dependson" | "comments" | "type" | "name"
            ) {
                continue;
            }
            let mut rec = Some(Rec {
                path: format!("/{k}"),
                spans: &mut spans,
            });
            value.insert(k.clone(), scope.eval(v, &mut rec)?);
        }
        let name_span = node.get("name").map_or(node.span, |n| n.span);
        spans.push(("/name".into(), name_span));
        spans.push((String::new(), name_span));
        normalize::name_children(&mut value, &id);
        value.insert("id".into(), Value::String(id));
        value.insert("name".into(), Value::String(name.clone()));
        value.insert("type".into(), Value::String(kind.clone()));
        value.insert("resourceGroup".into(), Value::String(scope.rg.clone()));
        out.resources.push(Declared {
            value: Value::Object(value),
            spans,
            span: name_span,
            file: None,
            via: Vec::new(),
        });
        if let Some(children) = node.get("resources") {
            self.resources(scope, children, Some((&kind, &name)), out)
                .map_err(|e| {
                    scope.fail_at.borrow_mut().get_or_insert(e.span);
                    e.message
                })?;
        }
        Ok(())
    }

    /// A nested deployment: an inline template is evaluated (inner or outer scope), a
    /// linked one is listed as not covered.
    fn deployment(
        &self,
        scope: &Scope<'_>,
        node: &Node,
        name: &str,
        out: &mut Output,
    ) -> Result<(), String> {
        let Some(props) = node.get("properties") else {
            return Ok(());
        };
        if let Some(link) = props.get("templateLink") {
            return self.linked(scope, props, link, name, out);
        }
        let Some(template) = props.get("template") else {
            return Ok(());
        };
        if self.depth >= MAX_NESTING {
            return Err(scope.fail(
                node.span,
                format!("nested deployments deeper than {MAX_NESTING} levels"),
            ));
        }
        let inner = props
            .get("expressionEvaluationOptions")
            .and_then(|o| o.get("scope"))
            .and_then(Node::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        let walker = Walker {
            depth: self.depth + 1,
            folder: self.folder.clone(),
            file: self.file.clone(),
        };
        let list = template.get("resources");
        let r = if inner {
            let given = deployment_parameters(scope, props)?;
            let inner_scope = Scope::new(template, given, &scope.rg, Rc::clone(&scope.refs));
            match list {
                Some(l) => walker.resources(&inner_scope, l, None, out),
                None => Ok(()),
            }
        } else {
            match list {
                Some(l) => walker.resources(scope, l, None, out),
                None => Ok(()),
            }
        };
        r.map_err(|e| {
            scope.fail_at.borrow_mut().get_or_insert(e.span);
            e.message
        })
    }
}

impl Walker {
    /// A linked template: one in the scanned tree (`relativePath`, or `uri()` against this
    /// template's own link) is read and evaluated with the deployment's parameters, its
    /// resources pointing at their own file; anything else is listed as not followed.
    fn linked(
        &self,
        scope: &Scope<'_>,
        props: &Node,
        link: &Node,
        name: &str,
        out: &mut Output,
    ) -> Result<(), String> {
        let not_followed = |out: &mut Output, why: String| {
            out.notes.push(Note {
                span: link.span,
                message: format!("linked template of deployment '{name}' is not followed: {why}"),
            });
            Ok(())
        };
        let relative = match (link.get("relativePath"), link.get("uri")) {
            (Some(r), _) => scope.eval(r, &mut None)?,
            (None, Some(u)) => match scope.eval(u, &mut None)? {
                Value::String(s) if s.starts_with(LINK_BASE) => {
                    Value::String(s[LINK_BASE.len()..].to_string())
                }
                Value::String(s) => return not_followed(out, format!("{s} is not fetched")),
                other => other,
            },
            (None, None) => return not_followed(out, "it has no uri".into()),
        };
        let (Value::String(relative), Some(folder)) = (relative, &self.folder) else {
            return not_followed(out, "its location is not known".into());
        };
        let path = beside(folder, &relative);
        if self.depth >= MAX_NESTING {
            return Err(scope.fail(
                link.span,
                format!("nested deployments deeper than {MAX_NESTING} levels"),
            ));
        }
        if props.get("parametersLink").is_some() {
            return not_followed(out, "its parameters are linked too".into());
        }
        let Ok(text) = crate::text::read::text(&path) else {
            return not_followed(
                out,
                format!("{} is not a readable file", super::display(&path)),
            );
        };
        let file = Arc::new(SourceFile::new(super::display(&path), text));
        let root = super::jsonc::parse(&file.text).map_err(|e| {
            let (line, column) = file.position(e.offset);
            scope.fail(
                link.span,
                format!("{}:{line}:{column}: {}", file.path, e.message),
            )
        })?;
        let given = deployment_parameters(scope, props)?;
        let place = Place {
            path: &path,
            file: &file,
        };
        let linked = evaluate(&root, &given, &scope.rg, Some(place)).map_err(|e| {
            let (line, _) = file.position(e.span.start);
            scope.fail(link.span, format!("{}:{line}: {}", file.path, e.message))
        })?;
        let via = self.file.as_ref().map(|f| {
            let (line, _) = f.position(link.span.start);
            format!("{}:{line} deployment {name}", f.path)
        });
        for mut d in linked.resources {
            d.file.get_or_insert_with(|| Arc::clone(&file));
            d.via.splice(0..0, via.clone());
            out.resources.push(d);
        }
        for n in linked.notes {
            let (line, _) = file.position(n.span.start);
            out.notes.push(Note {
                span: link.span,
                message: format!("{}:{line}: {}", file.path, n.message),
            });
        }
        Ok(())
    }
}

/// The parameter values a nested or linked deployment passes (`properties.parameters`).
fn deployment_parameters(
    scope: &Scope<'_>,
    props: &Node,
) -> Result<HashMap<String, Value>, String> {
    let mut given = HashMap::new();
    for (k, v) in props
        .get("parameters")
        .map(Node::members)
        .unwrap_or_default()
    {
        let value = match (v.get("value"), v.get("reference")) {
            (Some(val), _) => scope.eval(val, &mut None)?,
            (None, Some(_)) => unknown(format!("parameter '{k}' is a Key Vault reference")),
            (None, None) => continue,
        };
        given.insert(k.to_lowercase(), value);
    }
    Ok(given)
}

fn text_of(scope: &Scope<'_>, node: &Node, key: &str) -> Result<String, String> {
    let n = node
        .get(key)
        .ok_or_else(|| scope.fail(node.span, format!("a resource without `{key}`")))?;
    let v = scope.eval(n, &mut None)?;
    Ok(match unknown_reason(&v) {
        // Unique per declaration, so two resources of unknown name stay two resources.
        Some(_) => format!("<{key} unknown at byte {}>", n.span.start),
        None => text(&v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(template: &str) -> Output {
        let root = super::super::jsonc::parse(template).expect("parses");
        evaluate(&root, &HashMap::new(), "rg", None).expect("evaluates")
    }

    const SCHEMA: &str = r#""$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0""#;

    #[test]
    fn outer_scope_nested_deployments_see_the_parent_parameters() {
        let out = run(&format!(
            r#"{{ {SCHEMA},
  "parameters": {{ "port": {{ "type": "string", "defaultValue": "22" }} }},
  "resources": [{{
    "type": "Microsoft.Resources/deployments", "name": "inner", "apiVersion": "2022-09-01",
    "properties": {{ "mode": "Incremental", "template": {{ {SCHEMA},
      "resources": [{{ "type": "Microsoft.Network/networkSecurityGroups", "name": "nsg",
        "properties": {{ "securityRules": [{{ "name": "r", "properties": {{ "destinationPortRange": "[parameters('port')]" }} }}] }} }}]
    }} }}
  }}]
}}"#
        ));
        assert_eq!(out.resources.len(), 1);
        assert_eq!(
            out.resources[0].value["properties"]["securityRules"][0]["properties"]
                ["destinationPortRange"],
            "22"
        );
    }

    #[test]
    fn variable_copy_loops_and_child_rules_fold_into_their_nsg() {
        let out = run(&format!(
            r#"{{ {SCHEMA},
  "variables": {{ "copy": [{{ "name": "ports", "count": 2, "input": "[string(add(22, copyIndex('ports')))]" }}] }},
  "resources": [
    {{ "type": "Microsoft.Network/networkSecurityGroups", "name": "nsg", "properties": {{}} }},
    {{ "type": "Microsoft.Network/networkSecurityGroups/securityRules", "name": "[concat('nsg/r', copyIndex())]",
      "copy": {{ "name": "rules", "count": 2 }},
      "properties": {{ "destinationPortRange": "[variables('ports')[copyIndex()]]" }} }}
  ]
}}"#
        ));
        assert_eq!(out.resources.len(), 1, "the rules are folded into the NSG");
        let rules = &out.resources[0].value["properties"]["securityRules"];
        assert_eq!(rules[0]["name"], "r0");
        assert_eq!(rules[1]["properties"]["destinationPortRange"], "23");
        assert!(out.resources[0]
            .spans
            .iter()
            .any(|(p, _)| p == "/properties/securityRules/1/properties/destinationPortRange"));
    }

    #[test]
    fn unknown_conditions_and_linked_templates_are_noted() {
        let out = run(&format!(
            r#"{{ {SCHEMA},
  "parameters": {{ "deploy": {{ "type": "bool" }} }},
  "resources": [
    {{ "type": "Microsoft.Network/publicIPAddresses", "name": "pip", "condition": "[parameters('deploy')]" }},
    {{ "type": "Microsoft.Resources/deployments", "name": "linked",
      "properties": {{ "templateLink": {{ "uri": "https://example.com/t.json" }} }} }}
  ]
}}"#
        ));
        assert!(out.resources.is_empty());
        let notes: Vec<&str> = out.notes.iter().map(|n| n.message.as_str()).collect();
        assert!(notes[0].contains("condition is not known"), "{notes:?}");
        assert!(notes[1].contains("linked template"), "{notes:?}");
    }
}
