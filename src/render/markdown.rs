//! A report for `$GITHUB_STEP_SUMMARY` (1 MiB at most) or a pull-request comment (65,536
//! characters): it always fits its budget (`--max-markdown-bytes`). The verdict, how
//! compliant the estate is, counts by severity and by rule, and compliance per scope come
//! first; then the findings — new ones first, then by severity — until the budget is spent,
//! with a line saying how many were left out and where the full report is.

use std::fmt::Write;

use super::{resource_group, Links, Options};
use crate::evaluate::Severity;
use crate::findings::compliance::{change, Tally};
use crate::findings::report::{Mode, Report, Verdict};
use crate::findings::{Change, Finding, Status};

/// Scope rows shown before "… and N more".
const MAX_SCOPES: usize = 25;
/// Items of a coverage, waiver or rollout list shown before "… and N more".
const MAX_ITEMS: usize = 20;
/// Bytes kept for the sections after the findings (coverage, waivers, rollout, fixes).
const TAIL_RESERVE: usize = 16 * 1024;

/// Text from the estate in a table cell or a list item: pipes, newlines, HTML and Markdown
/// emphasis or links are neutralised (a resource name must not inject markup into a PR
/// comment).
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in super::plain(text).chars() {
        // Quotes need no entity outside HTML attributes.
        if let Some(entity) = super::html_entity(c).filter(|_| !matches!(c, '"' | '\'')) {
            out.push_str(entity);
            continue;
        }
        match c {
            '\n' | '\r' => out.push(' '),
            '|' | '\\' | '*' | '_' | '[' | ']' | '`' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text from the estate as a code span: shown literally, so only the backtick, the table's
/// pipe and line breaks need care.
fn code(text: &str) -> String {
    let t = super::plain(text)
        .replace('`', "'")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ");
    format!("`{t}`")
}

pub(crate) fn render(report: &Report, opts: &Options) -> String {
    let budget = opts.max_markdown_bytes;
    let mut md = String::new();
    head(&mut md, report);
    glance(&mut md, report);
    changes(&mut md, report);
    tables(&mut md, report);
    scopes(&mut md, report);
    // The findings come first: they take what the budget leaves but a small share kept for
    // the sections below them (coverage, waivers, rollout), which follow if they fit.
    let mut tail = String::new();
    coverage(&mut tail, report);
    rollout(&mut tail, report);
    waivers(&mut tail, report);
    let reserve = tail.len().min(TAIL_RESERVE).min(budget / 8);
    let room = budget.saturating_sub(md.len() + reserve);
    let shown = findings(&mut md, report, room, opts.links.as_ref());
    fixes(&mut md, &shown, budget.saturating_sub(reserve));
    if md.len() + tail.len() <= budget {
        md.push_str(&tail);
    } else if !tail.is_empty() {
        let _ = writeln!(
            md,
            "\n_Coverage, waiver and rollout details are left out to stay within {budget} bytes; the JSON, SARIF or HTML report has them._"
        );
    }
    fit(md, budget)
}

/// The text cut at a line boundary if it is still over `budget` (a budget smaller than the
/// summary itself), with a last line saying so.
fn fit(mut md: String, budget: usize) -> String {
    if md.len() <= budget {
        return md;
    }
    let note = "\n_… cut to stay within the Markdown budget (`--max-markdown-bytes`)._\n";
    let at = crate::text::floor_char_boundary(&md, budget.saturating_sub(note.len()));
    let at = md[..at].rfind('\n').unwrap_or(0);
    md.truncate(at);
    md.push_str(note);
    md
}

fn head(md: &mut String, report: &Report) {
    let s = &report.summary;
    let verdict = match report.verdict {
        Verdict::Failed => "❌ **failed**",
        Verdict::Incomplete => "⚠️ **incomplete**",
        Verdict::Passed => "✅ **passed**",
    };
    let kind = match report.mode {
        Mode::Iac => "infrastructure as code",
        Mode::Live => "estate",
    };
    let _ = writeln!(md, "## kensa compliance report ({kind})\n");
    let new = match &report.changes {
        Some(ch) => format!(" ({} new since `{}`)", ch.new, ch.baseline_now),
        None => String::new(),
    };
    let _ = writeln!(
        md,
        "{verdict} · {} open finding(s){new} · {} resources · {} rules · evaluated at `{}`\n",
        s.open,
        report.coverage.resources,
        report.coverage.rules.len(),
        report.now
    );
}

/// "How compliant are we": machines and resources, and the change against the baseline.
fn glance(md: &mut String, report: &Report) {
    let c = &report.compliance;
    let before = c.before.as_ref();
    let delta = |now: &Tally, then: Option<f64>| {
        change(now.percent(), then)
            .map(|d| format!(" ({d} since the baseline)"))
            .unwrap_or_default()
    };
    let _ = writeln!(
        md,
        "**Machines compliant: {}**{} · **Resources compliant: {}**{}\n",
        c.machines.phrase(),
        delta(&c.machines, before.and_then(|b| b.machines)),
        c.resources.phrase(),
        delta(&c.resources, before.and_then(|b| b.resources)),
    );
    let unsure = c.resources.undecided;
    if unsure > 0 {
        let _ = writeln!(
            md,
            "{unsure} resource(s) without open findings have checks that could not be decided: not counted as compliant.\n"
        );
    }
}

/// Against a baseline: the counts, and what was resolved (new findings lead the findings).
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
    if ch.resolved.is_empty() {
        return;
    }
    let _ = writeln!(md, "| Resolved | Severity | Rule |\n|---|---|---|");
    for f in ch.resolved.iter().take(MAX_ITEMS) {
        let _ = writeln!(
            md,
            "| ✅ {} | {} | `{}` |",
            code(&f.resource_name),
            f.severity.as_str(),
            f.rule_id
        );
    }
    more(md, ch.resolved.len());
    let _ = writeln!(md);
}

fn tables(md: &mut String, report: &Report) {
    let s = &report.summary;
    if s.open > 0 {
        let _ = writeln!(md, "| Severity | Open |\n|---|---:|");
        for sev in Severity::ALL {
            match s.by_severity.get(&sev).copied().unwrap_or(0) {
                0 => {}
                n => {
                    let _ = writeln!(md, "| {} | {n} |", sev.as_str());
                }
            }
        }
        let _ = writeln!(md);
    }
    // Rules with something to say are rows; the others are one line.
    let rows: Vec<_> = report
        .compliance
        .rules
        .iter()
        .filter(|r| r.failed > 0 || r.undecided > 0)
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(
            md,
            "| Rule | Severity | Judged | Passed | Failed | Undecided |\n|---|---|---:|---:|---:|---:|"
        );
        for r in &rows {
            let severity = report
                .rules
                .iter()
                .find(|m| m.id == r.rule_id)
                .map_or("", |m| m.severity.as_str());
            let _ = writeln!(
                md,
                "| `{}` | {severity} | {} | {} | {} | {} |",
                r.rule_id, r.evaluated, r.passed, r.failed, r.undecided
            );
        }
        let _ = writeln!(md);
    }
    let quiet = report.compliance.rules.len() - rows.len();
    if quiet > 0 {
        let _ = writeln!(
            md,
            "{quiet} other rule(s) passed on every resource they judged.\n"
        );
    }
}

