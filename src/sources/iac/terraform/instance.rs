//! A module instance evaluated as Terraform would plan it, without credentials: locals,
//! resources and data sources expanded by `count`/`for_each`, module calls followed (with
//! the caller's arguments), outputs. References between them are settled by evaluating
//! the module again until nothing changes (at most MAX_PASSES times), which resolves
//! chains in any declaration order. What cannot be known (an unknown count, a module not
//! on disk) is noted, never guessed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use hcl_edit::structure::Block;
use serde_json::{json, Map, Value};

use super::config::{self, ModuleConfig, Source};
use super::{azurerm, TfResource};
use crate::sources::iac::hcl::{self, Scope};
use crate::sources::iac::unknown::{unknown, unknown_reason};
use crate::text::SourceFile;

/// Evaluation passes over a module before its references are taken as settled.
const MAX_PASSES: usize = 8;
/// Instances one `count`/`for_each` may make.
const MAX_INSTANCES: usize = 1000;
/// Module calls nested deeper than this are not followed.
const MAX_DEPTH: usize = 16;
/// Arguments of a resource or module block that are Terraform's, not the resource's.
const META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "lifecycle",
    "provider",
    "providers",
    "provisioner",
    "connection",
    "source",
    "version",
];

/// Something not evaluated, where it is written.
pub(crate) use crate::sources::iac::FileNote as Note;

/// What one evaluation of a root configuration shares.
pub(crate) struct Run<'r> {
    /// The root module's directory (where `terraform init` keeps `.terraform/modules`).
    pub(crate) root: &'r Path,
    /// Stands in for the subscription in resource ids.
    pub(crate) scope_id: &'r str,
    /// Module configurations by directory: the scanned ones, and those read when called.
    pub(crate) configs: RefCell<HashMap<PathBuf, Result<Rc<ModuleConfig>, String>>>,
    /// Module instances already evaluated with the same arguments.
    memo: RefCell<HashMap<String, Rc<Evaluated>>>,
}

/// Where an instance sits: its address prefix (`module.vm["web"].`), its key in
/// `modules.json` (`vm`), the module calls that lead to it.
#[derive(Clone, Default)]
pub(crate) struct Instance {
    pub(crate) address: String,
    pub(crate) key: String,
    pub(crate) via: Vec<String>,
    pub(crate) depth: usize,
}

#[derive(Clone, Default)]
pub(crate) struct Evaluated {
    pub(crate) resources: Vec<TfResource>,
    pub(crate) outputs: Value,
    pub(crate) notes: Vec<Note>,
}

