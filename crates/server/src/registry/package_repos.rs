//! Package repositories signet serve indexes itself. Every package
//! uploaded or deleted regenerates the repository's metadata, signed with
//! the server's archive key, so the package manager trusts only that key:
//!
//! - `type: debian`: `dists/stable/main/binary-<arch>/Packages` (each
//!   package's control fields plus `Filename`, `Size`, `SHA256`;
//!   `Architecture: all` packages in every architecture's index),
//!   `dists/stable/Release`, `InRelease` (clearsigned), `Release.gpg`;
//! - `type: rpm`: `repodata/primary.xml.gz`, `repodata/repomd.xml` and
//!   `repodata/repomd.xml.asc` (dnf's `repo_gpgcheck`);
//! - both: `signet-archive-key.asc` (the archive key's certificate) at the
//!   root;
//! - `type: alpine`: `APKINDEX.tar.gz` in every directory holding `.apk`
//!   files, signed (`.SIGN.RSA256.signet-archive.rsa.pub`) with the
//!   server's RSA archive key, whose public key is `signet-archive.rsa.pub`
//!   at the root (for `/etc/apk/keys`).
//!
//! The archive key is an OpenPGP Ed25519 key generated on first use and
//! stored protected (OpenPGP S2K) with the key-encryption key of
//! server-held keys; replicas share it through the database.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, Result};

use super::{Registry, auth::now};

const SUITE: &str = "stable";
const COMPONENT: &str = "main";
/// The certificate apt users download.
const KEY_FILE: &str = "signet-archive-key.asc";
const ARCHIVE_KEY: &str = "archive";

/// What a package's metadata entry was made from, by content (a blob never
/// changes), so a reindex reads only new packages: (kind, digest, path,
/// time) -> the entry or why it is not indexed.
static ENTRIES: std::sync::Mutex<
    Option<std::collections::HashMap<String, std::result::Result<String, String>>>,
> = std::sync::Mutex::new(None);
const ENTRIES_MAX: usize = 65_536;

fn entry_cached(key: &str) -> Option<std::result::Result<String, String>> {
    ENTRIES.lock().ok()?.as_ref()?.get(key).cloned()
}

fn entry_remember(key: String, v: std::result::Result<String, String>) {
    if let Ok(mut g) = ENTRIES.lock() {
        let m = g.get_or_insert_with(Default::default);
        if m.len() >= ENTRIES_MAX {
            m.clear();
        }
        m.insert(key, v);
    }
}

