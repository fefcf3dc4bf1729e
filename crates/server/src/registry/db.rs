//! Registry metadata: blobs known, which repository links which blob,
//! manifests, tags, uploads in progress, and the admin credential. SQLite
//! (embedded default) or PostgreSQL, chosen by URL; one SQL text with `$N`
//! parameters serves both. Nothing is cached in the process, so replicas on
//! one PostgreSQL always agree.

use anyhow::{Context, Result};
use sqlx::Row;

use crate::sql::{self, Pool, on_pool};

/// Bumps the signing epoch (see `signing_db`).
const BUMP_EPOCH: &str = "UPDATE signing_epoch SET epoch = epoch + 1 WHERE id = 1";

/// Marks a change to repository `$1` and returns its new version: the
/// stamp of the artifacts overview rows the change touches. The first
/// statement of every transaction that changes a repository's manifests,
/// tags or files, so such transactions on one repository run one after
/// the other (PostgreSQL row lock) and each sees the last one's rows.
const BUMP_REPO: &str = "INSERT INTO repo_versions (repo, version) VALUES ($1, 1)
     ON CONFLICT (repo) DO UPDATE SET version = repo_versions.version + 1
     RETURNING version";

/// Bumps the repository's version in transaction `$tx`; evaluates to it.
macro_rules! bump_repo {
    ($tx:expr, $repo:expr) => {
        sqlx::query(BUMP_REPO)
            .bind($repo)
            .fetch_one($tx)
            .await?
            .try_get::<i64, _>("version")?
    };
}

/// Works out again the overview row of manifest `$digest` (gone when the
/// manifest is not listed, or not there), stamped `$v`.
macro_rules! refresh_artifact {
    ($tx:expr, $repo:expr, $digest:expr, $v:expr) => {
        sqlx::query(super::artifacts::FORGET_ROW)
            .bind($repo)
            .bind($digest)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(super::artifacts::REFRESH_ROW)
            .bind($repo)
            .bind($digest)
            .bind($v)
            .execute(&mut *$tx)
            .await?;
    };
}

/// Stamps `$v` on file `$path` (it or its signatures changed).
macro_rules! stamp_file {
    ($tx:expr, $repo:expr, $path:expr, $v:expr) => {
        sqlx::query(
            "INSERT INTO file_stamps (repo, path, stamp) VALUES ($1, $2, $3)
             ON CONFLICT (repo, path) DO UPDATE SET stamp = excluded.stamp",
        )
        .bind($repo)
        .bind($path)
        .bind($v)
        .execute(&mut *$tx)
        .await?;
    };
}

/// Stamps `$v` on the overview row of `$subject` and the images of it
/// (an index): their signatures or attestations changed.
macro_rules! restamp_subject {
    ($tx:expr, $repo:expr, $subject:expr, $v:expr) => {
        sqlx::query(super::artifacts::RESTAMP_SUBJECT)
            .bind($repo)
            .bind($subject)
            .bind($v)
            .execute(&mut *$tx)
            .await?;
    };
}

/// The registry database.
pub struct Db {
    pub(super) pool: Pool,
}

/// What makes a manifest a referrer.
#[derive(Debug, Clone)]
pub struct Referrer {
    /// The digest of the manifest it refers to.
    pub subject: String,
    /// Its `artifactType` (or its config's media type).
    pub artifact_type: String,
    /// Its annotations, as JSON.
    pub annotations: Option<String>,
}

/// A referrer as listed.
#[derive(Debug, Clone)]
pub struct ReferrerRow {
    /// The referrer manifest's digest.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its artifact type.
    pub artifact_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its annotations, as JSON.
    pub annotations: Option<String>,
}

/// A file in a generic repository.
#[derive(Debug, Clone)]
pub struct FileRow {
    /// Its path within the repository.
    pub path: String,
    /// `sha256:...` of its content.
    pub digest: String,
    /// Bytes.
    pub size: u64,
    /// Unix seconds when it was stored.
    pub created: i64,
}

/// An API token as stored (the secret itself only as a hash).
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// Public id (to list and revoke).
    pub id: String,
    /// The user it acts for.
    pub owner: String,
    /// JSON array of `LEVEL:GLOB` grants (capped by the owner's).
    pub grants: String,
    /// What it is for.
    pub description: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds, if it expires.
    pub expires: Option<i64>,
}

fn token_row<R: Row>(r: &R) -> Result<TokenRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(TokenRow {
        id: r.try_get("id")?,
        owner: r.try_get("owner")?,
        grants: r.try_get("grants")?,
        description: r.try_get("description")?,
        created: r.try_get("created")?,
        expires: r.try_get("expires")?,
    })
}

/// A repository's settings.
#[derive(Debug, Clone)]
pub struct RepositoryRow {
    /// Its name (`production/apps`).
    pub name: String,
    /// `oci` or `generic`.
    pub kind: String,
    /// Whether anyone may read it without credentials.
    pub anonymous_read: bool,
    /// Unix seconds.
    pub created: i64,
}

fn repository_row<R: Row>(r: &R) -> Result<RepositoryRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(RepositoryRow {
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        anonymous_read: r.try_get::<i64, _>("anonymous_read")? != 0,
        created: r.try_get("created")?,
    })
}

/// What is recorded with a manifest push, in its transaction.
#[derive(Debug, Clone)]
pub struct Push {
    /// Digests the manifest references (blobs, or an index's manifests).
    pub refs: Vec<String>,
    /// The `push` audit event.
    pub event: super::signing_db::AuditEvent,
    /// Further events (a signature push is also a `sign` event of the
    /// image it signs).
    pub also: Vec<super::signing_db::AuditEvent>,
}

