//! `signet apk sign|verify`: Alpine package signatures in abuild's layout
//! (a gzip member with `.SIGN.RSA256.<key>.rsa.pub` ahead of the control
//! segment). Signing writes SHA-256 signatures (`RSA256`, read by
//! apk-tools 2.12 and later), or with `--sha1` abuild-sign's default
//! `.SIGN.RSA.` (SHA-1); verification reads both and checks the data
//! segment against `datahash`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_crypto::{KeyAlgorithm, Message, PublicKey, SignatureScheme};
use signet_packages::apk::{self, SigHash};

use crate::VerificationFailed;
use crate::keyref::{load_signer, load_verifier};

/// `signet apk ...`
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Sign APK packages with an RSA key (replacing earlier signatures).
    Sign(SignArgs),
    /// Verify APK packages (the control segment's signature and the data
    /// segment's hash) or signed indexes (APKINDEX.tar.gz).
    Verify(VerifyArgs),
}

/// Arguments of `signet apk sign`.
#[derive(clap::Args)]
pub(crate) struct SignArgs {
    /// RSA private key (PEM: PKCS#1 as `openssl genrsa` writes, PKCS#8,
    /// or signet/cosign encrypted), env://VAR or a pkcs11: URI.
    #[arg(long)]
    key: String,
    /// The public key's file name apk looks up in /etc/apk/keys (default:
    /// the key file's name without .pem/.key/.rsa, plus ".rsa.pub").
    #[arg(long)]
    key_name: Option<String>,
    /// Write the signed package to FILE (default: replace the package).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Sign as abuild-sign does by default: `.SIGN.RSA.<key>`, PKCS#1 v1.5
    /// over SHA-1 (for apk-tools before 2.12; refused in FIPS mode).
    #[arg(long)]
    sha1: bool,
    /// The packages.
    #[arg(required = true)]
    packages: Vec<PathBuf>,
}

/// Arguments of `signet apk verify`.
#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// RSA public key (PEM).
    #[arg(long)]
    key: String,
    /// Accept only signatures naming this key file (`name.rsa.pub`).
    #[arg(long)]
    key_name: Option<String>,
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

fn default_key_name(key: &str) -> String {
    let file = Path::new(key)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "signet".into());
    let mut stem = file.as_str();
    for ext in [".pem", ".key", ".priv", ".rsa"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    format!("{stem}.rsa.pub")
}

/// The file's first bytes (up to apk::MAX_PREFIX) and the open file.
fn head(path: &Path) -> Result<(Vec<u8>, std::fs::File)> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut buf = Vec::new();
    (&mut f)
        .take(apk::MAX_PREFIX as u64)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok((buf, f))
}

fn sign(a: SignArgs) -> Result<ExitCode> {
    if a.output.is_some() && a.packages.len() > 1 {
        bail!("--output names one file: sign one package at a time with it");
    }
    let signer = load_signer(&a.key)?;
    if signer.public_key().algorithm() != KeyAlgorithm::Rsa {
        bail!(
            "APK signatures are RSA; {} is a {} key (make one with `openssl genrsa -out key.rsa 4096`)",
            a.key,
            signer.public_key().algorithm()
        );
    }
    let key_name = a
        .key_name
        .clone()
        .unwrap_or_else(|| default_key_name(&a.key));
    for pkg in &a.packages {
        let (buf, mut f) = head(pkg)?;
        let prefix = apk::read_prefix(&buf).with_context(|| pkg.display().to_string())?;
        let (hash, sig) = if a.sha1 {
            let crate::keyref::Signer::Local(k) = &signer else {
                bail!("--sha1 signs with a key file, not an HSM key");
            };
            (
                SigHash::Sha1,
                signet_crypto::legacy::rsa_pkcs1_sha1_sign(k, &prefix.control)?,
            )
        } else {
            let digest = Digest::of(DigestAlgorithm::Sha256, &prefix.control);
            (SigHash::Sha256, signer.sign(&Message::Digest(digest))?)
        };
        let member = apk::signature_member(hash, &key_name, &sig)?;
        let target = a.output.clone().unwrap_or_else(|| pkg.clone());
        super::package::replace(pkg, &target, |tmp| {
            tmp.write_all(&member)?;
            tmp.write_all(&prefix.control)?;
            f.seek(SeekFrom::Start(prefix.data_offset))?;
            std::io::copy(&mut f, tmp)
                .with_context(|| format!("copying {}'s data", pkg.display()))?;
            Ok(())
        })?;
        let kind = if a.sha1 { "RSA" } else { "RSA256" };
        eprintln!("{}: signed as .SIGN.{kind}.{key_name}", target.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let key = load_verifier(&a.key)?;
    if key.algorithm() != KeyAlgorithm::Rsa {
        bail!(
            "APK signatures are RSA; {} is a {} key",
            a.key,
            key.algorithm()
        );
    }
    super::package::verify_each(&a.packages, |pkg| {
        verify_one(&key, a.key_name.as_deref(), pkg)
    })
}

fn verify_one(key: &PublicKey, key_name: Option<&str>, pkg: &Path) -> Result<String> {
    let fail = |m: String| anyhow!(VerificationFailed).context(m);
    let (buf, mut f) = head(pkg)?;
    let prefix = apk::read_prefix(&buf)?;
    if prefix.signatures.is_empty() {
        return Err(fail("not signed (no .SIGN. segment)".into()));
    }
    let mut tried = Vec::new();
    let mut good = None;
    for s in &prefix.signatures {
        if key_name.is_some_and(|n| n != s.key_name) {
            tried.push(format!("{} (another key)", s.key_name));
            continue;
        }
        let ok = match s.hash {
            SigHash::Sha256 => key.verify(
                &Message::Digest(Digest::of(DigestAlgorithm::Sha256, &prefix.control)),
                &s.bytes,
            ),
            SigHash::Sha1 => key.verify_scheme(
                SignatureScheme::RsaPkcs1Sha1Legacy,
                &prefix.control,
                &s.bytes,
            ),
        };
        match ok {
            Ok(()) => {
                good = Some(s);
                break;
            }
            Err(_) => tried.push(format!("{} (does not verify with this key)", s.key_name)),
        }
    }
    let Some(s) = good else {
        return Err(fail(format!("no signature verifies: {}", tried.join(", "))));
    };
    // A signed index (APKINDEX.tar.gz) has no data segment.
    if let Some(index) = &prefix.index {
        let packages = index.lines().filter(|l| l.starts_with("P:")).count();
        return Ok(format!(
            "index signature by {} OK ({packages} packages)",
            s.key_name
        ));
    }
    let Some(want) = prefix.field("datahash") else {
        return Err(fail(
            "the control segment has no datahash: the data segment is not covered".into(),
        ));
    };
    f.seek(SeekFrom::Start(prefix.data_offset))?;
    let got = crate::hash::hash_stream(f, DigestAlgorithm::Sha256, None)
        .with_context(|| format!("reading {}", pkg.display()))?;
    if !got.to_hex().eq_ignore_ascii_case(want) {
        return Err(fail(
            "the data segment does not match datahash (the files were altered)".into(),
        ));
    }
    Ok(format!(
        "{} signature by {} OK, data hash OK ({})",
        match s.hash {
            SigHash::Sha1 => "RSA (SHA-1)",
            SigHash::Sha256 => "RSA256",
        },
        s.key_name,
        prefix.field("pkgname").unwrap_or("?")
    ))
}
