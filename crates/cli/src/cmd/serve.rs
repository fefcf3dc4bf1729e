use std::process::ExitCode;

use anyhow::{Context, Result};

/// Arguments of `signet serve`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A TOML file of settings (keys are the long option names, `-` or
    /// `_`); options and `SIGNET_*` variables take precedence over it.
    #[arg(long, env = "SIGNET_CONFIG", value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    #[command(flatten)]
    server: signet_server::Config,
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
    rt.block_on(signet_server::run(args.server))?;
    Ok(ExitCode::SUCCESS)
}

/// When `signet serve --config FILE` is asked for, returns the command line
/// with FILE's settings added as options, for those that neither an option
/// nor an environment variable set (precedence: options, environment, file).
pub(crate) fn with_config_file(
    argv: &[std::ffi::OsString],
    matches: &clap::ArgMatches,
    command: &clap::Command,
) -> Result<Option<Vec<std::ffi::OsString>>> {
    use clap::parser::ValueSource;
    let Some(("serve", sub)) = matches.subcommand() else {
        return Ok(None);
    };
    let Some(path) = sub.get_one::<std::path::PathBuf>("config") else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let serve = command
        .find_subcommand("serve")
        .context("no serve command")?;
    let mut extra: Vec<std::ffi::OsString> = Vec::new();
    for (key, value) in &table {
        let id = key.replace('-', "_");
        let arg = serve
            .get_arguments()
            .find(|a| a.get_id().as_str() == id && a.get_long().is_some() && id != "config")
            .with_context(|| {
                let known: Vec<String> = serve
                    .get_arguments()
                    .filter_map(|a| a.get_long().map(str::to_owned))
                    .filter(|l| l != "config" && l != "help")
                    .collect();
                format!(
                    "unknown setting {key:?} in {} (known: {})",
                    path.display(),
                    known.join(", ")
                )
            })?;
        if matches!(
            sub.value_source(&id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            continue;
        }
        let long = arg.get_long().unwrap_or_default();
        let flag = !arg.get_action().takes_values();
        match value {
            toml::Value::Boolean(true) if flag => extra.push(format!("--{long}").into()),
            toml::Value::Boolean(false) if flag => {}
            toml::Value::String(s) if !flag => extra.push(format!("--{long}={s}").into()),
            toml::Value::Integer(i) if !flag => extra.push(format!("--{long}={i}").into()),
            _ => anyhow::bail!(
                "setting {key:?} in {}: expected {}",
                path.display(),
                if flag {
                    "true or false"
                } else {
                    "a string or a number"
                }
            ),
        }
    }
    let at = argv
        .iter()
        .position(|a| a == "serve")
        .context("serve not on the command line")?;
    let mut out = argv[..=at].to_vec();
    out.extend(extra);
    out.extend_from_slice(&argv[at + 1..]);
    Ok(Some(out))
}