/// One reindex at a time per process (a later one sees every earlier upload).
/// Replicas may interleave; the next upload on either one repairs it.
static REINDEX: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Registry {
    /// The archive signing key (created on first use) and its passphrase.
    async fn archive_key(&self) -> Result<(signet_openpgp::SecretKey, zeroize::Zeroizing<String>)> {
        let kek = self.signing().kek()?;
        if self.db().archive_key(ARCHIVE_KEY).await?.is_none() {
            let k = signet_openpgp::generate(
                signet_openpgp::Algorithm::Ed25519,
                "signet archive key",
                &kek,
            )?;
            self.db()
                .put_archive_key(ARCHIVE_KEY, &k.fingerprint, &k.public, &k.secret, now())
                .await?;
        }
        let (_, sealed) = self
            .db()
            .archive_key(ARCHIVE_KEY)
            .await?
            .context("the archive key vanished")?;
        let key = signet_openpgp::SecretKey::parse(sealed.as_bytes())?;
        key.unlock(&kek)
            .context("the archive key does not open with this server's key-encryption key (replicas must share --signing-kek)")?;
        Ok((key, kek))
    }

    /// The files of `repo` ending in `suffix`, outside generated metadata.
    async fn packages_in(&self, repo: &str, suffix: &str) -> Result<Vec<super::db::FileRow>> {
        let mut out = Vec::new();
        let mut last: Option<String> = None;
        loop {
            let page = self.db().files(repo, "", last.as_deref(), 1000).await?;
            let done = page.len() < 1000;
            last = page.last().map(|f| f.path.clone());
            out.extend(
                page.into_iter()
                    .filter(|f| is_indexed_package(&f.path, suffix)),
            );
            if done {
                break;
            }
        }
        Ok(out)
    }

    async fn put_generated(&self, repo: &str, path: &str, bytes: Vec<u8>) -> Result<()> {
        let chunk: std::result::Result<axum::body::Bytes, std::convert::Infallible> =
            Ok(axum::body::Bytes::from(bytes));
        self.put_file(
            repo,
            path,
            None,
            futures_util::stream::iter([chunk]),
            "server",
        )
        .await
        .map_err(|e| anyhow::anyhow!("writing {path}: {e}"))?;
        Ok(())
    }

    /// Regenerates and signs the indexes of Debian repository `repo`.
    pub(crate) async fn debian_reindex(&self, repo: &str) -> Result<()> {
        let _one = REINDEX.lock().await;
        let debs = self.packages_in(repo, ".deb").await?;
        let mut by_arch: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut all = Vec::new();
        for f in &debs {
            let key = format!("deb {}", f.digest);
            let control = match entry_cached(&key) {
                Some(c) => c,
                None => {
                    let c = self
                        .with_blob_reader(&f.digest, |mut r| {
                            signet_packages::deb::control(&mut r).map_err(|e| e.to_string())
                        })
                        .await?;
                    entry_remember(key, c.clone());
                    c
                }
            };
            let control = match control {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(repository = repo, path = %f.path, error = %e, "not indexed");
                    continue;
                }
            };
            let arch = signet_packages::deb::field(&control, "Architecture")
                .unwrap_or("all")
                .to_owned();
            let mut stanza: String = control
                .lines()
                .filter(|l| {
                    !["Filename:", "Size:", "SHA256:", "MD5sum:"]
                        .iter()
                        .any(|k| l.starts_with(k))
                })
                .map(|l| format!("{l}\n"))
                .collect::<String>()
                .trim_end()
                .to_owned();
            let hex = f.digest.trim_start_matches("sha256:");
            let _ = write!(
                stanza,
                "\nFilename: {}\nSize: {}\nSHA256: {hex}\n",
                f.path, f.size
            );
            if arch == "all" {
                all.push(stanza);
            } else {
                by_arch.entry(arch).or_default().push(stanza);
            }
        }
        let mut archs: BTreeSet<String> = by_arch.keys().cloned().collect();
        if archs.is_empty() {
            archs.insert("amd64".into());
        }
        let mut indexes: Vec<(String, Vec<u8>)> = Vec::new();
        for a in &archs {
            let mut stanzas = by_arch.get(a).cloned().unwrap_or_default();
            stanzas.extend(all.iter().cloned());
            indexes.push((
                format!("{COMPONENT}/binary-{a}/Packages"),
                stanzas.join("\n").into_bytes(),
            ));
        }
        indexes.push((
            format!("{COMPONENT}/binary-all/Packages"),
            all.join("\n").into_bytes(),
        ));
        let mut release = String::new();
        let _ = writeln!(release, "Origin: signet");
        let _ = writeln!(release, "Label: {repo}");
        let _ = writeln!(release, "Suite: {SUITE}");
        let _ = writeln!(release, "Codename: {SUITE}");
        let _ = writeln!(
            release,
            "Date: {}",
            signet_packages::deb::release_date(now())
        );
        let _ = writeln!(
            release,
            "Architectures: {} all",
            archs.iter().cloned().collect::<Vec<_>>().join(" ")
        );
        let _ = writeln!(release, "Components: {COMPONENT}");
        let _ = writeln!(release, "SHA256:");
        for (path, bytes) in &indexes {
            let d = signet_crypto::digest::Digest::of(
                signet_crypto::digest::DigestAlgorithm::Sha256,
                bytes,
            );
            let _ = writeln!(release, " {} {:>16} {path}", d.to_hex(), bytes.len());
        }
        let (key, pass) = self.archive_key().await?;
        let inrelease = key.clearsign(&pass, &release)?;
        let detached = key.sign_detached(&pass, release.as_bytes())?;
        let public = key.public_armored()?;
        for (path, bytes) in indexes {
            self.put_generated(repo, &format!("dists/{SUITE}/{path}"), bytes)
                .await?;
        }
        self.put_generated(
            repo,
            &format!("dists/{SUITE}/Release"),
            release.into_bytes(),
        )
        .await?;
        self.put_generated(
            repo,
            &format!("dists/{SUITE}/Release.gpg"),
            detached.into_bytes(),
        )
        .await?;
        self.put_generated(
            repo,
            &format!("dists/{SUITE}/InRelease"),
            inrelease.into_bytes(),
        )
        .await?;
        self.put_generated(repo, KEY_FILE, public.into_bytes())
            .await?;
        tracing::info!(repository = repo, packages = debs.len(), key = %key.fingerprint(), "Debian indexes regenerated and signed");
        Ok(())
    }
}

