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
    /// Key type.
    #[arg(long = "type", default_value = "ecdsa-p256", value_parser = ["ecdsa-p256", "ecdsa-p384", "ed25519"])]
    key_type: String,
    /// Overwrite existing key files.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let algorithm: KeyAlgorithm = args.key_type.parse()?;
    let files = KeyPairFiles::new(&args.output_key_prefix, args.force)?;
    let password = password(Purpose::Create)?;
    let key = PrivateKey::generate(algorithm).context("key generation failed")?;
    files.write(&key, &password)?;
    Ok(ExitCode::SUCCESS)
}
