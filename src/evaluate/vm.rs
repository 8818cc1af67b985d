//! The built-in pack compiled for regorus' RVM (its compiler and virtual machine), which
//! evaluates it with less than half the CPU of the interpreter. regorus 0.14.1's VM departs
//! from its interpreter; on the source it compiles from, these departures are guarded:
//! - `x := expr` binds `x` to undefined when `expr` is undefined instead of failing the
//!   body: every such assignment is followed by `x == x` (false for an undefined `x`);
//! - an undefined value is kept where the interpreter drops it (a complete rule's branch
//!   followed by `else`, a partial object's member, an array comprehension's member): the
//!   value is computed and guarded at the end of its body or query;
//! - a comprehension whose query fails outside any loop hangs the VM when its body fails
//!   later: the query gets a loop of one turn;
//! - a `_` parameter is not checked for being defined: it gets a name;
//!
//! and the shapes no guard fixes keep a module in the interpreter (`unsupported`). Before
//! the guards, imported packages are named by their path (`imports`: the VM reads a rule
//! through an import's name by evaluating the whole package).
//! Only the built-in pack runs here, held to the interpreter's findings by
//! tests/equivalence.rs; a pack with added or replaced files runs in the interpreter.

use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::DeserializationResult;
use regorus::rvm::{Program, RegoVM};
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, Value};
use serde_json::Value as Json;

use super::pack::Pack;

mod imports;

/// A compiled program and the data (`data.kensa`) every evaluation reads, both serialised:
/// each worker's machine gets its own copy (see `machine`).
pub(crate) struct Vm {
    program: Vec<u8>,
    data: String,
}

impl Vm {
    /// The pack's rules plus the generated `run` module compiled with `entry_points`, or why
    /// the pack stays in the interpreter (a test holds the built-in pack to compiling).
    pub(crate) fn compile(
        pack: &Pack,
        run: &str,
        entry_points: &[&str],
        data: &Value,
    ) -> Result<Vm, String> {
        if let Some(f) = pack.files.iter().find(|f| !f.builtin) {
            return Err(format!("{} is not part of the built-in pack", f.path));
        }
        let mut engine = Engine::new();
        engine.set_strict_builtin_errors(false);
        let ast = pack.engine.get_ast_as_json().map_err(|e| e.to_string())?;
        let modules: Json = serde_json::from_str(&ast).map_err(|e| e.to_string())?;
        let modules: Vec<&Json> = modules
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                !m["source"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .ends_with("_test.rego")
            })
            .collect();
        let rules =
            imports::rule_names(&modules).ok_or("a package's name is not where expected")?;
        for &module in &modules {
            let file = module["source"]["file"].as_str().unwrap_or_default();
            let refuse = |why: &str| format!("{file}: {why}");
            if let Some(why) = unsupported(module) {
                return Err(refuse(why));
            }
            let source = module["source"]["contents"].as_str().unwrap_or_default();
            let misplaced = || refuse("a statement's place in the source is not where expected");
            let named = imports::full_paths(module, source, &rules).ok_or_else(misplaced)?;
            // The guards' edits are placed by a syntax tree of the source they change.
            let mut module = module.clone();
            imports::shift(&mut module["ast"], &named);
            let source = apply(source, named).ok_or_else(misplaced)?;
            let guarded = guards(&module, &source)
                .and_then(|edits| apply(&source, edits))
                .ok_or_else(misplaced)?;
            engine
                .add_policy(file.into(), guarded)
                .map_err(|e| refuse(&e.to_string()))?;
        }
        engine
            .add_policy("<kensa.run>".into(), run.into())
            .map_err(|e| e.to_string())?;
        let first = entry_points.first().ok_or("no rule to run")?;
        let policy = engine
            .compile_with_entrypoint(&(*first).into())
            .map_err(|e| e.to_string())?;
        let program =
            Compiler::compile_from_policy(&policy, entry_points).map_err(|e| e.to_string())?;
        Ok(Vm {
            program: program.serialize_binary()?,
            data: data.to_json_str().map_err(|e| e.to_string())?,
        })
    }

    /// A machine for one worker, bounded by the pack's time limit (`Pack::limit`). Its
    /// program and data are its own, not clones of shared ones: the VM counts references
    /// to them all the time (the program at every jump, a literal at every load), and two
    /// threads counting on one counter made two workers only 1.45 times as fast as one.
    pub(crate) fn machine(&self, limit: Option<ExecutionTimerConfig>) -> Option<RegoVM> {
        let program = match Program::deserialize_binary(&self.program).ok()? {
            DeserializationResult::Complete(program) => program,
            DeserializationResult::Partial(_) => return None,
        };
        let mut vm = RegoVM::new();
        vm.load_program(Arc::new(program));
        vm.set_data(Value::from_json_str(&self.data).ok()?).ok()?;
        vm.set_max_instructions(usize::MAX);
        vm.set_execution_timer_config(limit);
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

    fn replace(start: usize, end: usize, text: String) -> Edit {
        Edit {
            start,
            end,
            order: 0,
            text,
        }
    }
}