/// Compliance per subscription (estate) or per file (IaC), least compliant first.
fn scopes(md: &mut String, report: &Report) {
    let all = &report.compliance.scopes;
    if all.len() < 2 {
        return;
    }
    let what = match report.mode {
        Mode::Iac => "File",
        Mode::Live => "Subscription",
    };
    let sorted = super::least_compliant_first(all);
    let _ = writeln!(
        md,
        "### Compliance by {}\n\n| {what} | Machines compliant | Resources compliant |\n|---|---|---|",
        what.to_lowercase()
    );
    for s in sorted.iter().take(MAX_SCOPES) {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            code(&s.scope),
            s.machines.phrase(),
            s.resources.phrase()
        );
    }
    if sorted.len() > MAX_SCOPES {
        let _ = writeln!(
            md,
            "\n… and {} more (the JSON report lists every {}).",
            sorted.len() - MAX_SCOPES,
            what.to_lowercase()
        );
    }
    let _ = writeln!(md);
}

/// The open findings, new first, then by severity, as rows until `room` bytes are used.
/// Returns the findings shown.
fn findings<'r>(
    md: &mut String,
    report: &'r Report,
    room: usize,
    links: Option<&Links>,
) -> Vec<&'r Finding> {
    let mut open: Vec<&Finding> = report
        .listed()
        .filter(|f| f.status == Status::Open)
        .collect();
    if open.is_empty() {
        let _ = writeln!(md, "No open findings.");
        return open;
    }
    open.sort_by(|a, b| super::by_attention(a, b));
    let iac = report.mode == Mode::Iac;
    let subscriptions = report.compliance.scopes.len() > 1 && !iac;
    // A first column marks the new findings when there is a baseline.
    let marked = report.changes.is_some();
    let mut columns = vec!["Severity", "Rule", "Resource"];
    match (iac, subscriptions) {
        (true, _) => columns.push("File"),
        (false, true) => columns.extend(["Subscription", "Resource group"]),
        (false, false) => columns.push("Resource group"),
    }
    columns.push("Finding");
    if marked {
        columns.insert(0, "New");
    }
    let header = format!(
        "### Open findings\n\n| {} |\n|{}\n",
        columns.join(" | "),
        "---|".repeat(columns.len())
    );
    // Room for the line that says what was left out.
    let room = room.saturating_sub(header.len() + 400);
    let mut table = String::new();
    let mut shown = Vec::new();
    for f in &open {
        let mut cells = Vec::with_capacity(columns.len());
        if marked {
            cells.push(if f.change == Some(Change::New) {
                "🆕".to_string()
            } else {
                String::new()
            });
        }
        cells.extend([
            f.severity.as_str().to_string(),
            code(&f.rule_id),
            code(&f.resource_name),
        ]);
        match (iac, &f.location) {
            (true, Some(l)) => cells.push(where_in_file(&l.file, l.line, links)),
            (true, None) => cells.push(String::new()),
            (false, _) => {
                if subscriptions {
                    cells.push(code(
                        crate::findings::compliance::subscription_of(&f.resource_id).unwrap_or(""),
                    ));
                }
                cells.push(cell(resource_group(&f.resource_id).unwrap_or("")));
            }
        }
        cells.push(cell(&f.message));
        let row = format!("| {} |\n", cells.join(" | "));
        if table.len() + row.len() > room {
            break;
        }
        table.push_str(&row);
        shown.push(*f);
    }
    if !shown.is_empty() {
        md.push_str(&header);
        md.push_str(&table);
    }
    let left = open.len() - shown.len();
    if left > 0 {
        let new_left = open[shown.len()..]
            .iter()
            .filter(|f| f.change == Some(Change::New))
            .count();
        let new_note = match new_left {
            0 => String::new(),
            n => format!(" ({n} of them new)"),
        };
        let _ = writeln!(
            md,
            "\n**{left} open finding(s) not shown{new_note}** to keep this summary within its size budget; the JSON, SARIF and HTML reports list all {}.",
            open.len()
        );
    }
    let _ = writeln!(md);
    shown
}

