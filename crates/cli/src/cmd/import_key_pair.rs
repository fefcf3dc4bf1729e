use std::process::ExitCode;

use anyhow::{Context, Result};
use signet_crypto::PrivateKey;

use crate::env;
use crate::keyref::{KeyRef, Purpose, password, prompt};
use crate::output::KeyPairFiles;

/// Arguments of `signet import-key-pair`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The key to import: PEM PKCS#8, SEC1, PKCS#1, encrypted PKCS#8 or a cosign key.
    #[arg(long, value_name = "FILE")]
    key: String,
    /// Write PREFIX.key and PREFIX.pub.
    #[arg(
        long,
        short = 'o',
        default_value = "import-signet",
        value_name = "PREFIX"
    )]
    output_key_prefix: String,
    /// Overwrite existing key files.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let files = KeyPairFiles::new(&args.output_key_prefix, args.force)?;
    let src = match KeyRef::parse(&args.key)? {
        KeyRef::Path(p) => std::fs::read(&p)
            .map(zeroize::Zeroizing::new)
            .with_context(|| format!("cannot read key file {}", p.display()))?,
        _ => anyhow::bail!("import-key-pair reads a key file; give its path"),
    };
    let key = if signet_crypto::is_encrypted_pem(&src) {
        // The imported key's own password: SIGNET_IMPORT_PASSWORD, else the
        // same password the new file gets, else a prompt.
        let input_pw = match env::get(env::SIGNET_IMPORT_PASSWORD) {
            Some(v) => zeroize::Zeroizing::new(v.into_encoded_bytes()),
            None => match env::first(&[env::SIGNET_PASSWORD, env::COSIGN_PASSWORD]) {
                Some((_, v)) => zeroize::Zeroizing::new(v.into_encoded_bytes()),
                None => prompt(Purpose::Open, "Enter password of the key to import")?,
            },
        };
        PrivateKey::from_pem(&src, Some(&input_pw))
    } else {
        PrivateKey::from_pem(&src, None)
    }
    .with_context(|| format!("cannot import {}", args.key))?;

    let password = password(Purpose::Create)?;
    files.write(&key, &password)?;
    Ok(ExitCode::SUCCESS)
}
