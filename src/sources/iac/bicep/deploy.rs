//! What a Bicep file deploys: its resources (conditions, loops, child resources inline or
//! with `parent:`, `existing` ones only as references) and its modules, followed with their
//! parameters (local `.bicep` and `.json` files; registry modules are listed as not followed).

use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::scope::{Decl, Failure, ModuleRun, Note, ResourceDecl, Scope};
use super::syntax::{Expr as Ast, ExprKind, ObjectItem, Program, Statement, StatementKind};
use crate::sources::iac::expr::{params, text, Context, EvalResult, ExprError, Locals};
use crate::sources::iac::unknown::{unknown, unknown_reason};
use crate::sources::iac::{arm, beside, display, jsonc, normalize, Declared};
use crate::text::{SourceFile, Span};

/// Module calls nested deeper than this are not followed.
const MAX_DEPTH: usize = 16;

/// One instance of a declaration body: its object and the loop variables bound for it.
struct Instance<'a> {
    object: &'a Ast,
    locals: Vec<(String, Value)>,
    /// `[i]` for loop instances.
    suffix: String,
}

/// The instances a resource or module body asks for; a condition or loop count that is not
/// known is a note and no instance.
fn instances<'a>(
    scope: &Scope<'_>,
    body: &'a Ast,
    what: &str,
    notes: &mut Vec<Note>,
) -> Result<(Vec<Instance<'a>>, bool), Failure> {
    let mut out = Vec::new();
    let one = |object: &'a Ast, locals: Vec<(String, Value)>, suffix: String| Instance {
        object,
        locals,
        suffix,
    };
    match &body.kind {
        ExprKind::If { cond, body } => match scope.value(cond, &[])? {
            Value::Bool(true) => out.push(one(body, Vec::new(), String::new())),
            Value::Bool(false) => {}
            other => notes.push((
                Arc::clone(&scope.file),
                cond.span,
                format!(
                    "{what} not evaluated: its condition is not known ({})",
                    reason(&other)
                ),
            )),
        },
        ExprKind::For {
            item,
            index,
            iterable,
            body,
        } => {
            let items = match scope.value(iterable, &[])? {
                Value::Array(a) => a,
                other => {
                    notes.push((
                        Arc::clone(&scope.file),
                        iterable.span,
                        format!(
                            "{what} not evaluated: its loop is over a value not known ({})",
                            reason(&other)
                        ),
                    ));
                    return Ok((out, true));
                }
            };
            for (i, v) in items.into_iter().enumerate() {
                let mut locals = vec![(item.name.clone(), v)];
                if let Some(ix) = index {
                    locals.push((ix.name.clone(), json!(i)));
                }
                match &body.kind {
                    ExprKind::If { cond, body } => match scope.value(cond, &locals)? {
                        Value::Bool(true) => out.push(one(body, locals, format!("[{i}]"))),
                        Value::Bool(false) => {}
                        other => notes.push((
                            Arc::clone(&scope.file),
                            cond.span,
                            format!(
                                "{what}[{i}] not evaluated: its condition is not known ({})",
                                reason(&other)
                            ),
                        )),
                    },
                    _ => out.push(one(body, locals, format!("[{i}]"))),
                }
            }
            return Ok((out, true));
        }
        _ => out.push(one(body, Vec::new(), String::new())),
    }
    Ok((out, false))
}

fn reason(v: &Value) -> String {
    unknown_reason(v).map_or_else(|| v.to_string(), str::to_string)
}

fn property<'a>(object: &'a Ast, key: &str) -> Option<&'a Ast> {
    match &object.kind {
        ExprKind::Object(items) => items.iter().find_map(|i| match i {
            ObjectItem::Property(p) if p.key == key => Some(&p.value),
            _ => None,
        }),
        _ => None,
    }
}

