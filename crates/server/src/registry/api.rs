//! OCI distribution spec v1.1 over HTTP: `/v2/`, blobs (monolithic and
//! chunked uploads, cross-repository mount), manifests by tag or digest,
//! tags list and catalog with pagination, deletes, and the spec's error
//! codes. Every request must carry the admin credential (HTTP Basic): no
//! anonymous access, read or write.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Manifest, Registry, RegistryError, names};

/// An OCI error response.
struct OciError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// `Content-Range: bytes */SIZE` of a 416.
    content_range: Option<String>,
}

impl OciError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            content_range: None,
        }
    }

    fn internal(e: &anyhow::Error) -> Self {
        tracing::error!(error = %format!("{e:#}"), "registry request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            "internal error (see the server log)",
        )
    }
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
            RegistryError::Internal(e) => Self::internal(&e),
        }
    }
}

impl IntoResponse for OciError {
    fn into_response(self) -> Response {
        let body = json!({"errors": [{"code": self.code, "message": self.message}]});
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(v) = self
            .content_range
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            r.headers_mut().insert(header::CONTENT_RANGE, v);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"signet\""),
            );
        }
        r
    }
}

type OciResult<T> = Result<T, OciError>;

/// The registry's routes (under `/v2/`).
pub fn router(registry: Registry) -> Router {
    Router::new()
        .route("/v2/", get(base))
        .route("/v2/_catalog", get(catalog))
        .route("/v2/{*rest}", any(dispatch))
        .layer(middleware::from_fn_with_state(registry.clone(), auth))
        .with_state(registry)
}

/// Every `/v2/` request needs the admin credential.
async fn auth(State(reg): State<Registry>, req: Request, next: Next) -> Response {
    let creds = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let ok = match creds.as_deref().and_then(|c| c.split_once(':')) {
        Some((user, pass)) => match reg.check_admin(user, pass).await {
            Ok(ok) => ok,
            Err(e) => return OciError::internal(&e).into_response(),
        },
        None => false,
    };
    if !ok {
        let msg = if creds.is_some() {
            "wrong user name or password"
        } else {
            "authentication required (HTTP Basic: user admin, the token from <data-dir>/admin-token)"
        };
        return OciError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", msg).into_response();
    }
    next.run(req).await
}

async fn base() -> impl IntoResponse {
    (
        [("Docker-Distribution-API-Version", "registry/2.0")],
        axum::Json(json!({})),
    )
}

#[derive(Deserialize, Default)]
struct Params {
    digest: Option<String>,
    mount: Option<String>,
    from: Option<String>,
    n: Option<u32>,
    last: Option<String>,
}

/// What a `/v2/<name>/...` path addresses.
enum Target<'a> {
    Manifest(&'a str, &'a str),
    Upload(&'a str, &'a str),
    Blob(&'a str, &'a str),
    Tags(&'a str),
}

