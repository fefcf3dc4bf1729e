//! `signet deb sign|verify`: debsigs signatures of Debian packages (an
//! `_gpg<type>` member with an OpenPGP signature of `debian-binary`,
//! `control.tar.*` and `data.tar.*`), as debsig-verify checks them. The
//! package contents are streamed; a signed package replaces the original
//! only when complete.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use signet_packages::deb;

use crate::VerificationFailed;

/// `signet deb ...`
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Sign Debian packages as debsigs does (`_gpgorigin` by default).
    Sign(SignArgs),
    /// Verify Debian packages' debsigs signatures against a keyring.
    Verify(VerifyArgs),
}

/// Arguments of `signet deb sign`.
#[derive(clap::Args)]
pub(crate) struct SignArgs {
    /// OpenPGP secret key (armored or binary); passphrase from SIGNET_PASSWORD.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Signature type (debsigs: origin, maint, archive).
    #[arg(long = "type", default_value = "origin", value_parser = ["origin", "maint", "archive"])]
    sig_type: String,
    /// The packages.
    #[arg(required = true)]
    packages: Vec<PathBuf>,
}

/// Arguments of `signet deb verify`.
#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// OpenPGP keyring (armored or binary).
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    /// Signature type that must be present and verify.
    #[arg(long = "type", default_value = "origin", value_parser = ["origin", "maint", "archive"])]
    sig_type: String,
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

fn open(p: &Path) -> Result<std::fs::File> {
    std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))
}

/// A reader over the signed members, one after another.
fn signed_stream(pkg: &Path, members: &[deb::Member]) -> Result<Box<dyn Read>> {
    let mut out: Box<dyn Read> = Box::new(std::io::empty());
    for m in deb::signed_members(members)? {
        let mut f = open(pkg)?;
        f.seek(SeekFrom::Start(m.offset))?;
        out = Box::new(out.chain(std::io::BufReader::with_capacity(1 << 20, f.take(m.size))));
    }
    Ok(out)
}

fn sign(a: SignArgs) -> Result<ExitCode> {
    let (key, pw) = super::pgp::secret_key(&a.key)?;
    let member_name = format!("_gpg{}", a.sig_type);
    for pkg in &a.packages {
        let mut f = open(pkg)?;
        let members = deb::members(&mut f).with_context(|| pkg.display().to_string())?;
        let sig = key.sign_detached_binary(&pw, signed_stream(pkg, &members)?)?;
        super::package::replace(pkg, pkg, |tmp| {
            tmp.write_all(b"!<arch>\n")?;
            for m in members.iter().filter(|m| m.name != member_name) {
                f.seek(SeekFrom::Start(m.offset - 60))?;
                let len = 60 + m.size + (m.size & 1);
                let copied = std::io::copy(&mut (&mut f).take(len), tmp)?;
                if copied < 60 + m.size {
                    bail!("{} changed while it was being signed", pkg.display());
                }
                if copied < len {
                    tmp.write_all(b"\n")?;
                }
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            tmp.write_all(&deb::member_header(&member_name, sig.len() as u64, now)?)?;
            tmp.write_all(&sig)?;
            if sig.len() % 2 == 1 {
                tmp.write_all(b"\n")?;
            }
            Ok(())
        })?;
        eprintln!(
            "{}: signed ({member_name}) with key {}",
            pkg.display(),
            key.fingerprint()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let ring = super::pgp::keyring(&a.keyring)?;
    let member_name = format!("_gpg{}", a.sig_type);
    super::package::verify_each(&a.packages, |pkg| -> Result<String> {
        let fail = |m: String| anyhow!(VerificationFailed).context(m);
        let mut f = open(pkg)?;
        let members = deb::members(&mut f)?;
        let Some(m) = members.iter().find(|m| m.name == member_name) else {
            return Err(fail(format!(
                "no {member_name} signature (not signed with debsigs)"
            )));
        };
        if m.size > signet_openpgp::MAX_SIGNATURE as u64 {
            bail!(
                "the {member_name} member is over {} bytes",
                signet_openpgp::MAX_SIGNATURE
            );
        }
        let mut sig = vec![0u8; m.size as usize];
        f.seek(SeekFrom::Start(m.offset))?;
        f.read_exact(&mut sig)?;
        let who = ring
            .verify_detached(&sig, signed_stream(pkg, &members)?)
            .and_then(super::pgp::alive)
            .map_err(|e| fail(format!("{member_name}: {e}")))?;
        Ok(format!(
            "{member_name} signature OK, key {} ({})",
            who.key_id,
            who.user_ids.first().map(String::as_str).unwrap_or("")
        ))
    })
}
