//! Debian repositories (`type: debian`): every `.deb` uploaded or deleted
//! regenerates the suite's indexes, signed with the server's archive key,
//! so apt reads the repository with `signed-by` that key:
//!
//! - `dists/stable/main/binary-<arch>/Packages` (each package's control
//!   fields plus `Filename`, `Size`, `SHA256`; `Architecture: all`
//!   packages in every architecture's index),
//! - `dists/stable/Release`, `InRelease` (clearsigned), `Release.gpg`,
//! - `signet-archive-key.asc` (the archive key's certificate) at the root.
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

/// One reindex at a time per process (a later one sees every earlier upload).
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
        let mut debs = Vec::new();
        let mut last: Option<String> = None;
        loop {
            let page = self.db().files(repo, "", last.as_deref(), 1000).await?;
            let done = page.len() < 1000;
            last = page.last().map(|f| f.path.clone());
            debs.extend(
                page.into_iter()
                    .filter(|f| f.path.ends_with(".deb") && !f.path.starts_with("dists/")),
            );
            if done {
                break;
            }
        }
        let mut by_arch: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut all = Vec::new();
        for f in &debs {
            let control = self
                .with_blob_reader(&f.digest, |mut r| signet_packages::deb::control(&mut r))
                .await?;
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
