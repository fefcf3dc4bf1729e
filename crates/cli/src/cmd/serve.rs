use std::process::ExitCode;

use anyhow::{Context, Result};

/// Arguments of `signet serve`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    config: signet_server::Config,
    /// Log format on stderr.
    #[arg(long, env = "SIGNET_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SIGNET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a terminal: logs piped to files or collectors stay plain.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if args.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(signet_server::run(args.config))?;
    Ok(ExitCode::SUCCESS)
}
