//! `/api/v1/signing/…`, `/api/v1/promotions` and `/api/v1/audit`: the
//! verification keys, the policies (YAML or JSON), the verification API
//! (the same verifier the registry enforces with), dry-run evaluation,
//! promotions that verify against the target's policy before copying, and
//! the audit trail. Keys and policies are managed by server admins; every
//! change is an audit event written in its transaction.

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use signet_policy::{Artifact, ArtifactType, Policy, decide};

use super::access::Level;
use super::api::{OciError, OciResult, actor, authorize};
use super::auth::{Caller, now};
use super::rest::{bad_request, json_body, need_user, not_found, read_body};
use super::signing::{is_signature_artifact, parse_gpg_key, parse_public_key};
use super::signing_db::{AuditEvent, Held, KeyRow};
use super::{Registry, names};

pub(crate) fn routes() -> Router<Registry> {
    Router::new()
        .route("/api/v1/signing/keys", get(list_keys).post(create_key))
        .route(
            "/api/v1/signing/keys/{id}",
            get(show_key).delete(delete_key),
        )
        .route("/api/v1/signing/keys/{id}/revoke", post(revoke_key))
        .route("/api/v1/signing/server-keys", post(create_server_key))
        .route("/api/v1/signing/keys/{id}/rotate", post(rotate_key))
        .route(
            "/api/v1/signing/policies",
            get(list_policies).post(create_policy),
        )
        .route("/api/v1/signing/policies/lint", post(lint_policy))
        .route(
            "/api/v1/signing/policies/{name}",
            get(show_policy).put(replace_policy).delete(delete_policy),
        )
        .route("/api/v1/signing/verify", post(verify))
        .route("/api/v1/signing/evaluate", post(evaluate))
        .route("/api/v1/promotions", post(promote))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/artifacts/{*rest}", get(custody))
}

/// Keys and policies change the whole server's trust: admin on `**`.
fn need_admin(caller: &Caller, headers: &HeaderMap, what: &str) -> OciResult<String> {
    let Some(user) = caller.principal.user.clone() else {
        return Err(OciError::unauthorized(
            headers,
            "authentication required",
            None,
        ));
    };
    if caller.principal.is_server_admin() {
        Ok(user)
    } else {
        Err(OciError::denied(format!(
            "user {user} may not manage {what} (needs admin:**)"
        )))
    }
}

fn key_json(k: &KeyRow, with_pem: bool) -> Value {
    let mut v = json!({
        "id": k.id,
        "name": k.name,
        "type": k.kind,
        "fingerprint": k.fingerprint,
        "repositories": k.repositories,
        "metadata": k.metadata,
        "created_at": k.created_at,
        "created_by": k.created_by,
        "expires_at": k.expires_at,
        "revoked_at": k.revoked_at,
        "status": status(k),
    });
    if with_pem {
        v["public_key"] = json!(k.public_key);
    }
    v
}

fn status(k: &KeyRow) -> &'static str {
    let t = now();
    if k.revoked_at.is_some_and(|r| r <= t) {
        "revoked"
    } else if k.expires_at.is_some_and(|e| e <= t) {
        "expired"
    } else {
        "active"
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    public_key: String,
    #[serde(default)]
    repositories: Vec<String>,
    #[serde(default)]
    metadata: Option<Value>,
    expires_at: Option<i64>,
}

fn new_id() -> OciResult<String> {
    let mut raw = [0u8; 12];
    signet_crypto::random_bytes(&mut raw).map_err(|e| OciError::internal(&e.into()))?;
    Ok(format!("key-{}", signet_types::hex::encode(raw)))
}

