//! One self-contained HTML file (no external assets): summary by severity and rule, open
//! findings per subscription and resource group, the golden-image rollout, what changed, and
//! the findings table with filters. The table is rendered here; the small script only filters
//! rows and counts what is shown.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::resource_group;
use crate::evaluate::Severity;
use crate::findings::report::Report;
use crate::findings::{Change, Status};

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn subscription(id: &str) -> &str {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("subscriptions") {
            return parts.next().unwrap_or("-");
        }
    }
    "-"
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f24}h1{margin:0 0 .2em}table{border-collapse:collapse;margin:.5em 0 1.5em}\
td,th{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f6f8fa}.cards{display:flex;gap:1em;margin:1em 0}\
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em;min-width:6em}.card b{font-size:1.6em;display:block}.critical{color:#fff;background:#a40e26}\
.high{color:#a40e26}.medium{color:#9a6700}.low{color:#0969da}.waived{color:#57606a}code{font-size:90%}.fix{font-family:monospace;font-size:85%;color:#444}\
#filters{margin:.5em 0}#filters select,#filters input{margin-right:.6em}.verdict{font-weight:bold}";

const SCRIPT: &str = "const rows=[...document.querySelectorAll('#findings tbody tr')];\
function apply(){const s=document.getElementById('f-sev').value,r=document.getElementById('f-rule').value,\
st=document.getElementById('f-status').value,q=document.getElementById('f-text').value.toLowerCase();let shown=0;\
for(const tr of rows){const ok=(!s||tr.dataset.severity===s)&&(!r||tr.dataset.rule===r)&&(!st||tr.dataset.status===st)&&(!q||tr.textContent.toLowerCase().includes(q));\
tr.style.display=ok?'':'none';if(ok)shown++;}document.getElementById('shown').textContent=shown;}\
for(const id of ['f-sev','f-rule','f-status','f-text'])document.getElementById(id).addEventListener('input',apply);apply();\
document.body.dataset.openRows=rows.filter(tr=>tr.dataset.status==='open').length;document.body.dataset.rendered='ok';";

pub(crate) fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut h = String::new();
    let verdict = report.verdict.as_str();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>kensa report {now}</title><style>{STYLE}</style></head>\
<body data-open=\"{open}\" data-waived=\"{waived}\" data-total=\"{total}\"><h1>kensa compliance report</h1>\
<p><span class=\"verdict\" id=\"verdict\">{verdict}</span> · {open} open finding(s), {waived} waived · {res} resources · {rules} rules · evaluated at <code>{now}</code></p>",
        now = esc(&report.now),
        open = s.open,
        waived = s.waived,
        total = s.total,
        res = report.coverage.resources,
        rules = report.coverage.rules.len(),
    );
    h.push_str("<div class=\"cards\">");
    for sev in Severity::ALL {
        let n = s.by_severity.get(&sev).copied().unwrap_or(0);
        let _ = write!(
            h,
            "<div class=\"card {c}\" id=\"count-{c}\"><b>{n}</b>{c}</div>",
            c = sev.as_str()
        );
    }
    h.push_str("</div>");
    if !report.coverage.complete || !report.coverage.undecided.is_empty() {
        h.push_str("<h2>Coverage</h2><ul>");
        for g in &report.coverage.source_gaps {
            let _ = write!(
                h,
                "<li>⚠ not read: <code>{}</code>: {}</li>",
                esc(&g.source),
                esc(&g.reason)
            );
        }
        for n in &report.coverage.unevaluated {
            let _ = write!(
                h,
                "<li>not evaluated: <code>{}</code>: {}</li>",
                esc(&n.source),
                esc(&n.reason)
            );
        }
        for f in &report.coverage.rule_failures {
            let _ = write!(
                h,
                "<li>✖ <code>{}</code> failed on <code>{}</code> ({}): {}</li>",
                esc(&f.rule_id),
                esc(&f.resource_id),
                esc(&f.policy),
                esc(&f.message)
            );
        }
        if !report.coverage.undecided.is_empty() {
            let _ = write!(
                h,
                "<li>{} check(s) could not be decided</li>",
                report.coverage.undecided.len()
            );
        }
        h.push_str("</ul>");
    }
    if let Some(ch) = &report.changes {
        let _ = write!(h, "<h2>What changed since {}</h2><p id=\"changes\"><b>{} new</b> · {} resolved · {} persisting</p>", esc(&ch.baseline_now), ch.new, ch.resolved.len(), ch.persisting);
        if !ch.resolved.is_empty() {
            h.push_str("<table><tr><th>Resolved</th><th>Rule</th></tr>");
            for f in &ch.resolved {
                let _ = write!(
                    h,
                    "<tr><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&f.resource_name),
                    esc(&f.rule_id)
                );
            }
            h.push_str("</table>");
        }
    }
    h.push_str("<h2>By rule</h2><table id=\"by-rule\"><tr><th>Rule</th><th>Open</th></tr>");
    for (rule, n) in &s.by_rule {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{n}</td></tr>",
            esc(rule)
        );
    }
    h.push_str("</table><h2>By subscription and resource group</h2><table id=\"by-scope\"><tr><th>Subscription</th><th>Resource group</th><th>Open</th><th>critical</th><th>high</th><th>medium</th><th>low</th></tr>");
    let mut scopes: BTreeMap<(String, String), BTreeMap<Severity, usize>> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.status == Status::Open) {
        let key = (
            subscription(&f.resource_id).to_lowercase(),
            resource_group(&f.resource_id).unwrap_or("-").to_lowercase(),
        );
        *scopes
            .entry(key)
            .or_default()
            .entry(f.severity)
            .or_default() += 1;
    }
    for ((sub, rg), counts) in &scopes {
        let total: usize = counts.values().sum();
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{total}</td>",
            esc(sub),
            esc(rg)
        );
        for sev in Severity::ALL {
            let _ = write!(h, "<td>{}</td>", counts.get(&sev).copied().unwrap_or(0));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    if !report.rollout.is_empty() {
        h.push_str("<h2>Golden image rollout</h2><table id=\"rollout\"><tr><th>Image</th><th>Newest</th><th>Machine</th><th>Runs</th><th>Behind</th></tr>");
        for r in &report.rollout {
            let name = r.image_name();
            for b in &r.behind {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{} version(s), {} days</td></tr>",
                    esc(name),
                    esc(&r.latest_version),
                    esc(&b.resource_name),
                    esc(&b.running_version),
                    b.versions_behind,
                    b.days_behind
                );
            }
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Findings</h2><div id=\"filters\"><select id=\"f-sev\"><option value=\"\">all severities</option>");
    for sev in Severity::ALL {
        let _ = write!(h, "<option>{}</option>", sev.as_str());
    }
    h.push_str("</select><select id=\"f-rule\"><option value=\"\">all rules</option>");
    for rule in s.by_rule.keys() {
        let _ = write!(h, "<option>{}</option>", esc(rule));
    }
    h.push_str("</select><select id=\"f-status\"><option value=\"\">open and waived</option><option>open</option><option>waived</option></select><input id=\"f-text\" placeholder=\"search\"> <span id=\"shown\"></span> shown</div>");
    h.push_str("<table id=\"findings\"><thead><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Finding</th><th>Status</th></tr></thead><tbody>");
    for f in &report.findings {
        let status = match f.status {
            Status::Open => "open",
            Status::Waived => "waived",
        };
        let new = if f.change == Some(Change::New) {
            " 🆕"
        } else {
            ""
        };
        let note = match (&f.waiver, &f.remediation.command) {
            (Some(w), _) => format!(
                "<div class=\"waived\">waived by {} until {}: {}</div>",
                esc(&w.owner),
                esc(w.expires.as_deref().unwrap_or("permanent")),
                esc(&w.reason)
            ),
            (None, Some(cmd)) => format!("<div class=\"fix\">{}</div>", esc(cmd)),
            (None, None) => String::new(),
        };
        let _ = write!(
            h,
            "<tr data-severity=\"{sev}\" data-rule=\"{rule}\" data-status=\"{status}\" data-fingerprint=\"{fp}\"><td class=\"{sev}\">{sev}</td><td><code>{rule}</code></td><td><code title=\"{id}\">{name}</code>{new}<br>{rg}</td><td>{msg}{note}</td><td class=\"{status}\">{status}</td></tr>",
            sev = f.severity.as_str(),
            rule = esc(&f.rule_id),
            fp = esc(&f.fingerprint),
            id = esc(&f.resource_id),
            name = esc(&f.resource_name),
            rg = esc(resource_group(&f.resource_id).unwrap_or("")),
            msg = esc(&f.message),
        );
    }
    let _ = writeln!(
        h,
        "</tbody></table><p>kensa {} · <code>{}</code></p><script>{SCRIPT}</script></body></html>",
        esc(&report.tool.version),
        esc(&report.schema)
    );
    h
}
