//! HTTP API of the log: Rekor v1 subset, Rekor v2 create-entry, the
//! tlog-tiles static read path and the trusted root. Handlers validate and
//! translate; all state changes go through [`Log`].

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_crypto::{Message, PublicKey};
use signet_tlog::Hash;
use signet_tlog::tile::TileId;
use signet_types::b64;
use signet_types::rekor::{CreateEntryRequest, HashedRekordV001, ProposedEntry};

use crate::log::{Log, Published, StoredEntry, Submission, SubmitError, hex};

/// How long a write waits for the checkpoint that covers it.
const PUBLISH_WAIT: Duration = Duration::from_secs(20);

/// An API error: status plus a JSON `{code, message}` body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn bad(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            retry_after: None,
        }
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            retry_after: None,
        }
    }

    fn internal(e: anyhow::Error) -> Self {
        tracing::error!(error = %format!("{e:#}"), "internal error");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "internal error".into(),
            retry_after: None,
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: e.to_string(),
            retry_after: Some(1),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            axum::Json(json!({"code": self.status.as_u16(), "message": self.message})),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The router.
pub fn router(log: Log) -> Router {
    let limit = log.max_body();
    Router::new()
        .route("/api/v1/log", get(log_info))
        .route("/api/v1/log/publicKey", get(public_key))
        .route("/api/v1/log/proof", get(consistency))
        .route("/api/v1/log/entries", post(create_v1).get(entry_by_index))
        .route("/api/v1/log/entries/{uuid}", get(entry_by_uuid))
        .route("/api/v1/index/retrieve", post(index_retrieve))
        .route("/api/v2/log/entries", post(create_v2))
        .route("/api/v1/trusted-root", get(trusted_root))
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(log)
}

fn json_body<T: serde::de::DeserializeOwned>(
    body: &Result<Bytes, BytesRejection>,
    what: &str,
) -> ApiResult<T> {
    let body = body.as_ref().map_err(|e| ApiError {
        status: e.status(),
        message: if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "the request body exceeds this log's size limit (SIGNET_LOG_MAX_BODY)".into()
        } else {
            format!("cannot read the request body: {e}")
        },
        retry_after: None,
    })?;
    serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("malformed {what}: {e}")))
}

fn digest_algorithm(name: &str) -> ApiResult<DigestAlgorithm> {
    match name {
        "sha256" | "SHA2_256" => Ok(DigestAlgorithm::Sha256),
        "sha384" | "SHA2_384" => Ok(DigestAlgorithm::Sha384),
        "sha512" | "SHA2_512" => Ok(DigestAlgorithm::Sha512),
        other => Err(ApiError::bad(format!(
            "unsupported hash algorithm {other:?}"
        ))),
    }
}

/// Checks `sig` over a digest with `key`; the digest algorithm must be the key's.
fn check_signature(
    key: &PublicKey,
    alg: DigestAlgorithm,
    digest: &[u8],
    sig: &[u8],
) -> ApiResult<()> {
    if key.algorithm().digest() != Some(alg) {
        return Err(ApiError::bad(format!(
            "a {} key signs {} digests, not {}",
            key.algorithm(),
            key.algorithm().digest().map_or("no", |a| a.name()),
            alg.name()
        )));
    }
    let d = Digest::from_bytes(alg, digest).ok_or_else(|| {
        ApiError::bad(format!(
            "a {} digest has {} bytes",
            alg.name(),
            alg.output_len()
        ))
    })?;
    key.verify(&Message::Digest(d), sig).map_err(|e| {
        ApiError::bad(format!(
            "the signature does not verify with the given key: {e}"
        ))
    })
}

/// The key of a verifier PEM: a public key, or a certificate's subject key
/// (the log records certificates as they are; chains are the verifier's
/// business, as with Rekor).
fn verifier_key(pem: &[u8]) -> Result<PublicKey, String> {
    match PublicKey::from_pem(pem) {
        Ok(k) => Ok(k),
        Err(key_err) => match signet_verify::x509::Cert::from_pem(pem) {
            Ok(c) => c.public_key().cloned(),
            Err(_) => Err(format!("not a PEM public key or certificate ({key_err})")),
        },
    }
}

