//! OCI distribution spec v1.1 over HTTP: `/v2/`, blobs (monolithic and
//! chunked uploads, cross-repository mount), manifests by tag or digest,
//! tags list and catalog with pagination, deletes, and the spec's error
//! codes, and the referrers API. Callers authenticate with HTTP Basic
//! (password or API token) or a bearer token from `/v2/token`; reads of a
//! repository that allows anonymous read need no credentials, writes
//! always do.

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::Level;
use super::auth::{self, AuthError, Caller};
use super::{Manifest, Registry, RegistryError, names};

/// An OCI error response (the `/api/v1` routes answer in the same shape).
pub(crate) struct OciError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// `Content-Range: bytes */SIZE` of a 416.
    content_range: Option<String>,
    /// `WWW-Authenticate` of a 401.
    challenge: Option<String>,
    /// Structured detail (the spec's `detail` member).
    detail: Option<Box<Value>>,
}

impl OciError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            content_range: None,
            challenge: None,
            detail: None,
        }
    }

    pub(crate) fn set_detail(&mut self, v: Value) {
        self.detail = Some(Box::new(v));
    }

    pub(crate) fn internal(e: &anyhow::Error) -> Self {
        tracing::error!(error = %format!("{e:#}"), "registry request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            "internal error (see the server log)",
        )
    }

    /// 401 with a Bearer challenge pointing at this server's `/v2/token`.
    pub(crate) fn unauthorized(
        headers: &HeaderMap,
        message: impl Into<String>,
        scope: Option<&str>,
    ) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message);
        let mut c = format!(
            "Bearer realm=\"{}/v2/token\",service=\"signet\"",
            base_url(headers)
        );
        if let Some(s) = scope {
            c.push_str(&format!(",scope=\"{s}\""));
        }
        e.challenge = Some(c);
        e
    }

    pub(crate) fn set_content_range(&mut self, v: String) {
        self.content_range = Some(v);
    }

    pub(crate) fn denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "DENIED", message)
    }
}

/// Who a request acts as, for audit events.
pub(crate) fn actor(caller: &Caller) -> String {
    caller
        .principal
        .user
        .clone()
        .unwrap_or_else(|| "anonymous".to_owned())
}

/// The refusal of a read a signing policy does not allow (403 `DENIED`).
pub(crate) fn policy_denied(repo: &str, v: &super::signing::Verdict) -> OciError {
    let mut m = super::signing::denied_message(repo);
    if let Some(d) = &v.decision {
        let reasons = d.reasons();
        if !reasons.is_empty() {
            m.push_str(": ");
            m.push_str(&reasons.join("; "));
        }
    }
    OciError::denied(m)
}

/// Adds the `Warning` header of a `warn` policy.
pub(crate) fn with_warning(r: Response, v: &super::signing::Verdict) -> Response {
    match &v.warning {
        Some(w) => with_headers(
            r,
            &[("warning", format!("299 signet \"{}\"", w.replace('"', "'")))],
        ),
        None => r,
    }
}

/// `scheme://host` the client reached us at (X-Forwarded-Proto aware).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        })
        .unwrap_or("localhost");
    let proto = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{proto}://{host}")
}

impl From<anyhow::Error> for OciError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(&e)
    }
}

impl From<RegistryError> for OciError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::DigestInvalid(m) => {
                Self::new(StatusCode::BAD_REQUEST, "DIGEST_INVALID", m)
            }
            RegistryError::BlobUnknown => {
                Self::new(StatusCode::NOT_FOUND, "BLOB_UNKNOWN", e.to_string())
            }
            RegistryError::UploadUnknown => {
                Self::new(StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN", e.to_string())
            }
            RegistryError::RangeInvalid(_) => Self::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "BLOB_UPLOAD_INVALID",
                e.to_string(),
            ),
            RegistryError::WrongKind(m) => Self::denied(m),
            RegistryError::TooLarge(_) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "SIZE_INVALID", e.to_string())
            }
            RegistryError::Internal(e) => Self::internal(&e),
        }
    }
}

impl IntoResponse for OciError {
    fn into_response(self) -> Response {
        let mut err = json!({"code": self.code, "message": self.message});
        if let Some(d) = self.detail {
            err["detail"] = *d;
        }
        let body = json!({"errors": [err]});
        let mut r = (self.status, axum::Json(body)).into_response();
        for (name, v) in [
            (header::CONTENT_RANGE, self.content_range),
            (header::WWW_AUTHENTICATE, self.challenge),
        ] {
            if let Some(v) = v.and_then(|v| HeaderValue::from_str(&v).ok()) {
                r.headers_mut().insert(name, v);
            }
        }
        r
    }
}

