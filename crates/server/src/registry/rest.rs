//! The REST API under `/api/v1/`: repositories (create, list, show,
//! change, delete, with a type `oci` or `generic`), files in generic
//! repositories (streamed up and down, `Range` reads, SHA-256 returned and
//! checked), users and API tokens. Errors have the OCI shape
//! (`{"errors":[{"code","message"}]}`).

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::access::{Grant, Level, parse_grants};
use super::api::{OciError, OciResult, authorize, byte_range, with_headers};
use super::auth::{Caller, now};
use super::db::{FileRow, RepositoryRow};
use super::{Registry, names};

pub(crate) fn routes() -> Router<Registry> {
    Router::new()
        .route(
            "/api/openapi.json",
            get(|| async {
                (
                    [("content-type", "application/json")],
                    super::openapi::json(),
                )
            }),
        )
        .route("/api/v1/whoami", get(whoami))
        .route(
            "/api/v1/repositories",
            get(list_repositories).post(create_repository),
        )
        .route("/api/v1/repositories/{*rest}", any(repository_dispatch))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{name}", delete(delete_user))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(delete_token))
}

pub(super) fn bad_request(code: &'static str, m: impl Into<String>) -> OciError {
    OciError::new(StatusCode::BAD_REQUEST, code, m)
}

pub(super) fn not_found(code: &'static str, m: impl Into<String>) -> OciError {
    OciError::new(StatusCode::NOT_FOUND, code, m)
}

pub(super) fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> OciResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        bad_request(
            "INVALID_REQUEST",
            format!("the request body is not valid: {e}"),
        )
    })
}

async fn read_small(body: Body) -> OciResult<axum::body::Bytes> {
    read_body(body, 64 * 1024).await
}

/// A request body of at most `max` bytes, or 413.
pub(super) async fn read_body(body: Body, max: usize) -> OciResult<axum::body::Bytes> {
    axum::body::to_bytes(body, max).await.map_err(|_| {
        OciError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "SIZE_INVALID",
            format!("request body over {} KiB", max / 1024),
        )
    })
}

pub(super) fn need_user(caller: &Caller, headers: &HeaderMap) -> OciResult<String> {
    caller
        .principal
        .user
        .clone()
        .ok_or_else(|| OciError::unauthorized(headers, "authentication required", None))
}

fn need_server_admin(caller: &Caller, headers: &HeaderMap) -> OciResult<()> {
    let user = need_user(caller, headers)?;
    if caller.principal.is_server_admin() && !caller.session {
        Ok(())
    } else {
        Err(OciError::denied(format!(
            "user {user} may not manage users (needs admin:**)"
        )))
    }
}

async fn whoami(Extension(caller): Extension<Caller>) -> Response {
    let sets: Vec<Vec<String>> = caller
        .principal
        .sets
        .iter()
        .map(|s| s.iter().map(Grant::to_string).collect())
        .collect();
    axum::Json(json!({"user": caller.principal.user, "grants": sets})).into_response()
}

fn repository_json(r: &RepositoryRow) -> Value {
    json!({
        "name": r.name,
        "type": r.kind,
        "anonymous_read": r.anonymous_read,
        "created": r.created,
    })
}

#[derive(Deserialize)]
struct Page {
    last: Option<String>,
    n: Option<u32>,
    prefix: Option<String>,
}

const PAGE_MAX: u32 = 1000;

