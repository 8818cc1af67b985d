//! The built-in pack compiled for regorus' RVM (its compiler and virtual machine), which
//! evaluates it with less than half the CPU of the interpreter. regorus 0.14.1's VM departs
//! from its interpreter in three ways, each handled here on the source it is compiled from:
//! - `x := expr` binds `x` to undefined when `expr` is undefined instead of failing the
//!   body: every such assignment is followed by `x == x` (false for an undefined `x`);
//! - a rule branch followed by `else` whose value is undefined does not fall through to the
//!   `else`: the value is computed and guarded at the end of the body;
//! - a branch that fails inside a loop does not fall through to its `else` either: such a
//!   pack is refused (`loop_before_else`), and the built-in one keeps its loops in helpers.
//!
//! Only the built-in pack runs here, held to the interpreter's findings by
//! tests/equivalence.rs; a pack with added or replaced files runs in the interpreter.

use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::{Program, RegoVM};
use regorus::{Engine, Value};
use serde_json::Value as Json;

use super::pack::Pack;

/// A compiled program and the data (`data.kensa`) every evaluation reads.
pub(crate) struct Vm {
    program: Arc<Program>,
    data: Value,
}

impl Vm {
    /// The pack's rules plus the generated `run` module compiled with `entry_points`; `None`
    /// when the pack is not only the built-in one, or the compiler refuses it (a test holds
    /// the built-in pack to compiling).
    pub(crate) fn compile(
        pack: &Pack,
        run: &str,
        entry_points: &[&str],
        data: &Value,
    ) -> Option<Vm> {
        if pack.files.iter().any(|f| !f.builtin) || entry_points.is_empty() {
            return None;
        }
        let mut engine = Engine::new();
        engine.set_strict_builtin_errors(false);
        let modules: Json = serde_json::from_str(&pack.engine.get_ast_as_json().ok()?).ok()?;
        for module in modules.as_array()? {
            if module["source"]["file"].as_str()?.ends_with("_test.rego") {
                continue;
            }
            if loop_before_else(module) {
                return None;
            }
            let (file, source) = (&module["source"]["file"], &module["source"]["contents"]);
            let (file, source) = (file.as_str()?, source.as_str()?);
            let source = apply(source, guards(module, source)?)?;
            engine.add_policy(file.into(), source).ok()?;
        }
        engine.add_policy("<kensa.run>".into(), run.into()).ok()?;
        let policy = engine
            .compile_with_entrypoint(&entry_points[0].into())
            .ok()?;
        let program = Compiler::compile_from_policy(&policy, entry_points).ok()?;
        Some(Vm {
            program,
            data: data.clone(),
        })
    }

    /// A machine for one worker.
    pub(crate) fn machine(&self, limit: Option<std::time::Duration>) -> Option<RegoVM> {
        let mut vm = RegoVM::new();
        vm.load_program(Arc::clone(&self.program));
        vm.set_data(self.data.clone()).ok()?;
        vm.set_max_instructions(usize::MAX);
        if let Some(limit) = limit {
            vm.set_execution_timer_config(Some(regorus::utils::limits::ExecutionTimerConfig {
                limit,
                check_interval: std::num::NonZeroU32::MIN.saturating_add(999),
            }));
        }
        Some(vm)
    }
}

/// A change to a module's source: `start..end` replaced by `text` (`order` sorts edits at
/// one offset).
struct Edit {
    start: usize,
    end: usize,
    order: u8,
    text: String,
}

impl Edit {
    fn insert(at: usize, order: u8, text: String) -> Edit {
        Edit {
            start: at,
            end: at,
            order,
            text,
        }
    }
}

/// The variable a branch's value is bound to when it is moved into the body.
const VALUE: &str = "__kensa_value";

