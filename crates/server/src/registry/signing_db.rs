//! Signing metadata in the registry database: verification keys,
//! policies, the signing epoch (bumped in the same transaction as every
//! key or policy change, so every replica drops cached decisions on its
//! next request), what each manifest references (for blobs and index
//! children), who pushed what, and the audit events, each written in the
//! transaction of the change it records.

use anyhow::Result;
use serde::Serialize;
use sqlx::Row;

use super::db::Db;
use crate::sql::on_pool;

/// A registered verification key.
#[derive(Debug, Clone, Serialize)]
pub struct KeyRow {
    /// Random id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// `cosign`, `gpg` or `x509`.
    #[serde(rename = "type")]
    pub kind: String,
    /// PEM (public key or certificate).
    pub public_key: String,
    /// `sha256:<hex>` of the SubjectPublicKeyInfo.
    pub fingerprint: String,
    /// Repository globs it may sign for.
    pub repositories: Vec<String>,
    /// Free-form metadata.
    pub metadata: serde_json::Value,
    /// Unix seconds.
    pub created_at: i64,
    /// Who registered it.
    pub created_by: String,
    /// Unix seconds after which it is not trusted.
    pub expires_at: Option<i64>,
    /// Unix seconds it was revoked at.
    pub revoked_at: Option<i64>,
}

/// Where a server-held private key is.
#[derive(Debug, Clone)]
pub enum Held {
    /// In the database, in cosign's encrypted format under the
    /// key-encryption key.
    Sealed(String),
    /// In an HSM: its `pkcs11:` URI (never with the PIN).
    Pkcs11(String),
}

/// A stored policy.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRow {
    /// Its name.
    pub name: String,
    /// The document as uploaded (YAML or JSON).
    pub document: String,
    /// 1, 2, … per change.
    pub version: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Who changed it last.
    pub updated_by: String,
}

/// One audit event.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// Random id.
    pub id: String,
    /// Unix milliseconds.
    pub time_ms: i64,
    /// Who (user, or `anonymous`, or `server`).
    pub actor: String,
    /// `push`, `policy.decision`, `key.create`, …
    pub action: String,
    /// Repository (empty for server-wide changes).
    pub repository: String,
    /// Digest, path, key id or policy name.
    pub subject: String,
    /// `ok`, `allow`, `deny`, `warn`, `audit`, …
    pub outcome: String,
    /// Details (JSON).
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// The event as the custody log records it.
    pub fn to_custody(&self) -> signet_policy::custody::Event {
        signet_policy::custody::Event {
            id: self.id.clone(),
            time_ms: self.time_ms,
            actor: self.actor.clone(),
            action: self.action.clone(),
            repository: self.repository.clone(),
            subject: self.subject.clone(),
            outcome: self.outcome.clone(),
            details: self.details.clone(),
        }
    }

    /// An event now.
    pub fn new(
        actor: &str,
        action: &str,
        repository: &str,
        subject: &str,
        outcome: &str,
        details: serde_json::Value,
    ) -> Self {
        let mut raw = [0u8; 12];
        let _ = signet_crypto::random_bytes(&mut raw);
        let time_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self {
            id: format!("{time_ms:013x}{}", signet_types::hex::encode(raw)),
            time_ms,
            actor: actor.to_owned(),
            action: action.to_owned(),
            repository: repository.to_owned(),
            subject: subject.to_owned(),
            outcome: outcome.to_owned(),
            details,
        }
    }
}

/// Inserts `$ev` (an [`AuditEvent`]) with executor `$ex`.
macro_rules! insert_audit {
    ($ex:expr, $ev:expr) => {
        sqlx::query(
            "INSERT INTO audit_events (id, time_ms, actor, action, repository, subject, outcome, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&$ev.id)
        .bind($ev.time_ms)
        .bind(&$ev.actor)
        .bind(&$ev.action)
        .bind(&$ev.repository)
        .bind(&$ev.subject)
        .bind(&$ev.outcome)
        .bind($ev.details.to_string())
        .execute($ex)
        .await?
    };
}
pub(super) use insert_audit;

fn audit_row<R: Row>(r: &R) -> Result<AuditEvent>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(AuditEvent {
        id: r.try_get("id")?,
        time_ms: r.try_get("time_ms")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        repository: r.try_get("repository")?,
        subject: r.try_get("subject")?,
        outcome: r.try_get("outcome")?,
        details: serde_json::from_str(&r.try_get::<String, _>("details")?)?,
    })
}

const BUMP_EPOCH: &str = "UPDATE signing_epoch SET epoch = epoch + 1 WHERE id = 1";

fn key_row<R: Row>(r: &R) -> Result<KeyRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(KeyRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        public_key: r.try_get("public_key")?,
        fingerprint: r.try_get("fingerprint")?,
        repositories: serde_json::from_str(&r.try_get::<String, _>("repositories")?)?,
        metadata: serde_json::from_str(&r.try_get::<String, _>("metadata")?)?,
        created_at: r.try_get("created")?,
        created_by: r.try_get("created_by")?,
        expires_at: r.try_get("expires")?,
        revoked_at: r.try_get("revoked")?,
    })
}

