//! Sequencing state, chosen by URL:
//!
//! - `sqlite://PATH` (embedded default): WAL, synchronous=FULL, so a commit
//!   is on disk before a submission is acknowledged; one process.
//! - `postgres://...`: several replicas share it. Sequencing takes a
//!   transaction-scoped advisory lock (indices stay contiguous across
//!   writers); integration takes a session-scoped one, so one replica at a
//!   time builds tiles, and the checkpoint row is swapped only if its size is
//!   still the one the integrator started from.
//!
//! Both speak the same SQL (numbered `$N` parameters); only the schema and
//! the locking differ.

use anyhow::{Context, Result};
use signet_tlog::hash::{Hash, leaf_hash};
use sqlx::Row;

use crate::sql::{self, Pool, on_pool, redact};
use sqlx::pool::PoolConnection;

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
    pool: Pool,
    url: String,
}

macro_rules! entry_from_row {
    ($r:expr) => {{
        let r = $r;
        let leaf: Vec<u8> = r.try_get("leaf_hash")?;
        Ok::<StoredEntry, anyhow::Error>(StoredEntry {
            index: to_u64(r.try_get("idx")?)?,
            leaf: Hash::from_slice(&leaf).context("bad leaf hash in database")?,
            body: r.try_get("body")?,
            integrated_time: r.try_get("integrated_time")?,
            kind_version: r.try_get("kind_version")?,
        })
    }};
}

/// The body of [`Db::sequence`], inside an open transaction `$tx` that
/// excludes other writers; `$first` picks the placeholder style.
macro_rules! sequence_in {
    ($tx:ident, $batch:expr, $first:expr) => {{
        const CHUNK: usize = 400;
        let batch: &[&Submission] = $batch;
        let next: i64 = sqlx::query("SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM entries")
            .fetch_one(&mut *$tx)
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
                placeholders(chunk.len(), 1, $first)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for l in chunk {
                q = q.bind(l.0.as_slice());
            }
            for r in q.fetch_all(&mut *$tx).await? {
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
                placeholders(chunk.len(), 7, $first)
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
            q.execute(&mut *$tx).await?;
        }
        out
    }};
}

const SQLITE_SCHEMA: &[&str] = &[
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
    "CREATE TABLE IF NOT EXISTS log_keys (
        name TEXT PRIMARY KEY,
        pem TEXT NOT NULL
    ) STRICT",
];

const PG_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS entries (
        idx BIGINT PRIMARY KEY,
        leaf_hash BYTEA NOT NULL UNIQUE,
        body BYTEA NOT NULL,
        integrated_time BIGINT NOT NULL,
        kind_version TEXT NOT NULL,
        artifact TEXT,
        key_fingerprint TEXT
    )",
    "CREATE INDEX IF NOT EXISTS entries_artifact ON entries(artifact)",
    "CREATE INDEX IF NOT EXISTS entries_key ON entries(key_fingerprint)",
    "CREATE TABLE IF NOT EXISTS checkpoint (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size BIGINT NOT NULL,
        root BYTEA NOT NULL,
        note TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS log_keys (
        name TEXT PRIMARY KEY,
        pem TEXT NOT NULL
    )",
];

/// Advisory lock keys (PostgreSQL): one for sequencing, one for integration.
const SEQUENCE_LOCK: i64 = 0x5167_6e65_7401;
const INTEGRATE_LOCK: i64 = 0x5167_6e65_7402;
/// Serializes schema creation between replicas starting together.
const SCHEMA_LOCK: i64 = 0x5167_6e65_7400;

fn to_u64(v: i64) -> Result<u64> {
    u64::try_from(v).context("negative value in the log database")
}

fn to_i64(v: u64) -> Result<i64> {
    i64::try_from(v).context("value too large for the log database")
}

/// The right to integrate: held by one writer at a time.
pub(crate) enum Lease {
    /// SQLite has one process and one integrator task.
    Local,
    /// A connection holding the session advisory lock.
    Pg(PoolConnection<sqlx::Postgres>),
}