pub(crate) type OciResult<T> = Result<T, OciError>;

/// The registry's routes: `/v2/` (OCI distribution, the token endpoint) and
/// `/api/v1/` (repositories, files, users, tokens), all behind
/// `authenticate`.
pub fn router(registry: Registry) -> Router {
    Router::new()
        .route("/v2/", get(base))
        .route("/v2/token", get(token))
        .route("/v2/_catalog", get(catalog))
        .route("/v2/{*rest}", any(dispatch))
        .merge(super::rest::routes())
        .merge(super::signing_api::routes())
        .layer(middleware::from_fn_with_state(
            registry.clone(),
            authenticate,
        ))
        .with_state(registry)
}

/// Works out who the caller is (anonymous without credentials) and puts
/// the [`Caller`] in the request; wrong credentials are a 401 whatever the
/// route, so a typo never silently degrades to anonymous.
async fn authenticate(State(reg): State<Registry>, mut req: Request, next: Next) -> Response {
    let h = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    match reg.authenticate(h).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(AuthError::Unauthorized(m)) => {
            OciError::unauthorized(req.headers(), m, None).into_response()
        }
        Err(AuthError::Internal(e)) => OciError::internal(&e).into_response(),
    }
}

/// Lets `caller` act on `repo` at `need`, or says why not: 401 (with the
/// scope to ask `/v2/token` for) to anonymous callers, 403 to users who
/// lack the grant.
pub(crate) async fn authorize(
    reg: &Registry,
    caller: &Caller,
    headers: &HeaderMap,
    repo: &str,
    need: Level,
) -> OciResult<()> {
    let p = &caller.principal;
    if p.can(repo, need) {
        return Ok(());
    }
    if need == Level::Read
        && reg
            .db()
            .repository(repo)
            .await?
            .is_some_and(|r| r.anonymous_read)
    {
        return Ok(());
    }
    metrics::counter!("signet_registry_access_denied_total", "level" => need.as_str()).increment(1);
    tracing::info!(
        user = ?p.user,
        repository = repo,
        level = need.as_str(),
        "access denied"
    );
    let action = match need {
        Level::Read => "pull",
        Level::Write => "pull,push",
        Level::Admin => "*",
    };
    let scope = format!("repository:{repo}:{action}");
    match &p.user {
        None => Err(OciError::unauthorized(
            headers,
            format!("authentication required to {} {repo}", need.as_str()),
            Some(&scope),
        )),
        Some(user) => Err(OciError::denied(format!(
            "user {user} has no {} access to repository {repo}",
            need.as_str()
        ))),
    }
}

/// `GET /v2/token`: a bearer token for the caller (anonymous too, for
/// public repositories); see [`Registry::issue_bearer`] on scopes.
async fn token(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
) -> OciResult<Response> {
    let t = reg.issue_bearer(&caller)?;
    Ok(axum::Json(json!({
        "token": t,
        "access_token": t,
        "expires_in": auth::BEARER_TTL_SECS,
    }))
    .into_response())
}

