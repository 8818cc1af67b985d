//! A local Azure Resource Graph + ARM (JIT policies) emulator for end-to-end tests of the
//! live path. It speaks the real wire protocol (see ../shared/external/azure-api/resourcegraph):
//! `POST /providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01` with
//! `{subscriptions|managementGroups, query, options{$top, $skipToken, resultFormat}}`, executes
//! the table and type filters of the query, pages at `$top` with opaque `$skipToken`s, sends
//! and enforces the user quota (`x-ms-user-quota-remaining`, `x-ms-user-quota-resets-after`),
//! and injects faults on request. Listens on 127.0.0.1 only.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 RateLimiting, with or without `Retry-After` (seconds).
    Throttle(Option<u32>),
    /// An error status with an ARM error body (500, 503, …).
    Status(u16),
    /// Answer only after this long (past the client's request timeout).
    Slow(Duration),
    /// Send the headers and half the body, then close the connection.
    DropMidBody,
    /// 200 with a body that is cut short (its Content-Length matches the cut body).
    TruncatedJson,
    /// 400 BadRequest / InvalidQuery, as ARG answers a query it cannot parse.
    QueryError,
    /// 429 with exactly these headers (malformed `Retry-After`, quota reset…).
    ThrottleWith(Vec<(String, String)>),
    /// A Resource Graph page of one row whose `$skipToken` is always the same.
    SameSkipToken,
    /// An ARM list page whose `nextLink` points at this URL (another host).
    NextLinkTo(String),
    /// A last Resource Graph page of one row that counts 100 (`totalRecords`).
    ShortPage,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Requests per window per token (ARG's documented example: 15 per 5 s).
    pub quota: u32,
    pub window: Duration,
    /// Whether a quota 429 carries `Retry-After` (ARG's own docs do not promise it).
    pub retry_after_on_quota: bool,
    /// Faults by 1-based request number, over all endpoints.
    pub faults: HashMap<u64, Fault>,
    /// A fault on every n-th request.
    pub every: Option<(u64, Fault)>,
    pub forbidden_subscriptions: Vec<String>,
    pub management_groups: HashMap<String, Vec<String>>,
    /// Tokens that get 401.
    pub bad_tokens: Vec<String>,
    /// Rows per page of the ARM JIT list (`nextLink` paging).
    pub jit_page: usize,
    /// At most this many rows per Resource Graph page, whatever `$top` asks (ARG also
    /// returns fewer rows than `$top` when a page would pass 16 MB).
    pub page_cap: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            quota: 15,
            window: Duration::from_secs(5),
            retry_after_on_quota: false,
            faults: HashMap::new(),
            every: None,
            forbidden_subscriptions: Vec::new(),
            management_groups: HashMap::new(),
            bad_tokens: vec!["bad-token".into()],
            jit_page: 1,
            page_cap: 1000,
        }
    }
}

/// A row and the table it lives in (`resources`, `patchassessmentresources`, or `jit` for
/// ARM-only JIT policies).
#[derive(Debug, Clone)]
pub struct Row {
    pub table: String,
    pub json: Value,
    id_lower: String,
    type_lower: String,
    subscription: String,
}

/// What the emulator saw, for assertions.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
    pub status: u16,
}

struct State {
    config: Config,
    rows: Vec<Row>,
    count: u64,
    windows: HashMap<String, (Instant, u32)>,
    pub seen: Vec<Seen>,
}

pub struct Emulator {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _runtime: tokio::runtime::Runtime,
}

/// Splits an estate (rows as Resource Graph returns them) into the emulator's tables.
pub fn tables(rows: &[Value]) -> Vec<Row> {
    rows.iter()
        .map(|r| {
            let type_lower = r["type"].as_str().unwrap_or("").to_lowercase();
            let table = if type_lower.contains("patchassessmentresults") {
                "patchassessmentresources"
            } else if type_lower == "microsoft.security/locations/jitnetworkaccesspolicies" {
                "jit"
            } else {
                "resources"
            };
            let id_lower = r["id"].as_str().unwrap_or("").to_lowercase();
            let subscription = id_lower.split('/').nth(2).unwrap_or("").to_string();
            Row {
                table: table.into(),
                json: r.clone(),
                id_lower,
                type_lower,
                subscription,
            }
        })
        .collect()
}