async fn list_repositories(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Query(page): Query<Page>,
) -> OciResult<Response> {
    let n = page.n.unwrap_or(PAGE_MAX).min(PAGE_MAX);
    let out: Vec<Value> = reg
        .repositories_where(page.last, n as usize, |r| {
            r.anonymous_read || caller.principal.can(&r.name, Level::Read)
        })
        .await?
        .iter()
        .map(repository_json)
        .collect();
    Ok(axum::Json(json!({"repositories": out})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRepository {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    anonymous_read: bool,
}

fn check_kind(kind: &str) -> OciResult<()> {
    if ["oci", "generic", "debian", "rpm", "alpine"].contains(&kind) {
        Ok(())
    } else {
        Err(bad_request(
            "INVALID_REQUEST",
            format!("repository type must be oci, generic, debian, rpm or alpine, not {kind:?}"),
        ))
    }
}

async fn create_repository(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let req: NewRepository = json_body(&read_small(body).await?)?;
    if !names::valid_repository(&req.name) {
        return Err(bad_request(
            "NAME_INVALID",
            format!(
                "{:?} is not a repository name (lowercase path segments like production/apps)",
                req.name
            ),
        ));
    }
    check_kind(&req.kind)?;
    authorize(&reg, &caller, &headers, &req.name, Level::Admin).await?;
    let row = RepositoryRow {
        name: req.name,
        kind: req.kind,
        anonymous_read: req.anonymous_read,
        created: now(),
    };
    if !reg.create_repository(&row).await? {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "CONFLICT",
            format!("repository {} already exists", row.name),
        ));
    }
    Ok((StatusCode::CREATED, axum::Json(repository_json(&row))).into_response())
}

/// `/api/v1/repositories/{repo}` or `/api/v1/repositories/{repo}/files[/{path}]`.
#[allow(clippy::too_many_arguments)]
async fn repository_dispatch(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(rest): Path<String>,
    Query(page): Query<Page>,
    Query(aq): Query<ArtifactsQuery>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    if method == Method::GET
        && let Some(repo) = rest.strip_suffix("/artifacts")
        && names::valid_repository(repo)
        && let Some(r) = reg.db().repository(repo).await?
    {
        return list_artifacts(&reg, &caller, &r, aq, &headers).await;
    }
    if method == Method::GET
        && let Some(i) = rest.rfind("/artifacts/sha256:")
        && names::valid_repository(&rest[..i])
        && let Some(r) = reg.db().repository(&rest[..i]).await?
    {
        let digest = &rest[i + "/artifacts/".len()..];
        return show_artifact(&reg, &caller, &r, digest, &headers).await;
    }
    match split_files(&reg, &rest).await? {
        Some((repo, path)) => {
            if !names::valid_repository(repo) {
                return Err(not_found("NAME_INVALID", "not a valid repository name"));
            }
            file_dispatch(&reg, &caller, repo, path, page, method, &headers, body).await
        }
        None => {
            if !names::valid_repository(&rest) {
                return Err(not_found("NAME_INVALID", "not a valid repository name"));
            }
            repository_ops(&reg, &caller, &rest, method, &headers, body).await
        }
    }
}

#[derive(Deserialize)]
struct ArtifactsQuery {
    q: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    offset: Option<u32>,
    limit: Option<u32>,
}

/// `GET /api/v1/repositories/{repo}/artifacts?q=&sort=&order=&offset=&limit=`:
/// one page of the artifacts overview (see `artifacts.rs`).
async fn list_artifacts(
    reg: &Registry,
    caller: &Caller,
    r: &RepositoryRow,
    aq: ArtifactsQuery,
    headers: &HeaderMap,
) -> OciResult<Response> {
    use super::artifacts::{PAGE_MAX, PageQuery, SortKey};
    authorize(reg, caller, headers, &r.name, Level::Read).await?;
    let sort = match aq.sort.as_deref() {
        None | Some("") => SortKey::Pushed,
        Some(s) => SortKey::parse(s).ok_or_else(|| {
            bad_request(
                "INVALID_REQUEST",
                format!("cannot sort by {s:?}: use pushed, name, digest or size"),
            )
        })?,
    };
    let desc = match aq.order.as_deref() {
        None | Some("") => sort == SortKey::Pushed,
        Some("desc") => true,
        Some("asc") => false,
        Some(o) => {
            return Err(bad_request(
                "INVALID_REQUEST",
                format!("order {o:?} is neither asc nor desc"),
            ));
        }
    };
    let limit = aq.limit.unwrap_or(50);
    if limit == 0 || limit > PAGE_MAX {
        return Err(bad_request(
            "INVALID_REQUEST",
            format!("limit must be between 1 and {PAGE_MAX}"),
        ));
    }
    let q = PageQuery {
        search: aq.q.unwrap_or_default().chars().take(256).collect(),
        sort,
        desc,
        offset: aq.offset.unwrap_or(0),
        limit,
    };
    let started = std::time::Instant::now();
    let mut doc = reg.artifacts_json(&r.name, &r.kind, &q).await?;
    // A quarantined image's tags are not visible to readers.
    if r.kind == "oci"
        && !caller.principal.can(&r.name, Level::Write)
        && let Some(rows) = doc["artifacts"].as_array_mut()
    {
        for a in rows.iter_mut().filter(|a| a["status"] == "quarantined") {
            a["tags"] = json!([]);
            a["name"] = json!("");
        }
    }
    doc["elapsed_ms"] = json!(started.elapsed().as_secs_f64() * 1000.0);
    Ok(axum::Json(doc).into_response())
}

/// `GET /api/v1/repositories/{repo}/artifacts/{digest}`: one image with
/// its summary, manifest and layers. A quarantined image's tags and
/// manifest are shown only to callers who may push to the repository.
async fn show_artifact(
    reg: &Registry,
    caller: &Caller,
    r: &RepositoryRow,
    digest: &str,
    headers: &HeaderMap,
) -> OciResult<Response> {
    use super::artifacts::{PageQuery, SortKey};
    authorize(reg, caller, headers, &r.name, Level::Read).await?;
    let unknown = || {
        not_found(
            "MANIFEST_UNKNOWN",
            format!("no image {digest} in {}", r.name),
        )
    };
    if r.kind != "oci" || names::sha256_hex(digest).is_none() {
        return Err(unknown());
    }
    let m = reg
        .db()
        .manifest(&r.name, digest)
        .await?
        .ok_or_else(unknown)?;
    let q = PageQuery {
        search: digest.to_owned(),
        sort: SortKey::Digest,
        desc: false,
        offset: 0,
        limit: 2,
    };
    let mut doc = reg.artifacts_json(&r.name, &r.kind, &q).await?;
    let row = doc["artifacts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["digest"] == digest))
        .cloned()
        .unwrap_or_else(
            || json!({"digest": digest, "media_type": m.media_type, "status": "signature"}),
        );
    let writer = caller.principal.can(&r.name, Level::Write);
    let hidden = row["status"] == "quarantined" && !writer;
    doc = json!({"repository": r.name, "artifact": row});
    if hidden {
        doc["artifact"]["tags"] = json!([]);
        doc["artifact"]["name"] = json!("");
        doc["manifest_hidden"] =
            json!("quarantined: only users who may push here see its manifest");
    } else {
        let body: Value = serde_json::from_slice(&m.body).unwrap_or(Value::Null);
        doc["manifest"] = body;
    }
    Ok(axum::Json(doc).into_response())
}

/// Splits `repo/files/path` at the `/files` that follows an existing
/// repository (repository names may themselves contain `files`).
async fn split_files<'a>(reg: &Registry, rest: &'a str) -> OciResult<Option<(&'a str, &'a str)>> {
    let mut candidates = Vec::new();
    for (i, _) in rest.match_indices("/files") {
        let after = &rest[i + "/files".len()..];
        if after.is_empty() {
            candidates.push((&rest[..i], ""));
        } else if let Some(p) = after.strip_prefix('/') {
            candidates.push((&rest[..i], p));
        }
    }
    if candidates.len() > 1 {
        for &(repo, path) in &candidates {
            if reg.db().repository(repo).await?.is_some() {
                return Ok(Some((repo, path)));
            }
        }
    }
    Ok(candidates.first().copied())
}

async fn repository_ops(
    reg: &Registry,
    caller: &Caller,
    name: &str,
    method: Method,
    headers: &HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let unknown = || not_found("NAME_UNKNOWN", format!("repository {name} does not exist"));
    match method {
        Method::GET => {
            authorize(reg, caller, headers, name, Level::Read).await?;
            let r = reg.db().repository(name).await?.ok_or_else(unknown)?;
            Ok(axum::Json(repository_json(&r)).into_response())
        }
        Method::PATCH => {
            authorize(reg, caller, headers, name, Level::Admin).await?;
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Change {
                anonymous_read: Option<bool>,
            }
            let c: Change = json_body(&read_small(body).await?)?;
            if let Some(on) = c.anonymous_read
                && !reg.set_anonymous_read(name, on).await?
            {
                return Err(unknown());
            }
            let r = reg.db().repository(name).await?.ok_or_else(unknown)?;
            Ok(axum::Json(repository_json(&r)).into_response())
        }
        Method::DELETE => {
            authorize(reg, caller, headers, name, Level::Admin).await?;
            if !reg.delete_repository(name).await? {
                return Err(unknown());
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(OciError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            "use GET, PATCH or DELETE on a repository",
        )),
    }
}

fn file_json(f: &FileRow) -> Value {
    json!({
        "path": f.path,
        "size": f.size,
        "digest": f.digest,
        "sha256": f.digest.strip_prefix("sha256:").unwrap_or(&f.digest),
        "created": f.created,
    })
}

fn file_headers(f: &FileRow) -> Vec<(&'static str, String)> {
    let hex = f
        .digest
        .strip_prefix("sha256:")
        .unwrap_or(&f.digest)
        .to_owned();
    vec![
        ("etag", format!("\"{hex}\"")),
        ("x-checksum-sha256", hex),
        ("docker-content-digest", f.digest.clone()),
        ("accept-ranges", "bytes".to_owned()),
        ("content-type", "application/octet-stream".to_owned()),
    ]
}

/// `X-Checksum-Sha256` as 64 lowercase hex (a `sha256:` prefix and upper
/// case are accepted).
fn expected_checksum(headers: &HeaderMap) -> OciResult<Option<String>> {
    let Some(v) = headers.get("x-checksum-sha256") else {
        return Ok(None);
    };
    let v = v.to_str().unwrap_or("").trim().to_ascii_lowercase();
    let v = v.strip_prefix("sha256:").unwrap_or(&v).to_owned();
    if names::sha256_hex(&format!("sha256:{v}")).is_none() {
        return Err(bad_request(
            "DIGEST_INVALID",
            "X-Checksum-Sha256 must be 64 hex digits",
        ));
    }
    Ok(Some(v))
}

#[allow(clippy::too_many_arguments)]
async fn file_dispatch(
    reg: &Registry,
    caller: &Caller,
    repo: &str,
    path: &str,
    page: Page,
    method: Method,
    headers: &HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let listing = path.is_empty() || path.ends_with('/');
    let need = match method {
        Method::GET | Method::HEAD => Level::Read,
        _ => Level::Write,
    };
    authorize(reg, caller, headers, repo, need).await?;
    if listing {
        if method != Method::GET {
            return Err(OciError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "a folder can only be listed (GET); name a file to change it",
            ));
        }
        return list_files(reg, repo, path, page, &super::api::actor(caller)).await;
    }
    if !names::valid_file_path(path) {
        return Err(bad_request(
            "NAME_INVALID",
            format!(
                "{path:?} is not a file path (segments of printable ASCII, no empty, . or .. segments, no \\ or %)"
            ),
        ));
    }
    let unknown = || not_found("FILE_UNKNOWN", format!("no file {path} in {repo}"));
    match method {
        Method::PUT => {
            let expected = expected_checksum(headers)?;
            // A detached signature may come in the same request (base64 of
            // the signature, as cosign's `.sig`): checked before anything
            // is stored, stored as `<path>.sig` after the file.
            let signature = match headers.get("x-signet-signature") {
                None => None,
                Some(v) => {
                    use base64::Engine;
                    let text = v.to_str().unwrap_or("").trim().to_owned();
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(&text)
                        .map_err(|_| {
                            bad_request(
                                "SIGNATURE_INVALID",
                                "X-Signet-Signature must be the base64 of the signature (as in cosign's .sig file); nothing was stored",
                            )
                        })?;
                    if raw.is_empty() || raw.len() > 16 * 1024 {
                        return Err(bad_request(
                            "SIGNATURE_INVALID",
                            "X-Signet-Signature is empty or over 16 KiB; nothing was stored",
                        ));
                    }
                    if super::signing::is_signature_file(path) {
                        return Err(bad_request(
                            "SIGNATURE_INVALID",
                            "a signature file cannot carry a signature",
                        ));
                    }
                    Some(text)
                }
            };
            // Package repositories hold files too (and index their packages).
            let packages = reg
                .db()
                .repository(repo)
                .await?
                .is_some_and(|r| ["debian", "rpm", "alpine"].contains(&r.kind.as_str()));
            if !packages {
                reg.ensure_repository(repo, "generic").await?;
            }
            let who = super::api::actor(caller);
            let f = reg
                .put_file(
                    repo,
                    path,
                    expected.as_deref(),
                    body.into_data_stream(),
                    &who,
                )
                .await?;
            if let Some(sig) = signature {
                let sig_path = format!("{path}.sig");
                let chunk: Result<axum::body::Bytes, std::convert::Infallible> =
                    Ok(axum::body::Bytes::from(sig.into_bytes()));
                reg.put_file(
                    repo,
                    &sig_path,
                    None,
                    futures_util::stream::iter([chunk]),
                    &who,
                )
                .await?;
            }
            if packages {
                reg.reindex_after(repo, path).await.map_err(|e| {
                    OciError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "INDEX_FAILED",
                        format!("the package was stored but the repository's indexes could not be regenerated: {e:#}"),
                    )
                })?;
            }
            let mut r = (StatusCode::CREATED, axum::Json(file_json(&f))).into_response();
            r.headers_mut().remove("content-type");
            let mut hs = file_headers(&f);
            hs.retain(|(k, _)| *k != "content-type" && *k != "accept-ranges");
            hs.push(("content-type", "application/json".to_owned()));
            Ok(with_headers(r, &hs))
        }
        Method::GET | Method::HEAD => {
            let f = reg.db().file(repo, path).await?.ok_or_else(unknown)?;
            let verdict = if method == Method::GET {
                let v = reg
                    .gate_file(repo, path, &f.digest, &super::api::actor(caller))
                    .await?;
                if !v.allowed {
                    return Err(super::api::policy_denied(repo, &v));
                }
                Some(v)
            } else {
                None
            };
            let range = byte_range(headers, f.size).map_err(|()| {
                let mut e = OciError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "RANGE_INVALID",
                    format!(
                        "the requested range is not within the file's {} bytes",
                        f.size
                    ),
                );
                e.set_content_range(format!("bytes */{}", f.size));
                e
            })?;
            let mut hs = file_headers(&f);
            let status = match &range {
                Some(r) => {
                    hs.push(("content-length", (r.end - r.start).to_string()));
                    hs.push((
                        "content-range",
                        format!("bytes {}-{}/{}", r.start, r.end - 1, f.size),
                    ));
                    StatusCode::PARTIAL_CONTENT
                }
                None => {
                    hs.push(("content-length", f.size.to_string()));
                    StatusCode::OK
                }
            };
            if method == Method::HEAD {
                return Ok(with_headers(status.into_response(), &hs));
            }
            let stream = reg.blob_stream(&f.digest, range).await?;
            let r = with_headers((status, Body::from_stream(stream)).into_response(), &hs);
            Ok(match verdict {
                Some(v) => super::api::with_warning(r, &v),
                None => r,
            })
        }
        Method::DELETE => {
            if reg.delete_file(repo, path).await? {
                reg.reindex_after(repo, path).await.map_err(|e| {
                    OciError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "INDEX_FAILED",
                        format!("the package was deleted but the repository's indexes could not be regenerated: {e:#}"),
                    )
                })?;
                Ok(StatusCode::NO_CONTENT.into_response())
            } else {
                Err(unknown())
            }
        }
        _ => Err(OciError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            "use PUT, GET, HEAD or DELETE on a file",
        )),
    }
}