/// Checks an uploaded key and makes its row.
fn key_row(k: NewKey, user: &str) -> OciResult<KeyRow> {
    if !signet_policy::document::valid_name(&k.name) {
        return Err(bad_request(
            "INVALID_REQUEST",
            format!(
                "key name {:?} must be 1 to 128 letters, digits, '-', '_' or '.'",
                k.name
            ),
        ));
    }
    let (public_key, fingerprint) = if k.kind == "gpg" {
        let (_, fp) = parse_gpg_key(&k.public_key)
            .map_err(|e| bad_request("KEY_INVALID", format!("{e:#}")))?;
        (k.public_key.clone(), fp)
    } else {
        let key = parse_public_key(&k.kind, &k.public_key)
            .map_err(|e| bad_request("KEY_INVALID", format!("{e:#}")))?;
        (
            key.to_pem_or(&k.public_key),
            format!("sha256:{}", key.fingerprint()),
        )
    };
    if k.repositories.is_empty() {
        return Err(bad_request(
            "INVALID_REQUEST",
            "repositories is empty: list the repository globs this key may sign for (\"production/*\", or \"**\" for all)",
        ));
    }
    let metadata = k.metadata.unwrap_or_else(|| json!({}));
    if !metadata.is_object() || metadata.to_string().len() > 16 * 1024 {
        return Err(bad_request(
            "INVALID_REQUEST",
            "metadata must be a JSON object of at most 16 KiB",
        ));
    }
    let created = now();
    if k.expires_at.is_some_and(|e| e <= created) {
        return Err(bad_request("INVALID_REQUEST", "expires_at is in the past"));
    }
    Ok(KeyRow {
        id: new_id()?,
        name: k.name,
        kind: k.kind,
        public_key,
        fingerprint,
        repositories: k.repositories,
        metadata,
        created_at: created,
        created_by: user.to_owned(),
        expires_at: k.expires_at,
        revoked_at: None,
    })
}

/// The stored text of a key: certificates as uploaded, keys normalized.
trait PemOr {
    fn to_pem_or(&self, uploaded: &str) -> String;
}

impl PemOr for signet_crypto::PublicKey {
    fn to_pem_or(&self, uploaded: &str) -> String {
        if uploaded.contains("CERTIFICATE") {
            uploaded.trim().to_owned() + "\n"
        } else {
            self.to_pem()
        }
    }
}

async fn create_key(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let user = need_admin(&caller, &headers, "signing keys")?;
    let k: NewKey = json_body(&read_body(body, 64 * 1024).await?)?;
    let row = key_row(k, &user)?;
    let ev = AuditEvent::new(
        &user,
        "key.create",
        "",
        &row.id,
        "ok",
        json!({"name": row.name, "type": row.kind, "fingerprint": row.fingerprint, "repositories": row.repositories}),
    );
    if !reg.db().create_key(&row, None, None, &ev).await? {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "KEY_EXISTS",
            format!(
                "a key named {} exists; rotate it or pick another name",
                row.name
            ),
        ));
    }
    Ok((StatusCode::CREATED, axum::Json(key_json(&row, true))).into_response())
}