/// Validates a hashedrekord 0.0.1 entry: returns its canonical body and metadata.
fn validate_v001(entry: &ProposedEntry) -> ApiResult<Submission> {
    if entry.kind != "hashedrekord" || entry.api_version != "0.0.1" {
        return Err(ApiError::bad(format!(
            "unsupported entry kind {} {} (this log accepts hashedrekord 0.0.1 and dsse 0.0.1)",
            entry.kind, entry.api_version
        )));
    }
    let spec =
        HashedRekordV001::from_spec(&entry.spec).map_err(|e| ApiError::bad(e.to_string()))?;
    let alg = digest_algorithm(&spec.data.hash.algorithm)?;
    let digest = signet_types::hex::decode(&spec.data.hash.value)
        .filter(|_| {
            spec.data
                .hash
                .value
                .bytes()
                .all(|b| !b.is_ascii_uppercase())
        })
        .ok_or_else(|| ApiError::bad("data.hash.value must be lowercase hex"))?;
    let key = verifier_key(&spec.signature.public_key.content)
        .map_err(|e| ApiError::bad(format!("signature.publicKey.content: {e}")))?;
    check_signature(&key, alg, &digest, &spec.signature.content)?;
    let body = spec
        .canonical_body()
        .map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(Submission {
        body,
        kind_version: "hashedrekord/0.0.1".into(),
        artifact: Some(format!("{}:{}", alg.name(), spec.data.hash.value)),
        key_fingerprint: Some(key.fingerprint()),
    })
}

/// Waits for the checkpoint that covers `index` (503 + Retry-After on timeout).
async fn wait_published(log: &Log, index: u64) -> ApiResult<Published> {
    log.wait_for(index, PUBLISH_WAIT)
        .await
        .map_err(|e| ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: e.to_string(),
            retry_after: Some(1),
        })
}

/// Validates a dsse 0.0.1 entry: every envelope signature must verify over
/// PAE(payloadType, payload) with one of the given verifier keys.
fn validate_dsse(entry: &ProposedEntry) -> ApiResult<Submission> {
    if entry.api_version != "0.0.1" {
        return Err(ApiError::bad(format!(
            "unsupported dsse version {}",
            entry.api_version
        )));
    }
    let content = &entry.spec["proposedContent"];
    let envelope_text = content["envelope"].as_str().ok_or_else(|| {
        ApiError::bad("spec.proposedContent.envelope must be the envelope JSON as a string")
    })?;
    let envelope: Value = serde_json::from_str(envelope_text)
        .map_err(|e| ApiError::bad(format!("malformed DSSE envelope: {e}")))?;
    let payload_type = envelope["payloadType"]
        .as_str()
        .ok_or_else(|| ApiError::bad("the envelope has no payloadType"))?;
    let payload = envelope["payload"]
        .as_str()
        .and_then(|p| b64::decode(p).ok())
        .ok_or_else(|| ApiError::bad("the envelope payload is not base64"))?;
    let keys: Vec<(Vec<u8>, PublicKey)> = content["verifiers"]
        .as_array()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad("spec.proposedContent.verifiers must list at least one key"))?
        .iter()
        .map(|v| {
            let pem = v
                .as_str()
                .and_then(|s| b64::decode(s).ok())
                .ok_or_else(|| ApiError::bad("a verifier is not base64"))?;
            let key = verifier_key(&pem).map_err(|e| ApiError::bad(format!("a verifier: {e}")))?;
            Ok((pem, key))
        })
        .collect::<ApiResult<_>>()?;
    let pae = signet_types::dsse::pae(payload_type, &payload);
    let sigs = envelope["signatures"]
        .as_array()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad("the envelope has no signatures"))?;
    let mut verified = Vec::new();
    for s in sigs {
        let text = s["sig"]
            .as_str()
            .ok_or_else(|| ApiError::bad("a signature has no sig"))?;
        let raw = b64::decode(text).map_err(|_| ApiError::bad("a signature is not base64"))?;
        let (pem, _) = keys
            .iter()
            .find(|(_, k)| k.verify(&Message::Raw(&pae), &raw).is_ok())
            .ok_or_else(|| {
                ApiError::bad("an envelope signature does not verify with any given verifier")
            })?;
        verified.push(signet_types::rekor::DsseSignature {
            signature: text.to_owned(),
            verifier_pem: pem.clone(),
        });
    }
    let payload_hash = Digest::of(DigestAlgorithm::Sha256, &payload).to_hex();
    let body = signet_types::rekor::dsse_v001_body(
        &Digest::of(DigestAlgorithm::Sha256, envelope_text.as_bytes()).to_hex(),
        &payload_hash,
        &verified,
    )
    .map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(Submission {
        body,
        kind_version: "dsse/0.0.1".into(),
        artifact: Some(format!("sha256:{payload_hash}")),
        key_fingerprint: keys.first().map(|(_, k)| k.fingerprint()),
    })
}