async fn list_files(
    reg: &Registry,
    repo: &str,
    dir: &str,
    page: Page,
    actor: &str,
) -> OciResult<Response> {
    let r =
        reg.db().repository(repo).await?.ok_or_else(|| {
            not_found("NAME_UNKNOWN", format!("repository {repo} does not exist"))
        })?;
    let prefix = format!("{dir}{}", page.prefix.unwrap_or_default());
    let n = page.n.unwrap_or(PAGE_MAX).min(PAGE_MAX);
    let files = reg
        .db()
        .files(&r.name, &prefix, page.last.as_deref(), n)
        .await?;
    let next = (files.len() == n as usize && n > 0)
        .then(|| files.last().map(|f| f.path.clone()))
        .flatten();
    // Files a policy holds back (unsigned, in quarantine) are not listed,
    // as quarantined tags are not (the page may come out short; `next`
    // still follows the last stored file).
    let mut list: Vec<Value> = Vec::with_capacity(files.len());
    for f in &files {
        if reg
            .gate_file(&r.name, &f.path, &f.digest, actor)
            .await?
            .allowed
        {
            list.push(file_json(f));
        }
    }
    Ok(axum::Json(json!({"repository": repo, "files": list, "next": next})).into_response())
}

fn user_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

async fn list_users(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> OciResult<Response> {
    need_server_admin(&caller, &headers)?;
    let users: Vec<Value> = reg
        .db()
        .users()
        .await?
        .into_iter()
        .map(|(name, grants, created)| {
            let grants: Value = serde_json::from_str(&grants).unwrap_or(Value::Null);
            json!({"name": name, "grants": grants, "created": created})
        })
        .collect();
    Ok(axum::Json(json!({"users": users})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    password: Zeroizing<String>,
    #[serde(default)]
    grants: Vec<String>,
}

fn grants_or_400(list: &[String]) -> OciResult<Vec<Grant>> {
    parse_grants(list).map_err(|e| bad_request("INVALID_REQUEST", e))
}

async fn create_user(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    need_server_admin(&caller, &headers)?;
    let req: NewUser = json_body(&read_small(body).await?)?;
    if !user_name_ok(&req.name) {
        return Err(bad_request(
            "INVALID_REQUEST",
            "a user name is 1-64 of a-z 0-9 . _ -",
        ));
    }
    if req.password.chars().count() < 12 {
        return Err(bad_request(
            "INVALID_REQUEST",
            "the password must be at least 12 characters",
        ));
    }
    let grants = grants_or_400(&req.grants)?;
    if !reg.create_user(&req.name, req.password, &grants).await? {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "CONFLICT",
            format!("user {} already exists", req.name),
        ));
    }
    tracing::info!(user = %req.name, grants = ?req.grants, by = ?caller.principal.user, "user created");
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"name": req.name, "grants": req.grants})),
    )
        .into_response())
}

