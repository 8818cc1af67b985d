//! `.bicep` read natively: the fixture application (parameters files, modules, loops,
//! conditions), parse errors, inline waivers, and the real Bicep in ../shared/external checked
//! against the JSON the Bicep compiler made of the same template.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

fn findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .collect()
}

/// (rule, resource name, port) of every finding.
fn verdicts(report: &Value) -> Vec<(String, String, Option<u64>)> {
    let mut v: Vec<_> = findings(report)
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["resource_name"].as_str().unwrap_or_default().to_string(),
                f["evidence"]["port"].as_u64(),
            )
        })
        .collect();
    v.sort();
    v
}

fn reasons(report: &Value, list: &str) -> Vec<String> {
    report["coverage"][list]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|g| {
                    format!(
                        "{} {}",
                        g["source"].as_str().unwrap_or_default(),
                        g["reason"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_app_folder_is_judged_with_its_bicepparam_through_its_module() {
    let report = iac_json(&[&fixture("iac/bicep/app")]);
    assert_eq!(
        report["coverage"]["complete"], true,
        "{:#}",
        report["coverage"]
    );
    // prod.bicepparam: admin ports from anywhere, WinRM only from the virtual network, no
    // debug IP; two VMs from the module loop (from a gallery that is not the approved one),
    // the second without encryption at host.
    assert_eq!(
        verdicts(&report),
        [
            ("disk.encryption".into(), "app-prod-vm-1".into(), None),
            ("image.approved-source".into(), "app-prod-vm-0".into(), None),
            ("image.approved-source".into(), "app-prod-vm-1".into(), None),
            (
                "network.nsg-open-management-port".into(),
                "nsg-app-prod".into(),
                Some(22)
            ),
            (
                "network.nsg-open-management-port".into(),
                "nsg-app-prod".into(),
                Some(3389)
            ),
        ]
    );
    for f in findings(&report) {
        let (file, line) = file_and_line(f);
        match f["rule_id"].as_str() {
            // The rule's port inside the `[for …]` of main.bicep.
            Some("network.nsg-open-management-port") => {
                assert_eq!((file.as_str(), line), ("main.bicep", 50))
            }
            // Inside the module, reached through the module call of main.bicep.
            Some("disk.encryption") => {
                assert_eq!((file.as_str(), line), ("vm.bicep", 55));
                let via = f["location"]["via"][0].as_str().unwrap_or_default();
                assert!(via.ends_with("app/main.bicep:81 module vms[1]"), "{via}");
                assert!(!f["location"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("/./"));
            }
            _ => assert_eq!(file, "vm.bicep"),
        }
    }
    let types = &report["coverage"]["resources_by_type"];
    assert!(
        types.get("microsoft.network/publicipaddresses").is_none(),
        "{types}"
    );
    // The module is read as part of main.bicep, not scanned again on its own.
    let skipped = reasons(&report, "skipped");
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("app/vm.bicep") && s.contains("module")),
        "{skipped:?}"
    );
}

#[test]
fn a_bicep_file_alone_is_judged_with_its_defaults() {
    let report = iac_json(&[&fixture("iac/bicep/app/main.bicep")]);
    let v = verdicts(&report);
    // dev: WinRM from the Internet (the child resource of the NSG), admin ports from 10/8.
    assert!(
        v.contains(&(
            "network.nsg-open-management-port".into(),
            "nsg-app-dev".into(),
            Some(5986)
        )),
        "{v:?}"
    );
    assert!(
        !v.iter().any(|(_, _, p)| matches!(p, Some(22 | 3389))),
        "{v:?}"
    );
    let f = findings(&report)
        .into_iter()
        .find(|f| f["evidence"]["port"] == 5986)
        .expect("5986");
    assert_eq!(file_and_line(f), ("main.bicep".into(), 65));
    assert_eq!(
        report["coverage"]["resources_by_type"]["microsoft.network/publicipaddresses"],
        1
    );
}

#[test]
fn a_bicep_parse_error_names_file_line_and_column_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("broken.bicep"),
        "param location string = 'westeurope'\n\nresource nsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {\n  name: 'nsg-broken'\n  location: location\n  properties: {\n    securityRules: [\n      {\n        name: 'ssh'\n        properties: { priority: 100 access 'Allow' }\n      }\n    ]\n  }\n}\n",
    )
    .expect("write");
    std::fs::copy(
        fixture("iac/bicep/app/main.bicep"),
        dir.path().join("app.bicep"),
    )
    .expect("copy");
    std::fs::copy(
        fixture("iac/bicep/app/vm.bicep"),
        dir.path().join("vm.bicep"),
    )
    .expect("copy");
    let o = kensa_in(
        dir.path().to_str().expect("utf-8"),
        &["iac", ".", "--format", "json", "--fail-on", "none"],
    );
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let gaps = reasons(&report, "source_gaps");
    assert!(
        gaps.iter()
            .any(|g| g.starts_with("broken.bicep:10 ") && g.contains("found 'access'")),
        "{gaps:?}"
    );
    assert!(stderr(&o).contains("broken.bicep:10:37"), "{}", stderr(&o));
    // The other file is judged all the same.
    assert!(verdicts(&report)
        .iter()
        .any(|(_, n, p)| n == "nsg-app-dev" && *p == Some(5986)));
}

#[test]
fn an_inline_waiver_in_bicep_waives_the_finding_on_its_resource() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(fixture("iac/bicep/app/main.bicep")).expect("read");
    let text = text.replace(
        "      destinationPortRange: '5986'",
        "      destinationPortRange: '5986' // kensa:ignore network.nsg-open-management-port reason=\"WinRM over HTTPS for the build agents\" owner=platform@contoso.com expires=2027-03-01",
    );
    std::fs::write(dir.path().join("main.bicep"), text).expect("write");
    std::fs::copy(
        fixture("iac/bicep/app/vm.bicep"),
        dir.path().join("vm.bicep"),
    )
    .expect("copy");
    let report = iac_json(&[
        "--now",
        NOW,
        dir.path().join("main.bicep").to_str().expect("utf-8"),
    ]);
    let f = findings(&report)
        .into_iter()
        .find(|f| f["evidence"]["port"] == 5986)
        .expect("5986 is still reported");
    assert_eq!(f["status"], "waived", "{f:#}");
}

