//! `kensa iac` on the real ARM templates in ../shared/external/arm-templates, scored
//! against their hand labels (GROUND_TRUTH.csv), and the SARIF an IaC scan produces.

mod common;

use std::collections::BTreeMap;

use common::*;

/// The template folder a location or resource belongs to.
fn template_of(file: &str) -> String {
    let parts: Vec<&str> = file.split('/').collect();
    parts[parts.len().saturating_sub(2)].to_string()
}

/// (template, port) → "YES" | "NO" | "UNKNOWN" as kensa's report says.
fn verdicts(report: &serde_json::Value) -> BTreeMap<(String, u64), &'static str> {
    let mut out = BTreeMap::new();
    for f in report["findings"].as_array().expect("findings") {
        if f["rule_id"] == "network.nsg-open-management-port" && f["status"] == "open" {
            let t = template_of(
                f["location"]["file"]
                    .as_str()
                    .expect("IaC findings have a file"),
            );
            let port = f["evidence"]["port"].as_u64().expect("port");
            out.insert((t, port), "YES");
        }
    }
    for u in report["coverage"]["undecided"]
        .as_array()
        .expect("undecided")
    {
        if u["rule_id"] == "network.nsg-open-management-port" {
            let t = template_of(u["location"]["file"].as_str().unwrap_or_default());
            for port in [22, 3389] {
                if u["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with(&format!("port {port}:"))
                {
                    out.entry((t.clone(), port)).or_insert("UNKNOWN");
                }
            }
        }
    }
    out
}

fn labels() -> Option<Vec<BTreeMap<String, String>>> {
    let path = shared("arm-templates/GROUND_TRUTH.csv")?;
    let text = std::fs::read_to_string(path).expect("readable");
    let mut rows = parse_csv(&text).into_iter();
    let head = rows.next().expect("header");
    Some(
        rows.map(|r| head.iter().cloned().zip(r).collect())
            .collect(),
    )
}

/// RFC 4180 fields (quotes, doubled quotes, commas inside quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) => {}
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Scores one column pair of the labels against kensa; returns the disagreements.
fn score(
    report: &serde_json::Value,
    rows: &[BTreeMap<String, String>],
    ssh: &str,
    rdp: &str,
) -> Vec<String> {
    let got = verdicts(report);
    let mut wrong = Vec::new();
    let mut scored = 0;
    for row in rows {
        let t = &row["template"];
        for (col, port) in [(ssh, 22u64), (rdp, 3389u64)] {
            let label = row[col].trim();
            let expected = match label {
                l if l.starts_with("YES") => "YES",
                l if l.starts_with("NO") => "NO",
                l if l.starts_with("UNRESOLVABLE") => "UNKNOWN",
                other => panic!("unexpected label {other:?} for {t} {col}"),
            };
            let actual = got.get(&(t.clone(), port)).copied().unwrap_or("NO");
            scored += 1;
            if actual != expected {
                wrong.push(format!(
                    "{t} port {port} ({col}): label {expected}, kensa {actual}"
                ));
            }
        }
    }
    assert!(scored >= 40, "only {scored} verdicts scored");
    wrong
}

#[test]
fn ground_truth_with_template_defaults() {
    let (Some(rows), Some(dir)) = (labels(), shared("arm-templates")) else {
        return;
    };
    let report = iac_json(&[dir.to_str().expect("utf-8"), "--no-parameter-files"]);
    let wrong = score(
        &report,
        &rows,
        "ssh_22_with_template_defaults",
        "rdp_3389_with_template_defaults",
    );
    assert!(wrong.is_empty(), "disagreements:\n{}", wrong.join("\n"));
}

#[test]
fn ground_truth_with_parameter_files() {
    let (Some(rows), Some(dir)) = (labels(), shared("arm-templates")) else {
        return;
    };
    // Parameters files beside the templates are picked up by default.
    let report = iac_json(&[dir.to_str().expect("utf-8")]);
    let wrong = score(
        &report,
        &rows,
        "ssh_22_with_params_file",
        "rdp_3389_with_params_file",
    );
    assert!(wrong.is_empty(), "disagreements:\n{}", wrong.join("\n"));
}

