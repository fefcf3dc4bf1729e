//! The log's signing keys: ECDSA P-256 (Rekor-compatible SETs and
//! checkpoint signatures, the key in trusted_root.json) and Ed25519 (the
//! C2SP checkpoint signature witnesses expect). Both are stored in cosign's
//! encrypted format under the data dir, never in clear.

use std::path::Path;

use anyhow::{Context, Result};
use signet_crypto::{KeyAlgorithm, PrivateKey};
use zeroize::Zeroizing;

use super::db::Db;

pub(crate) fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
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

/// The key-encryption password: configured, or (embedded default only)
/// generated once into the data dir. Replicas sharing a database must be
/// given the same password.
pub(crate) fn password(
    data_dir: &Path,
    configured: Option<&str>,
    shared: bool,
) -> Result<Zeroizing<Vec<u8>>> {
    if let Some(p) = configured {
        return Ok(Zeroizing::new(p.as_bytes().to_vec()));
    }
    if shared {
        anyhow::bail!(
            "a log on a shared database needs SIGNET_LOG_KEY_PASSWORD (or --log-key-password), the same on every replica: it encrypts the log keys stored in the database"
        );
    }
    let path = data_dir.join("log-keys.password");
    if let Ok(p) = std::fs::read(&path) {
        return Ok(Zeroizing::new(p));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
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

/// Loads the log key `name` from the database (encrypted in cosign's
/// format), or creates and stores it. When replicas race, the first stored
/// key wins and every replica uses it. A key file left by an earlier
/// version in `legacy` is imported as is (still encrypted).
pub(crate) async fn load_or_create(
    db: &Db,
    name: &str,
    algorithm: KeyAlgorithm,
    password: &[u8],
    legacy: Option<&Path>,
) -> Result<PrivateKey> {
    let pem = match db.key(name).await? {
        Some(pem) => pem,
        None => {
            let pem = match legacy.and_then(|p| std::fs::read_to_string(p).ok()) {
                Some(old) => Zeroizing::new(old),
                None => {
                    let key = PrivateKey::generate(algorithm)?;
                    Zeroizing::new(key.to_encrypted_pem(password)?)
                }
            };
            db.insert_key(name, &pem).await?
        }
    };
    PrivateKey::from_pem(pem.as_bytes(), Some(password)).with_context(|| {
        format!(
            "cannot open the log key {name:?} stored in {} (is SIGNET_LOG_KEY_PASSWORD the one it was created with?)",
            db.url()
        )
    })
}