#[test]
fn a_registry_module_is_listed_as_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("main.bicep"),
        "module nsg 'br/public:avm/res/network/network-security-group:0.5.0' = {\n  name: 'nsg'\n  params: {\n    name: 'nsg-app'\n  }\n}\n",
    )
    .expect("write");
    let o = kensa(&[
        "iac",
        dir.path().join("main.bicep").to_str().expect("utf-8"),
        "--format",
        "json",
        "--fail-on",
        "none",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let notes = reasons(&report, "unevaluated");
    assert!(
        notes.iter().any(|n| n.contains("main.bicep:1")
            && n.contains("registry module")
            && n.contains("br/public:avm/res/network/network-security-group:0.5.0")),
        "{notes:?}"
    );
}

/// A value as the comparison sees it: unknowns alike whatever their reason, resource groups
/// (named after the file scanned) alike, `uniqueString` results alike.
fn normal(v: &Value) -> Value {
    match v {
        Value::Object(o) if o.len() == 1 && o.contains_key("kensa:unknown") => {
            Value::String("<unknown>".into())
        }
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), normal(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(normal).collect()),
        Value::String(s) => Value::String(normal_text(s)),
        other => other.clone(),
    }
}

fn normal_text(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    // `/resourceGroups/<anything>` → `/resourceGroups/RG`
    while let Some(at) = rest.find("/resourceGroups/") {
        out.push_str(&rest[..at + "/resourceGroups/".len()]);
        rest = &rest[at + "/resourceGroups/".len()..];
        out.push_str("RG");
        rest = &rest[rest.find('/').unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    if out.contains("unknown at byte") || out.contains("<unknown") {
        return "<unknown>".into();
    }
    // uniqueString(): 13 characters of base32; the inputs differ between the two files.
    let bytes: Vec<char> = out.chars().collect();
    let is_hash = |c: &char| c.is_ascii_lowercase() || ('2'..='7').contains(c);
    let mut i = 0;
    let mut masked = String::new();
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|c| is_hash(c)).count();
        // Appended to a name more often than not: the last 13 of a longer run.
        if run >= 13 && bytes[i..i + run].iter().any(|c| c.is_ascii_digit()) {
            masked.extend(&bytes[i..i + run - 13]);
            masked.push_str("<hash>");
            i += run;
        } else {
            let n = run.max(1);
            masked.extend(&bytes[i..i + n]);
            i += n;
        }
    }
    masked
}

