//! 200 concurrent clients pushing and pulling (blobs monolithic and
//! chunked, manifests, tags, files) against `signet serve` on the embedded
//! default for SIGNET_SOAK_SECS seconds (CI: 300; default 20): every
//! operation must succeed and read back what was written, and the server's
//! resident memory must stay bounded (no growth from the first half of the
//! run to the second beyond noise, and under a fixed ceiling).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

const CLIENTS: usize = 200;

fn sha256_hex(b: &[u8]) -> String {
    signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[b]))
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|v| v.parse().unwrap_or(0)))
        })
        .unwrap_or(0)
}

struct Ctx {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl Ctx {
    fn req(&self, m: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(m, format!("{}{path}", self.url))
            .basic_auth("admin", Some(&self.token))
    }
}

/// One client's round: returns an error message on any failure.
async fn round(ctx: &Ctx, client: usize, n: u64) -> Result<(), String> {
    use reqwest::Method;
    let repo = format!("soak/c{}", client % 20);
    let size = 4096 + (client * 7919 + n as usize * 104_729) % 60_000;
    let blob: Vec<u8> = (0..size)
        .map(|i| (i as u64 ^ (client as u64 * 31 + n * 17)) as u8)
        .collect();
    let digest = format!("sha256:{}", sha256_hex(&blob));
    let check = |what: &str, r: &reqwest::Response, want: u16| {
        if r.status().as_u16() == want {
            Ok(())
        } else {
            Err(format!("{what}: {} (wanted {want})", r.status()))
        }
    };
    let send =
        |r: reqwest::RequestBuilder| async move { r.send().await.map_err(|e| format!("{e}")) };
    if n.is_multiple_of(2) {
        let r = send(
            ctx.req(
                Method::POST,
                &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
            )
            .body(blob.clone()),
        )
        .await?;
        check("monolithic push", &r, 201)?;
    } else {
        let r = send(ctx.req(Method::POST, &format!("/v2/{repo}/blobs/uploads/"))).await?;
        check("start upload", &r, 202)?;
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        let (a, b) = blob.split_at(blob.len() / 2);
        let r = send(
            ctx.req(Method::PATCH, &loc)
                .header("content-range", format!("0-{}", a.len() - 1))
                .body(a.to_vec()),
        )
        .await?;
        check("chunk 1", &r, 202)?;
        let r = send(
            ctx.req(Method::PATCH, &loc)
                .header("content-range", format!("{}-{}", a.len(), blob.len() - 1))
                .body(b.to_vec()),
        )
        .await?;
        check("chunk 2", &r, 202)?;
        let r = send(ctx.req(Method::PUT, &format!("{loc}?digest={digest}"))).await?;
        check("finish upload", &r, 201)?;
    }
    let cfg = format!("sha256:{}", sha256_hex(b"{}"));
    let r = send(
        ctx.req(
            Method::POST,
            &format!("/v2/{repo}/blobs/uploads/?digest={cfg}"),
        )
        .body("{}"),
    )
    .await?;
    check("config push", &r, 201)?;
    let manifest = serde_json::to_vec(&json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": size}]}))
    .unwrap();
    let tag = format!("t{client}-{}", n % 5);
    let r = send(
        ctx.req(Method::PUT, &format!("/v2/{repo}/manifests/{tag}"))
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .body(manifest.clone()),
    )
    .await?;
    check("manifest push", &r, 201)?;
    let r = send(ctx.req(Method::GET, &format!("/v2/{repo}/manifests/{tag}"))).await?;
    check("manifest pull", &r, 200)?;
    if r.bytes().await.map_err(|e| e.to_string())? != manifest {
        return Err("manifest pulled back differs".into());
    }
    let r = send(ctx.req(Method::GET, &format!("/v2/{repo}/blobs/{digest}"))).await?;
    check("blob pull", &r, 200)?;
    if r.bytes().await.map_err(|e| e.to_string())? != blob {
        return Err("blob pulled back differs".into());
    }
    if n % 4 == 3 {
        let path = format!(
            "/api/v1/repositories/soak/files/files/c{client}/{}.bin",
            n % 3
        );
        let r = send(
            ctx.req(Method::PUT, &path)
                .header("x-checksum-sha256", sha256_hex(&blob))
                .body(blob.clone()),
        )
        .await?;
        check("file put", &r, 201)?;
        let r = send(ctx.req(Method::GET, &path)).await?;
        check("file get", &r, 200)?;
        if r.bytes().await.map_err(|e| e.to_string())? != blob {
            return Err("file read back differs".into());
        }
    }
    if n % 5 == 4 {
        let r = send(ctx.req(Method::DELETE, &format!("/v2/{repo}/manifests/{tag}"))).await?;
        check("tag delete", &r, 202)?;
    }
    Ok(())
}

#[test]
fn two_hundred_clients_push_and_pull_without_errors() {
    let secs: u64 = std::env::var("SIGNET_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("srv");
    let server = Server::start(&data, free_port());
    let pid = server.pid();
    let token = std::fs::read_to_string(data.join("admin-token"))
        .unwrap()
        .trim()
        .to_owned();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ctx = Arc::new(Ctx {
        url: server.url.clone(),
        token,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .unwrap(),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let ops = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let start = Instant::now();
    let (samples, ops_done) = rt.block_on(async {
        let mut tasks = Vec::new();
        for client in 0..CLIENTS {
            let (ctx, stop, ops, errors) = (ctx.clone(), stop.clone(), ops.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    if let Err(e) = round(&ctx, client, n).await {
                        errors
                            .lock()
                            .unwrap()
                            .push(format!("client {client} round {n}: {e}"));
                    }
                    ops.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
            }));
        }
        let mut samples = Vec::new();
        while start.elapsed() < Duration::from_secs(secs) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            samples.push(rss_kib(pid));
        }
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        (samples, ops.load(Ordering::Relaxed))
    });
    let errors = errors.lock().unwrap();
    let half = samples.len() / 2;
    let first = samples[..half].iter().copied().max().unwrap_or(0);
    let second = samples[half..].iter().copied().max().unwrap_or(0);
    eprintln!(
        "soak: {CLIENTS} clients, {secs} s, {ops_done} rounds ({:.0}/s), {} errors, RSS max first half {} MiB, second half {} MiB",
        ops_done as f64 / secs as f64,
        errors.len(),
        first / 1024,
        second / 1024
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(ops_done >= CLIENTS as u64, "too few rounds: {ops_done}");
    // Bounded: under 512 MiB (a debug build) and no growth beyond noise.
    assert!(second < 512 * 1024, "RSS {} MiB", second / 1024);
    assert!(
        second <= first + first / 4 + 16 * 1024,
        "RSS grew from {} to {} MiB",
        first / 1024,
        second / 1024
    );
}