#[test]
fn findings_point_at_the_offending_line() {
    let Some(dir) = shared("arm-templates/vm-simple-linux") else {
        return;
    };
    // Named on its own, the compiled template is read (its Bicep source is not in the scan).
    let report = iac_json(&[dir.join("azuredeploy.json").to_str().expect("utf-8")]);
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "network.nsg-open-management-port")
        .expect("SSH is open in vm-simple-linux");
    let loc = &f["location"];
    let text = std::fs::read_to_string(dir.join("azuredeploy.json")).expect("readable");
    let line = text
        .lines()
        .nth(loc["line"].as_u64().expect("line") as usize - 1)
        .expect("the line exists");
    assert!(
        line.contains("destinationPortRange") && line.contains("22"),
        "points at {line:?}"
    );
    let pinned = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "image.pinned-version")
        .expect("the image is not pinned");
    let line = text
        .lines()
        .nth(pinned["location"]["line"].as_u64().expect("line") as usize - 1)
        .expect("the line exists");
    // The reference is one expression over a variable: the finding points at it.
    assert!(
        line.contains("\"version\"") || line.contains("imageReference"),
        "points at {line:?}"
    );
    // The folder holds the Bicep source: it is read instead, and the finding points at the
    // line of main.bicep the engineer edits.
    let report = iac_json(&[dir.to_str().expect("utf-8")]);
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "network.nsg-open-management-port")
        .expect("SSH is open in vm-simple-linux");
    assert!(f["location"]["file"]
        .as_str()
        .unwrap()
        .ends_with("main.bicep"));
    let bicep = std::fs::read_to_string(dir.join("main.bicep")).expect("readable");
    let line = bicep
        .lines()
        .nth(f["location"]["line"].as_u64().expect("line") as usize - 1)
        .expect("the line exists");
    assert!(
        line.contains("destinationPortRange") && line.contains("22"),
        "points at {line:?}"
    );
    let skipped = report["coverage"]["skipped"].to_string();
    assert!(
        skipped.contains("azuredeploy.json") && skipped.contains("compiled from"),
        "{skipped}"
    );
    assert_eq!(
        report["coverage"]["resources"].as_u64(),
        Some(6),
        "once, from main.bicep"
    );
}

