//! Server configuration: flags, then `SIGNET_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

/// `signet serve` options.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "SIGNET_LISTEN", default_value = "127.0.0.1:5000")]
    pub listen: SocketAddr,
    /// Where the database, tiles and keys live.
    #[arg(long, env = "SIGNET_DATA_DIR", default_value = "./signet-data")]
    pub data_dir: PathBuf,
    /// Serve only the transparency log (the registry is not built yet, so
    /// this is what `signet serve` does today either way).
    #[arg(long, env = "SIGNET_LOG_ONLY")]
    pub log_only: bool,
    /// Log origin (checkpoint first line and note key name).
    #[arg(long, env = "SIGNET_LOG_ORIGIN", default_value = "signet.local/log")]
    pub log_origin: String,
    /// Public base URL of the log, written into trusted_root.json.
    #[arg(long, env = "SIGNET_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Password that encrypts the log's private keys at rest. When unset, a
    /// random one is generated into `<data-dir>/log-keys.password` (0600).
    #[arg(long, env = "SIGNET_LOG_KEY_PASSWORD", hide_env_values = true)]
    pub log_key_password: Option<String>,
    /// Most submissions waiting to be sequenced before the log answers 503.
    #[arg(long, env = "SIGNET_LOG_MAX_PENDING", default_value_t = 50_000)]
    pub log_max_pending: usize,
    /// How often new entries are integrated and a checkpoint published (ms, at most 1000).
    #[arg(long, env = "SIGNET_LOG_CHECKPOINT_MS", default_value_t = 200)]
    pub log_checkpoint_ms: u64,
    /// Largest accepted request body (bytes).
    #[arg(long, env = "SIGNET_LOG_MAX_BODY", default_value_t = 64 * 1024)]
    pub log_max_body: usize,
}

impl Config {
    /// A configuration for tests: a data dir, an ephemeral port, fast checkpoints.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            log_only: true,
            log_origin: "signet.test/log".into(),
            public_url: None,
            log_key_password: Some("test-password".into()),
            log_max_pending: 50_000,
            log_checkpoint_ms: 50,
            log_max_body: 64 * 1024,
        }
    }
}
