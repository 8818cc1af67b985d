//! Every output format of the demo scan, snapshotted; the SARIF validated against the OASIS
//! schema; the formats agreeing with each other.

mod common;
use common::*;

fn demo(format: &str) -> String {
    let o = kensa(&[
        "scan",
        "--demo",
        "--now",
        NOW,
        "--format",
        format,
        "--fail-on",
        "none",
    ]);
    // Incomplete: two of the demo's checks are undecided by design.
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    stdout(&o)
}

fn versionless(text: String) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

#[test]
fn json_report_snapshot() {
    insta::assert_snapshot!("demo.json", versionless(demo("json")));
}

#[test]
fn sarif_report_snapshot() {
    insta::assert_snapshot!("demo.sarif", versionless(demo("sarif")));
}

#[test]
fn markdown_report_snapshot() {
    insta::assert_snapshot!("demo.md", versionless(demo("markdown")));
}

#[test]
fn human_report_snapshot() {
    let text = demo("human");
    for line in text.lines() {
        // Fix commands (indented six) stay on one line so they can be copied.
        assert!(
            line.chars().count() <= 80 || line.starts_with("      "),
            "wider than 80 columns: {line}"
        );
    }
    insta::assert_snapshot!("demo.human", text);
}

#[test]
fn output_is_deterministic() {
    assert_eq!(demo("json"), demo("json"));
    assert_eq!(demo("sarif"), demo("sarif"));
}

