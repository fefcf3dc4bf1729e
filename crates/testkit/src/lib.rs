//! Test fixtures for the backends `signet serve` runs on, started from what
//! the machine has (CI installs them; see `.ci/run`):
//!
//! - [`Postgres`]: a fresh database on the local PostgreSQL server
//!   (`SIGNET_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`,
//!   used only to create and drop databases), dropped when the fixture is.
//! - [`S3`]: a bucket on an S3 server: moto (`pip install 'moto[server]'`),
//!   one per test process, started on first use and gone when the process
//!   exits; or the server at `SIGNET_TEST_S3_ENDPOINT` when set.
//!
//! - [`fulcio::TestCa`]: a Fulcio-like certificate authority (root,
//!   intermediate) with a CT log that embeds SCTs, for keyless-style tests.
//!
//! When a backend is missing, [`Backend::start`] returns `None` so the test
//! can say so and return, except under `CI=true`, where a missing peer is a
//! failure (a skipped check is not a passed one).
#![forbid(unsafe_code)]
#![allow(
    clippy::disallowed_methods,
    reason = "test fixtures read their own CI and SIGNET_TEST_* variables"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub mod fulcio;

/// Fails under CI, otherwise prints why a test is skipped.
///
/// # Panics
/// Under `CI=true`, always.
pub fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{what} is required under CI=true (.ci/run installs it)");
    }
    eprintln!("skipping: {what} is not available here");
}

/// GnuPG in its own home, in batch mode with an empty passphrase.
pub fn gpg(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("gpg")
        .env("GNUPGHOME", home)
        .args([
            "--batch",
            "--no-tty",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
        ])
        .args(args)
        .output()
        .expect("gpg (apt install gnupg) runs")
}

fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}{}x{}x{}",
        std::process::id(),
        t % 1_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A database created for one test.
#[derive(Debug)]
pub struct Postgres {
    admin: String,
    name: String,
    /// `postgres://...` URL of the fresh database.
    pub url: String,
}

