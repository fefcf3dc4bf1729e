use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use signet_types::trust_root::TrustedRoot;

use crate::output::write_atomic;

/// `signet trusted-root` subcommands.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Save the trusted_root.json a signet log publishes, to pin it.
    Create(CreateArgs),
}

/// Arguments of `signet trusted-root create`.
#[derive(clap::Args)]
pub(crate) struct CreateArgs {
    /// Base URL of the log (`signet serve`).
    #[arg(long, env = "SIGNET_TLOG_URL", value_name = "URL")]
    tlog_url: String,
    /// Output file.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Create(args) => {
            let bytes = crate::tlog::fetch_trusted_root(&args.tlog_url)?;
            let root = TrustedRoot::from_json(&bytes)
                .context("the log published an unusable trusted root")?;
            anyhow::ensure!(
                !root.tlogs.is_empty(),
                "the published trusted root names no log"
            );
            write_atomic(&args.output, &bytes, 0o644, true)?;
            eprintln!(
                "Trusted root with {} log(s) written to {}",
                root.tlogs.len(),
                args.output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
