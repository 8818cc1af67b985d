//! One self-contained HTML page (no external assets) a manager reads at a glance and an
//! engineer works from: compliance of machines and resources as inline SVG charts, per rule
//! and per scope (subscription or IaC file); what changed; waivers; what could not be
//! decided and why; the rollout of golden images; and every finding in a table with filters
//! (severity, rule, status, new only, text) and pages, so it stays usable at 20,000 VMs. The
//! table is rendered here; the small script filters, pages and counts. It reads on a phone
//! (390 px): tables scroll inside their box, the page does not.

use std::fmt::Write;

use super::{resource_group, Links, Options};
use crate::evaluate::Severity;
use crate::findings::compliance::{change, subscription_of, Tally};
use crate::findings::report::{Mode, Report};
use crate::findings::{Change, Finding, Status};

/// Undecided checks listed before "… and N more".
const MAX_UNDECIDED: usize = 500;
/// Scopes drawn in the chart (least compliant first).
const MAX_SCOPES: usize = 25;

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in super::plain(text).chars() {
        match super::html_entity(c) {
            Some(entity) => out.push_str(entity),
            None => out.push(c),
        }
    }
    out
}

const STYLE: &str = "*{box-sizing:border-box}body{overflow-wrap:anywhere;font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:90em;padding:0 1em;color:#1b1f24}\
h1{margin:0 0 .2em;font-size:1.6em}h2{margin:1.4em 0 .4em;font-size:1.2em}.box{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f6f8fa}.cards{display:flex;flex-wrap:wrap;gap:1em;margin:1em 0}.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em;min-width:6em}\
.card b{font-size:1.6em;display:block}.critical{color:#fff;background:#a40e26}.high{color:#a40e26}.medium{color:#9a6700}.low{color:#0969da}\
.waived{color:#57606a}code{font-size:90%;overflow-wrap:anywhere}.fix{font-family:monospace;font-size:85%;color:#444;overflow-wrap:anywhere}\
#filters{margin:.5em 0;display:flex;flex-wrap:wrap;gap:.5em;align-items:center}.verdict{font-weight:bold}\
.glance{display:flex;flex-wrap:wrap;gap:2em;align-items:center}.glance figure{margin:0;text-align:center}svg text{font:12px system-ui,sans-serif}\
.bars{width:100%;max-width:46em;height:auto}#pager{margin:.5em 0;display:flex;gap:.5em;align-items:center}\
@media (max-width:600px){body{margin:.5em auto;font-size:13px}td,th{padding:.2em .35em}.card{min-width:4.5em;padding:.4em .6em}}";

/// Renders the findings' pages from the embedded data (text through `textContent`, never
/// markup), filters them and records what it did on `<body>` for tests.
const SCRIPT: &str = "const data=JSON.parse(document.getElementById('data').textContent);const PAGE=100;let page=0,match=[];\
const $=id=>document.getElementById(id);const body=document.querySelector('#findings tbody');\
function cell(tr,text,cls,code){const td=tr.insertCell();if(cls)td.className=cls;const el=code?document.createElement('code'):td;el.textContent=text;if(code)td.appendChild(el);return td;}\
function row(f){const[sev,rule,name,id,at,link,msg,note,status,isNew,fp]=f;const tr=document.createElement('tr');\
tr.dataset.severity=sev;tr.dataset.rule=rule;tr.dataset.status=status;tr.dataset.fingerprint=fp;cell(tr,sev,sev);cell(tr,rule,'',true);\
const r=cell(tr,name,'',true);r.firstChild.title=id;if(isNew)r.append(' 🆕');const w=tr.insertCell();\
if(link){const a=document.createElement('a');a.href=link;a.textContent=at;w.appendChild(a);}else w.textContent=at;\
const m=cell(tr,msg);if(note){const d=document.createElement('div');d.className=status==='waived'?'waived':'fix';d.textContent=note;m.appendChild(d);}\
cell(tr,status,status);return tr;}\
function draw(){const pages=Math.max(1,Math.ceil(match.length/PAGE));page=Math.min(page,pages-1);\
body.replaceChildren(...match.slice(page*PAGE,(page+1)*PAGE).map(row));\
$('page').textContent=(page+1)+' / '+pages;$('prev').disabled=page===0;$('next').disabled=page>=pages-1;}\
function apply(){const s=$('f-sev').value,r=$('f-rule').value,st=$('f-status').value,n=$('f-new').checked,q=$('f-text').value.toLowerCase();\
match=data.filter(f=>(!s||f[0]===s)&&(!r||f[1]===r)&&(!st||f[8]===st)&&(!n||f[9])&&(!q||(f[2]+' '+f[3]+' '+f[4]+' '+f[6]+' '+f[7]).toLowerCase().includes(q)));\
$('shown').textContent=match.length;page=0;draw();}\
for(const id of ['f-sev','f-rule','f-status','f-new','f-text'])$(id).addEventListener('input',apply);\
$('prev').addEventListener('click',()=>{page--;draw();});$('next').addEventListener('click',()=>{page++;draw();});apply();\
const b=document.body.dataset;b.openRows=data.filter(f=>f[8]==='open').length;b.visibleRows=body.rows.length;\
b.viewport=window.innerWidth;b.overflow=document.documentElement.scrollWidth>window.innerWidth+1;b.renderMs=Math.round(performance.now());b.rendered='ok';";

