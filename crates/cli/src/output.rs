//! Writing output files atomically: a temp file in the same directory,
//! fsync, then rename, so readers never see a half-written file and a
//! failure leaves nothing behind.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically with Unix `mode`.
/// With `overwrite == false`, fails if `path` exists (checked at rename).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32, overwrite: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".signet-tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    set_mode(tmp.as_file(), mode)?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    if overwrite {
        tmp.persist(path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", path.display()))?;
    } else {
        tmp.persist_noclobber(path)
            .map_err(|e| e.error)
            .with_context(|| {
                format!(
                    "{} already exists; remove it or pass --force to overwrite",
                    path.display()
                )
            })?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .context("cannot set file permissions")
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> Result<()> {
    Ok(())
}

/// The two files of a key pair: `PREFIX.key` (0600) and `PREFIX.pub`.
pub(crate) struct KeyPairFiles {
    key: std::path::PathBuf,
    public: std::path::PathBuf,
    force: bool,
}

impl KeyPairFiles {
    /// Names the files; without `force`, fails early if either exists.
    pub(crate) fn new(prefix: &str, force: bool) -> Result<Self> {
        let files = Self {
            key: format!("{prefix}.key").into(),
            public: format!("{prefix}.pub").into(),
            force,
        };
        if !force {
            for p in [&files.key, &files.public] {
                if p.exists() {
                    anyhow::bail!("{} already exists; pass --force to overwrite", p.display());
                }
            }
        }
        Ok(files)
    }

    /// Writes the key in cosign's encrypted format and its public key;
    /// leaves no half-made pair behind.
    pub(crate) fn write(&self, key: &signet_crypto::PrivateKey, password: &[u8]) -> Result<()> {
        let pem = zeroize::Zeroizing::new(key.to_encrypted_pem(password)?);
        write_atomic(&self.key, pem.as_bytes(), 0o600, self.force)?;
        let public = key.public_key().to_pem();
        if let Err(e) = write_atomic(&self.public, public.as_bytes(), 0o644, self.force) {
            let _ = std::fs::remove_file(&self.key);
            return Err(e);
        }
        eprintln!("Private key written to {}", self.key.display());
        eprintln!("Public key written to {}", self.public.display());
        Ok(())
    }
}
