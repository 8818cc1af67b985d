//! `cargo bench --bench scan [-- VMS]`: end-to-end speed and memory of `kensa scan` on a
//! synthetic estate of VMS virtual machines (default 20,000, ≈130k resources; per 250 VMs a
//! public load balancer with NAT rules, NAT pools and four scale sets), compared with
//! the time `python3 -c 'import json; json.load(…)'` needs merely to parse the same file.
//! Targets (issue #15): kensa no slower than that parse (ratio ≤ 1.0) and a peak RSS at
//! most 1.5× the file size. `-- VMS RUNS` sets the size and the runs of each (default 3);
//! the first line of `docs/performance.md`'s scaling table comes from `-- 2000`, `-- 20000`
//! and `-- 200000 1`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

#[path = "support/estate.rs"]
mod estate;

/// Wall time and peak RSS (KiB) of one child process (wait4: its own usage, not the
/// maximum over every child this process ever had).
#[allow(clippy::zombie_processes)] // wait4 below reaps the child
fn measure(cmd: &mut Command) -> (f64, i64, bool) {
    let start = Instant::now();
    let child = cmd.spawn().expect("command runs");
    let mut status = 0;
    // SAFETY: wait4 writes only into the two out-parameters we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    let ok = pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (secs, usage.ru_maxrss, ok)
}

fn main() {
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let vms = numbers.first().copied().unwrap_or(20_000);
    let runs = numbers.get(1).copied().unwrap_or(3).max(1);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench is writable");
    let estate = dir.join(format!("estate-{vms}.json"));
    let t = Instant::now();
    let rows = estate::generate(vms, &estate).expect("the estate is written");
    let size = std::fs::metadata(&estate).map(|m| m.len()).unwrap_or(0);
    println!(
        "estate: {vms} VMs, {rows} resources, {:.1} MB (generated in {:.1}s)",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let config = dir.join("kensa.toml");
    std::fs::write(&config, "[image]\napproved_galleries = [\"/subscriptions/*/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden\"]\n")
        .expect("target/bench is writable");
    let out = dir.join("report.json");
    // Python and kensa take turns: on a shared machine the speed drifts by more than 10%
    // within a minute, and runs side by side see the same drift.
    let mut python = Vec::new();
    let mut kensa = Vec::new();
    let mut peak = 0;
    for _ in 0..runs {
        let (s, _, ok) = measure(
            Command::new("python3")
                .args(["-c", "import json,sys; json.load(open(sys.argv[1]))"])
                .arg(&estate),
        );
        if ok {
            python.push(s);
        }
        let (s, rss, ok) = measure(
            Command::new(env!("CARGO_BIN_EXE_kensa"))
                .args([
                    "scan",
                    "--format",
                    "json",
                    "--fail-on",
                    "none",
                    "--now",
                    "2026-11-20T06:00:00Z",
                    "--snapshot",
                ])
                .arg(&estate)
                .arg("--config")
                .arg(&config)
                .arg("--output")
                .arg(&out),
        );
        assert!(ok, "kensa scan failed");
        kensa.push(s);
        peak = peak.max(rss);
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap_or_default())
        .unwrap_or_default();
    let best = |v: &[f64]| v.iter().cloned().fold(f64::INFINITY, f64::min);
    let k = best(&kensa);
    println!(
        "kensa scan (parse, index, evaluate, write JSON): best {k:.2}s of {:?}",
        kensa.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>()
    );
    println!(
        "  findings: {}, evaluations: {}",
        report["summary"]["total"], report["coverage"]["evaluations"]
    );
    println!(
        "  peak RSS: {:.0} MB = {:.2}x the file size (target <= 1.5x)",
        peak as f64 / 1024.0,
        peak as f64 * 1024.0 / size as f64
    );
    if python.is_empty() {
        println!("python3 json.load: not available");
    } else {
        let p = best(&python);
        println!(
            "python3 json.load alone: best {p:.2}s of {:?} -> kensa/python = {:.2} (target <= 1.0)",
            python.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>(),
            k / p
        );
    }
}
