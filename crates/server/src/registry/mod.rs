//! The OCI registry: blobs in an object store (`file://` or `s3://`),
//! metadata in SQLite or PostgreSQL. Every write goes through [`Registry`]
//! (the one place a signing policy will later say no); `api` is the HTTP
//! surface of the OCI distribution spec.
//!
//! A blob becomes visible only whole and only under its verified digest: an
//! upload is streamed through SHA-256 into a multipart object that is
//! completed only when the digest matches (aborted otherwise), and linked
//! into the repository after that.

pub mod access;
pub mod api;
pub mod artifacts;
pub mod auth;
pub mod db;
pub mod maint;
pub mod names;
mod openapi;
mod package_repos;
mod rest;
pub mod signing;
mod signing_api;
pub mod signing_db;

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use axum::body::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use signet_crypto::digest::{DigestAlgorithm, Hasher};

use crate::Config;
pub use db::Manifest;

/// Why a registry operation failed, in the spec's terms.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The digest did not match the content, or is malformed.
    #[error("{0}")]
    DigestInvalid(String),
    /// No such blob in this repository.
    #[error("blob unknown to this repository")]
    BlobUnknown,
    /// No such upload session.
    #[error("upload session unknown (it may have finished or been cancelled)")]
    UploadUnknown,
    /// A chunk did not start where the upload stands.
    #[error("chunk out of order: the upload has {0} bytes")]
    RangeInvalid(u64),
    /// The repository exists with another type (`oci` / `generic`).
    #[error("{0}")]
    WrongKind(String),
    /// The upload is larger than `--max-blob` allows.
    #[error(
        "the upload exceeds this registry's limit of {0} bytes (SIGNET_MAX_BLOB); nothing was stored"
    )]
    TooLarge(u64),
    /// Storage or database failure.
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// Raised inside streaming writes when the size limit is crossed.
#[derive(Debug, thiserror::Error)]
#[error("upload over {0} bytes")]
struct OverLimit(u64);

impl From<anyhow::Error> for RegistryError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast_ref::<OverLimit>() {
            Some(OverLimit(max)) => RegistryError::TooLarge(*max),
            None => RegistryError::Internal(e),
        }
    }
}

struct Inner {
    db: db::Db,
    store: Arc<dyn ObjectStore>,
    prefix: String,
    max_manifest: usize,
    max_blob: u64,
    local_root: Option<std::path::PathBuf>,
    bearer_key: zeroize::Zeroizing<Vec<u8>>,
    signing: signing::Signing,
}

/// A handle on the registry (cheap to clone).
#[derive(Clone)]
pub struct Registry(Arc<Inner>);

impl Registry {
    /// Opens the registry the config names; on first start creates the
    /// admin token, writes it 0600 to `<data-dir>/admin-token` and prints it
    /// once on stderr.
    pub async fn open(config: &Config) -> Result<Self> {
        let reg = Self::open_for_maintenance(config).await?;
        reg.bootstrap_admin(&config.data_dir).await?;
        Ok(reg)
    }

    /// Opens the registry without creating the admin account (for `signet
    /// registry gc|fsck`).
    pub async fn open_for_maintenance(config: &Config) -> Result<Self> {
        let db = db::Db::open(&config.db_url()).await?;
        let opened = crate::objects::open(
            &config.blobs_url(),
            config.s3_endpoint.as_deref(),
            &config.s3_options,
        )?;
        let mut fresh = zeroize::Zeroizing::new([0u8; 32]);
        signet_crypto::random_bytes(fresh.as_mut())?;
        let bearer_key = zeroize::Zeroizing::new(db.secret("bearer-hmac", fresh.as_ref()).await?);
        let root = match &config.trusted_root {
            Some(p) => Some(
                signet_types::trust_root::TrustedRoot::from_json(
                    &std::fs::read(p)
                        .with_context(|| format!("cannot read the trusted root {}", p.display()))?,
                )
                .with_context(|| format!("{} is not a Sigstore trusted root", p.display()))?,
            ),
            None => None,
        };
        let reg = Self(Arc::new(Inner {
            db,
            store: opened.store,
            prefix: opened.prefix,
            max_manifest: config.max_manifest,
            max_blob: config.max_blob,
            local_root: opened.local_root,
            bearer_key,
            signing: signing::Signing::new(
                root,
                config.signing_kek.clone().map(zeroize::Zeroizing::new),
                config.data_dir.join("signing-kek"),
                (
                    config.pkcs11_module.clone(),
                    config.pkcs11_pin.clone().map(zeroize::Zeroizing::new),
                ),
            ),
        }));
        Ok(reg)
    }

