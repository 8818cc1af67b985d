//! Waivers: exceptions with an owner, a reason and an end date, kept in a TOML file
//! (`kensa-waivers.toml`). A waived finding stays in every report, marked `waived`; an
//! expired waiver stops suppressing and is itself reported; a waiver that matched nothing is
//! reported as unused, like an unused `noqa`.

use chrono::NaiveDate;
use globset::{GlobBuilder, GlobMatcher};
use miette::{NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};

use super::{Finding, Status, Waiver};
use crate::error::{Error, Result};
use std::sync::Arc;

use crate::text::marked::Marked;
use crate::text::SourceFile;

/// One `[[waiver]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    resource: String,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<Date>,
    ticket: Option<String>,
}

/// `expires = 2026-12-31` (a TOML date) or `expires = "2026-12-31"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Date {
    Toml(toml::value::Datetime),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    waiver: Vec<toml::Spanned<Entry>>,
}

struct Compiled {
    waiver: Waiver,
    rule: GlobMatcher,
    resource: GlobMatcher,
    expires: Option<NaiveDate>,
    /// Where it is written: index into `Waivers::sources`, byte span.
    source: usize,
    span: std::ops::Range<usize>,
    /// An inline waiver: the IaC file and 1-based line it sits on. It covers findings on
    /// that line and the next (a comment above the offending line, like `noqa`).
    place: Option<(String, usize)>,
}

struct Source {
    /// The file, with its line index: warnings point at lines without rescanning it.
    file: Arc<SourceFile>,
    language: &'static str,
}

/// Waivers from the waiver file and from `kensa:ignore` comments in IaC, parsed and checked.
#[derive(Default)]
pub(crate) struct Waivers {
    sources: Vec<Source>,
    entries: Vec<Compiled>,
}

/// What applying the waivers did, for the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct WaiverSummary {
    pub(crate) file: Option<String>,
    /// Waivers in force at the evaluation instant.
    pub(crate) active: usize,
    pub(crate) expired: Vec<Waiver>,
    pub(crate) unused: Vec<Waiver>,
    /// Active waivers ending within the warning window.
    pub(crate) expiring: Vec<Waiver>,
}

/// A waiver problem that does not stop the scan (expired, unused), pointing at its line.
pub(crate) type Warning = Marked;

impl Compiled {
    /// Whether the waiver's resource pattern or place covers the finding: a resource id
    /// glob, an IaC path glob (the finding's file), or an inline comment's line.
    fn covers(&self, f: &Finding) -> bool {
        match (&self.place, &f.location) {
            (Some((file, line)), Some(l)) => {
                l.file == *file
                    && (l.line == *line
                        || l.line == line + 1
                        || l.declaration
                            .is_some_and(|(a, b)| a.saturating_sub(1) <= *line && *line <= b))
            }
            (Some(_), None) => false,
            (None, l) => {
                self.resource.is_match(&f.resource_id)
                    || l.as_ref().is_some_and(|l| self.resource.is_match(&l.file))
            }
        }
    }
}

fn glob(pattern: &str) -> std::result::Result<GlobMatcher, globset::Error> {
    // `*` stays within one path segment, `**` crosses them; ids compare case-insensitively.
    Ok(GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(true)
        .build()?
        .compile_matcher())
}

/// Checks the fields every waiver needs, wherever it is written.
struct Fields {
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<String>,
}

fn checked(
    f: Fields,
    allow_permanent: bool,
    fail: &dyn Fn(&str) -> Error,
) -> Result<(String, String, Option<NaiveDate>)> {
    let reason = f
        .reason
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| fail("`reason` is required"))?;
    let owner = f
        .owner
        .filter(|o| !o.trim().is_empty())
        .ok_or_else(|| fail("`owner` is required"))?;
    let expires =
        match f.expires {
            None if allow_permanent => None,
            None => return Err(fail(
                "`expires` is required (a date; permanent waivers need --allow-permanent-waivers)",
            )),
            Some(text) => Some(
                NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|_| fail(&format!("`expires` {text:?} is not a date (YYYY-MM-DD)")))?,
            ),
        };
    Ok((reason, owner, expires))
}

/// `kensa:ignore RULE key=value key="quoted value" …` after a comment marker.
fn inline_fields(rest: &str) -> (String, Vec<(String, String)>) {
    let mut chars = rest.trim().chars().peekable();
    let mut rule = String::new();
    while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
        rule.push(c);
    }
    let mut pairs = Vec::new();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        if key.is_empty() || chars.next_if_eq(&'=').is_none() {
            break;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                value.push(c);
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                value.push(c);
            }
        }
        pairs.push((key, value));
    }
    (rule, pairs)
}

