//! A report for a pull-request comment or `$GITHUB_STEP_SUMMARY`: summary tables first,
//! then findings per rule with their fix commands.

use std::fmt::Write;

use super::resource_group;
use crate::evaluate::Severity;
use crate::findings::report::{Report, Verdict};
use crate::findings::{Change, Finding, Status};

/// Text from the estate in a table cell or a list item: pipes, newlines and HTML are
/// neutralised (a resource name must not inject markup into a PR comment).
fn cell(text: &str) -> String {
    super::plain(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', " ")
}

pub(crate) fn render(report: &Report) -> String {
    let mut md = String::new();
    let s = &report.summary;
    let verdict = match report.verdict {
        Verdict::Failed => "❌ **failed**",
        Verdict::Incomplete => "⚠️ **incomplete**",
        Verdict::Passed => "✅ **passed**",
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
    changes(&mut md, report);
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
    rollout(&mut md, report);
    waivers(&mut md, report);
    let open: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Open)
        .collect();
    if open.is_empty() {
        let _ = writeln!(md, "\nNo open findings.");
        return md;
    }
    let _ = writeln!(md, "\n### Findings");
    for group in open.chunk_by(|a, b| a.rule_id == b.rule_id) {
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
            let new = if f.change == Some(Change::New) {
                "🆕 "
            } else {
                ""
            };
            let _ = writeln!(
                md,
                "| {new}`{}` | {} | {} |",
                cell(&f.resource_name),
                cell(resource_group(&f.resource_id).unwrap_or("")),
                cell(&f.message)
            );
        }
        // IaC: the corrected declaration, once per source language in the group.
        let mut shown: Vec<&str> = Vec::new();
        for snippet in group.iter().filter_map(|f| f.remediation.snippet.as_ref()) {
            if shown.contains(&snippet.language.as_str()) {
                continue;
            }
            shown.push(&snippet.language);
            let _ = writeln!(
                md,
                "\n<details><summary>Corrected {} ({})</summary>\n\n```{}\n{}\n```\n\n</details>",
                snippet.language,
                first.rule_id,
                snippet.fence(),
                super::plain(&snippet.code)
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
                let _ = writeln!(md, "{}", super::plain(c));
            }
            let _ = writeln!(md, "```\n\n</details>");
        }
    }
    md
}

/// "What changed" leads when there is a baseline.
fn changes(md: &mut String, report: &Report) {
    let Some(ch) = &report.changes else { return };
    let _ = writeln!(
        md,
        "### What changed since `{}`\n\n**{} new** · {} resolved · {} persisting\n",
        ch.baseline_now,
        ch.new,
        ch.resolved.len(),
        ch.persisting
    );
    let new: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.change == Some(Change::New))
        .collect();
    if !new.is_empty() || !ch.resolved.is_empty() {
        let _ = writeln!(
            md,
            "| Change | Severity | Rule | Resource |\n|---|---|---|---|"
        );
        for f in new {
            let _ = writeln!(
                md,
                "| 🆕 new | {} | `{}` | `{}` |",
                f.severity.as_str(),
                f.rule_id,
                cell(&f.resource_name)
            );
        }
        for f in &ch.resolved {
            let _ = writeln!(
                md,
                "| ✅ resolved | {} | `{}` | `{}` |",
                f.severity.as_str(),
                f.rule_id,
                cell(&f.resource_name)
            );
        }
        let _ = writeln!(md);
    }
}

/// Which machines the newest golden images have not reached yet.
fn rollout(md: &mut String, report: &Report) {
    if report.rollout.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n### Golden image rollout\n\n| Image | Newest | Machine | Runs | Behind |\n|---|---|---|---|---|");
    for r in &report.rollout {
        let name = r.image_name();
        for b in &r.behind {
            let _ = writeln!(
                md,
                "| `{}` | {} | `{}` | {} | {} version(s), {} days |",
                cell(name),
                r.latest_version,
                cell(&b.resource_name),
                b.running_version,
                b.versions_behind,
                b.days_behind
            );
        }
    }
}

fn waivers(md: &mut String, report: &Report) {
    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    let w = &report.waivers;
    if waived.is_empty() && w.expired.is_empty() && w.unused.is_empty() && w.expiring.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n### Waivers\n");
    if !waived.is_empty() {
        let _ = writeln!(
            md,
            "| Waived | Rule | Owner | Until | Reason |\n|---|---|---|---|---|"
        );
        for f in waived {
            if let Some(v) = &f.waiver {
                let until = v.expires.as_deref().unwrap_or("permanent");
                let reason = match &v.ticket {
                    Some(t) => format!("{} ({t})", v.reason),
                    None => v.reason.clone(),
                };
                let _ = writeln!(
                    md,
                    "| `{}` | `{}` | {} | {until} | {} |",
                    cell(&f.resource_name),
                    f.rule_id,
                    cell(&v.owner),
                    cell(&reason)
                );
            }
        }
    }
    for (what, list) in [
        ("expired (its findings are open again)", &w.expired),
        ("unused (matched nothing)", &w.unused),
        ("ending soon", &w.expiring),
    ] {
        for v in list.iter() {
            let _ = writeln!(
                md,
                "- ⚠️ waiver {what}: `{}` on `{}`, owner {}, until {} ({})",
                v.rule,
                cell(&v.resource),
                v.owner,
                v.expires.as_deref().unwrap_or("permanent"),
                v.at
            );
        }
    }
}

fn coverage(md: &mut String, report: &Report) {
    let c = &report.coverage;
    if c.complete {
        return;
    }
    let _ = writeln!(md, "\n### Coverage\n");
    for g in &c.source_gaps {
        let _ = writeln!(md, "- ⚠️ `{}`: {}", g.source, cell(&g.reason));
    }
    for n in &c.unevaluated {
        let _ = writeln!(md, "- · not evaluated `{}`: {}", n.source, cell(&n.reason));
    }
    for f in &c.rule_failures {
        let _ = writeln!(
            md,
            "- ✖ `{}` failed on `{}` ({}): {}",
            f.rule_id,
            f.resource_id,
            f.policy,
            cell(&f.message)
        );
    }
    if !c.undecided.is_empty() {
        let _ = writeln!(
            md,
            "\n<details><summary>{} check(s) could not be decided</summary>\n",
            c.undecided.len()
        );
        for u in &c.undecided {
            let _ = writeln!(
                md,
                "- `{}` on `{}`: {}",
                u.rule_id,
                u.resource_id,
                cell(&u.reason)
            );
        }
        let _ = writeln!(md, "\n</details>");
    }
}
