//! The live path end to end: the kensa binary against the local Resource Graph emulator
//! (tests/emulator), one test per fault. Tokens come from a fake `az` on PATH, through the
//! real Azure CLI credential of azure_identity.

mod common;
mod emulator;

use std::collections::HashMap;
use std::process::{Command, Output};
use std::time::Duration;

use common::*;
use emulator::{fake_az, tables, Config, Emulator, FakeAz, Fault};

const SUB: &str = "3f2a6d7e-1c4b-4e8a-9d2f-7a1b5c9e0d11";
const OTHER: &str = "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
const TOKEN: &str = "emulator-token-6f1d2c3b-secret";

/// The demo estate without vm-app-03, whose NIC lives in a resource group the demo leaves
/// out (its checks are undecided, which makes any scan of the whole demo incomplete): the
/// live tests need an estate that a full read judges completely.
fn demo_rows() -> Vec<serde_json::Value> {
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo_file("estate.json")).unwrap()).unwrap();
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r.to_string().contains("vm-app-03"))
        .cloned()
        .collect()
}

/// The demo estate plus a copy of its legacy VM in a second subscription.
fn two_subscriptions() -> Vec<serde_json::Value> {
    let mut rows = demo_rows();
    let copies: Vec<serde_json::Value> = rows
        .iter()
        .filter(|r| r["resourceGroup"] == "rg-legacy" || r["name"] == "vnet-prod-weu")
        .map(|r| serde_json::from_str(&r.to_string().replace(SUB, OTHER)).unwrap())
        .collect();
    rows.extend(copies);
    rows
}

fn run(emu: &Emulator, env: &FakeAz, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(args)
        .args([
            "--endpoint",
            &emu.url(),
            "--auth",
            "cli",
            "--quiet",
            "--request-timeout",
            "2",
        ])
        .env("PATH", &env.path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !all.contains(TOKEN),
        "the access token leaked into the output"
    );
    out
}

fn scan(emu: &Emulator, extra: &[&str]) -> (Output, serde_json::Value) {
    let env = fake_az(TOKEN, SUB);
    let cfg = demo_file("kensa.toml");
    let mut args = vec!["scan", "--config", &cfg, "--now", NOW, "--format", "json"];
    if !extra.contains(&"--fail-on") {
        args.extend_from_slice(&["--fail-on", "none"]);
    }
    args.extend_from_slice(extra);
    let o = run(emu, &env, &args);
    let report = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o, report)
}

/// The findings of a snapshot scan of the same rows.
fn demo_findings() -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("estate.json");
    std::fs::write(&path, serde_json::Value::Array(demo_rows()).to_string()).unwrap();
    let cfg = demo_file("kensa.toml");
    let report = scan_json(&[
        "--snapshot",
        path.to_str().unwrap(),
        "--config",
        &cfg,
        "--now",
        NOW,
    ]);
    comparable_findings(&report)
}

fn start(config: Config) -> Emulator {
    Emulator::start(tables(&demo_rows()), config)
}

fn small_pages() -> Config {
    Config {
        page_cap: 10,
        ..Config::default()
    }
}

#[test]
fn live_scan_equals_the_snapshot_scan_and_speaks_the_protocol() {
    let emu = start(small_pages());
    let (o, r) = scan(&emu, &["--subscription", SUB]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(comparable_findings(&r), demo_findings());
    assert_eq!(r["coverage"]["complete"], true);
    assert_eq!(r["coverage"]["resources"], demo_rows().len());
    let seen = emu.seen();
    let first = &seen[0];
    assert_eq!(first.method, "POST");
    assert_eq!(
        first.path,
        "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"
    );
    assert_eq!(
        first.authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(first.body["subscriptions"], serde_json::json!([SUB]));
    assert_eq!(first.body["options"]["resultFormat"], "objectArray");
    assert_eq!(first.body["options"]["$top"], 1000);
    assert!(first.body["query"]
        .as_str()
        .unwrap()
        .contains("order by id asc"));
    // Load balancers are read, so the scale set behind one is judged through its NAT pool.
    assert!(first.body["query"]
        .as_str()
        .unwrap()
        .contains("'microsoft.network/loadbalancers'"));
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule_id"] == "network.vm-exposed-management-port"
            && f["resource_name"] == "vmss-worker"
            && f["evidence"]["path"] == "inbound NAT pool"));
    // 41 to 50 `resources` rows at 10 per page: the later pages carry the opaque token.
    let pages: Vec<_> = seen
        .iter()
        .filter(|s| {
            s.body["query"]
                .as_str()
                .is_some_and(|q| q.starts_with("resources "))
        })
        .collect();
    assert_eq!(pages.len(), 5);
    assert!(pages[1].body["options"]["$skipToken"].is_string());
    // JIT policies are not in Resource Graph: read per subscription through ARM.
    assert!(seen.iter().any(|s| s.method == "GET" && s.path.contains(&format!("/subscriptions/{SUB}/providers/Microsoft.Security/jitNetworkAccessPolicies?api-version=2020-01-01"))));
    assert!(
        seen.iter().all(|s| s.status == 200),
        "no request needed a retry"
    );
}