#[test]
fn unresolvable_parameters_are_unknown_not_pass_or_fail() {
    let Some(dir) = shared("arm-templates/vm-from-sig") else {
        return;
    };
    let report = iac_json(&[dir.to_str().expect("utf-8"), "--no-parameter-files"]);
    let undecided = report["coverage"]["undecided"]
        .as_array()
        .expect("undecided");
    assert!(
        undecided
            .iter()
            .any(|u| u["rule_id"] == "image.pinned-version"
                && u["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("galleryName")),
        "{undecided:?}"
    );
    assert!(flagged(&report, "image.pinned-version").is_empty());
    // With its parameters file the reference resolves: a version name is given.
    let report = iac_json(&[dir.to_str().expect("utf-8")]);
    assert!(flagged(&report, "image.pinned-version").is_empty());
    assert!(!report["coverage"]["undecided"]
        .as_array()
        .expect("undecided")
        .iter()
        .any(|u| u["rule_id"] == "image.pinned-version"));
}

#[test]
fn ade_disable_encrypts_nothing_and_linked_templates_are_listed() {
    let Some(dir) = shared("arm-templates") else {
        return;
    };
    let report = iac_json(&[dir.to_str().expect("utf-8")]);
    // decrypt-running-windows-vm targets a VM outside the files: no finding at all.
    assert!(!report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["location"]["file"]
            .as_str()
            .unwrap_or_default()
            .contains("decrypt-running")));
    // encrypt-running-vmss-linux: VolumeType Data leaves the OS disk without encryption.
    let vmss = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| {
            f["rule_id"] == "disk.encryption"
                && f["location"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("encrypt-running-vmss-linux")
        })
        .expect("the OS disk is not covered");
    assert!(vmss["message"]
        .as_str()
        .unwrap_or_default()
        .contains("OS disk"));
    // ...and it is not judged for an image it does not declare.
    assert!(!flagged(&report, "image.approved-source")
        .iter()
        .any(|id| id.contains("encrypt-running-vmss-linux")));
    let unevaluated = report["coverage"]["unevaluated"]
        .as_array()
        .expect("listed");
    assert!(unevaluated.iter().any(|u| u["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("linked template")));
}

#[test]
fn iac_sarif_validates_and_carries_regions_and_line_hashes() {
    let (Some(schema), Some(dir)) = (
        shared("sarif/sarif-schema-2.1.0.json"),
        shared("arm-templates"),
    ) else {
        return;
    };
    let _ = dir;
    // Run from the repository root with a relative path, as a workflow does.
    let o = kensa_in(
        env!("CARGO_MANIFEST_DIR"),
        &[
            "iac",
            "../shared/external/arm-templates",
            "--format",
            "sarif",
            "--fail-on",
            "none",
        ],
    );
    assert!(matches!(code(&o), 0 | 3), "{}", stderr(&o));
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema).expect("readable")).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("the OASIS schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
    let run = &sarif["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "kensa/iac/");
    let results = run["results"].as_array().expect("results");
    assert!(results.len() > 20);
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(
            uri.starts_with("../shared/external/arm-templates/")
                && (uri.ends_with(".json") || uri.ends_with(".bicep")),
            "{uri}"
        );
        let region = &loc["region"];
        let start = region["startLine"].as_u64().expect("startLine");
        assert!(start > 1, "a finding must not point at line 1: {r}");
        assert_eq!(region["endLine"], region["startLine"]);
        assert!(region["endColumn"].as_u64() > region["startColumn"].as_u64());
        let hash = r["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .expect("line hash");
        let (hex, n) = hash.split_once(':').expect("hex:n");
        assert!(
            hex.len() <= 16 && u64::from_str_radix(hex, 16).is_ok() && n.parse::<u32>().is_ok()
        );
    }
}

#[test]
fn linked_templates_in_the_tree_are_followed_with_their_deployment_named() {
    let report = iac_json(&[&fixture("iac/arm/linked")]);
    let mut got: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let (file, line) = file_and_line(f);
            let via = f["location"]["via"][0].as_str().unwrap_or_default();
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                file,
                line,
                via.rsplit('/').next().unwrap_or_default().to_string(),
            )
        })
        .collect();
    got.sort();
    // `relativePath` and `uri(deployment().properties.templateLink.uri, …)` both; the
    // parameter the parent passes (`Internet`) is what the NSG rule sees.
    assert_eq!(
        got,
        [
            (
                "disk.encryption".into(),
                "disk.json".into(),
                8,
                "azuredeploy.json:26 deployment disk".into()
            ),
            (
                "network.nsg-open-management-port".into(),
                "nsg.json".into(),
                20,
                "azuredeploy.json:14 deployment nsg".into()
            ),
        ]
    );
    // A link to another host is not fetched: listed, and the scan is incomplete.
    let notes = report["coverage"]["unevaluated"].to_string();
    assert!(
        notes.contains("azuredeploy.json:35") && notes.contains("is not fetched"),
        "{notes}"
    );
    assert_eq!(report["coverage"]["complete"], false);
    // The linked files are read through their parent, not again on their own.
    assert_eq!(
        report["coverage"]["skipped"].as_array().map_or(0, Vec::len),
        2
    );
}

#[test]
fn language_version_2_templates_with_lambdas_and_symbolic_resources() {
    let report = iac_json(&[&fixture("iac/arm/lv2")]);
    // filter(lambda) keeps ssh and web; 443 is not a management port.
    let open: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["resource_name"].as_str().unwrap_or_default().to_string(),
                f["evidence"]["port"].as_u64(),
                file_and_line(f).1,
            )
        })
        .collect();
    assert_eq!(open, [("nsg-lv2".to_string(), Some(22), 51)]);
    // The existing network is a reference; the IP loop counts zero; shallowMerge tags.
    let rows = kensa(&["inventory", "--iac", &fixture("iac/arm/lv2"), "--resources"]);
    let rows: serde_json::Value = serde_json::from_slice(&rows.stdout).expect("JSON");
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0]["resource"]["tags"],
        serde_json::json!({"env": "prod", "owner": "platform"})
    );
}
