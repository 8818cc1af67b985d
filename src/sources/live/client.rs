//! The one Resource Graph call (`POST …/providers/Microsoft.ResourceGraph/resources`) and the
//! ARM GET for JIT policies, with the quota, throttling and retry behaviour a nightly job
//! needs. Kept small on purpose: the official `azure_resourcemanager_resourcegraph` crate can
//! replace `Client::query` once it exists.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azure_core::credentials::TokenCredential;
use rand::Rng;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::auth::SCOPE;

pub(crate) const API_VERSION: &str = "2024-04-01";
pub(crate) const JIT_API_VERSION: &str = "2020-01-01";

/// Why a request did not produce a page.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    /// 403: the principal may not read this scope.
    Forbidden(String),
    /// 400 and other client errors: the query or request is wrong; retrying will not help.
    Rejected(String),
    /// 401 after a fresh token, or no credential could produce a token.
    Unauthorized(String),
    /// 5xx, timeouts, dropped connections, unreadable bodies: still failing after the retries.
    Unavailable(String),
    /// The overall `--timeout` would pass before the request could be made.
    Deadline,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Forbidden(m) => write!(f, "access denied (403): {m}"),
            Failure::Rejected(m) => write!(f, "request rejected: {m}"),
            Failure::Unauthorized(m) => write!(f, "not authenticated: {m}"),
            Failure::Unavailable(m) => write!(f, "unavailable after retries: {m}"),
            Failure::Deadline => write!(f, "not read before --timeout"),
        }
    }
}

/// One page of a Resource Graph response; rows stay raw.
#[derive(Deserialize)]
pub(crate) struct Page {
    #[serde(rename = "totalRecords")]
    pub(crate) total_records: u64,
    pub(crate) count: u64,
    #[serde(rename = "resultTruncated", default)]
    pub(crate) result_truncated: serde_json::Value,
    pub(crate) data: Vec<Box<RawValue>>,
    #[serde(rename = "$skipToken", default)]
    pub(crate) skip_token: Option<String>,
}

/// One page of an ARM list (`{"value": [...], "nextLink"?}`).
#[derive(Deserialize)]
pub(crate) struct ArmPage {
    pub(crate) value: Vec<Box<RawValue>>,
    #[serde(rename = "nextLink", default)]
    pub(crate) next_link: Option<String>,
}

/// Counters for the progress line and the closing summary.
#[derive(Debug, Default, Clone)]
pub(crate) struct Stats {
    pub(crate) requests: u64,
    pub(crate) pages: u64,
    pub(crate) rows: u64,
    pub(crate) retries: u64,
    pub(crate) throttled: u64,
    pub(crate) throttled_wait: Duration,
    /// `x-ms-tenant-subscription-limit-hit`: only the first 10,000 subscriptions were read.
    pub(crate) subscription_limit_hit: bool,
}

#[derive(Default)]
struct Quota {
    remaining: Option<u64>,
    resets_at: Option<Instant>,
}

pub(crate) struct Client {
    http: reqwest::Client,
    endpoint: String,
    credentials: Vec<(&'static str, Arc<dyn TokenCredential>)>,
    token: tokio::sync::Mutex<Option<(String, Instant)>>,
    quota: Mutex<Quota>,
    deadline: Instant,
    max_attempts: u32,
    pub(crate) stats: Mutex<Stats>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The longest wait a server may ask for; anything longer is read as this.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// A number of seconds sent by a server: negative, NaN or infinite values are ignored, huge
/// ones clamped (a header must never panic the scan or park it for hours).
fn seconds(s: f64) -> Option<Duration> {
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s.min(MAX_WAIT.as_secs_f64())))
}

