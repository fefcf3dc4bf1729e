//! The OpenAPI 3.1 document of the REST API (`/api/v1/...` and the token
//! endpoint), generated with utoipa and served at `/api/openapi.json`. The
//! OCI distribution routes under `/v2/` follow the OCI spec and are not
//! repeated here.
#![allow(dead_code)] // the functions below exist only to carry path docs

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// A repository.
#[derive(Serialize, ToSchema)]
pub(crate) struct Repository {
    /// Lowercase path segments, e.g. `production/apps`.
    name: String,
    /// `oci` or `generic`.
    #[serde(rename = "type")]
    kind: String,
    /// Whether anyone may read it without credentials.
    anonymous_read: bool,
    /// Unix seconds.
    created: i64,
}

/// A new repository.
#[derive(Serialize, ToSchema)]
pub(crate) struct NewRepository {
    name: String,
    /// `oci` or `generic`.
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    anonymous_read: bool,
}

/// A change to a repository.
#[derive(Serialize, ToSchema)]
pub(crate) struct RepositoryChange {
    anonymous_read: Option<bool>,
}

/// A file in a generic repository.
#[derive(Serialize, ToSchema)]
pub(crate) struct File {
    path: String,
    size: u64,
    /// `sha256:<hex>`.
    digest: String,
    /// Hex SHA-256 (also in the `X-Checksum-Sha256` header).
    sha256: String,
    /// Unix seconds.
    created: i64,
}

/// A page of files.
#[derive(Serialize, ToSchema)]
pub(crate) struct FileList {
    repository: String,
    files: Vec<File>,
    /// Pass as `last` for the next page; null on the last page.
    next: Option<String>,
}

/// A new user.
#[derive(Serialize, ToSchema)]
pub(crate) struct NewUser {
    /// 1-64 of `a-z 0-9 . _ -`.
    name: String,
    /// At least 12 characters; stored as an argon2id hash.
    password: String,
    /// `LEVEL:GLOB`, LEVEL one of read, write, admin; `*` matches within a
    /// path segment, `**` across segments (e.g. `write:team/**`).
    grants: Vec<String>,
}

/// A new API token (capped by its owner's grants at every use).
#[derive(Serialize, ToSchema)]
pub(crate) struct NewToken {
    description: String,
    grants: Vec<String>,
    expires_in_days: Option<u32>,
}

/// An API token as listed (the secret is shown only once, at creation, as `token`).
#[derive(Serialize, ToSchema)]
pub(crate) struct Token {
    id: String,
    owner: String,
    grants: Vec<String>,
    description: String,
    created: i64,
    expires: Option<i64>,
    /// Only in the creation response: `sgn_...`.
    token: Option<String>,
}

/// A bearer token from `/v2/token`.
#[derive(Serialize, ToSchema)]
pub(crate) struct BearerToken {
    token: String,
    access_token: String,
    expires_in: i64,
}

/// An error.
#[derive(Serialize, ToSchema)]
pub(crate) struct Errors {
    /// `[{"code": "DENIED", "message": "..."}]`
    errors: Vec<ErrorItem>,
}

/// One error.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorItem {
    code: String,
    message: String,
}

#[utoipa::path(get, path = "/v2/token", tag = "auth",
    description = "A bearer token (5 minutes) carrying the caller's rights; anonymous callers get one for public repositories. Docker, podman, skopeo and oras reach it through the WWW-Authenticate challenge.",
    responses((status = 200, body = BearerToken), (status = 401, body = Errors)))]
fn token() {}

#[utoipa::path(get, path = "/api/v1/whoami", tag = "auth",
    responses((status = 200, description = "`{user, grants}`")))]
fn whoami() {}

#[utoipa::path(get, path = "/api/v1/repositories", tag = "repositories",
    description = "Repositories the caller may read.",
    params(("last" = Option<String>, Query), ("n" = Option<u32>, Query)),
    responses((status = 200, description = "`{repositories: [Repository]}`")))]
fn list_repositories() {}

