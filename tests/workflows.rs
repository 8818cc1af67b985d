//! The CI files users copy: valid YAML, the workflows use only inputs and outputs the action
//! declares, and every kensa flag the scripts pass exists.

use std::collections::BTreeSet;
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

fn load(rel: &str) -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut docs =
        YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"));
    assert_eq!(docs.len(), 1, "{rel}");
    docs.remove(0)
}

fn keys(y: &Yaml) -> BTreeSet<String> {
    y.as_hash()
        .map(|h| {
            h.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn text(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

#[test]
fn the_action_and_the_workflows_are_valid_yaml() {
    for f in [
        "action.yml",
        "examples/github/nightly-scan.yml",
        "examples/github/pr-iac-check.yml",
        "examples/github/nightly-sharded.yml",
        "examples/azure-devops/azure-pipelines.yml",
        ".github/workflows/release.yml",
    ] {
        load(f);
    }
}

/// Where test.sh installed the workflow linters (`KENSA_LINT_TOOLS`), else `target/lint-tools`.
/// `None` only when they were not required (a bare `cargo test`); test.sh requires them.
fn lint_tool(name: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("KENSA_LINT_TOOLS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/lint-tools/bin"));
    let tool = dir.join(name);
    if tool.is_file() {
        return Some(tool);
    }
    assert!(
        std::env::var_os("KENSA_LINT_TOOLS").is_none(),
        "{} is missing (test.sh installs it)",
        tool.display()
    );
    eprintln!("workflow linters not installed: run ./test.sh to install and run them");
    None
}

fn run(tool: &Path, args: &[&str]) -> (bool, String) {
    let o = std::process::Command::new(tool)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", tool.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

const GITHUB_WORKFLOWS: &[&str] = &[
    "examples/github/nightly-scan.yml",
    "examples/github/nightly-sharded.yml",
    "examples/github/pr-iac-check.yml",
    ".github/workflows/release.yml",
];

#[test]
fn workflows_pass_zizmor_with_no_findings() {
    let Some(zizmor) = lint_tool("zizmor") else {
        return;
    };
    let mut args = vec!["--offline", "--no-progress", "action.yml"];
    args.extend(GITHUB_WORKFLOWS);
    let (ok, out) = run(&zizmor, &args);
    assert!(ok && out.contains("No findings"), "{out}");
}

#[test]
fn workflows_and_pipelines_match_their_schemas() {
    let Some(check) = lint_tool("check-jsonschema") else {
        return;
    };
    let mut args = vec!["--builtin-schema", "vendor.github-workflows"];
    args.extend(GITHUB_WORKFLOWS);
    for args in [
        args,
        vec!["--builtin-schema", "vendor.github-actions", "action.yml"],
        // The Azure Pipelines schema's patterns are Python regular expressions.
        vec![
            "--builtin-schema",
            "vendor.azure-pipelines",
            "--regex-variant",
            "python",
            "examples/azure-devops/azure-pipelines.yml",
        ],
    ] {
        let (ok, out) = run(&check, &args);
        assert!(ok, "check-jsonschema {args:?}:\n{out}");
    }
}

/// Checks that `workflow` passes the action only inputs it declares, reads only outputs it
/// declares, and uploads SARIF under `category`; returns the workflow's kensa steps.
fn check_against_action(workflow: &str, job: &str, category: &str) -> Vec<Yaml> {
    let action = load("action.yml");
    let inputs = keys(&action["inputs"]);
    let outputs = keys(&action["outputs"]);
    let wf = load(workflow);
    let steps = wf["jobs"][job]["steps"].as_vec().unwrap().clone();
    let kensa: Vec<Yaml> = steps
        .iter()
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.contains("/kensa@")))
        .cloned()
        .collect();
    assert!(!kensa.is_empty(), "{workflow} runs the kensa action");
    for step in &kensa {
        for k in keys(&step["with"]) {
            assert!(
                inputs.contains(&k),
                "{workflow} passes `{k}`, which action.yml does not declare"
            );
        }
    }
    for id in kensa.iter().filter_map(|s| s["id"].as_str()) {
        for used in text(workflow)
            .split(&format!("steps.{id}.outputs."))
            .skip(1)
        {
            let name: String = used
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '-')
                .collect();
            assert!(outputs.contains(&name), "{workflow} reads output `{name}`");
        }
    }
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))
        })
        .unwrap();
    assert_eq!(upload["with"]["category"].as_str(), Some(category));
    kensa
}