impl Postgres {
    /// Creates a fresh database; `None` when no server answers.
    pub fn fresh() -> Option<Self> {
        let admin = std::env::var("SIGNET_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = unique("signet_t");
        if !psql(&admin, &format!("CREATE DATABASE {name}")) {
            return None;
        }
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(Self {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        psql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A bucket on an S3 server.
#[derive(Debug, Clone)]
pub struct S3 {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The bucket, fresh for this fixture.
    pub bucket: String,
}

impl S3 {
    /// The `object_store` options a client needs (credentials moto accepts).
    pub fn options(&self) -> Vec<(String, String)> {
        vec![
            ("aws_access_key_id".into(), "signet-test".into()),
            ("aws_secret_access_key".into(), "signet-test-secret".into()),
            ("aws_region".into(), "us-east-1".into()),
        ]
    }

    /// The same as environment variables, for a `signet` child process.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), "signet-test".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "signet-test-secret".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("SIGNET_S3_ENDPOINT".into(), self.endpoint.clone()),
        ]
    }

    /// A fresh bucket; `None` when no S3 server can be had.
    pub fn fresh() -> Option<Self> {
        let endpoint = match std::env::var("SIGNET_TEST_S3_ENDPOINT") {
            Ok(e) => e,
            Err(_) => moto()?,
        };
        let bucket = unique("signet-t-").replace('_', "-");
        let hostport = endpoint.trim_start_matches("http://").trim_end_matches('/');
        let status = http(hostport, "PUT", &format!("/{bucket}")).ok()?;
        if !(200..300).contains(&status) {
            return None;
        }
        Some(Self { endpoint, bucket })
    }
}

/// A minimal HTTP/1.1 request; returns the status code.
fn http(hostport: &str, method: &str, path: &str) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(hostport)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let line = String::from_utf8_lossy(&buf);
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no HTTP status"))
}

/// Starts moto once per process; it exits when this process does.
fn moto() -> Option<String> {
    static MOTO: OnceLock<Option<String>> = OnceLock::new();
    static CHILD: Mutex<Option<Child>> = Mutex::new(None);
    MOTO.get_or_init(|| {
        // Port 0: moto binds a free port itself and prints it, so no other
        // test's server can take the port in between.
        // The watcher loop ends moto when the test process (its parent) is gone.
        let script = "import os, sys, time\n\
             from moto.server import ThreadedMotoServer\n\
             parent = os.getppid()\n\
             s = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)\n\
             s.start()\n\
             print(s.get_host_and_port()[1], flush=True)\n\
             while os.getppid() == parent:\n    time.sleep(0.5)\n\
             s.stop()\n";
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdout = child.stdout.take()?;
        *CHILD
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(child);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(stdout).lines();
            let _ = tx.send(lines.next().and_then(Result::ok));
            for _ in lines {}
        });
        let port: u16 = rx
            .recv_timeout(Duration::from_secs(30))
            .ok()
            .flatten()?
            .trim()
            .parse()
            .ok()?;
        let hostport = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if http(&hostport, "GET", "/").is_ok() {
                return Some(format!("http://{hostport}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    })
    .clone()
}

/// Which database and tile storage a log runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: SQLite + a local directory.
    SqliteFile,
    /// PostgreSQL + a local directory.
    PostgresFile,
    /// PostgreSQL + S3 (the scaled-out shape).
    PostgresS3,
}

/// A started backend: URLs to hand to `signet serve`, and the fixtures
/// that keep them alive.
#[derive(Debug)]
pub struct Started {
    /// `SIGNET_LOG_DB`, when not the default.
    pub db_url: Option<String>,
    /// `SIGNET_LOG_STORAGE`, when not the default.
    pub storage_url: Option<String>,
    /// The S3 fixture, when used.
    pub s3: Option<S3>,
    _pg: Option<Postgres>,
}

impl Started {
    /// Environment for a `signet` child process.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = Vec::new();
        if let Some(u) = &self.db_url {
            env.push(("SIGNET_LOG_DB".into(), u.clone()));
        }
        if let Some(u) = &self.storage_url {
            env.push(("SIGNET_LOG_STORAGE".into(), u.clone()));
        }
        if let Some(s3) = &self.s3 {
            env.extend(s3.env());
        }
        env
    }
}

impl Backend {
    /// Every backend pair the log supports.
    pub const ALL: [Backend; 3] = [Self::SqliteFile, Self::PostgresFile, Self::PostgresS3];

    /// Starts what this backend needs; `None` (after [`missing`]) when the
    /// machine lacks it.
    pub fn start(self) -> Option<Started> {
        let pg = match self {
            Self::SqliteFile => None,
            Self::PostgresFile | Self::PostgresS3 => match Postgres::fresh() {
                Some(pg) => Some(pg),
                None => {
                    missing("PostgreSQL (psql and a server at 127.0.0.1:5432)");
                    return None;
                }
            },
        };
        let s3 = match self {
            Self::PostgresS3 => match S3::fresh() {
                Some(s3) => Some(s3),
                None => {
                    missing("an S3 server (moto: pip install 'moto[server]')");
                    return None;
                }
            },
            _ => None,
        };
        Some(Started {
            db_url: pg.as_ref().map(|p| p.url.clone()),
            storage_url: s3.as_ref().map(|s| format!("s3://{}/log", s.bucket)),
            s3,
            _pg: pg,
        })
    }
}

/// Runs each named `async fn(Backend)` test on every backend pair, as
/// `sqlite_file::NAME`, `postgres_file::NAME` and `postgres_s3::NAME`
/// (multi-threaded tokio tests).
#[macro_export]
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        $crate::per_backend!(@mod sqlite_file, SqliteFile, $($name),*);
        $crate::per_backend!(@mod postgres_file, PostgresFile, $($name),*);
        $crate::per_backend!(@mod postgres_s3, PostgresS3, $($name),*);
    };
    (@mod $m:ident, $b:ident, $($name:ident),*) => {
        mod $m {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::$b).await;
                }
            )*
        }
    };
}
