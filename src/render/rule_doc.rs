//! A rule's documentation, generated from its metadata only: `docs/rules/<id>.md`, the
//! README's rule table and `kensa explain` are the same text, so they cannot drift.

use std::fmt::Write;

use crate::evaluate::Meta;

/// The page of one rule (Markdown; readable as plain text in a terminal).
pub(crate) fn page(m: &Meta) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# `{}` — {}\n", m.id, m.title);
    let _ = writeln!(
        out,
        "- severity: **{}**\n- applies to: {}\n",
        m.severity.as_str(),
        types(m, |t| t)
    );
    let _ = writeln!(out, "## How it is judged\n\n{}\n", wrap(&m.description));
    let _ = writeln!(out, "## Why it matters\n\n{}\n", wrap(&m.help));
    let _ = writeln!(out, "## Fix\n\n{}", wrap(&m.remediation));
    for (language, code) in &m.snippets {
        let fence = if language == "arm" {
            "json"
        } else {
            language.as_str()
        };
        let fence = if fence == "terraform" || fence == "packer" {
            "hcl"
        } else {
            fence
        };
        let _ = writeln!(out, "\nCorrected ({language}):\n\n```{fence}\n{code}\n```");
    }
    out
}

/// The README's table of rules, one row per rule, ordered by id.
pub(crate) fn table(rules: &[Meta]) -> String {
    let mut out = String::from("| Rule | Severity | Applies to | Title |\n|---|---|---|---|\n");
    for m in rules {
        let _ = writeln!(
            out,
            "| [`{id}`](docs/rules/{id}.md) | {} | {} | {} |",
            m.severity.as_str(),
            types(m, |t| t.rsplit('/').next().unwrap_or(t)),
            m.title.replace('|', "\\|"),
            id = m.id,
        );
    }
    out
}

/// The rule's resource types as code spans, each shown through `name`.
fn types(m: &Meta, name: impl Fn(&str) -> &str) -> String {
    m.resource_types
        .iter()
        .map(|t| format!("`{}`", name(t)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn wrap(text: &str) -> String {
    textwrap::fill(text, 96)
}