/// `/v2/`: 200 to any authenticated caller; 401 with the challenge to
/// anonymous ones (that is how clients discover the token endpoint).
async fn base(Extension(caller): Extension<Caller>, headers: HeaderMap) -> Response {
    if caller.principal.user.is_none() {
        return OciError::unauthorized(&headers, "authentication required", None).into_response();
    }
    (
        [("Docker-Distribution-API-Version", "registry/2.0")],
        axum::Json(json!({})),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
struct Params {
    digest: Option<String>,
    mount: Option<String>,
    from: Option<String>,
    n: Option<u32>,
    last: Option<String>,
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
}

/// What a `/v2/<name>/...` path addresses.
enum Target<'a> {
    Manifest(&'a str, &'a str),
    Upload(&'a str, &'a str),
    Blob(&'a str, &'a str),
    Tags(&'a str),
    Referrers(&'a str, &'a str),
}

fn parse_target(rest: &str) -> Option<Target<'_>> {
    let t = if let Some(name) = rest.strip_suffix("/tags/list") {
        Target::Tags(name)
    } else if let Some((name, d)) = rest.rsplit_once("/referrers/") {
        Target::Referrers(name, d)
    } else if let Some((name, r)) = rest.rsplit_once("/manifests/") {
        Target::Manifest(name, r)
    } else if let Some((name, id)) = rest.rsplit_once("/blobs/uploads/") {
        Target::Upload(name, id)
    } else if let Some(name) = rest.strip_suffix("/blobs/uploads") {
        Target::Upload(name, "")
    } else if let Some((name, d)) = rest.rsplit_once("/blobs/") {
        Target::Blob(name, d)
    } else {
        return None;
    };
    let name = match &t {
        Target::Manifest(n, _)
        | Target::Upload(n, _)
        | Target::Blob(n, _)
        | Target::Tags(n)
        | Target::Referrers(n, _) => n,
    };
    names::valid_repository(name).then_some(t)
}

fn name_invalid() -> OciError {
    OciError::new(
        StatusCode::NOT_FOUND,
        "NAME_INVALID",
        "not a valid repository name or registry path",
    )
}

fn target_name<'a>(t: &Target<'a>) -> &'a str {
    match t {
        Target::Manifest(n, _)
        | Target::Upload(n, _)
        | Target::Blob(n, _)
        | Target::Tags(n)
        | Target::Referrers(n, _) => n,
    }
}

#[allow(clippy::too_many_arguments)]
async fn dispatch(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Path(rest): Path<String>,
    Query(q): Query<Params>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let target = parse_target(&rest).ok_or_else(name_invalid)?;
    let name = target_name(&target);
    let read = method == Method::GET || method == Method::HEAD;
    let need = if read { Level::Read } else { Level::Write };
    authorize(&reg, &caller, &headers, name, need).await?;
    if matches!(method, Method::POST | Method::PUT | Method::PATCH) {
        // The first push creates the repository; a generic one refuses.
        reg.ensure_repository(name, "oci").await?;
    }
    match (target, method) {
        (Target::Referrers(name, digest), Method::GET) => {
            referrers(&reg, name, digest, q.artifact_type.as_deref(), &caller).await
        }
        (Target::Blob(name, digest), m) if m == Method::GET || m == Method::HEAD => {
            // HEAD says only whether it exists (pushers ask before
            // uploading); content needs the policy's consent.
            let head = m == Method::HEAD;
            let v = if head {
                None
            } else {
                let v = reg.gate_blob(name, digest, &actor(&caller)).await?;
                if !v.allowed {
                    return Err(policy_denied(name, &v));
                }
                Some(v)
            };
            let r = get_blob(&reg, name, digest, head, &headers).await?;
            Ok(match v {
                Some(v) => with_warning(r, &v),
                None => r,
            })
        }
        (Target::Blob(name, digest), Method::DELETE) => {
            if reg.unlink_blob(name, digest).await? {
                Ok(StatusCode::ACCEPTED.into_response())
            } else {
                Err(RegistryError::BlobUnknown.into())
            }
        }
        (Target::Upload(name, ""), Method::POST) => {
            // Mounting also needs read access to the source.
            // ... and the source's policy must let the blob be read: a
            // mount is not a way around enforcement.
            let from_ok = match (&q.from, &q.mount) {
                (Some(from), Some(digest)) if names::valid_repository(from) => {
                    authorize(&reg, &caller, &headers, from, Level::Read)
                        .await
                        .is_ok()
                        && reg.gate_blob(from, digest, &actor(&caller)).await?.allowed
                }
                _ => false,
            };
            start_upload(&reg, name, &q, from_ok, body).await
        }
        (Target::Upload(name, id), Method::PATCH) => {
            let start = content_range_start(&headers)?;
            let size = reg.append(name, id, start, body.into_data_stream()).await?;
            Ok(upload_accepted(name, id, size))
        }
        (Target::Upload(name, id), Method::PUT) => {
            let digest = q.digest.as_deref().ok_or_else(|| {
                OciError::new(
                    StatusCode::BAD_REQUEST,
                    "DIGEST_INVALID",
                    "finishing an upload needs ?digest=sha256:...",
                )
            })?;
            reg.finish_upload(name, id, digest, body.into_data_stream())
                .await?;
            Ok(blob_created(name, digest))
        }
        (Target::Upload(name, id), Method::GET) => {
            let size = reg
                .upload_size(name, id)
                .await?
                .ok_or(RegistryError::UploadUnknown)?;
            let mut r = upload_accepted(name, id, size);
            *r.status_mut() = StatusCode::NO_CONTENT;
            Ok(r)
        }
        (Target::Upload(name, id), Method::DELETE) => {
            if reg.cancel_upload(name, id).await? {
                Ok(StatusCode::NO_CONTENT.into_response())
            } else {
                Err(RegistryError::UploadUnknown.into())
            }
        }
        (Target::Manifest(name, reference), Method::PUT) => {
            put_manifest(&reg, name, reference, &headers, body, &actor(&caller)).await
        }
        (Target::Manifest(name, reference), m) if m == Method::GET || m == Method::HEAD => {
            // Writers may HEAD what they pushed (to sign it); readers see
            // quarantined manifests neither by HEAD nor by GET.
            let head_ok = m == Method::HEAD
                && (names::sha256_hex(reference).is_some()
                    || caller.principal.can(name, Level::Write));
            get_manifest(&reg, name, reference, m == Method::HEAD, head_ok, &caller).await
        }
        (Target::Manifest(name, reference), Method::DELETE) => {
            let gone = if names::sha256_hex(reference).is_some() {
                reg.delete_manifest(name, reference).await?
            } else if names::valid_tag(reference) {
                reg.delete_tag(name, reference).await?
            } else {
                return Err(reference_invalid(reference));
            };
            if gone {
                Ok(StatusCode::ACCEPTED.into_response())
            } else {
                Err(manifest_unknown())
            }
        }
        (Target::Tags(name), Method::GET) => tags_list(&reg, name, &q, &caller).await,
        _ => Err(OciError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            "this method is not supported on this path",
        )),
    }
}

