//! Terminal output: a verdict line, then findings grouped by severity and rule, wrapped to
//! 80 columns. Colour only on a terminal (and never with NO_COLOR).

use std::fmt::Write;

use owo_colors::{OwoColorize, Style};

use super::{plain, resource_group};
use crate::evaluate::Severity;
use crate::findings::compliance::{change, subscription_of, Tally};
use crate::findings::report::{Mode, Report, Verdict};
use crate::findings::{Change, Finding, Status};

const WIDTH: usize = 80;

fn paint(text: &str, style: Style, color: bool) -> String {
    let text = plain(text);
    if color {
        text.style(style).to_string()
    } else {
        text.into_owned()
    }
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::new().bright_white().on_red().bold(),
        Severity::High => Style::new().red().bold(),
        Severity::Medium => Style::new().yellow(),
        Severity::Low => Style::new().cyan(),
    }
}

fn wrapped(out: &mut String, text: &str, indent: &str) {
    let opts = textwrap::Options::new(WIDTH)
        .initial_indent(indent)
        .subsequent_indent(indent)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(&plain(text), opts) {
        let _ = writeln!(out, "{line}");
    }
}

/// A line miette drew from a source file: its own colour codes (SGR, `ESC[…m`) stay when
/// colour is on; any other control character (from the file) is made visible.
fn keep_colours(line: &str, color: bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find('\u{1b}') {
        out.push_str(&plain(&rest[..at]));
        let tail = &rest[at..];
        let sgr = tail
            .strip_prefix("\u{1b}[")
            .and_then(|t| {
                t.find(|c: char| !(c.is_ascii_digit() || c == ';'))
                    .map(|n| (t, n))
            })
            .filter(|(t, n)| t[*n..].starts_with('m'));
        match sgr {
            Some((_, n)) if color => {
                out.push_str(&tail[..n + 3]);
                rest = &tail[n + 3..];
            }
            _ => {
                out.push_str(&plain("\u{1b}"));
                rest = &tail[1..];
            }
        }
    }
    out.push_str(&plain(rest));
    out
}