async fn list_keys(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> OciResult<Response> {
    need_user(&caller, &headers)?;
    let keys: Vec<Value> = reg
        .db()
        .keys()
        .await?
        .iter()
        .map(|k| key_json(k, false))
        .collect();
    Ok(axum::Json(json!({"keys": keys})).into_response())
}

async fn show_key(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> OciResult<Response> {
    need_user(&caller, &headers)?;
    let k = find_key(&reg, &id).await?;
    Ok(axum::Json(key_json(&k, true)).into_response())
}

/// A key by id or name, or 404.
async fn find_key(reg: &Registry, id: &str) -> OciResult<KeyRow> {
    reg.db()
        .key(id)
        .await?
        .ok_or_else(|| not_found("KEY_UNKNOWN", format!("no key {id}")))
}

/// The audit event of a change to key `k`.
fn key_event(user: &str, action: &str, k: &KeyRow) -> AuditEvent {
    AuditEvent::new(
        user,
        action,
        "",
        &k.id,
        "ok",
        json!({"name": k.name, "fingerprint": k.fingerprint}),
    )
}

async fn delete_key(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> OciResult<Response> {
    let user = need_admin(&caller, &headers, "signing keys")?;
    let k = find_key(&reg, &id).await?;
    let ev = key_event(&user, "key.delete", &k);
    if !reg.db().retire_key(&k.id, None, &ev).await? {
        return Err(not_found("KEY_UNKNOWN", format!("no key {id}")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn revoke_key(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> OciResult<Response> {
    let user = need_admin(&caller, &headers, "signing keys")?;
    let k = find_key(&reg, &id).await?;
    let ev = key_event(&user, "key.revoke", &k);
    if !reg.db().retire_key(&k.id, Some(now()), &ev).await? {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "KEY_REVOKED",
            format!("key {} is already revoked", k.name),
        ));
    }
    let k = reg.db().key(&k.id).await?.unwrap_or(k);
    Ok(axum::Json(key_json(&k, false)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewServerKey {
    name: String,
    repositories: Vec<String>,
    /// Import this key (PEM: PKCS#8, SEC1, or cosign's encrypted format
    /// with `password`); without it a key is generated.
    private_key: Option<zeroize::Zeroizing<String>>,
    password: Option<zeroize::Zeroizing<String>>,
    /// Or use the key an HSM holds (`pkcs11:token=…;object=…`, with
    /// `pin-source` or the server's `--pkcs11-pin`; never `pin-value`).
    pkcs11_uri: Option<String>,
    /// `ecdsa-p256` (default) or `ecdsa-p384` when generating.
    algorithm: Option<String>,
    metadata: Option<Value>,
    expires_at: Option<i64>,
}

/// `POST /api/v1/signing/server-keys`: a signing key the server holds
/// (encrypted at rest with its key-encryption key) and uses for
/// promotions; registered as a verification key under the same id.
async fn create_server_key(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let user = need_admin(&caller, &headers, "signing keys")?;
    let bytes = zeroize::Zeroizing::new(read_body(body, 64 * 1024).await?.to_vec());
    let k: NewServerKey = json_body(&bytes)?;
    if let Some(raw) = k.pkcs11_uri.clone() {
        return create_hsm_key(&reg, &user, &raw, k).await;
    }
    let private = match &k.private_key {
        Some(pem) => {
            let pem = pem.clone();
            let pw = k.password.clone();
            tokio::task::spawn_blocking(move || {
                signet_crypto::PrivateKey::from_pem(
                    pem.as_bytes(),
                    pw.as_ref().map(|p| p.as_bytes()),
                )
            })
            .await
            .map_err(|e| OciError::internal(&e.into()))?
            .map_err(|e| bad_request("KEY_INVALID", format!("private_key: {e}")))?
        }
        None => {
            let alg = match k.algorithm.as_deref().unwrap_or("ecdsa-p256") {
                "ecdsa-p256" => signet_crypto::KeyAlgorithm::EcdsaP256,
                "ecdsa-p384" => signet_crypto::KeyAlgorithm::EcdsaP384,
                other => {
                    return Err(bad_request(
                        "INVALID_REQUEST",
                        format!("algorithm {other:?}: use ecdsa-p256 or ecdsa-p384"),
                    ));
                }
            };
            signet_crypto::PrivateKey::generate(alg).map_err(|e| OciError::internal(&e.into()))?
        }
    };
    let mut metadata = k.metadata.unwrap_or_else(|| json!({}));
    if let Some(m) = metadata.as_object_mut() {
        m.insert("server_held".into(), json!(true));
    }
    let row = key_row(
        NewKey {
            name: k.name,
            kind: "cosign".into(),
            public_key: private.public_key().to_pem(),
            repositories: k.repositories,
            metadata: Some(metadata),
            expires_at: k.expires_at,
        },
        &user,
    )?;
    let sealed = {
        let reg = reg.clone();
        tokio::task::spawn_blocking(move || reg.seal_key(&private))
            .await
            .map_err(|e| OciError::internal(&e.into()))??
    };
    let ev = AuditEvent::new(
        &user,
        "key.create",
        "",
        &row.id,
        "ok",
        json!({"name": row.name, "type": "cosign", "server_held": true, "fingerprint": row.fingerprint, "repositories": row.repositories}),
    );
    if !reg
        .db()
        .create_key(&row, None, Some(&Held::Sealed(sealed)), &ev)
        .await?
    {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "KEY_EXISTS",
            format!("a key named {} exists", row.name),
        ));
    }
    Ok((StatusCode::CREATED, axum::Json(key_json(&row, true))).into_response())
}

/// A server-held key in an HSM: its public half is read from the token
/// now (which also proves the URI, module and PIN source work).
async fn create_hsm_key(
    reg: &Registry,
    user: &str,
    raw: &str,
    k: NewServerKey,
) -> OciResult<Response> {
    if k.private_key.is_some() {
        return Err(bad_request(
            "INVALID_REQUEST",
            "give private_key or pkcs11_uri, not both",
        ));
    }
    let uri = reg
        .pkcs11_uri(raw)
        .map_err(|e| bad_request("KEY_INVALID", format!("pkcs11_uri: {e:#}")))?;
    if signet_pkcs11::Uri::parse(raw).is_ok_and(|u| u.has_pin_value()) {
        return Err(bad_request(
            "KEY_INVALID",
            "pkcs11_uri carries pin-value, which would be stored in the database: use pin-source or the server's --pkcs11-pin",
        ));
    }
    let public = tokio::task::spawn_blocking(move || {
        signet_pkcs11::HsmKey::open(&uri).map(|h| h.public_key().clone())
    })
    .await
    .map_err(|e| OciError::internal(&e.into()))?
    .map_err(|e| bad_request("KEY_INVALID", format!("pkcs11_uri: {e:#}")))?;
    let mut metadata = k.metadata.unwrap_or_else(|| json!({}));
    if let Some(m) = metadata.as_object_mut() {
        m.insert("server_held".into(), json!(true));
        m.insert("hsm".into(), json!(true));
    }
    let row = key_row(
        NewKey {
            name: k.name,
            kind: "cosign".into(),
            public_key: public.to_pem(),
            repositories: k.repositories,
            metadata: Some(metadata),
            expires_at: k.expires_at,
        },
        user,
    )?;
    let ev = AuditEvent::new(
        user,
        "key.create",
        "",
        &row.id,
        "ok",
        json!({"name": row.name, "type": "cosign", "server_held": true, "hsm": true, "fingerprint": row.fingerprint, "repositories": row.repositories}),
    );
    if !reg
        .db()
        .create_key(&row, None, Some(&Held::Pkcs11(raw.to_owned())), &ev)
        .await?
    {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "KEY_EXISTS",
            format!("a key named {} exists", row.name),
        ));
    }
    Ok((StatusCode::CREATED, axum::Json(key_json(&row, true))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotation {
    name: Option<String>,
    public_key: String,
    /// Seconds both keys stay valid (default a week).
    overlap_secs: Option<i64>,
    expires_at: Option<i64>,
}

async fn rotate_key(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let user = need_admin(&caller, &headers, "signing keys")?;
    let r: Rotation = json_body(&read_body(body, 64 * 1024).await?)?;
    let old = find_key(&reg, &id).await?;
    if old.revoked_at.is_some() {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "KEY_REVOKED",
            format!("key {} is revoked; register a new key instead", old.name),
        ));
    }
    let overlap = r.overlap_secs.unwrap_or(7 * 86_400);
    if !(0..=366 * 86_400).contains(&overlap) {
        return Err(bad_request(
            "INVALID_REQUEST",
            "overlap_secs must be between 0 and a year",
        ));
    }
    let row = key_row(
        NewKey {
            name: r.name.unwrap_or_else(|| format!("{}-{}", old.name, now())),
            kind: old.kind.clone(),
            public_key: r.public_key,
            repositories: old.repositories.clone(),
            metadata: Some(old.metadata.clone()),
            expires_at: r.expires_at,
        },
        &user,
    )?;
    if row.fingerprint == old.fingerprint {
        return Err(bad_request(
            "INVALID_REQUEST",
            "the new key is the old key; rotate to a different key",
        ));
    }
    let until = now() + overlap;
    let ev = AuditEvent::new(
        &user,
        "key.rotate",
        "",
        &row.id,
        "ok",
        json!({"old": old.id, "old_expires_at": until, "name": row.name, "fingerprint": row.fingerprint}),
    );
    if !reg
        .db()
        .create_key(&row, Some((&old.id, until)), None, &ev)
        .await?
    {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "KEY_EXISTS",
            format!("a key named {} exists", row.name),
        ));
    }
    let old = reg.db().key(&old.id).await?.unwrap_or(old);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"key": key_json(&row, true), "previous": key_json(&old, false)})),
    )
        .into_response())
}

