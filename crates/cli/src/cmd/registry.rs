//! `signet registry gc|fsck`: maintenance of a registry's storage, run
//! against the same database and blob store `signet serve` uses (safe while
//! replicas are serving).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

/// `signet registry` subcommands.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Delete blobs no repository or file links (older than --grace), and
    /// leftovers of dead uploads.
    Gc {
        #[command(flatten)]
        store: Store,
        /// Keep unreferenced blobs younger than this many seconds.
        #[arg(long, default_value_t = 3600)]
        grace: u64,
        /// First delete what has sat unsigned this many seconds in a
        /// repository an `enforce` policy protects (0: keep it).
        #[arg(long, env = "SIGNET_QUARANTINE_SECS", default_value_t = 7 * 86_400)]
        quarantine_secs: u64,
    },
    /// Check that metadata and blobs agree; exit 1 on any problem.
    Fsck {
        #[command(flatten)]
        store: Store,
        /// Also re-hash every blob.
        #[arg(long)]
        deep: bool,
    },
}

/// Where the registry keeps its data.
#[derive(clap::Args)]
pub(crate) struct Store {
    /// The server's data directory (`signet serve --data-dir`).
    #[arg(default_value = "./signet-data")]
    data_dir: PathBuf,
    /// Registry metadata, when not the embedded default (`sqlite://...`, `postgres://...`).
    #[arg(long, env = "SIGNET_DB")]
    db: Option<String>,
    /// Blob store, when not the embedded default (`file://...`, `s3://...`).
    #[arg(long, env = "SIGNET_BLOBS")]
    blobs: Option<String>,
    /// S3 endpoint for `s3://` storage that is not AWS.
    #[arg(long, env = "SIGNET_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
}

impl Store {
    fn config(self) -> signet_server::Config {
        let mut config = signet_server::Config::for_tests(self.data_dir);
        config.db = self.db;
        config.blobs = self.blobs;
        config.s3_endpoint = self.s3_endpoint;
        config
    }
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        match cmd {
            Command::Gc {
                store,
                grace,
                quarantine_secs,
            } => {
                let reg =
                    signet_server::registry::Registry::open_for_maintenance(&store.config()).await?;
                let q = reg.sweep_quarantine(quarantine_secs).await?;
                println!("{q} quarantined manifests deleted (unsigned for over {quarantine_secs} s)");
                let r = reg.gc(std::time::Duration::from_secs(grace)).await?;
                println!(
                    "{} blobs deleted ({} bytes), {} unreferenced kept (younger than {grace} s), {} upload leftovers deleted",
                    r.blobs_deleted, r.bytes_freed, r.kept_young, r.leftovers_deleted
                );
                Ok(ExitCode::SUCCESS)
            }
            Command::Fsck { store, deep } => {
                let reg =
                    signet_server::registry::Registry::open_for_maintenance(&store.config()).await?;
                let r = reg.fsck(deep).await?;
                for p in &r.problems {
                    println!("damage: {p}");
                }
                println!(
                    "{} blobs and {} manifests checked, {} problems",
                    r.blobs_checked,
                    r.manifests_checked,
                    r.problems.len()
                );
                Ok(if r.problems.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
        }
    })
}
