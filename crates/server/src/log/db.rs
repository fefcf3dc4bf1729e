//! Sequencing state in SQLite (WAL, synchronous=FULL: a commit is on disk
//! before a submission is acknowledged).

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result};
use signet_tlog::hash::{Hash, leaf_hash};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Sequenced, Submission};

/// A stored entry.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// Log index.
    pub index: u64,
    /// Leaf hash (the Rekor v1 UUID).
    pub leaf: Hash,
    /// Canonical body.
    pub body: Vec<u8>,
    /// Unix seconds.
    pub integrated_time: i64,
    /// `kind/version`.
    pub kind_version: String,
}

pub(crate) struct Db {
    pool: SqlitePool,
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS entries (
        idx INTEGER PRIMARY KEY,
        leaf_hash BLOB NOT NULL UNIQUE,
        body BLOB NOT NULL,
        integrated_time INTEGER NOT NULL,
        kind_version TEXT NOT NULL,
        artifact TEXT,
        key_fingerprint TEXT
    ) STRICT",
    "CREATE INDEX IF NOT EXISTS entries_artifact ON entries(artifact)",
    "CREATE INDEX IF NOT EXISTS entries_key ON entries(key_fingerprint)",
    "CREATE TABLE IF NOT EXISTS checkpoint (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size INTEGER NOT NULL,
        root BLOB NOT NULL,
        note TEXT NOT NULL
    ) STRICT",
];

fn to_u64(v: i64) -> Result<u64> {
    u64::try_from(v).context("negative value in the log database")
}

fn to_i64(v: u64) -> Result<i64> {
    i64::try_from(v).context("value too large for the log database")
}

impl Db {
    pub(crate) async fn open(path: &Path) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        for stmt in SCHEMA {
            sqlx::query(*stmt).execute(&pool).await?;
        }
        Ok(Self { pool })
    }

    pub(crate) async fn state(&self) -> Result<Option<(u64, Hash, String)>> {
        let row = sqlx::query("SELECT size, root, note FROM checkpoint WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let root: Vec<u8> = r.try_get("root")?;
            Ok((
                to_u64(r.try_get("size")?)?,
                Hash::from_slice(&root).context("bad root in database")?,
                r.try_get("note")?,
            ))
        })
        .transpose()
    }

    pub(crate) async fn init_state(&self, root: &Hash, note: &str) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO checkpoint (id, size, root, note) VALUES (1, 0, ?, ?)")
            .bind(root.0.as_slice())
            .bind(note)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Compare-and-swap of the published checkpoint.
    pub(crate) async fn commit_checkpoint(
        &self,
        old: u64,
        new: u64,
        root: &Hash,
        note: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE checkpoint SET size = ?, root = ?, note = ? WHERE id = 1 AND size = ?",
        )
        .bind(to_i64(new)?)
        .bind(root.0.as_slice())
        .bind(note)
        .bind(to_i64(old)?)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sequences a batch in one transaction (`BEGIN IMMEDIATE`, so it waits
    /// for other writers instead of failing); duplicates get their existing
    /// index. Lookups and inserts go in chunks of multi-row statements.
    pub(crate) async fn sequence(&self, batch: &[&Submission]) -> Result<Vec<Sequenced>> {
        const CHUNK: usize = 400;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let next: i64 = sqlx::query("SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM entries")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        let mut next = to_u64(next)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let leaves: Vec<Hash> = batch.iter().map(|s| leaf_hash(&s.body)).collect();
        let mut known: std::collections::HashMap<Hash, Sequenced> =
            std::collections::HashMap::new();
        for chunk in leaves.chunks(CHUNK) {
            let sql = format!(
                "SELECT idx, integrated_time, leaf_hash FROM entries WHERE leaf_hash IN ({})",
                vec!["?"; chunk.len()].join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for l in chunk {
                q = q.bind(l.0.as_slice());
            }
            for r in q.fetch_all(&mut *tx).await? {
                let leaf: Vec<u8> = r.try_get("leaf_hash")?;
                known.insert(
                    Hash::from_slice(&leaf).context("bad leaf hash in database")?,
                    Sequenced {
                        index: to_u64(r.try_get("idx")?)?,
                        integrated_time: r.try_get("integrated_time")?,
                        duplicate: true,
                    },
                );
            }
        }
        let mut out = Vec::with_capacity(batch.len());
        let mut fresh: Vec<(u64, usize)> = Vec::new();
        for (i, leaf) in leaves.iter().enumerate() {
            if let Some(seq) = known.get(leaf) {
                out.push(Sequenced {
                    duplicate: true,
                    ..*seq
                });
                continue;
            }
            let seq = Sequenced {
                index: next,
                integrated_time: now,
                duplicate: false,
            };
            known.insert(*leaf, seq);
            fresh.push((next, i));
            out.push(seq);
            next += 1;
        }
        for chunk in fresh.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO entries (idx, leaf_hash, body, integrated_time, kind_version, artifact, key_fingerprint) VALUES {}",
                vec!["(?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (idx, i) in chunk {
                let s = batch[*i];
                q = q
                    .bind(to_i64(*idx)?)
                    .bind(leaves[*i].0.as_slice())
                    .bind(s.body.as_slice())
                    .bind(now)
                    .bind(s.kind_version.as_str())
                    .bind(s.artifact.as_deref())
                    .bind(s.key_fingerprint.as_deref());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// `(index, leaf hash, body)` of up to `limit` entries from `start`.
    pub(crate) async fn leaves_from(
        &self,
        start: u64,
        limit: u64,
    ) -> Result<Vec<(u64, Hash, Vec<u8>)>> {
        let rows = sqlx::query(
            "SELECT idx, leaf_hash, body FROM entries WHERE idx >= ? ORDER BY idx LIMIT ?",
        )
        .bind(to_i64(start)?)
        .bind(to_i64(limit)?)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let leaf: Vec<u8> = r.try_get("leaf_hash")?;
                Ok((
                    to_u64(r.try_get("idx")?)?,
                    Hash::from_slice(&leaf).context("bad leaf hash in database")?,
                    r.try_get("body")?,
                ))
            })
            .collect()
    }

    fn entry_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<StoredEntry> {
        let leaf: Vec<u8> = r.try_get("leaf_hash")?;
        Ok(StoredEntry {
            index: to_u64(r.try_get("idx")?)?,
            leaf: Hash::from_slice(&leaf).context("bad leaf hash in database")?,
            body: r.try_get("body")?,
            integrated_time: r.try_get("integrated_time")?,
            kind_version: r.try_get("kind_version")?,
        })
    }

    pub(crate) async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>> {
        let row = sqlx::query("SELECT * FROM entries WHERE idx = ?")
            .bind(to_i64(index)?)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::entry_from_row).transpose()
    }

    pub(crate) async fn entry_by_leaf(&self, leaf: &Hash) -> Result<Option<StoredEntry>> {
        let row = sqlx::query("SELECT * FROM entries WHERE leaf_hash = ?")
            .bind(leaf.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::entry_from_row).transpose()
    }

    pub(crate) async fn search(
        &self,
        artifact: Option<&str>,
        key: Option<&str>,
    ) -> Result<Vec<Hash>> {
        let rows = sqlx::query(
            "SELECT leaf_hash FROM entries
             WHERE (?1 IS NULL OR artifact = ?1) AND (?2 IS NULL OR key_fingerprint = ?2)
             ORDER BY idx LIMIT 1000",
        )
        .bind(artifact)
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let leaf: Vec<u8> = r.try_get("leaf_hash")?;
                Hash::from_slice(&leaf).context("bad leaf hash in database")
            })
            .collect()
    }
}