/// One resource instance as ARM shows it, with the span of every value when `spans`.
fn resource(
    scope: &Scope<'_>,
    r: &ResourceDecl<'_>,
    inst: &Instance<'_>,
    spans: Option<&mut Vec<(String, Span)>>,
) -> Result<Value, Failure> {
    let locals: &Locals = &inst.locals;
    let mut scratch = Vec::new();
    let spans = spans.unwrap_or(&mut scratch);
    let name_ast = property(inst.object, "name")
        .ok_or((r.stmt.span, "a resource without `name`".to_string()))?;
    let name = match scope.value(name_ast, locals)? {
        v if unknown_reason(&v).is_some() => {
            format!("<name unknown at byte {}>", name_ast.span.start)
        }
        v => text(&v),
    };
    let written = text(&scope.value(r.type_string, &[])?);
    let (short_type, api) = written.split_once('@').unwrap_or((&written, ""));
    // The parent: the resource it is declared in, or `parent: symbol`.
    let parent = match (&r.parent, property(inst.object, "parent")) {
        (Some(p), _) => Some(scope.symbol_of(p)?),
        (None, Some(p)) => Some(scope.value(p, locals)?),
        (None, None) => None,
    };
    let (kind, full_name) = match &parent {
        Some(p) => {
            let (pt, pn) = (text(&p["type"]), text(&p["name"]));
            let kind = if short_type.contains('/') {
                short_type.to_string()
            } else {
                format!("{pt}/{short_type}")
            };
            (kind, format!("{pn}/{name}"))
        }
        None => (short_type.to_string(), name.clone()),
    };
    // An extension resource (`scope: vm`) lives under the resource it extends.
    let extends = match property(inst.object, "scope") {
        Some(e) => scope.value(e, locals)?["id"].as_str().map(str::to_string),
        None => None,
    };
    let id = match extends {
        Some(base) => {
            let rest = normalize::resource_id("", &kind, &full_name);
            let providers = rest
                .find("/providers/")
                .map_or(rest.as_str(), |i| &rest[i..]);
            format!("{base}{providers}")
        }
        None => normalize::resource_id(&scope.rg, &kind, &full_name),
    };
    let mut value = Map::new();
    if r.existing {
        value.insert(
            "properties".into(),
            unknown(format!(
                "existing resource {full_name}: its properties are only known at deployment"
            )),
        );
    } else if let ExprKind::Object(items) = &inst.object.kind {
        for item in items {
            let ObjectItem::Property(p) = item else {
                continue;
            };
            if matches!(p.key.as_str(), "name" | "parent" | "scope" | "dependsOn") {
                continue;
            }
            let v = scope.walk(&p.value, &format!("/{}", p.key), locals, spans)?;
            value.insert(p.key.clone(), v);
        }
    }
    spans.push(("/name".into(), name_ast.span));
    spans.push((String::new(), name_ast.span));
    normalize::name_children(&mut value, &id);
    value.insert("id".into(), json!(id));
    value.insert("name".into(), json!(full_name));
    value.insert("type".into(), json!(kind));
    value.insert("apiVersion".into(), json!(api));
    value.insert("resourceGroup".into(), json!(scope.rg));
    Ok(Value::Object(value))
}

/// What a resource symbol stands for: the resource, an array of them for a loop.
pub(super) fn symbol_value(scope: &Scope<'_>, r: &ResourceDecl<'_>) -> Result<Value, Failure> {
    let mut notes = Vec::new();
    let (list, looped) = instances(scope, r.body, "resource", &mut notes)?;
    let values = list
        .iter()
        .map(|i| resource(scope, r, i, None))
        .collect::<Result<Vec<_>, _>>()?;
    // A symbol's properties are what the file declares (`{}` when it declares none), as
    // reference() answers within an ARM template.
    let values: Vec<Value> = values
        .into_iter()
        .map(|mut v| {
            if v.get("properties").is_none() {
                v["properties"] = json!({});
            }
            v
        })
        .collect();
    Ok(match (looped, values.len()) {
        (true, _) => Value::Array(values),
        (false, 1) => values.into_iter().next().unwrap_or(Value::Null),
        (false, _) => unknown("the resource is not deployed (its condition is false or not known)"),
    })
}