    pub(crate) fn bearer_key(&self) -> &[u8] {
        &self.0.bearer_key
    }

    /// Stores a manifest, points `tag` at it, records it as a referrer.
    pub async fn put_manifest(
        &self,
        repo: &str,
        m: &Manifest,
        tag: Option<&str>,
        referrer: Option<&db::Referrer>,
        push: &db::Push,
    ) -> Result<()> {
        self.0.db.put_manifest(repo, m, tag, referrer, push).await?;
        tracing::info!(target: "signet::audit", repository = repo, digest = %m.digest, tag, "manifest stored");
        Ok(())
    }

    /// Deletes a manifest and its tags; true when it existed.
    pub async fn delete_manifest(&self, repo: &str, digest: &str) -> Result<bool> {
        let gone = self.0.db.delete_manifest(repo, digest).await?;
        tracing::info!(target: "signet::audit", repository = repo, digest, gone, "manifest deleted");
        Ok(gone)
    }

    /// Deletes a tag; true when it existed.
    pub async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool> {
        let gone = self.0.db.delete_tag(repo, tag).await?;
        tracing::info!(target: "signet::audit", repository = repo, tag, gone, "tag deleted");
        Ok(gone)
    }

    /// Unlinks a blob from a repository; true when it was linked.
    pub async fn unlink_blob(&self, repo: &str, digest: &str) -> Result<bool> {
        let gone = self.0.db.unlink_blob(repo, digest).await?;
        tracing::info!(target: "signet::audit", repository = repo, digest, gone, "blob unlinked");
        Ok(gone)
    }

    /// Deletes a file; true when it existed.
    pub async fn delete_file(&self, repo: &str, path: &str) -> Result<bool> {
        let gone = self.0.db.delete_file(repo, path).await?;
        tracing::info!(target: "signet::audit", repository = repo, path, gone, "file deleted");
        Ok(gone)
    }

    /// Creates a repository; false when the name is taken.
    pub async fn create_repository(&self, row: &db::RepositoryRow) -> Result<bool> {
        let created = self.0.db.create_repository(row).await?;
        tracing::info!(target: "signet::audit", repository = %row.name, kind = %row.kind, anonymous_read = row.anonymous_read, created, "repository created");
        Ok(created)
    }

    /// Sets anonymous read; false when the repository does not exist.
    pub async fn set_anonymous_read(&self, name: &str, on: bool) -> Result<bool> {
        let found = self.0.db.set_anonymous_read(name, on).await?;
        tracing::info!(target: "signet::audit", repository = name, anonymous_read = on, found, "repository changed");
        Ok(found)
    }

    /// Deletes a repository's metadata (blobs go at the next collection).
    pub async fn delete_repository(&self, name: &str) -> Result<bool> {
        let gone = self.0.db.delete_repository(name).await?;
        tracing::info!(target: "signet::audit", repository = name, gone, "repository deleted");
        Ok(gone)
    }