pub(crate) fn render(report: &Report, opts: &Options) -> String {
    let s = &report.summary;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>kensa report {now}</title><style>{STYLE}</style></head>\
<body data-open=\"{open}\" data-waived=\"{waived}\" data-total=\"{total}\"><h1>kensa compliance report</h1>\
<p><span class=\"verdict\" id=\"verdict\">{verdict}</span> · {open} open finding(s), {waived} waived · {res} resources · {rules} rules · evaluated at <code>{now}</code></p>",
        now = esc(&report.now),
        verdict = report.verdict.as_str(),
        open = s.open,
        waived = s.waived,
        total = s.total,
        res = report.coverage.resources,
        rules = report.coverage.rules.len(),
    );
    glance(&mut h, report);
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
    changes(&mut h, report);
    by_rule(&mut h, report);
    by_scope(&mut h, report);
    coverage(&mut h, report);
    waivers(&mut h, report);
    rollout(&mut h, report);
    findings(&mut h, report, opts.links.as_ref());
    let _ = writeln!(
        h,
        "<p>kensa {} · <code>{}</code></p><script>{SCRIPT}</script></body></html>",
        esc(&report.tool.version),
        esc(&report.schema)
    );
    h
}

/// A ring showing the compliant share of `t`, with "X of Y" under it.
fn donut(h: &mut String, id: &str, label: &str, t: &Tally, delta: Option<String>) {
    let share = t.percent().unwrap_or(0.0);
    // Circumference of r=15.9155 is 100: the dash length is the percentage.
    let _ = write!(
        h,
        "<figure id=\"{id}\"><svg width=\"120\" height=\"120\" viewBox=\"0 0 42 42\" role=\"img\" aria-label=\"{label}: {phrase}\">\
<circle cx=\"21\" cy=\"21\" r=\"15.9155\" fill=\"none\" stroke=\"#eaeef2\" stroke-width=\"5\"/>\
<circle cx=\"21\" cy=\"21\" r=\"15.9155\" fill=\"none\" stroke=\"#1a7f37\" stroke-width=\"5\" stroke-dasharray=\"{share} {rest}\" stroke-dashoffset=\"25\"/>\
<text x=\"21\" y=\"23\" text-anchor=\"middle\" style=\"font-size:7px;font-weight:bold\">{pct}</text></svg>\
<figcaption><b>{label}</b><br>{phrase}{delta}</figcaption></figure>",
        phrase = esc(&t.phrase()),
        rest = 100.0 - share,
        pct = t.percent().map_or("–".to_string(), |p| format!("{p:.0}%")),
        delta = delta.map(|d| format!("<br>{d}")).unwrap_or_default(),
    );
}