fn parse_target(rest: &str) -> Option<Target<'_>> {
    let t = if let Some(name) = rest.strip_suffix("/tags/list") {
        Target::Tags(name)
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
        Target::Manifest(n, _) | Target::Upload(n, _) | Target::Blob(n, _) | Target::Tags(n) => n,
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

async fn dispatch(
    State(reg): State<Registry>,
    Path(rest): Path<String>,
    Query(q): Query<Params>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> OciResult<Response> {
    let target = parse_target(&rest).ok_or_else(name_invalid)?;
    match (target, method) {
        (Target::Blob(name, digest), m) if m == Method::GET || m == Method::HEAD => {
            get_blob(&reg, name, digest, m == Method::HEAD, &headers).await
        }
        (Target::Blob(name, digest), Method::DELETE) => {
            if reg.db().unlink_blob(name, digest).await? {
                Ok(StatusCode::ACCEPTED.into_response())
            } else {
                Err(RegistryError::BlobUnknown.into())
            }
        }
        (Target::Upload(name, ""), Method::POST) => start_upload(&reg, name, &q, body).await,
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
            put_manifest(&reg, name, reference, &headers, body).await
        }
        (Target::Manifest(name, reference), m) if m == Method::GET || m == Method::HEAD => {
            get_manifest(&reg, name, reference, m == Method::HEAD).await
        }
        (Target::Manifest(name, reference), Method::DELETE) => {
            let gone = if names::sha256_hex(reference).is_some() {
                reg.db().delete_manifest(name, reference).await?
            } else if names::valid_tag(reference) {
                reg.db().delete_tag(name, reference).await?
            } else {
                return Err(reference_invalid(reference));
            };
            if gone {
                Ok(StatusCode::ACCEPTED.into_response())
            } else {
                Err(manifest_unknown())
            }
        }
        (Target::Tags(name), Method::GET) => tags_list(&reg, name, &q).await,
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

fn with_headers(mut r: Response, pairs: &[(&'static str, String)]) -> Response {
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

async fn start_upload(reg: &Registry, name: &str, q: &Params, body: Body) -> OciResult<Response> {
    if let (Some(digest), Some(from)) = (&q.mount, &q.from)
        && names::valid_repository(from)
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
fn byte_range(headers: &HeaderMap, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
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
    let index = media_type.ends_with("index.v1+json") || media_type.ends_with("list.v2+json");
    // Everything the manifest references must already be in this repository.
    let refs: Vec<&str> = if index {
        doc.get("manifests")
            .and_then(Value::as_array)
            .ok_or_else(|| manifest_invalid("an index needs a manifests array"))?
            .iter()
            .map(|m| m.get("digest").and_then(Value::as_str).unwrap_or(""))
            .collect()
    } else {
        let config = doc
            .get("config")
            .and_then(|c| c.get("digest"))
            .and_then(Value::as_str)
            .ok_or_else(|| manifest_invalid("an image manifest needs config.digest"))?;
        let layers = doc
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| manifest_invalid("an image manifest needs a layers array"))?;
        std::iter::once(config)
            .chain(
                layers
                    .iter()
                    .map(|l| l.get("digest").and_then(Value::as_str).unwrap_or("")),
            )
            .collect()
    };
    for d in refs {
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
    let m = Manifest {
        digest: digest.clone(),
        media_type,
        body: bytes.to_vec(),
    };
    reg.db()
        .put_manifest(name, &m, (!by_digest).then_some(reference))
        .await?;
    Ok(with_headers(
        StatusCode::CREATED.into_response(),
        &[
            ("location", format!("/v2/{name}/manifests/{digest}")),
            ("docker-content-digest", digest),
        ],
    ))
}

async fn get_manifest(
    reg: &Registry,
    name: &str,
    reference: &str,
    head: bool,
) -> OciResult<Response> {
    if names::sha256_hex(reference).is_none() && !names::valid_tag(reference) {
        return Err(reference_invalid(reference));
    }
    let m = reg
        .db()
        .manifest(name, reference)
        .await?
        .ok_or_else(manifest_unknown)?;
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
    Ok(with_headers(r, &headers))
}

const PAGE_MAX: u32 = 1000;

async fn tags_list(reg: &Registry, name: &str, q: &Params) -> OciResult<Response> {
    let n = q.n.unwrap_or(PAGE_MAX).min(PAGE_MAX);
    let tags = reg.db().tags(name, q.last.as_deref(), n).await?;
    if tags.is_empty() && q.last.is_none() && !reg.db().repo_exists(name).await? {
        return Err(OciError::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            format!("repository {name} is not known to this registry"),
        ));
    }
    let next = (tags.len() == n as usize && n > 0)
        .then(|| tags.last().cloned())
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

async fn catalog(State(reg): State<Registry>, Query(q): Query<Params>) -> OciResult<Response> {
    let n = q.n.unwrap_or(PAGE_MAX).min(PAGE_MAX);
    let repos = reg.db().catalog(q.last.as_deref(), n).await?;
    let next = (repos.len() == n as usize && n > 0)
        .then(|| repos.last().cloned())
        .flatten();
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
