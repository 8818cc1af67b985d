//! Fuzzing of the NSG port syntax, differentially: random port specs (`22`, `1000-2000`,
//! `*`, and what is near them) are given to the policies' `port_range` and to the syntax
//! Azure accepts, written plainly below; the two must agree on every spec. A spec the
//! policies read as a port that Azure would refuse (or the reverse) would judge a rule on a
//! port it does not open. `cargo test` runs a short round; for minutes:
//! `KENSA_FUZZ_SECONDS=300 cargo test --release --lib fuzz_ports -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use regorus::Value;

use super::Pack;

/// The ranges Azure accepts: `*`, a port, or `low-high` with low ≤ high, ports 0–65535 in
/// decimal digits (leading zeros read as an integer parser reads them).
fn reference(spec: &str) -> Option<(u32, u32)> {
    let port = |s: &str| -> Option<u32> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = s.trim_start_matches('0');
        if digits.len() > 5 {
            return None;
        }
        Some(digits.parse().unwrap_or(0)).filter(|p| *p <= 65535)
    };
    if spec == "*" {
        return Some((0, 65535));
    }
    match spec.split_once('-') {
        None => port(spec).map(|p| (p, p)),
        Some((low, high)) => {
            let (low, high) = (port(low)?, port(high)?);
            (low <= high).then_some((low, high))
        }
    }
}

const PIECES: &[&str] = &[
    "0", "1", "2", "3", "5", "9", "22", "3389", "65535", "65536", "-", "*", " ", ".", "e", "+",
    "x", "0x", "1e3", "00", "99999",
];

fn spec(rng: &mut u64) -> String {
    let mut next = || {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        *rng
    };
    let n = next() % 4 + 1;
    (0..n)
        .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
        .collect()
}

/// (specs tried, disagreements as `spec: policies → reference`)
fn run(budget: Duration, mut seed: u64) -> (usize, Vec<String>) {
    let mut engine = Pack::load(&[], false).expect("the built-in pack").engine;
    let started = Instant::now();
    let (mut n, mut wrong) = (0, Vec::new());
    while started.elapsed() < budget {
        let s = spec(&mut seed);
        let query = format!(
            "x := data.kensa.lib.nsg.port_range({})",
            serde_json::Value::String(s.clone())
        );
        let got = engine
            .eval_query(query, false)
            .map(|r| {
                r.result
                    .first()
                    .map(|r| r.bindings[&Value::from("x")].clone())
            })
            .unwrap_or_else(|e| panic!("port_range({s:?}) failed: {e}"));
        let got = got.map(|v| {
            let n = |i: usize| v[i].as_f64().map_or(u32::MAX, |f| f as u32);
            (n(0), n(1))
        });
        if got != reference(&s) {
            wrong.push(format!(
                "{s:?}: policies {got:?}, Azure {:?}",
                reference(&s)
            ));
        }
        n += 1;
    }
    (n, wrong)
}

#[test]
fn the_policies_read_ports_as_azure_does() {
    let (n, wrong) = run(Duration::from_secs(1), 0x7075_6f72_7473);
    assert!(n > 100, "only {n} specs in the budget");
    assert!(
        wrong.is_empty(),
        "{} of {n}: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
}

#[test]
#[ignore = "long-running: KENSA_FUZZ_SECONDS=300 cargo test --release --lib fuzz_ports -- --ignored"]
fn fuzz_ports_for_minutes() {
    let seconds = std::env::var("KENSA_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let (n, wrong) = run(Duration::from_secs(seconds), 0x7075_6f72_7473 ^ seconds);
    eprintln!("{n} port specs, {} disagreements", wrong.len());
    assert!(wrong.is_empty(), "{wrong:#?}");
}