/// Moves the expression at `range` (trimmed) out to a variable `name`: the expression's
/// place gets the name, and the returned statements (to end the body or query with) bind
/// and guard it.
fn move_out(
    source: &str,
    (start, end): (usize, usize),
    name: &str,
    edits: &mut Vec<Edit>,
) -> Option<String> {
    let text = source.get(start..end)?;
    let from = start + (text.len() - text.trim_start().len());
    let text = text.trim();
    (!text.is_empty()).then_some(())?;
    edits.push(Edit::replace(from, from + text.len(), name.into()));
    Some(format!("\n{name} := {text}\n{name} == {name}\n"))
}

/// The items of a syntax tree array (none when absent).
fn items(node: &Json) -> &[Json] {
    node.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The variable a branch's value is bound to when it is moved into the body.
const VALUE: &str = "__kensa_value";

/// The edits that make one module safe for the RVM.
fn guards(module: &Json, source: &str) -> Option<Vec<Edit>> {
    let mut edits = Vec::new();
    for rule in items(&module["ast"]["rules"]) {
        walk(rule, source, &mut edits)?;
        let spec = &rule["Spec"];
        // A `_` parameter is not checked for being defined by the VM (`f(_) := true` is true
        // for an undefined argument): it gets a name.
        for arg in items(&spec["head"]["Func"]["args"]) {
            if arg["Var"]["value"] == "_" {
                let (start, end) = span(&arg["Var"])?;
                (source.get(start..end)? == "_").then_some(())?;
                edits.push(Edit::replace(start, end, format!("__kensa_arg{start}")));
            }
        }
        let bodies = items(&spec["bodies"]);
        for (n, body) in bodies.iter().enumerate() {
            // `else := v` without a body has nothing to guard.
            let Some(first) = items(&body["query"]["stmts"]).first() else {
                continue;
            };
            let (start, end) = span(&body["query"])?;
            let (start, end) = (stmt_start(source, start), stmt_end(source, end)?);
            let braced = start < span(first)?.0 && source.get(start..)?.starts_with('{');
            let mut tail = String::new();
            // The VM keeps a rule's undefined value where the interpreter drops it: a branch
            // followed by `else` (the interpreter falls through to it) and a partial object
            // rule's member (the interpreter leaves the key out). The value is computed and
            // guarded at the end of the body, and the head names the result. (A function's
            // undefined value stays undefined in both.)
            let before_else = before_else(bodies, n);
            let head = &spec["head"]["Compr"];
            let object_member = !head["refr"]["RefBrack"].is_null();
            let moves = |a: &&Json| {
                !head.is_null() && (before_else || object_member) && !literal(&a["value"])
            };
            if let Some(assign) = branch_assign(spec, n).filter(moves) {
                let value = value_text(source, span(assign)?.0, start)?;
                tail = move_out(source, value, VALUE, &mut edits)?;
            }
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

/// The assignment (`:= v`) of a rule's `n`th branch: the head's for the first, the
/// `else`'s for the others.
fn branch_assign(spec: &Json, n: usize) -> Option<&Json> {
    match n {
        0 => ["Compr", "Func"]
            .iter()
            .map(|k| &spec["head"][k]["assign"])
            .find(|v| !v.is_null()),
        _ => items(&spec["bodies"]).get(n).map(|b| &b["assign"]),
    }
}

/// Whether the `n`th branch is followed by an `else`.
fn before_else(bodies: &[Json], n: usize) -> bool {
    bodies.get(n + 1).is_some_and(|b| b["is_else"] == true)
}

/// Where the value of `:= value if` lies, from the assignment to its body's start. (The
/// syntax tree's spans of composite values are not reliable, its assignments' starts are.)
fn value_text(source: &str, assign: usize, body: usize) -> Option<(usize, usize)> {
    let text = source.get(assign..body)?;
    let value = text.strip_prefix(":=")?.trim_end().strip_suffix("if")?;
    let value = value.strip_suffix(char::is_whitespace)?;
    Some((assign + 2, assign + 2 + value.len()))
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

/// Finds every query under `node` and guards its `:=` statements with `v == v`, and every
/// array comprehension's term: the VM keeps an undefined member where the interpreter
/// leaves it out (`[x.a | some x in xs]`).
fn walk(node: &Json, source: &str, edits: &mut Vec<Edit>) -> Option<()> {
    match node {
        Json::Object(map) => {
            for stmt in items(&node["stmts"]) {
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
            let compr = &node["ArrayCompr"];
            if !compr.is_null() && !literal(&compr["term"]) && compr["term"]["Var"].is_null() {
                let (start, end) = span(compr)?;
                let bar = span(&compr["query"])?.0;
                source.get(start..end)?.ends_with(']').then_some(())?;
                let name = format!("__kensa_term{start}");
                let tail = move_out(source, (start + 1, bar), &name, edits)?;
                edits.push(Edit::insert(end - 1, 2, tail));
            }
            // A comprehension whose query fails outside any loop hangs the VM when the body
            // around it fails later (`f(_) := 1 if { x := [1 | false]; false }`): its query
            // gets a loop of one turn.
            for kind in ["ArrayCompr", "SetCompr", "ObjectCompr"] {
                let query = &node[kind]["query"];
                let loops = items(&query["stmts"]).iter().any(|s| {
                    !s["literal"]["SomeIn"].is_null() || !s["literal"]["SomeVars"].is_null()
                });
                if !query.is_null() && !loops {
                    let bar = span(query)?.0;
                    source.get(bar..)?.starts_with('|').then_some(())?;
                    let once = format!(" some __kensa_once{bar} in [0];");
                    edits.push(Edit::insert(bar + 1, 0, once));
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
    for item in items(&lhs["Array"]["items"]) {
        bound(item, out);
    }
    for field in items(&lhs["Object"]["fields"]) {
        bound(&field[2], out);
    }
}

/// Why a module cannot run in the VM, for shapes where it departs from the interpreter and
/// no guard helps (each was found with a small policy; tests keep them):
/// - a branch followed by `else` that iterates (`some`, `x[_]`, `x[i]` with `i` not an
///   argument): when its body fails inside the loop, the VM does not fall through to the
///   `else` (`t(x) := "a" if { some v in x; v == 2 } else := "c"` is undefined for `[1]`);
/// - a rule or function whose body iterates towards a value that is not a constant: where
///   two iterations give two values, the interpreter fails the rule, the VM picks one;
/// - a default function (`default f(_) := v`): the VM ignores it;
/// - an object comprehension: the VM keeps members whose key or value is undefined.
///
/// A helper rule (a comprehension, a test) holding the loop avoids the first two.
fn unsupported(module: &Json) -> Option<&'static str> {
    if holds(&module["ast"], "ObjectCompr") {
        return Some("an object comprehension (the VM keeps undefined members)");
    }
    for rule in items(&module["ast"]["rules"]) {
        let default = &rule["Default"];
        if default["args"].as_array().is_some_and(|a| !a.is_empty()) {
            return Some("a default function, which the VM ignores");
        }
        let spec = &rule["Spec"];
        let head = &spec["head"];
        let args: Vec<&str> = items(&head["Func"]["args"])
            .iter()
            .filter_map(|a| a["Var"]["value"].as_str())
            .collect();
        let one_value = !head["Func"].is_null()
            || (!head["Compr"].is_null() && head["Compr"]["refr"]["RefBrack"].is_null());
        let bodies = items(&spec["bodies"]);
        for (n, body) in bodies.iter().enumerate() {
            let loops = iterates(&body["query"], &args);
            if loops && before_else(bodies, n) {
                return Some(
                    "a branch followed by `else` iterates (the VM would not fall through)",
                );
            }
            let value = branch_assign(spec, n).map(|a| &a["value"]);
            if loops && one_value && value.is_some_and(|v| !v.is_null() && !literal(v)) {
                return Some(
                    "a rule's body iterates towards its value (the VM would pick one of several)",
                );
            }
        }
    }
    None
}

/// Whether a syntax tree holds a node of `kind`.
fn holds(node: &Json, kind: &str) -> bool {
    match node {
        Json::Object(map) => map.iter().any(|(k, v)| k == kind || holds(v, kind)),
        Json::Array(items) => items.iter().any(|v| holds(v, kind)),
        _ => false,
    }
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
        // Overlapping edits (a guard inside a moved value) cannot both apply.
        if e.start < from || e.end < e.start {
            return None;
        }
        out.push_str(source.get(from..e.start)?);
        out.push_str(&e.text);
        from = e.end;
    }
    out.push_str(source.get(from..)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::pack::PolicyFile;

    fn pack(policy: &str) -> Pack {
        let file = PolicyFile {
            path: "t.rego".into(),
            source: policy.into(),
            package: "t".into(),
            builtin: true,
        };
        Pack::compile(vec![file], false).unwrap()
    }

    /// `query` on `input` under `policy` (package `t`): (interpreter, VM); `None` for the VM
    /// when it refuses the policy.
    fn both(policy: &str, query: &str, input: &str) -> (Value, Option<Value>) {
        // A hang fails the test instead of holding it.
        let mut pack = pack(policy);
        pack.limit(std::time::Duration::from_secs(5));
        let input = Value::from_json_str(input).unwrap();
        let mut engine = pack.engine.clone();
        engine.set_input(input.clone());
        let interpreted = engine.eval_rule(query.into()).unwrap();
        let vm = Vm::compile(&pack, "package kensa.run\n", &[query], &Value::new_object());
        let compiled = vm.ok().map(|vm| {
            let mut machine = vm.machine(pack.limit).unwrap();
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
    fn undefined_members_are_left_out() {
        let input = "{\"l\": [1, 2], \"o\": {\"a\": 3}}";
        let policy = "package t\nimport rego.v1\nm[k] := input.missing if { some k in input.l }\n";
        assert_eq!(agree(policy, "data.t.m", input), Value::new_object());
        let policy = "package t\nimport rego.v1\nn := count([y.a | some y in input.l])\n";
        assert_eq!(agree(policy, "data.t.n", input), Value::from(0));
        // A body without braces that starts with an object.
        let policy = "package t\nimport rego.v1\nr := x if {\"a\": x} := input.o\n";
        assert_eq!(agree(policy, "data.t.r", input), Value::from(3));
    }

    #[test]
    fn a_comprehension_that_fails_outside_a_loop_does_not_hang_the_vm() {
        let policy = "package t\nimport rego.v1\nf(_) := 1 if {\n\thits := [1 | false]\n\tcount(hits) > 0\n} else := 2\ng(_) := 1 if {\n\ts := {1 | input.no}\n\tfalse\n}\nr := [f(0), object.get({}, \"k\", g(0))]\n";
        assert_eq!(agree(policy, "data.t.r", "{}"), Value::Undefined);
        let policy = "package t\nimport rego.v1\nf(_) := 1 if {\n\thits := [1 | false]\n\tcount(hits) > 0\n} else := 2\nr := f(0)\n";
        assert_eq!(agree(policy, "data.t.r", "{}"), Value::from(2));
    }

    #[test]
    fn an_unnamed_parameter_still_needs_a_defined_argument() {
        let policy = "package t\nimport rego.v1\nf(_) := true\nr := f(input.missing)\n";
        assert_eq!(agree(policy, "data.t.r", "{}"), Value::Undefined);
    }

    #[test]
    fn shapes_the_vm_cannot_match_keep_the_policy_in_the_interpreter() {
        for policy in [
            // Two iterations, two values: the interpreter fails, the VM would pick one.
            "package t\nimport rego.v1\nf(x) := v if { some v in x }\nr := f(input.l)\n",
            // An object comprehension, which keeps undefined members.
            "package t\nimport rego.v1\nr := {y: lower(y) | some y in input.l}\n",
            // A default function, which the VM ignores.
            "package t\nimport rego.v1\ndefault f(_) := 0\nf(x) := 1 if x.q\nr := f(input)\n",
        ] {
            let pack = pack(policy);
            let vm = Vm::compile(
                &pack,
                "package kensa.run\n",
                &["data.t.r"],
                &Value::new_object(),
            );
            assert!(vm.is_err(), "{policy}");
        }
    }

    #[test]
    fn the_built_in_pack_compiles_for_the_vm_and_an_added_file_keeps_it_out() {
        let mut pack = Pack::load(&[], false).unwrap();
        let paths = ["data.kensa.rules.vm.trusted_launch.deny"];
        let vm = Vm::compile(&pack, "package kensa.run\n", &paths, &Value::new_object());
        assert!(vm.is_ok(), "{:?}", vm.err());
        pack.files[0].builtin = false;
        let vm = Vm::compile(&pack, "package kensa.run\n", &paths, &Value::new_object());
        assert!(vm.is_err());
    }
}