/// `file:line`, linked to the line on GitHub when the run says where the sources are.
fn where_in_file(file: &str, line: usize, links: Option<&Links>) -> String {
    let text = code(&format!("{file}:{line}"));
    // A path with characters a link target cannot hold is shown without its link.
    let linkable = !file.contains([' ', '(', ')', '<', '>', '[', ']', '|']);
    match links.filter(|_| linkable).and_then(|l| l.line(file, line)) {
        Some(url) => format!("[{text}]({url})"),
        None => text,
    }
}

/// What to do about the findings shown, per rule: the remediation, the corrected
/// declaration (IaC) and the commands — while the budget lasts.
fn fixes(md: &mut String, shown: &[&Finding], budget: usize) {
    let mut rules: Vec<&str> = shown.iter().map(|f| f.rule_id.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    if rules.is_empty() {
        return;
    }
    let mut out = String::from("### How to fix\n");
    let mut parts = 0;
    for rule in rules {
        let of_rule: Vec<&&Finding> = shown.iter().filter(|f| f.rule_id == rule).collect();
        let mut part = format!(
            "\n<details><summary><code>{rule}</code>: {}</summary>\n\n",
            cell(&of_rule[0].remediation.text)
        );
        let mut languages: Vec<&str> = Vec::new();
        for s in of_rule
            .iter()
            .filter_map(|f| f.remediation.snippet.as_ref())
        {
            if !languages.contains(&s.language.as_str()) {
                languages.push(&s.language);
                let _ = write!(
                    part,
                    "Corrected {}:\n\n```{}\n{}\n```\n\n",
                    s.language,
                    s.fence(),
                    super::plain(&s.code)
                );
            }
        }
        let cmds: Vec<&str> = of_rule
            .iter()
            .filter_map(|f| f.remediation.command.as_deref())
            .collect();
        if !cmds.is_empty() {
            part.push_str("```sh\n");
            for c in cmds {
                let _ = writeln!(part, "{}", super::plain(c));
            }
            part.push_str("```\n\n");
        }
        part.push_str("</details>\n");
        if md.len() + out.len() + part.len() > budget {
            out.push_str("\n_More fixes are in the JSON, SARIF and HTML reports._\n");
            break;
        }
        out.push_str(&part);
        parts += 1;
    }
    // Nothing fitted: no heading over nothing.
    if parts > 0 {
        md.push_str(&out);
    }
}

/// Which machines the newest golden images have not reached yet.
fn rollout(md: &mut String, report: &Report) {
    if report.rollout.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n### Golden image rollout\n\n| Image | Newest | Machine | Runs | Behind |\n|---|---|---|---|---|");
    let rows: Vec<_> = report
        .rollout
        .iter()
        .flat_map(|r| r.behind.iter().map(move |b| (r, b)))
        .collect();
    for (r, b) in rows.iter().take(MAX_ITEMS) {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} version(s), {} days |",
            code(r.image_name()),
            cell(&r.latest_version),
            code(&b.resource_name),
            b.running_version,
            b.versions_behind,
            b.days_behind
        );
    }
    more(md, rows.len());
}

