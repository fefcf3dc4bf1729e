use std::process::ExitCode;

use anyhow::{Context, Result};
use signet_crypto::{KeyAlgorithm, PrivateKey};

use crate::keyref::{Purpose, password};
use crate::output::KeyPairFiles;

/// Arguments of `signet generate-key-pair`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Write PREFIX.key and PREFIX.pub.
    #[arg(long, default_value = "signet", value_name = "PREFIX")]
    output_key_prefix: String,
    /// Key type (`pgp`: an OpenPGP key, written as PREFIX.key.asc and
    /// PREFIX.pub.asc).
    #[arg(long = "type", default_value = "ecdsa-p256", value_parser = ["ecdsa-p256", "ecdsa-p384", "ed25519", "pgp"])]
    key_type: String,
    /// OpenPGP key algorithm (with --type pgp).
    #[arg(long, default_value = "ed25519", value_parser = ["ed25519", "rsa2048", "rsa3072", "rsa4096"])]
    pgp_algorithm: String,
    /// OpenPGP user ID (with --type pgp), e.g. "Release Team <release@example.com>".
    #[arg(long, default_value = "signet")]
    user_id: String,
    /// Overwrite existing key files.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    if args.key_type == "pgp" {
        return super::pgp::generate(
            &args.output_key_prefix,
            &args.pgp_algorithm,
            &args.user_id,
            args.force,
        );
    }
    let algorithm: KeyAlgorithm = args.key_type.parse()?;
    let files = KeyPairFiles::new(&args.output_key_prefix, args.force)?;
    let password = password(Purpose::Create)?;
    let key = PrivateKey::generate(algorithm).context("key generation failed")?;
    files.write(&key, &password)?;
    Ok(ExitCode::SUCCESS)
}
