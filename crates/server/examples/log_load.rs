//! Load generator for the log (`bench/log-load.sh` runs it): CONCURRENCY
//! writers post pre-signed hashedrekord entries for SECONDS and report
//! appends/s and submit-to-proof latency percentiles (each response carries
//! the inclusion proof, so latency is submit → proof).
//!
//! `cargo run --release -p signet-server --example log_load -- URL SECONDS CONCURRENCY`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_crypto::{KeyAlgorithm, Message, PrivateKey};
use signet_types::b64;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:5000".into());
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let concurrency: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(256);

    // Pre-sign entries so the client spends its CPU on HTTP only.
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("keygen");
    let pem = b64::encode(key.public_key().to_pem());
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let total = 12_000 * seconds as usize;
    eprintln!("pre-signing {total} entries...");
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..total)
            .map(|i| {
                let content = format!("{run_id}-{i}");
                let d = Digest::of(DigestAlgorithm::Sha256, content.as_bytes());
                let sig = key.sign(&Message::Digest(d)).expect("sign");
                serde_json::to_vec(
                    &json!({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {
                    "signature": {"content": b64::encode(&sig), "publicKey": {"content": pem}},
                    "data": {"hash": {"algorithm": "sha256", "value": d.to_hex()}}}}),
                )
                .expect("json")
            })
            .collect(),
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    // Throughput per 10 s window on stderr, to show whether the rate holds.
    let reporter = {
        let (done, stop) = (done.clone(), stop.clone());
        tokio::spawn(async move {
            let mut last = 0;
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            tick.tick().await;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let now = done.load(Ordering::Relaxed);
                eprintln!(
                    "  {:>4.0}s: {}/s",
                    start.elapsed().as_secs_f64(),
                    (now - last) / 10
                );
                last = now;
            }
        })
    };
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let done = done.clone();
        let (client, url, bodies, next, stop, errors, busy) = (
            client.clone(),
            url.clone(),
            bodies.clone(),
            next.clone(),
            stop.clone(),
            errors.clone(),
            busy.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let t = Instant::now();
                match client
                    .post(format!("{url}/api/v1/log/entries"))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) if r.status().as_u16() == 503 => {
                        busy.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed_at_stop = start.elapsed();
    reporter.abort();
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap_or_default());
    }
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "appends {} in {:.1}s: {:.0}/s; p50 {:?} p99 {:?} max {:?}; 503s {}; errors {}",
        lat.len(),
        elapsed_at_stop.as_secs_f64(),
        lat.len() as f64 / elapsed_at_stop.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or_default(),
        busy.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
    );
}
