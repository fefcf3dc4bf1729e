//! The log's HTTP API, in process (no socket): writes, proofs, the static
//! read path, bad input, restarts and overload. Every test runs on each
//! backend pair (SQLite + dir, PostgreSQL + dir, PostgreSQL + S3), and two
//! replicas share one PostgreSQL + S3 log.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_crypto::{KeyAlgorithm, Message, PrivateKey};
use signet_server::Config;
use signet_server::log::Log;
use signet_testkit::{Backend, Started, per_backend};
use signet_tlog::Hash;
use signet_tlog::checkpoint::Checkpoint;
use signet_tlog::note::Verifier;
use signet_tlog::tile::{TileId, TileReader};
use signet_types::b64;
use tower::ServiceExt;

struct App {
    log: Log,
    router: Router,
    _dir: tempfile::TempDir,
    _backend: Started,
}

/// A config for `backend` (its fixtures live as long as `Started`).
fn config_for(backend: Backend, dir: &std::path::Path) -> Option<(Config, Started)> {
    let started = backend.start()?;
    let mut cfg = Config::for_tests(dir.to_path_buf());
    cfg.log_db = started.db_url.clone();
    cfg.log_storage = started.storage_url.clone();
    if let Some(s3) = &started.s3 {
        cfg.s3_endpoint = Some(s3.endpoint.clone());
        cfg.s3_options = s3.options();
    }
    Some((cfg, started))
}

async fn app_with(backend: Backend, f: impl FnOnce(&mut Config)) -> Option<App> {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, started) = config_for(backend, dir.path())?;
    f(&mut cfg);
    let log = Log::open(&cfg).await.unwrap();
    Some(App {
        router: signet_server::api::router(log.clone()),
        log,
        _dir: dir,
        _backend: started,
    })
}

per_backend!(
    concurrent_entries_are_logged_with_valid_proofs,
    duplicates_and_lookups,
    bad_input_is_refused_and_the_log_is_untouched,
    v2_entries_and_consistency_proofs,
    restart_keeps_entries_and_checkpoint,
    overload_answers_503_with_retry_after,
    dsse_entries_from_the_rekor_fixture,
);

async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    body: Option<Vec<u8>>,
) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, bytes, headers)
}

fn entry_v1(key: &PrivateKey, content: &[u8]) -> Value {
    let d = Digest::of(DigestAlgorithm::Sha256, content);
    let sig = key.sign(&Message::Digest(d)).unwrap();
    json!({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {
        "signature": {"content": b64::encode(&sig), "publicKey": {"content": b64::encode(key.public_key().to_pem())}},
        "data": {"hash": {"algorithm": "sha256", "value": d.to_hex()}},
    }})
}

fn first(doc: &Value) -> (&String, &Value) {
    doc.as_object().unwrap().iter().next().unwrap()
}

fn vkeys(log: &Log) -> Vec<Verifier> {
    log.vkeys()
        .iter()
        .map(|v| Verifier::from_vkey(v).unwrap())
        .collect()
}