async fn create_v1(
    State(log): State<Log>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let entry: ProposedEntry = json_body(&body, "proposed entry")?;
    let sub = match entry.kind.as_str() {
        "dsse" => validate_dsse(&entry)?,
        _ => validate_v001(&entry)?,
    };
    let (body, kind_version) = (sub.body.clone(), sub.kind_version.clone());
    let seq = log.submit(sub).await?;
    let published = wait_published(&log, seq.index).await?;
    // A duplicate has the same body (dedup is by leaf hash), so the entry
    // is known without reading it back.
    let stored = StoredEntry {
        index: seq.index,
        leaf: signet_tlog::hash::leaf_hash(&body),
        body,
        integrated_time: seq.integrated_time,
        kind_version,
    };
    let doc = log_entry_v1(&log, &stored, &published).await?;
    let status = if seq.duplicate {
        StatusCode::CONFLICT
    } else {
        StatusCode::CREATED
    };
    let mut r = (status, axum::Json(doc)).into_response();
    let loc = format!("/api/v1/log/entries/{}", stored.leaf.to_hex());
    if let Ok(v) = HeaderValue::from_str(&loc) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&stored.leaf.to_hex()) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

/// A Rekor v1 `LogEntry` map `{uuid: {...}}` with SET and inclusion proof.
async fn log_entry_v1(
    log: &Log,
    e: &StoredEntry,
    published: &Published,
) -> ApiResult<HashMap<String, LogEntryV1>> {
    let proof = published
        .proof(log, e.index)
        .await
        .map_err(ApiError::internal)?;
    let set = log
        .set(&e.body, e.integrated_time, e.index)
        .map_err(ApiError::internal)?;
    let entry = LogEntryV1 {
        body: b64::encode(&e.body),
        integrated_time: e.integrated_time,
        log_id: log.log_id_hex().to_owned(),
        log_index: e.index,
        verification: VerificationV1 {
            signed_entry_timestamp: b64::encode(&set),
            inclusion_proof: InclusionProofV1 {
                log_index: e.index,
                root_hash: published.root.to_hex(),
                tree_size: published.size,
                hashes: proof.iter().map(Hash::to_hex).collect(),
                checkpoint: published.note.to_string(),
            },
        },
    };
    Ok(HashMap::from([(e.leaf.to_hex(), entry)]))
}

