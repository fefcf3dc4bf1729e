//! `signet rpm sign|verify`: header-only OpenPGP signatures of RPM
//! packages, where rpm 4.18 (`rpmkeys --checksig`) looks for them. The
//! payload is streamed; the signed package replaces the original only
//! when complete (a temporary file renamed over it).

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_packages::rpm;

use crate::VerificationFailed;

/// `signet rpm ...`
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Sign RPM packages with an OpenPGP key (header signature, as
    /// `rpmsign --addsign` makes it).
    Sign(SignArgs),
    /// Verify RPM packages: header and payload digests, and the header
    /// signature against a keyring.
    Verify(VerifyArgs),
}

/// Arguments of `signet rpm sign`.
#[derive(clap::Args)]
pub(crate) struct SignArgs {
    /// OpenPGP secret key (RSA or Ed25519; armored or binary); passphrase
    /// from SIGNET_PASSWORD.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Write the signed package to FILE (default: replace the package).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The packages.
    #[arg(required = true)]
    packages: Vec<PathBuf>,
}

/// Arguments of `signet rpm verify`.
#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// OpenPGP keyring (armored or binary, as `gpg --export` writes it).
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    /// The packages.
    #[arg(required = true)]
    packages: Vec<PathBuf>,
}

pub(crate) fn run(c: Command) -> Result<ExitCode> {
    match c {
        Command::Sign(a) => sign(a),
        Command::Verify(a) => verify(a),
    }
}

fn open(p: &Path) -> Result<BufReader<std::fs::File>> {
    let f = std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
    Ok(BufReader::with_capacity(1 << 20, f))
}

fn sign(a: SignArgs) -> Result<ExitCode> {
    if a.output.is_some() && a.packages.len() > 1 {
        bail!("--output names one file: sign one package at a time with it");
    }
    let (key, pw) = super::pgp::secret_key(&a.key)?;
    let sig_tag = rpm::header_signature_tag(key.signing_algorithm()).ok_or_else(|| {
        anyhow!("rpm takes RSA, DSA or EdDSA OpenPGP keys; this key's algorithm is not one")
    })?;
    for pkg in &a.packages {
        let mut r = open(pkg)?;
        let prefix = rpm::read_prefix(&mut r).with_context(|| pkg.display().to_string())?;
        let packet = key.sign_detached_binary(&pw, &prefix.header_bytes[..])?;
        let head = prefix.signed(sig_tag, &packet)?;
        let target = a.output.clone().unwrap_or_else(|| pkg.clone());
        super::package::replace(pkg, &target, |tmp| {
            tmp.write_all(&head)?;
            std::io::copy(&mut r, tmp)
                .with_context(|| format!("copying {}'s payload", pkg.display()))?;
            Ok(())
        })?;
        eprintln!(
            "{}: signed with key {} ({})",
            target.display(),
            key.fingerprint(),
            if sig_tag == rpm::tag::RSA {
                "RSAHEADER"
            } else {
                "DSAHEADER"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let ring = super::pgp::keyring(&a.keyring)?;
    super::package::verify_each(&a.packages, |pkg| verify_one(&ring, pkg))
}

fn verify_one(ring: &signet_openpgp::Keyring, pkg: &Path) -> Result<String> {
    let fail = |m: String| anyhow!(VerificationFailed).context(m);
    let mut r = open(pkg)?;
    let prefix = rpm::read_prefix(&mut r)?;
    let mut checks = Vec::new();
    if let Some(want) = prefix.header_sha256() {
        let got = Digest::of(DigestAlgorithm::Sha256, &prefix.header_bytes).to_hex();
        if !got.eq_ignore_ascii_case(&want) {
            return Err(fail(
                "the header's SHA-256 does not match (the header was altered)".into(),
            ));
        }
        checks.push("header SHA-256 OK");
    }
    if let Some(want) = prefix.payload_sha256() {
        let got = crate::hash::hash_stream(&mut r, DigestAlgorithm::Sha256, None)
            .with_context(|| format!("reading {}", pkg.display()))?;
        if !got.to_hex().eq_ignore_ascii_case(&want) {
            return Err(fail(
                "the payload's SHA-256 does not match (the payload was altered)".into(),
            ));
        }
        checks.push("payload SHA-256 OK");
    }
    let Some(sig) = prefix.header_signature() else {
        return Err(fail(
            "not signed (no RSAHEADER or DSAHEADER signature)".into(),
        ));
    };
    let who = ring
        .verify_detached(sig, &prefix.header_bytes[..])
        .and_then(super::pgp::alive)
        .map_err(|e| fail(format!("header signature: {e}")))?;
    Ok(format!(
        "{}; signature OK, key {} ({})",
        checks.join(", "),
        who.key_id,
        who.user_ids.first().map(String::as_str).unwrap_or("")
    ))
}
