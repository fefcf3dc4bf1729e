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
    /// Serve only the transparency log, not the registry.
    #[arg(long, env = "SIGNET_LOG_ONLY")]
    pub log_only: bool,
    /// Registry metadata: `sqlite://PATH` (default `<data-dir>/registry.db`)
    /// or `postgres://...` (replicas may share it).
    #[arg(long = "db", env = "SIGNET_DB")]
    pub db: Option<String>,
    /// Registry blobs: `file://DIR` (default `<data-dir>/blobs`) or
    /// `s3://BUCKET[/PREFIX]`.
    #[arg(long = "blobs", env = "SIGNET_BLOBS")]
    pub blobs: Option<String>,
    /// On SIGTERM, how long requests in flight (uploads) may take to finish
    /// before the server stops anyway (seconds).
    #[arg(long, env = "SIGNET_SHUTDOWN_GRACE", default_value_t = 300)]
    pub shutdown_grace: u64,
    /// Largest blob or file accepted (bytes; 0 = no limit).
    #[arg(long, env = "SIGNET_MAX_BLOB", default_value_t = 0)]
    pub max_blob: u64,
    /// How often each replica garbage-collects unreferenced blobs (seconds;
    /// 0 turns it off). Replicas may collect at the same time safely.
    #[arg(long, env = "SIGNET_GC_INTERVAL", default_value_t = 3600)]
    pub gc_interval: u64,
    /// Unreferenced blobs younger than this are kept (seconds).
    #[arg(long, env = "SIGNET_GC_GRACE", default_value_t = 3600)]
    pub gc_grace: u64,
    /// Largest manifest accepted (bytes).
    #[arg(long, env = "SIGNET_MAX_MANIFEST", default_value_t = 4 * 1024 * 1024)]
    pub max_manifest: usize,
    /// Where the log sequences entries: `sqlite://PATH` (default
    /// `<data-dir>/log.db`) or `postgres://...` (several replicas may share it).
    #[arg(long, env = "SIGNET_LOG_DB")]
    pub log_db: Option<String>,
    /// Where tiles, entry bundles and the checkpoint go: `file://DIR`
    /// (default `<data-dir>/tiles`) or `s3://BUCKET[/PREFIX]` (credentials
    /// and region from the usual `AWS_*` variables).
    #[arg(long, env = "SIGNET_LOG_STORAGE")]
    pub log_storage: Option<String>,
    /// S3 endpoint for `s3://` storage that is not AWS (MinIO, Garage, moto...).
    #[arg(long, env = "SIGNET_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// Extra S3 settings as `object_store` config keys (e.g.
    /// `aws_access_key_id`), applied over the `AWS_*` environment; for
    /// embedding and tests.
    #[arg(skip)]
    pub s3_options: Vec<(String, String)>,
    /// Log origin (checkpoint first line and note key name).
    #[arg(long, env = "SIGNET_LOG_ORIGIN", default_value = "signet.local/log")]
    pub log_origin: String,
    /// Public base URL of the log, written into trusted_root.json.
    #[arg(long, env = "SIGNET_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Password that encrypts the log's private keys at rest. When unset, a
    /// random one is generated into `<data-dir>/log-keys.password` (0600);
    /// with PostgreSQL (shared by replicas) it must be set.
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
    /// A Sigstore `trusted_root.json` whose certificate authorities (and
    /// CT logs, logs, timestamp authorities) vouch for keyless signatures
    /// that policies accept; without it only registered keys count.
    #[arg(long, env = "SIGNET_TRUSTED_ROOT")]
    pub trusted_root: Option<PathBuf>,
    /// Key-encryption key for server-held signing keys (encrypted at rest
    /// in cosign's format with it). When unset, a random one is generated
    /// into `<data-dir>/signing-kek` (0600); replicas must share one.
    #[arg(long, env = "SIGNET_SIGNING_KEK", hide_env_values = true)]
    pub signing_kek: Option<String>,
    /// PKCS#11 module for server-held keys in an HSM (when their URI
    /// names none).
    #[arg(long, env = "SIGNET_PKCS11_MODULE_PATH")]
    pub pkcs11_module: Option<String>,
    /// PIN of that HSM (when the key's URI has no pin-source).
    #[arg(long, env = "SIGNET_PKCS11_PIN", hide_env_values = true)]
    pub pkcs11_pin: Option<String>,
    /// Unsigned artifacts in repositories an `enforce` policy protects
    /// are deleted this long after their push (seconds; 0 keeps them).
    #[arg(long, env = "SIGNET_QUARANTINE_SECS", default_value_t = 7 * 86_400)]
    pub quarantine_secs: u64,
}

impl Config {
    /// A configuration for tests: a data dir, an ephemeral port, fast checkpoints.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            log_only: true,
            db: None,
            blobs: None,
            max_manifest: 4 * 1024 * 1024,
            max_blob: 0,
            shutdown_grace: 300,
            gc_interval: 0,
            gc_grace: 3600,
            log_db: None,
            log_storage: None,
            s3_endpoint: None,
            s3_options: Vec::new(),
            log_origin: "signet.test/log".into(),
            public_url: None,
            log_key_password: Some("test-password".into()),
            log_max_pending: 50_000,
            log_checkpoint_ms: 50,
            log_max_body: 64 * 1024,
            trusted_root: None,
            signing_kek: None,
            pkcs11_module: None,
            pkcs11_pin: None,
            quarantine_secs: 7 * 86_400,
        }
    }

    /// The registry database URL (configured, or SQLite under the data dir).
    pub fn db_url(&self) -> String {
        self.db
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("registry.db").display()))
    }

    /// The registry blob store URL (configured, or a directory under the data dir).
    pub fn blobs_url(&self) -> String {
        self.blobs
            .clone()
            .unwrap_or_else(|| format!("file://{}", self.data_dir.join("blobs").display()))
    }

    /// The log database URL (configured, or SQLite under the data dir).
    pub fn log_db_url(&self) -> String {
        self.log_db
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("log.db").display()))
    }

    /// The tile storage URL (configured, or a directory under the data dir).
    pub fn log_storage_url(&self) -> String {
        self.log_storage
            .clone()
            .unwrap_or_else(|| format!("file://{}", self.data_dir.join("tiles").display()))
    }
}