/// 400 with every problem of a policy document, lines included.
fn policy_problems(problems: &[signet_policy::Problem]) -> OciError {
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let mut e = bad_request(
        "POLICY_INVALID",
        format!("the policy is not valid: {}", text.join("; ")),
    );
    e.set_detail(json!({"problems": problems}));
    e
}

fn policy_summary(row: &super::signing_db::PolicyRow, p: Option<&Policy>) -> Value {
    json!({
        "name": row.name,
        "version": row.version,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
        "mode": p.map(|p| p.mode.as_str()),
        "description": p.and_then(|p| p.description.clone()),
        "repositories": p.map(|p| p.repositories.clone()),
    })
}

async fn list_policies(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> OciResult<Response> {
    need_user(&caller, &headers)?;
    let rows = reg.db().policies().await?;
    let list: Vec<Value> = super::signing::parse_rows(&rows)
        .iter()
        .map(|(r, p)| policy_summary(r, p.as_ref()))
        .collect();
    Ok(axum::Json(json!({"policies": list})).into_response())
}

async fn store_policy(
    reg: &Registry,
    caller: &Caller,
    headers: &HeaderMap,
    body: Body,
    url_name: Option<&str>,
) -> OciResult<Response> {
    let user = need_admin(caller, headers, "policies")?;
    let bytes = read_body(body, signet_policy::document::MAX_DOCUMENT).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| bad_request("POLICY_INVALID", "the policy is not UTF-8 text"))?;
    let p = Policy::parse(text).map_err(|e| policy_problems(&e))?;
    if let Some(n) = url_name
        && n != p.name
    {
        return Err(bad_request(
            "POLICY_INVALID",
            format!("the document names policy {:?}, the URL {n:?}", p.name),
        ));
    }
    let ev = AuditEvent::new(
        &user,
        "policy.put",
        "",
        &p.name,
        "ok",
        json!({"mode": p.mode.as_str(), "repositories": p.repositories, "document": text}),
    );
    let expect = if url_name.is_none() { Some(0) } else { None };
    let Some(version) = reg
        .db()
        .put_policy(&p.name, text, &user, now(), expect, &ev)
        .await?
    else {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "POLICY_EXISTS",
            format!(
                "policy {} exists; PUT /api/v1/signing/policies/{} replaces it",
                p.name, p.name
            ),
        ));
    };
    let status = if version == 1 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(json!({"name": p.name, "version": version, "policy": p})),
    )
        .into_response())
}