/// The edits that make one module safe for the RVM.
fn guards(module: &Json, source: &str) -> Option<Vec<Edit>> {
    let mut edits = Vec::new();
    for rule in module["ast"]["rules"].as_array()? {
        walk(rule, source, &mut edits)?;
        let spec = &rule["Spec"];
        let bodies = spec["bodies"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (n, body) in bodies.iter().enumerate() {
            // `else := v` without a body has nothing to guard.
            if body["query"]["stmts"].as_array().is_none_or(Vec::is_empty) {
                continue;
            }
            let (start, end) = span(&body["query"])?;
            let (start, end) = (stmt_start(source, start), stmt_end(source, end)?);
            let mut tail = String::new();
            // A rule's branch followed by `else` whose value is undefined falls through to it
            // in the interpreter; the VM takes the undefined value instead. The value is
            // computed (and guarded) at the end of the body, and the head names the result.
            // (A function's undefined value stays undefined in both.)
            let before_else = bodies.get(n + 1).is_some_and(|b| b["is_else"] == true);
            let assign = match n {
                0 => head_assign(&spec["head"]),
                _ => Some(&body["assign"]),
            };
            let complete = !spec["head"]["Compr"].is_null();
            if let Some(assign) =
                assign.filter(|a| before_else && complete && !literal(&a["value"]))
            {
                let (from, to) = value_text(source, span(assign)?.0, start)?;
                edits.push(Edit {
                    start: from,
                    end: to,
                    order: 0,
                    text: VALUE.into(),
                });
                tail = format!(
                    "\n{VALUE} := {}\n{VALUE} == {VALUE}\n",
                    source.get(from..to)?
                );
            }
            let braced = source.get(start..)?.starts_with('{');
            let guarded = edits.iter().any(|e| (start..=end).contains(&e.start));
            match braced {
                true if !tail.is_empty() => {
                    source.get(..end)?.ends_with('}').then_some(())?;
                    edits.push(Edit::insert(end - 1, 2, tail));
                }
                // A body without braces (`r if x := e`) gets them, so that guards can follow.
                false if guarded || !tail.is_empty() => {
                    edits.push(Edit::insert(start, 0, "{ ".into()));
                    edits.push(Edit::insert(end, 2, format!("{tail} }}")));
                }
                _ => {}
            }
        }
    }
    Some(edits)
}

/// The assignment of a rule or function head (`r := v`, `f(x) := v`).
fn head_assign(head: &Json) -> Option<&Json> {
    ["Compr", "Func"]
        .iter()
        .map(|k| &head[k]["assign"])
        .find(|v| !v.is_null())
}

/// Where the value of `:= value if` lies, from the assignment to its body's start. (The
/// syntax tree's spans of composite values are not reliable, its assignments' starts are.)
fn value_text(source: &str, assign: usize, body: usize) -> Option<(usize, usize)> {
    let text = source.get(assign..body)?;
    let value = text.strip_prefix(":=")?.trim_end().strip_suffix("if")?;
    let value = value.strip_suffix(char::is_whitespace)?;
    let start = assign + 2 + (value.len() - value.trim_start().len());
    let end = assign + 2 + value.trim_end().len();
    (start < end).then_some((start, end))
}

/// A scalar literal: never undefined.
fn literal(expr: &Json) -> bool {
    [
        "String",
        "RawString",
        "Number",
        "True",
        "False",
        "Null",
        "Bool",
    ]
    .iter()
    .any(|k| expr.get(k).is_some())
}

/// Finds every query under `node` and guards its `:=` statements with `v == v`.
fn walk(node: &Json, source: &str, edits: &mut Vec<Edit>) -> Option<()> {
    match node {
        Json::Object(map) => {
            for stmt in map
                .get("stmts")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let assign = &stmt["literal"]["Expr"]["expr"]["AssignExpr"];
                if assign["op"] == "ColEq" {
                    let mut vars = Vec::new();
                    bound(&assign["lhs"], &mut vars);
                    let end = stmt_end(source, span(stmt)?.1)?;
                    for v in vars {
                        edits.push(Edit::insert(end, 1, format!("; {v} == {v}")));
                    }
                }
            }
            map.values().try_for_each(|v| walk(v, source, edits))
        }
        Json::Array(items) => items.iter().try_for_each(|v| walk(v, source, edits)),
        _ => Some(()),
    }
}

/// Where a statement really starts: the syntax tree's span starts after the opening quote
/// of a string that starts it.
fn stmt_start(source: &str, start: usize) -> usize {
    match source.get(..start) {
        Some(before) if before.ends_with(['"', '`']) => start - 1,
        _ => start,
    }
}

