//! `signet serve` as users run it: the registry next to the log, the admin
//! credential made on first start, and skopeo (a real OCI client) pushing
//! and pulling a multi-arch image.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::{Value, json};

fn sha256_hex(b: &[u8]) -> String {
    signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[b]))
}

/// Writes a blob into an OCI image layout; returns its descriptor.
fn put_blob(layout: &Path, media_type: &str, bytes: &[u8]) -> Value {
    let hex = sha256_hex(bytes);
    let dir = layout.join("blobs/sha256");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&hex), bytes).unwrap();
    json!({"mediaType": media_type, "digest": format!("sha256:{hex}"), "size": bytes.len()})
}

/// An OCI layout holding a two-platform index tagged `v1`.
fn multi_arch_layout(layout: &Path) -> String {
    let mut manifests = Vec::new();
    for arch in ["amd64", "arm64"] {
        // An uncompressed tar: one file, then the two zero end blocks.
        let mut tar = vec![0u8; 512];
        tar[..5].copy_from_slice(b"hello");
        tar[100..107].copy_from_slice(b"000644\0");
        let content = format!("built for {arch}\n");
        tar[124..135].copy_from_slice(format!("{:011o}", content.len()).as_bytes());
        tar[156] = b'0';
        tar[148..156].copy_from_slice(b"        ");
        let sum: u32 = tar.iter().map(|&b| u32::from(b)).sum();
        tar[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let mut data = content.into_bytes();
        data.resize(512, 0);
        tar.extend(data);
        tar.extend([0u8; 1024]);
        let layer = put_blob(layout, "application/vnd.oci.image.layer.v1.tar", &tar);
        let config = json!({"architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}});
        let config = put_blob(
            layout,
            "application/vnd.oci.image.config.v1+json",
            &serde_json::to_vec(&config).unwrap(),
        );
        let manifest = json!({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config, "layers": [layer]});
        let mut desc = put_blob(
            layout,
            "application/vnd.oci.image.manifest.v1+json",
            &serde_json::to_vec(&manifest).unwrap(),
        );
        desc["platform"] = json!({"architecture": arch, "os": "linux"});
        manifests.push(desc);
    }
    let index = json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    let index_bytes = serde_json::to_vec(&index).unwrap();
    let desc = put_blob(
        layout,
        "application/vnd.oci.image.index.v1+json",
        &index_bytes,
    );
    tag_v1(layout, desc);
    format!("sha256:{}", sha256_hex(&index_bytes))
}

/// Finishes an OCI layout: `desc` is its one manifest, tagged `v1`.
fn tag_v1(layout: &Path, mut desc: Value) {
    desc["annotations"] = json!({"org.opencontainers.image.ref.name": "v1"});
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [desc]})).unwrap(),
    )
    .unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
}

