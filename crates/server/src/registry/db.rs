//! Registry metadata: blobs known, which repository links which blob,
//! manifests, tags, uploads in progress, and the admin credential. SQLite
//! (embedded default) or PostgreSQL, chosen by URL; one SQL text with `$N`
//! parameters serves both. Nothing is cached in the process, so replicas on
//! one PostgreSQL always agree.

use anyhow::{Context, Result};
use sqlx::Row;

use crate::sql::{self, Pool, on_pool};

/// The registry database.
pub struct Db {
    pool: Pool,
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
    "CREATE TABLE IF NOT EXISTS admin_credential (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        token_sha256 TEXT NOT NULL
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
    "CREATE TABLE IF NOT EXISTS uploads (
        id TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        size BIGINT NOT NULL,
        chunks BIGINT NOT NULL
    )",
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

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(&self.pool, p => {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    /// The admin token's SHA-256 (hex), if one was created.
    pub async fn admin_token_hash(&self) -> Result<Option<String>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT token_sha256 FROM admin_credential WHERE id = 1")
                .fetch_optional(p)
                .await?;
            Ok(row.map(|r| r.try_get("token_sha256")).transpose()?)
        })
    }

    /// Stores the admin token hash unless one exists; true when stored.
    pub async fn init_admin_token(&self, sha256_hex: &str) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO admin_credential (id, token_sha256) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            )
            .bind(sha256_hex)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
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

    /// Stores a manifest (idempotent) and, when given, points `tag` at it.
    pub async fn put_manifest(&self, repo: &str, m: &Manifest, tag: Option<&str>) -> Result<()> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
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
            if let Some(tag) = tag {
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

    /// Deletes a manifest and every tag on it; true when it existed.
    pub async fn delete_manifest(&self, repo: &str, digest: &str) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM tags WHERE repo = $1 AND digest = $2")
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
            tx.commit().await?;
            n
        });
        Ok(n > 0)
    }

    /// Deletes a tag; true when it existed.
    pub async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool> {
        let n = on_pool!(&self.pool, p => {
            sqlx::query("DELETE FROM tags WHERE repo = $1 AND tag = $2")
                .bind(repo)
                .bind(tag)
                .execute(p)
                .await?
                .rows_affected()
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
        let n = on_pool!(&self.pool, p => {
            sqlx::query("DELETE FROM uploads WHERE id = $1")
                .bind(id)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }
}
