//! Stage 5: one module per output format, all drawing from the same `Report`.

pub(crate) mod html;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod rule_doc;
pub(crate) mod sarif;
mod snippet;

use crate::findings::report::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
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

/// How a report is drawn, beyond its format.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Colour in human output.
    pub(crate) color: bool,
    /// The Markdown report never exceeds this (GitHub drops step summaries over 1 MiB).
    pub(crate) max_markdown_bytes: usize,
    /// Where IaC files can be seen online, for links to their lines.
    pub(crate) links: Option<Links>,
    /// Where the rules' pages are (`<url>/<rule id>.md`), for SARIF's `helpUri`.
    pub(crate) rule_docs_url: String,
}

/// The repository's files at the scanned commit: `{server}/{repository}/blob/{sha}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Links {
    pub(crate) blob: String,
}

impl Links {
    /// From GitHub Actions' `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and `GITHUB_SHA`. IaC
    /// paths are relative to the working directory `cwd`; when that is below the checkout
    /// (`GITHUB_WORKSPACE`, e.g. a `working-directory:`), the links add the way down.
    pub(crate) fn github(
        var: impl Fn(&str) -> Option<String>,
        cwd: Option<std::path::PathBuf>,
    ) -> Option<Links> {
        let (server, repo, sha) = (
            var("GITHUB_SERVER_URL")?,
            var("GITHUB_REPOSITORY")?,
            var("GITHUB_SHA")?,
        );
        let ok = |s: &str| !s.is_empty() && !s.contains(['"', '<', '>', ' ', ')']);
        if !(ok(&server) && ok(&repo) && ok(&sha)) {
            return None;
        }
        let mut blob = format!("{}/{repo}/blob/{sha}", server.trim_end_matches('/'));
        let below = var("GITHUB_WORKSPACE")
            .and_then(|w| std::path::Path::new(&w).canonicalize().ok())
            .zip(cwd.and_then(|c| c.canonicalize().ok()))
            .and_then(|(w, c)| c.strip_prefix(&w).ok().map(std::path::Path::to_path_buf));
        for part in below.iter().flat_map(|p| p.components()) {
            blob.push('/');
            blob.push_str(&part.as_os_str().to_string_lossy());
        }
        Some(Links { blob })
    }

    /// The address of `line` of `file` (a path relative to the working directory); `None`
    /// for a path outside it.
    pub(crate) fn line(&self, file: &str, line: usize) -> Option<String> {
        let relative = !file.starts_with('/') && !file.starts_with("..") && !file.contains('\\');
        relative.then(|| format!("{}/{}#L{line}", self.blob, file.trim_start_matches("./")))
    }
}

/// Renders `report` in `format`.
pub(crate) fn render(format: Format, report: &Report, opts: &Options) -> String {
    match format {
        Format::Human => human::render(report, opts.color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report, opts),
        Format::Markdown => markdown::render(report, opts),
        Format::Html => html::render(report, opts),
    }
}

/// Text from the estate or the files as a terminal may show it: control characters (an
/// escape sequence in a resource name could clear the screen and print anything) become
/// visible `\u{1b}` escapes. Newlines and tabs stay.
pub(crate) fn plain(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Short form of a resource group out of an ARM id, for listings.
pub(crate) fn resource_group(id: &str) -> Option<&str> {
    crate::sources::id_segment(id, "resourcegroups")
}

/// The order findings are read in: new ones first, then the most severe, then by rule and
/// resource (deterministic).
pub(crate) fn by_attention(
    a: &crate::findings::Finding,
    b: &crate::findings::Finding,
) -> std::cmp::Ordering {
    use crate::findings::Change;
    let old = |f: &crate::findings::Finding| f.change != Some(Change::New);
    old(a)
        .cmp(&old(b))
        .then(b.severity.cmp(&a.severity))
        .then_with(|| a.rule_id.cmp(&b.rule_id))
        .then_with(|| a.resource_id.cmp(&b.resource_id))
}

/// Scopes (subscriptions, files) least compliant first, then by name.
pub(crate) fn least_compliant_first(
    scopes: &[crate::findings::compliance::ScopeCompliance],
) -> Vec<&crate::findings::compliance::ScopeCompliance> {
    let mut sorted: Vec<_> = scopes.iter().collect();
    let share = |t: &crate::findings::compliance::Tally| t.percent().unwrap_or(100.0);
    sorted.sort_by(|a, b| {
        share(&a.resources)
            .total_cmp(&share(&b.resources))
            .then_with(|| a.scope.cmp(&b.scope))
    });
    sorted
}

/// The HTML entity a character of untrusted text must become in HTML (and in Markdown,
/// which passes HTML through), if any.
pub(crate) fn html_entity(c: char) -> Option<&'static str> {
    Some(match c {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => "&#39;",
        _ => return None,
    })
}