/// A stored manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// `sha256:...` of the bytes.
    pub digest: String,
    /// Media type it was pushed with.
    pub media_type: String,
    /// The exact bytes pushed.
    pub body: Vec<u8>,
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY,
        password_hash TEXT,
        grants TEXT NOT NULL,
        created BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        token_sha256 TEXT NOT NULL UNIQUE,
        grants TEXT NOT NULL,
        description TEXT NOT NULL,
        created BIGINT NOT NULL,
        expires BIGINT
    )",
    "CREATE TABLE IF NOT EXISTS repositories (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        anonymous_read BIGINT NOT NULL,
        created BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS secrets (
        name TEXT PRIMARY KEY,
        value BYTEA NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS referrers (
        repo TEXT NOT NULL,
        subject TEXT NOT NULL,
        digest TEXT NOT NULL,
        media_type TEXT NOT NULL,
        artifact_type TEXT NOT NULL,
        size BIGINT NOT NULL,
        annotations TEXT,
        PRIMARY KEY (repo, subject, digest)
    )",
    "CREATE TABLE IF NOT EXISTS files (
        repo TEXT NOT NULL,
        path TEXT NOT NULL,
        digest TEXT NOT NULL,
        size BIGINT NOT NULL,
        created BIGINT NOT NULL,
        PRIMARY KEY (repo, path)
    )",
    "CREATE TABLE IF NOT EXISTS blobs (
        digest TEXT PRIMARY KEY,
        size BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS repo_blobs (
        repo TEXT NOT NULL,
        digest TEXT NOT NULL,
        PRIMARY KEY (repo, digest)
    )",
    "CREATE TABLE IF NOT EXISTS manifests (
        repo TEXT NOT NULL,
        digest TEXT NOT NULL,
        media_type TEXT NOT NULL,
        body BYTEA NOT NULL,
        PRIMARY KEY (repo, digest)
    )",
    "CREATE TABLE IF NOT EXISTS tags (
        repo TEXT NOT NULL,
        tag TEXT NOT NULL,
        digest TEXT NOT NULL,
        PRIMARY KEY (repo, tag)
    )",
    "CREATE TABLE IF NOT EXISTS blob_holds (
        digest TEXT PRIMARY KEY,
        uploads BIGINT NOT NULL,
        gc BIGINT NOT NULL,
        since BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS upload_chunks (
        id TEXT NOT NULL,
        n BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (id, n)
    )",
    "CREATE TABLE IF NOT EXISTS manifest_refs (
        repo TEXT NOT NULL,
        child TEXT NOT NULL,
        parent TEXT NOT NULL,
        PRIMARY KEY (repo, child, parent)
    )",
    "CREATE TABLE IF NOT EXISTS manifest_pushes (
        repo TEXT NOT NULL,
        digest TEXT NOT NULL,
        pushed BIGINT NOT NULL,
        pusher TEXT NOT NULL,
        PRIMARY KEY (repo, digest)
    )",
    "CREATE TABLE IF NOT EXISTS signing_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        public_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        repositories TEXT NOT NULL,
        metadata TEXT NOT NULL,
        created BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        expires BIGINT,
        revoked BIGINT
    )",
    "CREATE TABLE IF NOT EXISTS archive_keys (
        name TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        public_key TEXT NOT NULL,
        sealed_secret TEXT NOT NULL,
        created BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS server_keys (
        id TEXT PRIMARY KEY,
        encrypted_pem TEXT,
        pkcs11_uri TEXT
    )",
    "CREATE TABLE IF NOT EXISTS signing_policies (
        name TEXT PRIMARY KEY,
        document TEXT NOT NULL,
        version BIGINT NOT NULL,
        updated BIGINT NOT NULL,
        updated_by TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS signing_epoch (
        id BIGINT PRIMARY KEY,
        epoch BIGINT NOT NULL
    )",
    "INSERT INTO signing_epoch (id, epoch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
    "CREATE TABLE IF NOT EXISTS audit_events (
        id TEXT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        repository TEXT NOT NULL,
        subject TEXT NOT NULL,
        outcome TEXT NOT NULL,
        details TEXT NOT NULL,
        log_index BIGINT
    )",
    "CREATE INDEX IF NOT EXISTS tags_by_digest ON tags (repo, digest)",
    "CREATE INDEX IF NOT EXISTS manifest_refs_by_parent ON manifest_refs (repo, parent, child)",
    "CREATE INDEX IF NOT EXISTS audit_unlogged ON audit_events (time_ms) WHERE log_index IS NULL",
    "CREATE INDEX IF NOT EXISTS audit_by_subject ON audit_events (repository, subject, time_ms)",
    "CREATE INDEX IF NOT EXISTS audit_by_time ON audit_events (time_ms)",
    "CREATE TABLE IF NOT EXISTS repo_versions (
        repo TEXT PRIMARY KEY,
        version BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS uploads (
        id TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        size BIGINT NOT NULL,
        chunks BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS referrers_by_digest ON referrers (repo, digest)",
    // The artifacts overview's file sorts (by path: the primary key).
    "CREATE INDEX IF NOT EXISTS files_by_created ON files (repo, created, path)",
    "CREATE INDEX IF NOT EXISTS files_by_size ON files (repo, size, path)",
    "CREATE INDEX IF NOT EXISTS files_by_digest ON files (repo, digest, path)",
    // The artifacts overview: one row per listed image (see
    // `artifacts::REFRESH_ROW`), kept in the transaction of every change.
    "CREATE TABLE IF NOT EXISTS artifact_rows (
        repo TEXT NOT NULL,
        digest TEXT NOT NULL,
        media_type TEXT NOT NULL,
        name TEXT NOT NULL,
        tags TEXT NOT NULL,
        size BIGINT NOT NULL,
        pushed BIGINT NOT NULL,
        pusher TEXT NOT NULL,
        stamp BIGINT NOT NULL,
        PRIMARY KEY (repo, digest)
    )",
    "CREATE INDEX IF NOT EXISTS artifact_rows_by_pushed ON artifact_rows (repo, pushed, digest)",
    "CREATE INDEX IF NOT EXISTS artifact_rows_by_name ON artifact_rows (repo, name, digest)",
    "CREATE INDEX IF NOT EXISTS artifact_rows_by_size ON artifact_rows (repo, size, digest)",
    // When a file or its signatures last changed (no row: not since this
    // table came).
    "CREATE TABLE IF NOT EXISTS file_stamps (
        repo TEXT NOT NULL,
        path TEXT NOT NULL,
        stamp BIGINT NOT NULL,
        PRIMARY KEY (repo, path)
    )",
    // One-off data changes done (by name).
    "CREATE TABLE IF NOT EXISTS schema_marks (name TEXT PRIMARY KEY)",
    super::artifacts::BACKFILL_ROWS,
    "INSERT INTO schema_marks (name) VALUES ('artifact_rows') ON CONFLICT (name) DO NOTHING",
];