fn glance(h: &mut String, report: &Report) {
    let c = &report.compliance;
    let before = c.before.as_ref();
    h.push_str("<h2>Compliance</h2><div class=\"glance\" id=\"compliance\">");
    donut(
        h,
        "machines",
        "Machines compliant",
        &c.machines,
        change(c.machines.percent(), before.and_then(|b| b.machines)),
    );
    donut(
        h,
        "resources",
        "Resources compliant",
        &c.resources,
        change(c.resources.percent(), before.and_then(|b| b.resources)),
    );
    let _ = write!(
        h,
        "<p>{} failing · {} with checks that could not be decided (not counted as compliant)</p></div>",
        c.resources.failing, c.resources.undecided
    );
}

/// Horizontal stacked bars: passed (green), failed (red), undecided (amber), one per row.
fn bars(h: &mut String, id: &str, rows: &[(String, usize, usize, usize)]) {
    let height = 22 * rows.len() + 10;
    let _ = write!(
        h,
        "<div class=\"box\"><svg id=\"{id}\" class=\"bars\" viewBox=\"0 0 640 {height}\" role=\"img\">"
    );
    for (i, (label, passed, failed, undecided)) in rows.iter().enumerate() {
        let total = (passed + failed + undecided).max(1) as f64;
        let y = 22 * i + 5;
        // Label 0–245, bar 250–570, the count right-aligned at 636: they never overlap.
        let w = |n: usize| n as f64 * 320.0 / total;
        let (wp, wf, wu) = (w(*passed), w(*failed), w(*undecided));
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{ty}\">{label}</text>\
<rect x=\"250\" y=\"{y}\" width=\"{wp:.1}\" height=\"16\" fill=\"#1a7f37\"><title>{passed} passed</title></rect>\
<rect x=\"{xf:.1}\" y=\"{y}\" width=\"{wf:.1}\" height=\"16\" fill=\"#cf222e\"><title>{failed} failed</title></rect>\
<rect x=\"{xu:.1}\" y=\"{y}\" width=\"{wu:.1}\" height=\"16\" fill=\"#bf8700\"><title>{undecided} undecided</title></rect>\
<text x=\"636\" y=\"{ty}\" text-anchor=\"end\">{passed}/{total}</text>",
            ty = y + 12,
            label = esc(&shorten(label, 34)),
            xf = 250.0 + wp,
            xu = 250.0 + wp + wf,
            total = passed + failed + undecided,
        );
    }
    h.push_str("</svg></div>");
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let tail: String = text
        .chars()
        .rev()
        .take(max - 1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

fn by_rule(h: &mut String, report: &Report) {
    let rules = &report.compliance.rules;
    h.push_str("<h2>By rule</h2>");
    let rows: Vec<_> = rules
        .iter()
        .map(|r| (r.rule_id.clone(), r.passed, r.failed, r.undecided))
        .collect();
    bars(h, "rule-chart", &rows);
    h.push_str("<div class=\"box\"><table id=\"by-rule\"><tr><th>Rule</th><th>Severity</th><th>Judged</th><th>Passed</th><th>Failed</th><th>Undecided</th><th>Open findings</th></tr>");
    for r in rules {
        let severity = report
            .rules
            .iter()
            .find(|m| m.id == r.rule_id)
            .map_or("", |m| m.severity.as_str());
        let open = report.summary.by_rule.get(&r.rule_id).copied().unwrap_or(0);
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"{severity}\">{severity}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{open}</td></tr>",
            esc(&r.rule_id),
            r.evaluated,
            r.passed,
            r.failed,
            r.undecided
        );
    }
    h.push_str("</table></div>");
}

fn by_scope(h: &mut String, report: &Report) {
    let what = match report.mode {
        Mode::Iac => "file",
        Mode::Live => "subscription",
    };
    let scopes = super::least_compliant_first(&report.compliance.scopes);
    let _ = write!(h, "<h2>By {what}</h2>");
    let rows: Vec<_> = scopes
        .iter()
        .take(MAX_SCOPES)
        .map(|s| {
            let t = &s.resources;
            (s.scope.clone(), t.compliant, t.failing, t.undecided)
        })
        .collect();
    bars(h, "scope-chart", &rows);
    let _ = write!(
        h,
        "<div class=\"box\"><table id=\"by-scope\"><tr><th>{}</th><th>Machines compliant</th><th>Resources compliant</th><th>Failing</th><th>Undecided</th></tr>",
        if what == "file" { "File" } else { "Subscription" }
    );
    for s in &scopes {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.scope),
            esc(&s.machines.phrase()),
            esc(&s.resources.phrase()),
            s.resources.failing,
            s.resources.undecided
        );
    }
    h.push_str("</table></div>");
}

