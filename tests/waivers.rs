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
        "--allow-partial",
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
        std::fs::read_to_string(demo_file("kensa.toml")).unwrap(),
    )
    .unwrap();
    let r = scan_json(&["--demo", "--config", &cfg.display().to_string()]);
    assert_eq!(
        r["waivers"]["file"].as_str().unwrap(),
        dir.path().join("kensa-waivers.toml").display().to_string()
    );
    assert_eq!(r["summary"]["waived"], 1);
}

/// `kensa iac` on the inline-waiver fixtures: (rule, port, status, waiver line) and stderr.
fn inline_scan(extra: &[&str]) -> (serde_json::Value, String, i32) {
    let dir = fixture("iac/waived");
    let mut args = vec![
        "iac",
        dir.as_str(),
        "--now",
        "2026-11-22T00:00:00Z",
        "--format",
        "json",
        "--fail-on",
        "none",
    ];
    args.extend_from_slice(extra);
    let o = kensa(&args);
    (
        serde_json::from_slice(&o.stdout).unwrap_or_default(),
        stderr(&o),
        code(&o),
    )
}

#[test]
fn inline_waivers_in_iac_follow_the_same_rules() {
    let (r, err, rc) = inline_scan(&[]);
    assert_eq!(rc, 0, "{err}");
    let status = |rule: &str, port: Option<u64>| -> String {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule && f["evidence"]["port"].as_u64() == port)
            .map(|f| f["status"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    // A comment on the line above the offending value waives it…
    assert_eq!(
        status("network.nsg-open-management-port", Some(22)),
        "waived"
    );
    // …an expired one does not, and is reported at its line…
    assert_eq!(
        status("network.nsg-open-management-port", Some(3389)),
        "open"
    );
    assert!(
        err.contains("bastion.json:26: waiver") && err.contains("expired on 2026-10-01"),
        "{err}"
    );
    // …a comment inside a resource covers a finding about the resource as a whole…
    assert_eq!(status("disk.encryption", None), "waived");
    // …one that matches nothing is unused, and one ending soon is listed.
    assert!(
        err.contains("bastion.json:34: waiver for `network.*`")
            && err.contains("matched no finding"),
        "{err}"
    );
    let at = |list: &str| -> Vec<String> {
        r["waivers"][list]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                w["at"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(at("expiring"), ["main.tf:7"]);
    assert_eq!(at("unused"), ["bastion.json:34"]);
    let waived = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "waived" && f["rule_id"] == "network.nsg-open-management-port")
        .unwrap();
    assert_eq!(waived["waiver"]["owner"], "platform@contoso.com");
    assert_eq!(waived["waiver"]["ticket"], "PLAT-1234");
    // SARIF marks them as in-source suppressions.
    let o = kensa(&[
        "iac",
        &fixture("iac/waived"),
        "--now",
        "2026-11-22T00:00:00Z",
        "--format",
        "sarif",
        "--fail-on",
        "none",
    ]);
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["suppressions"][0]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["inSource", "inSource"]);
}

#[test]
fn an_inline_waiver_without_owner_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"azurerm_managed_disk\" \"d\" {\n  name = \"d\" # kensa:ignore disk.encryption reason=\"scratch\" expires=2027-01-01\n  resource_group_name = \"rg\"\n}\n",
    )
    .unwrap();
    let o = kensa(&["iac", dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("main.tf:2:") && err.contains("`owner` is required"),
        "{err}"
    );
}