/// `POST /api/v1/signing/policies/lint`: the problems of a policy document
/// (line-numbered, as `signet policy lint` prints them), storing nothing.
async fn lint_policy(
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    need_user(&caller, &headers)?;
    let bytes = read_body(body, signet_policy::document::MAX_DOCUMENT).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| bad_request("POLICY_INVALID", "the policy is not UTF-8 text"))?;
    Ok(match Policy::parse(text) {
        Ok(p) => axum::Json(json!({"valid": true, "name": p.name, "problems": []})),
        Err(problems) => axum::Json(json!({"valid": false, "problems": problems})),
    }
    .into_response())
}

async fn create_policy(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    store_policy(&reg, &caller, &headers, body, None).await
}

async fn replace_policy(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    store_policy(&reg, &caller, &headers, body, Some(&name)).await
}

async fn show_policy(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> OciResult<Response> {
    need_user(&caller, &headers)?;
    let rows = reg.db().policies().await?;
    let row = rows
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| not_found("POLICY_UNKNOWN", format!("no policy {name}")))?;
    let p = Policy::parse(&row.document).ok();
    let mut v = policy_summary(row, p.as_ref());
    v["document"] = json!(row.document);
    v["policy"] = json!(p);
    Ok(axum::Json(v).into_response())
}

