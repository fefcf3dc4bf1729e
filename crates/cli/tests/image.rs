//! `signet sign` / `signet verify` on real registries (`signet serve` with
//! its token flow, and the CNCF docker-registry): cosign's legacy
//! `sha256-<hex>.sig` layout, cosign's exit codes, and the refusals the
//! issue names (payload for another digest, tampered payload, other key).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use common::*;
use serde_json::{Value, json};

struct Target {
    host: String,
    creds: Option<(String, String)>,
}

impl Target {
    fn http(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        let rb =
            reqwest::blocking::Client::new().request(method, format!("http://{}{path}", self.host));
        match &self.creds {
            Some((u, p)) => rb.basic_auth(u, Some(p)),
            None => rb,
        }
    }

    fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let d = signet_oci::sha256_digest(bytes);
        let r = self
            .http(reqwest::Method::POST, &format!("/v2/{repo}/blobs/uploads/"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 202);
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        let loc = loc
            .trim_start_matches(&format!("http://{}", self.host))
            .to_owned();
        let sep = if loc.contains('?') { '&' } else { '?' };
        let r = self
            .http(reqwest::Method::PUT, &format!("{loc}{sep}digest={d}"))
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(r.status(), 201);
        d
    }

    fn push_manifest(&self, repo: &str, reference: &str, bytes: &[u8]) -> String {
        let r = self
            .http(
                reqwest::Method::PUT,
                &format!("/v2/{repo}/manifests/{reference}"),
            )
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
        signet_oci::sha256_digest(bytes)
    }

