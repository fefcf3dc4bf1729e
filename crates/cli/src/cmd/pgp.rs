//! OpenPGP in the blob commands: `generate-key-pair --type pgp`,
//! `sign-blob --pgp-key` (detached `.asc` or `--clearsign`) and
//! `verify-blob --keyring` (detached or `--clearsigned`). The formats and
//! the cryptography are in `signet-openpgp`; this is the file I/O.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use signet_openpgp::{Algorithm, Keyring, SecretKey};

use crate::VerificationFailed;
use crate::keyref::{Purpose, password};
use crate::output::write_atomic;

fn open(path: &Path) -> Result<Box<dyn Read>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Box::new(f))
}

fn passphrase(purpose: Purpose) -> Result<zeroize::Zeroizing<String>> {
    let pw = password(purpose)?;
    let s = std::str::from_utf8(&pw).context("the passphrase is not UTF-8")?;
    Ok(zeroize::Zeroizing::new(s.to_owned()))
}

/// `generate-key-pair --type pgp`: PREFIX.key.asc (secret, 0600) and
/// PREFIX.pub.asc (certificate).
pub(crate) fn generate(
    prefix: &str,
    algorithm: &str,
    user_id: &str,
    force: bool,
) -> Result<ExitCode> {
    let algorithm: Algorithm = algorithm.parse().map_err(|e: String| anyhow!(e))?;
    let secret_path = format!("{prefix}.key.asc");
    let public_path = format!("{prefix}.pub.asc");
    for p in [&secret_path, &public_path] {
        if !force && Path::new(p).exists() {
            bail!("{p} exists; pass --force to overwrite it");
        }
    }
    let pw = passphrase(Purpose::Create)?;
    let k = signet_openpgp::generate(algorithm, user_id, &pw)?;
    write_atomic(Path::new(&secret_path), k.secret.as_bytes(), 0o600, force)?;
    write_atomic(Path::new(&public_path), k.public.as_bytes(), 0o644, force)?;
    eprintln!(
        "OpenPGP key {} written to {secret_path} and {public_path}",
        k.fingerprint
    );
    Ok(ExitCode::SUCCESS)
}

/// `sign-blob --pgp-key K [--clearsign] FILE`.
pub(crate) fn sign(
    key: &Path,
    file: &Path,
    clearsign: bool,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let (key, pw) = secret_key(key)?;
    let out = if clearsign {
        let mut text = String::new();
        open(file)?.read_to_string(&mut text).with_context(|| {
            format!(
                "{} is not UTF-8 text (clearsigning is for text)",
                file.display()
            )
        })?;
        key.clearsign(&pw, &text)?
    } else {
        key.sign_detached(&pw, open(file)?)?
    };
    match output {
        Some(p) => write_atomic(p, out.as_bytes(), 0o644, true)?,
        None => print!("{out}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads an OpenPGP secret key (armored or binary) and the passphrase that
/// opens it (SIGNET_PASSWORD or a prompt); fails early on a wrong one.
pub(crate) fn secret_key(path: &Path) -> Result<(SecretKey, zeroize::Zeroizing<String>)> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read OpenPGP key {}", path.display()))?;
    let key =
        SecretKey::parse(&bytes).with_context(|| format!("OpenPGP key {}", path.display()))?;
    let pw = passphrase(Purpose::Open)?;
    key.unlock(&pw)?;
    Ok((key, pw))
}

/// Loads an OpenPGP keyring (armored or binary).
pub(crate) fn keyring(path: &Path) -> Result<Keyring> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read keyring {}", path.display()))?;
    Keyring::parse(&bytes).with_context(|| format!("keyring {}", path.display()))
}

fn failed(e: signet_openpgp::Error) -> anyhow::Error {
    match e {
        signet_openpgp::Error::BadSignature { .. }
        | signet_openpgp::Error::UnknownKey { .. }
        | signet_openpgp::Error::Unusable { .. }
        | signet_openpgp::Error::Expired { .. } => {
            anyhow!(VerificationFailed).context(e.to_string())
        }
        e => anyhow!(e),
    }
}

fn report(who: &signet_openpgp::Signer) {
    let uid = who.user_ids.first().map(String::as_str).unwrap_or("");
    eprintln!(
        "Good signature from {uid:?}, key {} (primary {})",
        who.key_id, who.fingerprint
    );
    println!("Verified OK");
}

/// `who`, if its key and signature have not expired by now (that the key
/// was valid when it signed is part of the verification).
pub(crate) fn alive(who: signet_openpgp::Signer) -> signet_openpgp::Result<signet_openpgp::Signer> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    who.alive_at(now)?;
    Ok(who)
}

/// `verify-blob --keyring K --signature F.asc FILE`.
pub(crate) fn verify(ring: &Path, signature: &str, file: &Path) -> Result<ExitCode> {
    let ring = keyring(ring)?;
    let sig =
        std::fs::read(signature).with_context(|| format!("cannot read signature {signature}"))?;
    let who = ring
        .verify_detached(&sig, open(file)?)
        .and_then(alive)
        .map_err(failed)?;
    report(&who);
    Ok(ExitCode::SUCCESS)
}

/// `verify-blob --keyring K --clearsigned FILE`: the signed text goes to
/// `output` when given.
pub(crate) fn verify_clearsigned(
    ring: &Path,
    file: &Path,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let ring = keyring(ring)?;
    let mut text = String::new();
    open(file)?
        .read_to_string(&mut text)
        .with_context(|| format!("{} is not a clearsigned text", file.display()))?;
    let (body, who) = ring
        .verify_cleartext(&text)
        .and_then(|(body, who)| Ok((body, alive(who)?)))
        .map_err(failed)?;
    if let Some(p) = output {
        write_atomic(p, body.as_bytes(), 0o644, true)?;
    }
    report(&who);
    Ok(ExitCode::SUCCESS)
}