#[utoipa::path(post, path = "/api/v1/repositories", tag = "repositories",
    description = "Needs admin on the name.", request_body = NewRepository,
    responses((status = 201, body = Repository), (status = 400, body = Errors), (status = 403, body = Errors), (status = 409, body = Errors)))]
fn create_repository() {}

#[utoipa::path(get, path = "/api/v1/repositories/{repo}", tag = "repositories",
    params(("repo" = String, Path, description = "may contain /")),
    responses((status = 200, body = Repository), (status = 404, body = Errors)))]
fn get_repository() {}

#[utoipa::path(patch, path = "/api/v1/repositories/{repo}", tag = "repositories",
    params(("repo" = String, Path)), request_body = RepositoryChange,
    responses((status = 200, body = Repository), (status = 403, body = Errors)))]
fn change_repository() {}

#[utoipa::path(delete, path = "/api/v1/repositories/{repo}", tag = "repositories",
    description = "Deletes its tags, manifests, links and files; blobs go at the next garbage collection.",
    params(("repo" = String, Path)),
    responses((status = 204), (status = 403, body = Errors), (status = 404, body = Errors)))]
fn delete_repository() {}

#[utoipa::path(get, path = "/api/v1/repositories/{repo}/files", tag = "files",
    description = "Lists files (a path ending in / lists that folder).",
    params(("repo" = String, Path), ("prefix" = Option<String>, Query), ("last" = Option<String>, Query), ("n" = Option<u32>, Query)),
    responses((status = 200, body = FileList)))]
fn list_files() {}

#[utoipa::path(put, path = "/api/v1/repositories/{repo}/files/{path}", tag = "files",
    description = "Streams the body into the store; with X-Checksum-Sha256 it is kept only if it matches. Creates a generic repository on first write.",
    params(("repo" = String, Path), ("path" = String, Path), ("X-Checksum-Sha256" = Option<String>, Header)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = File), (status = 400, body = Errors), (status = 403, body = Errors)))]
fn put_file() {}

#[utoipa::path(get, path = "/api/v1/repositories/{repo}/files/{path}", tag = "files",
    description = "The file, whole or one byte range (Range: bytes=a-b); HEAD gives the headers only.",
    params(("repo" = String, Path), ("path" = String, Path), ("Range" = Option<String>, Header)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 206), (status = 404, body = Errors), (status = 416, body = Errors)))]
fn get_file() {}

#[utoipa::path(delete, path = "/api/v1/repositories/{repo}/files/{path}", tag = "files",
    params(("repo" = String, Path), ("path" = String, Path)),
    responses((status = 204), (status = 404, body = Errors)))]
fn delete_file() {}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", description = "Needs admin:**.",
    responses((status = 200, description = "`{users: [{name, grants, created}]}`"), (status = 403, body = Errors)))]
fn list_users() {}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", description = "Needs admin:**.",
    request_body = NewUser, responses((status = 201), (status = 409, body = Errors)))]
fn create_user() {}

#[utoipa::path(delete, path = "/api/v1/users/{name}", tag = "users",
    params(("name" = String, Path)), responses((status = 204), (status = 404, body = Errors)))]
fn delete_user() {}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", description = "The caller's tokens (no secrets).",
    responses((status = 200, description = "`{tokens: [Token]}`")))]
fn list_tokens() {}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    description = "A token for the caller, at most what the caller has. Not with a /v2/token bearer token.",
    request_body = NewToken, responses((status = 201, body = Token), (status = 403, body = Errors)))]
fn create_token() {}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Errors)))]
fn delete_token() {}

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "signet serve", description = "Repositories, files, users and API tokens of a signet registry. Authenticate with HTTP Basic (password or API token `sgn_...`) or Bearer (an API token or a /v2/token token)."),
    paths(token, whoami, list_repositories, create_repository, get_repository, change_repository,
        delete_repository, list_files, put_file, get_file, delete_file, list_users, create_user,
        delete_user, list_tokens, create_token, delete_token),
    security(("basic" = []), ("bearer" = [])),
    modifiers(&Security)
)]
struct Doc;

/// The document as JSON.
pub(crate) fn json() -> String {
    Doc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}