async fn delete_user(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> OciResult<Response> {
    need_server_admin(&caller, &headers)?;
    if name == "admin" {
        return Err(bad_request(
            "INVALID_REQUEST",
            "the admin user cannot be deleted",
        ));
    }
    if !reg.db().delete_user(&name).await? {
        return Err(not_found("NAME_UNKNOWN", format!("no user {name}")));
    }
    tracing::info!(user = %name, by = ?caller.principal.user, "user deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn token_json(t: &super::db::TokenRow) -> Value {
    json!({
        "id": t.id,
        "owner": t.owner,
        "grants": serde_json::from_str::<Value>(&t.grants).unwrap_or(Value::Null),
        "description": t.description,
        "created": t.created,
        "expires": t.expires,
    })
}

async fn list_tokens(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> OciResult<Response> {
    let user = need_user(&caller, &headers)?;
    let list: Vec<Value> = reg
        .db()
        .tokens_of(&user)
        .await?
        .iter()
        .map(token_json)
        .collect();
    Ok(axum::Json(json!({"tokens": list})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    #[serde(default)]
    description: String,
    grants: Vec<String>,
    expires_in_days: Option<u32>,
}

async fn create_token(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let user = need_user(&caller, &headers)?;
    let req: NewToken = json_body(&read_small(body).await?)?;
    let grants = grants_or_400(&req.grants)?;
    if grants.is_empty() {
        return Err(bad_request(
            "INVALID_REQUEST",
            "a token needs at least one grant (e.g. read:**)",
        ));
    }
    if caller.session {
        return Err(OciError::denied(
            "bearer tokens from /v2/token cannot create API tokens; use a password or API token",
        ));
    }
    if let Some(g) = grants.iter().find(|g| !caller.principal.covers(g)) {
        return Err(OciError::denied(format!(
            "user {user} cannot hand out {g}: it is more than they have"
        )));
    }
    let expires = req.expires_in_days.map(|d| now() + i64::from(d) * 86_400);
    let t = reg
        .create_token(&user, grants, &req.description, expires)
        .await?;
    tracing::info!(user = %user, token = %t.row.id, "API token created");
    let mut v = token_json(&t.row);
    v["token"] = Value::String(t.secret.to_string());
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

async fn delete_token(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> OciResult<Response> {
    let user = need_user(&caller, &headers)?;
    if !reg.db().delete_token(&user, &id).await? {
        return Err(not_found("NAME_UNKNOWN", format!("you have no token {id}")));
    }
    tracing::info!(user = %user, token = %id, "API token revoked");
    Ok(StatusCode::NO_CONTENT.into_response())
}
