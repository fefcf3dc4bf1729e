//! Registry maintenance: garbage collection of blobs nothing links, and a
//! consistency check (`fsck`) of metadata against the blob store.
//!
//! The collector never races an upload: every upload (and mount) holds its
//! digest in `blob_holds` from before it writes the blob's object until
//! after it is linked, and the collector deletes a blob only under its own
//! hold on the digest, which it cannot take while an upload has one (and
//! an upload waits while the collector has it). Objects younger than the
//! grace period are left alone too. Holds older than [`STALE_HOLD_SECS`]
//! (a process killed mid-upload) are overridden.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, Result};
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use serde_json::Value;
use signet_crypto::digest::{DigestAlgorithm, Hasher};

use super::{Registry, auth::now, names};

/// Age after which a hold is taken to be left by a dead process.
pub const STALE_HOLD_SECS: i64 = 3600;
/// Upload sessions idle this long are dropped by the collector.
pub const STALE_UPLOAD_SECS: i64 = 86_400;

/// What a collection did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    /// Blobs deleted.
    pub blobs_deleted: u64,
    /// Their bytes.
    pub bytes_freed: u64,
    /// Unlinked blobs kept because they are younger than the grace period.
    pub kept_young: u64,
    /// Leftovers of dead uploads deleted (chunks, temporary files).
    pub leftovers_deleted: u64,
}

/// What a check found.
#[derive(Debug, Default, Clone)]
pub struct FsckReport {
    /// Blobs whose objects were checked.
    pub blobs_checked: u64,
    /// Manifests checked.
    pub manifests_checked: u64,
    /// Everything wrong, one line each.
    pub problems: Vec<String>,
}

impl Registry {
    /// Deletes blobs that no repository or file links and that are older
    /// than `grace`, and leftovers of dead uploads.
    pub async fn gc(&self, grace: Duration) -> Result<GcReport> {
        let mut report = GcReport::default();
        let cutoff = now() - i64::try_from(grace.as_secs()).unwrap_or(i64::MAX);
        let db = &self.0.db;
        let blobs = ObjectPath::from(format!("{}blobs/sha256", self.0.prefix));
        let mut list = self.0.store.list(Some(&blobs));
        while let Some(meta) = list.next().await {
            let meta = meta.context("cannot list the blob store")?;
            let name = meta.location.filename().unwrap_or("").to_owned();
            if meta.last_modified.timestamp() > cutoff {
                report.kept_young += 1;
                continue;
            }
            let digest = format!("sha256:{name}");
            if names::sha256_hex(&digest).is_none() {
                // Not a blob name: a staging file a killed upload left.
                self.0.store.delete(&meta.location).await?;
                report.leftovers_deleted += 1;
                continue;
            }
            if db.referenced(&digest).await? {
                continue;
            }
            let t = now();
            if !db.hold(&digest, true, t, t - STALE_HOLD_SECS).await? {
                continue; // an upload of this content is under way
            }
            let deleted = async {
                if db.referenced(&digest).await? {
                    return Ok::<_, anyhow::Error>(false);
                }
                db.forget_blob(&digest).await?;
                self.0.store.delete(&meta.location).await?;
                Ok(true)
            }
            .await;
            db.release(&digest, true).await?;
            if deleted? {
                report.blobs_deleted += 1;
                report.bytes_freed += meta.size;
                metrics::counter!("signet_registry_gc_blobs_deleted_total").increment(1);
                tracing::info!(%digest, size = meta.size, "garbage-collected an unreferenced blob");
            }
        }
        drop(list);
        // Upload leftovers: chunks of sessions that are gone or idle for a
        // day, and temporary files of file uploads that never finished.
        let live: HashSet<String> = db.upload_ids().await?.into_iter().collect();
        let uploads = ObjectPath::from(format!("{}uploads", self.0.prefix));
        let stale_session =
            now() - STALE_UPLOAD_SECS.max(i64::try_from(grace.as_secs()).unwrap_or(0));
        let mut list = self.0.store.list(Some(&uploads));
        let mut dead_sessions = HashSet::new();
        while let Some(meta) = list.next().await {
            let meta = meta.context("cannot list the upload area")?;
            let rel = meta.location.as_ref();
            let rel = rel
                .strip_prefix(uploads.as_ref())
                .unwrap_or(rel)
                .trim_start_matches('/');
            let session = rel.split('/').next().unwrap_or("");
            let t = meta.last_modified.timestamp();
            let dead = if live.contains(session) {
                t < stale_session
            } else {
                t < cutoff
            };
            if dead {
                self.0.store.delete(&meta.location).await?;
                report.leftovers_deleted += 1;
                if live.contains(session) {
                    dead_sessions.insert(session.to_owned());
                }
            }
        }
        for id in dead_sessions {
            db.delete_upload(&id).await?;
        }
        // On file://, a killed upload leaves its staging file (`<key>#<n>`,
        // which listings hide) beside the key; those idle for an hour are dead.
        if let Some(root) = self.0.local_root.clone() {
            let staging_cutoff =
                now() - STALE_HOLD_SECS.max(i64::try_from(grace.as_secs()).unwrap_or(0));
            report.leftovers_deleted +=
                tokio::task::spawn_blocking(move || remove_staging(&root, staging_cutoff))
                    .await
                    .context("staging cleanup task failed")??;
        }
        Ok(report)
    }

