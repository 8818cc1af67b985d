//! The stage boundaries of docs/architecture.md, enforced: every `use crate::…` (and
//! `crate::…` path) in src/ names a module at the same level or below the importing one,
//! and no two files import each other, directly or in a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom up; a module may import only its own rank or lower.
const ORDER: &[&[&str]] = &[
    &["text"],
    &["error"],
    &["sources"],
    &["inventory"],
    &["evaluate"],
    &["findings"],
    &["render"],
    &["settings", "pipeline"],
    &["cli"],
];

fn rank(module: &str) -> Option<usize> {
    ORDER.iter().position(|level| level.contains(&module))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a source file: src/sources/iac/arm/mod.rs → ["sources","iac","arm"].
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts
        .last()
        .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
    {
        parts.pop();
    }
    parts
}

/// Every `crate::a::b…` path in the code (comments dropped), and `super::…` resolved.
fn imports(text: &str, me: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (at, _) in code.match_indices("crate::") {
            if code[..at].ends_with('$') {
                continue;
            }
            out.push(path_at(&code[at + "crate::".len()..]));
        }
        let mut rest = code;
        while let Some(at) = rest.find("super::") {
            // Count the chain of `super::`.
            let mut up = 0;
            let mut tail = &rest[at..];
            while let Some(t) = tail.strip_prefix("super::") {
                up += 1;
                tail = t;
            }
            if up <= me.len() {
                let mut p: Vec<String> = me[..me.len() - up].to_vec();
                p.extend(path_at(tail));
                out.push(p);
            }
            rest = &rest[at + "super::".len() * up..];
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

fn path_at(s: &str) -> Vec<String> {
    s.split("::")
        .map(|seg| {
            seg.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .take_while(|seg| !seg.is_empty() && seg.chars().next().is_some_and(|c| c.is_lowercase()))
        .collect()
}

#[test]
fn no_module_imports_upward_and_no_file_cycles() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let modules: BTreeSet<Vec<String>> = all.iter().map(|f| module_of(&src, f)).collect();
    let mut violations = Vec::new();
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &all {
        let me = module_of(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        for target in imports(code, &me) {
            let (Some(top_me), Some(top_target)) = (me.first(), target.first()) else {
                continue;
            };
            if let (Some(a), Some(b)) = (rank(top_me), rank(top_target)) {
                if b > a {
                    violations.push(format!(
                        "{} imports {} (upward: {top_me} → {top_target})",
                        file.strip_prefix(&src).unwrap().display(),
                        target.join("::")
                    ));
                }
            }
            // The longest module prefix of the path is the file depended on.
            let dep = (1..=target.len())
                .rev()
                .map(|n| target[..n].to_vec())
                .find(|p| modules.contains(p));
            if let Some(dep) = dep.filter(|d| *d != me && !me.starts_with(d)) {
                graph.entry(me.clone()).or_default().insert(dep);
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
    // Cycles between files (a parent module's `mod` declarations are not imports).
    fn visit(
        n: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = stack.iter().position(|s| s == n) {
            let cycle: Vec<String> = stack[at..]
                .iter()
                .chain([n])
                .map(|m| m.join("::"))
                .collect();
            cycles.push(cycle.join(" → "));
            return;
        }
        if !done.insert(n.clone()) {
            return;
        }
        stack.push(n.clone());
        for d in graph.get(n).into_iter().flatten() {
            visit(d, graph, stack, done, cycles);
        }
        stack.pop();
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        visit(n, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_an_upward_import() {
    let me = vec!["sources".to_string(), "snapshot".to_string()];
    let found = imports(
        "use crate::findings::Finding;\nuse super::{Estate, iac::unknown};\n// crate::render in a comment",
        &me,
    );
    assert_eq!(
        found,
        vec![vec!["findings".to_string()], vec!["sources".to_string()]]
    );
    assert!(
        rank("findings") > rank("sources"),
        "findings sits above sources"
    );
}
