//! Rego forbids recursion. regorus detects it between rules, but a function that calls
//! itself (directly or through other functions) overflows the stack and aborts the process
//! with no file named. Policies are therefore checked here, on regorus' own syntax tree,
//! before anything is evaluated: a cycle of function calls is refused naming its files.

use std::collections::{BTreeMap, BTreeSet};

use regorus::Engine;
use serde_json::Value;

use crate::error::{Error, Result};

/// A function definition: where it is, and the functions its bodies call.
#[derive(Default)]
struct Function {
    file: String,
    line: u64,
    calls: BTreeSet<String>,
}

/// Fails on the first cycle of function calls among the engine's policies.
pub(crate) fn refuse_recursion(engine: &Engine) -> Result<()> {
    let fail = |message: String| Error::Policy {
        file: "<policies>".into(),
        message,
    };
    let ast = engine.get_ast_as_json().map_err(|e| fail(e.to_string()))?;
    let modules: Value = serde_json::from_str(&ast).map_err(|e| fail(e.to_string()))?;
    let functions = functions(modules.as_array().map(Vec::as_slice).unwrap_or_default());
    let mut done = BTreeSet::new();
    for start in functions.keys() {
        let mut path = Vec::new();
        if let Some(cycle) = find_cycle(start, &functions, &mut path, &mut done) {
            let first = &functions[&cycle[0]];
            let chain: Vec<String> = cycle
                .iter()
                .chain(std::iter::once(&cycle[0]))
                .map(|name| format!("{name} ({}:{})", functions[name].file, functions[name].line))
                .collect();
            return Err(Error::Policy {
                file: first.file.clone(),
                message: format!(
                    "recursion: function calls go round in a cycle, which Rego forbids and which would never end: {}",
                    chain.join(" → ")
                ),
            });
        }
    }
    Ok(())
}

/// Depth-first search from `name`; `path` holds the calls being followed.
fn find_cycle(
    name: &str,
    functions: &BTreeMap<String, Function>,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|p| p == name) {
        return Some(path[at..].to_vec());
    }
    if done.contains(name) {
        return None;
    }
    path.push(name.to_string());
    for callee in &functions[name].calls {
        if functions.contains_key(callee) {
            if let Some(cycle) = find_cycle(callee, functions, path, done) {
                return Some(cycle);
            }
        }
    }
    path.pop();
    done.insert(name.to_string());
    None
}

/// Every function of every module, by its full path (`data.<package>.<name>`).
fn functions(modules: &[Value]) -> BTreeMap<String, Function> {
    let mut out: BTreeMap<String, Function> = BTreeMap::new();
    for m in modules {
        let contents = m["source"]["contents"].as_str().unwrap_or_default();
        let file = m["source"]["file"].as_str().unwrap_or_default();
        let ast = &m["ast"];
        let package = path_of(&ast["package"]["refr"]).unwrap_or_default();
        let scope = Scope {
            package: format!("data.{}", package.join(".")),
            imports: imports(ast, contents),
        };
        for rule in ast["rules"].as_array().into_iter().flatten() {
            let head = &rule["Spec"]["head"]["Func"];
            let Some(name) = path_of(&head["refr"]) else {
                continue;
            };
            let f = out
                .entry(format!("{}.{}", scope.package, name.join(".")))
                .or_default();
            f.file = file.to_string();
            f.line = rule["Spec"]["span"]["line"].as_u64().unwrap_or(0);
            calls(&rule["Spec"], &scope, &mut f.calls);
        }
    }
    out
}

struct Scope {
    package: String,
    /// alias → imported path
    imports: BTreeMap<String, String>,
}

impl Scope {
    /// The full path a call's function reference names.
    fn resolve(&self, parts: &[String]) -> String {
        match parts.first().map(String::as_str) {
            Some("data") => parts.join("."),
            Some(first) if self.imports.contains_key(first) => {
                let mut p = vec![self.imports[first].clone()];
                p.extend(parts[1..].iter().cloned());
                p.join(".")
            }
            _ => format!("{}.{}", self.package, parts.join(".")),
        }
    }
}

/// `import data.a.b` → `b` ↦ `data.a.b`; `import data.a.b as c` → `c` ↦ `data.a.b`.
fn imports(ast: &Value, contents: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for i in ast["imports"].as_array().into_iter().flatten() {
        let Some(path) = path_of(&i["refr"]) else {
            continue;
        };
        let alias = match i["as"]["start"].as_u64().zip(i["as"]["end"].as_u64()) {
            Some((s, e)) => contents.get(s as usize..e as usize).map(str::to_string),
            None => path.last().cloned(),
        };
        if let Some(alias) = alias {
            out.insert(alias, path.join("."));
        }
    }
    out
}

/// The functions called anywhere below `node`.
fn calls(node: &Value, scope: &Scope, out: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            if let Some(parts) = map.get("Call").and_then(|c| path_of(&c["fcn"])) {
                out.insert(scope.resolve(&parts));
            }
            map.values().for_each(|v| calls(v, scope, out));
        }
        Value::Array(items) => items.iter().for_each(|v| calls(v, scope, out)),
        _ => {}
    }
}

/// The components of a reference (`a.b["c"].d`); `None` when one is not a constant.
fn path_of(refr: &Value) -> Option<Vec<String>> {
    if let Some(name) = refr["Var"]["value"].as_str() {
        return Some(vec![name.to_string()]);
    }
    let (inner, field) = if let Some(dot) = refr.get("RefDot") {
        (&dot["refr"], dot["field"][1].as_str()?)
    } else {
        let brack = refr.get("RefBrack")?;
        (&brack["refr"], brack["index"]["String"]["value"].as_str()?)
    };
    let mut parts = path_of(inner)?;
    parts.push(field.to_string());
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(files: &[(&str, &str)]) -> Engine {
        let mut e = Engine::new();
        for (path, source) in files {
            e.add_policy(path.to_string(), source.to_string()).unwrap();
        }
        e
    }

    #[test]
    fn a_cycle_through_an_import_alias_is_found_and_a_chain_is_not() {
        let a =
            "package a\nimport rego.v1\nimport data.b as other\nf(x) := y if { y := other.g(x) }\n";
        let b = "package b\nimport rego.v1\ng(x) := data.a.f(x)\n";
        let err = refuse_recursion(&engine(&[("a.rego", a), ("b.rego", b)])).unwrap_err();
        assert!(
            err.to_string()
                .contains("data.a.f (a.rego:4) → data.b.g (b.rego:3) → data.a.f"),
            "{err}"
        );
        let b = "package b\nimport rego.v1\ng(x) := upper(x)\n";
        assert!(refuse_recursion(&engine(&[("a.rego", a), ("b.rego", b)])).is_ok());
    }

    #[test]
    fn the_built_in_pack_has_no_recursion() {
        let pack = super::super::pack::Pack::load(&[], true).unwrap();
        refuse_recursion(&pack.engine).unwrap();
    }
}