    /// Up to `n` repositories after `after` (name order) that `visible`
    /// lets through, paging through the full list.
    pub async fn repositories_where(
        &self,
        after: Option<String>,
        n: usize,
        visible: impl Fn(&db::RepositoryRow) -> bool,
    ) -> Result<Vec<db::RepositoryRow>> {
        let mut out = Vec::new();
        let mut after = after;
        while out.len() < n {
            let page = self.0.db.repositories(after.as_deref(), 1000).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.name.clone());
            out.extend(page.into_iter().filter(|r| visible(r)));
        }
        out.truncate(n);
        Ok(out)
    }

    /// Makes sure repository `name` exists with `kind` (created on first
    /// write); an error names the kind it has when that differs.
    pub async fn ensure_repository(&self, name: &str, kind: &str) -> Result<(), RegistryError> {
        let have = self.0.db.ensure_repository(name, kind, auth::now()).await?;
        if have == kind {
            Ok(())
        } else {
            Err(RegistryError::WrongKind(format!(
                "repository {name} is a {have} repository, not {kind}"
            )))
        }
    }

    /// Largest manifest accepted.
    pub fn max_manifest(&self) -> usize {
        self.0.max_manifest
    }

    /// Whether the metadata database answers.
    pub async fn ready(&self) -> Result<()> {
        self.0.db.ping().await
    }

    /// The metadata database.
    pub fn db(&self) -> &db::Db {
        &self.0.db
    }

    fn blob_key(&self, hex: &str) -> ObjectPath {
        ObjectPath::from(format!("{}blobs/sha256/{hex}", self.0.prefix))
    }

    fn chunk_key(&self, id: &str, n: u64) -> ObjectPath {
        ObjectPath::from(format!("{}uploads/{id}/{n:08}", self.0.prefix))
    }

    /// A blob's bytes (all, or the byte range `range` the caller checked
    /// against its size) as a stream, if `repo` links it.
    pub async fn blob(
        &self,
        repo: &str,
        digest: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<Option<(u64, impl Stream<Item = Result<Bytes>> + use<>)>> {
        let Some(size) = self.0.db.repo_blob(repo, digest).await? else {
            return Ok(None);
        };
        Ok(Some((size, self.blob_stream(digest, range).await?)))
    }

    /// A small blob's bytes in one read (signature payloads, bundles: the
    /// caller has checked the size).
    pub(crate) async fn small_blob_bytes(&self, digest: &str) -> Result<Vec<u8>> {
        let hex = names::sha256_hex(digest).ok_or_else(|| anyhow!("bad digest in database"))?;
        if let Some(root) = &self.0.local_root {
            let path = root.join(format!("{}blobs/sha256/{hex}", self.0.prefix));
            return tokio::fs::read(&path)
                .await
                .with_context(|| format!("blob {digest} is recorded but cannot be read"));
        }
        let got = self
            .0
            .store
            .get(&self.blob_key(hex))
            .await
            .with_context(|| format!("blob {digest} is recorded but cannot be read"))?;
        Ok(got.bytes().await?.to_vec())
    }

    /// A stored blob's bytes by digest (all, or `range`).
    pub async fn blob_stream(
        &self,
        digest: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<futures_util::stream::BoxStream<'static, Result<Bytes>>> {
        let hex = names::sha256_hex(digest).ok_or_else(|| anyhow!("bad digest in database"))?;
        if let Some(root) = &self.0.local_root {
            // Straight from the file in 1 MiB reads (the store's own
            // stream reads a few KiB at a time).
            use tokio::io::{AsyncReadExt, AsyncSeekExt};
            let path = root.join(format!("{}blobs/sha256/{hex}", self.0.prefix));
            let mut f = tokio::fs::File::open(&path)
                .await
                .with_context(|| format!("blob {digest} is recorded but cannot be read"))?;
            let len = match &range {
                Some(r) => {
                    f.seek(std::io::SeekFrom::Start(r.start)).await?;
                    r.end - r.start
                }
                None => f.metadata().await?.len(),
            };
            let reader = f.take(len);
            return Ok(tokio_util::io::ReaderStream::with_capacity(reader, 1 << 20)
                .map_err(anyhow::Error::from)
                .boxed());
        }
        let opts = object_store::GetOptions {
            range: range.map(object_store::GetRange::Bounded),
            ..Default::default()
        };
        let got = self
            .0
            .store
            .get_opts(&self.blob_key(hex), opts)
            .await
            .with_context(|| format!("blob {digest} is recorded but cannot be read"))?;
        Ok(got.into_stream().map_err(anyhow::Error::from).boxed())
    }

    /// Stores a file: the body is streamed through SHA-256 into the blob
    /// store and recorded under `path` only when complete (and, when
    /// `expected` is given, only when it matches); otherwise nothing is
    /// stored and the path keeps what it had.
    pub async fn put_file<S, E>(
        &self,
        repo: &str,
        path: &str,
        expected: Option<&str>,
        body: S,
        actor: &str,
    ) -> std::result::Result<db::FileRow, RegistryError>
    where
        S: Stream<Item = std::result::Result<Bytes, E>>,
        E: Into<anyhow::Error>,
    {
        let hasher = Hasher::new(DigestAlgorithm::Sha256);
        let held = expected.map(|hex| format!("sha256:{hex}"));
        if let Some(d) = &held {
            self.hold(d).await?;
        }
        let r = self
            .put_file_held(repo, path, expected, hasher, body, actor)
            .await;
        if let Some(d) = &held {
            self.release(d).await;
        }
        r
    }

    async fn put_file_held<S, E>(
        &self,
        repo: &str,
        path: &str,
        expected: Option<&str>,
        hasher: Hasher,
        body: S,
        actor: &str,
    ) -> std::result::Result<db::FileRow, RegistryError>
    where
        S: Stream<Item = std::result::Result<Bytes, E>>,
        E: Into<anyhow::Error>,
    {
        let (size, got) = match expected {
            // Known digest: write straight to its final key, completed only on a match.
            Some(hex) => {
                let want = signet_types::hex::decode(hex).unwrap_or_default();
                let (size, got, kept) = self
                    .write_object(
                        &self.blob_key(hex),
                        body,
                        hasher,
                        |g| g == want.as_slice(),
                        0,
                    )
                    .await?;
                if !kept {
                    return Err(RegistryError::DigestInvalid(format!(
                        "the uploaded content has SHA-256 {}, not {hex} (X-Checksum-Sha256); nothing was stored",
                        signet_types::hex::encode(&got)
                    )));
                }
                (size, got)
            }
            // Unknown digest: write aside, then move under the digest.
            None => {
                let mut raw = [0u8; 16];
                signet_crypto::random_bytes(&mut raw).map_err(anyhow::Error::from)?;
                let tmp = ObjectPath::from(format!(
                    "{}uploads/file-{}",
                    self.0.prefix,
                    signet_types::hex::encode(raw)
                ));
                let (size, got, _) = self.write_object(&tmp, body, hasher, |_| true, 0).await?;
                let hex = signet_types::hex::encode(&got);
                let digest = format!("sha256:{hex}");
                self.hold(&digest).await?;
                let r = async {
                    self.move_into_place(&tmp, &hex).await?;
                    self.record_file(repo, path, &digest, size, actor).await
                }
                .await;
                self.release(&digest).await;
                if r.is_err() {
                    let _ = self.0.store.delete(&tmp).await;
                }
                return Ok(r?);
            }
        };
        let digest = format!("sha256:{}", signet_types::hex::encode(&got));
        Ok(self.record_file(repo, path, &digest, size, actor).await?)
    }

    /// Renames a finished temporary object to blob `hex`; where the store
    /// cannot (S3 copies objects over 5 GiB only in parts), streams it
    /// across, checking the digest again.
    async fn move_into_place(&self, tmp: &ObjectPath, hex: &str) -> Result<()> {
        let to = self.blob_key(hex);
        if self.0.store.rename(tmp, &to).await.is_ok() {
            return Ok(());
        }
        let body = self
            .0
            .store
            .get(tmp)
            .await
            .context("cannot read the upload back")?
            .into_stream();
        let want = signet_types::hex::decode(hex).unwrap_or_default();
        let (_, _, kept) = self
            .write_object(
                &to,
                body,
                Hasher::new(DigestAlgorithm::Sha256),
                |g| g == want.as_slice(),
                0,
            )
            .await?;
        let _ = self.0.store.delete(tmp).await;
        if !kept {
            return Err(anyhow!("the upload changed while it was moved into place"));
        }
        Ok(())
    }

    async fn record_file(
        &self,
        repo: &str,
        path: &str,
        digest: &str,
        size: u64,
        actor: &str,
    ) -> Result<db::FileRow> {
        self.durable(digest).await?;
        let row = db::FileRow {
            path: path.to_owned(),
            digest: digest.to_owned(),
            size,
            created: auth::now(),
        };
        self.0.db.put_file(repo, &row, actor).await?;
        Ok(row)
    }

    /// Size of a blob if `repo` links it.
    pub async fn blob_size(&self, repo: &str, digest: &str) -> Result<Option<u64>> {
        self.0.db.repo_blob(repo, digest).await
    }

    /// Writes `body` to `key` as one object, returning its size and SHA-256;
    /// `keep` decides from the hash whether to complete it (else aborted:
    /// nothing becomes visible).
    async fn write_object<S, E>(
        &self,
        key: &ObjectPath,
        body: S,
        mut hasher: Hasher,
        keep: impl FnOnce(&[u8]) -> bool,
        already: u64,
    ) -> Result<(u64, Vec<u8>, bool)>
    where
        S: Stream<Item = std::result::Result<Bytes, E>>,
        E: Into<anyhow::Error>,
    {
        let upload = self.0.store.put_multipart(key).await?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, 8 << 20);
        let mut size = 0u64;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(e.into().context("the upload was cut off"));
                }
            };
            hasher.update(&chunk);
            size += chunk.len() as u64;
            let max = self.0.max_blob;
            if max > 0 && already + size > max {
                let _ = w.abort().await;
                return Err(OverLimit(max).into());
            }
            if let Err(e) = w.wait_for_capacity(4).await {
                return Err(anyhow::Error::from(e).context("cannot store the upload"));
            }
            w.put(chunk);
        }
        let digest = hasher.finish().as_bytes().to_vec();
        metrics::counter!("signet_registry_bytes_received_total").increment(size);
        if keep(&digest) {
            w.finish().await.context("cannot store the upload")?;
            Ok((size, digest, true))
        } else {
            w.abort().await.context("cannot discard the upload")?;
            Ok((size, digest, false))
        }
    }

    /// Starts an upload session; returns its id.
    pub async fn start_upload(&self, repo: &str) -> Result<String> {
        let mut raw = [0u8; 16];
        signet_crypto::random_bytes(&mut raw)?;
        let id = signet_types::hex::encode(raw);
        self.0.db.create_upload(&id, repo).await?;
        Ok(id)
    }

    /// `(size so far)` of an upload session.
    pub async fn upload_size(&self, repo: &str, id: &str) -> Result<Option<u64>> {
        Ok(self.0.db.upload(repo, id).await?.map(|(s, _)| s))
    }

    /// Appends a chunk (`start` from Content-Range, when given, must equal
    /// the current size); returns the new size.
    pub async fn append<S, E>(
        &self,
        repo: &str,
        id: &str,
        start: Option<u64>,
        body: S,
    ) -> std::result::Result<u64, RegistryError>
    where
        S: Stream<Item = std::result::Result<Bytes, E>>,
        E: Into<anyhow::Error>,
    {
        let (size, chunks) = self
            .0
            .db
            .upload(repo, id)
            .await?
            .ok_or(RegistryError::UploadUnknown)?;
        if start.is_some_and(|s| s != size) {
            return Err(RegistryError::RangeInvalid(size));
        }
        let key = self.chunk_key(id, chunks);
        let (added, sha, _) = self
            .write_object(
                &key,
                body,
                Hasher::new(DigestAlgorithm::Sha256),
                |_| true,
                size,
            )
            .await?;
        if !self.0.db.append_chunk(id, size, added, chunks).await? {
            let _ = self.0.store.delete(&key).await;
            return Err(RegistryError::RangeInvalid(size));
        }
        if chunks == 0 {
            // A one-chunk upload (docker, skopeo) then becomes the blob by
            // a rename instead of a second copy.
            self.0
                .db
                .set_chunk_sha256(id, 0, &signet_types::hex::encode(&sha))
                .await?;
        }
        Ok(size + added)
    }

    /// Finishes an upload: the chunks (and `last`, if any) become the blob
    /// `digest` if their SHA-256 matches, else nothing is stored. The
    /// digest is held against the garbage collector meanwhile.
    pub async fn finish_upload<S, E>(
        &self,
        repo: &str,
        id: &str,
        digest: &str,
        last: S,
    ) -> std::result::Result<u64, RegistryError>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send,
        E: Into<anyhow::Error>,
    {
        let hex = names::sha256_hex(digest).ok_or_else(|| {
            RegistryError::DigestInvalid(format!(
                "digest {digest:?} is not sha256:<64 lowercase hex> (the only algorithm this registry stores)"
            ))
        })?;
        self.hold(digest).await?;
        let r = self.finish_upload_held(repo, id, digest, hex, last).await;
        self.release(digest).await;
        r
    }

    /// Waits (up to a minute) for the garbage collector to let go of
    /// `digest`, then holds it.
    async fn hold(&self, digest: &str) -> Result<()> {
        for _ in 0..1200 {
            let now = auth::now();
            if self
                .0
                .db
                .hold(digest, false, now, now - maint::STALE_HOLD_SECS)
                .await?
            {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(anyhow!(
            "blob {digest} is being garbage-collected; retry later"
        ))
    }

    async fn release(&self, digest: &str) {
        if let Err(e) = self.0.db.release(digest, false).await {
            tracing::warn!(error = %format!("{e:#}"), digest, "cannot release a blob hold (it expires)");
        }
    }

    async fn finish_upload_held<S, E>(
        &self,
        repo: &str,
        id: &str,
        digest: &str,
        hex: &str,
        last: S,
    ) -> std::result::Result<u64, RegistryError>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send,
        E: Into<anyhow::Error>,
    {
        let (size, chunks) = self
            .0
            .db
            .upload(repo, id)
            .await?
            .ok_or(RegistryError::UploadUnknown)?;
        let want = signet_types::hex::decode(hex).unwrap_or_default();
        if chunks == 0 {
            // The whole blob is in this request: stream it to its final key,
            // completed only if the digest matches.
            let (size, _, kept) = self
                .write_object(
                    &self.blob_key(hex),
                    last,
                    Hasher::new(DigestAlgorithm::Sha256),
                    |got| got == want.as_slice(),
                    0,
                )
                .await?;
            return self.end_upload(repo, id, digest, size, kept, &[]).await;
        }
        // The final PUT may carry the last chunk.
        let mut last = std::pin::pin!(last);
        let mut first = None;
        while let Some(c) = last.next().await {
            let c =
                c.map_err(|e| RegistryError::Internal(e.into().context("the upload was cut off")))?;
            if !c.is_empty() {
                first = Some(c);
                break;
            }
        }
        if let Some(first) = first {
            let rest = futures_util::stream::once(async { Ok::<_, anyhow::Error>(first) })
                .chain(last.map(|r| r.map_err(Into::into)));
            self.append(repo, id, Some(size), rest).await?;
        }
        let (_, chunks) = self
            .0
            .db
            .upload(repo, id)
            .await?
            .ok_or(RegistryError::UploadUnknown)?;
        let keys: Vec<ObjectPath> = (0..chunks).map(|n| self.chunk_key(id, n)).collect();
        if chunks == 1
            && self.0.db.chunk_sha256(id, 0).await?.as_deref() == Some(hex)
            && self
                .0
                .store
                .rename(&keys[0], &self.blob_key(hex))
                .await
                .is_ok()
        {
            return self.end_upload(repo, id, digest, size, true, &[]).await;
        }
        let store = self.0.store.clone();
        let parts = futures_util::stream::iter(keys.clone())
            .then(move |k| {
                let store = store.clone();
                async move { store.get(&k).await.map(|g| g.into_stream()) }
            })
            .try_flatten()
            .boxed();
        let (size, _, kept) = self
            .write_object(
                &self.blob_key(hex),
                parts,
                Hasher::new(DigestAlgorithm::Sha256),
                |got| got == want.as_slice(),
                0,
            )
            .await?;
        self.end_upload(repo, id, digest, size, kept, &keys).await
    }

    /// Closes an upload session (dropping its chunk objects) and links the
    /// blob when it was `kept`.
    async fn end_upload(
        &self,
        repo: &str,
        id: &str,
        digest: &str,
        size: u64,
        kept: bool,
        chunk_keys: &[ObjectPath],
    ) -> std::result::Result<u64, RegistryError> {
        for k in chunk_keys {
            let _ = self.0.store.delete(k).await;
        }
        self.0.db.delete_upload(id).await?;
        if !kept {
            return Err(RegistryError::DigestInvalid(format!(
                "the uploaded content does not have digest {digest}; nothing was stored"
            )));
        }
        self.durable(digest).await?;
        self.0.db.link_blob(repo, digest, size).await?;
        Ok(size)
    }

    /// On `file://`, flushes a blob and its directory entry to disk before
    /// metadata points at it (object_store's local store does not), so a
    /// power cut cannot leave a recorded blob empty. S3 is durable on
    /// completion.
    async fn durable(&self, digest: &str) -> Result<()> {
        let (Some(root), Some(hex)) = (&self.0.local_root, names::sha256_hex(digest)) else {
            return Ok(());
        };
        let path = root.join(format!("{}blobs/sha256/{hex}", self.0.prefix));
        tokio::task::spawn_blocking(move || -> Result<()> {
            std::fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .with_context(|| format!("cannot flush {}", path.display()))?;
            if let Some(dir) = path.parent() {
                std::fs::File::open(dir)
                    .and_then(|f| f.sync_all())
                    .with_context(|| format!("cannot flush {}", dir.display()))?;
            }
            Ok(())
        })
        .await
        .context("flush task failed")?
    }

    /// Cancels an upload session.
    pub async fn cancel_upload(&self, repo: &str, id: &str) -> Result<bool> {
        let Some((_, chunks)) = self.0.db.upload(repo, id).await? else {
            return Ok(false);
        };
        for n in 0..chunks {
            let _ = self.0.store.delete(&self.chunk_key(id, n)).await;
        }
        self.0.db.delete_upload(id).await
    }

    /// Links a blob another repository holds (cross-repository mount).
    pub async fn mount(&self, repo: &str, from: &str, digest: &str) -> Result<bool> {
        self.hold(digest).await?;
        let r = async {
            match self.0.db.repo_blob(from, digest).await? {
                Some(size) => {
                    self.0.db.link_blob(repo, digest, size).await?;
                    Ok(true)
                }
                None => Ok(false),
            }
        }
        .await;
        self.release(digest).await;
        r
    }
}
