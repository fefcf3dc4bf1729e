//! SQLite or PostgreSQL, chosen by URL, for the log and the registry: one
//! pool type, one way to open it (tables created under a schema lock so
//! replicas starting together do not race), and `on_pool!` to run the same
//! query code on either.

use std::str::FromStr;

use anyhow::{Context, Result, bail};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// A pool on either database.
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// Runs the same code on whichever pool `$pool` is; `$p` names it.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::sql::Pool::Sqlite($p) => $body,
            $crate::sql::Pool::Pg($p) => $body,
        }
    };
}
pub(crate) use on_pool;

/// How one store opens its database.
pub(crate) struct Spec {
    /// What the database holds, for messages (`log`, `registry`).
    pub what: &'static str,
    /// Tables and indexes, SQLite dialect.
    pub sqlite_schema: &'static [&'static str],
    /// Tables and indexes, PostgreSQL dialect.
    pub pg_schema: &'static [&'static str],
    /// Advisory lock held while PostgreSQL tables are created.
    pub schema_lock: i64,
    /// Pool sizes.
    pub sqlite_connections: u32,
    pub pg_connections: u32,
    /// Extra SQLite settings (pragmas) on top of WAL + synchronous=FULL.
    pub sqlite_tuning: fn(SqliteConnectOptions) -> SqliteConnectOptions,
}

/// Opens (creating tables) the database at `url`.
pub(crate) async fn open(url: &str, spec: &Spec) -> Result<Pool> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(spec.sqlite_connections)
            .connect_with((spec.sqlite_tuning)(opts))
            .await
            .with_context(|| format!("cannot open the {} database {path}", spec.what))?;
        for stmt in spec.sqlite_schema {
            sqlx::query(*stmt).execute(&pool).await?;
        }
        return Ok(Pool::Sqlite(pool));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let opts = PgConnectOptions::from_str(url)
            .with_context(|| format!("bad {} database URL {}", spec.what, redact(url)))?;
        let pool = PgPoolOptions::new()
            .max_connections(spec.pg_connections)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect_with(opts)
            .await
            .with_context(|| {
                format!(
                    "cannot connect to the {} database {}",
                    spec.what,
                    redact(url)
                )
            })?;
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(spec.schema_lock)
            .execute(&mut *tx)
            .await?;
        for stmt in spec.pg_schema {
            sqlx::query(*stmt).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        return Ok(Pool::Pg(pool));
    }
    bail!(
        "unsupported {} database URL {:?}: use sqlite://PATH or postgres://...",
        spec.what,
        redact(url)
    )
}

/// Hides the password in a database URL for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