/// Rekor v1 `LogEntry` (typed: serialized straight, no JSON tree built).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct LogEntryV1 {
    body: String,
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: String,
    log_index: u64,
    verification: VerificationV1,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct VerificationV1 {
    signed_entry_timestamp: String,
    inclusion_proof: InclusionProofV1,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct InclusionProofV1 {
    log_index: u64,
    root_hash: String,
    tree_size: u64,
    hashes: Vec<String>,
    checkpoint: String,
}

async fn create_v2(
    State(log): State<Log>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let req: CreateEntryRequest = json_body(&body, "create entry request")?;
    let r = req.hashed_rekord_request_v002;
    let der = r.signature.verifier.public_key.as_ref().ok_or_else(|| {
        ApiError::bad("verifier.publicKey is required (certificates are not supported yet)")
    })?;
    let key = PublicKey::from_spki_der(&der.raw_bytes)
        .map_err(|e| ApiError::bad(format!("verifier.publicKey.rawBytes: {e}")))?;
    if key.algorithm().key_details() != r.signature.verifier.key_details {
        return Err(ApiError::bad(format!(
            "keyDetails {} does not match the key ({})",
            r.signature.verifier.key_details,
            key.algorithm().key_details()
        )));
    }
    let alg = key.algorithm().digest().ok_or_else(|| {
        ApiError::bad("pure Ed25519 cannot be logged by digest; use Ed25519ph or ECDSA")
    })?;
    check_signature(&key, alg, &r.digest, &r.signature.content)?;
    let body = r
        .canonical_body(alg.bundle_name())
        .map_err(|e| ApiError::bad(e.to_string()))?;
    let seq = log
        .submit(Submission {
            body: body.clone(),
            kind_version: "hashedrekord/0.0.2".into(),
            artifact: Some(format!("{}:{}", alg.name(), hex(&r.digest))),
            key_fingerprint: Some(key.fingerprint()),
        })
        .await?;
    let published = wait_published(&log, seq.index).await?;
    let proof = published
        .proof(&log, seq.index)
        .await
        .map_err(ApiError::internal)?;
    let doc = json!({
        "logIndex": seq.index.to_string(),
        "logId": {"keyId": b64::encode(log.log_id())},
        "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
        "inclusionProof": {
            "logIndex": seq.index.to_string(),
            "rootHash": published.root.to_base64(),
            "treeSize": published.size.to_string(),
            "hashes": proof.iter().map(Hash::to_base64).collect::<Vec<_>>(),
            "checkpoint": {"envelope": &*published.note},
        },
        "canonicalizedBody": b64::encode(&body),
    });
    let status = if seq.duplicate {
        StatusCode::CONFLICT
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(doc)).into_response())
}

async fn log_info(State(log): State<Log>) -> impl IntoResponse {
    let p = log.published();
    axum::Json(json!({
        "rootHash": p.root.to_hex(),
        "treeSize": p.size,
        "signedTreeHead": &*p.note,
        "treeID": log.origin(),
        "origin": log.origin(),
        "vkeys": log.vkeys(),
    }))
}