fn survives(fault: Fault) {
    let mut config = small_pages();
    config.faults.insert(2, fault.clone());
    config.faults.insert(5, fault.clone());
    let emu = start(config);
    let (o, r) = scan(&emu, &["--subscription", SUB]);
    assert_eq!(code(&o), 0, "{fault:?}: {}", stderr(&o));
    assert_eq!(r["coverage"]["complete"], true, "{fault:?}");
    assert_eq!(comparable_findings(&r), demo_findings(), "{fault:?}");
}

#[test]
fn malformed_wait_headers_neither_panic_nor_stall() {
    for headers in [
        vec![("Retry-After", "-1")],
        vec![("Retry-After", "NaN")],
        vec![("Retry-After", "inf")],
        vec![
            ("x-ms-user-quota-remaining", "0"),
            ("x-ms-user-quota-resets-after", "-01:00:00"),
        ],
    ] {
        let owned = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        survives(Fault::ThrottleWith(owned));
    }
}

#[test]
fn a_huge_wait_is_bounded_by_the_timeout() {
    let mut config = small_pages();
    config.faults.insert(
        1,
        Fault::ThrottleWith(vec![("Retry-After".into(), "1e30".into())]),
    );
    let emu = start(config);
    let started = std::time::Instant::now();
    let (o, r) = scan(&emu, &["--subscription", SUB, "--timeout", "5"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(r["coverage"]["source_gaps"]
        .to_string()
        .contains("resources in subscription"));
}

#[test]
fn a_repeated_skip_token_stops_that_table() {
    let emu = start(Config {
        every: Some((1, Fault::SameSkipToken)),
        ..Config::default()
    });
    let started = std::time::Instant::now();
    let (o, r) = scan(&emu, &["--subscription", SUB]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let gaps = r["coverage"]["source_gaps"].to_string();
    assert!(gaps.contains("same $skipToken"), "{gaps}");
}

#[test]
fn a_table_shorter_than_its_count_is_a_gap_saying_so() {
    let mut config = Config::default();
    config.faults.insert(1, Fault::ShortPage);
    let emu = start(config);
    let (o, r) = scan(&emu, &["--subscription", SUB]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let gaps = r["coverage"]["source_gaps"].to_string();
    assert!(
        gaps.contains("counted 100 rows but 1 were returned"),
        "{gaps}"
    );
}

#[test]
fn the_token_never_follows_a_next_link_to_another_host() {
    // The "other host" is a second emulator that records every request it gets.
    let sink = start(Config::default());
    let emu = start(Config {
        every: Some((1, Fault::NextLinkTo(format!("{}/steal?page=2", sink.url())))),
        ..Config::default()
    });
    let (o, r) = scan(&emu, &["--subscription", SUB]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(sink.seen().is_empty(), "{:?}", sink.seen());
    let gaps = r["coverage"]["source_gaps"].to_string();
    assert!(gaps.contains("nextLink points outside"), "{gaps}");
}

#[test]
fn throttling_with_retry_after_is_waited_out() {
    survives(Fault::Throttle(Some(1)));
}

#[test]
fn throttling_without_retry_after_waits_for_the_quota_reset() {
    survives(Fault::Throttle(None));
}

#[test]
fn server_errors_are_retried() {
    survives(Fault::Status(500));
    survives(Fault::Status(503));
}

#[test]
fn a_slow_response_past_the_request_timeout_is_retried() {
    survives(Fault::Slow(Duration::from_secs(3)));
}

#[test]
fn a_connection_dropped_mid_body_is_retried() {
    survives(Fault::DropMidBody);
}

#[test]
fn truncated_json_is_never_used_and_is_retried() {
    survives(Fault::TruncatedJson);
}

#[test]
fn the_client_keeps_within_the_quota() {
    // 3 requests per second: the client waits for the reset instead of being throttled.
    let emu = start(Config {
        quota: 3,
        window: Duration::from_secs(1),
        ..small_pages()
    });
    let (o, r) = scan(&emu, &["--subscription", SUB]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(comparable_findings(&r), demo_findings());
    let statuses: Vec<u16> = emu.seen().iter().map(|s| s.status).collect();
    assert!(
        statuses.len() > 6 && statuses.iter().all(|s| *s == 200),
        "{statuses:?}"
    );
}

#[test]
fn a_bad_token_is_an_authentication_error() {
    let emu = start(Config::default());
    let env = fake_az("bad-token", SUB);
    let o = run(&emu, &env, &["scan", "--subscription", SUB]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not authenticated") && stderr(&o).contains("401"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("bad-token"), "token in the message");
}

#[test]
fn a_forbidden_subscription_is_named_and_the_rest_is_scanned() {
    let emu = Emulator::start(
        tables(&two_subscriptions()),
        Config {
            forbidden_subscriptions: vec![OTHER.into()],
            ..Config::default()
        },
    );
    let (o, r) = scan(&emu, &["--subscription", SUB, "--subscription", OTHER]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert_eq!(r["coverage"]["complete"], false);
    let gaps = r["coverage"]["source_gaps"].to_string();
    assert!(
        gaps.contains(&format!("subscription {OTHER}")) && gaps.contains("403"),
        "{gaps}"
    );
    assert_eq!(
        comparable_findings(&r),
        demo_findings(),
        "the readable subscription is judged in full"
    );
    // Findings still decide first, and --allow-partial exits by findings alone.
    let (o, _) = scan(
        &emu,
        &[
            "--subscription",
            SUB,
            "--subscription",
            OTHER,
            "--fail-on",
            "high",
        ],
    );
    assert_eq!(code(&o), 1);
    let (o, _) = scan(
        &emu,
        &[
            "--subscription",
            SUB,
            "--subscription",
            OTHER,
            "--allow-partial",
        ],
    );
    assert_eq!(code(&o), 0);
    let human = run(
        &emu,
        &fake_az(TOKEN, SUB),
        &[
            "scan",
            "--subscription",
            SUB,
            "--subscription",
            OTHER,
            "--fail-on",
            "none",
            "--format",
            "markdown",
        ],
    );
    assert!(stdout(&human).contains(OTHER), "{}", stdout(&human));
}

/// (rule, resource) of the findings and of the undecided checks of a report.
fn open_and_undecided(r: &serde_json::Value, rule: &str) -> (Vec<String>, Vec<String>) {
    let open = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| f["resource_name"].as_str().unwrap().to_string())
        .collect();
    let undecided = r["coverage"]["undecided"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["rule_id"] == rule)
        .map(|u| {
            u["resource_id"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    (open, undecided)
}

#[test]
fn a_table_that_could_not_be_read_makes_its_rules_undecided_never_open() {
    // Requests: 1 resources, 2 patch assessments, 3 security resources, 4 JIT (ARM).
    for (request, rules) in [
        (2, &["patch.assessment-stale", "patch.age"][..]),
        (4, &["network.jit-required"][..]),
    ] {
        let mut config = Config::default();
        config.faults.insert(request, Fault::QueryError);
        let emu = start(config);
        let (o, r) = scan(&emu, &["--subscription", SUB]);
        assert_eq!(code(&o), 3, "{}", stderr(&o));
        let complete = scan_json(&["--demo", "--now", NOW]);
        for rule in rules {
            let (open, undecided) = open_and_undecided(&r, rule);
            let (demo_open, _) = open_and_undecided(&complete, rule);
            assert!(
                !demo_open.is_empty(),
                "{rule} has findings when the table is read"
            );
            assert!(open.is_empty(), "{rule} fired on an unread table: {open:?}");
            assert!(!undecided.is_empty(), "{rule} is not undecided");
        }
    }
}

#[test]
fn a_query_error_is_reported_as_a_gap() {
    let mut config = Config::default();
    config.faults.insert(1, Fault::QueryError);
    let emu = start(config);
    let (o, r) = scan(&emu, &["--subscription", SUB]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let gaps = r["coverage"]["source_gaps"].to_string();
    assert!(
        gaps.contains("resources in subscription") && gaps.contains("InvalidQuery"),
        "{gaps}"
    );
}

#[test]
fn retries_end_and_the_overall_timeout_holds() {
    let emu = start(Config {
        every: Some((1, Fault::Status(503))),
        ..Config::default()
    });
    let started = std::time::Instant::now();
    let (o, r) = scan(&emu, &["--subscription", SUB, "--timeout", "4"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert_eq!(r["coverage"]["complete"], false);
    assert_eq!(r["summary"]["total"], 0, "nothing unread is judged");
}

#[test]
fn management_group_scope() {
    let mut groups = HashMap::new();
    groups.insert("mg-prod".to_string(), vec![SUB.to_string()]);
    let emu = start(Config {
        management_groups: groups,
        ..Config::default()
    });
    let (o, r) = scan(&emu, &["--management-group", "mg-prod"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(comparable_findings(&r), demo_findings());
    assert_eq!(
        emu.seen()[0].body["managementGroups"],
        serde_json::json!(["mg-prod"])
    );
}

#[test]
fn collect_then_snapshot_reproduces_the_live_scan() {
    let emu = start(small_pages());
    let env = fake_az(TOKEN, SUB);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("estate.json");
    let o = run(
        &emu,
        &env,
        &[
            "collect",
            "--subscription",
            SUB,
            "--output",
            &file.display().to_string(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("{} rows", demo_rows().len())),
        "{}",
        stderr(&o)
    );
    let (_, live) = scan(&emu, &["--subscription", SUB]);
    let offline = scan_json(&[
        "--snapshot",
        &file.display().to_string(),
        "--config",
        &demo_file("kensa.toml"),
        "--now",
        NOW,
    ]);
    assert_eq!(comparable_findings(&offline), comparable_findings(&live));
}

#[test]
fn an_incomplete_collect_stays_incomplete_offline() {
    let emu = Emulator::start(
        tables(&two_subscriptions()),
        Config {
            forbidden_subscriptions: vec![OTHER.into()],
            ..Config::default()
        },
    );
    let env = fake_az(TOKEN, SUB);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("estate.json");
    let o = run(
        &emu,
        &env,
        &[
            "collect",
            "--subscription",
            SUB,
            "--subscription",
            OTHER,
            "--output",
            &file.display().to_string(),
        ],
    );
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(stderr(&o).contains("NOT READ"), "{}", stderr(&o));
    let o = kensa(&[
        "scan",
        "--snapshot",
        &file.display().to_string(),
        "--fail-on",
        "none",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 3);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r["coverage"]["source_gaps"].to_string().contains(OTHER));
}

#[test]
fn missing_service_principal_variables_are_named() {
    let o = Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args([
            "scan",
            "--subscription",
            SUB,
            "--auth",
            "service-principal",
            "--endpoint",
            "http://127.0.0.1:9",
        ])
        .env_remove("AZURE_TENANT_ID")
        .env_remove("AZURE_CLIENT_ID")
        .env_remove("AZURE_CLIENT_SECRET")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("AZURE_TENANT_ID"), "{}", stderr(&o));
}

/// The emulator answers with the fields of the real examples, in their shapes.
#[test]
fn the_emulator_matches_the_real_examples() {
    let Some(example) = shared("azure-api/resourcegraph/ResourcesFirstPageQuery.2024-04-01.json")
    else {
        return;
    };
    let example: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example).unwrap()).unwrap();
    let real = &example["responses"]["200"]["body"];
    let emu = start(small_pages());
    let body = serde_json::json!({"subscriptions": [SUB], "query": "resources | where type in~ ('microsoft.compute/disks') | project id, name, type, location | order by id asc", "options": {"$top": 3, "$skip": 0, "resultFormat": "objectArray"}}).to_string();
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(emu.addr).unwrap();
    write!(conn, "POST /providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01 HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", emu.addr, body.len()).unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    let (head, json) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    for h in [
        "x-ms-user-quota-remaining: 14",
        "x-ms-user-quota-resets-after: 00:00:0",
    ] {
        assert!(head.contains(h), "{h} missing in {head}");
    }
    let ours: serde_json::Value = serde_json::from_str(json).unwrap();
    let keys = |v: &serde_json::Value| {
        v.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(keys(&ours), keys(real));
    assert_eq!(
        ours["resultTruncated"], "false",
        "a string, as the API sends it"
    );
    assert_eq!(ours["count"], 3);
    assert!(
        ours["totalRecords"].is_u64()
            && ours["$skipToken"].is_string()
            && ours["facets"].is_array()
    );
    for row in ours["data"].as_array().unwrap() {
        assert_eq!(row["type"], "microsoft.compute/disks");
    }
}

#[test]
fn jit_policies_page_by_next_link_and_tenant_scope_sends_no_scope() {
    let mut rows = demo_rows();
    let jit = rows
        .iter()
        .find(|r| r["type"] == "microsoft.security/locations/jitnetworkaccesspolicies")
        .unwrap()
        .clone();
    for n in 1..=2 {
        let copy: serde_json::Value = serde_json::from_str(&jit.to_string().replace(
            "jitNetworkAccessPolicies/default",
            &format!("jitNetworkAccessPolicies/extra-{n}"),
        ))
        .unwrap();
        rows.push(copy);
    }
    let emu = Emulator::start(
        tables(&rows),
        Config {
            jit_page: 1,
            ..Config::default()
        },
    );
    let (o, r) = scan(&emu, &["--tenant"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(r["coverage"]["resources"], demo_rows().len() + 2);
    assert_eq!(comparable_findings(&r), demo_findings());
    let seen = emu.seen();
    assert!(
        seen[0].body.get("subscriptions").is_none()
            && seen[0].body.get("managementGroups").is_none()
    );
    let jit_gets = seen.iter().filter(|s| s.method == "GET").count();
    assert_eq!(jit_gets, 3, "one page per policy, following nextLink");
}