fn manifest_unknown() -> OciError {
    OciError::new(
        StatusCode::NOT_FOUND,
        "MANIFEST_UNKNOWN",
        "manifest unknown to this repository",
    )
}

fn reference_invalid(reference: &str) -> OciError {
    OciError::new(
        StatusCode::BAD_REQUEST,
        "MANIFEST_INVALID",
        format!("{reference:?} is neither a tag nor a sha256 digest"),
    )
}

/// `Content-Range: <start>-<end>` of a PATCH, when present.
fn content_range_start(headers: &HeaderMap) -> OciResult<Option<u64>> {
    let Some(v) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("");
    let s = s.strip_prefix("bytes ").unwrap_or(s);
    s.split_once('-')
        .and_then(|(a, _)| a.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| {
            OciError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "BLOB_UPLOAD_INVALID",
                "Content-Range must be <start>-<end>",
            )
        })
}

pub(crate) fn with_headers(mut r: Response, pairs: &[(&'static str, String)]) -> Response {
    for (k, v) in pairs {
        if let Ok(v) = HeaderValue::from_str(v) {
            r.headers_mut().insert(*k, v);
        }
    }
    r
}

fn upload_accepted(name: &str, id: &str, size: u64) -> Response {
    let range = format!("0-{}", size.saturating_sub(1));
    with_headers(
        StatusCode::ACCEPTED.into_response(),
        &[
            ("location", format!("/v2/{name}/blobs/uploads/{id}")),
            ("range", range),
            ("docker-upload-uuid", id.to_owned()),
        ],
    )
}

fn blob_created(name: &str, digest: &str) -> Response {
    with_headers(
        StatusCode::CREATED.into_response(),
        &[
            ("location", format!("/v2/{name}/blobs/{digest}")),
            ("docker-content-digest", digest.to_owned()),
        ],
    )
}

async fn start_upload(
    reg: &Registry,
    name: &str,
    q: &Params,
    from_ok: bool,
    body: Body,
) -> OciResult<Response> {
    if let (Some(digest), Some(from)) = (&q.mount, &q.from)
        && from_ok
        && reg.mount(name, from, digest).await?
    {
        return Ok(blob_created(name, digest));
    }
    let id = reg.start_upload(name).await?;
    if let Some(digest) = &q.digest {
        // Monolithic upload: POST with ?digest= and the whole blob.
        reg.finish_upload(name, &id, digest, body.into_data_stream())
            .await?;
        return Ok(blob_created(name, digest));
    }
    Ok(upload_accepted(name, &id, 0))
}

/// The single byte range of a `Range: bytes=a-b` / `bytes=a-` / `bytes=-n`
/// header within `size` (end exclusive); `Err` when unsatisfiable.
pub(crate) fn byte_range(
    headers: &HeaderMap,
    size: u64,
) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(v) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let spec = v.to_str().map_err(|_| ())?.trim();
    let spec = spec.strip_prefix("bytes=").ok_or(())?;
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            (size.saturating_sub(n), size)
        }
        (a, "") => (a.parse().map_err(|_| ())?, size),
        (a, b) => {
            let b: u64 = b.parse().map_err(|_| ())?;
            (a.parse().map_err(|_| ())?, b.saturating_add(1).min(size))
        }
    };
    if start >= end || start >= size {
        return Err(());
    }
    Ok(Some(start..end))
}