    /// A one-layer image tagged `tag`; returns its digest.
    fn push_image(&self, repo: &str, tag: &str, content: &[u8]) -> String {
        let cfg = self.push_blob(repo, b"{}");
        let layer = self.push_blob(repo, content);
        let m = serde_json::to_vec(&json!({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": content.len()}]}))
        .unwrap();
        self.push_manifest(repo, tag, &m)
    }

    fn signet(&self, dir: &Path, args: &[&str]) -> Out {
        let mut cmd = signet(dir);
        cmd.env("SIGNET_PASSWORD", "pw")
            .args(args)
            .arg("--allow-insecure-registry");
        if let Some((u, p)) = &self.creds {
            cmd.args(["--registry-username", u, "--registry-password", p]);
        }
        run(&mut cmd)
    }
}

/// Signs a Simple Signing payload naming `digest` with `key` (through
/// `signet sign-blob`) and attaches it as the only `.sig` layer of `image`.
fn forge(t: &Target, dir: &Path, repo: &str, image_digest: &str, names: &str, tamper: bool) {
    let payload =
        signet_oci::simple_signing::payload(&format!("{}/{repo}", t.host), names, &BTreeMap::new());
    std::fs::write(dir.join("payload.json"), &payload).unwrap();
    let o = run(signet(dir).env("SIGNET_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "k1.key",
        "payload.json",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let sig = o.stdout.trim().to_owned();
    let mut stored = payload.clone();
    if tamper {
        stored.push(b' ');
    }
    let digest = t.push_blob(repo, &stored);
    let mut a = BTreeMap::new();
    a.insert(signet_oci::legacy::SIGNATURE_ANNOTATION.to_owned(), sig);
    let layers = vec![signet_oci::legacy::SigLayer {
        media_type: signet_oci::legacy::SIMPLE_SIGNING.into(),
        digest,
        size: stored.len() as u64,
        annotations: a,
    }];
    let cfg = signet_oci::legacy::config(&layers);
    t.push_blob(repo, &cfg);
    let m = signet_oci::legacy::manifest(&layers, &cfg);
    t.push_manifest(
        repo,
        &signet_oci::reference::signature_tag(image_digest, "sig"),
        &m,
    );
}

fn sign_and_verify_on(t: &Target, dir: &Path) {
    for k in ["k1", "k2", "k3"] {
        keypair(dir, k);
    }
    let repo = "team/app";
    let v1 = t.push_image(repo, "v1", b"one");
    let image = format!("{}/{repo}:v1", t.host);
    // Sign by tag: a warning naming the digest, then the signature.
    let o = t.signet(dir, &["sign", "--key", "k1.key", &image]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains(&v1) && o.stderr.contains("WARNING"),
        "{}",
        o.stderr
    );
    // The .sig manifest is cosign's: one simple-signing layer, 233-byte config.
    let sig_tag = signet_oci::reference::signature_tag(&v1, "sig");
    let m: Value = t
        .http(
            reqwest::Method::GET,
            &format!("/v2/{repo}/manifests/{sig_tag}"),
        )
        .header("accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(m["config"]["size"], 233);
    assert_eq!(
        m["layers"][0]["mediaType"],
        signet_oci::legacy::SIMPLE_SIGNING
    );
    let o = t.signet(dir, &["verify", "--key", "k1.pub", &image]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!("Verification for {image} --")),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("  - The signatures were verified against the specified public key")
    );
    // Both layouts were written and verify: the bundle (reported as cosign
    // v3 does, with the predicate type) and the legacy payload.
    let out: Value = serde_json::from_str(o.stdout.trim()).unwrap();
    let out = out.as_array().unwrap();
    assert_eq!(out.len(), 2, "{out:?}");
    let legacy = out
        .iter()
        .find(|v| v["critical"]["type"] == signet_oci::simple_signing::COSIGN_TYPE)
        .unwrap();
    assert_eq!(legacy["critical"]["image"]["docker-manifest-digest"], v1);
    assert_eq!(
        legacy["critical"]["identity"]["docker-reference"],
        format!("{}/{repo}", t.host)
    );
    let bundle = out
        .iter()
        .find(|v| v["critical"]["type"] == signet_oci::referrer::SIGN_PREDICATE)
        .unwrap();
    assert_eq!(bundle["critical"]["image"]["docker-manifest-digest"], v1);
    // A second signature (another key, an annotation) is appended.
    let by_digest = format!("{}/{repo}@{v1}", t.host);
    let o = t.signet(
        dir,
        &["sign", "--key", "k2.key", "-a", "env=prod", &by_digest],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("WARNING"));
    for (key, ann, code) in [
        ("k1.pub", None, 0),
        ("k2.pub", Some("env=prod"), 0),
        ("k1.pub", Some("env=prod"), 12),
        ("k2.pub", Some("env=dev"), 12),
        ("k3.pub", None, 12),
    ] {
        let mut args = vec!["verify", "--key", key];
        if let Some(a) = ann {
            args.extend(["-a", a]);
        }
        args.push(&image);
        let o = t.signet(dir, &args);
        assert_eq!(o.code, code, "{key} {ann:?}: {}", o.stderr);
        if code == 12 {
            assert!(o.stderr.contains("no matching signatures"), "{}", o.stderr);
        }
    }
    // --replace: k1's earlier signatures (legacy and bundle) give way to the
    // new one; k2's stay.
    let o = t.signet(dir, &["sign", "--key", "k1.key", "--replace", &by_digest]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let m: Value = t
        .http(
            reqwest::Method::GET,
            &format!("/v2/{repo}/manifests/{sig_tag}"),
        )
        .header("accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(m["layers"].as_array().unwrap().len(), 2, "{m}");
    let o = t.signet(dir, &["verify", "--key", "k1.pub", &image]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let out: Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(
        out.as_array().unwrap().len(),
        2,
        "one legacy and one bundle signature by k1: {out}"
    );
    assert!(!o.stderr.contains("no matching"), "{}", o.stderr);
    let o = t.signet(
        dir,
        &["verify", "--key", "k2.pub", "-a", "env=prod", &image],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The bundle layout alone: a Sigstore bundle referrer, found through the
    // referrers API (signet serve) or the sha256-<hex> fallback index
    // (docker-registry 2.8 has no referrers API), verified on its own.
    let v3 = t.push_image(repo, "v3", b"three");
    let v3_image = format!("{}/{repo}:v3", t.host);
    let o = t.signet(
        dir,
        &[
            "sign", "--key", "k1.key", "--layout", "bundle", "-a", "team=a", &v3_image,
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let legacy = t
        .http(
            reqwest::Method::HEAD,
            &format!(
                "/v2/{repo}/manifests/{}",
                signet_oci::reference::signature_tag(&v3, "sig")
            ),
        )
        .send()
        .unwrap();
    assert_eq!(
        legacy.status(),
        404,
        "--layout bundle wrote a legacy signature"
    );
    let r = t
        .http(reqwest::Method::GET, &format!("/v2/{repo}/referrers/{v3}"))
        .send()
        .unwrap();
    let index: Value = if r.status() == 200 {
        r.json().unwrap()
    } else {
        t.http(
            reqwest::Method::GET,
            &format!(
                "/v2/{repo}/manifests/{}",
                signet_oci::referrer::fallback_tag(&v3)
            ),
        )
        .header("accept", "application/vnd.oci.image.index.v1+json")
        .send()
        .unwrap()
        .json()
        .unwrap()
    };
    assert_eq!(
        index["manifests"][0]["artifactType"],
        signet_oci::referrer::BUNDLE_V03
    );
    let o = t.signet(
        dir,
        &["verify", "--key", "k1.pub", "-a", "team=a", &v3_image],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let out: Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(
        out[0]["critical"]["type"],
        signet_oci::referrer::SIGN_PREDICATE
    );
    assert_eq!(out[0]["critical"]["image"]["docker-manifest-digest"], v3);
    let o = t.signet(dir, &["verify", "--key", "k2.pub", &v3_image]);
    assert_eq!(o.code, 12, "{}", o.stderr);
    // Attestations: SLSA provenance on v1, both layouts.
    std::fs::write(
        dir.join("prov.json"),
        br#"{"buildDefinition":{"buildType":"https://example.com/ci"},"runDetails":{"builder":{"id":"ci"}}}"#,
    )
    .unwrap();
    let o = t.signet(
        dir,
        &[
            "attest",
            "--key",
            "k1.key",
            "--type",
            "slsaprovenance1",
            "--predicate",
            "prov.json",
            &image,
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = t.signet(
        dir,
        &[
            "verify-attestation",
            "--key",
            "k1.pub",
            "--type",
            "slsaprovenance1",
            &image,
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{}", o.stdout);
    let env: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(env["payloadType"], "application/vnd.in-toto+json");
    let st: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(env["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(st["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(
        st["subject"][0]["digest"]["sha256"],
        v1.trim_start_matches("sha256:")
    );
    assert_eq!(st["predicate"]["runDetails"]["builder"]["id"], "ci");
    for (key, kind) in [("k1.pub", "cyclonedx"), ("k2.pub", "slsaprovenance1")] {
        let o = t.signet(
            dir,
            &["verify-attestation", "--key", key, "--type", kind, &image],
        );
        assert_eq!(o.code, 12, "{key} {kind}: {}", o.stderr);
    }
    // --replace keeps one legacy attestation per type.
    for _ in 0..2 {
        let o = t.signet(
            dir,
            &[
                "attest",
                "--key",
                "k1.key",
                "--type",
                "slsaprovenance1",
                "--predicate",
                "prov.json",
                "--layout",
                "legacy",
                "--replace",
                &image,
            ],
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    let att: Value = t
        .http(
            reqwest::Method::GET,
            &format!(
                "/v2/{repo}/manifests/{}",
                signet_oci::reference::signature_tag(&v1, "att")
            ),
        )
        .header("accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(att["layers"].as_array().unwrap().len(), 1, "{att}");
    assert_eq!(
        att["layers"][0]["annotations"]["predicateType"],
        "https://slsa.dev/provenance/v1"
    );
    let o = t.signet(
        dir,
        &[
            "attest",
            "--key",
            "k1.key",
            "--type",
            "cyclonedx",
            "--predicate",
            "k1.pub",
            &image,
        ],
    );
    assert_eq!(o.code, 2, "a non-JSON predicate: {}", o.stderr);
    assert!(o.stderr.contains("not JSON"), "{}", o.stderr);
    // Inspection: the signature tag, the tree, the downloaded layers.
    let o = t.signet(dir, &["triangulate", &image]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout.trim(), format!("{}/{repo}:{sig_tag}", t.host));
    let o = t.signet(dir, &["triangulate", "--type", "attestation", &image]);
    assert!(o.stdout.trim().ends_with(".att"), "{}", o.stdout);
    let o = t.signet(dir, &["tree", &image]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("Signatures for an image tag")
            && o.stdout.contains("Attestations for an image tag")
            && o.stdout.contains("Sigstore bundle referrers"),
        "{}",
        o.stdout
    );
    let o = t.signet(dir, &["download", "signature", &image]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let sigs: Vec<Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sigs.len(), 2, "{}", o.stdout);
    let p0 = base64::engine::general_purpose::STANDARD
        .decode(sigs[0]["Payload"].as_str().unwrap())
        .unwrap();
    let p0: Value = serde_json::from_slice(&p0).unwrap();
    assert_eq!(p0["critical"]["image"]["docker-manifest-digest"], v1);
    assert!(!sigs[0]["Base64Signature"].as_str().unwrap().is_empty());
    // --recursive signs an index and every image it lists.
    let a = t.push_image("multi/app", "amd64", b"amd64");
    let b = t.push_image("multi/app", "arm64", b"arm64");
    let index = serde_json::to_vec(&json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": a, "size": 1},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": b, "size": 1}]}))
    .unwrap();
    let r = t
        .http(reqwest::Method::PUT, "/v2/multi/app/manifests/v1")
        .header("content-type", "application/vnd.oci.image.index.v1+json")
        .body(index.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let multi = format!("{}/multi/app:v1", t.host);
    let o = t.signet(dir, &["sign", "--key", "k1.key", "--recursive", &multi]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    for d in [&a, &b, &signet_oci::sha256_digest(&index)] {
        let o = t.signet(
            dir,
            &[
                "verify",
                "--key",
                "k1.pub",
                &format!("{}/multi/app@{d}", t.host),
            ],
        );
        assert_eq!(o.code, 0, "{d}: {}", o.stderr);
    }
    // --upload=false: files only, nothing attached; openssl checks the
    // detached signature over the payload.
    let v4 = t.push_image(repo, "v4", b"four");
    let v4_image = format!("{}/{repo}:v4", t.host);
    let o = t.signet(
        dir,
        &["sign", "--key", "k1.key", "--upload=false", &v4_image],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    let o = t.signet(
        dir,
        &[
            "sign",
            "--key",
            "k1.key",
            "--upload=false",
            "--output-signature",
            "v4.sig",
            "--output-payload",
            "v4.json",
            "--bundle",
            "v4.bundle.json",
            &v4_image,
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = t.signet(dir, &["verify", "--key", "k1.pub", &v4_image]);
    assert_eq!(
        o.code, 10,
        "--upload=false attached something: {}",
        o.stderr
    );
    let payload: Value =
        serde_json::from_slice(&std::fs::read(dir.join("v4.json")).unwrap()).unwrap();
    assert_eq!(payload["critical"]["image"]["docker-manifest-digest"], v4);
    let der = base64::engine::general_purpose::STANDARD
        .decode(std::fs::read_to_string(dir.join("v4.sig")).unwrap().trim())
        .unwrap();
    std::fs::write(dir.join("v4.sig.bin"), der).unwrap();
    if peer("openssl").is_some() {
        assert!(openssl_verifies(
            dir,
            "-sha256",
            "k1.pub",
            "v4.sig.bin",
            "v4.json"
        ));
    }

    // The detached signature attached afterwards (a signing box without
    // registry access, a pipeline that signs elsewhere) now verifies.
    let o = t.signet(
        dir,
        &[
            "attach",
            "signature",
            "--payload",
            "v4.json",
            "--signature",
            "v4.sig",
            &v4_image,
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = t.signet(dir, &["verify", "--key", "k1.pub", &v4_image]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = t.signet(
        dir,
        &[
            "attach",
            "signature",
            "--payload",
            "v4.json",
            "--signature",
            "v4.sig",
            &format!("{}/{repo}:v1", t.host),
        ],
    );
    assert_eq!(o.code, 2, "a payload for another image: {}", o.stderr);
    assert!(o.stderr.contains("refusing to attach"), "{}", o.stderr);
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(dir.join("v4.bundle.json")).unwrap()).unwrap();
    assert_eq!(bundle["mediaType"], signet_oci::referrer::BUNDLE_V03);
    assert!(bundle["dsseEnvelope"]["signatures"][0]["sig"].is_string());
    // No signatures: 10. No such tag: 11.
    let v2 = t.push_image(repo, "v2", b"two");
    let o = t.signet(
        dir,
        &[
            "verify",
            "--key",
            "k1.pub",
            &format!("{}/{repo}:v2", t.host),
        ],
    );
    assert_eq!(o.code, 10, "{}", o.stderr);
    let o = t.signet(
        dir,
        &[
            "verify-attestation",
            "--key",
            "k1.pub",
            &format!("{}/{repo}:v2", t.host),
        ],
    );
    assert_eq!(o.code, 10, "{}", o.stderr);
    let o = t.signet(
        dir,
        &[
            "verify",
            "--key",
            "k1.pub",
            &format!("{}/{repo}:nope", t.host),
        ],
    );
    assert_eq!(o.code, 11, "{}", o.stderr);
    // A valid signature whose payload names another digest: 12.
    forge(t, dir, repo, &v2, &v1, false);
    let o = t.signet(
        dir,
        &[
            "verify",
            "--key",
            "k1.pub",
            &format!("{}/{repo}:v2", t.host),
        ],
    );
    assert_eq!(o.code, 12, "{}", o.stderr);
    assert!(
        o.stderr.contains("invalid or missing digest in claim"),
        "{}",
        o.stderr
    );
    // A payload changed after signing: 12.
    forge(t, dir, repo, &v2, &v2, true);
    let o = t.signet(
        dir,
        &[
            "verify",
            "--key",
            "k1.pub",
            &format!("{}/{repo}:v2", t.host),
        ],
    );
    assert_eq!(o.code, 12, "{}", o.stderr);
    // The untampered forge-free control: a correct payload verifies.
    forge(t, dir, repo, &v2, &v2, false);
    let o = t.signet(
        dir,
        &[
            "verify",
            "--key",
            "k1.pub",
            &format!("{}/{repo}:v2", t.host),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Garbage where the signature manifest should be: a clear error, no panic.
    t.push_manifest(
        repo,
        &signet_oci::reference::signature_tag(&v2, "sig"),
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#,
    );
    let o = t.signet(
        dir,
        &[
            "verify",
            "--key",
            "k1.pub",
            &format!("{}/{repo}:v2", t.host),
        ],
    );
    assert_eq!(o.code, 12, "{}", o.stderr);
    // Bad references and unreachable registries: exit 2 with a reason.
    let o = t.signet(dir, &["verify", "--key", "k1.pub", "UPPER/Case"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not an image reference"), "{}", o.stderr);
    let o = run(signet(dir).args([
        "verify",
        "--key",
        "k1.pub",
        "--allow-insecure-registry",
        "127.0.0.1:1/a:b",
    ]));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("cannot reach the registry"),
        "{}",
        o.stderr
    );
}

#[test]
fn sign_and_verify_on_signet_serve() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("srv");
    let server = Server::start(&data, free_port());
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let target = Target {
        host: server.url.trim_start_matches("http://").to_owned(),
        creds: Some(("admin".into(), token.trim().to_owned())),
    };
    sign_and_verify_on(&target, t.path());
    // Credentials from the Docker config: an `auths` entry, and a
    // credential helper (credHelpers) answering on stdin/stdout.
    let (user, pass) = target.creds.clone().unwrap();
    let image = format!("{}/team/app:v1", target.host);
    let cfg = t.path().join("docker");
    std::fs::create_dir_all(&cfg).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    std::fs::write(
        cfg.join("config.json"),
        serde_json::to_vec(&json!({"auths": {target.host.clone(): {"auth": auth}}})).unwrap(),
    )
    .unwrap();
    let verify_with = |extra_path: Option<&Path>| {
        let mut cmd = signet(t.path());
        cmd.env("DOCKER_CONFIG", &cfg).args([
            "verify",
            "--key",
            "k1.pub",
            "--allow-insecure-registry",
            &image,
        ]);
        if let Some(p) = extra_path {
            cmd.env(
                "PATH",
                format!("{}:{}", p.display(), std::env::var("PATH").unwrap()),
            );
        }
        run(&mut cmd)
    };
    let o = verify_with(None);
    assert_eq!(o.code, 0, "auths: {}", o.stderr);
    let bin = t.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-signettest");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread server\n[ \"$1\" = get ] && [ \"$server\" = \"{}\" ] || exit 1\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{pass}\"}}' \"$server\"\n", target.host),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        cfg.join("config.json"),
        serde_json::to_vec(&json!({"credHelpers": {target.host.clone(): "signettest"}})).unwrap(),
    )
    .unwrap();
    let o = verify_with(Some(&bin));
    assert_eq!(o.code, 0, "credential helper: {}", o.stderr);
    let o = verify_with(None);
    assert_eq!(o.code, 2, "a missing helper is an error: {}", o.stderr);
    assert!(
        o.stderr.contains("docker-credential-signettest"),
        "{}",
        o.stderr
    );
    // Without credentials signet serve refuses the push: exit 2, nothing stored.
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "pw").args([
        "sign",
        "--key",
        "k1.key",
        "--allow-insecure-registry",
        &format!("{}/team/app:v1", target.host),
    ]));
    assert_eq!(o.code, 2, "{}", o.stderr);
}

#[test]
fn sign_and_verify_on_docker_registry() {
    let t = tempfile::tempdir().unwrap();
    let Some(peer) = DockerRegistry::start(t.path()) else {
        return;
    };
    let target = Target {
        host: peer.host.clone(),
        creds: None,
    };
    sign_and_verify_on(&target, t.path());
}

/// `signet copy`: an index with its images, signatures (both layouts) and
/// attestations from signet serve to docker-registry (no referrers API:
/// the fallback index is written) and back; everything still verifies.
#[test]
fn copy_keeps_signatures_between_registries() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let Some(peer) = DockerRegistry::start(dir) else {
        return;
    };
    let data = dir.join("srv");
    let server = Server::start(&data, free_port());
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let ours = Target {
        host: server.url.trim_start_matches("http://").to_owned(),
        creds: Some(("admin".into(), token.trim().to_owned())),
    };
    keypair(dir, "k1");
    let a = ours.push_image("src/app", "amd64", b"amd64");
    let b = ours.push_image("src/app", "arm64", b"arm64");
    let index = serde_json::to_vec(&json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": a, "size": 1},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": b, "size": 1}]}))
    .unwrap();
    let r = ours
        .http(reqwest::Method::PUT, "/v2/src/app/manifests/v1")
        .header("content-type", "application/vnd.oci.image.index.v1+json")
        .body(index.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let idx = signet_oci::sha256_digest(&index);
    let src = format!("{}/src/app:v1", ours.host);
    assert_eq!(
        ours.signet(dir, &["sign", "--key", "k1.key", "--recursive", &src])
            .code,
        0
    );
    std::fs::write(dir.join("sbom.json"), br#"{"bomFormat":"CycloneDX"}"#).unwrap();
    let o = ours.signet(
        dir,
        &[
            "attest",
            "--key",
            "k1.key",
            "--type",
            "cyclonedx",
            "--predicate",
            "sbom.json",
            &src,
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let there = format!("{}/dst/app:v1", peer.host);
    let o = ours.signet(dir, &["copy", &src, &there]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let peer_t = Target {
        host: peer.host.clone(),
        creds: None,
    };
    let back = format!("{}/back/app", ours.host);
    for (t, image) in [(&peer_t, there.clone()), (&ours, format!("{back}:v1"))] {
        if image.starts_with(&ours.host) {
            let o = ours.signet(dir, &["copy", &there, &image]);
            assert_eq!(o.code, 0, "{}", o.stderr);
        }
        let o = t.signet(dir, &["verify", "--key", "k1.pub", &image]);
        assert_eq!(o.code, 0, "{image}: {}", o.stderr);
        let out: Value = serde_json::from_str(o.stdout.trim()).unwrap();
        assert_eq!(
            out.as_array().unwrap().len(),
            2,
            "both layouts survive: {out}"
        );
        assert_eq!(out[0]["critical"]["image"]["docker-manifest-digest"], idx);
        let o = t.signet(
            dir,
            &[
                "verify-attestation",
                "--key",
                "k1.pub",
                "--type",
                "cyclonedx",
                &image,
            ],
        );
        assert_eq!(o.code, 0, "{image}: {}", o.stderr);
        let repo = image.trim_start_matches(&format!("{}/", t.host));
        let repo = repo.split(':').next().unwrap();
        for d in [&a, &b] {
            let o = t.signet(
                dir,
                &[
                    "verify",
                    "--key",
                    "k1.pub",
                    &format!("{}/{repo}@{d}", t.host),
                ],
            );
            assert_eq!(o.code, 0, "child {d} in {repo}: {}", o.stderr);
        }
    }
}

/// `signet save` / `signet load`: a signed archive carries an index, its
/// images, signatures and attestations to another registry with the same
/// digests; a tampered archive or an unsigned image is refused and nothing
/// is pushed.
#[test]
fn save_and_load_carry_signed_images() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let Some(peer) = DockerRegistry::start(dir) else {
        return;
    };
    let data = dir.join("srv");
    let server = Server::start(&data, free_port());
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let ours = Target {
        host: server.url.trim_start_matches("http://").to_owned(),
        creds: Some(("admin".into(), token.trim().to_owned())),
    };
    let peer_t = Target {
        host: peer.host.clone(),
        creds: None,
    };
    keypair(dir, "k1");
    let v1 = ours.push_image("src/app", "v1", b"one");
    ours.push_image("src/app", "v2", b"unsigned");
    let src = format!("{}/src/app:v1", ours.host);
    assert_eq!(ours.signet(dir, &["sign", "--key", "k1.key", &src]).code, 0);
    std::fs::write(dir.join("sbom.json"), br#"{"bomFormat":"CycloneDX"}"#).unwrap();
    let o = ours.signet(
        dir,
        &[
            "attest",
            "--key",
            "k1.key",
            "--type",
            "cyclonedx",
            "--predicate",
            "sbom.json",
            &src,
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = ours.signet(
        dir,
        &["save", "--key", "k1.key", "-o", "images.tar.zst", &src],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    if common::peer("openssl").is_some() {
        assert!(openssl_verifies(
            dir,
            "-sha256",
            "k1.pub",
            "images.tar.zst.sig.bin",
            "images.tar.zst"
        ));
    }
    let load = |to: &str, archive: &str| {
        peer_t.signet(dir, &["load", "--key", "k1.pub", "--to", to, archive])
    };
    let o = load(&peer.host, "images.tar.zst");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let there = format!("{}/src/app:v1", peer.host);
    let o = peer_t.signet(dir, &["verify", "--key", "k1.pub", &there]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let out: Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(out.as_array().unwrap().len(), 2, "{out}");
    assert_eq!(out[0]["critical"]["image"]["docker-manifest-digest"], v1);
    let o = peer_t.signet(
        dir,
        &[
            "verify-attestation",
            "--key",
            "k1.pub",
            "--type",
            "cyclonedx",
            &there,
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // A changed archive: refused, nothing pushed.
    let mut bytes = std::fs::read(dir.join("images.tar.zst")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(dir.join("tampered.tar.zst"), &bytes).unwrap();
    std::fs::copy(
        dir.join("images.tar.zst.sig.bin"),
        dir.join("tampered.tar.zst.sig.bin"),
    )
    .unwrap();
    let o = load(&format!("{}/tampered", peer.host), "tampered.tar.zst");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("nothing was pushed"), "{}", o.stderr);
    let o = peer_t.signet(
        dir,
        &[
            "verify",
            "--key",
            "k1.pub",
            &format!("{}/tampered/src/app:v1", peer.host),
        ],
    );
    assert_eq!(o.code, 11, "{}", o.stderr);
    // An image without a signature by the key: refused, nothing pushed.
    let o = ours.signet(
        dir,
        &[
            "save",
            "--key",
            "k1.key",
            "-o",
            "mixed.tar.zst",
            &src,
            &format!("{}/src/app:v2", ours.host),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = load(&format!("{}/mixed", peer.host), "mixed.tar.zst");
    assert_eq!(o.code, 12, "{}", o.stderr);
    let o = peer_t.signet(
        dir,
        &[
            "verify",
            "--key",
            "k1.pub",
            &format!("{}/mixed/src/app:v1", peer.host),
        ],
    );
    assert_eq!(o.code, 11, "something was pushed: {}", o.stderr);
    // Not an archive at all.
    std::fs::write(dir.join("junk.tar.zst"), b"junk").unwrap();
    let o = peer_t.signet(dir, &["load", "--to", &peer.host, "junk.tar.zst"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

/// A "registry" that answers every request with `response`.
fn fake_registry(response: &'static str) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut s = s;
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(response.as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// A "registry" that accepts connections and never answers.
fn stalled_registry() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    addr
}

/// Registries that answer garbage, fail or stall: a clear error and exit
/// 2, never a panic or a hang.
#[test]
fn registries_answering_garbage_get_clear_errors() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    keypair(dir, "k1");
    let cases = [
        (
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops",
            2,
            "500",
        ),
        ("this is not HTTP\r\n\r\n", 2, "cannot reach the registry"),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnope!",
            2,
            "is not JSON",
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n{",
            2,
            "larger than",
        ),
    ];
    for (response, code, says) in cases {
        let host = fake_registry(response);
        let o = run(signet(dir).args([
            "verify",
            "--key",
            "k1.pub",
            "--allow-insecure-registry",
            &format!("{host}/a/b:v1"),
        ]));
        assert_eq!(o.code, code, "{response:?}: {}", o.stderr);
        assert!(o.stderr.contains(says), "{response:?}: {}", o.stderr);
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    }
    let host = stalled_registry();
    let started = std::time::Instant::now();
    let o = run(signet(dir).args([
        "verify",
        "--key",
        "k1.pub",
        "--allow-insecure-registry",
        "--registry-timeout",
        "2",
        &format!("{host}/a/b:v1"),
    ]));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("cannot reach the registry"),
        "{}",
        o.stderr
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

/// A "registry" serving one image index (tag `v1`) whose only child is
/// missing: every other request gets 404 MANIFEST_UNKNOWN.
fn registry_with_orphaned_index() -> (String, String) {
    let child = format!("sha256:{}", "ab".repeat(32));
    let index = serde_json::to_string(&json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": child, "size": 321,
            "platform": {"architecture": "amd64", "os": "linux"}}]}))
    .unwrap();
    let digest = signet_oci::sha256_digest(index.as_bytes());
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let served = digest.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let index = index.clone();
            let digest = served.clone();
            std::thread::spawn(move || {
                use std::io::{BufRead, BufReader, Write};
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut s = s;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or_default().to_owned();
                    let path = parts.next().unwrap_or_default().to_owned();
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    let hit = path == "/v2/"
                        || path.ends_with("/manifests/v1")
                        || path.ends_with(&format!("/manifests/{digest}"));
                    let resp = if path == "/v2/" {
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_owned()
                    } else if hit {
                        let body = if method == "HEAD" { "" } else { index.as_str() };
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\nDocker-Content-Digest: {digest}\r\nContent-Length: {}\r\n\r\n{body}",
                            index.len()
                        )
                    } else {
                        let body = r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
                        let body = if method == "HEAD" { "" } else { body };
                        format!(
                            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            if method == "HEAD" { 0 } else { body.len() }
                        )
                    };
                    if s.write_all(resp.as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, child)
}

/// An index whose child manifest is gone: `sign --recursive`, `copy` and
/// `save` name the missing child and exit 2 without a panic; nothing is
/// written for `save`.
#[test]
fn index_with_a_missing_child_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    keypair(dir, "k1");
    let (host, child) = registry_with_orphaned_index();
    let image = format!("{host}/team/multi:v1");
    let out = dir.join("images.tar.zst");
    let runs: [&[&str]; 3] = [
        &[
            "sign",
            "--key",
            "k1.key",
            "--recursive",
            "--upload=false",
            "--bundle",
            "b.json",
            &image,
        ],
        &["copy", &image, &format!("{host}/team/copy:v1")],
        &["save", &image, "-o", out.to_str().unwrap()],
    ];
    for args in runs {
        let o = run(signet(dir)
            .env("SIGNET_PASSWORD", "pw")
            .args(args)
            .arg("--allow-insecure-registry"));
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(
            o.stderr.contains(&child),
            "{args:?} must name the missing child: {}",
            o.stderr
        );
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    }
    assert!(!out.exists(), "save left a partial archive");
}

/// The sigstore-rs peer binary (`interop/sigstore-rs`, built by `.ci/run`
/// and named by `SIGNET_SIGSTORE_RS`).
fn sigstore_rs() -> Option<std::path::PathBuf> {
    match std::env::var_os("SIGNET_SIGSTORE_RS") {
        Some(p) if Path::new(&p).is_file() => Some(p.into()),
        _ => {
            signet_testkit::missing(
                "the sigstore-rs peer (cargo build --release --manifest-path interop/sigstore-rs/Cargo.toml, then SIGNET_SIGSTORE_RS=its binary)",
            );
            None
        }
    }
}

/// sigstore-rs (crates.io `sigstore`, an independent cosign client) and
/// signet agree both ways on cosign's legacy layout: sigstore-rs verifies
/// what `signet sign` attached and refuses another key; `signet verify`
/// accepts what sigstore-rs signed (with a key signet generated, in
/// cosign's encrypted format) and refuses another key with exit 12.
fn sigstore_rs_agrees_on(t: &Target, dir: &Path, peer: &Path) {
    for k in ["k1", "k2"] {
        keypair(dir, k);
    }
    let creds: Vec<String> = t
        .creds
        .iter()
        .flat_map(|(u, p)| [u.clone(), p.clone()])
        .collect();
    let peer_run = |args: &[&str]| {
        run(assert_cmd::Command::new(peer)
            .current_dir(dir)
            .args(args)
            .args(&creds))
    };
    // signet signs (both layouts, as by default); sigstore-rs verifies.
    let ours = format!("{}/team/ours:v1", t.host);
    t.push_image("team/ours", "v1", b"signed by signet");
    let o = t.signet(dir, &["sign", "--key", "k1.key", &ours]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = peer_run(&["verify", "k1.pub", &ours]);
    assert_eq!(
        o.code, 0,
        "sigstore-rs refused signet's signature: {}{}",
        o.stdout, o.stderr
    );
    assert!(
        o.stdout.contains("verified 1 signature layer"),
        "{}",
        o.stdout
    );
    let o = peer_run(&["verify", "k2.pub", &ours]);
    assert_ne!(o.code, 0, "sigstore-rs accepted another key: {}", o.stdout);
    // sigstore-rs signs; signet verifies (exit 0, one payload naming the digest).
    let theirs = format!("{}/team/theirs:v1", t.host);
    let digest = t.push_image("team/theirs", "v1", b"signed by sigstore-rs");
    let o = peer_run(&["sign", "k2.key", "pw", &theirs]);
    assert_eq!(o.code, 0, "sigstore-rs sign: {}{}", o.stdout, o.stderr);
    let o = t.signet(dir, &["verify", "--key", "k2.pub", &theirs]);
    assert_eq!(
        o.code, 0,
        "signet refused sigstore-rs's signature: {}",
        o.stderr
    );
    let payloads: Vec<Value> = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(payloads.len(), 1, "{}", o.stdout);
    assert_eq!(
        payloads[0]["critical"]["image"]["docker-manifest-digest"],
        digest.as_str()
    );
    let o = t.signet(dir, &["verify", "--key", "k1.pub", &theirs]);
    assert_eq!(o.code, 12, "another key must not verify: {}", o.stderr);
    // And sigstore-rs re-reads its own signature the same way we do.
    let o = peer_run(&["verify", "k2.pub", &theirs]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

#[test]
fn sigstore_rs_agrees_on_signet_serve_and_docker_registry() {
    let Some(peer) = sigstore_rs() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("srv");
    let server = Server::start(&data, free_port());
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let ours = Target {
        host: server.url.trim_start_matches("http://").to_owned(),
        creds: Some(("admin".into(), token.trim().to_owned())),
    };
    let d1 = t.path().join("signet");
    std::fs::create_dir_all(&d1).unwrap();
    sigstore_rs_agrees_on(&ours, &d1, &peer);
    let Some(registry) = DockerRegistry::start(t.path()) else {
        return;
    };
    let theirs = Target {
        host: registry.host.clone(),
        creds: None,
    };
    let d2 = t.path().join("distribution");
    std::fs::create_dir_all(&d2).unwrap();
    sigstore_rs_agrees_on(&theirs, &d2, &peer);
}

/// A "registry" answering GET/HEAD for the given paths (path → content
/// type, body); every other request gets 404.
fn scripted_registry(routes: Vec<(String, &'static str, Vec<u8>)>) -> String {
    let routes = std::sync::Arc::new(routes);
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let routes = routes.clone();
            std::thread::spawn(move || {
                use std::io::{BufRead, BufReader, Write};
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut s = s;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or_default().to_owned();
                    let path = parts.next().unwrap_or_default().to_owned();
                    let path = path.split('?').next().unwrap_or_default().to_owned();
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    let hit = routes.iter().find(|(p, _, _)| *p == path);
                    let mut resp = match hit {
                        Some((_, ct, body)) => {
                            let digest = signet_oci::sha256_digest(body);
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nDocker-Content-Digest: {digest}\r\nContent-Length: {}\r\n\r\n",
                                body.len()
                            )
                            .into_bytes()
                        }
                        None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
                    };
                    if let (Some((_, _, body)), false) = (hit, method == "HEAD") {
                        resp.extend_from_slice(body);
                    }
                    if s.write_all(&resp).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// `.sig` manifests with malformed layers (no layers, a layer without a
/// digest, a non-string annotation, a signature that is not base64, a
/// payload that is not Simple Signing): exit 12 with the reason, no panic.
#[test]
fn malformed_signature_layers_are_reasons_not_panics() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    keypair(dir, "k1");
    let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.to_vec();
    let digest = signet_oci::sha256_digest(&image);
    let payload = b"not a simple signing payload".to_vec();
    let payload_digest = signet_oci::sha256_digest(&payload);
    let layer = |annotations: Value| {
        json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", "0".repeat(64)), "size": 233},
            "layers": [{"mediaType": signet_oci::legacy::SIMPLE_SIGNING, "digest": payload_digest, "size": payload.len(), "annotations": annotations}]})
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!({"schemaVersion": 2}), "no layers array"),
        (
            json!({"schemaVersion": 2, "layers": [{"mediaType": signet_oci::legacy::SIMPLE_SIGNING, "size": 3}]}),
            "layer 0 has no sha256 digest",
        ),
        (
            layer(json!({"dev.cosignproject.cosign/signature": 5})),
            "is not a string",
        ),
        (
            layer(json!({"dev.cosignproject.cosign/signature": "%%% not base64"})),
            "not base64",
        ),
        (
            layer(json!({"dev.cosignproject.cosign/signature": "MEUCIQDx"})),
            "signature",
        ),
    ];
    for (sig_manifest, says) in cases {
        let host = scripted_registry(vec![
            ("/v2/".into(), "application/json", b"{}".to_vec()),
            (
                "/v2/a/b/manifests/v1".into(),
                "application/vnd.oci.image.manifest.v1+json",
                image.clone(),
            ),
            (
                format!("/v2/a/b/manifests/{digest}"),
                "application/vnd.oci.image.manifest.v1+json",
                image.clone(),
            ),
            (
                format!(
                    "/v2/a/b/manifests/{}",
                    signet_oci::reference::signature_tag(&digest, "sig")
                ),
                "application/vnd.oci.image.manifest.v1+json",
                serde_json::to_vec(&sig_manifest).unwrap(),
            ),
            (
                format!("/v2/a/b/blobs/{payload_digest}"),
                "application/octet-stream",
                payload.clone(),
            ),
        ]);
        let o = run(signet(dir).args([
            "verify",
            "--key",
            "k1.pub",
            "--allow-insecure-registry",
            &format!("{host}/a/b:v1"),
        ]));
        assert_eq!(o.code, 12, "{says}: {}", o.stderr);
        assert!(o.stderr.contains(says), "{says}: {}", o.stderr);
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    }
}