/// Whether `path` is a package a repository's metadata lists (not a file
/// under the generated `dists/` or `repodata/`).
pub(crate) fn is_indexed_package(path: &str, suffix: &str) -> bool {
    path.ends_with(suffix) && !path.starts_with("dists/") && !path.starts_with("repodata/")
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

fn sha256_hex(bytes: &[u8]) -> String {
    signet_crypto::digest::Digest::of(signet_crypto::digest::DigestAlgorithm::Sha256, bytes)
        .to_hex()
}

impl Registry {
    /// Regenerates and signs the metadata of RPM repository `repo`.
    pub(crate) async fn rpm_reindex(&self, repo: &str) -> Result<()> {
        let _one = REINDEX.lock().await;
        let rpms = self.packages_in(repo, ".rpm").await?;
        let mut entries = Vec::new();
        for f in &rpms {
            let key = format!("rpm {} {} {}", f.digest, f.created, f.path);
            let entry = match entry_cached(&key) {
                Some(e) => e,
                None => {
                    let (digest, size, path, created) =
                        (f.digest.clone(), f.size, f.path.clone(), f.created);
                    let e = self
                        .with_blob_reader(&f.digest, move |mut r| {
                            signet_packages::rpm::read_prefix(&mut r)
                                .map(|p| {
                                    p.primary_entry(
                                        digest.trim_start_matches("sha256:"),
                                        size,
                                        &path,
                                        created,
                                    )
                                })
                                .map_err(|e| e.to_string())
                        })
                        .await?;
                    entry_remember(key, e.clone());
                    e
                }
            };
            match entry {
                Ok(e) => entries.push(e),
                Err(e) => {
                    tracing::warn!(repository = repo, path = %f.path, error = %e, "not indexed");
                }
            }
        }
        let primary = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"{}\">\n{}</metadata>\n",
            entries.len(),
            entries.concat()
        );
        let primary_gz = gzip(primary.as_bytes())?;
        let t = now();
        let repomd = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n  <revision>{t}</revision>\n  <data type=\"primary\">\n    <checksum type=\"sha256\">{}</checksum>\n    <open-checksum type=\"sha256\">{}</open-checksum>\n    <location href=\"repodata/primary.xml.gz\"/>\n    <timestamp>{t}</timestamp>\n    <size>{}</size>\n    <open-size>{}</open-size>\n  </data>\n</repomd>\n",
            sha256_hex(&primary_gz),
            sha256_hex(primary.as_bytes()),
            primary_gz.len(),
            primary.len()
        );
        let (key, pass) = self.archive_key().await?;
        let signature = key.sign_detached(&pass, repomd.as_bytes())?;
        let public = key.public_armored()?;
        self.put_generated(repo, "repodata/primary.xml.gz", primary_gz)
            .await?;
        self.put_generated(repo, "repodata/repomd.xml", repomd.into_bytes())
            .await?;
        self.put_generated(repo, "repodata/repomd.xml.asc", signature.into_bytes())
            .await?;
        self.put_generated(repo, KEY_FILE, public.into_bytes())
            .await?;
        tracing::info!(repository = repo, packages = entries.len(), key = %key.fingerprint(), "RPM metadata regenerated and signed");
        Ok(())
    }

    /// Regenerates the metadata of `repo` when it is a package repository
    /// and `path` one of its packages.
    pub(crate) async fn reindex_after(&self, repo: &str, path: &str) -> Result<()> {
        let kind = self.db().repository(repo).await?.map(|r| r.kind);
        match kind.as_deref() {
            Some("debian") if is_indexed_package(path, ".deb") => self.debian_reindex(repo).await,
            Some("rpm") if is_indexed_package(path, ".rpm") => self.rpm_reindex(repo).await,
            Some("alpine") if is_indexed_package(path, ".apk") => {
                self.alpine_reindex(repo, path).await
            }
            _ => Ok(()),
        }
    }
}