/// `hh:mm:ss` (as in `x-ms-user-quota-resets-after`).
fn parse_hms(v: &str) -> Option<Duration> {
    let mut parts = v.trim().split(':').map(|p| p.parse::<f64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if [h, m, s].iter().any(|x| x.is_sign_negative()) {
        return None;
    }
    seconds(h * 3600.0 + m * 60.0 + s)
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The `error.code: message` of an ARM error body, without the support boilerplate.
fn error_text(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let Some(err) = parsed.as_ref().and_then(|v| v.get("error")) else {
        return body.chars().take(200).collect();
    };
    let code = err["code"].as_str().unwrap_or("error");
    let details: Vec<String> = err["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|x| {
                    format!(
                        "{}: {}",
                        x["code"].as_str().unwrap_or(""),
                        x["message"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let message = err["message"]
        .as_str()
        .unwrap_or("")
        .split("Please provide below info")
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let mut text = code.to_string();
    if !message.is_empty() {
        text.push_str(&format!(": {message}"));
    }
    if !details.is_empty() {
        text.push_str(&format!(" ({})", details.join("; ")));
    }
    text
}

enum Attempt<T> {
    Done(T),
    /// Wait this long and try again; `throttled` says whether it counts as throttling.
    Again {
        wait: Option<Duration>,
        why: String,
        throttled: bool,
    },
    Fail(Failure),
}

impl Client {
    pub(crate) fn new(
        endpoint: &str,
        credentials: Vec<(&'static str, Arc<dyn TokenCredential>)>,
        request_timeout: Duration,
        deadline: Instant,
    ) -> crate::error::Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(request_timeout)
            .connect_timeout(request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("kensa/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| crate::error::Error::Usage(format!("HTTP client: {e}")))?;
        Ok(Client {
            http,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            credentials,
            token: tokio::sync::Mutex::new(None),
            quota: Mutex::new(Quota::default()),
            deadline,
            max_attempts: 6,
            stats: Mutex::new(Stats::default()),
        })
    }

    /// A bearer token, cached until five minutes before it expires.
    async fn token(&self, fresh: bool) -> Result<String, Failure> {
        let mut cached = self.token.lock().await;
        if !fresh {
            if let Some((t, until)) = cached.as_ref() {
                if Instant::now() < *until {
                    return Ok(t.clone());
                }
            }
        }
        let mut errors = Vec::new();
        for (name, cred) in &self.credentials {
            match tokio::time::timeout(Duration::from_secs(30), cred.get_token(&[SCOPE], None))
                .await
            {
                Ok(Ok(tok)) => {
                    let left = (tok.expires_on - time::OffsetDateTime::now_utc())
                        .whole_seconds()
                        .max(0) as u64;
                    let until = Instant::now() + Duration::from_secs(left.saturating_sub(300));
                    let secret = tok.token.secret().to_string();
                    *cached = Some((secret.clone(), until));
                    return Ok(secret);
                }
                Ok(Err(e)) => errors.push(format!("{name}: {e}")),
                Err(_) => errors.push(format!("{name}: no token within 30 s")),
            }
        }
        Err(Failure::Unauthorized(format!(
            "no credential produced a token ({})",
            errors.join("; ")
        )))
    }

    /// Waits until the quota window allows another request (ARG's own headers say when).
    async fn respect_quota(&self) -> Result<(), Failure> {
        let wait = {
            let q = lock(&self.quota);
            match (q.remaining, q.resets_at) {
                (Some(0), Some(at)) => at.checked_duration_since(Instant::now()),
                _ => None,
            }
        };
        if let Some(wait) = wait {
            self.sleep(wait, true).await?;
            let mut q = lock(&self.quota);
            q.remaining = None;
        }
        Ok(())
    }

    async fn sleep(&self, wait: Duration, throttled: bool) -> Result<(), Failure> {
        if Instant::now() + wait > self.deadline {
            return Err(Failure::Deadline);
        }
        if throttled {
            let mut s = lock(&self.stats);
            s.throttled += 1;
            s.throttled_wait += wait;
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn note_quota(&self, resp: &reqwest::Response) {
        if header(resp, "x-ms-tenant-subscription-limit-hit")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            lock(&self.stats).subscription_limit_hit = true;
        }
        let remaining =
            header(resp, "x-ms-user-quota-remaining").and_then(|v| v.trim().parse::<u64>().ok());
        let resets = header(resp, "x-ms-user-quota-resets-after").and_then(parse_hms);
        if remaining.is_some() || resets.is_some() {
            let mut q = lock(&self.quota);
            q.remaining = remaining;
            q.resets_at = resets.map(|d| Instant::now() + d);
        }
    }

    fn backoff(attempt: u32) -> Duration {
        let base = Duration::from_millis(400) * 2u32.saturating_pow(attempt.saturating_sub(1));
        let jitter = rand::rng().random_range(0..=base.as_millis() as u64 / 2);
        (base + Duration::from_millis(jitter)).min(Duration::from_secs(30))
    }

    /// Sends one request (built by `build` with a bearer token), classifies the answer and
    /// retries what is worth retrying. A page is taken whole or not at all.
    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        build: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<T, Failure> {
        let mut attempts = 0;
        let mut throttles = 0;
        let mut renewed = false;
        loop {
            self.respect_quota().await?;
            if Instant::now() >= self.deadline {
                return Err(Failure::Deadline);
            }
            let token = self.token(false).await?;
            lock(&self.stats).requests += 1;
            // The overall deadline holds for a request in flight too (body included).
            let left = self.deadline.saturating_duration_since(Instant::now());
            let exchange = async {
                match build(&token).send().await {
                    Err(e) => Attempt::Again {
                        wait: None,
                        why: without_url(&e),
                        throttled: false,
                    },
                    Ok(resp) => self.classify(resp, &mut renewed).await,
                }
            };
            let Ok(outcome) = tokio::time::timeout(left, exchange).await else {
                return Err(Failure::Deadline);
            };
            match outcome {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(f) => return Err(f),
                Attempt::Again {
                    wait,
                    why,
                    throttled,
                } => {
                    if throttled {
                        throttles += 1;
                        if throttles > 20 {
                            return Err(Failure::Unavailable(format!(
                                "still throttled after {throttles} waits: {why}"
                            )));
                        }
                    } else if why != "token renewed" {
                        attempts += 1;
                        if attempts >= self.max_attempts {
                            return Err(Failure::Unavailable(why));
                        }
                        lock(&self.stats).retries += 1;
                    }
                    let wait = wait.unwrap_or_else(|| {
                        if throttled {
                            Duration::from_secs(1)
                        } else {
                            Self::backoff(attempts)
                        }
                    });
                    self.sleep(wait, throttled).await?;
                }
            }
        }
    }

    async fn classify<T: for<'de> Deserialize<'de>>(
        &self,
        resp: reqwest::Response,
        renewed: &mut bool,
    ) -> Attempt<T> {
        self.note_quota(&resp);
        let status = resp.status().as_u16();
        let retry_after = header(&resp, "retry-after")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .and_then(seconds);
        let reset = header(&resp, "x-ms-user-quota-resets-after").and_then(parse_hms);
        let body = match resp.text().await {
            Ok(b) => b,
            Err(e) => {
                return Attempt::Again {
                    wait: None,
                    why: format!("response body cut off: {}", without_url(&e)),
                    throttled: false,
                }
            }
        };
        match status {
            200 => match serde_json::from_str::<T>(&body) {
                Ok(v) => Attempt::Done(v),
                Err(e) => Attempt::Again {
                    wait: None,
                    why: format!("unreadable response body ({e})"),
                    throttled: false,
                },
            },
            429 => Attempt::Again {
                wait: retry_after.or(reset),
                why: format!("throttled (429): {}", error_text(&body)),
                throttled: true,
            },
            401 if !*renewed => {
                *renewed = true;
                *self.token.lock().await = None;
                Attempt::Again {
                    wait: Some(Duration::ZERO),
                    why: "token renewed".into(),
                    throttled: false,
                }
            }
            401 => Attempt::Fail(Failure::Unauthorized(format!(
                "401 with a fresh token: {}",
                error_text(&body)
            ))),
            403 => Attempt::Fail(Failure::Forbidden(error_text(&body))),
            408 | 500..=599 => Attempt::Again {
                wait: retry_after,
                why: format!("HTTP {status}: {}", error_text(&body)),
                throttled: false,
            },
            _ => Attempt::Fail(Failure::Rejected(format!(
                "HTTP {status}: {}",
                error_text(&body)
            ))),
        }
    }

    /// One Resource Graph page.
    pub(crate) async fn query(&self, body: &serde_json::Value) -> Result<Page, Failure> {
        let url = format!(
            "{}/providers/Microsoft.ResourceGraph/resources?api-version={API_VERSION}",
            self.endpoint
        );
        let page: Page = self
            .send(|token| self.http.post(&url).bearer_auth(token).json(body))
            .await?;
        let mut s = lock(&self.stats);
        s.pages += 1;
        s.rows += page.data.len() as u64;
        Ok(page)
    }

    /// Whether `url` has the scheme, host and port of the configured endpoint.
    fn same_origin(&self, url: &str) -> bool {
        let origin = |u: &str| {
            reqwest::Url::parse(u).ok().map(|u| {
                (
                    u.scheme().to_string(),
                    u.host_str().map(str::to_lowercase),
                    u.port_or_known_default(),
                )
            })
        };
        origin(url).is_some_and(|o| Some(o) == origin(&self.endpoint))
    }

    /// Every JIT policy of a subscription, through ARM (Resource Graph does not index them).
    pub(crate) async fn jit_policies(
        &self,
        subscription: &str,
    ) -> Result<Vec<Box<RawValue>>, Failure> {
        let mut url = format!("{}/subscriptions/{subscription}/providers/Microsoft.Security/jitNetworkAccessPolicies?api-version={JIT_API_VERSION}", self.endpoint);
        let mut rows = Vec::new();
        for _ in 0..1000 {
            let page: ArmPage = self
                .send(|token| self.http.get(&url).bearer_auth(token))
                .await?;
            rows.extend(page.value);
            match page.next_link {
                // The token goes to the configured endpoint only, never to a host a response
                // names.
                Some(next) if !next.is_empty() => match self.same_origin(&next) {
                    true => url = next,
                    false => {
                        return Err(Failure::Rejected(format!(
                            "nextLink points outside {}; not followed",
                            self.endpoint
                        )))
                    }
                },
                _ => return Ok(rows),
            }
        }
        Err(Failure::Rejected(
            "more than 1000 pages of JIT policies".into(),
        ))
    }
}

/// reqwest errors name the URL; ours has no secrets, but keep messages short.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading the body"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({detail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_reset_header_is_hh_mm_ss() {
        assert_eq!(parse_hms("00:00:05"), Some(Duration::from_secs(5)));
        assert_eq!(parse_hms("00:02:03"), Some(Duration::from_secs(123)));
        // A longer wait is clamped; a negative, NaN or infinite one ignored.
        assert_eq!(parse_hms("01:02:03"), Some(MAX_WAIT));
        assert_eq!(parse_hms("-01:00:00"), None);
        assert_eq!(parse_hms("00:00:NaN"), None);
        assert_eq!(parse_hms("00:00:inf"), None);
        assert_eq!(parse_hms("soon"), None);
    }

    #[test]
    fn error_text_keeps_code_and_details_and_drops_boilerplate() {
        let body = r#"{"error":{"code":"BadRequest","message":"Please provide below info when asking for support: timestamp = x, correlationId = y.","details":[{"code":"InvalidQuery","message":"Query is invalid."}]}}"#;
        assert_eq!(
            error_text(body),
            "BadRequest (InvalidQuery: Query is invalid.)"
        );
    }
}
