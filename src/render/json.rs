use rayon::prelude::*;

use crate::findings::report::Report;
use crate::findings::Finding;

/// Findings written at once on every worker and then appended: the text of one wave is all
/// that is held twice (a 20k-VM report holds 88 MB of findings).
const WAVE: usize = 4096;

/// Findings one task writes.
const TASK: usize = 64;

/// Where the findings go in the report written without them: a key of the top-level
/// object, the only place two spaces of indentation follow a line feed (a string writes its
/// line feeds as `\n`).
const FINDINGS: &str = "\n  \"findings\": []";

/// The report as `serde_json::to_string_pretty` writes it, byte for byte, with the
/// findings written on every worker (on one thread, 0.3 s of a 20k-VM scan's 12 s).
pub(crate) fn render(report: &Report) -> String {
    let shell = match serde_json::to_string_pretty(&report.without_findings()) {
        Ok(s) => s,
        Err(e) => return unserialisable(&e),
    };
    let at = match shell.find(FINDINGS) {
        Some(at) if !report.findings.is_empty() => at + FINDINGS.len() - 1,
        _ => return format!("{shell}\n"),
    };
    let mut out = String::with_capacity(shell.len() + report.findings.len() * 1536);
    out.push_str(&shell[..at]);
    for wave in report.findings.chunks(WAVE) {
        let texts: Vec<serde_json::Result<String>> = wave.par_chunks(TASK).map(items).collect();
        for text in texts {
            match text {
                // The array's first member, right after `[`, takes no comma.
                Ok(t) if out.len() == at => out.push_str(&t[1..]),
                Ok(t) => out.push_str(&t),
                Err(e) => return unserialisable(&e),
            }
        }
    }
    out.push_str("\n  ");
    out.push_str(&shell[at..]);
    out.push('\n');
    out
}

/// Members of the findings array as the pretty writer puts them: each after a comma and a
/// line feed (the array's first takes no comma), indented by two levels.
fn items(findings: &[Finding]) -> serde_json::Result<String> {
    let mut out = String::with_capacity(findings.len() * 1536);
    for f in findings {
        let text = serde_json::to_string_pretty(f)?;
        for (n, line) in text.split('\n').enumerate() {
            out.push_str(if n == 0 { ",\n    " } else { "\n    " });
            out.push_str(line);
        }
    }
    Ok(out)
}

fn unserialisable(e: &serde_json::Error) -> String {
    format!("{{\"error\": \"cannot serialise the report: {e}\"}}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::report::Gate;
    use crate::pipeline::{self, ScanRequest};
    use crate::sources::Sources;

    #[test]
    fn the_report_is_what_the_pretty_writer_writes_whatever_the_number_of_findings() {
        let request = ScanRequest {
            sources: Sources {
                snapshots: Vec::new(),
                iac: None,
                demo: true,
                live: None,
                quiet: true,
            },
            config: None,
            policy_dirs: Vec::new(),
            runner: crate::evaluate::Runner::Auto,
            policy_timeout: std::time::Duration::from_secs(10),
            now: None,
            gate: Gate {
                fail_on: None,
                only_new: false,
            },
            waivers: None,
            allow_permanent_waivers: false,
            warn_expiring_days: 14,
            baseline: None,
        };
        let mut report = pipeline::run(&request).unwrap().report;
        let demo = std::mem::take(&mut report.findings);
        assert!(!demo.is_empty());
        // None, one, one task's worth and one more, two waves and then some.
        for n in [0, 1, TASK, TASK + 1, 2 * WAVE + TASK + 3] {
            report.findings = demo.iter().cycle().take(n).cloned().collect();
            let expected = format!("{}\n", serde_json::to_string_pretty(&report).unwrap());
            assert!(render(&report) == expected, "{n} findings");
        }
    }
}