async fn get_blob(
    reg: &Registry,
    name: &str,
    digest: &str,
    head: bool,
    headers: &HeaderMap,
) -> OciResult<Response> {
    if names::sha256_hex(digest).is_none() {
        return Err(OciError::new(
            StatusCode::BAD_REQUEST,
            "DIGEST_INVALID",
            "a blob digest is sha256:<64 lowercase hex>",
        ));
    }
    let size = reg
        .blob_size(name, digest)
        .await?
        .ok_or(RegistryError::BlobUnknown)?;
    let range = byte_range(headers, size).map_err(|()| {
        let mut e = OciError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "BLOB_UNKNOWN",
            format!("the requested range is not within the blob's {size} bytes"),
        );
        e.content_range = Some(format!("bytes */{size}"));
        e
    })?;
    let mut out = vec![
        ("docker-content-digest", digest.to_owned()),
        ("content-type", "application/octet-stream".to_owned()),
        ("accept-ranges", "bytes".to_owned()),
    ];
    let status = match &range {
        Some(r) => {
            out.push(("content-length", (r.end - r.start).to_string()));
            out.push((
                "content-range",
                format!("bytes {}-{}/{size}", r.start, r.end - 1),
            ));
            StatusCode::PARTIAL_CONTENT
        }
        None => {
            out.push(("content-length", size.to_string()));
            StatusCode::OK
        }
    };
    if head {
        return Ok(with_headers(status.into_response(), &out));
    }
    let (_, stream) = reg
        .blob(name, digest, range)
        .await?
        .ok_or(RegistryError::BlobUnknown)?;
    Ok(with_headers(
        (status, Body::from_stream(stream)).into_response(),
        &out,
    ))
}

const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

fn manifest_invalid(message: impl Into<String>) -> OciError {
    OciError::new(StatusCode::BAD_REQUEST, "MANIFEST_INVALID", message)
}