fn more(md: &mut String, total: usize) {
    if total > MAX_ITEMS {
        let _ = writeln!(md, "\n… and {} more.", total - MAX_ITEMS);
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
        for f in waived.iter().take(MAX_ITEMS) {
            if let Some(v) = &f.waiver {
                let until = v.expires.as_deref().unwrap_or("permanent");
                let reason = match &v.ticket {
                    Some(t) => format!("{} ({t})", v.reason),
                    None => v.reason.clone(),
                };
                let _ = writeln!(
                    md,
                    "| {} | `{}` | {} | {until} | {} |",
                    code(&f.resource_name),
                    f.rule_id,
                    cell(&v.owner),
                    cell(&reason)
                );
            }
        }
        more(md, waived.len());
        let _ = writeln!(md);
    }
    for (what, list) in [
        ("expired (its findings are open again)", &w.expired),
        ("unused (matched nothing)", &w.unused),
        ("ending soon", &w.expiring),
    ] {
        for v in list.iter().take(MAX_ITEMS) {
            let _ = writeln!(
                md,
                "- ⚠️ waiver {what}: {} on {}, owner {}, until {} ({})",
                code(&v.rule),
                code(&v.resource),
                cell(&v.owner),
                v.expires.as_deref().unwrap_or("permanent"),
                cell(&v.at)
            );
        }
        more(md, list.len());
    }
}

fn coverage(md: &mut String, report: &Report) {
    let c = &report.coverage;
    if c.complete {
        return;
    }
    let _ = writeln!(md, "\n### Coverage: what this scan could not vouch for\n");
    for g in c.source_gaps.iter().take(MAX_ITEMS) {
        let _ = writeln!(md, "- ⚠️ {}: {}", code(&g.source), cell(&g.reason));
    }
    more(md, c.source_gaps.len());
    for n in c.unevaluated.iter().take(MAX_ITEMS) {
        let _ = writeln!(
            md,
            "- · not evaluated {}: {}",
            code(&n.source),
            cell(&n.reason)
        );
    }
    more(md, c.unevaluated.len());
    for f in c.rule_failures.iter().take(MAX_ITEMS) {
        let _ = writeln!(
            md,
            "- ✖ `{}` failed on {} ({}): {}",
            f.rule_id,
            code(&f.resource_id),
            cell(&f.policy),
            cell(&f.message)
        );
    }
    more(md, c.rule_failures.len());
    if !c.undecided.is_empty() {
        let _ = writeln!(
            md,
            "\n<details><summary>{} check(s) could not be decided</summary>\n",
            c.undecided.len()
        );
        for u in c.undecided.iter().take(MAX_ITEMS) {
            // IaC: where the value the answer depends on is written.
            let on = match &u.location {
                Some(l) => format!("at {}", code(&format!("{}:{}", l.file, l.line))),
                None => format!("on {}", code(&u.resource_id)),
            };
            let _ = writeln!(md, "- `{}` {on}: {}", u.rule_id, cell(&u.reason));
        }
        more(md, c.undecided.len());
        let _ = writeln!(md, "\n</details>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_become_markdown() {
        assert_eq!(
            cell("**bold** [l](http://evil) a|b\nc"),
            "\\*\\*bold\\*\\* \\[l\\](http://evil) a\\|b c"
        );
        assert_eq!(code("a`b|c\nd"), "`a'b\\|c d`");
    }

    #[test]
    fn text_over_the_budget_is_cut_at_a_line_and_says_so() {
        let long = "é line of text\n".repeat(1000);
        let cut = fit(long.clone(), 4096);
        assert!(
            cut.len() <= 4096 && cut.ends_with("`--max-markdown-bytes`)._\n"),
            "{cut}"
        );
        assert!(long.starts_with(cut.split("\n_…").next().unwrap()));
        assert_eq!(fit("short\n".into(), 4096), "short\n");
    }
}