#[test]
fn sarif_validates_against_the_oasis_schema() {
    let Some(path) = shared("sarif/sarif-schema-2.1.0.json") else {
        return;
    };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the OASIS schema compiles");
    let sarif: serde_json::Value = serde_json::from_str(&demo("sarif")).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
    // The validator is not vacuous: a result without a message is rejected.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_meets_github_ingestion_rules() {
    let sarif: serde_json::Value = serde_json::from_str(&demo("sarif")).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), rule_ids().len());
    for r in rules {
        for field in ["shortDescription", "fullDescription", "help"] {
            let text = r[field]["text"].as_str().unwrap();
            assert!(
                !text.is_empty() && text.chars().count() <= 1024,
                "{field} of {}",
                r["id"]
            );
        }
        assert!(r["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains(r["id"].as_str().unwrap()));
        let score: f64 = r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.1..=10.0).contains(&score));
        assert!(r["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("security")));
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for res in results {
        let id = res["ruleId"].as_str().unwrap();
        assert_eq!(rules[res["ruleIndex"].as_u64().unwrap() as usize]["id"], id);
        let hash = res["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        assert!(hash.len() == 18 && hash.ends_with(":1"), "{hash}");
        let loc = &res["locations"][0];
        let full = loc["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        assert!(
            res["message"]["text"].as_str().unwrap().contains(full),
            "message names the resource"
        );
        let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert_eq!(
            uri,
            format!("azure/{}", full.trim_start_matches('/').to_lowercase())
        );
        assert!(
            loc["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }
    assert_eq!(run["automationDetails"]["id"], "kensa/live/");
}

#[test]
fn formats_agree_on_the_findings() {
    let json: serde_json::Value = serde_json::from_str(&demo("json")).unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&demo("sarif")).unwrap();
    let from_json: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    let from_sarif: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["kensa/v1"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(from_json, from_sarif);
    let md = demo("markdown");
    let open = json["summary"]["open"].as_u64().unwrap();
    assert!(md.contains(&format!("{open} open finding(s)")), "{md}");
}

/// A report of `n` VMs' findings, made from the demo's (ids, names and fingerprints made
/// unique): the size a 20,000-VM estate gives, without scanning one in a test.
fn large_report(n: usize) -> serde_json::Value {
    let mut r = demo_json();
    let base: Vec<serde_json::Value> = r["findings"].as_array().unwrap().clone();
    let mut all = Vec::with_capacity(n * base.len() / 9);
    for vm in 0..n / 9 {
        for f in &base {
            let mut f = f.clone();
            for k in ["resource_id", "resource_name", "fingerprint", "message"] {
                let v = format!("{}-{vm}", f[k].as_str().unwrap_or_default());
                f[k] = serde_json::Value::String(v);
            }
            all.push(f);
        }
    }
    r["summary"]["open"] = all.len().into();
    r["findings"] = serde_json::Value::Array(all);
    r
}

#[test]
fn markdown_fits_its_budget_at_twenty_thousand_vms_with_new_findings_first() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    std::fs::write(&old, demo_json().to_string()).unwrap();
    std::fs::write(&new, large_report(20_000).to_string()).unwrap();
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    for budget in [1_000_000usize, 65_536] {
        let o = kensa(&[
            "diff",
            old,
            new,
            "--format",
            "markdown",
            "--fail-on",
            "none",
            "--max-markdown-bytes",
            &budget.to_string(),
        ]);
        let md = stdout(&o);
        assert!(
            md.len() <= budget,
            "{} bytes for a budget of {budget}",
            md.len()
        );
        assert!(md.contains("open finding(s) not shown"), "{budget}");
        // The findings the baseline did not have come first.
        let rows: Vec<&str> = md
            .lines()
            .filter(|l| l.starts_with("| 🆕") || l.starts_with("|  |"))
            .collect();
        assert!(
            rows.first().is_some_and(|r| r.starts_with("| 🆕")),
            "{budget}"
        );
        // Prose is never inside a shell block.
        let mut in_sh = false;
        for l in md.lines() {
            if l.starts_with("```sh") {
                in_sh = true;
            } else if l.starts_with("```") {
                in_sh = false;
            } else if in_sh {
                assert!(
                    l.starts_with("az ") || l.starts_with('#'),
                    "prose in a shell block: {l}"
                );
            }
        }
    }
}

#[test]
fn iac_findings_carry_file_and_line_linked_on_github_in_markdown_and_html() {
    let run = |format: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_kensa"))
            .args([
                "iac",
                "fixtures/iac/arm",
                "--fail-on",
                "none",
                "--format",
                format,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("GITHUB_SERVER_URL", "https://github.example")
            .env("GITHUB_REPOSITORY", "contoso/platform")
            .env("GITHUB_SHA", "0123abc")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let md = run("markdown");
    assert!(md.contains("| File |"), "{md}");
    assert!(
        md.contains("](https://github.example/contoso/platform/blob/0123abc/fixtures/iac/arm/"),
        "{md}"
    );
    // Grouped by file: no made-up subscription or resource group in the findings' rows.
    for row in md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("fixtures/iac/arm/"))
    {
        assert!(!row.contains("00000000-0000"), "{row}");
    }
    let html = run("html");
    // The page's data carries each finding's file:line and its link.
    assert!(
        html.contains("\"https://github.example/contoso/platform/blob/0123abc/fixtures/iac/arm/"),
        "{html}"
    );
    assert!(html.contains("<th>File</th>"));
    // From a subdirectory of the checkout (a workflow's `working-directory:`), links still
    // name the file from the repository root.
    let root = env!("CARGO_MANIFEST_DIR");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(["iac", ".", "--fail-on", "none", "--format", "markdown"])
        .current_dir(format!("{root}/fixtures/iac/snippets"))
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "contoso/platform")
        .env("GITHUB_SHA", "0123abc")
        .env("GITHUB_WORKSPACE", root)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(
        md.contains("](https://github.example/contoso/platform/blob/0123abc/fixtures/iac/snippets/main.tf#L"),
        "{md}"
    );
}

#[test]
fn a_report_over_two_subscriptions_names_them_and_every_fix_targets_its_own() {
    let second = "9b1c0d2e-3f4a-4b5c-8d6e-7f8091a2b3c4";
    let text = std::fs::read_to_string(demo_file("estate.json")).unwrap();
    let mut body: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Everything in rg-legacy moves to a second subscription (ids and references alike).
    let moved = serde_json::to_string(&body["data"]).unwrap().replace(
        "3f2a6d7e-1c4b-4e8a-9d2f-7a1b5c9e0d11/resourceGroups/rg-legacy",
        &format!("{second}/resourceGroups/rg-legacy"),
    );
    body["data"] = serde_json::from_str(&moved).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let estate = dir.path().join("estate.json");
    std::fs::write(&estate, body.to_string()).unwrap();
    let e = estate.to_str().unwrap();
    let cfg = demo_file("kensa.toml");
    let md = stdout(&scan_as_demo(e, &["--format", "markdown"]));
    assert!(
        md.contains("| Subscription |") && md.contains(second),
        "{md}"
    );
    assert!(md.contains("### Compliance by subscription"), "{md}");
    let human = stdout(&scan_as_demo(e, &["--color", "never"]));
    assert!(
        human.contains(&format!("rg-legacy, subscription {second}")),
        "{human}"
    );
    let json = scan_json(&["--snapshot", e, "--config", &cfg, "--now", NOW]);
    let mut commands = 0;
    for f in json["findings"].as_array().unwrap() {
        let Some(cmd) = f["remediation"]["command"].as_str() else {
            continue;
        };
        let sub = f["resource_id"]
            .as_str()
            .unwrap()
            .split('/')
            .nth(2)
            .unwrap();
        for part in cmd.split("  #").next().unwrap().split(" && ") {
            if part.starts_with("az ") && !part.starts_with("az rest") {
                assert!(part.contains(&format!("--subscription {sub}")), "{part}");
                commands += 1;
            }
        }
    }
    assert!(commands > 10, "{commands}");
}

#[test]
fn sarif_rules_link_their_pages_and_diff_shows_only_what_changed() {
    let sarif: serde_json::Value = serde_json::from_slice(
        &kensa(&[
            "scan",
            "--demo",
            "--format",
            "sarif",
            "--fail-on",
            "none",
            "--rule-docs-url",
            "https://docs.example/rules/",
        ])
        .stdout,
    )
    .unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.iter().all(|r| r["helpUri"].as_str()
        == Some(&format!(
            "https://docs.example/rules/{}.md",
            r["id"].as_str().unwrap()
        ))));
    // A diff lists the new findings only, and warns across kinds of scan.
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    let iac = dir.path().join("iac.json");
    for (path, args) in [
        (
            &old,
            vec!["scan", "--demo", "--now", "2026-09-30T00:00:00Z"],
        ),
        (&new, vec!["scan", "--demo"]),
        (&iac, vec!["iac", "fixtures/iac/arm"]),
    ] {
        let mut a = args.clone();
        a.extend([
            "--format",
            "json",
            "--fail-on",
            "none",
            "-o",
            path.to_str().unwrap(),
        ]);
        kensa_in(env!("CARGO_MANIFEST_DIR"), &a);
    }
    // Text formats list the new findings only; JSON stays whole (the next baseline).
    let (o, n) = (old.to_str().unwrap(), new.to_str().unwrap());
    let md = stdout(&kensa(&[
        "diff",
        o,
        n,
        "--format",
        "markdown",
        "--fail-on",
        "none",
    ]));
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| 🆕")).count(),
        4,
        "{md}"
    );
    assert!(
        !md.lines().any(|l| l.starts_with("|  | ")),
        "a persisting finding is listed: {md}"
    );
    let d: serde_json::Value = serde_json::from_slice(
        &kensa(&["diff", o, n, "--format", "json", "--fail-on", "none"]).stdout,
    )
    .unwrap();
    assert_eq!(
        d["findings"].as_array().unwrap().len() as u64,
        d["summary"]["total"].as_u64().unwrap()
    );
    // Reversed arguments are pointed out.
    let r = kensa(&["diff", n, o, "--fail-on", "none"]);
    assert!(
        stderr(&r).contains("arguments are OLD NEW"),
        "{}",
        stderr(&r)
    );
    let o = kensa(&[
        "diff",
        old.to_str().unwrap(),
        iac.to_str().unwrap(),
        "--fail-on",
        "none",
    ]);
    assert!(
        stderr(&o).contains("warning") && stderr(&o).contains("infrastructure as code"),
        "{}",
        stderr(&o)
    );
    // --fail-on-new needs a baseline.
    assert_eq!(code(&kensa(&["scan", "--demo", "--fail-on-new"])), 2);
}

#[test]
fn fix_snippets_fit_their_finding_port_os_and_resource() {
    let r = iac_json(&[&fixture("iac/snippets")]);
    let snippet = |rule: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule)
            .and_then(|f| f["remediation"]["snippet"]["code"].as_str())
            .unwrap_or_else(|| panic!("{rule} has a snippet"))
            .to_string()
    };
    // An RDP rule is rewritten as itself, not as an SSH rule on 22.
    let nsg = snippet("network.nsg-open-management-port");
    assert!(
        nsg.starts_with("# fixes nsg-web (") && nsg.contains("main.tf:"),
        "{nsg}"
    );
    assert!(
        nsg.contains("\"rdp-anywhere\"") && nsg.contains("\"3389\"") && !nsg.contains("\"22\""),
        "{nsg}"
    );
    // A Windows build is pinned to a Windows Server version, not an Ubuntu one.
    let base = snippet("packer.base-image-pinned");
    assert!(
        base.contains("MicrosoftWindowsServer") && !base.contains("Canonical"),
        "{base}"
    );
    let dest = snippet("packer.publishes-to-gallery");
    assert!(
        dest.contains("\"win2022-golden\"") && !dest.contains("ubuntu"),
        "{dest}"
    );
}