async fn put_manifest(
    reg: &Registry,
    name: &str,
    reference: &str,
    headers: &HeaderMap,
    body: Body,
    actor: &str,
) -> OciResult<Response> {
    let by_digest = names::sha256_hex(reference).is_some();
    if !by_digest && !names::valid_tag(reference) {
        return Err(reference_invalid(reference));
    }
    let bytes = axum::body::to_bytes(body, reg.max_manifest())
        .await
        .map_err(|_| {
            OciError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "SIZE_INVALID",
                format!(
                    "the manifest exceeds this registry's limit of {} bytes (SIGNET_MAX_MANIFEST)",
                    reg.max_manifest()
                ),
            )
        })?;
    let digest = format!(
        "sha256:{}",
        signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[&bytes]))
    );
    if by_digest && digest != reference {
        return Err(OciError::new(
            StatusCode::BAD_REQUEST,
            "DIGEST_INVALID",
            format!("the manifest's digest is {digest}, not {reference}"),
        ));
    }
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| manifest_invalid(format!("the manifest is not JSON: {e}")))?;
    let media_type = doc
        .get("mediaType")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .ok_or_else(|| manifest_invalid("the manifest has no mediaType and no Content-Type"))?;
    if !MANIFEST_TYPES.contains(&media_type.as_str()) {
        return Err(manifest_invalid(format!(
            "unsupported manifest media type {media_type:?}"
        )));
    }
    if doc.get("schemaVersion").and_then(Value::as_u64) != Some(2) {
        return Err(manifest_invalid("schemaVersion must be 2"));
    }
    let index = names::is_index(&media_type);
    // Everything the manifest references must already be in this repository.
    let refs = names::manifest_references(&doc, index).map_err(manifest_invalid)?;
    for d in &refs {
        let known = if index {
            reg.db().manifest(name, d).await?.is_some()
        } else {
            reg.blob_size(name, d).await?.is_some()
        };
        if !known {
            return Err(OciError::new(
                StatusCode::BAD_REQUEST,
                if index {
                    "MANIFEST_UNKNOWN"
                } else {
                    "MANIFEST_BLOB_UNKNOWN"
                },
                format!("{d:?} is referenced but not in this repository; push it first"),
            ));
        }
    }
    let referrer = match doc.get("subject") {
        None | Some(Value::Null) => None,
        Some(subject) => {
            let sd = subject
                .get("digest")
                .and_then(Value::as_str)
                .filter(|d| names::sha256_hex(d).is_some())
                .ok_or_else(|| manifest_invalid("subject.digest must be a sha256 digest"))?;
            let artifact_type = doc
                .get("artifactType")
                .and_then(Value::as_str)
                .or_else(|| {
                    doc.get("config")
                        .and_then(|c| c.get("mediaType"))
                        .and_then(Value::as_str)
                })
                .unwrap_or("")
                .to_owned();
            Some(super::db::Referrer {
                subject: sd.to_owned(),
                artifact_type,
                annotations: doc.get("annotations").map(Value::to_string),
            })
        }
    };
    let m = Manifest {
        digest: digest.clone(),
        media_type,
        body: bytes.to_vec(),
    };
    let also = super::signing::signature_events(
        actor,
        name,
        &m,
        (!by_digest).then_some(reference),
        referrer.as_ref(),
    );
    let push = super::db::Push {
        refs: refs.iter().map(|d| d.to_string()).collect(),
        also,
        event: super::signing_db::AuditEvent::new(
            actor,
            "push",
            name,
            &digest,
            "ok",
            json!({
                "tag": (!by_digest).then_some(reference),
                "media_type": m.media_type,
                "subject": referrer.as_ref().map(|r| r.subject.clone()),
                "artifact_type": referrer.as_ref().map(|r| r.artifact_type.clone()),
            }),
        ),
    };
    reg.put_manifest(
        name,
        &m,
        (!by_digest).then_some(reference),
        referrer.as_ref(),
        &push,
    )
    .await?;
    let mut out = vec![
        ("location", format!("/v2/{name}/manifests/{digest}")),
        ("docker-content-digest", digest),
    ];
    if let Some(r) = referrer {
        out.push(("oci-subject", r.subject));
    }
    Ok(with_headers(StatusCode::CREATED.into_response(), &out))
}

async fn get_manifest(
    reg: &Registry,
    name: &str,
    reference: &str,
    head: bool,
    head_ok: bool,
    caller: &Caller,
) -> OciResult<Response> {
    if names::sha256_hex(reference).is_none() && !names::valid_tag(reference) {
        return Err(reference_invalid(reference));
    }
    let (m, epoch) = reg.db().manifest_with_epoch(name, reference).await?;
    let m = m.ok_or_else(manifest_unknown)?;
    // The decision is on the very manifest served (a tag moving meanwhile
    // changes nothing).
    let verdict = if head_ok {
        None
    } else {
        let v = reg.gate_manifest(name, &m, epoch, &actor(caller)).await?;
        if !v.allowed {
            return Err(policy_denied(name, &v));
        }
        Some(v)
    };
    let headers = [
        ("content-type", m.media_type.clone()),
        ("docker-content-digest", m.digest.clone()),
        ("content-length", m.body.len().to_string()),
    ];
    let r = if head {
        StatusCode::OK.into_response()
    } else {
        m.body.into_response()
    };
    let r = with_headers(r, &headers);
    Ok(match verdict {
        Some(v) => with_warning(r, &v),
        None => r,
    })
}

const PAGE_MAX: u32 = 1000;

async fn tags_list(reg: &Registry, name: &str, q: &Params, caller: &Caller) -> OciResult<Response> {
    let n = q.n.unwrap_or(PAGE_MAX).min(PAGE_MAX);
    let tags = reg.db().tags(name, q.last.as_deref(), n).await?;
    // Quarantined tags are not listed (the page may come out short; the
    // link still follows the last stored tag).
    let raw_last = tags.last().cloned();
    let raw_len = tags.len();
    let mut visible = Vec::with_capacity(tags.len());
    for t in tags {
        let (m, epoch) = reg.db().manifest_with_epoch(name, &t).await?;
        match m {
            Some(m)
                if !reg
                    .gate_manifest(name, &m, epoch, &actor(caller))
                    .await?
                    .allowed => {}
            _ => visible.push(t),
        }
    }
    let tags = visible;
    if tags.is_empty() && q.last.is_none() && !reg.db().repo_exists(name).await? {
        return Err(OciError::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            format!("repository {name} is not known to this registry"),
        ));
    }
    let next = (raw_len == n as usize && n > 0)
        .then_some(raw_last)
        .flatten();
    let mut r = axum::Json(json!({"name": name, "tags": tags})).into_response();
    if let Some(last) = next {
        r = with_headers(
            r,
            &[(
                "link",
                format!("</v2/{name}/tags/list?n={n}&last={last}>; rel=\"next\""),
            )],
        );
    }
    Ok(r)
}

