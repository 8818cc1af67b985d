//! Mutation fuzzing of the IaC parsers: real files (fixtures and, when beside the
//! repository, ../shared/external) are mutated — bytes flipped, ranges cut or repeated,
//! syntax tokens inserted — and fed to one target: `iac` reads each mutant by `load` as a
//! scan would (every front end, end to end), `jsonc` parses JSON with comments, `expr`
//! evaluates mutated ARM expressions inside a template, `hcl` parses HCL and evaluates every
//! attribute and block. Any panic or hang fails; errors are expected (they are diagnostics).
//! `cargo test` runs a short deterministic round of each; for minutes of one target:
//! `KENSA_FUZZ_TARGET=expr KENSA_FUZZ_SECONDS=300 cargo test --release --lib fuzz -- --ignored`
//! (the seed comes from the clock and is printed; `KENSA_FUZZ_SEED` replays it). The port
//! syntax has its own target beside the policies (evaluate/fuzz_ports.rs).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{arm, hcl, jsonc, load, Selection};
use crate::sources::Estate;

/// xorshift64*: reproducible, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that steer mutants into the interesting parts of each grammar.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "'",
    "\"",
    "${",
    "%{",
    "\\",
    ",",
    ":",
    "=",
    "?",
    "..",
    "::",
    "[concat(",
    "[parameters('",
    "[copyIndex()]",
    "resourceId(",
    "for ",
    "if (",
    "module ",
    "resource ",
    "param ",
    "var ",
    "existing",
    "@secure()",
    "count",
    "for_each",
    "dynamic ",
    "\n",
    "\r\n",
    "\u{0}",
    "\u{feff}",
    "é",
    "9999999999999999999999",
    "-1",
    "null",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(2) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            1 => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + rng.below(256)).min(out.len());
                let copy = out[at..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, copy);
            }
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                out.splice(at..at, t.iter().copied());
            }
        }
    }
    out
}

