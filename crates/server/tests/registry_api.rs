//! The OCI registry API, in process (no socket), on every backend pair
//! (SQLite + dir, PostgreSQL + dir, PostgreSQL + S3): auth, push and pull
//! (monolithic and chunked uploads, manifests by tag and digest, indexes),
//! tags pagination, deletes, bad input that must store nothing, and two
//! replicas on one PostgreSQL + S3.
#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use signet_server::Config;
use signet_server::registry::Registry;
use signet_testkit::{Backend, Started, per_backend};
use tower::ServiceExt;

struct App {
    router: Router,
    auth: String,
    cfg: Config,
    _dir: tempfile::TempDir,
    _backend: Started,
}

fn config_for(backend: Backend, dir: &std::path::Path) -> Option<(Config, Started)> {
    let started = backend.start()?;
    let mut cfg = Config::for_tests(dir.to_path_buf());
    cfg.db = started.db_url.clone();
    if let Some(s3) = &started.s3 {
        cfg.blobs = Some(format!("s3://{}/blobs", s3.bucket));
        cfg.s3_endpoint = Some(s3.endpoint.clone());
        cfg.s3_options = s3.options();
    }
    Some((cfg, started))
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

async fn app_on(cfg: Config, dir: tempfile::TempDir, started: Started) -> App {
    let reg = Registry::open(&cfg).await.unwrap();
    let token = std::fs::read_to_string(cfg.data_dir.join("admin-token")).unwrap();
    App {
        router: signet_server::registry::api::router(reg),
        auth: basic("admin", token.trim()),
        cfg,
        _dir: dir,
        _backend: started,
    }
}

async fn app(backend: Backend) -> Option<App> {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, started) = config_for(backend, dir.path())?;
    Some(app_on(cfg, dir, started).await)
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    fn code(&self) -> String {
        let v: Value = serde_json::from_slice(&self.body).unwrap_or(Value::Null);
        v["errors"][0]["code"].as_str().unwrap_or("").to_owned()
    }
}

async fn send(
    router: &Router,
    auth: Option<&str>,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Resp {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

impl App {
    async fn call(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Resp {
        send(&self.router, Some(&self.auth), method, uri, headers, body).await
    }

    /// Monolithic upload; returns the digest.
    async fn push_blob(&self, repo: &str, content: &[u8]) -> String {
        let digest = sha256(content);
        let r = self
            .call(
                "POST",
                &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
                &[],
                content.to_vec(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.header("docker-content-digest"), digest);
        digest
    }

    async fn push_manifest(&self, repo: &str, reference: &str, manifest: &Value) -> Resp {
        self.call(
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("content-type", "application/vnd.oci.image.manifest.v1+json")],
            serde_json::to_vec(manifest).unwrap(),
        )
        .await
    }
}

fn sha256(b: &[u8]) -> String {
    format!(
        "sha256:{}",
        signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[b]))
    )
}

fn image(config: &str, layers: &[(&str, usize)]) -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": layers.iter().map(|(d, s)| json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s,
        })).collect::<Vec<_>>(),
    })
}

per_backend!(
    every_request_needs_the_admin_credential,
    push_and_pull_an_image,
    bad_input_stores_nothing,
    tags_paginate,
);

