//! `signet log`: look at a transparency log, monitor it, check its storage.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use signet_crypto::PublicKey;
use signet_tlog::Hash;
use signet_tlog::checkpoint::Checkpoint;
use signet_tlog::note::Note;
use signet_types::trust_root::TrustedRoot;

use crate::VerificationFailed;
use crate::output::write_atomic;
use crate::tlog::get_text;

/// `signet log` subcommands.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Show the latest checkpoint (verified when --trusted-root is given).
    Info(Remote),
    /// Fetch an entry by index or UUID.
    Get {
        #[command(flatten)]
        remote: Remote,
        /// Log index.
        #[arg(long, conflicts_with = "uuid")]
        index: Option<u64>,
        /// Entry UUID (leaf hash, hex).
        #[arg(long)]
        uuid: Option<String>,
    },
    /// Fetch a consistency proof between two tree sizes.
    Proof {
        #[command(flatten)]
        remote: Remote,
        /// Older tree size.
        #[arg(long)]
        first: u64,
        /// Newer tree size.
        #[arg(long)]
        last: u64,
    },
    /// Monitor: check the latest checkpoint is signed and consistent with
    /// the last one seen (kept in --state); non-zero exit on a split or rollback.
    Verify {
        #[command(flatten)]
        remote: Remote,
        /// File holding the last verified checkpoint.
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
    },
    /// Re-derive every tile, entry bundle and the root of a log from its
    /// entries (reads only; run it against the server's own storage).
    Fsck {
        /// The log's data directory (`signet serve --data-dir`).
        #[arg(default_value = "./signet-data")]
        data_dir: PathBuf,
        /// The log database, when not the embedded default (`sqlite://...`, `postgres://...`).
        #[arg(long, env = "SIGNET_LOG_DB")]
        log_db: Option<String>,
        /// The tile storage, when not the embedded default (`file://...`, `s3://...`).
        #[arg(long, env = "SIGNET_LOG_STORAGE")]
        log_storage: Option<String>,
        /// S3 endpoint for `s3://` storage that is not AWS.
        #[arg(long, env = "SIGNET_S3_ENDPOINT")]
        s3_endpoint: Option<String>,
    },
}