/// The seed corpus: (file name, its bytes) of the files whose names end in `extensions`.
fn corpus(extensions: &[&str]) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "fixtures/iac",
        "../shared/external/bicep/quickstarts",
        "../shared/external/arm-templates",
        "../shared/external/terraform/examples",
    ] {
        collect(&root.join(dir), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().to_string();
            let keep = extensions.iter().any(|e| name.ends_with(e));
            let bytes = std::fs::read(&p).ok()?;
            (keep && bytes.len() < 64 * 1024).then_some((name, bytes))
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Reads `bytes` as the file `name` in a scan; panics propagate, errors are fine. Whether it
/// still gave resources (so the fuzzer is known to reach the evaluators, not only parsers).
fn read_one(dir: &Path, name: &str, bytes: &[u8]) -> bool {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("the temporary directory is writable");
    let selection = Selection {
        paths: vec![path.clone()],
        exclude: Vec::new(),
        parameters: None,
        no_parameter_files: true,
    };
    let mut estate = Estate::default();
    let _ = load(&selection, &mut estate);
    let _ = std::fs::remove_file(path);
    !estate.resources.is_empty()
}

/// Every ARM expression (`"[…]"`) of the JSON files: the `expr` target's seeds.
fn expressions() -> Vec<(String, Vec<u8>)> {
    fn strings(n: &jsonc::Node, out: &mut Vec<String>) {
        if let Some(s) = n.as_str().filter(|s| s.starts_with('[')) {
            out.push(s.to_string());
        }
        for c in n.items().iter().chain(n.members().iter().map(|(_, v)| v)) {
            strings(c, out);
        }
    }
    let mut out = Vec::new();
    for (_, bytes) in corpus(&[".json"]) {
        if let Ok(root) = jsonc::parse(&String::from_utf8_lossy(&bytes)) {
            strings(&root, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out.into_iter()
        .map(|e| (String::new(), e.into_bytes()))
        .collect()
}

/// Evaluates a mutated expression as a variable that names a resource and fills its
/// properties; whether it gave a resource.
fn evaluate_expression(bytes: &[u8]) -> bool {
    let expression = String::from_utf8_lossy(bytes);
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": { "name": { "type": "string", "defaultValue": "vm-01" } },
        "variables": { "v": expression },
        "resources": [{
            "type": "Microsoft.Network/networkSecurityGroups",
            "apiVersion": "2023-09-01",
            "name": "[string(variables('v'))]",
            "properties": { "value": "[variables('v')]" },
        }],
    });
    let Ok(root) = jsonc::parse(&template.to_string()) else {
        return false;
    };
    arm::evaluate(&root, &HashMap::new(), "rg", None).is_ok_and(|o| !o.resources.is_empty())
}

/// Parses mutated HCL and evaluates every attribute and block; whether it parsed.
fn evaluate_hcl(bytes: &[u8]) -> bool {
    let Ok(body) = hcl::parse(&String::from_utf8_lossy(bytes)) else {
        return false;
    };
    let none = HashMap::new();
    let scope = hcl::Scope::new(&none, &none, &|_| None);
    let value: Value = scope.body(&body, "", &mut Vec::new());
    value.is_object()
}

/// What one target feeds its mutants to.
#[derive(Clone, Copy, Debug)]
enum Target {
    Iac,
    Jsonc,
    Expr,
    Hcl,
}

impl Target {
    fn named(name: &str) -> Option<Target> {
        Some(match name {
            "iac" => Target::Iac,
            "jsonc" => Target::Jsonc,
            "expr" => Target::Expr,
            "hcl" => Target::Hcl,
            _ => return None,
        })
    }

    fn corpus(self) -> Vec<(String, Vec<u8>)> {
        match self {
            Target::Iac => corpus(&[".json", ".bicep", ".bicepparam", ".tf", ".pkr.hcl"]),
            Target::Jsonc => corpus(&[".json"]),
            Target::Expr => expressions(),
            Target::Hcl => corpus(&[".tf", ".pkr.hcl", ".tfvars"]),
        }
    }
}

/// (mutants read, of which reached evaluation)
fn run(target: Target, budget: Duration, seed: u64) -> (usize, usize) {
    let corpus = target.corpus();
    assert!(!corpus.is_empty(), "no seeds for {target:?}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let (mut n, mut evaluated) = (0, 0);
    while started.elapsed() < budget {
        let (name, bytes) = &corpus[rng.below(corpus.len())];
        let mutant = mutate(&mut rng, bytes);
        let reached = match target {
            Target::Iac => read_one(dir.path(), name, &mutant),
            Target::Jsonc => jsonc::parse(&String::from_utf8_lossy(&mutant)).is_ok(),
            Target::Expr => evaluate_expression(&mutant),
            Target::Hcl => evaluate_hcl(&mutant),
        };
        evaluated += usize::from(reached);
        n += 1;
    }
    (n, evaluated)
}

#[test]
fn mutated_iac_never_panics() {
    for (target, seconds) in [
        (Target::Iac, 2.0),
        (Target::Jsonc, 0.5),
        (Target::Expr, 0.5),
        (Target::Hcl, 0.5),
    ] {
        let (n, evaluated) = run(target, Duration::from_secs_f64(seconds), 0x006b_656e_7361);
        assert!(n > 50, "{target:?}: only {n} mutants in the budget");
        assert!(
            evaluated * 20 > n,
            "{target:?}: only {evaluated} of {n} mutants reached evaluation"
        );
    }
}

#[test]
#[ignore = "long-running: KENSA_FUZZ_TARGET=iac KENSA_FUZZ_SECONDS=300 cargo test --release --lib fuzz -- --ignored"]
fn fuzz_for_minutes() {
    let var = |k: &str| std::env::var(k).ok();
    let target = var("KENSA_FUZZ_TARGET").unwrap_or_else(|| "iac".into());
    let target = Target::named(&target).expect("KENSA_FUZZ_TARGET is iac, jsonc, expr or hcl");
    let seconds = var("KENSA_FUZZ_SECONDS")
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed = var("KENSA_FUZZ_SEED")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("fuzzing {target:?} for {seconds} s with KENSA_FUZZ_SEED={seed}");
    let (n, evaluated) = run(target, Duration::from_secs(seconds), seed);
    eprintln!("{n} mutants without a panic ({evaluated} reached evaluation)");
}