async fn delete_policy(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> OciResult<Response> {
    let user = need_admin(&caller, &headers, "policies")?;
    let ev = AuditEvent::new(&user, "policy.delete", "", &name, "ok", json!({}));
    if !reg.db().delete_policy(&name, &ev).await? {
        return Err(not_found("POLICY_UNKNOWN", format!("no policy {name}")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArtifactRef {
    /// Repository (OCI) or repository of the file.
    repository: Option<String>,
    /// Image repository when `repository` is absent, or file path.
    name: Option<String>,
    /// Tag (images) or path (files, when `name` is absent).
    version: Option<String>,
    digest: Option<String>,
}

/// What an [`ArtifactRef`] resolves to.
enum Resolved {
    Manifest(String, super::db::Manifest),
    File(String, super::db::FileRow),
}

async fn resolve(reg: &Registry, a: &ArtifactRef) -> OciResult<Resolved> {
    let repo = a
        .repository
        .clone()
        .or_else(|| a.name.clone())
        .ok_or_else(|| bad_request("INVALID_REQUEST", "artifact.repository is required"))?;
    if !names::valid_repository(&repo) {
        return Err(not_found(
            "NAME_INVALID",
            format!("{repo:?} is not a repository name"),
        ));
    }
    let r =
        reg.db().repository(&repo).await?.ok_or_else(|| {
            not_found("NAME_UNKNOWN", format!("repository {repo} does not exist"))
        })?;
    if r.kind != "oci" {
        let path = match (&a.repository, &a.name, &a.version) {
            (Some(_), Some(n), _) => n.clone(),
            (_, _, Some(v)) => v.clone(),
            _ => {
                return Err(bad_request(
                    "INVALID_REQUEST",
                    "for a file, give artifact.name (its path in the repository)",
                ));
            }
        };
        let f = reg
            .db()
            .file(&repo, &path)
            .await?
            .ok_or_else(|| not_found("FILE_UNKNOWN", format!("no file {path} in {repo}")))?;
        if let Some(d) = &a.digest
            && *d != f.digest
        {
            return Err(not_found(
                "FILE_UNKNOWN",
                format!("{path} in {repo} is {}, not {d}", f.digest),
            ));
        }
        return Ok(Resolved::File(repo, f));
    }
    let reference = a
        .digest
        .clone()
        .or_else(|| a.version.clone())
        .ok_or_else(|| {
            bad_request(
                "INVALID_REQUEST",
                "give artifact.digest or artifact.version (a tag)",
            )
        })?;
    let m = reg.db().manifest(&repo, &reference).await?.ok_or_else(|| {
        not_found(
            "MANIFEST_UNKNOWN",
            format!("no manifest {reference} in {repo}"),
        )
    })?;
    Ok(Resolved::Manifest(repo, m))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    artifact: ArtifactRef,
    #[serde(default)]
    signature_type: Option<signet_policy::SignatureType>,
}

async fn verify(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let req: VerifyRequest = json_body(&read_body(body, 64 * 1024).await?)?;
    let resolved = resolve_readable(&reg, &caller, &headers, &req.artifact).await?;
    let state = reg.current_signing_state().await?;
    let at = now();
    let (repo, subject, ty, findings) = match &resolved {
        Resolved::Manifest(repo, m) => (
            repo.clone(),
            m.digest.clone(),
            super::signing::artifact_type(m),
            reg.manifest_findings(&state, repo, &m.digest, at).await?,
        ),
        Resolved::File(repo, f) => (
            repo.clone(),
            f.digest.clone(),
            ArtifactType::of_file(&f.path),
            reg.file_findings(&state, repo, &f.path, &f.digest, at)
                .await?,
        ),
    };
    let want = req.signature_type.unwrap_or_default();
    let keys = state
        .keys
        .iter()
        .map(|k| k.trusted.clone())
        .collect::<Vec<_>>();
    // Valid: a verified signature of the asked type by a signer trusted
    // for this repository (a registered, unexpired, unrevoked key, or a
    // certificate from the trusted root).
    let mut signer = Value::Null;
    let mut certificate = Value::Null;
    let mut cert_iter = findings.certificates.iter();
    let mut valid = false;
    for e in &findings.evidence {
        let is_cert = matches!(e.signer, signet_policy::Signer::Certificate { .. });
        let cert = if is_cert { cert_iter.next() } else { None };
        let signet_policy::Claim::Signature { signature_type } = &e.claim else {
            continue;
        };
        if *signature_type != want && !(want == signet_policy::SignatureType::X509) {
            continue;
        }
        let (identity, key_id) = match &e.signer {
            signet_policy::Signer::Key { key_id } => {
                let Some(k) = keys.iter().find(|k| &k.id == key_id) else {
                    continue;
                };
                if k.trusted(&repo, at).is_err() {
                    continue;
                }
                if want == signet_policy::SignatureType::X509
                    && k.kind != signet_policy::KeyKind::X509
                {
                    continue;
                }
                (k.name.clone(), Some(k.id.clone()))
            }
            signet_policy::Signer::Certificate { identity, .. } => (identity.clone(), None),
        };
        valid = true;
        signer = json!({"identity": identity, "key_id": key_id, "timestamp": e.time, "source": e.source});
        if let Some(c) = cert {
            certificate = json!(c);
        }
        break;
    }
    let policies = state.covering_policies(&repo);
    let decision = decide(
        &policies,
        Artifact {
            repository: &repo,
            artifact_type: ty,
        },
        &findings.evidence,
        &keys,
        at,
    );
    let who = actor(&caller);
    let ev = AuditEvent::new(
        &who,
        "verify",
        &repo,
        &subject,
        if valid { "valid" } else { "invalid" },
        json!({"signature_type": want.as_str(), "checks": findings.checks}),
    );
    reg.db().audit(&ev).await?;
    let mut out = json!({
        "valid": valid,
        "artifact": {"repository": repo, "digest": subject},
        "signer": signer,
        "checks": findings.checks,
        "evidence": findings.evidence,
        "policy": decision,
    });
    if !certificate.is_null() {
        out["certificate"] = certificate;
    }
    Ok(axum::Json(out).into_response())
}

async fn resolve_readable(
    reg: &Registry,
    caller: &Caller,
    headers: &HeaderMap,
    a: &ArtifactRef,
) -> OciResult<Resolved> {
    if let Some(r) = a.repository.as_deref().or(a.name.as_deref())
        && names::valid_repository(r)
    {
        authorize(reg, caller, headers, r, Level::Read).await?;
    }
    resolve(reg, a).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateRequest {
    /// A policy document to try instead of the stored ones.
    policy: Option<String>,
    artifact: ArtifactRef,
}

/// A dry run: the decision the stored policies (or `policy`) would make,
/// enforcing nothing and recording nothing.
async fn evaluate(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let req: EvaluateRequest = json_body(&read_body(body, 512 * 1024).await?)?;
    let resolved = resolve_readable(&reg, &caller, &headers, &req.artifact).await?;
    let state = reg.current_signing_state().await?;
    let at = now();
    let (repo, ty, findings) = match &resolved {
        Resolved::Manifest(repo, m) => (
            repo.clone(),
            super::signing::artifact_type(m),
            if is_signature_artifact(m) {
                Default::default()
            } else {
                reg.manifest_findings(&state, repo, &m.digest, at).await?
            },
        ),
        Resolved::File(repo, f) => (
            repo.clone(),
            ArtifactType::of_file(&f.path),
            reg.file_findings(&state, repo, &f.path, &f.digest, at)
                .await?,
        ),
    };
    let policies = match &req.policy {
        Some(text) => vec![Policy::parse(text).map_err(|e| policy_problems(&e))?],
        None => state.covering_policies(&repo),
    };
    let keys = state
        .keys
        .iter()
        .map(|k| k.trusted.clone())
        .collect::<Vec<_>>();
    let d = decide(
        &policies,
        Artifact {
            repository: &repo,
            artifact_type: ty,
        },
        &findings.evidence,
        &keys,
        at,
    );
    Ok(axum::Json(json!({
        "allowed": d.allowed(),
        "decision": d,
        "reasons": d.reasons(),
        "checks": findings.checks,
        "evidence": findings.evidence,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct AuditQuery {
    repository: Option<String>,
    subject: Option<String>,
    action: Option<String>,
    limit: Option<u32>,
}

async fn audit(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> OciResult<Response> {
    match &q.repository {
        Some(r) if names::valid_repository(r) => {
            authorize(&reg, &caller, &headers, r, Level::Read).await?;
        }
        _ => {
            need_admin(&caller, &headers, "the server-wide audit trail")?;
        }
    }
    let events = reg
        .db()
        .audit_events(
            q.repository.as_deref(),
            q.subject.as_deref(),
            q.action.as_deref(),
            q.limit.unwrap_or(100).min(1000),
        )
        .await?;
    Ok(axum::Json(json!({"events": events})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromotionRequest {
    from: String,
    to: String,
    /// A tag or digest in `from`.
    artifact: String,
    /// Tag in `to` (default: the tag promoted, if a tag was given).
    tag: Option<String>,
    /// Also sign the promoted image with this server-held key (its
    /// signature counts toward the target's policy).
    sign_with: Option<String>,
}

/// Copies an image with its signatures from one repository to another,
/// only if the target's policy is met by the signatures it carries.
async fn promote(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let req: PromotionRequest = json_body(&read_body(body, 64 * 1024).await?)?;
    for r in [&req.from, &req.to] {
        if !names::valid_repository(r) {
            return Err(not_found(
                "NAME_INVALID",
                format!("{r:?} is not a repository name"),
            ));
        }
    }
    authorize(&reg, &caller, &headers, &req.from, Level::Read).await?;
    authorize(&reg, &caller, &headers, &req.to, Level::Write).await?;
    let who = actor(&caller);
    let m = reg
        .db()
        .manifest(&req.from, &req.artifact)
        .await?
        .ok_or_else(|| {
            not_found(
                "MANIFEST_UNKNOWN",
                format!("no manifest {} in {}", req.artifact, req.from),
            )
        })?;
    let tag = req
        .tag
        .clone()
        .or_else(|| names::valid_tag(&req.artifact).then(|| req.artifact.clone()));
    if let Some(t) = &tag
        && !names::valid_tag(t)
    {
        return Err(bad_request("TAG_INVALID", format!("{t:?} is not a tag")));
    }
    reg.ensure_repository(&req.to, "oci").await?;
    let state = reg.current_signing_state().await?;
    let at = now();
    let mut findings = reg
        .manifest_findings(&state, &req.from, &m.digest, at)
        .await?;
    let server_signature = match &req.sign_with {
        None => None,
        Some(name) => {
            let row = reg
                .db()
                .key(name)
                .await?
                .ok_or_else(|| not_found("KEY_UNKNOWN", format!("no key {name}")))?;
            let (payload, ann) = reg
                .server_signature(&row.id, &req.to, &m.digest)
                .await?
                .ok_or_else(|| {
                    bad_request(
                        "KEY_INVALID",
                        format!(
                            "key {name} is not held by the server (POST /api/v1/signing/server-keys)"
                        ),
                    )
                })?;
            let public = parse_public_key("cosign", &row.public_key)?;
            // Checked like any other signature before it counts.
            findings.legacy_signature(
                &format!("server key {}", row.name),
                &m.digest,
                &payload,
                &ann,
                &[signet_policy::evidence::Verifier {
                    id: &row.id,
                    key: &public,
                }],
                None,
            );
            Some((payload, ann, format!("{who} (server key {})", row.name)))
        }
    };
    let keys = state
        .keys
        .iter()
        .map(|k| k.trusted.clone())
        .collect::<Vec<_>>();
    let d = decide(
        &state.covering_policies(&req.to),
        Artifact {
            repository: &req.to,
            artifact_type: super::signing::artifact_type(&m),
        },
        &findings.evidence,
        &keys,
        at,
    );
    let details = json!({
        "from": req.from,
        "to": req.to,
        "tag": tag,
        "decision": d,
        "evidence": findings.evidence,
    });
    if !d.allowed() {
        let ev = AuditEvent::new(&who, "promotion", &req.to, &m.digest, "deny", details);
        reg.db().audit(&ev).await?;
        let mut msg = super::signing::denied_message(&req.to);
        let reasons = d.reasons();
        if !reasons.is_empty() {
            msg.push_str(": ");
            msg.push_str(&reasons.join("; "));
        }
        return Err(OciError::denied(msg));
    }
    let copied = reg
        .promote(
            &req.from,
            &req.to,
            &m,
            tag.as_deref(),
            &who,
            details,
            server_signature,
        )
        .await?;
    Ok(axum::Json(json!({
        "promoted": m.digest,
        "from": req.from,
        "to": req.to,
        "tag": tag,
        "copied_manifests": copied,
        "decision": d,
    }))
    .into_response())
}

/// `GET /api/v1/artifacts/{repo}/{digest}/custody` (or
/// `{repo}/files/{path}/custody`): the chain of custody with log proofs.
async fn custody(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(rest): Path<String>,
    headers: HeaderMap,
) -> OciResult<Response> {
    let bad = || {
        not_found(
            "NAME_INVALID",
            "use /api/v1/artifacts/REPOSITORY/sha256:DIGEST/custody or /api/v1/artifacts/REPOSITORY/files/PATH/custody",
        )
    };
    let inner = rest.strip_suffix("/custody").ok_or_else(bad)?;
    let (repo, subject) = match inner.rfind("/sha256:") {
        Some(i) => (&inner[..i], &inner[i + 1..]),
        None => inner.split_once("/files/").ok_or_else(bad)?,
    };
    if !names::valid_repository(repo) {
        return Err(bad());
    }
    authorize(&reg, &caller, &headers, repo, Level::Read).await?;
    let record = reg.custody(repo, subject).await?;
    Ok(axum::Json(record).into_response())
}