impl Waivers {
    /// `kensa:ignore` comments in IaC files (`//`, `#` or `/* */` comments; JSON with
    /// comments, HCL, Packer).
    pub(crate) fn inline(
        files: &[std::sync::Arc<crate::text::SourceFile>],
        allow_permanent: bool,
    ) -> Result<Waivers> {
        const MARK: &str = "kensa:ignore";
        let mut out = Waivers::default();
        for file in files {
            let source = out.sources.len();
            let mut any = false;
            let mut offset = 0;
            for (i, line) in file.text.split_inclusive('\n').enumerate() {
                let start = offset;
                offset += line.len();
                let Some(at) = line.find(MARK) else { continue };
                let before = line[..at].trim_end();
                if !(before.ends_with("//") || before.ends_with('#') || before.ends_with("/*")) {
                    continue;
                }
                any = true;
                let rest = line[at + MARK.len()..].trim_end().trim_end_matches("*/");
                let (rule_pattern, pairs) = inline_fields(rest);
                let get = |k: &str| {
                    pairs
                        .iter()
                        .find(|(key, _)| key == k)
                        .map(|(_, v)| v.clone())
                };
                let span = start + at..start + line.trim_end().len();
                let fail = |what: &str| {
                    Error::input_at(
                        &file.path,
                        &file.text,
                        start + at,
                        format!("inline waiver `{MARK} {rule_pattern}`: {what}"),
                        "this waiver",
                    )
                    .with_help(format!(
                        "write `{MARK} RULE reason=\"…\" owner=team@example.com expires=YYYY-MM-DD`"
                    ))
                };
                if rule_pattern.is_empty() {
                    return Err(fail("a rule id (or glob) is required"));
                }
                if let Some((k, _)) = pairs
                    .iter()
                    .find(|(k, _)| !matches!(k.as_str(), "reason" | "owner" | "expires" | "ticket"))
                {
                    return Err(fail(&format!(
                        "unknown field `{k}` (reason, owner, expires, ticket)"
                    )));
                }
                let (reason, owner, expires) = checked(
                    Fields {
                        reason: get("reason"),
                        owner: get("owner"),
                        expires: get("expires"),
                    },
                    allow_permanent,
                    &fail,
                )?;
                let rule =
                    glob(&rule_pattern).map_err(|err| fail(&format!("bad rule pattern: {err}")))?;
                let line_no = i + 1;
                out.entries.push(Compiled {
                    waiver: Waiver {
                        rule: rule_pattern.clone(),
                        resource: format!("{}:{line_no}", file.path),
                        reason,
                        owner,
                        expires: expires.map(|d| d.format("%Y-%m-%d").to_string()),
                        ticket: get("ticket"),
                        at: format!("{}:{line_no}", file.path),
                        inline: true,
                    },
                    rule,
                    resource: glob("**").map_err(|err| fail(&err.to_string()))?,
                    expires,
                    source,
                    span,
                    place: Some((file.path.clone(), line_no)),
                });
            }
            if any {
                out.sources.push(Source {
                    file: Arc::clone(file),
                    language: "text",
                });
            }
        }
        Ok(out)
    }

    /// Both sets of waivers; the file's entries first (the first match wins).
    pub(crate) fn and(mut self, other: Waivers) -> Waivers {
        let base = self.sources.len();
        self.sources.extend(other.sources);
        self.entries.extend(other.entries.into_iter().map(|mut c| {
            c.source += base;
            c
        }));
        self
    }

