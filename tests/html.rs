//! The HTML report: self-contained, numbers equal to the JSON report's, and it renders and
//! runs its script in a real headless Chromium (Debian's `chromium`, installed by test.sh).

mod common;
use common::*;

use std::process::Command;

fn html(args: &[&str]) -> String {
    let mut all = vec![
        "scan",
        "--demo",
        "--fail-on",
        "none",
        "--allow-partial",
        "--format",
        "html",
    ];
    all.extend_from_slice(args);
    let o = kensa(&all);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o)
}

fn attr(text: &str, name: &str) -> String {
    let at = text
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("{name} missing"))
        + name.len()
        + 2;
    text[at..at + text[at..].find('"').unwrap()].to_string()
}

#[test]
fn html_is_self_contained_and_matches_the_json_report() {
    let page = html(&[]);
    let json = demo_json();
    for external in ["<link", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!page.contains(external), "external asset: {external}");
    }
    assert_eq!(
        attr(&page, "data-open"),
        json["summary"]["open"].to_string()
    );
    assert_eq!(
        attr(&page, "data-waived"),
        json["summary"]["waived"].to_string()
    );
    let rows = page.matches("<tr data-severity=").count();
    assert_eq!(rows as u64, json["summary"]["total"].as_u64().unwrap());
    for f in json["findings"].as_array().unwrap() {
        assert!(page.contains(&format!(
            "data-fingerprint=\"{}\"",
            f["fingerprint"].as_str().unwrap()
        )));
    }
    for section in [
        "id=\"by-rule\"",
        "id=\"by-scope\"",
        "id=\"rollout\"",
        "id=\"findings\"",
        "id=\"f-sev\"",
    ] {
        assert!(page.contains(section), "{section}");
    }
    // Untrusted text is escaped.
    assert!(
        !page.contains("<disk encryption set id>")
            && page.contains("&lt;disk encryption set id&gt;")
    );
}

#[test]
fn html_shows_what_changed_with_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let o = kensa(&[
        "scan",
        "--demo",
        "--now",
        "2026-09-30T00:00:00Z",
        "--format",
        "json",
        "--fail-on",
        "none",
        "-o",
        &old.display().to_string(),
    ]);
    assert_eq!(code(&o), 3, "incomplete: the demo has undecided checks");
    let page = html(&["--baseline", &old.display().to_string()]);
    assert!(page.contains("<b>4 new</b>"), "changes section");
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn html_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium on this machine (test.sh installs Debian's package when run as root)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    let o = kensa(&[
        "scan",
        "--demo",
        "--fail-on",
        "none",
        "--format",
        "html",
        "-o",
        &file.display().to_string(),
    ]);
    assert_eq!(code(&o), 3, "incomplete: the demo has undecided checks");
    let profile = dir.path().join("profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=2000", "--dump-dom"])
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("data-rendered=\"ok\""),
        "the page's script did not run:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = demo_json();
    // Counted by the page's own script in the browser.
    assert_eq!(
        attr(&dom, "data-open-rows"),
        json["summary"]["open"].to_string()
    );
    assert!(
        dom.contains(&format!(
            "<span id=\"shown\">{}</span>",
            json["summary"]["total"]
        )),
        "filter count"
    );
}