pub(crate) fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let c = &report.coverage;
    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|sev| (sev, s.by_severity.get(sev).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .map(|(sev, n)| {
            paint(
                &format!("{n} {}", sev.as_str()),
                severity_style(*sev),
                color,
            )
        })
        .collect();
    let headline = if s.open == 0 {
        "no open findings".to_string()
    } else {
        format!("{} open finding(s): {}", s.open, counts.join(", "))
    };
    let headline = if s.waived > 0 {
        format!("{headline} · {} waived", s.waived)
    } else {
        headline
    };
    let _ = writeln!(
        out,
        "{} {headline}",
        paint("kensa", Style::new().bold(), color)
    );
    wrapped(
        &mut out,
        &format!(
            "{} resources, {} evaluated by {} rules, as of {}",
            c.resources,
            c.resources_evaluated,
            c.rules.len(),
            report.now
        ),
        "  ",
    );
    let glance = &report.compliance;
    if glance.resources.evaluated > 0 {
        let delta = |now: &Tally, then: Option<f64>| {
            change(now.percent(), then)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        };
        let before = glance.before.as_ref();
        wrapped(
            &mut out,
            &format!(
                "compliant: machines {}{}, resources {}{}",
                glance.machines.phrase(),
                delta(&glance.machines, before.and_then(|b| b.machines)),
                glance.resources.phrase(),
                delta(&glance.resources, before.and_then(|b| b.resources)),
            ),
            "  ",
        );
    }
    for g in &c.source_gaps {
        wrapped(
            &mut out,
            &format!("⚠ INCOMPLETE {}: {}", g.source, g.reason),
            "  ",
        );
    }
    if !c.undecided.is_empty() {
        wrapped(
            &mut out,
            &format!(
                "⚠ {} check(s) could not be decided (see the coverage section of --format json)",
                c.undecided.len()
            ),
            "  ",
        );
        // IaC: where the answer depends on a value only known at deployment.
        for u in c.undecided.iter().filter(|u| u.location.is_some()).take(20) {
            if let Some(l) = &u.location {
                wrapped(
                    &mut out,
                    &format!("? {} at {}:{}: {}", u.rule_id, l.file, l.line, u.reason),
                    "    ",
                );
            }
        }
    }
    for f in &c.rule_failures {
        wrapped(
            &mut out,
            &format!(
                "✖ {} failed on {} ({}): {}",
                f.rule_id, f.resource_id, f.policy, f.message
            ),
            "  ",
        );
    }
    for n in c.unevaluated.iter().take(20) {
        wrapped(
            &mut out,
            &format!("· not evaluated {}: {}", n.source, n.reason),
            "  ",
        );
    }
    let w = &report.waivers;
    if !w.expired.is_empty() || !w.unused.is_empty() || !w.expiring.is_empty() {
        wrapped(
            &mut out,
            &format!(
                "⚠ waivers: {} expired, {} unused, {} ending within the warning window",
                w.expired.len(),
                w.unused.len(),
                w.expiring.len()
            ),
            "  ",
        );
    }
    if let Some(ch) = &report.changes {
        let _ = writeln!(out);
        let title = format!(
            "Since {} ({}): {} new, {} resolved, {} persisting",
            ch.baseline_now,
            ch.baseline,
            ch.new,
            ch.resolved.len(),
            ch.persisting
        );
        wrapped(&mut out, &paint(&title, Style::new().bold(), color), "");
        for f in &ch.resolved {
            wrapped(
                &mut out,
                &format!("✔ resolved {} on {}", f.rule_id, f.resource_name),
                "  ",
            );
        }
    }
    let open: Vec<&Finding> = report
        .listed()
        .filter(|f| f.status == Status::Open)
        .collect();
    // A report over several subscriptions names each finding's.
    let many_subscriptions = report.mode == Mode::Live && report.compliance.scopes.len() > 1;
    for group in open.chunk_by(|a, b| a.rule_id == b.rule_id && a.severity == b.severity) {
        let first = &group[0];
        let _ = writeln!(out);
        let tag = paint(
            &format!(" {} ", first.severity.as_str().to_uppercase()),
            severity_style(first.severity),
            color,
        );
        let _ = writeln!(
            out,
            "{tag} {} ({})",
            paint(&first.rule_id, Style::new().bold(), color),
            group.len()
        );
        for f in group {
            let place = match &f.location {
                Some(l) if l.via.is_empty() => format!("{}:{}:{}", l.file, l.line, l.column),
                Some(l) => format!(
                    "{}:{}:{} via {}",
                    l.file,
                    l.line,
                    l.column,
                    l.via.join(" → ")
                ),
                None => {
                    let rg = resource_group(&f.resource_id).unwrap_or("-");
                    match subscription_of(&f.resource_id).filter(|_| many_subscriptions) {
                        Some(sub) => format!("{rg}, subscription {sub}"),
                        None => rg.to_string(),
                    }
                }
            };
            let new = if f.change == Some(Change::New) {
                paint("NEW ", Style::new().magenta().bold(), color)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {} {new}{} {}",
                paint("✖", severity_style(f.severity), color),
                paint(&f.resource_name, Style::new().bold(), color),
                paint(&format!("({place})"), Style::new().dimmed(), color)
            );
            match f.location.as_ref().and_then(|l| {
                super::snippet::render(&report.sources, l, &f.message, f.rule_id.as_str(), color)
            }) {
                Some(snippet) => {
                    for line in snippet.lines() {
                        let _ = writeln!(out, "  {}", keep_colours(line, color));
                    }
                }
                None => wrapped(&mut out, &f.message, "    "),
            }
            if let Some(snippet) = &f.remediation.snippet {
                let _ = writeln!(
                    out,
                    "    {}",
                    paint(
                        &format!("fix ({}):", snippet.language),
                        Style::new().dimmed(),
                        color
                    )
                );
                for line in snippet.code.lines() {
                    let _ = writeln!(out, "      {}", plain(line));
                }
            }
            if let Some(cmd) = &f.remediation.command {
                // Commands stay on one line, whatever their length, so they can be copied.
                let _ = writeln!(
                    out,
                    "    {}\n      {}",
                    paint("fix:", Style::new().dimmed(), color),
                    plain(cmd)
                );
            }
        }
    }
    if !report.rollout.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(" GOLDEN IMAGE ROLLOUT ", Style::new().bold(), color)
        );
        for r in &report.rollout {
            let name = r.image_name();
            let _ = writeln!(
                out,
                "  {} → {}: {} machine(s) behind",
                plain(name),
                plain(&r.latest_version),
                r.behind.len()
            );
            for b in &r.behind {
                let _ = writeln!(
                    out,
                    "    {} on {} ({} version(s), {} days behind)",
                    plain(&b.resource_name),
                    plain(&b.running_version),
                    b.versions_behind,
                    b.days_behind
                );
            }
        }
    }
    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "\n{} ({})",
            paint(" WAIVED ", Style::new().dimmed().bold(), color),
            waived.len()
        );
        for f in waived {
            let _ = writeln!(
                out,
                "  ~ {} {}",
                plain(&f.rule_id),
                paint(&f.resource_name, Style::new().bold(), color)
            );
            if let Some(w) = &f.waiver {
                wrapped(
                    &mut out,
                    &format!(
                        "by {} until {}: {}",
                        w.owner,
                        w.expires.as_deref().unwrap_or("(permanent)"),
                        w.reason
                    ),
                    "    ",
                );
            }
        }
    }
    let _ = writeln!(out);
    let verdict = match report.verdict {
        Verdict::Failed => paint(
            &format!(
                "FAILED: {}open findings at or above {}",
                if s.gate.only_new { "new " } else { "" },
                s.gate.fail_on.map_or("none", |f| f.as_str())
            ),
            Style::new().red().bold(),
            color,
        ),
        Verdict::Incomplete => paint(&incomplete(c), Style::new().yellow().bold(), color),
        Verdict::Passed => paint("passed", Style::new().green().bold(), color),
    };
    let _ = writeln!(out, "{verdict}");
    out
}

/// Why a scan is incomplete, in one line.
fn incomplete(c: &crate::findings::coverage::Coverage) -> String {
    let parts: Vec<String> = [
        (c.source_gaps.len(), "not read"),
        (c.unevaluated.len(), "not evaluated"),
        (c.undecided.len(), "undecided"),
        (c.rule_failures.len(), "rule failure(s)"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    format!("INCOMPLETE: {}", parts.join(", "))
}