async fn every_request_needs_the_admin_credential(backend: Backend) {
    let Some(a) = app(backend).await else { return };
    // The token file is private to the server's user.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(a.cfg.data_dir.join("admin-token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let r = send(&a.router, None, "GET", "/v2/", &[], vec![]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header("www-authenticate"), "Basic realm=\"signet\"");
    assert_eq!(r.code(), "UNAUTHORIZED");
    let wrong = basic("admin", "not-the-token");
    let r = send(&a.router, Some(&wrong), "GET", "/v2/", &[], vec![]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = a.call("GET", "/v2/", &[], vec![]).await;
    assert_eq!(r.status, StatusCode::OK);
    // No anonymous write: the upload is refused and nothing is stored.
    let content = b"anonymous".to_vec();
    let digest = sha256(&content);
    for (method, uri) in [
        ("POST", format!("/v2/anon/blobs/uploads/?digest={digest}")),
        ("PUT", "/v2/anon/manifests/latest".to_owned()),
        ("DELETE", format!("/v2/anon/manifests/{digest}")),
        ("GET", "/v2/anon/tags/list".to_owned()),
        ("GET", "/v2/_catalog".to_owned()),
    ] {
        let r = send(&a.router, None, method, &uri, &[], content.clone()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    let r = a
        .call("HEAD", &format!("/v2/anon/blobs/{digest}"), &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A restart keeps the same credential (not re-created, not re-printed).
    let reg2 = Registry::open(&a.cfg).await.unwrap();
    let token = std::fs::read_to_string(a.cfg.data_dir.join("admin-token")).unwrap();
    assert!(reg2.check_admin("admin", token.trim()).await.unwrap());
    assert!(!reg2.check_admin("root", token.trim()).await.unwrap());
}

async fn push_and_pull_an_image(backend: Backend) {
    let Some(a) = app(backend).await else { return };
    let repo = "production/apps";
    let config = a.push_blob(repo, b"{}").await;
    // A chunked upload: POST, two PATCHes with Content-Range, PUT with digest.
    let layer: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let layer_digest = sha256(&layer);
    let r = a
        .call("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let loc = r.header("location").to_owned();
    assert!(loc.starts_with(&format!("/v2/{repo}/blobs/uploads/")));
    let (first, second) = layer.split_at(300_000);
    let r = a
        .call(
            "PATCH",
            &loc,
            &[("content-range", &format!("0-{}", first.len() - 1))],
            first.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.header("range"), format!("0-{}", first.len() - 1));
    let r = a.call("GET", &loc, &[], vec![]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.header("range"), format!("0-{}", first.len() - 1));
    let range = format!("{}-{}", first.len(), layer.len() - 1);
    let r = a
        .call("PATCH", &loc, &[("content-range", &range)], second.to_vec())
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = a
        .call("PUT", &format!("{loc}?digest={layer_digest}"), &[], vec![])
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // Pull the blob back, byte-identical.
    let r = a
        .call(
            "GET",
            &format!("/v2/{repo}/blobs/{layer_digest}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, layer);
    assert_eq!(r.header("docker-content-digest"), layer_digest);
    let r = a
        .call(
            "HEAD",
            &format!("/v2/{repo}/blobs/{layer_digest}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.header("content-length"), layer.len().to_string());
    // Range reads: bounded, open-ended, suffix; out of range is 416.
    let uri = format!("/v2/{repo}/blobs/{layer_digest}");
    let n = layer.len();
    for (range, want) in [
        ("bytes=10-19".to_owned(), 10..20),
        (format!("bytes={}-", n - 5), n - 5..n),
        ("bytes=-7".to_owned(), n - 7..n),
        (format!("bytes=0-{}", n + 100), 0..n),
    ] {
        let r = a.call("GET", &uri, &[("range", &range)], vec![]).await;
        assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(r.body, layer[want.clone()], "{range}");
        assert_eq!(
            r.header("content-range"),
            format!("bytes {}-{}/{n}", want.start, want.end - 1)
        );
    }
    for bad in [
        format!("bytes={n}-"),
        "bytes=5-2".to_owned(),
        "items=0-1".to_owned(),
    ] {
        let r = a.call("GET", &uri, &[("range", &bad)], vec![]).await;
        assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE, "{bad}");
        assert_eq!(r.header("content-range"), format!("bytes */{n}"));
    }
    // The manifest, by tag; then by tag and digest, byte-identical.
    let manifest = image(&config, &[(&layer_digest, layer.len())]);
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let r = a.push_manifest(repo, "v1", &manifest).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let mdigest = sha256(&bytes);
    assert_eq!(r.header("docker-content-digest"), mdigest);
    for reference in ["v1", mdigest.as_str()] {
        let r = a
            .call(
                "GET",
                &format!("/v2/{repo}/manifests/{reference}"),
                &[],
                vec![],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, bytes);
        assert_eq!(
            r.header("content-type"),
            "application/vnd.oci.image.manifest.v1+json"
        );
        assert_eq!(r.header("docker-content-digest"), mdigest);
    }
    // An index over it.
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest,
                       "size": bytes.len(), "platform": {"architecture": "amd64", "os": "linux"}}]});
    let r = a
        .call(
            "PUT",
            &format!("/v2/{repo}/manifests/multi"),
            &[("content-type", "application/vnd.oci.image.index.v1+json")],
            serde_json::to_vec(&index).unwrap(),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let r = a
        .call("GET", &format!("/v2/{repo}/tags/list"), &[], vec![])
        .await;
    let tags: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(tags, json!({"name": repo, "tags": ["multi", "v1"]}));
    let r = a.call("GET", "/v2/_catalog", &[], vec![]).await;
    let cat: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(cat["repositories"], json!([repo]));
    // Cross-repository mount.
    let r = a
        .call(
            "POST",
            &format!("/v2/other/blobs/uploads/?mount={layer_digest}&from={repo}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = a
        .call(
            "HEAD",
            &format!("/v2/other/blobs/{layer_digest}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Deleting the tag keeps the manifest; deleting the manifest removes it.
    let r = a
        .call("DELETE", &format!("/v2/{repo}/manifests/v1"), &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = a
        .call("GET", &format!("/v2/{repo}/manifests/v1"), &[], vec![])
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN")
    );
    let r = a
        .call(
            "GET",
            &format!("/v2/{repo}/manifests/{mdigest}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = a
        .call(
            "DELETE",
            &format!("/v2/{repo}/manifests/{mdigest}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = a
        .call(
            "HEAD",
            &format!("/v2/{repo}/manifests/{mdigest}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn bad_input_stores_nothing(backend: Backend) {
    let Some(a) = app(backend).await else { return };
    let repo = "a/b";
    // Digest mismatch, monolithic and chunked: 400 and no blob.
    let claimed = sha256(b"what was promised");
    let r = a
        .call(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/?digest={claimed}"),
            &[],
            b"something else".to_vec(),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "DIGEST_INVALID")
    );
    let r = a
        .call("HEAD", &format!("/v2/{repo}/blobs/{claimed}"), &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = a
        .call("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], vec![])
        .await;
    let loc = r.header("location").to_owned();
    let r = a.call("PATCH", &loc, &[], b"part".to_vec()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    // A chunk that does not continue where the upload stands.
    let r = a
        .call(
            "PATCH",
            &loc,
            &[("content-range", "0-3")],
            b"again".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    let r = a
        .call("PUT", &format!("{loc}?digest={claimed}"), &[], vec![])
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "DIGEST_INVALID")
    );
    let r = a
        .call("HEAD", &format!("/v2/{repo}/blobs/{claimed}"), &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The failed session is gone.
    let r = a.call("GET", &loc, &[], vec![]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN")
    );
    // Malformed digests.
    let r = a
        .call(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/?digest=sha256:abc"),
            &[],
            b"x".to_vec(),
        )
        .await;
    assert_eq!(r.code(), "DIGEST_INVALID");
    // Manifests: unknown blobs, wrong digest, not JSON, unknown type, oversize.
    let config = a.push_blob(repo, b"{}").await;
    let missing = sha256(b"never pushed");
    let r = a
        .push_manifest(repo, "v1", &image(&config, &[(&missing, 1)]))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN")
    );
    let good = image(&config, &[]);
    let r = a.push_manifest(repo, &sha256(b"other"), &good).await;
    assert_eq!(r.code(), "DIGEST_INVALID");
    let r = a
        .call(
            "PUT",
            &format!("/v2/{repo}/manifests/v1"),
            &[("content-type", "application/json")],
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(r.code(), "MANIFEST_INVALID");
    let mut odd = good.clone();
    odd["mediaType"] = json!("application/x-unknown");
    let r = a.push_manifest(repo, "v1", &odd).await;
    assert_eq!(r.code(), "MANIFEST_INVALID");
    let mut big = good.clone();
    big["annotations"] = json!({"pad": "x".repeat(5 * 1024 * 1024)});
    let r = a.push_manifest(repo, "v1", &big).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "SIZE_INVALID")
    );
    let r = a
        .call("GET", &format!("/v2/{repo}/manifests/v1"), &[], vec![])
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "no bad manifest was stored"
    );
    // Names that are not repository names, tags or digests.
    for uri in [
        "/v2/UPPER/manifests/v1",
        "/v2/a/../b/manifests/v1",
        "/v2/a//b/manifests/v1",
        "/v2/-a/tags/list",
        "/v2/a/nothing-here",
    ] {
        let r = a.call("GET", uri, &[], vec![]).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::NOT_FOUND, "NAME_INVALID"),
            "{uri}"
        );
    }
    let r = a
        .call("GET", &format!("/v2/{repo}/manifests/bad:tag"), &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = a.call("GET", "/v2/unknown/tags/list", &[], vec![]).await;
    assert_eq!(r.code(), "NAME_UNKNOWN");
}

async fn tags_paginate(backend: Backend) {
    let Some(a) = app(backend).await else { return };
    let config = a.push_blob("p", b"{}").await;
    let m = image(&config, &[]);
    for t in ["a", "b", "c", "d", "e"] {
        assert_eq!(
            a.push_manifest("p", t, &m).await.status,
            StatusCode::CREATED
        );
    }
    let r = a.call("GET", "/v2/p/tags/list?n=2", &[], vec![]).await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["tags"], json!(["a", "b"]));
    assert_eq!(
        r.header("link"),
        "</v2/p/tags/list?n=2&last=b>; rel=\"next\""
    );
    let r = a
        .call("GET", "/v2/p/tags/list?n=2&last=b", &[], vec![])
        .await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["tags"], json!(["c", "d"]));
    let r = a
        .call("GET", "/v2/p/tags/list?n=2&last=d", &[], vec![])
        .await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["tags"], json!(["e"]));
    assert_eq!(r.header("link"), "");
}

/// Two replicas on one PostgreSQL + S3: push through one, pull and delete
/// through the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_behave_as_one_registry() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let Some((cfg_a, started)) = config_for(Backend::PostgresS3, dir_a.path()) else {
        return;
    };
    let mut cfg_b = cfg_a.clone();
    cfg_b.data_dir = dir_b.path().to_path_buf();
    let a = app_on(cfg_a, dir_a, started).await;
    // The second replica finds the credential already made: no new token file.
    let reg_b = Registry::open(&cfg_b).await.unwrap();
    assert!(!dir_b.path().join("admin-token").exists());
    let b = signet_server::registry::api::router(reg_b);
    let layer = b"layer bytes".to_vec();
    let ld = a.push_blob("r", &layer).await;
    let config = a.push_blob("r", b"{}").await;
    let m = image(&config, &[(&ld, layer.len())]);
    assert_eq!(
        a.push_manifest("r", "latest", &m).await.status,
        StatusCode::CREATED
    );
    let r = send(
        &b,
        Some(&a.auth),
        "GET",
        "/v2/r/manifests/latest",
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.body, serde_json::to_vec(&m).unwrap());
    let r = send(
        &b,
        Some(&a.auth),
        "GET",
        &format!("/v2/r/blobs/{ld}"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.body, layer);
    let digest = r.header("docker-content-digest").to_owned();
    assert_eq!(digest, ld);
    let md = sha256(&serde_json::to_vec(&m).unwrap());
    let r = send(
        &b,
        Some(&a.auth),
        "DELETE",
        &format!("/v2/r/manifests/{md}"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = a.call("GET", "/v2/r/manifests/latest", &[], vec![]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