async fn concurrent_entries_are_logged_with_valid_proofs(backend: Backend) {
    let Some(a) = app_with(backend, |_| {}).await else {
        return;
    };
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..300u32 {
        let r = a.router.clone();
        let body = serde_json::to_vec(&entry_v1(&key, &i.to_be_bytes())).unwrap();
        set.spawn(async move { call(&r, "POST", "/api/v1/log/entries", Some(body)).await });
    }
    let (_, root_json, _) = call(&a.router, "GET", "/api/v1/trusted-root", None).await;
    let root = signet_types::trust_root::TrustedRoot::from_json(&root_json).unwrap();
    let mut indexes = Vec::new();
    while let Some(r) = set.join_next().await {
        let (status, body, headers) = r.unwrap();
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&body)
        );
        assert!(headers.get("location").is_some());
        let doc: Value = serde_json::from_slice(&body).unwrap();
        let (uuid, e) = first(&doc);
        let idx = e["logIndex"].as_u64().unwrap();
        indexes.push(idx);
        // The whole entry verifies offline against the published trusted root.
        let body = b64::decode(e["body"].as_str().unwrap()).unwrap();
        assert_eq!(uuid, &signet_tlog::hash::leaf_hash(&body).to_hex());
        let p = &e["verification"]["inclusionProof"];
        let entry = signet_types::bundle::TransparencyLogEntry {
            log_index: idx as i64,
            log_id: signet_types::bundle::LogId {
                key_id: signet_types::hex::decode(e["logID"].as_str().unwrap()).unwrap(),
            },
            kind_version: signet_types::bundle::KindVersion {
                kind: "hashedrekord".into(),
                version: "0.0.1".into(),
            },
            integrated_time: e["integratedTime"].as_i64(),
            inclusion_promise: Some(signet_types::bundle::InclusionPromise {
                signed_entry_timestamp: b64::decode(
                    e["verification"]["signedEntryTimestamp"].as_str().unwrap(),
                )
                .unwrap(),
            }),
            inclusion_proof: Some(signet_types::bundle::InclusionProof {
                log_index: idx as i64,
                root_hash: signet_types::hex::decode(p["rootHash"].as_str().unwrap()).unwrap(),
                tree_size: p["treeSize"].as_i64().unwrap(),
                hashes: p["hashes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| {
                        signet_types::bundle::ProofHash(
                            signet_types::hex::decode(h.as_str().unwrap()).unwrap(),
                        )
                    })
                    .collect(),
                checkpoint: Some(signet_types::bundle::Checkpoint {
                    envelope: p["checkpoint"].as_str().unwrap().into(),
                }),
            }),
            canonicalized_body: body,
        };
        let spec: Value = serde_json::from_slice(&entry.canonicalized_body).unwrap();
        let sig = b64::decode(spec["spec"]["signature"]["content"].as_str().unwrap()).unwrap();
        let digest = Digest::of(DigestAlgorithm::Sha256, &(idx_content(&spec)));
        let v = signet_verify::tlog_entry(
            &entry,
            &root,
            &signet_verify::Expected {
                signature: &sig,
                key: key.public_key(),
                digest: &digest,
            },
            true,
        );
        assert!(v.is_ok(), "{v:?}");
    }
    indexes.sort_unstable();
    assert_eq!(
        indexes,
        (0..300).collect::<Vec<u64>>(),
        "dense, unique indexes"
    );

    // The static read path reproduces the checkpoint's root from tiles.
    let (status, note, headers) = call(&a.router, "GET", "/checkpoint", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let cp = Checkpoint::open(std::str::from_utf8(&note).unwrap(), &vkeys(&a.log)).unwrap();
    assert_eq!(cp.size, 300);
    let mut tiles = HashMap::new();
    for id in TileId::new_tiles(0, cp.size) {
        let (status, bytes, headers) =
            call(&a.router, "GET", &format!("/{}", id.path()), None).await;
        assert_eq!(status, StatusCode::OK, "{}", id.path());
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        tiles.insert(id, bytes);
        if id.level == 0 {
            let (status, bundle, _) =
                call(&a.router, "GET", &format!("/{}", id.entries_path()), None).await;
            assert_eq!(status, StatusCode::OK);
            let entries = signet_tlog::tile::decode_entries(&bundle).unwrap();
            assert_eq!(entries.len(), usize::from(id.width));
        }
    }
    let reader = TileReader::new(cp.size, |id| {
        tiles
            .get(&id)
            .cloned()
            .ok_or(signet_tlog::Error::Tile("missing".into()))
    });
    assert_eq!(signet_tlog::tree::root(&reader, cp.size).unwrap(), cp.root);
    a.log.shutdown().await;
}

/// The artifact content of an entry logged by this test is its index bytes:
/// recover it from the digest by search over the 300 candidates.
fn idx_content(body: &Value) -> Vec<u8> {
    let want = body["spec"]["data"]["hash"]["value"].as_str().unwrap();
    (0..300u32)
        .map(|i| i.to_be_bytes().to_vec())
        .find(|c| Digest::of(DigestAlgorithm::Sha256, c).to_hex() == want)
        .unwrap()
}

