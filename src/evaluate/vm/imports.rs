//! Imported packages named by their full path in the source the VM compiles from. regorus
//! 0.14.1's compiler reads `doors.targets` (after `import data.kensa.lib.doors`) by building
//! the whole package `data.kensa.lib.doors` — every rule of it evaluated, then all of them
//! copied into one object — at each read, and then taking `targets`; written
//! `data.kensa.lib.doors.targets`, the rule is called alone. Every use of an import's name
//! becomes the import's path (calls too: `data.kensa.lib.util.is_type(…)` is the same call).
//! On the 2k benchmark estate this was 11% of the scan's instructions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::{bound, items, span, Edit};

/// The edits that name `module`'s imported packages by their path: none when it imports
/// none from `data`. An import is left alone when its name is also bound in the module (an
/// argument, a variable), names a rule of the pack (`rules`: a package may span files, and
/// its rule outranks the import), is `input` or `data` (which always mean the roots), or is
/// given twice (regorus keeps the last). `None` when a name is not where the syntax tree
/// says.
pub(super) fn full_paths(module: &Json, source: &str, rules: &Rules) -> Option<Vec<Edit>> {
    let taken = bound_names(module, source)?;
    let rules = rules.get(package(module)?)?;
    let mut imports = Vec::new();
    for import in items(&module["ast"]["imports"]) {
        let path = ref_text(&import["refr"], source)?;
        let alias = match &import["as"] {
            Json::Null => path.rsplit('.').next()?,
            name => text_at(name, source)?,
        };
        imports.push((alias, path));
    }
    let paths: Vec<(&str, &str)> = imports
        .iter()
        .filter(|(alias, path)| {
            path.starts_with("data.")
                && !["input", "data"].contains(alias)
                && !taken.contains(*alias)
                && !rules.contains(*alias)
                && imports.iter().filter(|(a, _)| a == alias).count() == 1
        })
        .copied()
        .collect();
    let mut edits = Vec::new();
    if !paths.is_empty() {
        for rule in items(&module["ast"]["rules"]) {
            rename(rule, source, &paths, &mut edits)?;
        }
    }
    edits.sort_by_key(|e| e.start);
    Some(edits)
}

/// Moves the spans of a syntax tree to the source `edits` (sorted, none empty) make of its
/// own: each start and end by what the edits before it add. (Lines and columns are left:
/// the guards place their edits by offset.)
pub(super) fn shift(ast: &mut Json, edits: &[Edit]) {
    let mut added = vec![0i64];
    for e in edits {
        let change = e.text.len() as i64 - (e.end - e.start) as i64;
        added.push(added[added.len() - 1] + change);
    }
    let moved = |at: &Json| -> Option<Json> {
        let at = at.as_u64()?;
        let before = edits.partition_point(|e| e.end as u64 <= at);
        Some(Json::from(at.checked_add_signed(added[before])?))
    };
    match ast {
        Json::Object(map) => {
            for key in ["start", "end"] {
                if let Some(at) = map.get(key).and_then(moved) {
                    map.insert(key.into(), at);
                }
            }
            map.values_mut().for_each(|v| shift(v, edits));
        }
        Json::Array(items) => items.iter_mut().for_each(|v| shift(v, edits)),
        _ => {}
    }
}

/// Replaces every variable named like an import under `node` by the import's path.
fn rename(node: &Json, source: &str, paths: &[(&str, &str)], edits: &mut Vec<Edit>) -> Option<()> {
    match node {
        Json::Object(map) => {
            let var = &node["Var"];
            if let Some(name) = var["value"].as_str() {
                if let Some((alias, path)) = paths.iter().find(|(alias, _)| *alias == name) {
                    let (start, end) = span(var)?;
                    (source.get(start..end)? == *alias).then_some(())?;
                    edits.push(Edit::replace(start, end, (*path).to_string()));
                }
            }
            map.values()
                .try_for_each(|v| rename(v, source, paths, edits))
        }
        Json::Array(items) => items
            .iter()
            .try_for_each(|v| rename(v, source, paths, edits)),
        _ => Some(()),
    }
}

/// Every name `module` binds in its rules: arguments, variables of `:=`, `=`, `some` and
/// `every`.
fn bound_names(module: &Json, source: &str) -> Option<BTreeSet<String>> {
    let mut names = Vec::new();
    for rule in items(&module["ast"]["rules"]) {
        for arg in items(&rule["Spec"]["head"]["Func"]["args"]) {
            vars_in(arg, &mut names);
        }
        binders(rule, source, &mut names)?;
    }
    Some(names.into_iter().collect())
}

/// The names of the rules and functions of each package (a package may span files).
pub(super) type Rules = BTreeMap<String, BTreeSet<String>>;

