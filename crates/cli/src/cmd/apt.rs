//! `signet apt`: Debian repository metadata. `release DIR` writes the
//! `Release` file of a suite (the SHA-256 and size of every index under
//! it); `sign-release DIR` signs it as apt reads it: `InRelease`
//! (clearsigned) and `Release.gpg` (detached, armored); `verify-release`
//! checks both against a keyring, as apt would.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use signet_crypto::digest::{Digest, DigestAlgorithm};

use crate::output::write_atomic;

/// `signet apt ...`
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Write DIR/Release for a suite directory (`dists/<suite>`): every index
    /// file under it with its size and SHA-256.
    Release(ReleaseArgs),
    /// Sign DIR/Release: write DIR/InRelease (clearsigned) and
    /// DIR/Release.gpg (detached) with an OpenPGP key.
    SignRelease(SignArgs),
    /// Verify DIR/InRelease and DIR/Release.gpg against a keyring, and the
    /// indexes against the hashes the Release file lists.
    VerifyRelease(VerifyArgs),
}

/// Arguments of `signet apt release`.
#[derive(clap::Args)]
pub(crate) struct ReleaseArgs {
    /// The suite directory (`dists/<suite>`).
    dir: PathBuf,
    /// Suite name (default: the directory's name).
    #[arg(long)]
    suite: Option<String>,
    /// Codename (default: the suite).
    #[arg(long)]
    codename: Option<String>,
    /// Origin field.
    #[arg(long, default_value = "signet")]
    origin: String,
    /// Label field.
    #[arg(long, default_value = "signet")]
    label: String,
    /// Components (default: the subdirectories that hold indexes).
    #[arg(long, value_delimiter = ',')]
    components: Vec<String>,
    /// Architectures (default: those of the `binary-<arch>` directories).
    #[arg(long, value_delimiter = ',')]
    architectures: Vec<String>,
}

/// Arguments of `signet apt sign-release`.
#[derive(clap::Args)]
pub(crate) struct SignArgs {
    /// The suite directory holding Release.
    dir: PathBuf,
    /// OpenPGP secret key (armored or binary); passphrase from SIGNET_PASSWORD.
    #[arg(long, value_name = "FILE")]
    pgp_key: PathBuf,
}

/// Arguments of `signet apt verify-release`.
#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// The suite directory.
    dir: PathBuf,
    /// OpenPGP keyring (armored or binary).
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
}

pub(crate) fn run(c: Command) -> Result<ExitCode> {
    match c {
        Command::Release(a) => release(a),
        Command::SignRelease(a) => sign(a),
        Command::VerifyRelease(a) => verify(a),
    }
}

const OWN: [&str; 3] = ["Release", "InRelease", "Release.gpg"];

/// Index files under `dir`, relative, sorted.
fn indexes(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.with_context(|| format!("cannot list {}", dir.display()))?;
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(dir)
            .context("walk left the directory")?
            .to_string_lossy()
            .replace('\\', "/");
        if OWN.contains(&rel.as_str()) {
            continue;
        }
        out.push((rel, e.path().to_owned()));
    }
    Ok(out)
}

fn field_ok(v: &str) -> Result<()> {
    if v.is_empty() || v.contains(['\n', '\r']) {
        bail!("Release fields are one non-empty line: {v:?}");
    }
    Ok(())
}

