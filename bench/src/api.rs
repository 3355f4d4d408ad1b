//! Section 6: the HTTP API's latency on this machine — the router `interviews serve` runs, over
//! the embedded store holding 10,000 interviews of one project, served on loopback by
//! `axum::serve`, loaded by a bounded number of concurrent keep-alive clients.

use anyhow::{Context, Result};
use interview_api::{router, AppState, Auth, LocalToken};
use interview_core::config::Settings;
use interview_core::ports::ItemStore;
use interview_core::services::Services;
use interview_core::SystemClock;
use interview_embedded::uploads::LocalUploads;
use interview_embedded::{local_pipeline, Embedded};
use interview_testkit::http::HttpClient;
use interview_testkit::store_contract::project_item;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// The load on one endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointReport {
    /// What was requested.
    pub endpoint: String,
    /// Requests sent (all answered 200).
    pub requests: usize,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Requests per second over the pass.
    pub per_second: f64,
}

/// The whole section.
#[derive(Debug, Clone, Serialize)]
pub struct ApiReport {
    /// Interviews in the project.
    pub interviews: usize,
    /// Seconds to write them straight into the store.
    pub seed_seconds: f64,
    /// One row per endpoint.
    pub endpoints: Vec<EndpointReport>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn load(
    client: &HttpClient,
    urls: Vec<String>,
    token: &str,
    concurrency: usize,
    endpoint: &str,
) -> Result<EndpointReport> {
    let urls = Arc::new(urls);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, urls, next) = (client.clone(), urls.clone(), next.clone());
        let bearer = format!("Bearer {token}");
        workers.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(url) = urls.get(i) else { break };
                let sent = Instant::now();
                let answer = client
                    .send("GET", url, &[("authorization", &bearer)], Vec::new())
                    .await
                    .map_err(anyhow::Error::msg)?;
                anyhow::ensure!(answer.status == 200, "GET {url} answered {}", answer.status);
                latencies.push(sent.elapsed().as_secs_f64() * 1e3);
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Ok(EndpointReport {
        endpoint: endpoint.to_string(),
        requests: latencies.len(),
        concurrency,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        per_second: latencies.len() as f64 / elapsed.max(1e-9),
    })
}

/// Seeds `interviews` items, serves the router on loopback and loads two endpoints with
/// `requests` requests each from `concurrency` clients.
pub async fn run(interviews: usize, requests: usize, concurrency: usize) -> Result<ApiReport> {
    let dir = tempfile::tempdir()?;
    let settings = Settings::embedded(dir.path());
    let local = Embedded::open(&settings).context("open the data dir")?;
    let project = "bench";
    let seeded = Instant::now();
    let mut ids = Vec::with_capacity(interviews);
    for i in 0..interviews {
        let item = project_item(project, &format!("i{i}"), i as i64);
        local.store.create(&item).await?;
        ids.push(item.id);
    }
    let seed_seconds = seeded.elapsed().as_secs_f64();

    let services = Services::builder(settings, "bench", local.store.clone(), local.blobs.clone()).build();
    let (pipeline, _) = local_pipeline(services, Arc::new(SystemClock))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let token = "bench-token-0123456789abcdef";
    let app = router(AppState {
        uploads: Arc::new(LocalUploads::new(pipeline.clone(), base.clone(), [1; 32])),
        pipeline,
        auth: Auth::Local(LocalToken::new(token).map_err(anyhow::Error::msg)?),
    });
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = HttpClient::default();
    // The newest pages are what a dashboard asks for; each request is a fresh first page.
    let list: Vec<String> = (0..requests)
        .map(|_| format!("{base}/v1/interviews?project={project}&limit=50"))
        .collect();
    let one: Vec<String> = (0..requests)
        .map(|i| format!("{base}/v1/interviews/{}", ids[(i * 7919) % ids.len()]))
        .collect();
    let warmup: Vec<String> = list.iter().take(20).cloned().collect();
    load(&client, warmup, token, 2, "warm-up").await?;
    let endpoints = vec![
        load(&client, list, token, concurrency, "GET /v1/interviews?limit=50").await?,
        load(&client, one, token, concurrency, "GET /v1/interviews/{id}").await?,
    ];
    server.abort();
    Ok(ApiReport {
        interviews,
        seed_seconds,
        endpoints,
    })
}
