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

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    fn expect(&self, want: StatusCode) {
        assert_eq!(self.status, want, "{}", String::from_utf8_lossy(&self.body));
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
        r.expect(StatusCode::CREATED);
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
    credentials_and_the_token_flow,
    authorization_matrix,
    generic_file_repositories,
    referrers_and_the_tag_fallback,
    garbage_collection_races_no_upload,
    size_limits_store_nothing,
    push_and_pull_an_image,
    bad_input_stores_nothing,
    tags_paginate,
);

async fn credentials_and_the_token_flow(backend: Backend) {
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
    // Anonymous /v2/ gets the challenge that sends clients to /v2/token.
    let r = send(
        &a.router,
        None,
        "GET",
        "/v2/",
        &[("host", "reg.example:5000")],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.header("www-authenticate"),
        "Bearer realm=\"http://reg.example:5000/v2/token\",service=\"signet\""
    );
    assert_eq!(r.code(), "UNAUTHORIZED");
    // Wrong credentials are refused everywhere, never treated as anonymous.
    for wrong in [
        basic("admin", "not-the-token"),
        basic("admin", "sgn_0000"),
        basic("nobody", "some password"),
        "Bearer sgb.e30.AAAA".to_owned(),
        "Digest x".to_owned(),
    ] {
        let r = send(&a.router, Some(&wrong), "GET", "/v2/token", &[], vec![]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
    let r = a.call("GET", "/v2/", &[], vec![]).await;
    assert_eq!(r.status, StatusCode::OK);

    // A user with a password (argon2 in the database, never the password).
    let r = a
        .call(
            "POST",
            "/api/v1/users",
            &[],
            serde_json::to_vec(&json!({"name": "alice", "password": "correct horse battery", "grants": ["write:team/**"]})).unwrap(),
        )
        .await;
    r.expect(StatusCode::CREATED);
    let alice = basic("alice", "correct horse battery");
    let r = send(
        &a.router,
        Some(&alice),
        "GET",
        "/api/v1/whoami",
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["user"], "alice");
    let r = send(
        &a.router,
        Some(&basic("alice", "correct horse battery!")),
        "GET",
        "/v2/",
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Docker's flow: a token for a scope, then Bearer requests.
    let r = send(
        &a.router,
        Some(&alice),
        "GET",
        "/v2/token?service=signet&scope=repository:team/app:pull,push",
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let bearer = format!("Bearer {}", v["token"].as_str().unwrap());
    assert_eq!(v["access_token"], v["token"]);
    assert_eq!(v["expires_in"], 300);
    let content = b"layer".to_vec();
    let digest = sha256(&content);
    let r = send(
        &a.router,
        Some(&bearer),
        "POST",
        &format!("/v2/team/app/blobs/uploads/?digest={digest}"),
        &[],
        content.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Outside the user's grants: 403, whatever the token asked for.
    let r = send(
        &a.router,
        Some(&alice),
        "GET",
        "/v2/token?scope=repository:prod/app:pull",
        &[],
        vec![],
    )
    .await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let wide = format!("Bearer {}", v["token"].as_str().unwrap());
    let r = send(
        &a.router,
        Some(&wide),
        "GET",
        "/v2/prod/app/tags/list",
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "DENIED");
    // A tampered bearer token is refused.
    let mut forged = bearer.clone().into_bytes();
    let i = forged.len() - 3;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let r = send(
        &a.router,
        Some(&String::from_utf8(forged).unwrap()),
        "GET",
        "/v2/",
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // API tokens: no more than the owner has; revocable; stored hashed.
    let r = send(
        &a.router,
        Some(&alice),
        "POST",
        "/api/v1/tokens",
        &[],
        serde_json::to_vec(&json!({"description": "ci", "grants": ["admin:**"]})).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &a.router,
        Some(&alice),
        "POST",
        "/api/v1/tokens",
        &[],
        serde_json::to_vec(&json!({"description": "ci", "grants": ["read:team/**"]})).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let secret = v["token"].as_str().unwrap().to_owned();
    let id = v["id"].as_str().unwrap().to_owned();
    let tok = format!("Bearer {secret}");
    let r = send(
        &a.router,
        Some(&tok),
        "GET",
        &format!("/v2/team/app/blobs/{digest}"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, content);
    // Read-only token: no push, even though alice may write.
    let r = send(
        &a.router,
        Some(&basic("alice", &secret)),
        "POST",
        "/v2/team/app/blobs/uploads/",
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A token presented under another user's name is refused.
    let r = send(
        &a.router,
        Some(&basic("admin", &secret)),
        "GET",
        "/v2/",
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send(
        &a.router,
        Some(&alice),
        "GET",
        "/api/v1/tokens",
        &[],
        vec![],
    )
    .await;
    assert!(!String::from_utf8_lossy(&r.body).contains(&secret));
    let r = send(
        &a.router,
        Some(&alice),
        "DELETE",
        &format!("/api/v1/tokens/{id}"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = send(&a.router, Some(&tok), "GET", "/v2/", &[], vec![]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // A restart keeps the same admin credential (not re-created, not re-printed).
    let before = std::fs::read_to_string(a.cfg.data_dir.join("admin-token")).unwrap();
    let reg2 = Registry::open(&a.cfg).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(a.cfg.data_dir.join("admin-token")).unwrap(),
        before
    );
    let router2 = signet_server::registry::api::router(reg2);
    let r = send(&router2, Some(&a.auth), "GET", "/v2/", &[], vec![]).await;
    assert_eq!(r.status, StatusCode::OK);
    // A bearer token issued by one instance is accepted by another (shared key).
    let r = send(
        &router2,
        Some(&bearer),
        "GET",
        &format!("/v2/team/app/blobs/{digest}"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

/// Every route × anonymous, reader, writer, admin (and a public
/// repository): allowed calls succeed, others are 401 (anonymous) or 403
/// (users), and refused writes change nothing.
async fn authorization_matrix(backend: Backend) {
    let Some(a) = app(backend).await else { return };
    let admin = a.auth.clone();
    let make_token = |grants: Value| {
        let a = &a;
        async move {
            let r = a
                .call("POST", "/api/v1/users", &[], serde_json::to_vec(&json!({"name": format!("u{}", grants.to_string().len()), "password": "a long enough password", "grants": grants})).unwrap())
                .await;
            r.expect(StatusCode::CREATED);
            let name = format!("u{}", grants.to_string().len());
            let r = send(
                &a.router,
                Some(&basic(&name, "a long enough password")),
                "POST",
                "/api/v1/tokens",
                &[],
                serde_json::to_vec(&json!({"grants": grants})).unwrap(),
            )
            .await;
            r.expect(StatusCode::CREATED);
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            basic(&name, v["token"].as_str().unwrap())
        }
    };
    let reader = make_token(json!(["read:team/**"])).await;
    let writer = make_token(json!(["write:team/**", "read:other/**"])).await;
    // Fixtures: an image in team/app, a file in team/files, a public repo.
    let cfg = a.push_blob("team/app", b"{}").await;
    let layer = a.push_blob("team/app", b"layer-bytes").await;
    let m = image(&cfg, &[(&layer, 11)]);
    assert_eq!(
        a.push_manifest("team/app", "v1", &m).await.status,
        StatusCode::CREATED
    );
    let mdigest = sha256(&serde_json::to_vec(&m).unwrap());
    let r = a
        .call(
            "PUT",
            "/api/v1/repositories/team/files/files/a.txt",
            &[],
            b"hello".to_vec(),
        )
        .await;
    r.expect(StatusCode::CREATED);
    let r = a
        .call(
            "POST",
            "/api/v1/repositories",
            &[],
            serde_json::to_vec(
                &json!({"name": "public/app", "type": "oci", "anonymous_read": true}),
            )
            .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    a.push_blob("public/app", b"{}").await;
    let new_blob = b"new".to_vec();
    let nd = sha256(&new_blob);

    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Who {
        Anon,
        Reader,
        Writer,
        Admin,
    }
    use Who::*;
    // (method, uri, body, who may).
    let repo_json =
        |name: &str| serde_json::to_vec(&json!({"name": name, "type": "generic"})).unwrap();
    let cases: Vec<(&str, String, Vec<u8>, &[Who])> = vec![
        ("GET", "/v2/".into(), vec![], &[Reader, Writer, Admin]),
        ("GET", "/v2/team/app/tags/list".into(), vec![], &[Reader, Writer, Admin]),
        ("GET", "/v2/team/app/manifests/v1".into(), vec![], &[Reader, Writer, Admin]),
        ("HEAD", format!("/v2/team/app/manifests/{mdigest}"), vec![], &[Reader, Writer, Admin]),
        ("GET", format!("/v2/team/app/blobs/{layer}"), vec![], &[Reader, Writer, Admin]),
        ("GET", format!("/v2/team/app/referrers/{mdigest}"), vec![], &[Reader, Writer, Admin]),
        ("GET", "/v2/public/app/tags/list".into(), vec![], &[Anon, Reader, Writer, Admin]),
        ("GET", format!("/v2/public/app/blobs/{cfg}"), vec![], &[Anon, Reader, Writer, Admin]),
        ("POST", format!("/v2/public/app/blobs/uploads/?digest={nd}"), new_blob.clone(), &[Admin]),
        ("POST", format!("/v2/team/app/blobs/uploads/?digest={nd}"), new_blob.clone(), &[Writer, Admin]),
        ("PUT", "/v2/team/app/manifests/v2".into(), serde_json::to_vec(&m).unwrap(), &[Writer, Admin]),
        ("DELETE", "/v2/team/app/manifests/v2".into(), vec![], &[Writer, Admin]),
        ("DELETE", format!("/v2/team/app/blobs/{nd}"), vec![], &[Writer, Admin]),
        ("GET", "/v2/prod/app/tags/list".into(), vec![], &[Admin]),
        ("GET", "/api/v1/repositories/team/app".into(), vec![], &[Reader, Writer, Admin]),
        ("GET", "/api/v1/repositories/team/files/files/a.txt".into(), vec![], &[Reader, Writer, Admin]),
        ("HEAD", "/api/v1/repositories/team/files/files/a.txt".into(), vec![], &[Reader, Writer, Admin]),
        ("GET", "/api/v1/repositories/team/files/files/".into(), vec![], &[Reader, Writer, Admin]),
        ("PUT", "/api/v1/repositories/team/files/files/b.txt".into(), b"b".to_vec(), &[Writer, Admin]),
        ("DELETE", "/api/v1/repositories/team/files/files/b.txt".into(), vec![], &[Writer, Admin]),
        ("PUT", "/api/v1/repositories/other/files/files/c.txt".into(), b"c".to_vec(), &[Admin]),
        ("POST", "/api/v1/repositories".into(), repo_json("team/new"), &[Admin]),
        ("PATCH", "/api/v1/repositories/team/app".into(), br#"{"anonymous_read": false}"#.to_vec(), &[Admin]),
        ("DELETE", "/api/v1/repositories/team/new".into(), vec![], &[Admin]),
        ("GET", "/api/v1/users".into(), vec![], &[Admin]),
        ("POST", "/api/v1/users".into(), serde_json::to_vec(&json!({"name": "mallory", "password": "a long enough password", "grants": ["admin:**"]})).unwrap(), &[Admin]),
        ("DELETE", "/api/v1/users/mallory".into(), vec![], &[Admin]),
        ("GET", "/api/v1/tokens".into(), vec![], &[Reader, Writer, Admin]),
    ];
    for (method, uri, body, allowed) in &cases {
        // Refused callers first: their attempt must not change anything.
        for (who, auth) in [
            (Anon, None),
            (Reader, Some(&reader)),
            (Writer, Some(&writer)),
            (Admin, Some(&admin)),
        ] {
            if allowed.contains(&who) {
                continue;
            }
            let r = send(
                &a.router,
                auth.map(String::as_str),
                method,
                uri,
                &[],
                body.clone(),
            )
            .await;
            let want = if who == Anon {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                r.status,
                want,
                "{who:?} {method} {uri}: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
        for (who, auth) in [
            (Anon, None),
            (Reader, Some(&reader)),
            (Writer, Some(&writer)),
            (Admin, Some(&admin)),
        ] {
            if !allowed.contains(&who) {
                continue;
            }
            let r = send(
                &a.router,
                auth.map(String::as_str),
                method,
                uri,
                &[],
                body.clone(),
            )
            .await;
            // The first allowed caller's write may make later ones 404/409:
            // what matters here is that none is refused for lack of rights.
            assert!(
                r.status.is_success()
                    || r.status == StatusCode::NOT_FOUND
                    || r.status == StatusCode::CONFLICT,
                "{who:?} {method} {uri}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
            assert!(r.status != StatusCode::UNAUTHORIZED && r.status != StatusCode::FORBIDDEN);
        }
    }
    // Refused writes stored nothing: other/files has no c.txt from the
    // writer, and no anonymous or reader push landed in team/app.
    let r = a
        .call(
            "GET",
            "/api/v1/repositories/other/files/files/c.txt",
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "admin's own write is there");
    let r = a.call("GET", "/api/v1/users", &[], vec![]).await;
    assert!(!String::from_utf8_lossy(&r.body).contains("mallory"));
    // The catalog shows each caller only what it may read.
    let r = send(&a.router, None, "GET", "/v2/_catalog", &[], vec![]).await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["repositories"], json!(["public/app"]));
    let r = send(&a.router, Some(&reader), "GET", "/v2/_catalog", &[], vec![]).await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["repositories"], json!(["public/app", "team/app"]));
    // Path traversal and odd names are refused before storage.
    for uri in [
        "/api/v1/repositories/team/files/files/../../etc/passwd",
        "/api/v1/repositories/team/files/files/a/./b",
        "/api/v1/repositories/team/files/files/a%5Cb",
        "/api/v1/repositories/team/files/files/a%00b",
        "/api/v1/repositories/team/files/files/%2e%2e/x",
        "/api/v1/repositories/Team/files/files/x",
        "/api/v1/repositories/team/../x/files/y",
        "/v2/team/../app/tags/list",
        "/v2/team/app/manifests/..%2Fv1",
        "/v2/team/app/blobs/sha256:..%2F..%2Fetc",
    ] {
        let r = send(&a.router, Some(&admin), "PUT", uri, &[], b"x".to_vec()).await;
        assert!(
            r.status == StatusCode::BAD_REQUEST
                || r.status == StatusCode::NOT_FOUND
                || r.status == StatusCode::METHOD_NOT_ALLOWED,
            "{uri}: {}",
            r.status
        );
        assert!(!r.status.is_success(), "{uri}");
    }
}

async fn generic_file_repositories(backend: Backend) {
    let Some(a) = app(backend).await else { return };
    let repo_body =
        |name: &str, kind: &str| serde_json::to_vec(&json!({"name": name, "type": kind})).unwrap();
    let r = a
        .call(
            "POST",
            "/api/v1/repositories",
            &[],
            repo_body("dist/iso", "generic"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = a
        .call(
            "POST",
            "/api/v1/repositories",
            &[],
            repo_body("dist/iso", "generic"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = a
        .call(
            "POST",
            "/api/v1/repositories",
            &[],
            repo_body("dist/x", "maven"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = a
        .call(
            "POST",
            "/api/v1/repositories",
            &[],
            repo_body("Dist/X", "generic"),
        )
        .await;
    assert_eq!(r.code(), "NAME_INVALID");
    let r = a
        .call("POST", "/api/v1/repositories", &[], b"{not json".to_vec())
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let base = "/api/v1/repositories/dist/iso/files";
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let hex = sha256(&content).trim_start_matches("sha256:").to_owned();
    // Without a checksum: stored, and its SHA-256 returned.
    let r = a
        .call(
            "PUT",
            &format!("{base}/releases/1.0/signet.iso"),
            &[],
            content.clone(),
        )
        .await;
    r.expect(StatusCode::CREATED);
    assert_eq!(r.header("x-checksum-sha256"), hex);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["sha256"], hex);
    assert_eq!(v["size"], content.len());
    // With the right checksum (any case, optional sha256: prefix).
    let sig = b"signature bytes".to_vec();
    let sig_hex = sha256(&sig).trim_start_matches("sha256:").to_owned();
    let upper = format!("sha256:{}", sig_hex.to_uppercase());
    let r = a
        .call(
            "PUT",
            &format!("{base}/releases/1.0/signet.iso.sig.bin"),
            &[("x-checksum-sha256", &upper)],
            sig.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // A wrong checksum stores nothing and leaves the old content in place.
    let r = a
        .call(
            "PUT",
            &format!("{base}/releases/1.0/signet.iso.sig.bin"),
            &[("x-checksum-sha256", &hex)],
            b"tampered".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "DIGEST_INVALID");
    let r = a
        .call(
            "GET",
            &format!("{base}/releases/1.0/signet.iso.sig.bin"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.body, sig);
    let r = a
        .call(
            "PUT",
            &format!("{base}/releases/1.0/new.bin"),
            &[("x-checksum-sha256", &sig_hex)],
            b"other".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = a
        .call("HEAD", &format!("{base}/releases/1.0/new.bin"), &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = a
        .call(
            "PUT",
            &format!("{base}/x.bin"),
            &[("x-checksum-sha256", "xyz")],
            b"x".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Reads: whole, HEAD, ranges, and an unsatisfiable range.
    let r = a
        .call(
            "GET",
            &format!("{base}/releases/1.0/signet.iso"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body == content);
    assert_eq!(r.header("x-checksum-sha256"), hex);
    let r = a
        .call(
            "HEAD",
            &format!("{base}/releases/1.0/signet.iso"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.header("content-length"), content.len().to_string());
    assert!(r.body.is_empty());
    let r = a
        .call(
            "GET",
            &format!("{base}/releases/1.0/signet.iso"),
            &[("range", "bytes=1000-1999")],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body, content[1000..2000]);
    assert_eq!(
        r.header("content-range"),
        format!("bytes 1000-1999/{}", content.len())
    );
    let r = a
        .call(
            "GET",
            &format!("{base}/releases/1.0/signet.iso"),
            &[("range", "bytes=-10")],
            vec![],
        )
        .await;
    assert_eq!(r.body, content[content.len() - 10..]);
    let r = a
        .call(
            "GET",
            &format!("{base}/releases/1.0/signet.iso"),
            &[("range", "bytes=9000000-")],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        r.header("content-range"),
        format!("bytes */{}", content.len())
    );

    // Listing with size, digest and time; by folder and in pages.
    a.call(
        "PUT",
        &format!("{base}/releases/2.0/signet.iso"),
        &[],
        b"two".to_vec(),
    )
    .await;
    let r = a.call("GET", &format!("{base}/"), &[], vec![]).await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "releases/1.0/signet.iso",
            "releases/1.0/signet.iso.sig.bin",
            "releases/2.0/signet.iso"
        ]
    );
    assert_eq!(v["files"][0]["size"], content.len());
    assert_eq!(v["files"][0]["digest"], format!("sha256:{hex}"));
    assert!(v["files"][0]["created"].as_i64().unwrap() > 1_700_000_000);
    let r = a
        .call("GET", &format!("{base}/releases/2.0/"), &[], vec![])
        .await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["files"].as_array().unwrap().len(), 1);
    let r = a.call("GET", &format!("{base}?n=2"), &[], vec![]).await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["files"].as_array().unwrap().len(), 2);
    let next = v["next"].as_str().unwrap().to_owned();
    let r = a
        .call("GET", &format!("{base}?n=2&last={next}"), &[], vec![])
        .await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["files"][0]["path"], "releases/2.0/signet.iso");
    assert_eq!(v["next"], Value::Null);

    // Types do not mix: no image pushes to a generic repository, no files
    // in an OCI one.
    let r = a
        .call("POST", "/v2/dist/iso/blobs/uploads/", &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    a.push_blob("images/app", b"{}").await;
    let r = a
        .call(
            "PUT",
            "/api/v1/repositories/images/app/files/a.txt",
            &[],
            b"a".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = a.call("GET", "/api/v1/repositories", &[], vec![]).await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let kinds: Vec<(String, String)> = v["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().into(),
                r["type"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("dist/iso".into(), "generic".into()),
            ("images/app".into(), "oci".into())
        ]
    );

    // Deletes: a file, then the whole repository.
    let r = a
        .call(
            "DELETE",
            &format!("{base}/releases/2.0/signet.iso"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = a
        .call(
            "GET",
            &format!("{base}/releases/2.0/signet.iso"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "FILE_UNKNOWN");
    let r = a
        .call("DELETE", "/api/v1/repositories/dist/iso", &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = a
        .call(
            "GET",
            &format!("{base}/releases/1.0/signet.iso"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = a
        .call("GET", "/api/v1/repositories/dist/iso", &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn referrers_and_the_tag_fallback(backend: Backend) {
    let Some(a) = app(backend).await else { return };
    let repo = "team/app";
    let cfg = a.push_blob(repo, b"{}").await;
    let layer = a.push_blob(repo, b"layer").await;
    let img = image(&cfg, &[(&layer, 5)]);
    assert_eq!(
        a.push_manifest(repo, "v1", &img).await.status,
        StatusCode::CREATED
    );
    let subject = sha256(&serde_json::to_vec(&img).unwrap());
    let empty = a.push_blob(repo, b"{}").await;
    let sig_blob = a.push_blob(repo, b"sig").await;
    let artifact = |kind: &str, note: &str| {
        json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": kind,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": [{"mediaType": "application/octet-stream", "digest": sig_blob, "size": 3}],
            "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": 100},
            "annotations": {"note": note},
        })
    };
    let sig = artifact("application/vnd.dev.sigstore.bundle.v0.3+json", "sig");
    let sbom = artifact("application/spdx+json", "sbom");
    let mut digests = Vec::new();
    for m in [&sig, &sbom] {
        let d = sha256(&serde_json::to_vec(m).unwrap());
        let r = a.push_manifest(repo, &d, m).await;
        r.expect(StatusCode::CREATED);
        assert_eq!(r.header("oci-subject"), subject);
        digests.push(d);
    }
    let list = |r: &Resp| -> Vec<(String, String)> {
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["mediaType"], "application/vnd.oci.image.index.v1+json");
        let mut out: Vec<(String, String)> = v["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["digest"].as_str().unwrap().into(),
                    m["artifactType"].as_str().unwrap().into(),
                )
            })
            .collect();
        out.sort();
        out
    };
    let r = a
        .call(
            "GET",
            &format!("/v2/{repo}/referrers/{subject}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        "application/vnd.oci.image.index.v1+json"
    );
    let mut want = vec![
        (
            digests[0].clone(),
            "application/vnd.dev.sigstore.bundle.v0.3+json".to_owned(),
        ),
        (digests[1].clone(), "application/spdx+json".to_owned()),
    ];
    want.sort();
    assert_eq!(list(&r), want);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(
        v["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["annotations"]["note"] == "sig")
    );
    // Filtered by artifactType.
    let r = a
        .call(
            "GET",
            &format!("/v2/{repo}/referrers/{subject}?artifactType=application/spdx%2Bjson"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.header("oci-filters-applied"), "artifactType");
    assert_eq!(
        list(&r),
        [(digests[1].clone(), "application/spdx+json".to_owned())]
    );
    // A subject with no referrers: an empty index, not 404.
    let r = a
        .call("GET", &format!("/v2/{repo}/referrers/{layer}"), &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(list(&r).is_empty());
    let r = a
        .call(
            "GET",
            &format!("/v2/{repo}/referrers/sha256:nothex"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Clients of registries without the API keep an index under the tag
    // sha256-<hex>; what it lists is served too.
    let legacy_cfg = a.push_blob(repo, b"legacy").await;
    let legacy = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.dev.cosign.legacy", "digest": legacy_cfg, "size": 6},
        "layers": [],
    });
    let legacy_digest = sha256(&serde_json::to_vec(&legacy).unwrap());
    assert_eq!(
        a.push_manifest(repo, &legacy_digest, &legacy).await.status,
        StatusCode::CREATED
    );
    let fallback = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": legacy_digest, "size": 1, "artifactType": "application/vnd.dev.cosign.legacy"}],
    });
    let tag = format!("sha256-{}", subject.trim_start_matches("sha256:"));
    let r = a
        .call(
            "PUT",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("content-type", "application/vnd.oci.image.index.v1+json")],
            serde_json::to_vec(&fallback).unwrap(),
        )
        .await;
    r.expect(StatusCode::CREATED);
    let r = a
        .call(
            "GET",
            &format!("/v2/{repo}/referrers/{subject}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(list(&r).len(), 3);
    // Deleting a referrer removes it from the list.
    let r = a
        .call(
            "DELETE",
            &format!("/v2/{repo}/manifests/{}", digests[0]),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = a
        .call("GET", &format!("/v2/{repo}/referrers/{subject}?artifactType=application/vnd.dev.sigstore.bundle.v0.3%2Bjson"), &[], vec![])
        .await;
    assert!(list(&r).is_empty());
}

async fn garbage_collection_races_no_upload(backend: Backend) {
    let Some(a) = app(backend).await else { return };
    let reg = Registry::open(&a.cfg).await.unwrap();
    let kept = a.push_blob("gc/app", b"kept").await;
    let dropped = a.push_blob("gc/app", b"dropped").await;
    let r = a
        .call(
            "DELETE",
            &format!("/v2/gc/app/blobs/{dropped}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = a
        .call(
            "PUT",
            "/api/v1/repositories/gc/files/files/f.bin",
            &[],
            b"file bytes".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = a
        .call(
            "DELETE",
            "/api/v1/repositories/gc/files/files/f.bin",
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // Within the grace period nothing goes.
    let report = reg.gc(std::time::Duration::from_secs(3600)).await.unwrap();
    assert_eq!(report.blobs_deleted, 0);
    assert!(report.kept_young >= 3, "{report:?}");
    let report = reg.gc(std::time::Duration::ZERO).await.unwrap();
    assert_eq!(report.blobs_deleted, 2, "{report:?}");
    let r = a
        .call("GET", &format!("/v2/gc/app/blobs/{kept}"), &[], vec![])
        .await;
    assert_eq!(r.body, b"kept");
    let fsck = reg.fsck(true).await.unwrap();
    assert!(fsck.problems.is_empty(), "{:?}", fsck.problems);
    assert_eq!(fsck.blobs_checked, 1);

    // The race: one task pushes the same content again and again, reads it
    // back and unlinks it (so it is garbage between rounds) while another
    // collects with no grace period. Every acknowledged push must read back.
    let content = b"contended content".to_vec();
    let digest = sha256(&content);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let collector = {
        let (reg, stop) = (reg.clone(), stop.clone());
        tokio::spawn(async move {
            let mut deleted = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                deleted += reg
                    .gc(std::time::Duration::ZERO)
                    .await
                    .unwrap()
                    .blobs_deleted;
                tokio::task::yield_now().await;
            }
            deleted
        })
    };
    for round in 0..60 {
        let repo = format!("race/r{}", round % 3);
        let r = if round % 2 == 0 {
            a.call(
                "POST",
                &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
                &[],
                content.clone(),
            )
            .await
        } else {
            let r = a
                .call("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], vec![])
                .await;
            let loc = r.header("location").to_owned();
            a.call("PATCH", &loc, &[], content.clone()).await;
            a.call("PUT", &format!("{loc}?digest={digest}"), &[], vec![])
                .await
        };
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "round {round}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let r = a
            .call("GET", &format!("/v2/{repo}/blobs/{digest}"), &[], vec![])
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "round {round}: the pushed blob vanished"
        );
        assert_eq!(r.body, content, "round {round}");
        let r = a
            .call("DELETE", &format!("/v2/{repo}/blobs/{digest}"), &[], vec![])
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let deleted = collector.await.unwrap();
    assert!(deleted > 0, "the collector never got to run between rounds");
    let fsck = reg.fsck(false).await.unwrap();
    assert!(fsck.problems.is_empty(), "{:?}", fsck.problems);
}

async fn size_limits_store_nothing(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut cfg, started)) = config_for(backend, dir.path()) else {
        return;
    };
    cfg.max_blob = 1000;
    let a = app_on(cfg, dir, started).await;
    let big = vec![7u8; 2000];
    let d = sha256(&big);
    let r = a
        .call(
            "POST",
            &format!("/v2/lim/app/blobs/uploads/?digest={d}"),
            &[],
            big.clone(),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "SIZE_INVALID")
    );
    let r = a
        .call("HEAD", &format!("/v2/lim/app/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Chunked: the limit is on the total.
    let r = a
        .call("POST", "/v2/lim/app/blobs/uploads/", &[], vec![])
        .await;
    let loc = r.header("location").to_owned();
    let r = a.call("PATCH", &loc, &[], vec![1u8; 600]).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = a.call("PATCH", &loc, &[], vec![1u8; 600]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = a.call("GET", &loc, &[], vec![]).await;
    assert_eq!(
        r.header("range"),
        "0-599",
        "the refused chunk was not added"
    );
    // Files too; a file at the limit is fine.
    let r = a
        .call(
            "PUT",
            "/api/v1/repositories/lim/files/files/big.bin",
            &[],
            big,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = a
        .call("GET", "/api/v1/repositories/lim/files/files/", &[], vec![])
        .await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["files"], json!([]));
    let r = a
        .call(
            "PUT",
            "/api/v1/repositories/lim/files/files/ok.bin",
            &[],
            vec![1u8; 1000],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
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
    r.expect(StatusCode::CREATED);
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
    r.expect(StatusCode::CREATED);
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
    r.expect(StatusCode::CREATED);
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

/// `/api/openapi.json` documents the REST API, and every documented
/// method and path is one the router serves.
#[tokio::test]
async fn openapi_document_matches_the_routes() {
    let Some(a) = app(Backend::SqliteFile).await else {
        return;
    };
    let r = send(&a.router, None, "GET", "/api/openapi.json", &[], vec![]).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["components"]["schemas"]["NewUser"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 9, "{paths:?}");
    let mut checked = 0;
    for (path, ops) in paths {
        let concrete = path
            .replace("{repo}", "doc/repo")
            .replace("{path}", "a/b.txt")
            .replace("{name}", "nobody")
            .replace("{id}", "0000");
        for method in ops.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            let r = a.call(&m, &concrete, &[], b"{}".to_vec()).await;
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
            assert!(
                r.status != StatusCode::NOT_FOUND || !r.body.is_empty(),
                "{m} {path}: no route"
            );
            checked += 1;
        }
    }
    assert!(checked >= 17, "{checked}");
}