fn to_i64(v: u64) -> Result<i64> {
    i64::try_from(v).context("value too large for the registry database")
}

fn to_u64(v: i64) -> Result<u64> {
    u64::try_from(v).context("negative value in the registry database")
}

impl Db {
    /// Opens (creating tables) the database at `url`.
    pub async fn open(url: &str) -> Result<Self> {
        let spec = sql::Spec {
            what: "registry",
            // SQLite has no BYTEA; its type affinity takes it as a blob.
            sqlite_schema: SCHEMA,
            pg_schema: SCHEMA,
            schema_lock: 5_167_656_174,
            sqlite_connections: 8,
            pg_connections: 16,
            sqlite_tuning: |o| o,
        };
        Ok(Self {
            pool: sql::open(url, &spec).await?,
        })
    }

    /// Runs `statements` (each binding `key` as `$1`) in one transaction;
    /// returns how many rows the last one touched.
    async fn delete_all(&self, statements: &[&'static str], key: &str) -> Result<u64> {
        Ok(on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let mut n = 0;
            for q in statements {
                n = sqlx::query(*q).bind(key).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            n
        }))
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(&self.pool, p => {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    /// Creates a user unless the name is taken; true when created.
    pub async fn create_user(
        &self,
        name: &str,
        password_hash: Option<&str>,
        grants: &str,
        now: i64,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO users (name, password_hash, grants, created) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(password_hash)
            .bind(grants)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// `(password hash, grants JSON)` of a user.
    pub async fn user(&self, name: &str) -> Result<Option<(Option<String>, String)>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT password_hash, grants FROM users WHERE name = $1")
                .bind(name)
                .fetch_optional(p)
                .await?;
            row.map(|r| Ok((r.try_get("password_hash")?, r.try_get("grants")?)))
                .transpose()
        })
    }

    /// Every user: `(name, grants JSON, created)`.
    pub async fn users(&self) -> Result<Vec<(String, String, i64)>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query("SELECT name, grants, created FROM users ORDER BY name")
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("name")?, r.try_get("grants")?, r.try_get("created")?)))
                .collect()
        })
    }

    /// Deletes a user and their tokens; true when the user existed.
    pub async fn delete_user(&self, name: &str) -> Result<bool> {
        let stmts = [
            "DELETE FROM api_tokens WHERE owner = $1",
            "DELETE FROM users WHERE name = $1",
        ];
        Ok(self.delete_all(&stmts, name).await? > 0)
    }

    /// Stores an API token (only its SHA-256).
    pub async fn create_token(&self, t: &TokenRow, sha256_hex: &str) -> Result<()> {
        on_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO api_tokens (id, owner, token_sha256, grants, description, created, expires)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&t.id)
            .bind(&t.owner)
            .bind(sha256_hex)
            .bind(&t.grants)
            .bind(&t.description)
            .bind(t.created)
            .bind(t.expires)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The token whose secret has this SHA-256.
    pub async fn token_by_hash(&self, sha256_hex: &str) -> Result<Option<TokenRow>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query(
                "SELECT id, owner, grants, description, created, expires FROM api_tokens
                 WHERE token_sha256 = $1",
            )
            .bind(sha256_hex)
            .fetch_optional(p)
            .await?;
            row.map(|r| token_row(&r)).transpose()
        })
    }

    /// A user's tokens (no secrets).
    pub async fn tokens_of(&self, owner: &str) -> Result<Vec<TokenRow>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT id, owner, grants, description, created, expires FROM api_tokens
                 WHERE owner = $1 ORDER BY created, id",
            )
            .bind(owner)
            .fetch_all(p)
            .await?;
            rows.iter().map(token_row).collect()
        })
    }

    /// Deletes a token of `owner`; true when it existed.
    pub async fn delete_token(&self, owner: &str, id: &str) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            sqlx::query("DELETE FROM api_tokens WHERE owner = $1 AND id = $2")
                .bind(owner)
                .bind(id)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// A server secret, created from `fresh` by whichever replica comes first.
    pub async fn secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>> {
        on_pool!(&self.pool, p => {
            sqlx::query("INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(fresh)
                .execute(p)
                .await?;
            let row = sqlx::query("SELECT value FROM secrets WHERE name = $1")
                .bind(name)
                .fetch_one(p)
                .await?;
            Ok(row.try_get("value")?)
        })
    }

    /// Creates a repository unless it exists; returns the kind it has.
    pub async fn ensure_repository(&self, name: &str, kind: &str, now: i64) -> Result<String> {
        on_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO repositories (name, kind, anonymous_read, created) VALUES ($1, $2, 0, $3)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(kind)
            .bind(now)
            .execute(p)
            .await?;
            let row = sqlx::query("SELECT kind FROM repositories WHERE name = $1")
                .bind(name)
                .fetch_one(p)
                .await?;
            Ok(row.try_get("kind")?)
        })
    }

    /// Creates a repository; false when the name is taken.
    pub async fn create_repository(&self, r: &RepositoryRow) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO repositories (name, kind, anonymous_read, created) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(&r.name)
            .bind(&r.kind)
            .bind(i64::from(r.anonymous_read))
            .bind(r.created)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Sets whether anyone may read a repository; false when it does not exist.
    pub async fn set_anonymous_read(&self, name: &str, on: bool) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            sqlx::query("UPDATE repositories SET anonymous_read = $1 WHERE name = $2")
                .bind(i64::from(on))
                .bind(name)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// A repository.
    pub async fn repository(&self, name: &str) -> Result<Option<RepositoryRow>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query(
                "SELECT name, kind, anonymous_read, created FROM repositories WHERE name = $1",
            )
            .bind(name)
            .fetch_optional(p)
            .await?;
            row.map(|r| repository_row(&r)).transpose()
        })
    }

    /// Repositories in lexical order after `last`, at most `n`.
    pub async fn repositories(&self, last: Option<&str>, n: u32) -> Result<Vec<RepositoryRow>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT name, kind, anonymous_read, created FROM repositories
                 WHERE ($1 IS NULL OR name > $1) ORDER BY name LIMIT $2",
            )
            .bind(last)
            .bind(i64::from(n))
            .fetch_all(p)
            .await?;
            rows.iter().map(repository_row).collect()
        })
    }

    /// Deletes a repository and everything it links (blobs stay for the
    /// garbage collector); true when it existed.
    pub async fn delete_repository(&self, name: &str) -> Result<bool> {
        let stmts = [
            "DELETE FROM tags WHERE repo = $1",
            "DELETE FROM manifests WHERE repo = $1",
            "DELETE FROM repo_blobs WHERE repo = $1",
            "DELETE FROM referrers WHERE repo = $1",
            "DELETE FROM files WHERE repo = $1",
            "DELETE FROM upload_chunks WHERE id IN (SELECT id FROM uploads WHERE repo = $1)",
            "DELETE FROM uploads WHERE repo = $1",
            "DELETE FROM manifest_refs WHERE repo = $1",
            "DELETE FROM manifest_pushes WHERE repo = $1",
            "DELETE FROM artifact_rows WHERE repo = $1",
            "DELETE FROM file_stamps WHERE repo = $1",
            "UPDATE signing_epoch SET epoch = epoch + 1 WHERE id = 1 AND $1 = $1",
            "DELETE FROM repositories WHERE name = $1",
        ];
        Ok(self.delete_all(&stmts, name).await? > 0)
    }

    /// Size of a blob linked into `repo`, if it is.
    pub async fn repo_blob(&self, repo: &str, digest: &str) -> Result<Option<u64>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query(
                "SELECT b.size FROM repo_blobs r JOIN blobs b ON b.digest = r.digest
                 WHERE r.repo = $1 AND r.digest = $2",
            )
            .bind(repo)
            .bind(digest)
            .fetch_optional(p)
            .await?;
            row.map(|r| to_u64(r.try_get("size")?)).transpose()
        })
    }

    /// Records a stored blob and links it into `repo`.
    pub async fn link_blob(&self, repo: &str, digest: &str, size: u64) -> Result<()> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO blobs (digest, size) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING")
                .bind(digest)
                .bind(to_i64(size)?)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO repo_blobs (repo, digest) VALUES ($1, $2) ON CONFLICT (repo, digest) DO NOTHING")
                .bind(repo)
                .bind(digest)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Unlinks a blob from `repo`; true when it was linked.
    pub async fn unlink_blob(&self, repo: &str, digest: &str) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            sqlx::query("DELETE FROM repo_blobs WHERE repo = $1 AND digest = $2")
                .bind(repo)
                .bind(digest)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// Stores a manifest (idempotent) and, when given, points `tag` at it
    /// and records it as a referrer of its subject.
    pub async fn put_manifest(
        &self,
        repo: &str,
        m: &Manifest,
        tag: Option<&str>,
        referrer: Option<&Referrer>,
        push: &Push,
    ) -> Result<()> {
        let signed = tag.and_then(super::artifacts::signature_subject);
        let children: &[String] = if super::names::is_index(&m.media_type) {
            &push.refs
        } else {
            &[]
        };
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let v = bump_repo!(&mut *tx, repo);
            for child in &push.refs {
                sqlx::query(
                    "INSERT INTO manifest_refs (repo, child, parent) VALUES ($1, $2, $3)
                     ON CONFLICT (repo, child, parent) DO NOTHING",
                )
                .bind(repo)
                .bind(child)
                .bind(&m.digest)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO manifest_pushes (repo, digest, pushed, pusher) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (repo, digest) DO NOTHING",
            )
            .bind(repo)
            .bind(&m.digest)
            .bind(push.event.time_ms / 1000)
            .bind(&push.event.actor)
            .execute(&mut *tx)
            .await?;
            super::signing_db::insert_audit!(&mut *tx, push.event);
            for ev in &push.also {
                super::signing_db::insert_audit!(&mut *tx, ev);
            }
            if let Some(r) = referrer {
                sqlx::query(
                    "INSERT INTO referrers (repo, subject, digest, media_type, artifact_type, size, annotations)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (repo, subject, digest) DO NOTHING",
                )
                .bind(repo)
                .bind(&r.subject)
                .bind(&m.digest)
                .bind(&m.media_type)
                .bind(&r.artifact_type)
                .bind(to_i64(m.body.len() as u64)?)
                .bind(r.annotations.as_deref())
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO manifests (repo, digest, media_type, body) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (repo, digest) DO NOTHING",
            )
            .bind(repo)
            .bind(&m.digest)
            .bind(&m.media_type)
            .bind(m.body.as_slice())
            .execute(&mut *tx)
            .await?;
            let mut moved_from = None;
            if let Some(tag) = tag {
                // A signature tag moving may drop signatures: replicas
                // must re-verify what they cached.
                if tag.starts_with("sha256-") {
                    sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
                }
                moved_from = sqlx::query("SELECT digest FROM tags WHERE repo = $1 AND tag = $2")
                    .bind(repo)
                    .bind(tag)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get::<String, _>("digest"))
                    .transpose()?
                    .filter(|d| *d != m.digest);
                sqlx::query(
                    "INSERT INTO tags (repo, tag, digest) VALUES ($1, $2, $3)
                     ON CONFLICT (repo, tag) DO UPDATE SET digest = excluded.digest",
                )
                .bind(repo)
                .bind(tag)
                .bind(&m.digest)
                .execute(&mut *tx)
                .await?;
            }
            refresh_artifact!(tx, repo, &m.digest, v);
            for d in moved_from.iter().chain(children) {
                refresh_artifact!(tx, repo, d, v);
            }
            for s in signed.iter().chain(referrer.map(|r| &r.subject)) {
                restamp_subject!(tx, repo, s, v);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A manifest by digest or tag.
    pub async fn manifest(&self, repo: &str, reference: &str) -> Result<Option<Manifest>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query(
                "SELECT m.digest, m.media_type, m.body FROM manifests m
                 WHERE m.repo = $1 AND (m.digest = $2 OR m.digest =
                   (SELECT t.digest FROM tags t WHERE t.repo = $1 AND t.tag = $2))",
            )
            .bind(repo)
            .bind(reference)
            .fetch_optional(p)
            .await?;
            row.map(|r| {
                Ok(Manifest {
                    digest: r.try_get("digest")?,
                    media_type: r.try_get("media_type")?,
                    body: r.try_get("body")?,
                })
            })
            .transpose()
        })
    }

    /// Every manifest that may carry a signature about `subject` in `repo`,
    /// in one query: those tagged `tags` (cosign's `.sig`/`.att` tags and
    /// the referrers fallback tag), labelled with the tag, then the Sigstore
    /// bundle referrers, labelled with an empty string.
    pub async fn signature_manifests(
        &self,
        repo: &str,
        subject: &str,
        tags: [&str; 3],
    ) -> Result<Vec<(String, Manifest)>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT t.tag AS source, m.digest AS digest, m.media_type, m.body FROM tags t
                   JOIN manifests m ON m.repo = t.repo AND m.digest = t.digest
                   WHERE t.repo = $1 AND t.tag IN ($2, $3, $4)
                 UNION ALL
                 SELECT '' AS source, m.digest AS digest, m.media_type, m.body FROM referrers r
                   JOIN manifests m ON m.repo = r.repo AND m.digest = r.digest
                   WHERE r.repo = $1 AND r.subject = $5
                     AND r.artifact_type LIKE 'application/vnd.dev.sigstore.bundle%'
                 ORDER BY source DESC, digest",
            )
            .bind(repo)
            .bind(tags[0])
            .bind(tags[1])
            .bind(tags[2])
            .bind(subject)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get("source")?,
                        Manifest {
                            digest: r.try_get("digest")?,
                            media_type: r.try_get("media_type")?,
                            body: r.try_get("body")?,
                        },
                    ))
                })
                .collect()
        })
    }

    /// The archive signing key `name`: (armored public key, secret key
    /// armored and protected with the key-encryption key).
    pub async fn archive_key(&self, name: &str) -> Result<Option<(String, String)>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT public_key, sealed_secret FROM archive_keys WHERE name = $1")
                .bind(name)
                .fetch_optional(p)
                .await?;
            row.map(|r| Ok((r.try_get("public_key")?, r.try_get("sealed_secret")?)))
                .transpose()
        })
    }

    /// Stores archive key `name` unless one exists (replicas race; the first wins).
    pub async fn put_archive_key(
        &self,
        name: &str,
        fingerprint: &str,
        public_key: &str,
        sealed_secret: &str,
        created: i64,
    ) -> Result<()> {
        on_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO archive_keys (name, fingerprint, public_key, sealed_secret, created)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(fingerprint)
            .bind(public_key)
            .bind(sealed_secret)
            .bind(created)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// A manifest by digest or tag, and the signing epoch, in one query
    /// (the read path of enforcement).
    pub async fn manifest_with_epoch(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<(Option<Manifest>, i64)> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query(
                "SELECT e.epoch, m.digest, m.media_type, m.body FROM signing_epoch e
                 LEFT JOIN manifests m ON m.repo = $1 AND (m.digest = $2 OR m.digest =
                   (SELECT t.digest FROM tags t WHERE t.repo = $1 AND t.tag = $2))
                 WHERE e.id = 1",
            )
            .bind(repo)
            .bind(reference)
            .fetch_one(p)
            .await?;
            let epoch: i64 = row.try_get("epoch")?;
            let digest: Option<String> = row.try_get("digest")?;
            let m = match digest {
                Some(digest) => Some(Manifest {
                    digest,
                    media_type: row.try_get("media_type")?,
                    body: row.try_get("body")?,
                }),
                None => None,
            };
            Ok((m, epoch))
        })
    }

    /// Deletes a manifest and every tag on it; true when it existed.
    pub async fn delete_manifest(&self, repo: &str, digest: &str) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let v = bump_repo!(&mut *tx, repo);
            // What its going changes in the overview: the images it
            // signed or attested, and its own images (an index).
            let mut subjects = Vec::new();
            for r in sqlx::query(
                "SELECT tag AS d FROM tags WHERE repo = $1 AND digest = $2
                 UNION ALL SELECT subject AS d FROM referrers WHERE repo = $1 AND digest = $2",
            )
            .bind(repo)
            .bind(digest)
            .fetch_all(&mut *tx)
            .await?
            {
                let d: String = r.try_get("d")?;
                if let Some(s) = super::artifacts::signature_subject(&d) {
                    subjects.push(s);
                } else if d.starts_with("sha256:") {
                    subjects.push(d);
                }
            }
            let children = sqlx::query(
                "SELECT c.child FROM manifest_refs c
                   JOIN manifests m ON m.repo = c.repo AND m.digest = c.child
                  WHERE c.repo = $1 AND c.parent = $2",
            )
            .bind(repo)
            .bind(digest)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("child"))
            .collect::<Result<Vec<_>, _>>()?;
            sqlx::query("DELETE FROM tags WHERE repo = $1 AND digest = $2")
                .bind(repo)
                .bind(digest)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM referrers WHERE repo = $1 AND digest = $2")
                .bind(repo)
                .bind(digest)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM manifest_refs WHERE repo = $1 AND parent = $2")
                .bind(repo)
                .bind(digest)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM manifests WHERE repo = $1 AND digest = $2")
                .bind(repo)
                .bind(digest)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // A deleted signature must stop counting on every replica.
            sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
            for d in std::iter::once(digest).chain(children.iter().map(String::as_str)) {
                refresh_artifact!(tx, repo, d, v);
            }
            for s in &subjects {
                restamp_subject!(tx, repo, s, v);
            }
            tx.commit().await?;
            n
        });
        Ok(n > 0)
    }

    /// Deletes a tag; true when it existed.
    pub async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool> {
        let signed = super::artifacts::signature_subject(tag);
        let n = on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let v = bump_repo!(&mut *tx, repo);
            let was = sqlx::query("DELETE FROM tags WHERE repo = $1 AND tag = $2 RETURNING digest")
                .bind(repo)
                .bind(tag)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get::<String, _>("digest"))
                .transpose()?;
            if tag.starts_with("sha256-") {
                sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
            }
            if let Some(d) = &was {
                refresh_artifact!(tx, repo, d, v);
            }
            if let Some(s) = &signed {
                restamp_subject!(tx, repo, s, v);
            }
            tx.commit().await?;
            u64::from(was.is_some())
        });
        Ok(n > 0)
    }

    /// Tags of `repo` in lexical order after `last`, at most `n`.
    pub async fn tags(&self, repo: &str, last: Option<&str>, n: u32) -> Result<Vec<String>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT tag FROM tags WHERE repo = $1 AND ($2 IS NULL OR tag > $2)
                 ORDER BY tag LIMIT $3",
            )
            .bind(repo)
            .bind(last)
            .bind(i64::from(n))
            .fetch_all(p)
            .await?;
            rows.iter().map(|r| Ok(r.try_get("tag")?)).collect()
        })
    }

    /// Whether `repo` has any manifest or blob (tags list of an unknown
    /// repository is NAME_UNKNOWN).
    pub async fn repo_exists(&self, repo: &str) -> Result<bool> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query(
                "SELECT 1 AS x FROM manifests WHERE repo = $1
                 UNION ALL SELECT 1 AS x FROM repo_blobs WHERE repo = $1 LIMIT 1",
            )
            .bind(repo)
            .fetch_optional(p)
            .await?;
            Ok(row.is_some())
        })
    }

    /// Repositories with manifests, in lexical order after `last`, at most `n`.
    pub async fn catalog(&self, last: Option<&str>, n: u32) -> Result<Vec<String>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT DISTINCT repo FROM manifests WHERE ($1 IS NULL OR repo > $1)
                 ORDER BY repo LIMIT $2",
            )
            .bind(last)
            .bind(i64::from(n))
            .fetch_all(p)
            .await?;
            rows.iter().map(|r| Ok(r.try_get("repo")?)).collect()
        })
    }

    /// Manifests in `repo` whose subject is `subject`, optionally only of
    /// one artifact type.
    pub async fn referrers(
        &self,
        repo: &str,
        subject: &str,
        artifact_type: Option<&str>,
    ) -> Result<Vec<ReferrerRow>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT digest, media_type, artifact_type, size, annotations FROM referrers
                 WHERE repo = $1 AND subject = $2 AND ($3 IS NULL OR artifact_type = $3)
                 ORDER BY digest",
            )
            .bind(repo)
            .bind(subject)
            .bind(artifact_type)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ReferrerRow {
                        digest: r.try_get("digest")?,
                        media_type: r.try_get("media_type")?,
                        artifact_type: r.try_get("artifact_type")?,
                        size: to_u64(r.try_get("size")?)?,
                        annotations: r.try_get("annotations")?,
                    })
                })
                .collect()
        })
    }

    /// Records a file (replacing what the path held).
    pub async fn put_file(&self, repo: &str, f: &FileRow, actor: &str) -> Result<()> {
        let ev = super::signing_db::AuditEvent::new(
            actor,
            "push",
            repo,
            &f.path,
            "ok",
            serde_json::json!({"digest": f.digest, "size": f.size}),
        );
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let v = bump_repo!(&mut *tx, repo);
            super::signing_db::insert_audit!(&mut *tx, ev);
            stamp_file!(tx, repo, &f.path, v);
            if let Some(base) = super::signing::signed_file(&f.path) {
                sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
                stamp_file!(tx, repo, base, v);
                // The custody of the file it signs.
                let sign = super::signing_db::AuditEvent::new(
                    actor,
                    "sign",
                    repo,
                    base,
                    "ok",
                    serde_json::json!({"signature_file": f.path, "digest": f.digest}),
                );
                super::signing_db::insert_audit!(&mut *tx, sign);
            }
            sqlx::query("INSERT INTO blobs (digest, size) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING")
                .bind(&f.digest)
                .bind(to_i64(f.size)?)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO files (repo, path, digest, size, created) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (repo, path) DO UPDATE
                 SET digest = excluded.digest, size = excluded.size, created = excluded.created",
            )
            .bind(repo)
            .bind(&f.path)
            .bind(&f.digest)
            .bind(to_i64(f.size)?)
            .bind(f.created)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A file of `repo`.
    pub async fn file(&self, repo: &str, path: &str) -> Result<Option<FileRow>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query(
                "SELECT path, digest, size, created FROM files WHERE repo = $1 AND path = $2",
            )
            .bind(repo)
            .bind(path)
            .fetch_optional(p)
            .await?;
            row.map(|r| {
                Ok(FileRow {
                    path: r.try_get("path")?,
                    digest: r.try_get("digest")?,
                    size: to_u64(r.try_get("size")?)?,
                    created: r.try_get("created")?,
                })
            })
            .transpose()
        })
    }

    /// Files of `repo` under `prefix`, in path order after `last`, at most `n`.
    pub async fn files(
        &self,
        repo: &str,
        prefix: &str,
        last: Option<&str>,
        n: u32,
    ) -> Result<Vec<FileRow>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT path, digest, size, created FROM files
                 WHERE repo = $1 AND substr(path, 1, length($2)) = $2 AND ($3 IS NULL OR path > $3)
                 ORDER BY path LIMIT $4",
            )
            .bind(repo)
            .bind(prefix)
            .bind(last)
            .bind(i64::from(n))
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(FileRow {
                        path: r.try_get("path")?,
                        digest: r.try_get("digest")?,
                        size: to_u64(r.try_get("size")?)?,
                        created: r.try_get("created")?,
                    })
                })
                .collect()
        })
    }

    /// Deletes a file; true when it existed.
    pub async fn delete_file(&self, repo: &str, path: &str) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let v = bump_repo!(&mut *tx, repo);
            let n = sqlx::query("DELETE FROM files WHERE repo = $1 AND path = $2")
                .bind(repo)
                .bind(path)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM file_stamps WHERE repo = $1 AND path = $2")
                .bind(repo)
                .bind(path)
                .execute(&mut *tx)
                .await?;
            if let Some(base) = super::signing::signed_file(path) {
                sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
                stamp_file!(tx, repo, base, v);
            }
            tx.commit().await?;
            n
        });
        Ok(n > 0)
    }

    /// Takes a hold on `digest`: for an upload (or mount) about to write or
    /// link it (false while the garbage collector holds it; uploads share),
    /// or for the collector (false while any upload holds it). Holds older
    /// than `stale_before` (a crashed process) are overridden.
    pub async fn hold(&self, digest: &str, gc: bool, now: i64, stale_before: i64) -> Result<bool> {
        let q = if gc {
            "INSERT INTO blob_holds (digest, uploads, gc, since) VALUES ($1, 0, 1, $2)
             ON CONFLICT (digest) DO UPDATE SET uploads = 0, gc = 1, since = $2
             WHERE (blob_holds.uploads = 0 AND blob_holds.gc = 0) OR blob_holds.since < $3"
        } else {
            "INSERT INTO blob_holds (digest, uploads, gc, since) VALUES ($1, 1, 0, $2)
             ON CONFLICT (digest) DO UPDATE
             SET uploads = CASE WHEN blob_holds.gc = 0 THEN blob_holds.uploads + 1 ELSE 1 END,
                 gc = 0, since = $2
             WHERE blob_holds.gc = 0 OR blob_holds.since < $3"
        };
        let n = on_pool!(&self.pool, p => {
            sqlx::query(q)
                .bind(digest)
                .bind(now)
                .bind(stale_before)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Releases a hold taken with [`Db::hold`].
    pub async fn release(&self, digest: &str, gc: bool) -> Result<()> {
        let steps: &[&'static str] = if gc {
            &["DELETE FROM blob_holds WHERE digest = $1 AND gc = 1"]
        } else {
            &[
                "UPDATE blob_holds SET uploads = uploads - 1 WHERE digest = $1 AND uploads > 0",
                "DELETE FROM blob_holds WHERE digest = $1 AND uploads = 0 AND gc = 0",
            ]
        };
        for q in steps {
            on_pool!(&self.pool, p => {
                sqlx::query(*q).bind(digest).execute(p).await?;
            });
        }
        Ok(())
    }

    /// Whether any repository or file links `digest`.
    pub async fn referenced(&self, digest: &str) -> Result<bool> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query(
                "SELECT 1 AS x FROM repo_blobs WHERE digest = $1
                 UNION ALL SELECT 1 AS x FROM files WHERE digest = $1 LIMIT 1",
            )
            .bind(digest)
            .fetch_optional(p)
            .await?;
            Ok(row.is_some())
        })
    }

    /// Forgets a blob nothing links (the collector holds it); true when
    /// the row went.
    pub async fn forget_blob(&self, digest: &str) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            sqlx::query(
                "DELETE FROM blobs WHERE digest = $1
                 AND NOT EXISTS (SELECT 1 FROM repo_blobs WHERE digest = $1)
                 AND NOT EXISTS (SELECT 1 FROM files WHERE digest = $1)",
            )
            .bind(digest)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n > 0)
    }

    /// Blobs in digest order after `last`, at most `n`: `(digest, size)`.
    pub async fn blobs_page(&self, last: Option<&str>, n: u32) -> Result<Vec<(String, u64)>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT digest, size FROM blobs WHERE ($1 IS NULL OR digest > $1) ORDER BY digest LIMIT $2",
            )
            .bind(last)
            .bind(i64::from(n))
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("digest")?, to_u64(r.try_get("size")?)?)))
                .collect()
        })
    }

    /// Metadata that points at nothing: links to unknown blobs, tags on
    /// unknown manifests, referrers of deleted manifests, and (SQLite) what
    /// `PRAGMA quick_check` reports.
    pub async fn dangling(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let checks: [(&str, &str); 4] = [
            (
                "repository link to an unknown blob",
                "SELECT repo || ' ' || digest AS x FROM repo_blobs r WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = r.digest)",
            ),
            (
                "file pointing at an unknown blob",
                "SELECT repo || '/' || path AS x FROM files f WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = f.digest)",
            ),
            (
                "tag on an unknown manifest",
                "SELECT repo || ':' || tag AS x FROM tags t WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repo = t.repo AND m.digest = t.digest)",
            ),
            (
                "referrer that is not a stored manifest",
                "SELECT repo || '@' || digest AS x FROM referrers r WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repo = r.repo AND m.digest = r.digest)",
            ),
        ];
        for (what, q) in checks {
            let found: Vec<String> = on_pool!(&self.pool, p => {
                let rows = sqlx::query(q).fetch_all(p).await?;
                rows.iter().map(|r| r.try_get("x")).collect::<Result<Vec<String>, _>>()?
            });
            out.extend(found.into_iter().map(|x| format!("{what}: {x}")));
        }
        if let Pool::Sqlite(p) = &self.pool {
            let rows = sqlx::query("PRAGMA quick_check").fetch_all(p).await?;
            for r in rows {
                let msg: String = r.try_get(0)?;
                if msg != "ok" {
                    out.push(format!("SQLite: {msg}"));
                }
            }
        }
        Ok(out)
    }

    /// Every manifest of every repository, page by page: `(repo, digest, body)`.
    pub async fn manifests_page(
        &self,
        last: Option<(&str, &str)>,
        n: u32,
    ) -> Result<Vec<(String, String, Vec<u8>)>> {
        let (lr, ld) = last.unwrap_or(("", ""));
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT repo, digest, body FROM manifests WHERE repo > $1 OR (repo = $1 AND digest > $2)
                 ORDER BY repo, digest LIMIT $3",
            )
            .bind(lr)
            .bind(ld)
            .bind(i64::from(n))
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("repo")?, r.try_get("digest")?, r.try_get("body")?)))
                .collect()
        })
    }

    /// Upload sessions and their chunk counts (to find orphaned chunks).
    pub async fn upload_ids(&self) -> Result<Vec<String>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query("SELECT id FROM uploads").fetch_all(p).await?;
            rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
        })
    }

    /// Starts an upload session.
    pub async fn create_upload(&self, id: &str, repo: &str) -> Result<()> {
        on_pool!(&self.pool, p => {
            sqlx::query("INSERT INTO uploads (id, repo, size, chunks) VALUES ($1, $2, 0, 0)")
                .bind(id)
                .bind(repo)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// `(size, chunks)` of an upload session of `repo`.
    pub async fn upload(&self, repo: &str, id: &str) -> Result<Option<(u64, u64)>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT size, chunks FROM uploads WHERE id = $1 AND repo = $2")
                .bind(id)
                .bind(repo)
                .fetch_optional(p)
                .await?;
            row.map(|r| Ok((to_u64(r.try_get("size")?)?, to_u64(r.try_get("chunks")?)?)))
                .transpose()
        })
    }

    /// Records a chunk appended at `size` (compare-and-swap: a concurrent
    /// PATCH to the same session loses); true when recorded.
    pub async fn append_chunk(
        &self,
        id: &str,
        old_size: u64,
        added: u64,
        chunk: u64,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            sqlx::query(
                "UPDATE uploads SET size = size + $1, chunks = chunks + 1
                 WHERE id = $2 AND size = $3 AND chunks = $4",
            )
            .bind(to_i64(added)?)
            .bind(id)
            .bind(to_i64(old_size)?)
            .bind(to_i64(chunk)?)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Ends an upload session.
    pub async fn delete_upload(&self, id: &str) -> Result<bool> {
        let stmts = [
            "DELETE FROM upload_chunks WHERE id = $1",
            "DELETE FROM uploads WHERE id = $1",
        ];
        Ok(self.delete_all(&stmts, id).await? > 0)
    }

    /// Remembers the SHA-256 of chunk `n` of an upload.
    pub async fn set_chunk_sha256(&self, id: &str, n: u64, sha256_hex: &str) -> Result<()> {
        on_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO upload_chunks (id, n, sha256) VALUES ($1, $2, $3)
                 ON CONFLICT (id, n) DO NOTHING",
            )
            .bind(id)
            .bind(to_i64(n)?)
            .bind(sha256_hex)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The SHA-256 of chunk `n` of an upload, if recorded.
    pub async fn chunk_sha256(&self, id: &str, n: u64) -> Result<Option<String>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT sha256 FROM upload_chunks WHERE id = $1 AND n = $2")
                .bind(id)
                .bind(to_i64(n)?)
                .fetch_optional(p)
                .await?;
            Ok(row.map(|r| r.try_get("sha256")).transpose()?)
        })
    }
}