fn changes(h: &mut String, report: &Report) {
    let Some(ch) = &report.changes else { return };
    let _ = write!(h, "<h2>What changed since {}</h2><p id=\"changes\"><b>{} new</b> · {} resolved · {} persisting</p>", esc(&ch.baseline_now), ch.new, ch.resolved.len(), ch.persisting);
    if !ch.resolved.is_empty() {
        h.push_str("<div class=\"box\"><table><tr><th>Resolved</th><th>Rule</th></tr>");
        for f in &ch.resolved {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                esc(&f.resource_name),
                esc(&f.rule_id)
            );
        }
        h.push_str("</table></div>");
    }
}

fn coverage(h: &mut String, report: &Report) {
    let c = &report.coverage;
    if c.complete && c.undecided.is_empty() {
        return;
    }
    h.push_str("<h2>What this scan could not vouch for</h2><ul id=\"coverage\">");
    for g in &c.source_gaps {
        let _ = write!(
            h,
            "<li>⚠ not read: <code>{}</code>: {}</li>",
            esc(&g.source),
            esc(&g.reason)
        );
    }
    for n in &c.unevaluated {
        let _ = write!(
            h,
            "<li>not evaluated: <code>{}</code>: {}</li>",
            esc(&n.source),
            esc(&n.reason)
        );
    }
    for f in &c.rule_failures {
        let _ = write!(
            h,
            "<li>✖ <code>{}</code> failed on <code>{}</code> ({}): {}</li>",
            esc(&f.rule_id),
            esc(&f.resource_id),
            esc(&f.policy),
            esc(&f.message)
        );
    }
    h.push_str("</ul>");
    if !c.undecided.is_empty() {
        let _ = write!(
            h,
            "<details id=\"undecided\" open><summary>{} check(s) could not be decided</summary><div class=\"box\"><table><tr><th>Rule</th><th>Resource</th><th>Why</th></tr>",
            c.undecided.len()
        );
        for u in c.undecided.iter().take(MAX_UNDECIDED) {
            // IaC: where the value the answer depends on is written.
            let on = match &u.location {
                Some(l) => format!("{}:{}", l.file, l.line),
                None => u.resource_id.clone(),
            };
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&u.rule_id),
                esc(&on),
                esc(&u.reason)
            );
        }
        h.push_str("</table></div>");
        if c.undecided.len() > MAX_UNDECIDED {
            let _ = write!(
                h,
                "<p>… and {} more in the JSON report.</p>",
                c.undecided.len() - MAX_UNDECIDED
            );
        }
        h.push_str("</details>");
    }
}

fn waivers(h: &mut String, report: &Report) {
    let w = &report.waivers;
    let waived = report.summary.waived;
    if waived == 0 && w.expired.is_empty() && w.unused.is_empty() && w.expiring.is_empty() {
        return;
    }
    let _ = write!(
        h,
        "<h2>Waivers</h2><p>{waived} finding(s) waived.</p><ul id=\"waivers\">"
    );
    for (what, list) in [
        ("expired: its findings are open again", &w.expired),
        ("unused: it matched nothing", &w.unused),
        ("expiring soon", &w.expiring),
    ] {
        for v in list.iter() {
            let _ = write!(
                h,
                "<li class=\"waived\">⚠ {what} — <code>{}</code> on <code>{}</code>, owner {}, until {} ({})</li>",
                esc(&v.rule),
                esc(&v.resource),
                esc(&v.owner),
                esc(v.expires.as_deref().unwrap_or("permanent")),
                esc(&v.at)
            );
        }
    }
    h.push_str("</ul>");
}

