//! Tiles and the checkpoint on local disk, laid out as c2sp.org/tlog-tiles
//! so the directory can be served as-is. Every write is temp file → fsync →
//! rename → fsync of the directory, so a crash leaves either the old file or
//! the new one.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The tile directory.
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