/// Where `bicep` disagrees with a value the compiled JSON knows (JSON's unknowns, which the
/// native reader may well know, are not compared).
fn disagreements(path: &str, json: &Value, bicep: &Value, out: &mut Vec<String>) {
    match (json, bicep) {
        (Value::String(j), _) if j == "<unknown>" => {}
        (Value::Object(j), Value::Object(b)) => {
            for (k, jv) in j {
                match b.get(k) {
                    Some(bv) => disagreements(&format!("{path}/{k}"), jv, bv, out),
                    None => out.push(format!("{path}/{k}: JSON {jv}, Bicep has none")),
                }
            }
            for k in b.keys().filter(|k| !j.contains_key(*k)) {
                out.push(format!("{path}/{k}: only in Bicep"));
            }
        }
        (Value::Array(j), Value::Array(b)) if j.len() == b.len() => {
            for (i, (jv, bv)) in j.iter().zip(b).enumerate() {
                disagreements(&format!("{path}/{i}"), jv, bv, out);
            }
        }
        (j, b) if j == b => {}
        (j, b) => out.push(format!("{path}: JSON {j}, Bicep {b}")),
    }
}

/// `kensa inventory --iac FILE --resources`: (type, name) → the resource as read.
fn inventory(file: &Path) -> Result<BTreeMap<(String, String), Value>, String> {
    let o = kensa(&[
        "inventory",
        "--iac",
        file.to_str().expect("utf-8"),
        "--resources",
    ]);
    let rows: Value = serde_json::from_slice(&o.stdout).map_err(|_| stderr(&o))?;
    Ok(rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                (
                    r["type"].as_str().unwrap_or_default().to_string(),
                    normal_text(r["name"].as_str().unwrap_or_default()),
                ),
                normal(&r["resource"]),
            )
        })
        .collect())
}

#[test]
fn the_compiler_baselines_read_as_their_compiled_json() {
    let Some(root) = shared("bicep/compiler-baselines") else {
        return;
    };
    let mut compared = 0;
    for name in [
        "Dependencies_LF",
        "Loops_LF",
        "NestedResources_LF",
        "Outputs_CRLF",
        "Parameters_LF",
        "Resources_CRLF",
        "Variables_LF",
    ] {
        let dir = root.join(name);
        let bicep = inventory(&dir.join("main.bicep")).unwrap_or_else(|e| panic!("{name}: {e}"));
        let json = inventory(&dir.join("main.json")).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            bicep.keys().collect::<Vec<_>>(),
            json.keys().collect::<Vec<_>>(),
            "{name}: the same resources"
        );
        let mut wrong = Vec::new();
        for (key, j) in &json {
            for k in [
                "properties",
                "sku",
                "kind",
                "location",
                "tags",
                "zones",
                "identity",
            ] {
                disagreements(&format!("{key:?}/{k}"), &j[k], &bicep[key][k], &mut wrong);
            }
        }
        assert!(wrong.is_empty(), "{name}:\n{}", wrong.join("\n"));
        compared += json.len();
    }
    assert!(compared >= 70, "{compared} resources compared");
    // Its compiled JSON divides by zero in a variable that only the Bicep reader never needs;
    // the modules (local .bicep and .json, names with spaces) are followed.
    let modules = inventory(&root.join("Modules_CRLF/main.bicep")).expect("Modules_CRLF");
    assert!(modules.len() >= 5, "{modules:?}");
}

