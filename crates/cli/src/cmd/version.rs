use std::process::ExitCode;

use anyhow::Result;

/// Arguments of `signet version`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let fips = signet_crypto::fips_mode();
    let version = env!("CARGO_PKG_VERSION");
    let build = if cfg!(feature = "fips") {
        "fips"
    } else {
        "default"
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "version": version,
                "crypto_provider": "aws-lc-rs",
                "build": build,
                "fips_mode": fips,
            })
        );
    } else {
        println!("signet {version}");
        println!("crypto provider: aws-lc-rs ({build} build)");
        println!("FIPS mode: {}", if fips { "on" } else { "off" });
    }
    Ok(ExitCode::SUCCESS)
}
