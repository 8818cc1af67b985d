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

/// The findings rows embedded in the page.
fn data(page: &str) -> Vec<serde_json::Value> {
    let start = page.find("id=\"data\">").expect("the data element") + "id=\"data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str::<serde_json::Value>(&page[start..end])
        .expect("the data is JSON")
        .as_array()
        .unwrap()
        .clone()
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
    // The findings travel as data the page draws page by page.
    let rows = data(&page);
    assert_eq!(
        rows.len() as u64,
        json["summary"]["total"].as_u64().unwrap()
    );
    let fingerprints: Vec<&str> = rows.iter().filter_map(|r| r[10].as_str()).collect();
    for f in json["findings"].as_array().unwrap() {
        assert!(fingerprints.contains(&f["fingerprint"].as_str().unwrap()));
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
    // Untrusted text is data, drawn with textContent: markup in it cannot end the data
    // element (`</` is escaped) nor become HTML.
    let script = page.split("id=\"data\">").nth(1).unwrap();
    let script = &script[..script.find("</script>").unwrap()];
    assert!(!script.contains("</"));
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

/// Runs headless Chromium on `url` with a window `width` wide; the DOM after the scripts ran.
fn browse(browser: &str, dir: &std::path::Path, url: &str, width: u32, extra: &[&str]) -> String {
    let profile = dir.join(format!("profile-{width}-{}", extra.len()));
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
            "--allow-file-access-from-files",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={width},900"))
        .args(["--virtual-time-budget=3000"])
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        if out.status.success() {
            String::new()
        } else {
            String::from_utf8_lossy(&out.stderr).into_owned()
        }
    )
}

/// Width and height of a PNG file.
fn png_size(path: &std::path::Path) -> (u32, u32) {
    let b = std::fs::read(path).expect("a screenshot");
    assert_eq!(&b[1..4], b"PNG");
    let n = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (n(16), n(20))
}

#[test]
fn html_renders_in_headless_chromium_at_desktop_and_phone_widths() {
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
    let url = format!("file://{}", file.display());
    let dom = browse(browser, dir.path(), &url, 1400, &["--dump-dom"]);
    assert!(
        dom.contains("data-rendered=\"ok\""),
        "the page's script did not run:\n{dom}"
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
    assert_eq!(attr(&dom, "data-viewport"), "1400");
    assert_eq!(
        attr(&dom, "data-overflow"),
        "false",
        "the page is wider than the window"
    );
    for chart in [
        "id=\"machines\"",
        "id=\"resources\"",
        "id=\"rule-chart\"",
        "id=\"undecided\"",
    ] {
        assert!(dom.contains(chart), "{chart}");
    }
    // A phone: headless windows are at least 500 px wide, so the page is measured in a
    // 390 px frame; its own script reports the width it saw and whether it overflowed.
    let harness = dir.path().join("phone.html");
    std::fs::write(
        &harness,
        "<!DOCTYPE html><html><body style=\"margin:0\"><iframe id=\"f\" src=\"report.html\" style=\"width:390px;height:900px;border:0\"></iframe>\
<script>document.getElementById('f').addEventListener('load',()=>{const d=document.getElementById('f').contentDocument.body.dataset;\
document.body.dataset.viewport=d.viewport;document.body.dataset.overflow=d.overflow;document.body.dataset.rendered=d.rendered;});</script></body></html>",
    )
    .unwrap();
    let phone = browse(
        browser,
        dir.path(),
        &format!("file://{}", harness.display()),
        1000,
        &["--dump-dom"],
    );
    assert_eq!(attr(&phone, "data-rendered"), "ok", "{phone}");
    assert_eq!(attr(&phone, "data-viewport"), "390");
    assert_eq!(
        attr(&phone, "data-overflow"),
        "false",
        "the page scrolls sideways on a phone"
    );
    // Real inputs' long ids and paths (Checkov's test cases) wrap instead of widening the page.
    if let Some(real) = shared("checkov-cases") {
        let page = dir.path().join("real.html");
        kensa(&[
            "iac",
            real.to_str().unwrap(),
            "--fail-on",
            "none",
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
        ]);
        let dom = browse(
            browser,
            dir.path(),
            &format!("file://{}", page.display()),
            1400,
            &["--dump-dom"],
        );
        assert_eq!(attr(&dom, "data-rendered"), "ok");
        assert_eq!(
            attr(&dom, "data-overflow"),
            "false",
            "real templates widen the page"
        );
    }
    for width in [1400u32, 390] {
        let shot = dir.path().join(format!("shot-{width}.png"));
        browse(
            browser,
            dir.path(),
            &url,
            width,
            &[&format!("--screenshot={}", shot.display())],
        );
        assert_eq!(png_size(&shot), (width, 900));
        // Not a blank page: a rendered report compresses to tens of kilobytes.
        assert!(
            std::fs::metadata(&shot).unwrap().len() > 10_000,
            "{width}: blank screenshot"
        );
    }
}
