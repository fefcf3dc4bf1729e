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
    let mut desc = put_blob(
        layout,
        "application/vnd.oci.image.index.v1+json",
        &index_bytes,
    );
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
    format!("sha256:{}", sha256_hex(&index_bytes))
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
}