async fn public_key(State(log): State<Log>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        log.public_key().to_pem(),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProofQuery {
    first_size: Option<u64>,
    last_size: u64,
}

async fn consistency(
    State(log): State<Log>,
    Query(q): Query<ProofQuery>,
) -> ApiResult<impl IntoResponse> {
    let first = q.first_size.unwrap_or(1);
    let p = log.published();
    if q.last_size > p.size || first > q.last_size || first == 0 {
        return Err(ApiError::bad(format!(
            "need 0 < firstSize <= lastSize <= {} (the published size)",
            p.size
        )));
    }
    let proof = log
        .consistency_proof(first, q.last_size)
        .await
        .map_err(ApiError::internal)?;
    let root = if q.last_size == p.size {
        p.root
    } else {
        log.root_at(q.last_size).await.map_err(ApiError::internal)?
    };
    Ok(axum::Json(json!({
        "rootHash": root.to_hex(),
        "hashes": proof.iter().map(Hash::to_hex).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexQuery {
    log_index: u64,
}

async fn entry_by_index(
    State(log): State<Log>,
    Query(q): Query<IndexQuery>,
) -> ApiResult<impl IntoResponse> {
    let p = log.published();
    if q.log_index >= p.size {
        return Err(ApiError::not_found(format!(
            "no entry at index {} (log size {})",
            q.log_index, p.size
        )));
    }
    let e = log
        .entry(q.log_index)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("no such entry"))?;
    Ok(axum::Json(log_entry_v1(&log, &e, &p).await?))
}

async fn entry_by_uuid(
    State(log): State<Log>,
    Path(uuid): Path<String>,
) -> ApiResult<impl IntoResponse> {
    // 64 hex = leaf hash; 80 hex = 16 hex tree id + leaf hash.
    let leaf_hex = match uuid.len() {
        64 => uuid.as_str(),
        80 => &uuid[16..],
        _ => return Err(ApiError::bad("an entry UUID is 64 or 80 hex characters")),
    };
    let leaf = Hash::from_hex(leaf_hex).ok_or_else(|| ApiError::bad("an entry UUID is hex"))?;
    let e = log
        .entry_by_leaf(&leaf)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("no such entry"))?;
    let p = log.published();
    if e.index >= p.size {
        return Err(ApiError::not_found(
            "entry not yet integrated; retry in a second",
        ));
    }
    Ok(axum::Json(log_entry_v1(&log, &e, &p).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchIndex {
    hash: Option<String>,
    public_key: Option<SearchKey>,
}

#[derive(Deserialize)]
struct SearchKey {
    content: String,
}

async fn index_retrieve(
    State(log): State<Log>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let q: SearchIndex = json_body(&body, "search query")?;
    let artifact = q.hash.as_deref().map(|h| {
        if h.contains(':') {
            h.to_ascii_lowercase()
        } else {
            format!("sha256:{}", h.to_ascii_lowercase())
        }
    });
    let key = match &q.public_key {
        Some(k) => {
            let pem = b64::decode(&k.content).unwrap_or_else(|_| k.content.as_bytes().to_vec());
            Some(
                PublicKey::from_pem(&pem)
                    .map_err(|e| ApiError::bad(format!("publicKey.content: {e}")))?
                    .fingerprint(),
            )
        }
        None => None,
    };
    if artifact.is_none() && key.is_none() {
        return Err(ApiError::bad("give hash or publicKey"));
    }
    let leaves = log
        .search(artifact.as_deref(), key.as_deref())
        .await
        .map_err(ApiError::internal)?;
    Ok(axum::Json(
        leaves.iter().map(Hash::to_hex).collect::<Vec<_>>(),
    ))
}

async fn trusted_root(State(log): State<Log>, headers: HeaderMap) -> impl IntoResponse {
    let base = log.public_url().map(str::to_owned).unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1:5000");
        format!("http://{host}")
    });
    axum::Json(json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "baseUrl": base,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": b64::encode(log.public_key().spki_der()),
                "keyDetails": log.public_key().algorithm().key_details(),
                "validFor": {"start": "1970-01-01T00:00:00Z"},
            },
            "logId": {"keyId": b64::encode(log.log_id())},
        }],
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": [],
    }))
}

async fn checkpoint(State(log): State<Log>) -> impl IntoResponse {
    let p = log.published();
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache, max-age=1"),
        ],
        p.note.to_string(),
    )
}

async fn tile(State(log): State<Log>, Path(path): Path<String>) -> ApiResult<Response> {
    let rel = format!("tile/{path}");
    // Only paths that parse as tiles are served: no traversal possible.
    let (id, entries) = TileId::parse_path(&rel).map_err(|e| ApiError::not_found(e.to_string()))?;
    let canonical = if entries {
        id.entries_path()
    } else {
        id.path()
    };
    if canonical != rel {
        return Err(ApiError::not_found("not a canonical tile path"));
    }
    // Serve only what a published checkpoint implies.
    let size = log.published().size;
    let (full, partial) = TileId::count_at(id.level, size);
    let exists = id.index < full || (id.index == full && u64::from(id.width) <= u64::from(partial));
    if !exists {
        return Err(ApiError::not_found("tile beyond the published tree"));
    }
    let bytes = log
        .tiles()
        .get(&rel)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::not_found("tile not stored (partial tiles may be pruned once full)")
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}
