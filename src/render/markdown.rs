//! A report for a pull-request comment or `$GITHUB_STEP_SUMMARY`: summary tables first,
//! then findings per rule with their fix commands.

use std::fmt::Write;

use super::resource_group;
use crate::findings::report::Report;
use crate::findings::Severity;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let s = &report.summary;
    let verdict = if s.failed {
        "❌ **failed**"
    } else if !report.coverage.complete {
        "⚠️ **incomplete**"
    } else {
        "✅ **passed**"
    };
    let _ = writeln!(md, "## kensa compliance report\n");
    let _ = writeln!(
        md,
        "{verdict} · {} open finding(s) in {} resources · {} rules · evaluated at `{}`\n",
        s.open,
        report.coverage.resources,
        report.coverage.rules.len(),
        report.now
    );
    let _ = writeln!(md, "| Severity | Open |\n|---|---:|");
    for sev in Severity::ALL {
        let _ = writeln!(
            md,
            "| {} | {} |",
            sev.as_str(),
            s.by_severity.get(&sev).copied().unwrap_or(0)
        );
    }
    let _ = writeln!(md, "\n| Rule | Findings |\n|---|---:|");
    for (rule, n) in &s.by_rule {
        let _ = writeln!(md, "| `{rule}` | {n} |");
    }
    coverage(&mut md, report);
    if report.findings.is_empty() {
        let _ = writeln!(md, "\nNo findings.");
        return md;
    }
    let _ = writeln!(md, "\n### Findings");
    for group in report.findings.chunk_by(|a, b| a.rule_id == b.rule_id) {
        let first = &group[0];
        let _ = writeln!(
            md,
            "\n#### `{}` ({})\n\n{}\n",
            first.rule_id,
            first.severity.as_str(),
            first.remediation.text
        );
        let _ = writeln!(md, "| Resource | Resource group | Finding |\n|---|---|---|");
        for f in group {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} |",
                cell(&f.resource_name),
                cell(resource_group(&f.resource_id).unwrap_or("")),
                cell(&f.message)
            );
        }
        let cmds: Vec<&str> = group
            .iter()
            .filter_map(|f| f.remediation.command.as_deref())
            .collect();
        if !cmds.is_empty() {
            let _ = writeln!(
                md,
                "\n<details><summary>Fix commands ({})</summary>\n\n```sh",
                cmds.len()
            );
            for c in cmds {
                let _ = writeln!(md, "{c}");
            }
            let _ = writeln!(md, "```\n\n</details>");
        }
    }
    md
}

fn coverage(md: &mut String, report: &Report) {
    let c = &report.coverage;
    if c.source_gaps.is_empty() && c.undecided.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n### Coverage\n");
    for g in &c.source_gaps {
        let _ = writeln!(md, "- ⚠️ `{}`: {}", g.source, g.reason);
    }
    if !c.undecided.is_empty() {
        let _ = writeln!(
            md,
            "\n<details><summary>{} check(s) could not be decided</summary>\n",
            c.undecided.len()
        );
        for u in &c.undecided {
            let _ = writeln!(md, "- `{}` on `{}`: {}", u.rule_id, u.resource_id, u.reason);
        }
        let _ = writeln!(md, "\n</details>");
    }
}
