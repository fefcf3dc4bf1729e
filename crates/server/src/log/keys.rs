//! The log's signing keys: ECDSA P-256 (Rekor-compatible SETs and
//! checkpoint signatures, the key in trusted_root.json) and Ed25519 (the
//! C2SP checkpoint signature witnesses expect). Both are stored in cosign's
//! encrypted format under the data dir, never in clear.

use std::path::Path;

use anyhow::{Context, Result};
use signet_crypto::{KeyAlgorithm, PrivateKey};
use zeroize::Zeroizing;

fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(bytes)?;
    tmp.1.sync_all()?;
    std::fs::rename(&tmp.0, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn tempfile_in(dir: &Path) -> Result<(std::path::PathBuf, std::fs::File)> {
    let mut rnd = [0u8; 8];
    signet_crypto::random_bytes(&mut rnd)?;
    let name = signet_types::hex::encode(rnd);
    let path = dir.join(format!(".tmp-{name}"));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let f = opts
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok((path, f))
}

/// The key-encryption password: configured, or generated once into the data dir.
pub(crate) fn password(data_dir: &Path, configured: Option<&str>) -> Result<Zeroizing<Vec<u8>>> {
    if let Some(p) = configured {
        return Ok(Zeroizing::new(p.as_bytes().to_vec()));
    }
    let path = data_dir.join("log-keys.password");
    if let Ok(p) = std::fs::read(&path) {
        return Ok(Zeroizing::new(p));
    }
    let mut raw = Zeroizing::new([0u8; 32]);
    signet_crypto::random_bytes(raw.as_mut())?;
    let text = zeroize::Zeroizing::new(signet_types::hex::encode(raw.as_ref()));
    write_secret(&path, text.as_bytes())?;
    tracing::warn!(
        path = %path.display(),
        "generated a key-encryption password for the log keys; set SIGNET_LOG_KEY_PASSWORD to keep it elsewhere"
    );
    Ok(Zeroizing::new(text.as_bytes().to_vec()))
}

/// Loads the key at `path`, or creates it.
pub(crate) fn load_or_create(
    path: &Path,
    algorithm: KeyAlgorithm,
    password: &[u8],
) -> Result<PrivateKey> {
    match std::fs::read(path) {
        Ok(pem) => PrivateKey::from_pem(&pem, Some(password))
            .with_context(|| format!("cannot open log key {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = PrivateKey::generate(algorithm)?;
            let pem = Zeroizing::new(key.to_encrypted_pem(password)?);
            write_secret(path, pem.as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}