macro_rules! key_columns {
    () => {
        "id, name, kind, public_key, fingerprint, repositories, metadata, created, created_by, expires, revoked"
    };
}

impl Db {
    /// The signing epoch: changes whenever a key or policy does.
    pub async fn signing_epoch(&self) -> Result<i64> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT epoch FROM signing_epoch WHERE id = 1")
                .fetch_one(p)
                .await?;
            Ok(row.try_get("epoch")?)
        })
    }

    /// Registers a key; false when the name is taken. With `expire_old`,
    /// also sets that key's expiry (a rotation); with `sealed`, stores the
    /// encrypted private key of a server-held key; all in one transaction.
    pub async fn create_key(
        &self,
        k: &KeyRow,
        expire_old: Option<(&str, i64)>,
        held: Option<&Held>,
        ev: &AuditEvent,
    ) -> Result<bool> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(concat!(
                "INSERT INTO signing_keys (", key_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (name) DO NOTHING"
            ))
            .bind(&k.id)
            .bind(&k.name)
            .bind(&k.kind)
            .bind(&k.public_key)
            .bind(&k.fingerprint)
            .bind(serde_json::to_string(&k.repositories)?)
            .bind(k.metadata.to_string())
            .bind(k.created_at)
            .bind(&k.created_by)
            .bind(k.expires_at)
            .bind(k.revoked_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            if let Some(h) = held {
                let (pem, uri) = match h {
                    Held::Sealed(p) => (Some(p.as_str()), None),
                    Held::Pkcs11(u) => (None, Some(u.as_str())),
                };
                sqlx::query("INSERT INTO server_keys (id, encrypted_pem, pkcs11_uri) VALUES ($1, $2, $3)")
                    .bind(&k.id)
                    .bind(pem)
                    .bind(uri)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((old, at)) = expire_old {
                sqlx::query("UPDATE signing_keys SET expires = $2 WHERE id = $1 AND (expires IS NULL OR expires > $2)")
                    .bind(old)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, ev);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Where a server-held key is kept.
    pub async fn server_key(&self, id: &str) -> Result<Option<Held>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT encrypted_pem, pkcs11_uri FROM server_keys WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?;
            let Some(r) = row else { return Ok(None) };
            let pem: Option<String> = r.try_get("encrypted_pem")?;
            let uri: Option<String> = r.try_get("pkcs11_uri")?;
            Ok(match (pem, uri) {
                (Some(p), _) => Some(Held::Sealed(p)),
                (None, Some(u)) => Some(Held::Pkcs11(u)),
                (None, None) => None,
            })
        })
    }

    /// Every registered key, oldest first.
    pub async fn keys(&self) -> Result<Vec<KeyRow>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(concat!("SELECT ", key_columns!(), " FROM signing_keys ORDER BY created, id"))
                .fetch_all(p)
                .await?;
            rows.iter().map(key_row).collect()
        })
    }

    /// A key by id or name.
    pub async fn key(&self, id: &str) -> Result<Option<KeyRow>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query(concat!("SELECT ", key_columns!(), " FROM signing_keys WHERE id = $1 OR name = $1"))
                .bind(id)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(key_row).transpose()
        })
    }

    /// Deletes a key (`revoke` = false) or marks it revoked at `at`; true
    /// when it existed.
    pub async fn retire_key(&self, id: &str, revoke: Option<i64>, ev: &AuditEvent) -> Result<bool> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let n = match revoke {
                Some(at) => sqlx::query("UPDATE signing_keys SET revoked = $2 WHERE id = $1 AND revoked IS NULL")
                    .bind(id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                None => {
                    sqlx::query("DELETE FROM server_keys WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM signing_keys WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                }
            };
            if n == 0 {
                return Ok(false);
            }
            sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, ev);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Creates or replaces a policy; its new version. `expect` (a version)
    /// makes it a compare-and-swap: `None` is returned when the stored
    /// version differs (or, for `Some(0)`, when the policy exists).
    pub async fn put_policy(
        &self,
        name: &str,
        document: &str,
        actor: &str,
        now: i64,
        expect: Option<i64>,
        ev: &AuditEvent,
    ) -> Result<Option<i64>> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            // Write first: on SQLite a transaction that reads and then
            // writes fails at once (SQLITE_BUSY_SNAPSHOT) if another
            // connection committed in between; writing first takes the
            // lock, waiting its turn.
            sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
            let have: Option<i64> = sqlx::query("SELECT version FROM signing_policies WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("version"))
                .transpose()?;
            if let Some(want) = expect && have.unwrap_or(0) != want {
                return Ok(None);
            }
            let version = have.unwrap_or(0) + 1;
            sqlx::query(
                "INSERT INTO signing_policies (name, document, version, updated, updated_by) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (name) DO UPDATE SET document = excluded.document, version = excluded.version,
                   updated = excluded.updated, updated_by = excluded.updated_by",
            )
            .bind(name)
            .bind(document)
            .bind(version)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
            let mut ev = ev.clone();
            ev.details["version"] = version.into();
            insert_audit!(&mut *tx, ev);
            tx.commit().await?;
            Ok(Some(version))
        })
    }

    /// Every policy, by name.
    pub async fn policies(&self) -> Result<Vec<PolicyRow>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query("SELECT name, document, version, updated, updated_by FROM signing_policies ORDER BY name")
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(PolicyRow {
                        name: r.try_get("name")?,
                        document: r.try_get("document")?,
                        version: r.try_get("version")?,
                        updated_at: r.try_get("updated")?,
                        updated_by: r.try_get("updated_by")?,
                    })
                })
                .collect()
        })
    }

    /// Deletes a policy; true when it existed.
    pub async fn delete_policy(&self, name: &str, ev: &AuditEvent) -> Result<bool> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("DELETE FROM signing_policies WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, ev);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records an audit event on its own (decisions, verifications).
    pub async fn audit(&self, ev: &AuditEvent) -> Result<()> {
        on_pool!(&self.pool, p => {
            insert_audit!(p, ev);
        });
        Ok(())
    }

    /// Audit events, newest first, filtered by repository and subject.
    pub async fn audit_events(
        &self,
        repository: Option<&str>,
        subject: Option<&str>,
        action: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT id, time_ms, actor, action, repository, subject, outcome, details FROM audit_events
                 WHERE ($1 IS NULL OR repository = $1) AND ($2 IS NULL OR subject = $2) AND ($3 IS NULL OR action = $3)
                 ORDER BY time_ms DESC, id DESC LIMIT $4",
            )
            .bind(repository)
            .bind(subject)
            .bind(action)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?;
            rows.iter().map(audit_row).collect()
        })
    }

    /// Events not yet in the transparency log, oldest first.
    pub async fn unlogged_audit(&self, limit: u32) -> Result<Vec<AuditEvent>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT id, time_ms, actor, action, repository, subject, outcome, details FROM audit_events
                 WHERE log_index IS NULL ORDER BY time_ms, id LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?;
            rows.iter().map(audit_row).collect()
        })
    }

    /// Records where an event landed in the log.
    pub async fn set_audit_index(&self, id: &str, index: u64) -> Result<()> {
        on_pool!(&self.pool, p => {
            sqlx::query("UPDATE audit_events SET log_index = $2 WHERE id = $1 AND log_index IS NULL")
                .bind(id)
                .bind(i64::try_from(index)?)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// The custody trail of `subject` in `repository`, oldest first, with
    /// log indexes.
    pub async fn custody(
        &self,
        repository: &str,
        subject: &str,
    ) -> Result<Vec<(AuditEvent, Option<i64>)>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(
                "SELECT id, time_ms, actor, action, repository, subject, outcome, details, log_index FROM audit_events
                 WHERE repository = $1 AND subject = $2 ORDER BY time_ms, id LIMIT 10000",
            )
            .bind(repository)
            .bind(subject)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| Ok((audit_row(r)?, r.try_get("log_index")?)))
                .collect()
        })
    }

    /// The manifests in `repo` that reference `child` (a blob or, for
    /// indexes, a manifest).
    pub async fn parents(&self, repo: &str, child: &str) -> Result<Vec<String>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query("SELECT parent FROM manifest_refs WHERE repo = $1 AND child = $2 LIMIT 1000")
                .bind(repo)
                .bind(child)
                .fetch_all(p)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("parent")?)).collect()
        })
    }

    /// Manifests pushed before `cutoff` (unix seconds) to `repo`.
    pub async fn pushed_before(&self, repo: &str, cutoff: i64) -> Result<Vec<String>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query("SELECT digest FROM manifest_pushes WHERE repo = $1 AND pushed < $2 ORDER BY pushed")
                .bind(repo)
                .bind(cutoff)
                .fetch_all(p)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("digest")?)).collect()
        })
    }

    /// When and by whom a manifest was pushed.
    pub async fn pushed(&self, repo: &str, digest: &str) -> Result<Option<(i64, String)>> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT pushed, pusher FROM manifest_pushes WHERE repo = $1 AND digest = $2")
                .bind(repo)
                .bind(digest)
                .fetch_optional(p)
                .await?;
            row.map(|r| Ok((r.try_get("pushed")?, r.try_get("pusher")?))).transpose()
        })
    }

    /// Every repository with a name matching nothing in particular (for
    /// the quarantine sweep): all names.
    pub async fn repository_names(&self) -> Result<Vec<String>> {
        on_pool!(&self.pool, p => {
            let rows = sqlx::query("SELECT name FROM repositories ORDER BY name")
                .fetch_all(p)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("name")?)).collect()
        })
    }
}