    pub(crate) fn parse(file: &str, text: String, allow_permanent: bool) -> Result<Waivers> {
        let source = Arc::new(SourceFile::new(file.to_string(), text));
        let text = &source.text;
        let parsed: File = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            Error::input_at(file, text, at, e.message().trim().to_string(), "here")
        })?;
        let mut entries = Vec::new();
        for spanned in parsed.waiver {
            let span = spanned.span();
            let e = spanned.into_inner();
            let fail = |what: &str| {
                Error::input_at(
                    file,
                    text,
                    span.start,
                    format!("waiver for `{}` on `{}`: {what}", e.rule, e.resource),
                    "this waiver",
                )
            };
            let (reason, owner, expires) = checked(
                Fields {
                    reason: e.reason.clone(),
                    owner: e.owner.clone(),
                    expires: e.expires.as_ref().map(|d| match d {
                        Date::Toml(t) => t.to_string(),
                        Date::Text(s) => s.clone(),
                    }),
                },
                allow_permanent,
                &fail,
            )?;
            let rule = glob(&e.rule).map_err(|err| fail(&format!("bad rule pattern: {err}")))?;
            let resource =
                glob(&e.resource).map_err(|err| fail(&format!("bad resource pattern: {err}")))?;
            let (line, _) = source.position(span.start);
            let waiver = Waiver {
                rule: e.rule,
                resource: e.resource,
                reason,
                owner,
                expires: expires.map(|d| d.format("%Y-%m-%d").to_string()),
                ticket: e.ticket,
                at: format!("{file}:{line}"),
                inline: false,
            };
            entries.push(Compiled {
                waiver,
                rule,
                resource,
                expires,
                source: 0,
                span,
                place: None,
            });
        }
        Ok(Waivers {
            sources: vec![Source {
                file: source,
                language: "toml",
            }],
            entries,
        })
    }

    pub(crate) fn read(path: &std::path::Path, allow_permanent: bool) -> Result<Waivers> {
        let file = path.display().to_string();
        let text = crate::text::read::text(path).map_err(|cause| Error::Read {
            path: file.clone(),
            cause,
        })?;
        Waivers::parse(&file, text, allow_permanent)
    }

    /// Marks matching open findings as waived (first matching waiver in file order wins),
    /// and says which waivers expired, went unused or end within `warn_days` of `today`.
    pub(crate) fn apply(
        &self,
        findings: &mut [Finding],
        today: NaiveDate,
        warn_days: i64,
    ) -> (WaiverSummary, Vec<Warning>) {
        let mut used = vec![false; self.entries.len()];
        let in_force = |c: &Compiled| c.expires.is_none_or(|d| d >= today);
        // Waivers naming one rule id literally are looked up by it; only patterns are tried
        // on every finding (thousands of waivers must not cost findings × waivers).
        let mut by_rule: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut patterns = Vec::new();
        for (i, c) in self.entries.iter().enumerate().filter(|(_, c)| in_force(c)) {
            if c.waiver.rule.contains(['*', '?', '[', '{']) {
                patterns.push(i);
            } else {
                by_rule
                    .entry(c.waiver.rule.to_lowercase())
                    .or_default()
                    .push(i);
            }
        }
        for f in findings.iter_mut().filter(|f| f.status == Status::Open) {
            let literal = by_rule
                .get(&f.rule_id.to_lowercase())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let first_literal = literal.iter().copied().find(|i| self.entries[*i].covers(f));
            let first_pattern = patterns.iter().copied().find(|i| {
                let c = &self.entries[*i];
                c.rule.is_match(&f.rule_id) && c.covers(f)
            });
            // First matching waiver in file order.
            let hit = match (first_literal, first_pattern) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(i) = hit {
                used[i] = true;
                f.status = Status::Waived;
                f.waiver = Some(self.entries[i].waiver.clone());
            }
        }
        let mut outcome = WaiverSummary {
            file: self.sources.first().map(|s| s.file.path.clone()),
            ..WaiverSummary::default()
        };
        let mut warnings = Vec::new();
        for (c, used) in self.entries.iter().zip(used) {
            let w = &c.waiver;
            if !in_force(c) {
                warnings.push(self.warning(c, format!("waiver for `{}` on `{}` (owner {}) expired on {}; its findings are open again", w.rule, w.resource, w.owner, w.expires.as_deref().unwrap_or("?")), "expired"));
                outcome.expired.push(w.clone());
                continue;
            }
            outcome.active += 1;
            if !used {
                warnings.push(self.warning(
                    c,
                    format!(
                        "waiver for `{}` on `{}` matched no finding; remove it",
                        w.rule, w.resource
                    ),
                    "unused",
                ));
                outcome.unused.push(w.clone());
            }
            if c.expires
                .is_some_and(|d| (d - today).num_days() <= warn_days)
            {
                outcome.expiring.push(w.clone());
            }
        }
        (outcome, warnings)
    }

    fn warning(&self, c: &Compiled, message: String, label: &str) -> Warning {
        let src = &self.sources[c.source];
        let (line, _) = src.file.position(c.span.start);
        Marked {
            message: format!("{}:{line}: {message}", src.file.path),
            src: NamedSource::new(&src.file.path, Arc::clone(&src.file))
                .with_language(src.language),
            span: SourceSpan::new(
                c.span.start.into(),
                c.span.end.saturating_sub(c.span.start).min(200),
            ),
            label: label.to_string(),
            severity: miette::Severity::Warning,
            code: Some("kensa::waiver"),
        }
    }
}