#[test]
fn the_pull_request_check_gates_on_new_iac_findings() {
    let pr = load("examples/github/pr-iac-check.yml");
    assert!(!pr["on"]["pull_request"]["paths"].is_badvalue());
    let runs = check_against_action("examples/github/pr-iac-check.yml", "iac", "kensa/iac");
    assert_eq!(
        runs.len(),
        2,
        "a base-branch run and the pull request's run"
    );
    for step in &runs {
        assert_eq!(step["with"]["mode"].as_str(), Some("iac"));
    }
    let gate = &runs[1];
    assert_eq!(gate["with"]["fail-on-new"].as_str(), Some("true"));
    assert!(gate["with"]["baseline"]
        .as_str()
        .unwrap()
        .contains("steps.base.outputs.json"));
}

#[test]
fn workflows_use_only_what_the_action_declares() {
    let action = load("action.yml");
    let inputs = keys(&action["inputs"]);
    let outputs = keys(&action["outputs"]);
    assert!(inputs.contains("mode") && outputs.contains("sarif"));
    let nightly = load("examples/github/nightly-scan.yml");
    check_against_action("examples/github/nightly-scan.yml", "scan", "kensa/live");
    check_against_action("examples/github/nightly-sharded.yml", "scan", "kensa/live");
    assert_eq!(
        nightly["jobs"]["scan"]["permissions"]["id-token"].as_str(),
        Some("write"),
        "OIDC needs id-token: write"
    );
    // Every input the action declares reaches the script.
    let script = text("action.yml");
    for i in &inputs {
        assert!(
            script.contains(&format!("inputs.{i} }}")),
            "input `{i}` is never used"
        );
    }
}

#[test]
fn scripts_pass_only_flags_kensa_has() {
    let help = |cmd: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_kensa"))
            .args([cmd, "--help"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let (scan, collect, iac) = (help("scan"), help("collect"), help("iac"));
    // Argument lists shared by the scan and iac modes may use either command's flags.
    let shared = format!("{scan}{iac}");
    for f in ["action.yml", "examples/azure-devops/azure-pipelines.yml"] {
        // Lines that run kensa (the built binary is called as "$kensa") or build its arguments.
        let kensa_line = |l: &&str| {
            l.contains("\"$kensa\"")
                || l.contains("args")
                || l.contains("scope")
                || l.contains("baseline=")
        };
        for line in text(f)
            .lines()
            .filter(|l| l.contains("--"))
            .filter(kensa_line)
        {
            let on = if line.contains(" collect ") {
                &collect
            } else if line.contains(" scan ") || line.contains("(scan ") {
                &scan
            } else if line.contains(" iac ") || line.contains("(iac)") {
                &iac
            } else {
                &shared
            };
            for word in line
                .split(|c: char| c.is_whitespace() || c == '(' || c == '"' || c == '=')
                .filter(|w| w.starts_with("--") && w.len() > 2)
            {
                let flag: String = word
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '-')
                    .collect();
                assert!(
                    on.contains(&flag),
                    "{f}: `{flag}` is not a kensa flag ({line})"
                );
            }
        }
    }
}

#[test]
fn nightly_runs_keep_their_report_whatever_the_verdict_and_gate_last() {
    for wf in [
        "examples/github/nightly-scan.yml",
        "examples/github/nightly-sharded.yml",
    ] {
        let y = load(wf);
        let steps = y["jobs"]["scan"]["steps"].as_vec().unwrap();
        let kensa = steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.contains("/kensa@")))
            .unwrap();
        assert_eq!(kensa["continue-on-error"].as_bool(), Some(true), "{wf}");
        let upload = steps
            .iter()
            .find(|s| s["with"]["name"].as_str() == Some("kensa-report"))
            .unwrap();
        assert!(upload["if"].as_str().unwrap().contains("always()"), "{wf}");
        assert_eq!(steps.last().unwrap()["name"].as_str(), Some("Gate"), "{wf}");
        // The baseline is the previous run's report, not the previous *successful* run's.
        assert!(!text(wf).contains("--status success"), "{wf}");
    }
    let ado = text("examples/azure-devops/azure-pipelines.yml");
    assert!(!ado.contains("cargo install") && !ado.contains("task: DownloadPipelineArtifact"));
    assert!(ado.contains("scripts/install.sh"));
}