fn rollout(h: &mut String, report: &Report) {
    if report.rollout.is_empty() {
        return;
    }
    h.push_str("<h2>Golden image rollout</h2><div class=\"box\"><table id=\"rollout\"><tr><th>Image</th><th>Newest</th><th>Machine</th><th>Runs</th><th>Behind</th></tr>");
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
    h.push_str("</table></div>");
}

/// Where a finding is: `file:line` (and its link on GitHub) for IaC, else the resource
/// group and subscription.
fn place(f: &Finding, iac: bool, links: Option<&Links>) -> (String, Option<String>) {
    match (&f.location, iac) {
        (Some(l), true) => (
            format!("{}:{}", l.file, l.line),
            links.and_then(|k| k.line(&l.file, l.line)),
        ),
        _ => (
            format!(
                "{} · {}",
                resource_group(&f.resource_id).unwrap_or(""),
                subscription_of(&f.resource_id).unwrap_or("")
            ),
            None,
        ),
    }
}

/// Text inside a `<script type="application/json">`: `</` cannot end the element early.
fn script_safe(json: &str) -> String {
    // Both occur only inside JSON strings, where `\/` and `\u0021` are plain escapes.
    json.replace("</", "<\\/").replace("<!--", "<\\u0021--")
}

/// The findings as data (new first, then by severity), drawn page by page by the script:
/// tens of thousands of rows would take a browser a minute to lay out as a table.
fn findings(h: &mut String, report: &Report, links: Option<&Links>) {
    let iac = report.mode == Mode::Iac;
    h.push_str("<h2>Findings</h2><div id=\"filters\"><select id=\"f-sev\"><option value=\"\">all severities</option>");
    for sev in Severity::ALL {
        let _ = write!(h, "<option>{}</option>", sev.as_str());
    }
    h.push_str("</select><select id=\"f-rule\"><option value=\"\">all rules</option>");
    for rule in report.summary.by_rule.keys() {
        let _ = write!(h, "<option>{}</option>", esc(rule));
    }
    h.push_str("</select><select id=\"f-status\"><option value=\"\">open and waived</option><option>open</option><option>waived</option></select>\
<label><input type=\"checkbox\" id=\"f-new\"> new only</label><input id=\"f-text\" placeholder=\"search\"> <span><span id=\"shown\"></span> shown</span></div>\
<div id=\"pager\"><button id=\"prev\" type=\"button\">‹ previous</button><span id=\"page\"></span><button id=\"next\" type=\"button\">next ›</button></div>");
    let _ = write!(
        h,
        "<div class=\"box\"><table id=\"findings\"><thead><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>{}</th><th>Finding</th><th>Status</th></tr></thead><tbody></tbody></table></div>\
<noscript>The findings table needs JavaScript; the JSON report lists them all.</noscript>",
        if iac { "File" } else { "Where" }
    );
    let mut all: Vec<&Finding> = report.listed().collect();
    all.sort_by(|a, b| super::by_attention(a, b));
    let rows: Vec<serde_json::Value> = all
        .iter()
        .map(|f| {
            let note = match (&f.waiver, &f.remediation.command) {
                (Some(w), _) => format!(
                    "waived by {} until {}: {}",
                    w.owner,
                    w.expires.as_deref().unwrap_or("permanent"),
                    w.reason
                ),
                (None, Some(cmd)) => cmd.clone(),
                (None, None) => String::new(),
            };
            let (at, link) = place(f, iac, links);
            serde_json::json!([
                f.severity.as_str(),
                f.rule_id,
                super::plain(&f.resource_name),
                f.resource_id,
                super::plain(&at),
                link,
                super::plain(&f.message),
                super::plain(&note),
                match f.status {
                    Status::Open => "open",
                    Status::Waived => "waived",
                },
                f.change == Some(Change::New),
                f.fingerprint,
            ])
        })
        .collect();
    let _ = write!(
        h,
        "<script type=\"application/json\" id=\"data\">{}</script>",
        script_safe(&serde_json::Value::Array(rows).to_string())
    );
}