fn release(a: ReleaseArgs) -> Result<ExitCode> {
    let suite = match a.suite {
        Some(s) => s,
        None => a
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .context("name the suite with --suite")?,
    };
    let files = indexes(&a.dir)?;
    if files.is_empty() {
        bail!(
            "{} holds no index files (Packages, Sources, ...): run dpkg-scanpackages first",
            a.dir.display()
        );
    }
    let mut components = a.components;
    let mut archs = a.architectures;
    if components.is_empty() || archs.is_empty() {
        let mut cs = std::collections::BTreeSet::new();
        let mut arch = std::collections::BTreeSet::new();
        for (rel, _) in &files {
            let parts: Vec<&str> = rel.split('/').collect();
            if parts.len() >= 3 {
                cs.insert(parts[0].to_owned());
                if let Some(x) = parts[1].strip_prefix("binary-") {
                    arch.insert(x.to_owned());
                }
            }
        }
        if components.is_empty() {
            components = cs.into_iter().collect();
        }
        if archs.is_empty() {
            archs = arch.into_iter().collect();
        }
    }
    let codename = a.codename.unwrap_or_else(|| suite.clone());
    for v in [&suite, &codename, &a.origin, &a.label] {
        field_ok(v)?;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "Origin: {}", a.origin);
    let _ = writeln!(out, "Label: {}", a.label);
    let _ = writeln!(out, "Suite: {suite}");
    let _ = writeln!(out, "Codename: {codename}");
    let _ = writeln!(out, "Date: {}", signet_packages::deb::release_date(now));
    let _ = writeln!(out, "Architectures: {}", archs.join(" "));
    let _ = writeln!(out, "Components: {}", components.join(" "));
    let _ = writeln!(out, "Acquire-By-Hash: no");
    let _ = writeln!(out, "SHA256:");
    for (rel, path) in &files {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let d = Digest::of(DigestAlgorithm::Sha256, &bytes);
        let _ = writeln!(out, " {} {:>16} {rel}", d.to_hex(), bytes.len());
    }
    write_atomic(&a.dir.join("Release"), out.as_bytes(), 0o644, true)?;
    eprintln!(
        "{} written ({} index files)",
        a.dir.join("Release").display(),
        files.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn sign(a: SignArgs) -> Result<ExitCode> {
    let release = a.dir.join("Release");
    let text = std::fs::read_to_string(&release).with_context(|| {
        format!(
            "cannot read {} (write it with `signet apt release`)",
            release.display()
        )
    })?;
    let (key, pw) = super::pgp::secret_key(&a.pgp_key)?;
    let inrelease = key.clearsign(&pw, &text)?;
    let detached = key.sign_detached(&pw, text.as_bytes())?;
    write_atomic(&a.dir.join("InRelease"), inrelease.as_bytes(), 0o644, true)?;
    write_atomic(&a.dir.join("Release.gpg"), detached.as_bytes(), 0o644, true)?;
    eprintln!(
        "signed {} with key {}: InRelease and Release.gpg written",
        release.display(),
        key.fingerprint()
    );
    Ok(ExitCode::SUCCESS)
}

fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let ring = super::pgp::keyring(&a.keyring)?;
    let fail = |what: String| anyhow::anyhow!(crate::VerificationFailed).context(what);
    let inrelease = std::fs::read_to_string(a.dir.join("InRelease"))
        .with_context(|| format!("cannot read {}/InRelease", a.dir.display()))?;
    let (text, who) = ring
        .verify_cleartext(&inrelease)
        .and_then(|(text, who)| Ok((text, super::pgp::alive(who)?)))
        .map_err(|e| fail(format!("InRelease: {e}")))?;
    if let Ok(release) = std::fs::read(a.dir.join("Release")) {
        let sig = std::fs::read(a.dir.join("Release.gpg"))
            .with_context(|| format!("cannot read {}/Release.gpg", a.dir.display()))?;
        ring.verify_detached(&sig, &release[..])
            .and_then(super::pgp::alive)
            .map_err(|e| fail(format!("Release.gpg: {e}")))?;
    }
    // The indexes the signed text lists must match.
    let mut in_sha256 = false;
    let mut checked = 0usize;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_sha256 = line.trim_end() == "SHA256:";
            continue;
        }
        if !in_sha256 {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [hash, size, rel] = parts[..] else {
            return Err(fail(format!("InRelease: malformed SHA256 line {line:?}")));
        };
        if rel.split('/').any(|s| s == ".." || s.is_empty()) {
            return Err(fail(format!("InRelease: unsafe path {rel:?}")));
        }
        let Ok(bytes) = std::fs::read(a.dir.join(rel)) else {
            continue; // apt fetches only the indexes it needs
        };
        let d = Digest::of(DigestAlgorithm::Sha256, &bytes);
        if d.to_hex() != hash || bytes.len().to_string() != size {
            return Err(fail(format!(
                "{rel} does not match the hash InRelease lists"
            )));
        }
        checked += 1;
    }
    eprintln!(
        "Good signature from key {} ({}); {checked} index files match",
        who.key_id,
        who.user_ids.first().map(String::as_str).unwrap_or("")
    );
    println!("Verified OK");
    Ok(ExitCode::SUCCESS)
}