/// The name of every rule and function of `modules` (the first part of a head: `r`,
/// `m[k]`, `a.b`), by package. `None` when a package's name is not where the syntax tree
/// says.
pub(super) fn rule_names(modules: &[&Json]) -> Option<Rules> {
    let mut out = Rules::new();
    for module in modules {
        let mut names = Vec::new();
        for rule in items(&module["ast"]["rules"]) {
            for kind in ["Compr", "Func", "Set"] {
                root_var(&rule["Spec"]["head"][kind]["refr"], &mut names);
            }
            root_var(&rule["Default"]["refr"], &mut names);
        }
        out.entry(package(module)?.to_string())
            .or_default()
            .extend(names);
    }
    Some(out)
}

/// A module's package (`kensa.lib.doors`).
fn package(module: &Json) -> Option<&str> {
    ref_text(
        &module["ast"]["package"]["refr"],
        module["source"]["contents"].as_str()?,
    )
}

/// The text of a reference (`data.kensa.lib.doors`): its span is its variant's
/// (`{"RefDot": {"span": …}}`).
fn ref_text<'s>(refr: &Json, source: &'s str) -> Option<&'s str> {
    let (start, end) = span(refr.as_object()?.values().next()?)?;
    source.get(start..end)
}

/// The variable a rule head's reference starts with (`r`, `m[k]`, `a.b`).
fn root_var(refr: &Json, out: &mut Vec<String>) {
    match refr["Var"]["value"].as_str() {
        Some(name) => out.push(name.to_string()),
        None => {
            for kind in ["RefDot", "RefBrack"] {
                if !refr[kind].is_null() {
                    root_var(&refr[kind]["refr"], out);
                }
            }
        }
    }
}

/// Every variable in an expression.
fn vars_in(node: &Json, out: &mut Vec<String>) {
    match node {
        Json::Object(map) => {
            if let Some(name) = node["Var"]["value"].as_str() {
                out.push(name.to_string());
            }
            map.values().for_each(|v| vars_in(v, out));
        }
        Json::Array(items) => items.iter().for_each(|v| vars_in(v, out)),
        _ => {}
    }
}

/// The variables statements under `node` bind.
fn binders(node: &Json, source: &str, out: &mut Vec<String>) -> Option<()> {
    match node {
        Json::Object(map) => {
            let assign = &node["AssignExpr"];
            match assign["op"].as_str() {
                Some("ColEq") => bound(&assign["lhs"], out),
                Some("Eq") => {
                    vars_in(&assign["lhs"], out);
                    vars_in(&assign["rhs"], out);
                }
                _ => {}
            }
            let some_in = &node["SomeIn"];
            vars_in(&some_in["key"], out);
            vars_in(&some_in["value"], out);
            let spans = items(&node["SomeVars"]["vars"])
                .iter()
                .chain([&node["Every"]["key"], &node["Every"]["value"]]);
            for s in spans.filter(|s| !s.is_null()) {
                out.push(text_at(s, source)?.to_string());
            }
            map.values().try_for_each(|v| binders(v, source, out))
        }
        Json::Array(items) => items.iter().try_for_each(|v| binders(v, source, out)),
        _ => Some(()),
    }
}

/// The text a bare span (`{"start": …, "end": …}`, as names have) covers.
fn text_at<'s>(at: &Json, source: &'s str) -> Option<&'s str> {
    let (start, end) = (at["start"].as_u64()?, at["end"].as_u64()?);
    source.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
}

#[cfg(test)]
mod tests {
    use super::super::apply;
    use super::*;

    /// `policy` (with `others` in the pack) with its imports written out, as the VM
    /// compiles it.
    fn rewritten_among(policy: &str, others: &[&str]) -> String {
        let mut engine = regorus::Engine::new();
        engine.add_policy("t.rego".into(), policy.into()).unwrap();
        for (n, other) in others.iter().enumerate() {
            engine
                .add_policy(format!("o{n}.rego"), other.to_string())
                .unwrap();
        }
        let ast: Json = serde_json::from_str(&engine.get_ast_as_json().unwrap()).unwrap();
        let modules: Vec<&Json> = ast.as_array().unwrap().iter().collect();
        let module = modules
            .iter()
            .find(|m| m["source"]["file"] == "t.rego")
            .unwrap();
        let edits = full_paths(module, policy, &rule_names(&modules).unwrap()).unwrap();
        apply(policy, edits).unwrap()
    }

    fn rewritten(policy: &str) -> String {
        rewritten_among(policy, &[])
    }

    #[test]
    fn an_imported_package_is_named_by_its_path() {
        let policy = "package t\nimport rego.v1\nimport data.lib.doors\nimport data.lib.util as u\nimport input.resource\n\nr if {\n\tdoors.targets[0]\n\tu.is_type(resource, \"vm\")\n\tx := [doors | true]\n}\n";
        assert_eq!(
            rewritten(policy),
            policy
                .replace("\tdoors.", "\tdata.lib.doors.")
                .replace("[doors |", "[data.lib.doors |")
                .replace("\tu.", "\tdata.lib.util.")
        );
    }

