use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use signet_crypto::{KeyAlgorithm, PrivateKey};

use crate::keyref::{Purpose, password};
use crate::output::write_atomic;

/// Arguments of `signet generate-key-pair`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Write PREFIX.key and PREFIX.pub.
    #[arg(long, default_value = "signet", value_name = "PREFIX")]
    output_key_prefix: String,
    /// Key type.
    #[arg(long = "type", default_value = "ecdsa-p256", value_parser = ["ecdsa-p256", "ecdsa-p384", "ed25519"])]
    key_type: String,
    /// Overwrite existing key files.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let algorithm: KeyAlgorithm = args.key_type.parse()?;
    let key_path = PathBuf::from(format!("{}.key", args.output_key_prefix));
    let pub_path = PathBuf::from(format!("{}.pub", args.output_key_prefix));
    if !args.force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                anyhow::bail!("{} already exists; pass --force to overwrite", p.display());
            }
        }
    }
    let password = password(Purpose::Create)?;
    let key = PrivateKey::generate(algorithm).context("key generation failed")?;
    let pem = zeroize::Zeroizing::new(key.to_encrypted_pem(&password)?);
    write_atomic(&key_path, pem.as_bytes(), 0o600, args.force)?;
    if let Err(e) = write_atomic(
        &pub_path,
        key.public_key().to_pem().as_bytes(),
        0o644,
        args.force,
    ) {
        // Leave no half-made pair behind.
        let _ = std::fs::remove_file(&key_path);
        return Err(e);
    }
    eprintln!("Private key written to {}", key_path.display());
    eprintln!("Public key written to {}", pub_path.display());
    Ok(ExitCode::SUCCESS)
}
