//! Live estates from Azure Resource Graph: a few broad queries (one per table, filtered by
//! type, ordered by id, paged by `$skipToken`) per scope, plus JIT policies from ARM. The rows
//! are assembled into one Resource Graph response body — the snapshot format — so a live scan
//! and `kensa collect` + `scan --snapshot` hand the policies identical input.

pub(crate) mod auth;
pub(crate) mod client;

use std::time::{Duration, Instant};

use serde_json::json;
use serde_json::value::RawValue;

use super::SourceGap;
use crate::error::{Error, Result};
use client::{Client, Failure};

/// The resource types the rules read, from the `resources` table.
pub(crate) const RESOURCE_TYPES: &[&str] = &[
    "microsoft.compute/virtualmachines",
    "microsoft.compute/virtualmachinescalesets",
    "microsoft.compute/disks",
    "microsoft.compute/images",
    "microsoft.compute/galleries",
    "microsoft.compute/galleries/images",
    "microsoft.compute/galleries/images/versions",
    "microsoft.network/networksecuritygroups",
    "microsoft.network/networkinterfaces",
    "microsoft.network/publicipaddresses",
    "microsoft.network/virtualnetworks",
    "microsoft.network/loadbalancers",
    "microsoft.network/applicationsecuritygroups",
];

const PROJECT: &str = "project id, name, type, tenantId, kind, location, resourceGroup, subscriptionId, managedBy, sku, plan, properties, tags, identity, zones, extendedLocation";

/// The queries, one per table. Every one projects `id` and orders by it, which paging needs.
pub(crate) fn queries() -> Vec<(&'static str, String)> {
    let types = RESOURCE_TYPES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        ("resources", format!("resources | where type in~ ({types}) | {PROJECT} | order by id asc")),
        (
            "patchassessmentresources",
            format!("patchassessmentresources | where type in~ ('microsoft.compute/virtualmachines/patchassessmentresults', 'microsoft.compute/virtualmachines/patchassessmentresults/softwarepatches') | {PROJECT} | order by id asc"),
        ),
        ("securityresources", format!("securityresources | where type =~ 'microsoft.security/locations/jitnetworkaccesspolicies' | {PROJECT} | order by id asc")),
    ]
}

/// What to read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub(crate) subscriptions: Vec<String>,
    pub(crate) management_groups: Vec<String>,
}

impl Scope {
    /// Request scopes: subscriptions in batches of 1000 (the API's limit), management groups
    /// one by one, or the whole tenant.
    fn parts(&self) -> Vec<(String, serde_json::Value)> {
        let mut parts = Vec::new();
        for batch in self.subscriptions.chunks(1000) {
            let label = if batch.len() == 1 {
                format!("subscription {}", batch[0])
            } else {
                format!("{} subscriptions ({}…)", batch.len(), batch[0])
            };
            parts.push((label, json!({"subscriptions": batch})));
        }
        for mg in &self.management_groups {
            parts.push((
                format!("management group {mg}"),
                json!({"managementGroups": [mg]}),
            ));
        }
        if parts.is_empty() {
            parts.push(("tenant".to_string(), json!({})));
        }
        parts
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) endpoint: String,
    pub(crate) auth: auth::AuthMode,
    pub(crate) scope: Scope,
    pub(crate) timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) quiet: bool,
}

/// What a live read produced: a Resource Graph response body and what could not be read.
pub(crate) struct Collected {
    pub(crate) body: String,
    pub(crate) rows: usize,
    pub(crate) gaps: Vec<SourceGap>,
    pub(crate) stats: client::Stats,
}

/// How reports name a live source: `resource-graph <endpoint> (<scopes>)`.
pub(crate) fn describe(opts: &Target) -> String {
    let scopes: Vec<String> = opts
        .scope
        .parts()
        .into_iter()
        .map(|(label, _)| label)
        .collect();
    format!("resource-graph {} ({})", opts.endpoint, scopes.join(", "))
}

pub(crate) fn collect(opts: &Target) -> Result<Collected> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("async runtime: {e}")))?;
    runtime.block_on(collect_async(opts))
}

struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(quiet: bool) -> Progress {
        if !super::show_progress(quiet) {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    fn show(&self, client: &Client, doing: &str) {
        if let Some(bar) = &self.0 {
            let s = client.stats.lock().map(|s| s.clone()).unwrap_or_default();
            bar.set_message(format!(
                "{doing} · {} pages · {} rows · throttled {} ({:.0}s) · {} retries",
                s.pages,
                s.rows,
                s.throttled,
                s.throttled_wait.as_secs_f64(),
                s.retries
            ));
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

async fn collect_async(opts: &Target) -> Result<Collected> {
    let deadline = Instant::now() + opts.timeout;
    let client = Client::new(
        &opts.endpoint,
        auth::credentials(opts.auth)?,
        opts.request_timeout,
        deadline,
    )?;
    let progress = Progress::new(opts.quiet);
    let mut rows: Vec<Box<RawValue>> = Vec::new();
    let mut gaps = Vec::new();
    let mut jit_rows = 0;
    for (table, query) in queries() {
        for (label, scope) in opts.scope.parts() {
            progress.show(&client, &format!("{table} in {label}"));
            match read_table(
                &client,
                &query,
                &scope,
                &progress,
                &format!("{table} in {label}"),
            )
            .await
            {
                Ok((found, short)) => {
                    if table == "securityresources" {
                        jit_rows += found.len();
                    }
                    rows.extend(found);
                    if let Some(reason) = short {
                        gaps.push(SourceGap {
                            source: format!("{table} in {label}"),
                            reason,
                        });
                    }
                }
                // Unauthenticated: nothing else will work either.
                Err(Failure::Unauthorized(m)) => {
                    return Err(Error::Usage(format!(
                        "Resource Graph at {}: not authenticated: {m}",
                        opts.endpoint
                    )))
                }
                // One subscription of a batch may be forbidden: read them one by one.
                Err(Failure::Forbidden(_))
                    if scope
                        .get("subscriptions")
                        .and_then(|s| s.as_array())
                        .is_some_and(|s| s.len() > 1) =>
                {
                    for sub in scope["subscriptions"].as_array().into_iter().flatten() {
                        let single = json!({"subscriptions": [sub]});
                        let what =
                            format!("{table} in subscription {}", sub.as_str().unwrap_or(""));
                        match read_table(&client, &query, &single, &progress, &what).await {
                            Ok((found, _)) => rows.extend(found),
                            Err(f) => gaps.push(SourceGap {
                                source: what,
                                reason: f.to_string(),
                            }),
                        }
                    }
                }
                // JIT policies may simply not be in Resource Graph; ARM is asked below.
                Err(Failure::Rejected(_)) if table == "securityresources" => {}
                Err(f) => gaps.push(SourceGap {
                    source: format!("{table} in {label}"),
                    reason: f.to_string(),
                }),
            }
        }
    }
    if jit_rows == 0 {
        for sub in subscriptions_with_vms(&rows) {
            progress.show(&client, &format!("JIT policies of subscription {sub}"));
            match client.jit_policies(&sub).await {
                Ok(found) => rows.extend(found),
                Err(Failure::Unauthorized(m)) => {
                    return Err(Error::Usage(format!(
                        "ARM at {}: not authenticated: {m}",
                        opts.endpoint
                    )))
                }
                Err(f) => gaps.push(SourceGap {
                    source: format!("JIT policies of subscription {sub}"),
                    reason: format!(
                        "{f} (network.jit-required is unreliable there; it needs Security Reader)"
                    ),
                }),
            }
        }
    }
    progress.done();
    let stats = client.stats.lock().map(|s| s.clone()).unwrap_or_default();
    if stats.subscription_limit_hit {
        gaps.push(SourceGap {
            source: "tenant".into(),
            reason: "Resource Graph read only the first 10,000 subscriptions (x-ms-tenant-subscription-limit-hit); scan by --management-group or --subscription".into(),
        });
    }
    Ok(Collected {
        rows: rows.len(),
        body: body(&rows, &gaps),
        gaps,
        stats,
    })
}

/// All pages of one query in one scope. A failed page fails the whole table for the scope:
/// rows of a half-read table are never used. With the rows, why the table is short, if it is.
async fn read_table(
    client: &Client,
    query: &str,
    scope: &serde_json::Value,
    progress: &Progress,
    what: &str,
) -> Result<(Vec<Box<RawValue>>, Option<String>), Failure> {
    let mut rows = Vec::new();
    let mut skip_token: Option<String> = None;
    let mut seen_tokens = std::collections::HashSet::new();
    let mut truncated = false;
    loop {
        let mut request = scope.clone();
        request["query"] = json!(query);
        let mut options = json!({"resultFormat": "objectArray", "$top": 1000});
        if let Some(t) = &skip_token {
            options["$skipToken"] = json!(t);
        }
        request["options"] = options;
        let page = client.query(&request).await?;
        // Anything but an explicit "false" (or nothing) may mean rows are missing.
        truncated |= !matches!(
            &page.result_truncated,
            serde_json::Value::Null | serde_json::Value::Bool(false)
        ) && !matches!(&page.result_truncated, serde_json::Value::String(s) if s.eq_ignore_ascii_case("false"));
        if page.count != page.data.len() as u64 {
            return Err(Failure::Unavailable(format!(
                "page says count {} but holds {} rows",
                page.count,
                page.data.len()
            )));
        }
        rows.extend(page.data);
        progress.show(client, what);
        // Paging that would not end: the same token twice, or more rows than the query
        // counted (plus one page of slack for an estate that grew while being read).
        if rows.len() as u64 > page.total_records.saturating_add(1000) {
            return Err(Failure::Unavailable(format!(
                "more pages than totalRecords {} allows; paging stopped at {} rows",
                page.total_records,
                rows.len()
            )));
        }
        match page.skip_token {
            Some(t) if !seen_tokens.insert(t.clone()) => {
                return Err(Failure::Unavailable(
                    "the service returned the same $skipToken twice; paging stopped".into(),
                ))
            }
            Some(t) if !t.is_empty() => skip_token = Some(t),
            // Fewer rows than the query counted: the estate changed under the paging, or
            // the service cut the result. Either way the table is not complete.
            _ => {
                let short = if truncated {
                    Some(format!(
                        "`resultTruncated` is {}: some rows were not returned",
                        page.result_truncated
                    ))
                } else if (rows.len() as u64) < page.total_records {
                    Some(format!(
                        "the query counted {} rows but {} were returned (the estate changed while it was read, or the service cut the result)",
                        page.total_records,
                        rows.len()
                    ))
                } else {
                    None
                };
                return Ok((rows, short));
            }
        }
    }
}

/// Subscriptions that hold VMs: the only ones whose JIT policies matter.
fn subscriptions_with_vms(rows: &[Box<RawValue>]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(rename = "type", default)]
        kind: String,
        #[serde(default)]
        id: String,
    }
    let mut subs: Vec<String> = rows
        .iter()
        .filter_map(|r| serde_json::from_str::<Head>(r.get()).ok())
        .filter(|h| {
            h.kind
                .eq_ignore_ascii_case("microsoft.compute/virtualmachines")
        })
        .filter_map(|h| h.id.split('/').nth(2).map(str::to_lowercase))
        .collect();
    subs.sort();
    subs.dedup();
    subs
}

/// A Resource Graph response body holding every row read. What could not be read travels
/// with it (`kensa.gaps`, and `resultTruncated: "true"` for other readers), so a scan of the
/// saved file is as incomplete as the live one.
fn body(rows: &[Box<RawValue>], gaps: &[SourceGap]) -> String {
    let mut out =
        String::with_capacity(rows.iter().map(|r| r.get().len() + 2).sum::<usize>() + 256);
    let meta = json!({"gaps": gaps});
    out.push_str(&format!(
        "{{\"totalRecords\": {n}, \"count\": {n}, \"resultTruncated\": \"{t}\", \"facets\": [], \"kensa\": {meta}, \"data\": [\n",
        n = rows.len(),
        t = !gaps.is_empty()
    ));
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(r.get());
    }
    out.push_str("\n]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_batched_by_1000() {
        let scope = Scope {
            subscriptions: (0..2500).map(|i| format!("{i:08}")).collect(),
            management_groups: vec!["mg".into()],
        };
        let parts = scope.parts();
        let sizes: Vec<usize> = parts
            .iter()
            .filter_map(|(_, s)| s["subscriptions"].as_array().map(Vec::len))
            .collect();
        assert_eq!(sizes, vec![1000, 1000, 500]);
        assert_eq!(parts[3].1, json!({"managementGroups": ["mg"]}));
        assert_eq!(
            Scope::default().parts()[0],
            ("tenant".to_string(), json!({}))
        );
    }

    #[test]
    fn every_query_projects_id_and_orders_by_it() {
        for (_, q) in queries() {
            assert!(
                q.contains("project id,") && q.ends_with("order by id asc"),
                "{q}"
            );
        }
    }
}
