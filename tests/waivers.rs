//! Waivers: owner, reason and expiry required; expired ones stop suppressing and are
//! reported at their line; unused and soon-ending ones are listed; waived findings stay in
//! every report.

mod common;
use common::*;

fn write(dir: &tempfile::TempDir, text: &str) -> String {
    let p = dir.path().join("kensa-waivers.toml");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const SSH_WAIVER: &str = r#"
[[waiver]]
rule = "network.nsg-open-management-port"
resource = "/subscriptions/*/resourceGroups/rg-web/providers/Microsoft.Network/networkSecurityGroups/nsg-web-02"
reason = "green slot debugging, INC-1"
owner = "web-team@contoso.com"
expires = 2026-11-25
"#;

#[test]
fn waiver_in_force_marks_the_finding_waived_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let w = write(&dir, SSH_WAIVER);
    let r = scan_json(&["--demo", "--waivers", &w]);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource_name"] == "nsg-web-02")
        .unwrap()
        .clone();
    assert_eq!(f["status"], "waived");
    assert_eq!(f["waiver"]["owner"], "web-team@contoso.com");
    assert!(
        f["waiver"]["at"]
            .as_str()
            .unwrap()
            .ends_with("kensa-waivers.toml:2"),
        "{}",
        f["waiver"]["at"]
    );
    assert_eq!(r["summary"]["waived"], 1);
    assert_eq!(
        r["summary"]["total"].as_u64().unwrap(),
        r["summary"]["open"].as_u64().unwrap() + 1
    );
    // Ending within 14 days of the demo's instant (Nov 20th → Nov 25th).
    assert_eq!(r["waivers"]["expiring"].as_array().unwrap().len(), 1);
    let sarif = stdout(&kensa(&[
        "scan",
        "--demo",
        "--waivers",
        &w,
        "--format",
        "sarif",
        "--fail-on",
        "none",
    ]));
    assert!(
        sarif.contains("\"kind\": \"external\"") && sarif.contains("green slot debugging"),
        "SARIF suppression"
    );
}

#[test]
fn waived_findings_do_not_fail_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kensa.toml");
    std::fs::write(&cfg, "[rules]\ndisable = [\"disk.encryption\", \"image.age\", \"image.approved-source\", \"image.pinned-version\", \"network.jit-required\", \"network.vm-exposed-management-port\", \"patch.age\", \"patch.assessment-mode\", \"patch.assessment-stale\"]\n").unwrap();
    let all = "[[waiver]]\nrule = \"network.*\"\nresource = \"**\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2027-01-01\n";
    let w = write(&dir, all);
    let c = cfg.display().to_string();
    assert_eq!(
        code(&kensa(&["scan", "--demo", "--config", &c, "--waivers", &w])),
        0
    );
    assert_eq!(
        code(&kensa(&[
            "scan",
            "--demo",
            "--config",
            &c,
            "--waivers",
            &write(&dir, "")
        ])),
        1
    );
}

#[test]
fn expired_waiver_no_longer_suppresses_and_is_reported_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let w = write(&dir, SSH_WAIVER);
    let o = kensa(&[
        "scan",
        "--demo",
        "--waivers",
        &w,
        "--format",
        "json",
        "--fail-on",
        "none",
        "--now",
        "2026-11-26T00:00:00Z",
    ]);
    assert_eq!(code(&o), 0);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["summary"]["waived"], 0);
    assert_eq!(r["waivers"]["expired"][0]["owner"], "web-team@contoso.com");
    let err = stderr(&o);
    assert!(
        err.contains("kensa-waivers.toml:2: waiver for") && err.contains("expired on 2026-11-25"),
        "{err}"
    );
}

#[test]
fn unused_waiver_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let w = write(&dir, &SSH_WAIVER.replace("nsg-web-02", "nsg-gone"));
    let o = kensa(&[
        "scan",
        "--demo",
        "--waivers",
        &w,
        "--format",
        "json",
        "--fail-on",
        "none",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["waivers"]["unused"].as_array().unwrap().len(), 1);
    assert!(stderr(&o).contains("matched no finding"), "{}", stderr(&o));
}

#[test]
fn required_fields_are_errors_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    for (drop, field) in [
        ("reason = ", "`reason` is required"),
        ("owner = ", "`owner` is required"),
        ("expires = ", "`expires` is required"),
    ] {
        let text: String = SSH_WAIVER
            .lines()
            .filter(|l| !l.starts_with(drop))
            .map(|l| format!("{l}\n"))
            .collect();
        let w = write(&dir, &format!("# header\n{text}"));
        let o = kensa(&["scan", "--demo", "--waivers", &w]);
        assert_eq!(code(&o), 2, "{field}");
        let err = stderr(&o);
        assert!(
            err.contains(field) && err.contains("kensa-waivers.toml:3:"),
            "{err}"
        );
    }
    // Permanent waivers only when allowed.
    let text: String = SSH_WAIVER
        .lines()
        .filter(|l| !l.starts_with("expires"))
        .map(|l| format!("{l}\n"))
        .collect();
    let w = write(&dir, &text);
    let r = scan_json(&["--demo", "--waivers", &w, "--allow-permanent-waivers"]);
    assert_eq!(r["summary"]["waived"], 1);
}

#[test]
fn malformed_waiver_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let w = write(&dir, "[[waiver]]\nrule = \"x\"\nresourse = \"y\"\n");
    let o = kensa(&["scan", "--demo", "--waivers", &w]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown field `resourse`")
            && stderr(&o).contains("kensa-waivers.toml:3:"),
        "{}",
        stderr(&o)
    );
    let w = write(
        &dir,
        SSH_WAIVER.replace("2026-11-25", "\"next week\"").as_str(),
    );
    let o = kensa(&["scan", "--demo", "--waivers", &w]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("is not a date"), "{}", stderr(&o));
}

#[test]
fn star_stays_within_a_segment_and_globs_ignore_case() {
    let dir = tempfile::tempdir().unwrap();
    let narrow = SSH_WAIVER.replace("/subscriptions/*/resourceGroups/rg-web/providers/Microsoft.Network/networkSecurityGroups/nsg-web-02", "/subscriptions/*/RESOURCEGROUPS/RG-WEB/*");
    let r = scan_json(&["--demo", "--waivers", &write(&dir, &narrow)]);
    assert_eq!(r["summary"]["waived"], 0, "`*` must not cross `/`");
    let deep = SSH_WAIVER.replace("/subscriptions/*/resourceGroups/rg-web/providers/Microsoft.Network/networkSecurityGroups/nsg-web-02", "/subscriptions/*/RESOURCEGROUPS/RG-WEB/**");
    let r = scan_json(&["--demo", "--waivers", &write(&dir, &deep)]);
    assert_eq!(r["summary"]["waived"], 1);
}

#[test]
fn waiver_file_beside_the_config_is_found() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, SSH_WAIVER);
    let cfg = dir.path().join("kensa.toml");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(fixture("demo/kensa.toml")).unwrap(),
    )
    .unwrap();
    let r = scan_json(&["--demo", "--config", &cfg.display().to_string()]);
    assert_eq!(
        r["waivers"]["file"].as_str().unwrap(),
        dir.path().join("kensa-waivers.toml").display().to_string()
    );
    assert_eq!(r["summary"]["waived"], 1);
}