    #[test]
    fn the_syntax_tree_follows_the_renamed_source() {
        let policy = "package t\nimport rego.v1\nimport data.lib.doors\n\nr := doors.a if {\n\tx := doors.b\n\ty := [doors.c, \"doors\", x]\n}\n";
        let mut engine = regorus::Engine::new();
        engine.add_policy("t.rego".into(), policy.into()).unwrap();
        let mut ast: Json = serde_json::from_str(&engine.get_ast_as_json().unwrap()).unwrap();
        let edits = full_paths(&ast[0], policy, &rule_names(&[&ast[0]]).unwrap()).unwrap();
        shift(&mut ast[0]["ast"], &edits);
        let renamed = apply(policy, edits).unwrap();
        let mut vars = Vec::new();
        all_vars(&ast[0]["ast"]["rules"], &renamed, &mut vars);
        let expected = [
            "r",
            "data.lib.doors",
            "x",
            "data.lib.doors",
            "y",
            "data.lib.doors",
            "x",
        ];
        assert_eq!(vars, expected);
    }

    /// The text at each variable's span, in source order.
    fn all_vars(node: &Json, source: &str, out: &mut Vec<String>) {
        let mut spans = Vec::new();
        var_spans(node, &mut spans);
        spans.sort();
        out.extend(
            spans
                .into_iter()
                .map(|(start, end)| source[start..end].to_string()),
        );
    }

    fn var_spans(node: &Json, out: &mut Vec<(usize, usize)>) {
        if let Some(at) = span(&node["Var"]) {
            out.push(at);
        }
        match node {
            Json::Object(map) => map.values().for_each(|v| var_spans(v, out)),
            Json::Array(items) => items.iter().for_each(|v| var_spans(v, out)),
            _ => {}
        }
    }

    #[test]
    fn a_name_the_module_binds_is_left_alone() {
        for binding in [
            "f(doors) := doors.a",
            "r if { doors := input.a; doors.b }",
            "r if { some doors in input.l; doors.b }",
            "r if { some i, doors in input.l; doors.b }",
            "r if { some doors; input.l[doors] }",
            "r if { every doors in input.l { doors.b } }",
            "r if { doors = input.a; doors.b }",
            "doors := 1",
        ] {
            let policy = format!("package t\nimport rego.v1\nimport data.lib.doors\n\n{binding}\n");
            assert_eq!(rewritten(&policy), policy, "{binding}");
        }
        // A rule of the same package in another file outranks the import.
        let policy = "package t\nimport rego.v1\nimport data.lib.doors\n\nr := doors.a\n";
        let other = "package t\nimport rego.v1\n\ndoors := {\"a\": 1}\n";
        assert_eq!(rewritten_among(policy, &[other]), policy);
    }

    #[test]
    fn a_rule_of_another_package_does_not_keep_an_import() {
        let policy = "package t\nimport rego.v1\nimport data.lib.doors\n\nr := doors.a\n";
        let other = "package lib.doors\nimport rego.v1\n\ndoors(t) := t\na := 1\n";
        let expected = policy.replace(":= doors.", ":= data.lib.doors.");
        assert_eq!(rewritten_among(policy, &[other]), expected);
    }

    #[test]
    fn every_import_of_the_built_in_pack_is_named_by_its_path() {
        let pack = crate::evaluate::pack::Pack::load(&[], false).unwrap();
        let ast: Json = serde_json::from_str(&pack.engine.get_ast_as_json().unwrap()).unwrap();
        let modules: Vec<&Json> = ast.as_array().unwrap().iter().collect();
        let rules = rule_names(&modules).unwrap();
        for module in modules {
            let source = module["source"]["contents"].as_str().unwrap();
            let edits = full_paths(module, source, &rules).unwrap();
            // Every use of an import's name is one variable in the syntax tree.
            let mut uses = Vec::new();
            var_spans(&module["ast"]["rules"], &mut uses);
            let aliases: Vec<&str> = items(&module["ast"]["imports"])
                .iter()
                .filter_map(|i| ref_text(&i["refr"], source))
                .filter(|path| path.starts_with("data."))
                .filter_map(|path| path.rsplit('.').next())
                .collect();
            uses.retain(|&(start, end)| aliases.contains(&&source[start..end]));
            let renamed: Vec<(usize, usize)> = edits.iter().map(|e| (e.start, e.end)).collect();
            uses.sort();
            assert_eq!(uses, renamed, "{}", module["source"]["file"]);
        }
    }

    #[test]
    fn roots_and_names_given_twice_are_left_alone() {
        for imports in [
            "import data.lib.input",
            "import data.lib.x as data",
            "import data.a.x\nimport data.b.x",
            "import data.a.x\nimport data.b.y as x",
        ] {
            let policy =
                format!("package t\nimport rego.v1\n{imports}\n\nr := [input.a, x.v, data.c]\n");
            assert_eq!(rewritten(&policy), policy, "{imports}");
        }
    }
}