    /// Checks that metadata and blobs agree: every recorded blob exists with
    /// its size (and, with `deep`, its digest), every link, tag and
    /// referrer points at something, every manifest's bytes have its
    /// digest and what it references is in its repository.
    pub async fn fsck(&self, deep: bool) -> Result<FsckReport> {
        let db = &self.0.db;
        let mut report = FsckReport {
            problems: db.dangling().await?,
            ..FsckReport::default()
        };
        let mut last: Option<String> = None;
        loop {
            let page = db.blobs_page(last.as_deref(), 1000).await?;
            let Some((l, _)) = page.last() else { break };
            last = Some(l.clone());
            for (digest, size) in page {
                report.blobs_checked += 1;
                let Some(hex) = names::sha256_hex(&digest) else {
                    report
                        .problems
                        .push(format!("malformed blob digest {digest:?}"));
                    continue;
                };
                let key = self.blob_key(hex);
                match self.0.store.head(&key).await {
                    Ok(meta) if meta.size != size => report.problems.push(format!(
                        "blob {digest}: {} bytes stored, {size} recorded",
                        meta.size
                    )),
                    Ok(_) if deep => {
                        let mut h = Hasher::new(DigestAlgorithm::Sha256);
                        let mut s = self.blob_stream(&digest, None).await?;
                        while let Some(chunk) = s.next().await {
                            h.update(&chunk?);
                        }
                        if h.finish().to_hex() != hex {
                            report
                                .problems
                                .push(format!("blob {digest}: content does not match its digest"));
                        }
                    }
                    Ok(_) => {}
                    Err(object_store::Error::NotFound { .. }) => {
                        report
                            .problems
                            .push(format!("blob {digest} is recorded but missing"));
                    }
                    Err(e) => return Err(e).context("cannot read the blob store"),
                }
            }
        }
        let mut last: Option<(String, String)> = None;
        loop {
            let page = db
                .manifests_page(last.as_ref().map(|(r, d)| (r.as_str(), d.as_str())), 500)
                .await?;
            let Some((r, d, _)) = page.last() else { break };
            last = Some((r.clone(), d.clone()));
            for (repo, digest, body) in page {
                report.manifests_checked += 1;
                let actual = format!(
                    "sha256:{}",
                    signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[&body]))
                );
                if actual != digest {
                    report
                        .problems
                        .push(format!("manifest {repo}@{digest}: bytes hash to {actual}"));
                    continue;
                }
                let Ok(doc) = serde_json::from_slice::<Value>(&body) else {
                    report
                        .problems
                        .push(format!("manifest {repo}@{digest}: not JSON"));
                    continue;
                };
                let media_type = doc.get("mediaType").and_then(Value::as_str).unwrap_or("");
                let index = names::is_index(media_type);
                let Ok(refs) = names::manifest_references(&doc, index) else {
                    report
                        .problems
                        .push(format!("manifest {repo}@{digest}: malformed"));
                    continue;
                };
                for r in refs {
                    let present = if index {
                        db.manifest(&repo, r).await?.is_some()
                    } else {
                        db.repo_blob(&repo, r).await?.is_some()
                    };
                    if !present {
                        report.problems.push(format!(
                            "manifest {repo}@{digest} references {r}, which {repo} does not hold"
                        ));
                    }
                }
            }
        }
        Ok(report)
    }
}

/// Deletes files named `<name>#<digits>` under `dir` last modified before
/// `cutoff` (Unix seconds); returns how many.
fn remove_staging(dir: &std::path::Path, cutoff: i64) -> Result<u64> {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
                continue;
            }
            let name = e.file_name();
            let name = name.to_string_lossy();
            let staging = name
                .split_once('#')
                .is_some_and(|(_, s)| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
            let old = e
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .is_some_and(|t| i64::try_from(t.as_secs()).unwrap_or(i64::MAX) < cutoff);
            if staging && old {
                std::fs::remove_file(e.path())
                    .with_context(|| format!("cannot remove {}", e.path().display()))?;
                n += 1;
            }
        }
    }
    Ok(n)
}
