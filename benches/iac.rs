//! `cargo bench --bench iac`: `kensa iac` on the real ARM templates, the Bicep (quickstarts,
//! compiler baselines, Verified Modules) and the Terraform (examples and module repositories)
//! in ../shared/external, against Checkov on the same directories, in one run.
//! Target (issues #4, #11): kensa under 1% of Checkov's time.
//!
//! Checkov comes from `$CHECKOV`, else `checkov` on PATH, else a virtualenv under
//! target/bench that this benchmark creates with `pip install checkov` (PyPI).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn time(mut cmd: Command) -> (Duration, bool) {
    let start = Instant::now();
    let ok = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success() || matches!(s.code(), Some(1 | 3)))
        .unwrap_or(false);
    (start.elapsed(), ok)
}

fn checkov(bench_dir: &Path) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHECKOV") {
        return Some(PathBuf::from(p));
    }
    if Command::new("checkov")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        return Some(PathBuf::from("checkov"));
    }
    let venv = bench_dir.join("checkov-venv");
    let bin = venv.join("bin/checkov");
    if !bin.exists() {
        eprintln!("installing checkov into {} (pip, PyPI)…", venv.display());
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        let installed = made
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "checkov"])
                .status()
                .is_ok_and(|s| s.success());
        if !installed {
            return None;
        }
    }
    Some(bin)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/external");
    let arm = shared.join("arm-templates");
    let tf = shared.join("terraform");
    let bicep = shared.join("bicep");
    if !arm.exists() || !tf.exists() || !bicep.exists() {
        eprintln!("SKIPPED: ../shared/external is not beside the repository");
        return;
    }
    let bench_dir = root.join("target/bench");
    std::fs::create_dir_all(&bench_dir).expect("target/bench is writable");

    let kensa = |runs: usize| -> Vec<Duration> {
        (0..runs)
            .map(|_| {
                let mut c = Command::new(env!("CARGO_BIN_EXE_kensa"));
                c.arg("iac").arg(&arm).arg(&tf).arg(&bicep).args([
                    "--format",
                    "json",
                    "--fail-on",
                    "none",
                ]);
                let (d, ok) = time(c);
                assert!(ok, "kensa iac failed");
                d
            })
            .collect()
    };
    let _ = kensa(2); // warm the page cache
    let runs = kensa(15);
    let k_med = median(runs.clone());
    let k_best = runs.iter().min().copied().unwrap_or_default();
    println!(
        "kensa iac (ARM templates, Bicep, Terraform examples and modules): median {:.1} ms, best {:.1} ms over {} runs",
        k_med.as_secs_f64() * 1e3,
        k_best.as_secs_f64() * 1e3,
        runs.len()
    );
    let Some(ck) = checkov(&bench_dir) else {
        println!("checkov: not available (pip install checkov, or set CHECKOV); no ratio");
        return;
    };
    // As a user runs it on the same directories (every framework), and restricted to the
    // three frameworks kensa reads, for a fair lower bound.
    for (label, frameworks) in [
        ("checkov (default frameworks)", None),
        (
            "checkov --framework arm bicep terraform",
            Some(["arm", "bicep", "terraform"]),
        ),
    ] {
        let mut c = Command::new(&ck);
        c.arg("-d")
            .arg(&arm)
            .arg("-d")
            .arg(&tf)
            .arg("-d")
            .arg(&bicep)
            .args(["--quiet", "-o", "json"]);
        if let Some(f) = frameworks {
            c.arg("--framework").args(f);
        }
        let (d, ok) = time(c);
        if !ok {
            println!("{label}: failed to run");
            continue;
        }
        let ratio = k_med.as_secs_f64() / d.as_secs_f64();
        println!(
            "{label}: {:.1} s; kensa/checkov = {:.2}% ({})",
            d.as_secs_f64(),
            ratio * 100.0,
            if ratio < 0.01 {
                "target < 1% met"
            } else {
                "target < 1% NOT met"
            }
        );
    }
}