/// How many instances a block has.
enum Expansion {
    One,
    /// (address suffix, names bound while evaluating it), keyed by `for_each` or not.
    Many(Vec<(String, Value, (&'static str, Value))>, bool),
    Skip(String),
}

impl<'r> Run<'r> {
    pub(crate) fn new(
        root: &'r Path,
        scope_id: &'r str,
        configs: HashMap<PathBuf, Rc<ModuleConfig>>,
    ) -> Run<'r> {
        Run {
            root,
            scope_id,
            configs: RefCell::new(configs.into_iter().map(|(k, v)| (k, Ok(v))).collect()),
            memo: RefCell::default(),
        }
    }

    fn config(&self, dir: &Path) -> Result<Rc<ModuleConfig>, String> {
        if let Some(c) = self.configs.borrow().get(dir) {
            return c.clone();
        }
        let c = ModuleConfig::read(dir).map(Rc::new);
        self.configs
            .borrow_mut()
            .insert(dir.to_path_buf(), c.clone());
        c
    }

    /// Evaluates `config` with input `vars` as instance `inst`.
    pub(crate) fn evaluate(
        &self,
        config: &ModuleConfig,
        vars: &HashMap<String, Value>,
        inst: &Instance,
    ) -> Rc<Evaluated> {
        let mut sorted: Vec<(&String, &Value)> = vars.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let memo_key = format!(
            "{}\n{}\n{}",
            config.dir.display(),
            inst.address,
            serde_json::to_string(&sorted).unwrap_or_default()
        );
        if let Some(e) = self.memo.borrow().get(&memo_key) {
            return Rc::clone(e);
        }
        let mut refs: HashMap<String, Value> = HashMap::new();
        let mut locals: HashMap<String, Value> = HashMap::new();
        let mut result = Evaluated::default();
        for _ in 0..MAX_PASSES {
            let (next_refs, next_locals, evaluated) = self.pass(config, vars, inst, &refs, &locals);
            let settled = next_refs == refs && next_locals == locals;
            refs = next_refs;
            locals = next_locals;
            result = evaluated;
            if settled {
                break;
            }
        }
        let result = Rc::new(result);
        self.memo.borrow_mut().insert(memo_key, Rc::clone(&result));
        result
    }

    /// One pass: every value evaluated against the previous pass's references.
    fn pass(
        &self,
        config: &ModuleConfig,
        vars: &HashMap<String, Value>,
        inst: &Instance,
        refs: &HashMap<String, Value>,
        locals: &HashMap<String, Value>,
    ) -> (HashMap<String, Value>, HashMap<String, Value>, Evaluated) {
        let declared: Vec<String> = config
            .blocks("resource")
            .map(|(_, b)| hcl::labels(b).join("."))
            .collect();
        let resolver = |names: &[String]| -> Option<(Value, usize)> {
            let (key, took) = match names {
                [m, n, ..] if m == "module" => (format!("module.{n}"), 2),
                [d, t, n, ..] if d == "data" => (format!("data.{t}.{n}"), 3),
                [t, n, ..] if declared.contains(&format!("{t}.{n}")) => (format!("{t}.{n}"), 2),
                _ => return None,
            };
            let v = refs
                .get(&key)
                .cloned()
                .unwrap_or_else(|| unknown(format!("{key} is not evaluated")));
            Some((v, took))
        };
        let path = json!({ "module": config.shown, "root": ".", "cwd": "." });
        let base = Scope::new(vars, locals, &resolver).with("path", path);
        // Locals may use each other: a few rounds settle any order.
        let mut next_locals = locals.clone();
        for _ in 0..4 {
            let next = hcl::locals(&config.bodies, &base.with_locals(&next_locals));
            if next == next_locals {
                break;
            }
            next_locals = next;
        }
        let scope = base.with_locals(&next_locals);
        let mut next_refs = HashMap::new();
        let mut out = Evaluated::default();
        for kind in ["resource", "data"] {
            for (file, b) in config.blocks(kind) {
                self.resource(kind, file, b, &scope, inst, &mut next_refs, &mut out);
            }
        }
        for (file, b) in config.blocks("module") {
            self.module(config, file, b, &scope, inst, &mut next_refs, &mut out);
        }
        let mut outputs = Map::new();
        for (_, b) in config.blocks("output") {
            if let (Some(name), Some(v)) = (
                hcl::labels(b).into_iter().next(),
                b.body.get_attribute("value"),
            ) {
                outputs.insert(name, scope.eval(&v.value));
            }
        }
        out.outputs = Value::Object(outputs);
        (next_refs, next_locals, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn resource(
        &self,
        kind: &str,
        file: &Arc<SourceFile>,
        b: &Block,
        scope: &Scope<'_>,
        inst: &Instance,
        refs: &mut HashMap<String, Value>,
        out: &mut Evaluated,
    ) {
        let labels = hcl::labels(b);
        let [t, n] = labels.as_slice() else { return };
        let base = match kind {
            "data" => format!("data.{t}.{n}"),
            _ => format!("{t}.{n}"),
        };
        let one = |s: &Scope<'_>, suffix: &str, out: &mut Evaluated| -> Value {
            let mut spans = vec![(String::new(), hcl::span_of(b))];
            let mut values = s.body(&b.body, "", &mut spans);
            if let Value::Object(o) = &mut values {
                for m in META {
                    o.remove(*m);
                }
            }
            // A name only known at apply stands as the address, here already, so that
            // resources naming it (`virtual_network_name = azurerm_virtual_network.x.name`)
            // build the same ids as the resource itself.
            if values
                .get("name")
                .is_some_and(|n| unknown_reason(n).is_some())
            {
                values["name"] = json!(format!("{}{base}{suffix}", inst.address));
            }
            values["id"] = json!(azurerm::arm_id(t, &values, self.scope_id)
                .unwrap_or_else(|| azurerm::placeholder_id(t, &values, self.scope_id)));
            if kind == "resource" {
                out.resources.push(TfResource {
                    tf_type: t.clone(),
                    address: format!("{}{base}{suffix}", inst.address),
                    values: values.clone(),
                    file: Arc::clone(file),
                    spans,
                    span: hcl::span_of(b),
                    via: inst.via.clone(),
                });
            }
            values
        };
        let value = match expand(scope, b) {
            Expansion::One => one(scope, "", out),
            Expansion::Many(instances, keyed) => {
                let mut list = Vec::new();
                let mut map = Map::new();
                for (suffix, key, (name, bound)) in instances {
                    let v = one(&scope.with(name, bound), &suffix, out);
                    match keyed {
                        true => {
                            map.insert(hcl::text(&key), v);
                        }
                        false => list.push(v),
                    }
                }
                if keyed {
                    Value::Object(map)
                } else {
                    Value::Array(list)
                }
            }
            Expansion::Skip(why) => {
                let address = format!("{}{base}", inst.address);
                out.notes.push(note(
                    file,
                    b,
                    format!("{address}: {why}; its instances are not evaluated"),
                ));
                unknown(format!("{address}: {why}"))
            }
        };
        refs.insert(base, value);
    }

    #[allow(clippy::too_many_arguments)]
    fn module(
        &self,
        config: &ModuleConfig,
        file: &Arc<SourceFile>,
        b: &Block,
        scope: &Scope<'_>,
        inst: &Instance,
        refs: &mut HashMap<String, Value>,
        out: &mut Evaluated,
    ) {
        let Some(name) = hcl::labels(b).into_iter().next() else {
            return;
        };
        let key = match inst.key.as_str() {
            "" => name.clone(),
            k => format!("{k}.{name}"),
        };
        let address = format!("{}module.{name}", inst.address);
        let expansion = expand(scope, b);
        // No instances: nothing to follow, whether or not the source is on disk.
        if let Expansion::Many(instances, keyed) = &expansion {
            if instances.is_empty() {
                let none = if *keyed { json!({}) } else { json!([]) };
                refs.insert(format!("module.{name}"), none);
                return;
            }
        }
        let child = match config::source(config, b, &key, self.root) {
            _ if inst.depth >= MAX_DEPTH => {
                Err(format!("modules nested deeper than {MAX_DEPTH} levels"))
            }
            Source::Dir(dir) => self.config(&dir),
            Source::Missing(why) => Err(why),
        };
        let child = match child {
            Ok(c) => c,
            Err(why) => {
                out.notes
                    .push(note(file, b, format!("{address} is not followed: {why}")));
                refs.insert(
                    format!("module.{name}"),
                    unknown(format!("{address} is not followed")),
                );
                return;
            }
        };
        let call = |s: &Scope<'_>, suffix: &str, out: &mut Evaluated| -> Value {
            let mut args = HashMap::new();
            for a in b.body.attributes() {
                let k = a.key.as_str();
                if !META.contains(&k) {
                    args.insert(k.to_string(), s.eval(&a.value));
                }
            }
            let line = file.position(hcl::span_of(b).start).0;
            let mut via = inst.via.clone();
            via.push(format!("{}:{line} {address}{suffix}", file.path));
            let child_inst = Instance {
                address: format!("{address}{suffix}."),
                key: key.clone(),
                via,
                depth: inst.depth + 1,
            };
            let (variables, notes) = child.variables(&args);
            out.notes.extend(notes);
            let evaluated = self.evaluate(&child, &variables, &child_inst);
            out.resources.extend(evaluated.resources.iter().cloned());
            out.notes.extend(evaluated.notes.iter().cloned());
            evaluated.outputs.clone()
        };
        let value = match expansion {
            Expansion::One => call(scope, "", out),
            Expansion::Many(instances, keyed) => {
                let mut list = Vec::new();
                let mut map = Map::new();
                for (suffix, key, (bound_name, bound)) in instances {
                    let v = call(&scope.with(bound_name, bound), &suffix, out);
                    if keyed {
                        map.insert(hcl::text(&key), v);
                    } else {
                        list.push(v);
                    }
                }
                if keyed {
                    Value::Object(map)
                } else {
                    Value::Array(list)
                }
            }
            Expansion::Skip(why) => {
                out.notes.push(note(
                    file,
                    b,
                    format!("{address}: {why}; its instances are not evaluated"),
                ));
                unknown(format!("{address}: {why}"))
            }
        };
        refs.insert(format!("module.{name}"), value);
    }
}

fn note(file: &Arc<SourceFile>, b: &Block, message: String) -> Note {
    (Arc::clone(file), hcl::span_of(b), message)
}

/// The instances `count` or `for_each` asks for.
fn expand(scope: &Scope<'_>, b: &Block) -> Expansion {
    if let Some(c) = b.body.get_attribute("count") {
        let v = scope.eval(&c.value);
        if let Some(why) = unknown_reason(&v) {
            return Expansion::Skip(format!("count is unknown ({why})"));
        }
        let n = match &v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse::<f64>().ok(),
            _ => None,
        };
        return match n {
            Some(n) if n.fract() == 0.0 && (0.0..=MAX_INSTANCES as f64).contains(&n) => {
                Expansion::Many(
                    (0..n as usize)
                        .map(|i| (format!("[{i}]"), json!(i), ("count", json!({ "index": i }))))
                        .collect(),
                    false,
                )
            }
            _ => Expansion::Skip(format!(
                "count {v} is not a whole number up to {MAX_INSTANCES}"
            )),
        };
    }
    let Some(f) = b.body.get_attribute("for_each") else {
        return Expansion::One;
    };
    let v = scope.eval(&f.value);
    if let Some(why) = unknown_reason(&v) {
        return Expansion::Skip(format!("for_each is unknown ({why})"));
    }
    let pairs: Vec<(String, Value)> = match v {
        Value::Object(o) => o.into_iter().collect(),
        Value::Array(items) => {
            let mut keys = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => keys.push((s.clone(), Value::String(s))),
                    u if unknown_reason(&u).is_some() => {
                        return Expansion::Skip(format!(
                            "a for_each key is unknown ({})",
                            unknown_reason(&u).unwrap_or_default()
                        ))
                    }
                    other => {
                        return Expansion::Skip(format!(
                            "for_each over a set of {other} (keys must be strings)"
                        ))
                    }
                }
            }
            keys
        }
        Value::Null => return Expansion::Skip("for_each is null".into()),
        other => return Expansion::Skip(format!("for_each over {other}")),
    };
    if pairs.len() > MAX_INSTANCES {
        return Expansion::Skip(format!("for_each has more than {MAX_INSTANCES} elements"));
    }
    let mut pairs = pairs;
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    Expansion::Many(
        pairs
            .into_iter()
            .map(|(k, v)| {
                (
                    format!("[{}]", json!(k)),
                    json!(k),
                    ("each", json!({ "key": k, "value": v })),
                )
            })
            .collect(),
        true,
    )
}