async fn duplicates_and_lookups(backend: Backend) {
    let Some(a) = app_with(backend, |_| {}).await else {
        return;
    };
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let body = serde_json::to_vec(&entry_v1(&key, b"same")).unwrap();
    let (s1, b1, _) = call(&a.router, "POST", "/api/v1/log/entries", Some(body.clone())).await;
    let (s2, b2, _) = call(&a.router, "POST", "/api/v1/log/entries", Some(body)).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CONFLICT));
    let (u1, e1) = {
        let d: Value = serde_json::from_slice(&b1).unwrap();
        let (u, e) = first(&d);
        (u.clone(), e.clone())
    };
    let d2: Value = serde_json::from_slice(&b2).unwrap();
    assert_eq!(first(&d2).1["logIndex"], e1["logIndex"]);
    let (s, b, _) = call(&a.router, "GET", &format!("/api/v1/log/entries/{u1}"), None).await;
    assert_eq!(s, StatusCode::OK);
    let d: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(first(&d).1["body"], e1["body"]);
    let (s, _, _) = call(&a.router, "GET", "/api/v1/log/entries?logIndex=0", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(&a.router, "GET", "/api/v1/log/entries?logIndex=5", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = call(
        &a.router,
        "GET",
        &format!("/api/v1/log/entries/{}", "0".repeat(64)),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Search by artifact hash and by key.
    let hash = Digest::of(DigestAlgorithm::Sha256, b"same").to_hex();
    let (s, b, _) = call(
        &a.router,
        "POST",
        "/api/v1/index/retrieve",
        Some(serde_json::to_vec(&json!({"hash": format!("sha256:{hash}")})).unwrap()),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Vec<String>>(&b).unwrap(),
        vec![u1.clone()]
    );
    let q = json!({"publicKey": {"content": b64::encode(key.public_key().to_pem())}});
    let (_, b, _) = call(
        &a.router,
        "POST",
        "/api/v1/index/retrieve",
        Some(serde_json::to_vec(&q).unwrap()),
    )
    .await;
    assert_eq!(serde_json::from_slice::<Vec<String>>(&b).unwrap(), vec![u1]);
    a.log.shutdown().await;
}

async fn bad_input_is_refused_and_the_log_is_untouched(backend: Backend) {
    let Some(a) = app_with(backend, |_| {}).await else {
        return;
    };
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let good = entry_v1(&key, b"x");
    let mut bad_sig = good.clone();
    bad_sig["spec"]["data"]["hash"]["value"] =
        json!(Digest::of(DigestAlgorithm::Sha256, b"y").to_hex());
    let mut upper = good.clone();
    upper["spec"]["data"]["hash"]["value"] = json!(
        good["spec"]["data"]["hash"]["value"]
            .as_str()
            .unwrap()
            .to_uppercase()
    );
    let mut kind = good.clone();
    kind["kind"] = json!("rpm");
    let mut alg = good.clone();
    alg["spec"]["data"]["hash"]["algorithm"] = json!("md5");
    let mut not_pem = good.clone();
    not_pem["spec"]["signature"]["publicKey"]["content"] = json!(b64::encode("hello"));
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed proposed entry",
        ),
        (
            serde_json::to_vec(&bad_sig).unwrap(),
            StatusCode::BAD_REQUEST,
            "does not verify",
        ),
        (
            serde_json::to_vec(&upper).unwrap(),
            StatusCode::BAD_REQUEST,
            "lowercase hex",
        ),
        (
            serde_json::to_vec(&kind).unwrap(),
            StatusCode::BAD_REQUEST,
            "unsupported entry kind",
        ),
        (
            serde_json::to_vec(&alg).unwrap(),
            StatusCode::BAD_REQUEST,
            "unsupported hash algorithm",
        ),
        (
            serde_json::to_vec(&not_pem).unwrap(),
            StatusCode::BAD_REQUEST,
            "PEM public key",
        ),
        (
            vec![b' '; 100 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "size limit",
        ),
    ];
    for (body, status, msg) in cases {
        let (s, b, _) = call(&a.router, "POST", "/api/v1/log/entries", Some(body)).await;
        let text = String::from_utf8_lossy(&b);
        assert_eq!(s, status, "{text}");
        assert!(text.contains(msg), "{msg}: {text}");
    }
    let (s, b, _) = call(
        &a.router,
        "POST",
        "/api/v2/log/entries",
        Some(b"{}".to_vec()),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&b)
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (_, b, _) = call(&a.router, "GET", "/api/v1/log", None).await;
    let info: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(info["treeSize"], 0, "nothing was logged");
    // Tile paths outside the grammar or the tree are refused.
    for p in [
        "/tile/../log.db",
        "/tile/0/x000/001",
        "/tile/0/000",
        "/tile/entries/000",
        "/tile/70/000",
    ] {
        let (s, _, _) = call(&a.router, "GET", p, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    }
    a.log.shutdown().await;
}

async fn v2_entries_and_consistency_proofs(backend: Backend) {
    let Some(a) = app_with(backend, |_| {}).await else {
        return;
    };
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let mut sizes = Vec::new();
    for i in 0..5u8 {
        let d = Digest::of(DigestAlgorithm::Sha256, &[i]);
        let sig = key.sign(&Message::Digest(d)).unwrap();
        let req = json!({"hashedRekordRequestV002": {"digest": b64::encode(d.as_bytes()), "signature": {
            "content": b64::encode(&sig),
            "verifier": {"publicKey": {"rawBytes": b64::encode(key.public_key().spki_der())}, "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}});
        let (s, b, _) = call(
            &a.router,
            "POST",
            "/api/v2/log/entries",
            Some(serde_json::to_vec(&req).unwrap()),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
        let e: signet_types::bundle::TransparencyLogEntry = serde_json::from_slice(&b).unwrap();
        let p = e.inclusion_proof.unwrap();
        let path: Vec<Hash> = p
            .hashes
            .iter()
            .map(|h| Hash::from_slice(&h.0).unwrap())
            .collect();
        signet_tlog::verify::inclusion(
            p.log_index as u64,
            p.tree_size as u64,
            &signet_tlog::hash::leaf_hash(&e.canonicalized_body),
            &path,
            &Hash::from_slice(&p.root_hash).unwrap(),
        )
        .unwrap();
        let cp = Checkpoint::open(&p.checkpoint.unwrap().envelope, &vkeys(&a.log)).unwrap();
        sizes.push((cp.size, cp.root));
    }
    let (old, old_root) = sizes[0];
    let (new, new_root) = *sizes.last().unwrap();
    let (s, b, _) = call(
        &a.router,
        "GET",
        &format!("/api/v1/log/proof?firstSize={old}&lastSize={new}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&b).unwrap();
    let proof: Vec<Hash> = doc["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(doc["rootHash"].as_str().unwrap(), new_root.to_hex());
    signet_tlog::verify::consistency(old, new, &proof, &old_root, &new_root).unwrap();
    let (s, _, _) = call(
        &a.router,
        "GET",
        &format!("/api/v1/log/proof?firstSize=1&lastSize={}", new + 10),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    a.log.shutdown().await;
}

async fn restart_keeps_entries_and_checkpoint(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((cfg, started)) = config_for(backend, dir.path()) else {
        return;
    };
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let (root1, vk1) = {
        let log = Log::open(&cfg).await.unwrap();
        let r = signet_server::api::router(log.clone());
        for i in 0..20u8 {
            let (s, _, _) = call(
                &r,
                "POST",
                "/api/v1/log/entries",
                Some(serde_json::to_vec(&entry_v1(&key, &[i])).unwrap()),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED);
        }
        let p = log.published();
        log.shutdown().await;
        (p, log.vkeys())
    };
    let log = Log::open(&cfg).await.unwrap();
    assert_eq!(log.vkeys(), vk1, "same keys after restart");
    let p = log.published();
    assert_eq!((p.size, p.root), (root1.size, root1.root));
    let r = signet_server::api::router(log.clone());
    let (s, _, _) = call(
        &r,
        "POST",
        "/api/v1/log/entries",
        Some(serde_json::to_vec(&entry_v1(&key, b"after")).unwrap()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let p2 = log.published();
    assert_eq!(p2.size, 21);
    let proof = log.consistency_proof(root1.size, p2.size).await.unwrap();
    signet_tlog::verify::consistency(root1.size, p2.size, &proof, &root1.root, &p2.root).unwrap();
    // The keys are stored encrypted, never as plain PKCS#8.
    let pems = stored_key_pems(&cfg).await;
    assert_eq!(pems.len(), 2);
    for pem in pems {
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    }
    let report = signet_server::log::fsck(&cfg).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.size, 21);
    log.shutdown().await;
    drop(started);
}

async fn overload_answers_503_with_retry_after(backend: Backend) {
    let Some(a) = app_with(backend, |c| c.log_max_pending = 1).await else {
        return;
    };
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..300u32 {
        let r = a.router.clone();
        let body = serde_json::to_vec(&entry_v1(&key, &i.to_le_bytes())).unwrap();
        set.spawn(async move { call(&r, "POST", "/api/v1/log/entries", Some(body)).await });
    }
    let (mut ok, mut busy) = (0, 0);
    while let Some(r) = set.join_next().await {
        let (s, _, h) = r.unwrap();
        match s {
            StatusCode::CREATED => ok += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(h["retry-after"], "1");
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(busy > 0 && ok > 0, "ok {ok}, busy {busy}");
    a.log.shutdown().await;
}

async fn dsse_entries_from_the_rekor_fixture(backend: Backend) {
    let Some(a) = app_with(backend, |_| {}).await else {
        return;
    };
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors/rekor/pkg/generated/models/testdata/dsse.json"
    ))
    .unwrap();
    let (s, b, _) = call(
        &a.router,
        "POST",
        "/api/v1/log/entries",
        Some(fixture.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let doc: Value = serde_json::from_slice(&b).unwrap();
    let body: Value =
        serde_json::from_slice(&b64::decode(first(&doc).1["body"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(body["kind"], "dsse");
    let v: Value = serde_json::from_slice(&fixture).unwrap();
    let env = v["spec"]["proposedContent"]["envelope"].as_str().unwrap();
    assert_eq!(
        body["spec"]["envelopeHash"]["value"],
        Digest::of(DigestAlgorithm::Sha256, env.as_bytes()).to_hex()
    );
    // A signature that does not verify, and a missing verifier, are refused.
    let mut bad = v.clone();
    bad["spec"]["proposedContent"]["envelope"] = json!(env.replace("MEQCIAIl", "MEQCIAIm"));
    let (s, b, _) = call(
        &a.router,
        "POST",
        "/api/v1/log/entries",
        Some(serde_json::to_vec(&bad).unwrap()),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&b).contains("does not verify"));
    let mut none = v.clone();
    none["spec"]["proposedContent"]["verifiers"] = json!([]);
    let (s, _, _) = call(
        &a.router,
        "POST",
        "/api/v1/log/entries",
        Some(serde_json::to_vec(&none).unwrap()),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    a.log.shutdown().await;
}

/// The key PEMs as stored in the log database.
async fn stored_key_pems(cfg: &Config) -> Vec<String> {
    let url = cfg.log_db_url();
    let q = "SELECT pem FROM log_keys ORDER BY name";
    if url.starts_with("sqlite://") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query_scalar(q).fetch_all(&pool).await.unwrap()
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query_scalar(q).fetch_all(&pool).await.unwrap()
    }
}

/// Two replicas on one PostgreSQL + S3 log: writes through both land in one
/// tree, both publish the same checkpoints, every proof verifies, and the
/// log is sound afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_log() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let Some((cfg_a, started)) = config_for(Backend::PostgresS3, dir_a.path()) else {
        return;
    };
    let mut cfg_b = cfg_a.clone();
    cfg_b.data_dir = dir_b.path().to_path_buf();
    let (a, b) = tokio::join!(Log::open(&cfg_a), Log::open(&cfg_b));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.vkeys(), b.vkeys(), "replicas share one key");
    let routers = [
        signet_server::api::router(a.clone()),
        signet_server::api::router(b.clone()),
    ];
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..200u32 {
        let r = routers[i as usize % 2].clone();
        let body = serde_json::to_vec(&entry_v1(&key, &i.to_be_bytes())).unwrap();
        set.spawn(async move { (i, call(&r, "POST", "/api/v1/log/entries", Some(body)).await) });
    }
    let verifiers = vkeys(&a);
    let mut indexes = Vec::new();
    while let Some(r) = set.join_next().await {
        let (i, (status, body, _)) = r.unwrap();
        assert_eq!(
            status,
            StatusCode::CREATED,
            "entry {i}: {}",
            String::from_utf8_lossy(&body)
        );
        let doc: Value = serde_json::from_slice(&body).unwrap();
        let (_, e) = first(&doc);
        let proof = &e["verification"]["inclusionProof"];
        let cp_text = proof["checkpoint"].as_str().unwrap();
        let note = signet_tlog::note::Note::parse(cp_text).unwrap();
        note.verify(&verifiers).unwrap();
        let cp = Checkpoint::parse(&note.text).unwrap();
        let hashes: Vec<Hash> = proof["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap())
            .collect();
        let index = e["logIndex"].as_u64().unwrap();
        let leaf = signet_tlog::hash::leaf_hash(&b64::decode(e["body"].as_str().unwrap()).unwrap());
        signet_tlog::verify::inclusion(index, cp.size, &leaf, &hashes, &cp.root).unwrap();
        indexes.push(index);
    }
    indexes.sort_unstable();
    assert_eq!(
        indexes,
        (0..200).collect::<Vec<u64>>(),
        "one log, no gaps, no forks"
    );
    // Both replicas converge on one checkpoint, consistent with every earlier one.
    let pa = a
        .wait_for(199, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let pb = b
        .wait_for(199, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!((pa.size, pa.root), (pb.size, pb.root));
    // The static read path of either replica serves the same checkpoint.
    let (_, ca, _) = call(&routers[0], "GET", "/checkpoint", None).await;
    let (_, cb, _) = call(&routers[1], "GET", "/checkpoint", None).await;
    assert_eq!(ca, cb);
    a.shutdown().await;
    b.shutdown().await;
    let report = signet_server::log::fsck(&cfg_a).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.size, 200);
    drop(started);
}
