//! Where tiles, entry bundles and the checkpoint live, laid out as
//! c2sp.org/tlog-tiles so the store can be served as-is:
//!
//! - `file://DIR`: every write is temp file → fsync → rename → fsync of the
//!   directory, so a crash leaves either the old file or the new one.
//! - `s3://BUCKET[/PREFIX]` (any S3-compatible store, through `object_store`):
//!   a PUT is durable once acknowledged and objects appear whole.
//!
//! Tiles are immutable once written (a partial tile's width is in its path),
//! so reads of tiles may be cached; the checkpoint is never cached.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::Config;

/// The tile directory on local disk.
#[derive(Debug, Clone)]
pub struct TileDir {
    root: PathBuf,
}

impl TileDir {
    /// Opens (creating) the directory.
    pub fn open(root: PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        Ok(Self { root })
    }

    /// The file for a log-relative path (already validated by the caller).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Reads a file; `None` when absent.
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(rel)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {rel}")),
        }
    }

    /// Writes a file durably and atomically.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(rel);
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let tmp = dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("cannot rename into {}", path.display()))?;
        sync_dir(&dir)?;
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))?;
    Ok(())
}

/// Most tiles kept in the read cache of an object store (each ≤ 8 KiB for
/// hash tiles; entry bundles are not cached).
const CACHE_TILES: usize = 4096;

/// Tiles in an object store.
#[derive(Clone)]
pub struct ObjectTiles {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    url: String,
    cache: Arc<Mutex<HashMap<String, Arc<[u8]>>>>,
}

impl ObjectTiles {
    fn location(&self, rel: &str) -> ObjectPath {
        ObjectPath::from(format!("{}{rel}", self.prefix))
    }

    async fn get(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let cacheable = rel.starts_with("tile/") && !rel.starts_with("tile/entries/");
        if cacheable && let Some(t) = lock(&self.cache).get(rel) {
            return Ok(Some(t.to_vec()));
        }
        let bytes = match self.store.get(&self.location(rel)).await {
            Ok(r) => r
                .bytes()
                .await
                .with_context(|| format!("cannot read {rel} from {}", self.url))?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {rel} from {}", self.url));
            }
        };
        if cacheable {
            let mut cache = lock(&self.cache);
            if cache.len() >= CACHE_TILES {
                cache.clear();
            }
            cache.insert(rel.to_owned(), Arc::from(&bytes[..]));
        }
        Ok(Some(bytes.to_vec()))
    }

    async fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&self.location(rel), bytes.into())
            .await
            .with_context(|| format!("cannot write {rel} to {}", self.url))?;
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The tile store, chosen by URL.
#[derive(Clone)]
pub enum TileStore {
    /// `file://DIR`.
    Dir(TileDir),
    /// `s3://BUCKET[/PREFIX]`.
    Object(ObjectTiles),
}

impl std::fmt::Debug for TileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dir(d) => write!(f, "file://{}", d.root.display()),
            Self::Object(o) => f.write_str(&o.url),
        }
    }
}

impl TileStore {
    /// Opens the store named by `config.log_storage_url()`.
    pub fn open(config: &Config) -> Result<Self> {
        Self::open_url(
            &config.log_storage_url(),
            config.s3_endpoint.as_deref(),
            &config.s3_options,
        )
    }

    /// Opens a store by URL (`file://DIR` or `s3://BUCKET[/PREFIX]`).
    pub fn open_url(
        url: &str,
        endpoint: Option<&str>,
        options: &[(String, String)],
    ) -> Result<Self> {
        if let Some(dir) = url.strip_prefix("file://") {
            return Ok(Self::Dir(TileDir::open(PathBuf::from(dir))?));
        }
        if !url.starts_with("s3://") {
            bail!("unsupported log storage URL {url:?}: use file://DIR or s3://BUCKET[/PREFIX]");
        }
        let opened = crate::objects::s3(url, endpoint, options)?;
        Ok(Self::Object(ObjectTiles {
            store: opened.store,
            prefix: opened.prefix,
            url: url.to_owned(),
            cache: Arc::default(),
        }))
    }

    /// Reads a log-relative path (`checkpoint`, `tile/...`); `None` when absent.
    pub async fn get(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        match self {
            Self::Dir(d) => {
                let d = d.clone();
                let rel = rel.to_owned();
                tokio::task::spawn_blocking(move || d.read(&rel)).await?
            }
            Self::Object(o) => o.get(rel).await,
        }
    }

    /// Writes a log-relative path durably; readers see the old or the new
    /// bytes, never a part.
    pub async fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<()> {
        match self {
            Self::Dir(d) => {
                let d = d.clone();
                let rel = rel.to_owned();
                tokio::task::spawn_blocking(move || d.write(&rel, &bytes)).await?
            }
            Self::Object(o) => o.put(rel, bytes).await,
        }
    }

    /// Writes several paths, a few at a time.
    pub async fn put_all(&self, files: Vec<(String, Vec<u8>)>) -> Result<()> {
        use futures_util::{StreamExt, TryStreamExt};
        futures_util::stream::iter(files)
            .map(|(rel, bytes)| async move { self.put(&rel, bytes).await })
            .buffer_unordered(8)
            .try_collect::<()>()
            .await
    }

    /// [`Self::get`] from blocking code (a `spawn_blocking` thread).
    pub fn get_blocking(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        match self {
            Self::Dir(d) => d.read(rel),
            Self::Object(o) => tokio::runtime::Handle::current().block_on(o.get(rel)),
        }
    }
}