impl Scope<'_> {
    /// The value of symbol `name` (a parent resource), its error as a template failure.
    fn symbol_of(&self, name: &str) -> Result<Value, Failure> {
        self.symbol(name)
            .map_err(|e| (Span::default(), e.to_string()))
    }
}

/// The module `name` declared by `s`, evaluated once.
pub(super) fn module(scope: &Scope<'_>, name: &str, s: &Statement) -> Rc<ModuleRun> {
    if let Some(m) = scope.modules.borrow().get(name) {
        return Rc::clone(m);
    }
    let run = Rc::new(evaluate_module(scope, name, s));
    scope
        .modules
        .borrow_mut()
        .insert(name.to_string(), Rc::clone(&run));
    run
}

fn evaluate_module(scope: &Scope<'_>, name: &str, s: &Statement) -> ModuleRun {
    let mut run = ModuleRun::default();
    let StatementKind::Module { path, body, .. } = &s.kind else {
        return run;
    };
    let note = |run: &mut ModuleRun, span: Span, m: String| {
        run.notes.push((Arc::clone(&scope.file), span, m))
    };
    let Some(source) = path.as_str_literal() else {
        note(
            &mut run,
            path.span,
            format!("module {name}: its path is not a literal string"),
        );
        run.outputs = unknown(format!("module {name} is not followed"));
        return run;
    };
    let (list, looped) = match instances(scope, body, &format!("module {name}"), &mut run.notes) {
        Ok(x) => x,
        Err((span, m)) => {
            note(&mut run, span, format!("module {name}: {m}"));
            run.outputs = unknown(format!("module {name} is not followed"));
            return run;
        }
    };
    let registry = source.starts_with("br:")
        || source.starts_with("br/")
        || source.starts_with("ts:")
        || source.starts_with("ts/");
    let dir = Path::new(&scope.file.path)
        .parent()
        .unwrap_or(Path::new(""));
    let target = beside(dir, &source);
    let mut outputs = Vec::new();
    for inst in &list {
        let why = if registry {
            Some(format!(
                "registry module {source:?} is not followed (it is fetched at build time)"
            ))
        } else if scope.depth >= MAX_DEPTH {
            Some(format!("modules nested deeper than {MAX_DEPTH} levels"))
        } else if !target.is_file() {
            Some(format!("{} is not a file", display(&target)))
        } else {
            None
        };
        if let Some(why) = why {
            note(
                &mut run,
                s.span,
                format!("module {name}{}: {why}", inst.suffix),
            );
            outputs.push(unknown(format!("module {name} is not followed")));
            continue;
        }
        let params = property(inst.object, "params")
            .map(|p| scope.value(p, &inst.locals))
            .transpose();
        let params: HashMap<String, Value> = match params {
            Ok(Some(Value::Object(o))) => o.into_iter().collect(),
            Ok(_) => HashMap::new(),
            Err((span, m)) => {
                note(&mut run, span, format!("module {name}: {m}"));
                continue;
            }
        };
        // `scope: rg` or `scope: resourceGroup('name')`: the module deploys into that group.
        let rg = property(inst.object, "scope")
            .and_then(|e| scope.value(e, &inst.locals).ok())
            .and_then(|v| group_of(&v))
            .unwrap_or_else(|| scope.rg.clone());
        let line = scope.file.position(s.span.start).0;
        let mut via = scope.via.clone();
        via.push(format!(
            "{}:{line} module {name}{}",
            scope.file.path, inst.suffix
        ));
        match follow(&target, params, &rg, via, scope.depth + 1) {
            Ok(child) => {
                outputs.push(json!({ "name": name, "outputs": child.outputs }));
                run.resources.extend(child.resources);
                run.notes.extend(child.notes);
            }
            Err(why) => {
                note(
                    &mut run,
                    s.span,
                    format!("module {name}{}: {why}", inst.suffix),
                );
                outputs.push(unknown(format!("module {name} could not be read")));
            }
        }
    }
    run.outputs = match (looped, outputs.len()) {
        (true, _) => Value::Array(outputs),
        (false, 1) => outputs.into_iter().next().unwrap_or(Value::Null),
        (false, _) => unknown(format!("module {name} is not deployed")),
    };
    run
}

