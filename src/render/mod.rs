//! Stage 5: one module per output format, all drawing from the same `Report`.

pub mod html;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;
mod snippet;

use crate::evaluate::Rule;
use crate::findings::report::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Grouped, coloured text for a terminal.
    Human,
    /// `kensa.report/v1`, for machines and for baselines.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// A summary and findings for a PR comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// One self-contained HTML page with filters.
    Html,
}

/// Renders `report` in `format`; `rules` are the rules that were evaluated.
pub fn render(format: Format, report: &Report, rules: &[&Rule], color: bool) -> String {
    match format {
        Format::Human => human::render(report, color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report, rules),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
    }
}

/// Short form of a resource group out of an ARM id, for listings.
pub fn resource_group(id: &str) -> Option<&str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("resourcegroups") {
            return parts.next();
        }
    }
    None
}
