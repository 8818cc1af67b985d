//! Mutation fuzzing of every IaC front end, end to end: real files (fixtures and, when beside
//! the repository, ../shared/external) are mutated — bytes flipped, ranges cut or repeated,
//! syntax tokens inserted — and each mutant is read by `load` as a scan would. Any panic or
//! hang fails the test; errors are expected (they are diagnostics). `cargo test` runs a
//! short, deterministic round; `KENSA_FUZZ_SECONDS=300 cargo test --release fuzz -- --ignored`
//! runs for minutes with a seed from the clock (printed, so a crash can be replayed with
//! `KENSA_FUZZ_SEED`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{load, Selection};
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

/// The seed corpus: (file name to write the mutant as, its bytes).
fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "fixtures/iac",
        "../shared/external/bicep/quickstarts",
        "../shared/external/arm-templates",
    ] {
        collect(&root.join(dir), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().to_string();
            let keep = [".json", ".bicep", ".bicepparam", ".tf", ".pkr.hcl"]
                .iter()
                .any(|e| name.ends_with(e));
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

/// (mutants read, of which gave resources)
fn run(budget: Duration, seed: u64) -> (usize, usize) {
    let corpus = corpus();
    assert!(!corpus.is_empty(), "no seed files");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let (mut n, mut evaluated) = (0, 0);
    while started.elapsed() < budget {
        let (name, bytes) = &corpus[rng.below(corpus.len())];
        let mutant = mutate(&mut rng, bytes);
        evaluated += usize::from(read_one(dir.path(), name, &mutant));
        n += 1;
    }
    (n, evaluated)
}

#[test]
fn mutated_iac_never_panics() {
    let (n, evaluated) = run(Duration::from_secs(3), 0x006b_656e_7361);
    assert!(n > 50, "only {n} mutants in the budget");
    assert!(
        evaluated * 20 > n,
        "only {evaluated} of {n} mutants reached evaluation"
    );
}

#[test]
#[ignore = "long-running: KENSA_FUZZ_SECONDS=300 cargo test --release fuzz -- --ignored"]
fn fuzz_for_minutes() {
    let seconds = std::env::var("KENSA_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed = std::env::var("KENSA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("fuzzing for {seconds} s with KENSA_FUZZ_SEED={seed}");
    let (n, evaluated) = run(Duration::from_secs(seconds), seed);
    eprintln!("{n} mutants read without a panic ({evaluated} gave resources)");
}