/// A module file: Bicep evaluated in full, an ARM template with the ARM evaluator.
fn follow(
    path: &Path,
    params: HashMap<String, Value>,
    rg: &str,
    via: Vec<String>,
    depth: usize,
) -> Result<ModuleRun, String> {
    let text = crate::text::read::text(path).map_err(|e| format!("{}: {e}", display(path)))?;
    let file = Arc::new(SourceFile::new(display(path), text));
    if path.extension().is_some_and(|e| e == "json") {
        let root = jsonc::parse(&file.text).map_err(|e| format!("{}: {}", file.path, e.message))?;
        let lower = params
            .into_iter()
            .map(|(k, v)| (k.to_lowercase(), v))
            .collect();
        let place = arm::Place { path, file: &file };
        let out = arm::evaluate(&root, &lower, rg, Some(place)).map_err(|e| {
            let (line, _) = file.position(e.span.start);
            format!("{}:{line}: {}", file.path, e.message)
        })?;
        let mut run = ModuleRun {
            outputs: unknown("the outputs of an ARM template module are not evaluated"),
            ..ModuleRun::default()
        };
        for mut d in out.resources {
            d.file.get_or_insert_with(|| Arc::clone(&file));
            d.via.splice(0..0, via.iter().cloned());
            run.resources.push(d);
        }
        run.notes = out
            .notes
            .into_iter()
            .map(|n| (Arc::clone(&file), n.span, n.message))
            .collect();
        return Ok(run);
    }
    let program = super::parse(&file.text).map_err(|e| {
        let (line, column) = file.position(e.offset);
        format!("{}:{line}:{column}: {}", file.path, e.message)
    })?;
    let scope = Scope::new(
        Arc::clone(&file),
        &program,
        params,
        rg.to_string(),
        via,
        depth,
    );
    deploy(&scope, &program).map_err(|(span, m)| {
        let (line, _) = file.position(span.start);
        format!("{}:{line}: {m}", file.path)
    })
}

/// Everything `program` deploys (resources of this file and of its modules) and its outputs.
/// The resource group a scope value names (its id's last `/resourceGroups/NAME`), if any.
fn group_of(v: &Value) -> Option<String> {
    let id = v.get("id")?.as_str()?;
    let at = id.to_ascii_lowercase().rfind("/resourcegroups/")? + "/resourcegroups/".len();
    let name = id[at..].split('/').next()?;
    (!name.is_empty() && !name.contains('<')).then(|| name.to_string())
}