impl Emulator {
    pub fn start(rows: Vec<Row>, config: Config) -> Emulator {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let state = Arc::new(Mutex::new(State {
            config,
            rows,
            count: 0,
            windows: HashMap::new(),
            seen: Vec::new(),
        }));
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("addr");
        let shared = Arc::clone(&state);
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        Emulator {
            addr,
            state,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn arm_error(code: &str, message: &str, details: Value) -> String {
    json!({"error": {"code": code, "message": format!("{message} Please provide below info when asking for support: timestamp = 2026-11-20T06:00:00.0000000Z, correlationId = 0c4f5e6a-1b2c-4d3e-8f9a-0b1c2d3e4f5a."), "details": details}}).to_string()
}

fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let Some(req) = read_request(&mut stream).await else {
        return Ok(());
    };
    let fault = {
        let mut s = state.lock().unwrap();
        s.count += 1;
        let n = s.count;
        let fault = s.config.faults.get(&n).cloned().or_else(|| {
            s.config
                .every
                .as_ref()
                .filter(|(k, _)| n.is_multiple_of(*k))
                .map(|(_, f)| f.clone())
        });
        fault
    };
    // An off-host nextLink only makes sense on ARM list pages (GET).
    let fault = fault.filter(|f| !matches!(f, Fault::NextLinkTo(_)) || req.method == "GET");
    if let Some(Fault::Slow(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let response = match &fault {
        Some(Fault::Throttle(retry)) => {
            let mut headers = vec![
                ("x-ms-user-quota-remaining".into(), "0".into()),
                ("x-ms-user-quota-resets-after".into(), "00:00:01".into()),
            ];
            if let Some(r) = retry {
                headers.push(("Retry-After".into(), r.to_string()));
            }
            Response {
                status: 429,
                headers,
                body: arm_error(
                    "RateLimiting",
                    "Please throttle your requests.",
                    json!([{"code": "RateLimiting", "message": "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help."}]),
                ),
            }
        }
        Some(Fault::ThrottleWith(headers)) => Response {
            status: 429,
            headers: headers.clone(),
            body: arm_error("RateLimiting", "Please throttle your requests.", json!([])),
        },
        // A page of one row that claims many more (and, for SameSkipToken, a token that
        // never moves on).
        Some(Fault::SameSkipToken) => one_row_page(&state, 100000, Some("the-same-token")),
        Some(Fault::ShortPage) => one_row_page(&state, 100, None),
        Some(Fault::NextLinkTo(url)) => Response {
            status: 200,
            headers: vec![],
            body: json!({"value": [], "nextLink": url}).to_string(),
        },
        Some(Fault::Status(code)) => Response {
            status: *code,
            headers: vec![],
            body: arm_error(
                "ServiceUnavailable",
                "The service is temporarily unavailable.",
                json!([]),
            ),
        },
        Some(Fault::QueryError) => Response {
            status: 400,
            headers: vec![],
            body: arm_error(
                "BadRequest",
                "",
                json!([{"code": "InvalidQuery", "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying."}, {"code": "ParserFailure", "message": "ParserFailure", "line": 1, "characterPositionInLine": 10, "token": "|"}]),
            ),
        },
        _ => handle(&req, &state),
    };
    {
        let mut s = state.lock().unwrap();
        s.seen.push(Seen {
            method: req.method.clone(),
            path: req.path.clone(),
            authorization: req.headers.get("authorization").cloned(),
            body: serde_json::from_slice(&req.body).unwrap_or(Value::Null),
            status: response.status,
        });
    }
    let mut body = response.body.into_bytes();
    let reason = match response.status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    if matches!(fault, Some(Fault::TruncatedJson)) {
        body.truncate(body.len() / 2);
    }
    let mut head = format!("HTTP/1.1 {} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n", response.status, body.len());
    for (k, v) in &response.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    if matches!(fault, Some(Fault::DropMidBody)) {
        stream.write_all(&body[..body.len() / 2]).await?;
        stream.flush().await?;
        return stream.shutdown().await;
    }
    stream.write_all(&body).await?;
    stream.flush().await
}

fn handle(req: &Request, state: &Arc<Mutex<State>>) -> Response {
    let token = req
        .headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string();
    let mut s = state.lock().unwrap();
    if token.is_empty() || s.config.bad_tokens.contains(&token) {
        return Response {
            status: 401,
            headers: vec![],
            body: arm_error(
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                json!([]),
            ),
        };
    }
    // The user quota: a fixed window per token.
    let (quota, window, retry_after) = (
        s.config.quota,
        s.config.window,
        s.config.retry_after_on_quota,
    );
    let now = Instant::now();
    let w = s.windows.entry(token).or_insert((now, 0));
    if now.duration_since(w.0) >= window {
        *w = (now, 0);
    }
    let resets = window.saturating_sub(now.duration_since(w.0));
    if w.1 >= quota {
        let mut headers = vec![
            ("x-ms-user-quota-remaining".into(), "0".into()),
            (
                "x-ms-user-quota-resets-after".into(),
                hms(resets + Duration::from_millis(999)),
            ),
        ];
        if retry_after {
            headers.push(("Retry-After".into(), (resets.as_secs() + 1).to_string()));
        }
        return Response {
            status: 429,
            headers,
            body: arm_error(
                "RateLimiting",
                "Please throttle your requests.",
                json!([{"code": "RateLimiting", "message": "Client application has been throttled."}]),
            ),
        };
    }
    w.1 += 1;
    let quota_headers = vec![
        (
            "x-ms-user-quota-remaining".to_string(),
            (quota - w.1).to_string(),
        ),
        (
            "x-ms-user-quota-resets-after".to_string(),
            hms(resets + Duration::from_millis(999)),
        ),
    ];
    let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
    if req.method == "POST" && path == "/providers/Microsoft.ResourceGraph/resources" {
        if !query.contains("api-version=2024-04-01") {
            return Response {
                status: 400,
                headers: vec![],
                body: arm_error(
                    "InvalidApiVersionParameter",
                    "The api-version is not supported.",
                    json!([]),
                ),
            };
        }
        let body: Value = match serde_json::from_slice(&req.body) {
            Ok(b) => b,
            Err(_) => {
                return Response {
                    status: 400,
                    headers: vec![],
                    body: arm_error("BadRequest", "The request body is not JSON.", json!([])),
                }
            }
        };
        let mut r = resources(&s, &body);
        r.headers.extend(quota_headers);
        return r;
    }
    let parts: Vec<&str> = path.split('/').collect();
    if req.method == "GET"
        && parts.len() == 6
        && parts[1].eq_ignore_ascii_case("subscriptions")
        && path
            .to_lowercase()
            .ends_with("/providers/microsoft.security/jitnetworkaccesspolicies")
    {
        let sub = parts[2].to_lowercase();
        if s.config
            .forbidden_subscriptions
            .iter()
            .any(|f| f.eq_ignore_ascii_case(&sub))
        {
            return Response { status: 403, headers: vec![], body: arm_error("AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.Security/locations/jitNetworkAccessPolicies/read'.", json!([])) };
        }
        let skip: usize = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("skip="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let rows: Vec<&Value> = s
            .rows
            .iter()
            .filter(|r| r.table == "jit" && r.subscription == sub)
            .map(|r| &r.json)
            .collect();
        let page = s.config.jit_page.max(1);
        let value: Vec<&Value> = rows.iter().skip(skip).take(page).copied().collect();
        let mut out = json!({"value": value});
        if skip + page < rows.len() {
            out["nextLink"] = json!(format!(
                "http://{}{}?api-version=2020-01-01&skip={}",
                req.headers.get("host").cloned().unwrap_or_default(),
                path,
                skip + page
            ));
        }
        return Response {
            status: 200,
            headers: vec![],
            body: out.to_string(),
        };
    }
    Response {
        status: 404,
        headers: vec![],
        body: arm_error("NotFound", "No such endpoint.", json!([])),
    }
}

/// Executes the subset of KQL kensa sends: `<table> | where type in~ (…)` or `type =~ '…'`.
fn resources(s: &State, body: &Value) -> Response {
    let query = body["query"].as_str().unwrap_or("");
    let table = query
        .split(|c: char| c.is_whitespace() || c == '|')
        .next()
        .unwrap_or("")
        .to_lowercase();
    if !["resources", "patchassessmentresources", "securityresources"].contains(&table.as_str()) {
        return Response {
            status: 400,
            headers: vec![],
            body: arm_error(
                "BadRequest",
                "",
                json!([{"code": "InvalidQuery", "message": format!("Table '{table}' could not be found.")}]),
            ),
        };
    }
    let types: Vec<String> = if let Some(start) = query.find("type in~ (") {
        let rest = &query[start + 10..];
        rest[..rest.find(')').unwrap_or(rest.len())]
            .split(',')
            .map(|t| t.trim().trim_matches('\'').to_lowercase())
            .collect()
    } else if let Some(start) = query.find("type =~ '") {
        let rest = &query[start + 9..];
        vec![rest[..rest.find('\'').unwrap_or(rest.len())].to_lowercase()]
    } else {
        Vec::new()
    };
    let subs: Option<Vec<String>> = body
        .get("subscriptions")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(str::to_lowercase)
                .collect()
        });
    if let Some(subs) = &subs {
        if let Some(f) = subs.iter().find(|x| {
            s.config
                .forbidden_subscriptions
                .iter()
                .any(|f| f.eq_ignore_ascii_case(x))
        }) {
            return Response {
                status: 403,
                headers: vec![],
                body: arm_error(
                    "AuthorizationFailed",
                    &format!("The client does not have authorization to read subscription '{f}'."),
                    json!([]),
                ),
            };
        }
    }
    let mgs: Option<Vec<String>> =
        body.get("managementGroups")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .flat_map(|mg| {
                        s.config
                            .management_groups
                            .get(mg)
                            .cloned()
                            .unwrap_or_default()
                    })
                    .map(|x| x.to_lowercase())
                    .collect()
            });
    let scope = subs.or(mgs);
    let mut rows: Vec<&Row> = s
        .rows
        .iter()
        .filter(|r| r.table == table && (types.is_empty() || types.contains(&r.type_lower)))
        .filter(|r| scope.as_ref().is_none_or(|sc| sc.contains(&r.subscription)))
        .collect();
    rows.sort_by(|a, b| a.id_lower.cmp(&b.id_lower));
    let options = &body["options"];
    if options["resultFormat"]
        .as_str()
        .is_some_and(|f| f != "objectArray")
    {
        return Response {
            status: 400,
            headers: vec![],
            body: arm_error(
                "BadRequest",
                "kensa's emulator serves objectArray only.",
                json!([]),
            ),
        };
    }
    let top = (options["$top"].as_u64().unwrap_or(100).clamp(1, 1000) as usize)
        .min(s.config.page_cap.max(1));
    let offset = options["$skipToken"]
        .as_str()
        .and_then(decode_token)
        .unwrap_or(0);
    let page: Vec<&Value> = rows
        .iter()
        .skip(offset)
        .take(top)
        .map(|r| &r.json)
        .collect();
    // Field order as in the real examples.
    let mut out = format!(
        "{{\"totalRecords\":{},\"count\":{},\"resultTruncated\":\"false\",\"facets\":[]",
        rows.len(),
        page.len()
    );
    if offset + top < rows.len() {
        out.push_str(&format!(
            ",\"$skipToken\":\"{}\"",
            encode_token(offset + top)
        ));
    }
    out.push_str(&format!(
        ",\"data\":{}}}",
        serde_json::to_string(&page).unwrap_or_default()
    ));
    Response {
        status: 200,
        headers: vec![],
        body: out,
    }
}

/// Opaque to the client (hex of a small JSON document), like the real tokens.
fn encode_token(offset: usize) -> String {
    json!({"$id": "1", "RowsToSkip": offset})
        .to_string()
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_token(t: &str) -> Option<usize> {
    let bytes: Option<Vec<u8>> = (0..t.len())
        .step_by(2)
        .map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    let v: Value = serde_json::from_slice(&bytes?).ok()?;
    v["RowsToSkip"].as_u64().map(|n| n as usize)
}

/// A directory holding a fake `az` that prints a token the way
/// `az account get-access-token -o json` does, and the PATH that puts it first.
pub struct FakeAz {
    _dir: tempfile::TempDir,
    pub path: String,
}

pub fn fake_az(token: &str, subscription: &str) -> FakeAz {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let az = dir.path().join("az");
    let script = format!("#!/bin/sh\necho '{{\"accessToken\": \"{token}\", \"expires_on\": 4102444800, \"tokenType\": \"Bearer\", \"subscription\": \"{subscription}\"}}'\n");
    std::fs::write(&az, script).expect("az written");
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).expect("az executable");
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    FakeAz { _dir: dir, path }
}

/// A Resource Graph page holding the first row only, claiming `total` records.
fn one_row_page(state: &Mutex<State>, total: u64, skip_token: Option<&str>) -> Response {
    let row = state
        .lock()
        .unwrap()
        .rows
        .first()
        .map(|r| r.json.clone())
        .unwrap_or(Value::Null);
    let mut body = json!({"totalRecords": total, "count": 1, "data": [row], "facets": [], "resultTruncated": "false"});
    if let Some(token) = skip_token {
        body["$skipToken"] = json!(token);
    }
    Response {
        status: 200,
        headers: vec![],
        body: body.to_string(),
    }
}