/// Where a statement really ends: the syntax tree's span stops before the closing quote of
/// a string that ends it. `None` when what follows is not a statement's end.
fn stmt_end(source: &str, end: usize) -> Option<usize> {
    let rest = source.get(end..)?;
    let end = match rest.starts_with(['"', '`']) {
        true => end + 1,
        false => end,
    };
    let next = source.get(end..)?.chars().next();
    next.is_none_or(|c| c.is_whitespace() || ";}])|#".contains(c))
        .then_some(end)
}

/// Variables an assignment's left side binds (`x`, `[a, b]`, `{"k": v}`), `_` excepted.
fn bound(lhs: &Json, out: &mut Vec<String>) {
    if let Some(name) = lhs["Var"]["value"].as_str() {
        if name != "_" {
            out.push(name.to_string());
        }
    }
    for item in lhs["Array"]["items"].as_array().into_iter().flatten() {
        bound(item, out);
    }
    for field in lhs["Object"]["fields"].as_array().into_iter().flatten() {
        bound(&field[2], out);
    }
}

/// Whether a branch followed by `else` iterates (`some`, `x[_]`, `x[i]` with `i` not an
/// argument): when such a body fails inside its loop, regorus 0.14.1's VM does not fall
/// through to the `else` (`t(x) := "a" if { some v in x; v == 2 } else := "c"` is undefined
/// for `[1]`). A helper rule holding the loop avoids it.
fn loop_before_else(module: &Json) -> bool {
    module["ast"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|rule| {
            let spec = &rule["Spec"];
            let args: Vec<&str> = spec["head"]["Func"]["args"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["Var"]["value"].as_str())
                .collect();
            let bodies = spec["bodies"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            bodies
                .windows(2)
                .any(|w| w[1]["is_else"] == true && iterates(&w[0]["query"], &args))
        })
}

/// Whether a query holds a loop outside comprehensions (which never fail a body).
fn iterates(node: &Json, args: &[&str]) -> bool {
    match node {
        Json::Object(map) => map.iter().any(|(k, v)| match k.as_str() {
            // `every` is not affected: it fails outside its loop.
            "SomeIn" | "SomeVars" => true,
            "ArrayCompr" | "SetCompr" | "ObjectCompr" => false,
            "RefBrack" => {
                let index = v["index"]["Var"]["value"].as_str();
                index.is_some_and(|i| i == "_" || !args.contains(&i)) || iterates(v, args)
            }
            _ => iterates(v, args),
        }),
        Json::Array(items) => items.iter().any(|v| iterates(v, args)),
        _ => false,
    }
}

/// A node's byte span.
fn span(node: &Json) -> Option<(usize, usize)> {
    let s = &node["span"];
    Some((s["start"].as_u64()? as usize, s["end"].as_u64()? as usize))
}

/// `source` with `edits` applied; `None` when two overlap.
fn apply(source: &str, mut edits: Vec<Edit>) -> Option<String> {
    edits.sort_by_key(|e| (e.start, e.order));
    let mut out = String::with_capacity(source.len() + edits.len() * 16);
    let mut from = 0;
    for e in edits {
        out.push_str(source.get(from..e.start)?);
        out.push_str(&e.text);
        from = e.end.max(from);
        if e.end < e.start {
            return None;
        }
    }
    out.push_str(source.get(from..)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::pack::PolicyFile;

    /// `query` on `input` under `policy` (package `t`): (interpreter, VM); `None` for the VM
    /// when it refuses the policy.
    fn both(policy: &str, query: &str, input: &str) -> (Value, Option<Value>) {
        let file = PolicyFile {
            path: "t.rego".into(),
            source: policy.into(),
            package: "t".into(),
            builtin: true,
        };
        let pack = Pack::compile(vec![file], false).unwrap();
        let input = Value::from_json_str(input).unwrap();
        let mut engine = pack.engine.clone();
        engine.set_input(input.clone());
        let interpreted = engine.eval_rule(query.into()).unwrap();
        let vm = Vm::compile(&pack, "package kensa.run\n", &[query], &Value::new_object());
        let compiled = vm.map(|vm| {
            let mut machine = vm.machine(None).unwrap();
            machine.set_input(input);
            machine.execute_entry_point_by_name(query).unwrap()
        });
        (interpreted, compiled)
    }

    fn agree(policy: &str, query: &str, input: &str) -> Value {
        let (interpreted, compiled) = both(policy, query, input);
        assert_eq!(Some(&interpreted), compiled.as_ref(), "{policy}");
        interpreted
    }

    #[test]
    fn an_assignment_of_an_undefined_value_fails_its_body() {
        let policy = "package t\nimport rego.v1\nfound contains \"found\" if {\n\tx := input.missing\n\tnot x == \"a\"\n}\n";
        assert_eq!(agree(policy, "data.t.found", "{}"), Value::new_set());
        // A destructuring assignment, and one without braces.
        let policy =
            "package t\nimport rego.v1\nr := \"no\" if [a, b] := input.pair else := \"yes\"\n";
        assert_eq!(agree(policy, "data.t.r", "{}"), Value::from("yes"));
        assert_eq!(
            agree(policy, "data.t.r", "{\"pair\": [1, 2]}"),
            Value::from("no")
        );
    }

    #[test]
    fn an_undefined_branch_value_falls_through_to_else() {
        let policy = "package t\nimport rego.v1\nname := input.def.name if input.def\n\nelse := \"its image\"\n";
        assert_eq!(
            agree(policy, "data.t.name", "{\"def\": null}"),
            Value::from("its image")
        );
        assert_eq!(
            agree(policy, "data.t.name", "{\"def\": {\"name\": \"n\"}}"),
            Value::from("n")
        );
        let policy =
            "package t\nimport rego.v1\nr := [input.a, \"if\"] if {\n\tinput.b\n} else := \"c\"\n";
        assert_eq!(agree(policy, "data.t.r", "{\"b\": true}"), Value::from("c"));
        // A function's undefined value stays undefined in both (regorus' interpreter).
        let policy =
            "package t\nimport rego.v1\nf(x) := x.a if x.b\n\nelse := \"c\"\nr := f(input)\n";
        assert_eq!(agree(policy, "data.t.r", "{\"b\": true}"), Value::Undefined);
    }

    #[test]
    fn guards_stay_out_of_strings() {
        // The syntax tree's span of a statement ending in a string stops before its quote.
        let policy = "package t\nimport rego.v1\nr := [x, y] if {\n\tx := \"tcp\"\n\ty := \"\"\n}\np := v if v := \"a; b\"\n";
        let tcp: Value = serde_json::from_str("[\"tcp\", \"\"]").unwrap();
        assert_eq!(agree(policy, "data.t.r", "{}"), tcp);
        assert_eq!(agree(policy, "data.t.p", "{}"), Value::from("a; b"));
        let policy =
            "package t\nimport rego.v1\nr := \"yes\" if \"a\" in input.l\n\nelse := \"no\"\n";
        assert_eq!(
            agree(policy, "data.t.r", "{\"l\": [\"b\"]}"),
            Value::from("no")
        );
    }

    #[test]
    fn a_loop_before_else_keeps_the_policy_in_the_interpreter() {
        for body in ["some v in x; v == 2", "x[_] == 2", "x[i] == 2; i > 0"] {
            let policy = format!("package t\nimport rego.v1\nf(x) := \"a\" if {{ {body} }} else := \"c\"\nr := f(input.l)\n");
            let (interpreted, compiled) = both(&policy, "data.t.r", "{\"l\": [1, 3]}");
            assert_eq!(interpreted, Value::from("c"));
            assert_eq!(compiled, None, "{body}");
        }
        // An argument as index is a lookup, `every` fails outside its loop: both compile.
        let policy = "package t\nimport rego.v1\nf(x, k) := \"a\" if { x[k] == 2 } else := \"c\"\ng(x) := \"a\" if { every v in x { v == 2 } } else := \"c\"\nr := [f(input.l, 0), g(input.l)]\n";
        let cc: Value = serde_json::from_str("[\"c\", \"c\"]").unwrap();
        assert_eq!(agree(policy, "data.t.r", "{\"l\": [1, 3]}"), cc);
    }

    #[test]
    fn the_built_in_pack_compiles_for_the_vm_and_an_added_file_keeps_it_out() {
        let mut pack = Pack::load(&[], false).unwrap();
        let paths = ["data.kensa.rules.vm.trusted_launch.deny"];
        assert!(Vm::compile(&pack, "package kensa.run\n", &paths, &Value::new_object()).is_some());
        pack.files[0].builtin = false;
        assert!(Vm::compile(&pack, "package kensa.run\n", &paths, &Value::new_object()).is_none());
    }
}