pub(super) fn deploy(scope: &Scope<'_>, program: &Program) -> Result<ModuleRun, Failure> {
    let mut run = ModuleRun::default();
    for name in &scope.order {
        match scope.decls.get(name) {
            Some(Decl::Resource(r)) if !r.existing => {
                let (list, _) =
                    instances(scope, r.body, &format!("resource {name}"), &mut run.notes)?;
                for inst in &list {
                    let mut spans = Vec::new();
                    let value = resource(scope, r, inst, Some(&mut spans))?;
                    if value["type"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Resources/deployments"))
                    {
                        // An inline template deploying nothing (the telemetry deployment
                        // of every Azure Verified Module) hides nothing.
                        let empty = value
                            .pointer("/properties/template/resources")
                            .and_then(Value::as_array)
                            .is_some_and(Vec::is_empty);
                        if !empty {
                            run.notes.push((
                                Arc::clone(&scope.file),
                                r.stmt.span,
                                format!("nested deployment {name}: use a module; an inline deployment resource is not evaluated"),
                            ));
                        }
                        continue;
                    }
                    let span = spans.last().map_or(r.stmt.span, |(_, s)| *s);
                    run.resources.push(Declared {
                        value,
                        spans,
                        span,
                        file: Some(Arc::clone(&scope.file)),
                        via: scope.via.clone(),
                    });
                }
            }
            Some(Decl::Module(s)) => {
                let m = module(scope, name, s);
                run.resources.extend(m.resources.iter().map(copy));
                run.notes.extend(m.notes.iter().cloned());
            }
            _ => {}
        }
    }
    let mut outputs = Map::new();
    for s in &program.statements {
        if let StatementKind::Output { name, value, .. } = &s.kind {
            let v = scope.value(value, &[]).unwrap_or_else(|(_, m)| unknown(m));
            outputs.insert(name.name.clone(), v);
        }
    }
    run.outputs = Value::Object(outputs);
    Ok(run)
}

fn copy(d: &Declared) -> Declared {
    Declared {
        value: d.value.clone(),
        spans: d.spans.clone(),
        span: d.span,
        file: d.file.clone(),
        via: d.via.clone(),
    }
}

impl Scope<'_> {
    /// A parameter's value (given, or its default), checked against its declaration.
    fn parameter_value(&self, name: &str, stmt: &Statement) -> EvalResult {
        let StatementKind::Param { default, ty, .. } = &stmt.kind else {
            return Err(ExprError::Value(format!("'{name}' is not a parameter")));
        };
        let fail = |(_, m): Failure| ExprError::Value(m);
        let given = params::given(
            self.given
                .get(name)
                .or_else(|| self.given.get(&name.to_lowercase())),
        );
        let nullable = ty.text.trim_end().ends_with('?');
        let v = match (given, default) {
            (Some(v), _) => v.clone(),
            (None, Some(d)) => self.value(d, &[]).map_err(fail)?,
            (None, None) if nullable => Value::Null,
            (None, None) => unknown(format!(
                "parameter '{name}' has no default and no value (give --parameters FILE)"
            )),
        };
        let decorator = |n: &str| {
            stmt.decorators
                .iter()
                .find(|d| d.name == n || d.name == format!("sys.{n}"))
        };
        let allowed = match decorator("allowed").and_then(|d| d.args.first()) {
            Some(list) => Some(self.value(list, &[]).map_err(fail)?),
            None => None,
        };
        // A `@secure()` value is checked as ARM's secure types are: never shown.
        let ty = match (decorator("secure"), ty.text.trim()) {
            (Some(_), "string") => "securestring",
            (Some(_), "object") => "secureObject",
            (_, t) => t,
        };
        params::check(name, ty, allowed.as_ref(), &v).map_err(ExprError::Value)?;
        Ok(v)
    }
}

impl Context for Scope<'_> {
    fn parameter(&self, name: &str) -> EvalResult {
        self.symbol(name)
    }

    fn variable(&self, name: &str) -> EvalResult {
        self.symbol(name)
    }

    fn copy_index(&self, _: Option<&str>) -> EvalResult {
        Err(ExprError::Value("copyIndex() in a Bicep file".into()))
    }

    fn resource_group(&self) -> &str {
        &self.rg
    }

    fn lenient(&self) -> bool {
        true
    }

    fn reference(&self, target: &str, _: bool) -> Value {
        unknown(format!("reference('{target}') is only known at deployment"))
    }

    fn symbol(&self, name: &str) -> EvalResult {
        if let Some(v) = self.cache.borrow().get(name) {
            return Ok(v.clone());
        }
        let Some(decl) = self.decls.get(name) else {
            return Ok(unknown(format!(
                "'{name}' is not declared in this file (imported?)"
            )));
        };
        let fail = |(_, m): Failure| ExprError::Value(m);
        let v = self.guard(name, || match decl {
            Decl::Param(stmt) => self.parameter_value(name, stmt),
            Decl::Var(e) => self.value(e, &[]).map_err(fail),
            Decl::Resource(r) => symbol_value(self, r).map_err(fail),
            Decl::Module(s) => Ok(module(self, name, s).outputs.clone()),
        })?;
        self.cache.borrow_mut().insert(name.to_string(), v.clone());
        Ok(v)
    }
}
