//! The OCI registry: blobs in an object store (`file://` or `s3://`),
//! metadata in SQLite or PostgreSQL. Every write goes through [`Registry`]
//! (the one place a signing policy will later say no); `api` is the HTTP
//! surface of the OCI distribution spec.
//!
//! A blob becomes visible only whole and only under its verified digest: an
//! upload is streamed through SHA-256 into a multipart object that is
//! completed only when the digest matches (aborted otherwise), and linked
//! into the repository after that.

pub mod api;
pub mod db;
pub mod names;

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
    /// Storage or database failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

struct Inner {
    db: db::Db,
    store: Arc<dyn ObjectStore>,
    prefix: String,
    max_manifest: usize,
}

/// A handle on the registry (cheap to clone).
#[derive(Clone)]
pub struct Registry(Arc<Inner>);

fn sha256_hex_of(bytes: &[u8]) -> String {
    signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[bytes]))
}

impl Registry {
    /// Opens the registry the config names; on first start creates the
    /// admin token, writes it 0600 to `<data-dir>/admin-token` and prints it
    /// once on stderr.
    pub async fn open(config: &Config) -> Result<Self> {
        let db = db::Db::open(&config.db_url()).await?;
        let opened = crate::objects::open(
            &config.blobs_url(),
            config.s3_endpoint.as_deref(),
            &config.s3_options,
        )?;
        if db.admin_token_hash().await?.is_none() {
            let mut raw = zeroize::Zeroizing::new([0u8; 32]);
            signet_crypto::random_bytes(raw.as_mut())?;
            let token = zeroize::Zeroizing::new(signet_types::hex::encode(raw.as_ref()));
            // Only the replica whose insert wins writes and prints it.
            if db
                .init_admin_token(&sha256_hex_of(token.as_bytes()))
                .await?
            {
                let path = config.data_dir.join("admin-token");
                std::fs::create_dir_all(&config.data_dir)
                    .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
                crate::log::write_secret(&path, token.as_bytes())?;
                eprintln!(
                    "signet serve: created the admin account: user `admin`, password in {} (shown once): {}",
                    path.display(),
                    token.as_str()
                );
            }
        }
        Ok(Self(Arc::new(Inner {
            db,
            store: opened.store,
            prefix: opened.prefix,
            max_manifest: config.max_manifest,
        })))
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

    /// Whether `user`/`password` are the admin credential.
    pub async fn check_admin(&self, user: &str, password: &str) -> Result<bool> {
        let Some(want) = self.0.db.admin_token_hash().await? else {
            return Ok(false);
        };
        let got = sha256_hex_of(password.as_bytes());
        // Both sides are hashes of fixed length; compare without early exit.
        let same = got
            .bytes()
            .zip(want.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
            && got.len() == want.len();
        Ok(user == "admin" && same)
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
        let hex = names::sha256_hex(digest).ok_or_else(|| anyhow!("bad digest in database"))?;
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
        Ok(Some((size, got.into_stream().map_err(anyhow::Error::from))))
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
            if let Err(e) = w.wait_for_capacity(4).await {
                return Err(anyhow::Error::from(e).context("cannot store the upload"));
            }
            w.put(chunk);
        }
        let digest = hasher.finish().as_bytes().to_vec();
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
        let (added, _, _) = self
            .write_object(&key, body, Hasher::new(DigestAlgorithm::Sha256), |_| true)
            .await?;
        if !self.0.db.append_chunk(id, size, added, chunks).await? {
            let _ = self.0.store.delete(&key).await;
            return Err(RegistryError::RangeInvalid(size));
        }
        Ok(size + added)
    }

    /// Finishes an upload: the chunks (and `last`, if any) become the blob
    /// `digest` if their SHA-256 matches, else nothing is stored.
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
        let size = self
            .0
            .db
            .upload(repo, id)
            .await?
            .ok_or(RegistryError::UploadUnknown)?
            .0;
        // The final PUT may carry the last chunk.
        self.append(repo, id, Some(size), last).await?;
        let (_, chunks) = self
            .0
            .db
            .upload(repo, id)
            .await?
            .ok_or(RegistryError::UploadUnknown)?;
        let store = self.0.store.clone();
        let keys: Vec<ObjectPath> = (0..chunks).map(|n| self.chunk_key(id, n)).collect();
        let parts = futures_util::stream::iter(keys.clone())
            .then(move |k| {
                let store = store.clone();
                async move { store.get(&k).await.map(|g| g.into_stream()) }
            })
            .try_flatten()
            .boxed();
        let want = signet_types::hex::decode(hex).unwrap_or_default();
        let (size, _, kept) = self
            .write_object(
                &self.blob_key(hex),
                parts,
                Hasher::new(DigestAlgorithm::Sha256),
                |got| got == want.as_slice(),
            )
            .await?;
        for k in &keys {
            let _ = self.0.store.delete(k).await;
        }
        self.0.db.delete_upload(id).await?;
        if !kept {
            return Err(RegistryError::DigestInvalid(format!(
                "the uploaded content does not have digest {digest}; nothing was stored"
            )));
        }
        self.0.db.link_blob(repo, digest, size).await?;
        Ok(size)
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
        match self.0.db.repo_blob(from, digest).await? {
            Some(size) => {
                self.0.db.link_blob(repo, digest, size).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
