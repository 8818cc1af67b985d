//! Waivers: exceptions with an owner, a reason and an end date, kept in a TOML file
//! (`kensa-waivers.toml`). A waived finding stays in every report, marked `waived`; an
//! expired waiver stops suppressing and is itself reported; a waiver that matched nothing is
//! reported as unused, like an unused `noqa`.

use chrono::NaiveDate;
use globset::{GlobBuilder, GlobMatcher};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{Finding, Status};
use crate::error::{line_column, Error, Result};

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

/// A waiver as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub rule: String,
    pub resource: String,
    pub reason: String,
    pub owner: String,
    /// `YYYY-MM-DD`, or null for a permanent waiver (`--allow-permanent-waivers`).
    pub expires: Option<String>,
    pub ticket: Option<String>,
    /// Where it is written: `file:line`.
    pub at: String,
}

struct Compiled {
    waiver: Waiver,
    rule: GlobMatcher,
    resource: GlobMatcher,
    expires: Option<NaiveDate>,
    span: std::ops::Range<usize>,
}

/// A waiver file, parsed and checked.
pub struct Waivers {
    file: String,
    text: String,
    entries: Vec<Compiled>,
}

/// What applying the waivers did, for the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub file: Option<String>,
    /// Waivers in force at the evaluation instant.
    pub active: usize,
    pub expired: Vec<Waiver>,
    pub unused: Vec<Waiver>,
    /// Active waivers ending within the warning window.
    pub expiring: Vec<Waiver>,
}

/// A waiver problem that does not stop the scan (expired, unused), pointing at its line.
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(kensa::waiver), severity(Warning))]
pub struct Warning {
    message: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
}

fn glob(pattern: &str) -> std::result::Result<GlobMatcher, globset::Error> {
    // `*` stays within one path segment, `**` crosses them; ids compare case-insensitively.
    Ok(GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(true)
        .build()?
        .compile_matcher())
}

impl Waivers {
    pub fn parse(file: &str, text: String, allow_permanent: bool) -> Result<Waivers> {
        let parsed: File = toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            Error::input_at(file, &text, at, e.message().trim().to_string(), "here")
        })?;
        let mut entries = Vec::new();
        for spanned in parsed.waiver {
            let span = spanned.span();
            let e = spanned.into_inner();
            let fail = |what: &str| {
                Error::input_at(
                    file,
                    &text,
                    span.start,
                    format!("waiver for `{}` on `{}`: {what}", e.rule, e.resource),
                    "this waiver",
                )
            };
            let reason = e
                .reason
                .clone()
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| fail("`reason` is required"))?;
            let owner = e
                .owner
                .clone()
                .filter(|o| !o.trim().is_empty())
                .ok_or_else(|| fail("`owner` is required"))?;
            let expires = match &e.expires {
                None if allow_permanent => None,
                None => return Err(fail("`expires` is required (a date; permanent waivers need --allow-permanent-waivers)")),
                Some(d) => {
                    let text = match d {
                        Date::Toml(t) => t.to_string(),
                        Date::Text(s) => s.clone(),
                    };
                    Some(NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| fail(&format!("`expires` {text:?} is not a date (YYYY-MM-DD)")))?)
                }
            };
            let rule = glob(&e.rule).map_err(|err| fail(&format!("bad rule pattern: {err}")))?;
            let resource =
                glob(&e.resource).map_err(|err| fail(&format!("bad resource pattern: {err}")))?;
            let (line, _) = line_column(&text, span.start);
            let waiver = Waiver {
                rule: e.rule,
                resource: e.resource,
                reason,
                owner,
                expires: expires.map(|d| d.format("%Y-%m-%d").to_string()),
                ticket: e.ticket,
                at: format!("{file}:{line}"),
            };
            entries.push(Compiled {
                waiver,
                rule,
                resource,
                expires,
                span,
            });
        }
        Ok(Waivers {
            file: file.to_string(),
            text,
            entries,
        })
    }

    pub fn read(path: &std::path::Path, allow_permanent: bool) -> Result<Waivers> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: file.clone(),
            source,
        })?;
        Waivers::parse(&file, text, allow_permanent)
    }

    /// Marks matching open findings as waived (first matching waiver in file order wins),
    /// and says which waivers expired, went unused or end within `warn_days` of `today`.
    pub fn apply(
        &self,
        findings: &mut [Finding],
        today: NaiveDate,
        warn_days: i64,
    ) -> (Outcome, Vec<Warning>) {
        let mut used = vec![false; self.entries.len()];
        let in_force = |c: &Compiled| c.expires.is_none_or(|d| d >= today);
        for f in findings.iter_mut().filter(|f| f.status == Status::Open) {
            let hit = self.entries.iter().position(|c| {
                in_force(c) && c.rule.is_match(&f.rule_id) && c.resource.is_match(&f.resource_id)
            });
            if let Some(i) = hit {
                used[i] = true;
                f.status = Status::Waived;
                f.waiver = Some(self.entries[i].waiver.clone());
            }
        }
        let mut outcome = Outcome {
            file: Some(self.file.clone()),
            ..Outcome::default()
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
        let (line, _) = line_column(&self.text, c.span.start);
        Warning {
            message: format!("{}:{line}: {message}", self.file),
            src: NamedSource::new(&self.file, self.text.clone()).with_language("toml"),
            span: SourceSpan::new(
                c.span.start.into(),
                c.span.end.saturating_sub(c.span.start).min(200),
            ),
            label: label.to_string(),
        }
    }
}