impl Lease {
    /// Gives the lease back (PostgreSQL: unlock, keeping the connection).
    pub(crate) async fn release(self) {
        if let Self::Pg(mut conn) = self {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(INTEGRATE_LOCK)
                .execute(&mut *conn)
                .await;
            if unlocked.is_err() {
                // Closing the connection releases the lock for certain.
                let _ = conn.close().await;
            }
        }
    }
}

impl Db {
    /// Opens (creating tables) the database at `url`.
    pub(crate) async fn open(url: &str) -> Result<Self> {
        let spec = sql::Spec {
            what: "log",
            sqlite_schema: SQLITE_SCHEMA,
            pg_schema: PG_SCHEMA,
            schema_lock: SCHEMA_LOCK,
            sqlite_connections: 4,
            pg_connections: 8,
            sqlite_tuning: |o| {
                // Index pages stay cached; WAL checkpoints come every ~40 MiB
                // instead of every 4 MiB (the integrator also forces one every
                // few seconds, see `maintain`), and the WAL file is cut back
                // to 64 MiB after each.
                o.pragma("journal_size_limit", "67108864")
                    .pragma("cache_size", "-65536")
                    // Statement journals of the multi-row inserts stay in
                    // memory (on disk they were a third of all bytes written).
                    .pragma("temp_store", "MEMORY")
                    .pragma("wal_autocheckpoint", "10000")
            },
        };
        Ok(Self {
            pool: sql::open(url, &spec).await?,
            url: redact(url),
        })
    }

    /// Whether several processes may share this database.
    pub(crate) fn shared(&self) -> bool {
        matches!(self.pool, Pool::Pg(_))
    }