const APK_KEY: &str = "apk-rsa";
/// The Alpine archive key's file name (what apk looks up in /etc/apk/keys).
const APK_KEY_NAME: &str = "signet-archive.rsa.pub";

impl Registry {
    /// The RSA archive key of Alpine indexes (created on first use, sealed
    /// in cosign's encrypted format with the key-encryption key).
    async fn apk_key(&self) -> Result<signet_crypto::PrivateKey> {
        if self.db().archive_key(APK_KEY).await?.is_none() {
            let k = signet_crypto::PrivateKey::generate(signet_crypto::KeyAlgorithm::Rsa)?;
            let sealed = self.seal_key(&k)?;
            self.db()
                .put_archive_key(
                    APK_KEY,
                    &format!("sha256:{}", k.public_key().fingerprint()),
                    &k.public_key().to_pem(),
                    &sealed,
                    now(),
                )
                .await?;
        }
        let (_, sealed) = self
            .db()
            .archive_key(APK_KEY)
            .await?
            .context("the APK archive key vanished")?;
        let kek = self.signing().kek()?;
        signet_crypto::PrivateKey::from_pem(sealed.as_bytes(), Some(kek.as_bytes())).context(
            "the APK archive key does not open with this server's key-encryption key (replicas must share --signing-kek)",
        )
    }

    /// Regenerates and signs the `APKINDEX.tar.gz` of the directory of
    /// `path` in Alpine repository `repo`.
    pub(crate) async fn alpine_reindex(&self, repo: &str, path: &str) -> Result<()> {
        use signet_packages::apk;
        let _one = REINDEX.lock().await;
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let apks: Vec<_> = self
            .packages_in(repo, ".apk")
            .await?
            .into_iter()
            .filter(|f| f.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("") == dir)
            .collect();
        let mut stanzas = Vec::new();
        for f in &apks {
            let size = f.size;
            let key = format!("apk {} {size}", f.digest);
            if let Some(e) = entry_cached(&key) {
                match e {
                    Ok(e) => stanzas.push(e),
                    Err(e) => {
                        tracing::warn!(repository = repo, path = %f.path, error = %e, "not indexed")
                    }
                }
                continue;
            }
            let entry = self
                .with_blob_reader(&f.digest, move |r| {
                    use std::io::Read;
                    let mut buf = Vec::new();
                    r.take(apk::MAX_PREFIX as u64)
                        .read_to_end(&mut buf)
                        .map_err(|e| e.to_string())?;
                    let p = apk::read_prefix(&buf).map_err(|e| e.to_string())?;
                    let sha1 = signet_crypto::digest::sha1_legacy(&p.control);
                    Ok::<_, String>(p.index_entry(size, &sha1))
                })
                .await?;
            entry_remember(key, entry.clone());
            match entry {
                Ok(e) => stanzas.push(e),
                Err(e) => {
                    tracing::warn!(repository = repo, path = %f.path, error = %e, "not indexed")
                }
            }
        }
        let member = apk::index_member(&format!("signet {repo}"), &stanzas)?;
        let key = self.apk_key().await?;
        let digest = signet_crypto::digest::Digest::of(
            signet_crypto::digest::DigestAlgorithm::Sha256,
            &member,
        );
        let sig = key.sign(&signet_crypto::Message::Digest(digest))?;
        let mut index = apk::signature_member(apk::SigHash::Sha256, APK_KEY_NAME, &sig)?;
        index.extend_from_slice(&member);
        let target = if dir.is_empty() {
            "APKINDEX.tar.gz".to_owned()
        } else {
            format!("{dir}/APKINDEX.tar.gz")
        };
        self.put_generated(repo, &target, index).await?;
        self.put_generated(repo, APK_KEY_NAME, key.public_key().to_pem().into_bytes())
            .await?;
        tracing::info!(
            repository = repo,
            directory = dir,
            packages = stanzas.len(),
            "APKINDEX regenerated and signed"
        );
        Ok(())
    }
}