/// (rule, port) → how many findings; and how many checks were undecided.
fn tally(report: &Value) -> (BTreeMap<(String, Option<u64>), usize>, usize) {
    let mut t = BTreeMap::new();
    for f in findings(report) {
        *t.entry((
            f["rule_id"].as_str().unwrap_or_default().to_string(),
            f["evidence"]["port"].as_u64(),
        ))
        .or_default() += 1;
    }
    (
        t,
        report["coverage"]["undecided"]
            .as_array()
            .map_or(0, Vec::len),
    )
}

#[test]
fn the_quickstarts_find_at_least_what_their_compiled_json_finds() {
    let (Some(quick), Some(arm)) = (shared("bicep/quickstarts"), shared("arm-templates")) else {
        return;
    };
    let mut dirs: Vec<_> = std::fs::read_dir(&quick)
        .expect("readable")
        .chain(std::fs::read_dir(&arm).expect("readable"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|d| d.join("main.bicep").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 15, "{dirs:?}");
    let mut total = 0;
    for dir in dirs {
        let json_file = ["azuredeploy.json", "main.json"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file())
            .expect("compiled JSON");
        let scan = |p: &Path| iac_json(&[p.to_str().expect("utf-8"), "--no-parameter-files"]);
        let (b, _) = tally(&scan(&dir.join("main.bicep")));
        let (j, j_undecided) = tally(&scan(&json_file));
        // Everything the JSON finds, the Bicep finds; anything more was undecided in JSON
        // (values the compiled template only computes at deployment).
        let mut extra = 0;
        for (key, n) in &j {
            let got = b.get(key).copied().unwrap_or(0);
            assert!(
                got >= *n,
                "{}: {key:?} JSON {n}, Bicep {got}",
                dir.display()
            );
        }
        for (key, n) in &b {
            extra += n.saturating_sub(j.get(key).copied().unwrap_or(0));
        }
        assert!(
            extra <= j_undecided,
            "{}: {extra} more findings than JSON's {j_undecided} undecided",
            dir.display()
        );
        total += b.values().sum::<usize>();
    }
    assert!(total >= 100, "{total} findings");
}

#[test]
fn the_verified_modules_e2e_tests_follow_modules_across_folders() {
    let Some(dir) =
        shared("bicep/bicep-registry-modules/avm/res/network/load-balancer/tests/e2e/external")
    else {
        return;
    };
    let report = iac_json(&[dir.to_str().expect("utf-8")]);
    let types = &report["coverage"]["resources_by_type"];
    // `../../../main.bicep` deployed twice (init, idem) alike: judged once.
    assert_eq!(types["microsoft.network/loadbalancers"], 1, "{types}");
    // The diagnostics dependencies seven folders up, the nested dependencies beside.
    assert_eq!(
        types["microsoft.operationalinsights/workspaces"], 1,
        "{types}"
    );
    assert_eq!(types["microsoft.network/publicipaddresses"], 1, "{types}");
    let gaps = reasons(&report, "source_gaps");
    assert!(
        !gaps.iter().any(|g| g.contains("also declared")),
        "{gaps:?}"
    );
    let skipped = reasons(&report, "skipped");
    assert!(
        skipped.iter().any(|s| s.contains("declared alike")),
        "{skipped:?}"
    );
    // `scope: resourceGroup` names the group the module deploys into.
    let rows = kensa(&[
        "inventory",
        "--iac",
        dir.to_str().expect("utf-8"),
        "--resources",
    ]);
    assert!(stdout(&rows).contains("/resourceGroups/dep-#_namePrefix_#-network.loadbalancers-nlbext-rg/providers/Microsoft.Network/loadBalancers/"));
    // The NAT rules the child modules declare are folded into the load balancer, as Azure
    // shows it.
    let rows: Value = serde_json::from_slice(&rows.stdout).expect("JSON");
    let lb = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["type"] == "microsoft.network/loadbalancers")
        .expect("the load balancer");
    let nat = lb["resource"]["properties"]["inboundNatRules"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(nat, 2, "{lb:#}");
}
