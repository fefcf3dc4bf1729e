use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::keyref::load_verifier;
use crate::output::write_atomic;

/// Arguments of `signet public-key`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Private key, public key, env://VAR or pkcs11: URI.
    #[arg(long)]
    key: String,
    /// Write the PEM here instead of stdout.
    #[arg(long, value_name = "FILE")]
    output_file: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let public = load_verifier(&args.key)?;
    let pem = public.to_pem();
    match args.output_file {
        Some(path) => write_atomic(&path, pem.as_bytes(), 0o644, true)?,
        None => print!("{pem}"),
    }
    Ok(ExitCode::SUCCESS)
}