async fn catalog(
    State(reg): State<Registry>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<Params>,
) -> OciResult<Response> {
    let n = q.n.unwrap_or(PAGE_MAX).min(PAGE_MAX);
    // Only repositories the caller may read.
    let repos: Vec<String> = reg
        .repositories_where(q.last.clone(), n as usize, |r| {
            r.kind == "oci" && (r.anonymous_read || caller.principal.can(&r.name, Level::Read))
        })
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let next = (repos.len() == n as usize && n > 0)
        .then(|| repos.last().cloned())
        .flatten();
    // A protected repository whose every tag is quarantined is not listed.
    let who = actor(&caller);
    let mut listed = Vec::with_capacity(repos.len());
    for name in repos {
        if reg.has_visible_tag(&name, &who).await? {
            listed.push(name);
        }
    }
    let repos = listed;
    let mut r = axum::Json(json!({"repositories": repos})).into_response();
    if let Some(last) = next {
        r = with_headers(
            r,
            &[(
                "link",
                format!("</v2/_catalog?n={n}&last={last}>; rel=\"next\""),
            )],
        );
    }
    Ok(r)
}

/// `GET /v2/<name>/referrers/<digest>`: an index of the manifests whose
/// subject is `digest`, plus those a client listed in the tag-schema
/// fallback index (`sha256-<hex>`), filtered by `artifactType`.
async fn referrers(
    reg: &Registry,
    name: &str,
    digest: &str,
    artifact_type: Option<&str>,
    caller: &Caller,
) -> OciResult<Response> {
    let hex = names::sha256_hex(digest).ok_or_else(|| {
        OciError::new(
            StatusCode::BAD_REQUEST,
            "DIGEST_INVALID",
            "a referrers subject is sha256:<64 lowercase hex>",
        )
    })?;
    let mut manifests: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in reg.db().referrers(name, digest, artifact_type).await? {
        seen.insert(r.digest.clone());
        let mut d = json!({
            "mediaType": r.media_type,
            "digest": r.digest,
            "size": r.size,
            "artifactType": r.artifact_type,
        });
        if let Some(a) = r
            .annotations
            .and_then(|a| serde_json::from_str::<Value>(&a).ok())
        {
            d["annotations"] = a;
        }
        manifests.push(d);
    }
    if let Some(fallback) = reg.db().manifest(name, &format!("sha256-{hex}")).await?
        && let Ok(doc) = serde_json::from_slice::<Value>(&fallback.body)
        && let Some(list) = doc.get("manifests").and_then(Value::as_array)
    {
        for d in list {
            let dg = d.get("digest").and_then(Value::as_str).unwrap_or("");
            let at = d.get("artifactType").and_then(Value::as_str);
            if !seen.contains(dg) && artifact_type.is_none_or(|want| at == Some(want)) {
                seen.insert(dg.to_owned());
                manifests.push(d.clone());
            }
        }
    }
    // Signatures and attestations are listed; any other referrer (an
    // image that names a subject) only if it may be read itself.
    let mut listed = Vec::with_capacity(manifests.len());
    for d in manifests {
        let dg = d.get("digest").and_then(Value::as_str).unwrap_or("");
        let (m, epoch) = reg.db().manifest_with_epoch(name, dg).await?;
        match m {
            Some(m)
                if !reg
                    .gate_manifest(name, &m, epoch, &actor(caller))
                    .await?
                    .allowed => {}
            _ => listed.push(d),
        }
    }
    let body = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": listed,
    });
    let mut r = with_headers(
        axum::Json(body).into_response(),
        &[(
            "content-type",
            "application/vnd.oci.image.index.v1+json".to_owned(),
        )],
    );
    if artifact_type.is_some() {
        r = with_headers(r, &[("oci-filters-applied", "artifactType".to_owned())]);
    }
    Ok(r)
}