fn skopeo(args: &[&str]) -> std::process::Output {
    Command::new("skopeo")
        .args(["--insecure-policy"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn serve_runs_the_registry_and_skopeo_pushes_and_pulls() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("srv");
    let server = Server::start(&data, free_port());
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let token = token.trim();
    // The credential is required.
    let client = reqwest::blocking::Client::new();
    let r = client.get(format!("{}/v2/", server.url)).send().unwrap();
    assert_eq!(r.status(), 401);
    let realm = format!(
        "Bearer realm=\"{}/v2/token\",service=\"signet\"",
        server.url
    );
    assert_eq!(r.headers()["www-authenticate"], realm.as_str());
    let r = client
        .get(format!("{}/v2/", server.url))
        .basic_auth("admin", Some(token))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // Liveness and readiness need no credential.
    for path in ["/healthz", "/readyz"] {
        let r = client.get(format!("{}{path}", server.url)).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // Prometheus metrics: requests by route class and status, no names.
    let r = client
        .get(format!("{}/v2/production/app/tags/list", server.url))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let metrics = client
        .get(format!("{}/metrics", server.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(r#"signet_http_requests_total{route="v2",method="GET",status="401"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("signet_http_request_duration_seconds_bucket{"));
    assert!(metrics.contains(r#"signet_registry_access_denied_total{level="read"} 1"#));
    assert!(!metrics.contains("production"));

    if Command::new("skopeo").arg("--version").output().is_err() {
        signet_testkit::missing("skopeo (apt install skopeo)");
        return;
    }
    let src = t.path().join("src");
    let index_digest = multi_arch_layout(&src);
    let host = server.url.trim_start_matches("http://");
    let creds = format!("admin:{token}");
    let dest = format!("docker://{host}/production/app:v1");
    // Without credentials skopeo is refused.
    let o = skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", src.display()),
        &dest,
    ]);
    assert!(!o.status.success(), "anonymous push succeeded");
    let o = skopeo(&[
        "copy",
        "--all",
        "--preserve-digests",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        &format!("oci:{}:v1", src.display()),
        &dest,
    ]);
    assert!(
        o.status.success(),
        "push: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The registry holds the index under the same digest.
    let o = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        &creds,
        &dest,
    ]);
    assert!(
        o.status.success(),
        "inspect: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(format!("sha256:{}", sha256_hex(&o.stdout)), index_digest);
    // Pull everything back into a fresh layout: byte-identical blobs.
    let out = t.path().join("out");
    let o = skopeo(&[
        "copy",
        "--all",
        "--preserve-digests",
        "--src-tls-verify=false",
        "--src-creds",
        &creds,
        &dest,
        &format!("oci:{}:v1", out.display()),
    ]);
    assert!(
        o.status.success(),
        "pull: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut pulled = 0;
    for e in std::fs::read_dir(src.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        let there = std::fs::read(out.join("blobs/sha256").join(e.file_name())).unwrap();
        assert_eq!(there, std::fs::read(e.path()).unwrap());
        pulled += 1;
    }
    assert_eq!(pulled, 7, "index, 2 manifests, 2 configs, 2 layers");
    let o = skopeo(&[
        "list-tags",
        "--tls-verify=false",
        "--creds",
        &creds,
        &format!("docker://{host}/production/app"),
    ]);
    let tags: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(tags["Tags"], json!(["v1"]));
    // Anonymous pulls (Docker's anonymous token) only once the repository
    // allows them.
    let anon = [
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--no-creds",
        &dest,
    ];
    assert!(
        !skopeo(&anon).status.success(),
        "anonymous pull of a private repository"
    );
    let set = |on: bool| {
        let r = client
            .patch(format!("{}/api/v1/repositories/production/app", server.url))
            .basic_auth("admin", Some(token))
            .json(&json!({"anonymous_read": on}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    };
    set(true);
    let o = skopeo(&anon);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(format!("sha256:{}", sha256_hex(&o.stdout)), index_digest);
    // Still no anonymous push.
    let o = skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        "--dest-no-creds",
        &format!("oci:{}:v1", src.display()),
        &format!("docker://{host}/production/app:v2"),
    ]);
    assert!(!o.status.success(), "anonymous push succeeded");
    set(false);
    assert!(!skopeo(&anon).status.success());
}

/// An OCI layout holding one artifact (empty config, `artifactType`, one
/// file layer) tagged `v1`; returns the manifest digest.
fn artifact_layout(layout: &Path) -> String {
    let empty = put_blob(layout, "application/vnd.oci.empty.v1+json", b"{}");
    let layer = put_blob(
        layout,
        "application/vnd.example.sbom+json",
        br#"{"packages":[]}"#,
    );
    let manifest = json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.example.sbom",
        "config": empty, "layers": [layer]});
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let desc = put_blob(layout, "application/vnd.oci.image.manifest.v1+json", &bytes);
    tag_v1(layout, desc);
    format!("sha256:{}", sha256_hex(&bytes))
}

fn skopeo_ok(args: &[&str]) -> Vec<u8> {
    let o = skopeo(args);
    assert!(
        o.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

#[test]
fn images_and_artifacts_move_between_signet_and_docker_registry() {
    let t = tempfile::tempdir().unwrap();
    let Some(peer) = DockerRegistry::start(t.path()) else {
        return;
    };
    if Command::new("skopeo").arg("--version").output().is_err() {
        signet_testkit::missing("skopeo (apt install skopeo)");
        return;
    }
    let data = t.path().join("srv");
    let server = Server::start(&data, free_port());
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let creds = format!("admin:{}", token.trim());
    let ours = server.url.trim_start_matches("http://").to_owned();
    let src = t.path().join("src");
    let index_digest = multi_arch_layout(&src);
    let art = t.path().join("art");
    let artifact_digest = artifact_layout(&art);
    let raw_digest = |reference: &str, creds: Option<&str>| {
        let mut args = vec!["inspect", "--raw", "--tls-verify=false"];
        if let Some(c) = creds {
            args.extend(["--creds", c]);
        }
        args.push(reference);
        format!("sha256:{}", sha256_hex(&skopeo_ok(&args)))
    };
    for (layout, digest, name) in [
        (&src, &index_digest, "apps/multi"),
        (&art, &artifact_digest, "apps/sbom"),
    ] {
        // Layout -> docker-registry -> signet -> docker-registry (another
        // name) -> signet (another name): the same digest everywhere.
        let on_peer = format!("docker://{}/{name}:v1", peer.host);
        let on_ours = format!("docker://{ours}/{name}:v1");
        let back_on_peer = format!("docker://{}/{name}-back:v1", peer.host);
        let back_on_ours = format!("docker://{ours}/{name}-again:v1");
        skopeo_ok(&[
            "copy",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            &format!("oci:{}:v1", layout.display()),
            &on_peer,
        ]);
        skopeo_ok(&[
            "copy",
            "--all",
            "--preserve-digests",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--dest-creds",
            &creds,
            &on_peer,
            &on_ours,
        ]);
        assert_eq!(
            &raw_digest(&on_ours, Some(&creds)),
            digest,
            "{name} on signet"
        );
        skopeo_ok(&[
            "copy",
            "--all",
            "--preserve-digests",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--src-creds",
            &creds,
            &on_ours,
            &back_on_peer,
        ]);
        assert_eq!(
            &raw_digest(&back_on_peer, None),
            digest,
            "{name} back on docker-registry"
        );
        skopeo_ok(&[
            "copy",
            "--all",
            "--preserve-digests",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--dest-creds",
            &creds,
            &back_on_peer,
            &back_on_ours,
        ]);
        assert_eq!(
            &raw_digest(&back_on_ours, Some(&creds)),
            digest,
            "{name} again on signet"
        );
        // And out to a layout: byte-identical blobs.
        let out = t.path().join(format!("out-{}", name.replace('/', "-")));
        skopeo_ok(&[
            "copy",
            "--all",
            "--preserve-digests",
            "--src-tls-verify=false",
            "--src-creds",
            &creds,
            &back_on_ours,
            &format!("oci:{}:v1", out.display()),
        ]);
        for e in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
            let e = e.unwrap();
            let there = std::fs::read(out.join("blobs/sha256").join(e.file_name())).unwrap();
            assert_eq!(there, std::fs::read(e.path()).unwrap(), "{name}");
        }
    }
}

/// oras-py (PyPI `oras`, the ORAS Python client) through the Docker token
/// flow: push a file as an artifact, pull it back, and push a second
/// artifact whose subject is the first (found through the referrers API).
#[test]
fn oras_pushes_and_pulls_an_artifact_with_a_referrer() {
    let probe = Command::new("python3")
        .args(["-c", "import oras.client"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        signet_testkit::missing("oras (pip install oras)");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("srv");
    let server = Server::start(&data, free_port());
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let host = server.url.trim_start_matches("http://").to_owned();
    let work = t.path().join("work");
    std::fs::create_dir_all(work.join("out")).unwrap();
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(work.join("payload.bin"), &payload).unwrap();
    std::fs::write(work.join("sig.json"), br#"{"sig":"x"}"#).unwrap();
    let script = r#"
import json, os, sys
import oras.client, oras.oci
host, user, password, work = sys.argv[1:5]
os.chdir(work)
c = oras.client.OrasClient(hostname=host, insecure=True, auth_backend="token")
c.login(username=user, password=password, hostname=host, tls_verify=False)
r = c.push(target=f"{host}/artifacts/demo:v1", files=["payload.bin"])
assert r.status_code == 201, (r.status_code, r.text)
digest = r.headers["Docker-Content-Digest"]
pulled = c.pull(target=f"{host}/artifacts/demo:v1", outdir="out")
manifest = c.get_manifest(f"{host}/artifacts/demo:v1")
size = len(json.dumps(manifest).encode())
subject = oras.oci.Subject(mediaType=manifest["mediaType"], digest=digest, size=size)
r = c.push(target=f"{host}/artifacts/demo:sig", files=["sig.json"], subject=subject)
assert r.status_code == 201, (r.status_code, r.text)
print(json.dumps({"digest": digest, "pulled": pulled, "referrer": r.headers["Docker-Content-Digest"]}))
"#;
    let o = Command::new("python3")
        .args(["-c", script, &host, "admin", token.trim()])
        .arg(&work)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "oras: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let out: Value = serde_json::from_slice(o.stdout.trim_ascii()).unwrap();
    assert_eq!(
        std::fs::read(work.join("out/payload.bin")).unwrap(),
        payload
    );
    // The referrers API lists the second artifact under the first.
    let r = reqwest::blocking::Client::new()
        .get(format!(
            "{}/v2/artifacts/demo/referrers/{}",
            server.url,
            out["digest"].as_str().unwrap()
        ))
        .basic_auth("admin", Some(token.trim()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let index: Value = r.json().unwrap();
    let digests: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap())
        .collect();
    assert_eq!(digests, [out["referrer"].as_str().unwrap()]);
}

/// A body that yields `total` bytes of `seed`-derived data, 1 MiB every
/// `pause` (a slow client).
struct SlowBody {
    seed: u64,
    sent: usize,
    total: usize,
    pause: std::time::Duration,
    /// Told when the client first asks for bytes (the request is under way).
    started: Option<std::sync::mpsc::Sender<()>>,
    /// The current 1 MiB block.
    block: Vec<u8>,
}

fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

impl std::io::Read for SlowBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(tx) = self.started.take() {
            let _ = tx.send(());
        }
        if self.sent >= self.total {
            return Ok(0);
        }
        if self.sent.is_multiple_of(1 << 20) {
            std::thread::sleep(self.pause);
        }
        // The same bytes as slow_content(seed, total), one block at a time.
        let off = self.sent % (1 << 20);
        if off == 0 {
            self.block = pseudo_random(self.seed + (self.sent >> 20) as u64, 1 << 20);
        }
        let n = buf.len().min(self.total - self.sent).min((1 << 20) - off);
        buf[..n].copy_from_slice(&self.block[off..off + n]);
        self.sent += n;
        Ok(n)
    }
}

fn slow_content(seed: u64, total: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total);
    let mut block = 0u64;
    while out.len() < total {
        let d = pseudo_random(seed + block, 1 << 20);
        let n = (total - out.len()).min(d.len());
        out.extend_from_slice(&d[..n]);
        block += 1;
    }
    out
}

fn slow_body(seed: u64, total: usize, pause_ms: u64) -> reqwest::blocking::Body {
    slow_body_signalled(seed, total, pause_ms, None)
}

fn slow_body_signalled(
    seed: u64,
    total: usize,
    pause_ms: u64,
    started: Option<std::sync::mpsc::Sender<()>>,
) -> reqwest::blocking::Body {
    reqwest::blocking::Body::new(SlowBody {
        seed,
        sent: 0,
        total,
        pause: std::time::Duration::from_millis(pause_ms),
        started,
        block: Vec::new(),
    })
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

#[test]
fn kill_9_during_large_uploads_leaves_nothing_half_written() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("srv");
    let port = free_port();
    let server = Server::start(&data, port);
    let token = std::fs::read_to_string(data.join("admin-token"))
        .unwrap()
        .trim()
        .to_owned();
    let url = server.url.clone();
    const SIZE: usize = 48 << 20;
    let digests: Vec<String> = (1..=4u64)
        .map(|seed| format!("sha256:{}", sha256_hex(&slow_content(seed * 1000, SIZE))))
        .collect();
    // Four uploads in flight, each taking about two seconds: monolithic
    // blob, chunked blob, file with checksum, file without.
    let mut threads = Vec::new();
    for (i, digest) in digests.iter().enumerate() {
        let (url, token, digest) = (url.clone(), token.clone(), digest.clone());
        threads.push(std::thread::spawn(move || {
            let c = client();
            let seed = (i as u64 + 1) * 1000;
            let body = slow_body(seed, SIZE, 40);
            let r = match i {
                0 => c
                    .post(format!("{url}/v2/big/app/blobs/uploads/?digest={digest}"))
                    .basic_auth("admin", Some(&token))
                    .body(body)
                    .send(),
                1 => {
                    let r = c
                        .post(format!("{url}/v2/big/app/blobs/uploads/"))
                        .basic_auth("admin", Some(&token))
                        .send()
                        .unwrap();
                    let loc = r.headers()["location"].to_str().unwrap().to_owned();
                    c.patch(format!("{url}{loc}"))
                        .basic_auth("admin", Some(&token))
                        .body(body)
                        .send()
                }
                2 => c
                    .put(format!(
                        "{url}/api/v1/repositories/big/files/files/with-sum.iso"
                    ))
                    .basic_auth("admin", Some(&token))
                    .header("x-checksum-sha256", digest.trim_start_matches("sha256:"))
                    .body(body)
                    .send(),
                _ => c
                    .put(format!(
                        "{url}/api/v1/repositories/big/files/files/no-sum.iso"
                    ))
                    .basic_auth("admin", Some(&token))
                    .body(body)
                    .send(),
            };
            r.map(|r| r.status().as_u16()).unwrap_or(0)
        }));
    }
    std::thread::sleep(std::time::Duration::from_millis(900));
    server.kill9();
    for th in threads {
        let status = th.join().unwrap();
        assert!(
            status == 0 || status >= 400,
            "an upload finished before the kill: {status}"
        );
    }
    // After a restart: nothing of the cut uploads is visible.
    let server = Server::start(&data, free_port());
    let c = client();
    for d in &digests[..2] {
        let r = c
            .head(format!("{}/v2/big/app/blobs/{d}", server.url))
            .basic_auth("admin", Some(&token))
            .send()
            .unwrap();
        assert_eq!(r.status(), 404, "{d}");
    }
    for f in ["with-sum.iso", "no-sum.iso"] {
        let r = c
            .get(format!(
                "{}/api/v1/repositories/big/files/files/{f}",
                server.url
            ))
            .basic_auth("admin", Some(&token))
            .send()
            .unwrap();
        assert_eq!(r.status(), 404, "{f}");
    }
    // Every object under a blob name holds exactly that digest (partial
    // writes only ever live in staging files or upload chunks).
    let dir = data.join("blobs/blobs/sha256");
    for e in std::fs::read_dir(&dir).into_iter().flatten() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.contains('#') {
            continue;
        }
        assert_eq!(sha256_hex(&std::fs::read(e.path()).unwrap()), name);
    }
    // The metadata is consistent, and the same uploads now succeed.
    let o = run(signet(t.path())
        .args(["registry", "fsck"])
        .arg(&data)
        .arg("--deep"));
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains(", 0 problems"), "{}", o.stdout);
    let content = slow_content(1000, SIZE);
    let r = c
        .post(format!(
            "{}/v2/big/app/blobs/uploads/?digest={}",
            server.url, digests[0]
        ))
        .basic_auth("admin", Some(&token))
        .body(content.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let got = c
        .get(format!("{}/v2/big/app/blobs/{}", server.url, digests[0]))
        .basic_auth("admin", Some(&token))
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    assert!(got.as_ref() == content.as_slice());
    let o = run(signet(t.path())
        .args(["registry", "gc", "--grace", "0"])
        .arg(&data));
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

#[test]
fn sigterm_lets_uploads_in_flight_finish() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("srv");
    let server = Server::start_with(
        &data,
        free_port(),
        &[("SIGNET_SHUTDOWN_GRACE".into(), "10".into())],
    );
    let token = std::fs::read_to_string(data.join("admin-token"))
        .unwrap()
        .trim()
        .to_owned();
    const SIZE: usize = 8 << 20;
    let (stuck_tx, stuck_started) = std::sync::mpsc::channel();
    // A client that would take minutes: it must not hold the shutdown
    // past the grace period, and must leave nothing behind.
    let stuck = {
        let (url, token) = (server.url.clone(), token.clone());
        std::thread::spawn(move || {
            client()
                .put(format!(
                    "{url}/api/v1/repositories/dist/files/files/stuck.iso"
                ))
                .basic_auth("admin", Some(&token))
                .body(slow_body_signalled(9, 1 << 30, 500, Some(stuck_tx)))
                .send()
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
    };
    let digest = format!("sha256:{}", sha256_hex(&slow_content(7, SIZE)));
    let (started_tx, started) = std::sync::mpsc::channel();
    let upload = {
        let (url, token, digest) = (server.url.clone(), token.clone(), digest.clone());
        std::thread::spawn(move || {
            client()
                .put(format!(
                    "{url}/api/v1/repositories/dist/files/files/slow.iso"
                ))
                .basic_auth("admin", Some(&token))
                .header("x-checksum-sha256", digest.trim_start_matches("sha256:"))
                .body(slow_body_signalled(7, SIZE, 40, Some(started_tx)))
                .send()
                .map(|r| r.status().as_u16())
                .unwrap_or_else(|e| {
                    eprintln!("upload failed: {e:?}");
                    0
                })
        })
    };
    // Both requests are being sent (their bodies are read) before SIGTERM.
    started.recv().unwrap();
    stuck_started.recv().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let stopping = std::time::Instant::now();
    server.terminate();
    assert_eq!(upload.join().unwrap(), 201, "the upload in flight was cut");
    let status = server.wait(30);
    assert!(status.success(), "{status:?}");
    let took = stopping.elapsed();
    assert!(
        took < std::time::Duration::from_secs(15),
        "shutdown took {took:?}"
    );
    assert!(
        took >= std::time::Duration::from_secs(3),
        "did not wait for the grace period: {took:?}"
    );
    assert_ne!(stuck.join().unwrap(), 201);
    let server = Server::start(&data, free_port());
    let r = client()
        .get(format!(
            "{}/api/v1/repositories/dist/files/files/slow.iso",
            server.url
        ))
        .basic_auth("admin", Some(&token))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["x-checksum-sha256"],
        digest.trim_start_matches("sha256:")
    );
    let r = client()
        .get(format!(
            "{}/api/v1/repositories/dist/files/files/stuck.iso",
            server.url
        ))
        .basic_auth("admin", Some(&token))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// `signet serve --config FILE`: settings from the file, overridden by
/// environment variables, overridden by options; unknown keys refused.
#[test]
fn config_file_env_and_flags_in_that_order() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("srv");
    let port = free_port();
    let config = t.path().join("signet.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndata-dir = \"{}\"\nmax_manifest = 100\nlog-origin = \"file.example/log\"\nlog_key_password = \"from-file\"\n",
            data.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("signet"))
        .args(["serve", "--max-manifest", "100000", "--config"])
        .arg(&config)
        .env("SIGNET_LOG_ORIGIN", "env.example/log")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let c = client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while c.get(format!("{url}/healthz")).send().is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "not listening where the file said"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The file's data dir is used...
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    // ...the environment beats the file (log origin)...
    let cp = c
        .get(format!("{url}/checkpoint"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(cp.starts_with("env.example/log\n"), "{cp}");
    // ...and the option beats the file (a manifest over the file's 100 bytes).
    let cfg = c
        .post(format!(
            "{url}/v2/cfg/app/blobs/uploads/?digest=sha256:{}",
            sha256_hex(b"{}")
        ))
        .basic_auth("admin", Some(token.trim()))
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(cfg.status(), 201);
    let manifest = json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": format!("sha256:{}", sha256_hex(b"{}")), "size": 2},
        "layers": []});
    let r = c
        .put(format!("{url}/v2/cfg/app/manifests/v1"))
        .basic_auth("admin", Some(token.trim()))
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body(serde_json::to_vec(&manifest).unwrap())
        .send()
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let _ = child.kill();
    let _ = child.wait();
    // A key the server does not know is an error naming it.
    std::fs::write(&config, "listen = \"127.0.0.1:1\"\nlisten_adress = \"x\"\n").unwrap();
    let o = run(signet(t.path()).args(["serve", "--config"]).arg(&config));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown setting \"listen_adress\""),
        "{}",
        o.stderr
    );
    std::fs::write(&config, "max_manifest = [1]\n").unwrap();
    let o = run(signet(t.path()).args(["serve", "--config"]).arg(&config));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("max_manifest"), "{}", o.stderr);
}