    /// The URL, password hidden.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The stored (encrypted) PEM of a log key.
    pub(crate) async fn key(&self, name: &str) -> Result<Option<String>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT pem FROM log_keys WHERE name = $1")
                .bind(name)
                .fetch_optional(p)
                .await?;
            row.map(|r| r.try_get::<String, _>("pem")).transpose().map_err(Into::into)
        })
    }

    /// Stores a key unless one of that name exists; returns the stored one
    /// (so replicas starting together agree on one key).
    pub(crate) async fn insert_key(&self, name: &str, pem: &str) -> Result<String> {
        on_pool!(&self.pool, p => {
            sqlx::query("INSERT INTO log_keys (name, pem) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(pem)
                .execute(p)
                .await?;
        });
        self.key(name)
            .await?
            .context("the log key vanished right after it was stored")
    }

    pub(crate) async fn state(&self) -> Result<Option<(u64, Hash, String)>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT size, root, note FROM checkpoint WHERE id = 1")
                .fetch_optional(p)
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
        })
    }

    pub(crate) async fn init_state(&self, root: &Hash, note: &str) -> Result<()> {
        on_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO checkpoint (id, size, root, note) VALUES (1, 0, $1, $2) ON CONFLICT (id) DO NOTHING",
            )
            .bind(root.0.as_slice())
            .bind(note)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Housekeeping, every few seconds: SQLite's automatic (passive) WAL
    /// checkpoints never reset the WAL while writes and reads overlap
    /// without pause (checkpoint starvation), so it grows and every read
    /// slows; a RESTART checkpoint waits for readers, copies the WAL back
    /// and lets the next writer start it from the beginning.
    pub(crate) async fn maintain(&self) -> Result<()> {
        if let Pool::Sqlite(p) = &self.pool {
            sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                .execute(p)
                .await?;
        }
        Ok(())
    }

    /// Takes the integration lease; `None` when another writer holds it.
    pub(crate) async fn try_lease(&self) -> Result<Option<Lease>> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(Some(Lease::Local)),
            Pool::Pg(p) => {
                let mut conn = p.acquire().await?;
                let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1) AS got")
                    .bind(INTEGRATE_LOCK)
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get("got")?;
                Ok(got.then_some(Lease::Pg(conn)))
            }
        }
    }

    /// Compare-and-swap of the published checkpoint.
    pub(crate) async fn commit_checkpoint(
        &self,
        old: u64,
        new: u64,
        root: &Hash,
        note: &str,
    ) -> Result<bool> {
        let done = on_pool!(&self.pool, p => {
            sqlx::query(
                "UPDATE checkpoint SET size = $1, root = $2, note = $3 WHERE id = 1 AND size = $4",
            )
            .bind(to_i64(new)?)
            .bind(root.0.as_slice())
            .bind(note)
            .bind(to_i64(old)?)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Sequences a batch in one transaction that excludes other writers
    /// (SQLite `BEGIN IMMEDIATE`; PostgreSQL an advisory transaction lock);
    /// duplicates get their existing index. Lookups and inserts go in chunks
    /// of multi-row statements.
    pub(crate) async fn sequence(&self, batch: &[&Submission]) -> Result<Vec<Sequenced>> {
        match &self.pool {
            Pool::Sqlite(p) => {
                let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
                let out = sequence_in!(tx, batch, None);
                tx.commit().await?;
                Ok(out)
            }
            Pool::Pg(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(SEQUENCE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                let out = sequence_in!(tx, batch, Some(1));
                tx.commit().await?;
                Ok(out)
            }
        }
    }

    /// `(index, leaf hash, body)` of up to `limit` entries from `start`.
    pub(crate) async fn leaves_from(
        &self,
        start: u64,
        limit: u64,
    ) -> Result<Vec<(u64, Hash, Vec<u8>)>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT idx, leaf_hash, body FROM entries WHERE idx >= $1 ORDER BY idx LIMIT $2",
            )
            .bind(to_i64(start)?)
            .bind(to_i64(limit)?)
            .fetch_all(p)
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
        })
    }

    pub(crate) async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT * FROM entries WHERE idx = $1")
                .bind(to_i64(index)?)
                .fetch_optional(p)
                .await?;
            row.map(|r| entry_from_row!(r)).transpose()
        })
    }

    pub(crate) async fn entry_by_leaf(&self, leaf: &Hash) -> Result<Option<StoredEntry>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT * FROM entries WHERE leaf_hash = $1")
                .bind(leaf.0.as_slice())
                .fetch_optional(p)
                .await?;
            row.map(|r| entry_from_row!(r)).transpose()
        })
    }

    pub(crate) async fn search(
        &self,
        artifact: Option<&str>,
        key: Option<&str>,
    ) -> Result<Vec<Hash>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT leaf_hash FROM entries
                 WHERE ($1 IS NULL OR artifact = $1) AND ($2 IS NULL OR key_fingerprint = $2)
                 ORDER BY idx LIMIT 1000",
            )
            .bind(artifact)
            .bind(key)
            .fetch_all(p)
            .await?;
            rows.into_iter()
                .map(|r| {
                    let leaf: Vec<u8> = r.try_get("leaf_hash")?;
                    Hash::from_slice(&leaf).context("bad leaf hash in database")
                })
                .collect()
        })
    }
}

/// `rows` groups of `cols` parameters, numbered from `$first` for
/// PostgreSQL (`($1, $2), ($3, $4)`) or anonymous `?` for SQLite (whose
/// per-name lookup of numbered parameters costs O(n) each, O(n²) for a
/// 2,800-parameter insert); one column gives a bare list.
fn placeholders(rows: usize, cols: usize, first: Option<usize>) -> String {
    let mut s = String::with_capacity(rows * cols * 7);
    let mut n = first.unwrap_or(0);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        if cols > 1 {
            s.push('(');
        }
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            if first.is_some() {
                s.push('$');
                s.push_str(&n.to_string());
                n += 1;
            } else {
                s.push('?');
            }
        }
        if cols > 1 {
            s.push(')');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(placeholders(1, 3, Some(1)), "($1, $2, $3)");
        assert_eq!(placeholders(2, 2, Some(1)), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(3, 1, Some(5)), "$5, $6, $7");
        assert_eq!(placeholders(2, 2, None), "(?, ?), (?, ?)");
    }
}