/// Where the log is.
#[derive(clap::Args)]
pub(crate) struct Remote {
    /// Base URL of the log.
    #[arg(long, env = "SIGNET_TLOG_URL", value_name = "URL")]
    tlog_url: String,
    /// trusted_root.json naming the log's key.
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct MonitorState {
    origin: String,
    size: u64,
    root: String,
}

fn log_key(remote: &Remote) -> Result<Option<PublicKey>> {
    let Some(path) = &remote.trusted_root else {
        return Ok(None);
    };
    let root = TrustedRoot::from_json(
        &std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
    )?;
    let url = remote.tlog_url.trim_end_matches('/');
    let log = root
        .tlogs
        .iter()
        .find(|t| t.base_url.trim_end_matches('/') == url)
        .or_else(|| (root.tlogs.len() == 1).then(|| &root.tlogs[0]))
        .ok_or_else(|| anyhow!("the trusted root names no log at {url}"))?;
    Ok(Some(PublicKey::from_spki_der(&log.public_key.raw_bytes)?))
}

fn fetch_checkpoint(remote: &Remote, key: Option<&PublicKey>) -> Result<Checkpoint> {
    let note_text = get_text(&remote.tlog_url, "/checkpoint")?;
    let note = Note::parse(&note_text).map_err(|e| anyhow!("the log's checkpoint: {e}"))?;
    if let Some(k) = key {
        note.verify_with_key(k).map_err(|e| {
            anyhow!(VerificationFailed).context(format!("checkpoint signature: {e}"))
        })?;
    }
    Checkpoint::parse(&note.text).map_err(|e| anyhow!("the log's checkpoint: {e}"))
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Info(remote) => {
            let key = log_key(&remote)?;
            let cp = fetch_checkpoint(&remote, key.as_ref())?;
            println!(
                "origin: {}\ntree size: {}\nroot hash: {}",
                cp.origin,
                cp.size,
                cp.root.to_base64()
            );
            if key.is_some() {
                eprintln!("checkpoint signature verified with the trusted root's key");
            }
        }
        Command::Get {
            remote,
            index,
            uuid,
        } => {
            let path = match (index, uuid) {
                (Some(i), _) => format!("/api/v1/log/entries?logIndex={i}"),
                (None, Some(u)) => format!("/api/v1/log/entries/{u}"),
                (None, None) => bail!("give --index or --uuid"),
            };
            println!("{}", get_text(&remote.tlog_url, &path)?.trim_end());
        }
        Command::Proof {
            remote,
            first,
            last,
        } => {
            let path = format!("/api/v1/log/proof?firstSize={first}&lastSize={last}");
            println!("{}", get_text(&remote.tlog_url, &path)?.trim_end());
        }
        Command::Verify { remote, state } => {
            let key =
                log_key(&remote)?.ok_or_else(|| anyhow!("log verify needs --trusted-root"))?;
            let cp = fetch_checkpoint(&remote, Some(&key))?;
            let previous: Option<MonitorState> =
                match std::fs::read(&state) {
                    Ok(b) => Some(serde_json::from_slice(&b).with_context(|| {
                        format!("{} is not a monitor state file", state.display())
                    })?),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot read {}", state.display()));
                    }
                };
            if let Some(prev) = &previous {
                let prev_root = Hash::from_base64(&prev.root)
                    .ok_or_else(|| anyhow!("bad root in the state file"))?;
                if prev.origin != cp.origin {
                    return Err(anyhow!(VerificationFailed).context(format!(
                        "the log's origin changed from {:?} to {:?}",
                        prev.origin, cp.origin
                    )));
                }
                if cp.size < prev.size {
                    return Err(anyhow!(VerificationFailed).context(format!(
                        "rollback: the log shrank from {} to {} entries",
                        prev.size, cp.size
                    )));
                }
                if cp.size == prev.size && cp.root != prev_root {
                    return Err(anyhow!(VerificationFailed).context(format!(
                        "split view: two different roots for size {}",
                        cp.size
                    )));
                }
                if cp.size > prev.size && prev.size > 0 {
                    let path = format!(
                        "/api/v1/log/proof?firstSize={}&lastSize={}",
                        prev.size, cp.size
                    );
                    let doc: serde_json::Value =
                        serde_json::from_str(&get_text(&remote.tlog_url, &path)?)?;
                    let hashes = crate::tlog::hex_hashes(&doc["hashes"])?;
                    signet_tlog::verify::consistency(
                        prev.size, cp.size, &hashes, &prev_root, &cp.root,
                    )
                    .map_err(|e| {
                        anyhow!(VerificationFailed).context(format!(
                            "split view: checkpoint {} is not an extension of {}: {e}",
                            cp.size, prev.size
                        ))
                    })?;
                }
            }
            let new_state = MonitorState {
                origin: cp.origin.clone(),
                size: cp.size,
                root: cp.root.to_base64(),
            };
            write_atomic(&state, &serde_json::to_vec_pretty(&new_state)?, 0o644, true)?;
            println!(
                "consistent: {} grew from {} to {} entries",
                cp.origin,
                previous.map_or(0, |p| p.size),
                cp.size
            );
        }
        Command::Fsck {
            data_dir,
            log_db,
            log_storage,
            s3_endpoint,
        } => {
            let mut config = signet_server::Config::for_tests(data_dir);
            config.log_db = log_db;
            config.log_storage = log_storage;
            config.s3_endpoint = s3_endpoint;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            let report = rt.block_on(signet_server::log::fsck(&config))?;
            for p in &report.problems {
                println!("damage: {p}");
            }
            println!(
                "{} entries, {} tiles and bundles checked, {} sequenced but not yet integrated, {} problems",
                report.size,
                report.tiles_checked,
                report.pending,
                report.problems.len()
            );
            if !report.problems.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
