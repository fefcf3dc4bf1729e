//! Helpers for tests that run the `signet` binary in a temporary folder.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::disallowed_methods
)]

pub mod api;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors");

pub fn vector(rel: &str) -> PathBuf {
    let p = Path::new(VECTORS).join(rel);
    assert!(p.exists(), "missing vector {}", p.display());
    p
}

/// `signet` with a clean environment: no password variables, stdin a pipe.
pub fn signet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("signet").unwrap();
    cmd.current_dir(dir)
        .env_remove("SIGNET_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .env_remove("SIGNET_IMPORT_PASSWORD")
        .write_stdin("");
    cmd
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Out {
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Generates `signet.key`/`signet.pub` with password `pw` in `dir`.
pub fn keypair(dir: &Path, prefix: &str) {
    let o = run(signet(dir).env("SIGNET_PASSWORD", "pw").args([
        "generate-key-pair",
        "--output-key-prefix",
        prefix,
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
}

/// Runs an external peer tool; `None` (test skipped with a message) when it
/// is not installed, except under CI, where a missing peer fails the test.
pub fn peer(tool: &str) -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(tool))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !under_ci(),
            "peer tool {tool} is required under CI (.ci/run installs it)"
        );
        eprintln!("SKIP: peer tool {tool} not installed (bash .ci/run installs it)");
    }
    found
}

pub fn sh(dir: &Path, program: &str, args: &[&str]) -> Out {
    let out = std::process::Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Whether the tests run under CI, where every interop peer is required.
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether `openssl dgst DGST -verify PUBLIC -signature SIG FILE` prints
/// `Verified OK` (the check users run on a vendor's `.sig.bin`).
pub fn openssl_verifies(dir: &Path, dgst: &str, public: &str, sig: &str, file: &str) -> bool {
    let o = sh(
        dir,
        "openssl",
        &["dgst", dgst, "-verify", public, "-signature", sig, file],
    );
    o.code == 0 && o.stdout.trim() == "Verified OK"
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `signet serve` as a child process, killed when dropped.
pub struct Server {
    child: std::process::Child,
    pub url: String,
}

impl Server {
    pub fn start(data: &Path, port: u16) -> Self {
        Self::start_with(data, port, &[])
    }

    /// Starts `signet serve` on `port` and returns once this very process
    /// answers. The address comes from the server's own "listening on" line,
    /// not from probing the port: a port picked by [`free_port`] can be
    /// taken by another test's server in between, and probing would then
    /// talk to that one. When the bind fails the start is retried on a port
    /// the kernel picks.
    pub fn start_with(data: &Path, port: u16, env: &[(String, String)]) -> Self {
        let show = std::env::var_os("SIGNET_TEST_SERVER_STDERR").is_some();
        let mut port = port;
        let mut failures = Vec::new();
        for _ in 0..5 {
            let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("signet"))
                .args([
                    "serve",
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--data-dir",
                ])
                .arg(data)
                .env("SIGNET_LOG_KEY_PASSWORD", "crash-test")
                .env("SIGNET_LOG_CHECKPOINT_MS", "100")
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let stderr = child.stderr.take().unwrap();
            match listening_line(stderr, "listening on http://", show) {
                Ok(addr) => {
                    let url = format!("http://{addr}");
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    loop {
                        if reqwest::blocking::get(format!("{url}/api/v1/log"))
                            .is_ok_and(|r| r.status().is_success())
                        {
                            break;
                        }
                        assert!(std::time::Instant::now() < deadline, "server did not start");
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    return Self { child, url };
                }
                Err(early) => {
                    // The bind failed (the output ended), or nothing came.
                    let _ = child.kill();
                    let _ = child.wait();
                    failures.push(early);
                    port = 0;
                }
            }
        }
        panic!("server did not start: {}", failures.join("\n---\n"));
    }

    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (what systemd and Kubernetes send).
    pub fn terminate(&self) {
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits for the process to exit (up to `secs`).
    pub fn wait(mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "server did not exit");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a child's output until a line containing `marker`, and returns
/// the first word after it (an address); keeps draining (and with `echo`,
/// printing) the output after that so the child never blocks on a full
/// pipe. `Err` with what was printed when the output ends first or nothing
/// comes within 20 s.
pub fn listening_line<R: std::io::Read + Send + 'static>(
    out: R,
    marker: &str,
    echo: bool,
) -> Result<String, String> {
    use std::io::BufRead;
    let marker = marker.to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut early = String::new();
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if echo {
                eprintln!("{line}");
            }
            let Some(t) = &tx else { continue };
            match line.split(&marker).nth(1) {
                Some(rest) => {
                    let _ = t.send(Ok(rest.split_whitespace().next().unwrap_or("").to_owned()));
                    tx = None;
                }
                None => {
                    early.push_str(&line);
                    early.push('\n');
                }
            }
        }
        if let Some(t) = tx {
            let _ = t.send(Err(early));
        }
    });
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .unwrap_or_else(|_| Err("nothing within 20 s".to_owned()))
}

/// The CNCF registry (Debian's docker-registry) on a free port.
pub struct DockerRegistry {
    child: std::process::Child,
    pub host: String,
}

impl DockerRegistry {
    pub fn start(dir: &Path) -> Option<Self> {
        if std::process::Command::new("docker-registry")
            .arg("--version")
            .output()
            .is_err()
        {
            signet_testkit::missing("docker-registry (apt install docker-registry)");
            return None;
        }
        // Port 0: the registry binds a free port itself and says which
        // ("listening on 127.0.0.1:PORT"), so no other test's server can
        // take it in between.
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n",
                dir.join("data").display()
            ),
        )
        .unwrap();
        let mut child = std::process::Command::new("docker-registry")
            .args(["serve"])
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let host = listening_line(child.stderr.take().unwrap(), "listening on ", false)
            .unwrap_or_else(|e| panic!("docker-registry did not start: {e}"));
        let host = host.trim_end_matches('"').to_owned();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while reqwest::blocking::get(format!("http://{host}/v2/")).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "docker-registry did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(Self { child, host })
    }
}

impl Drop for DockerRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A SoftHSM2 token `signet` (user PIN 1234) in `d/tokens` holding an EC
/// P-256 key pair labelled `label` (id 01): `(module path, SOFTHSM2_CONF)`,
/// or `None` without SoftHSM2 and pkcs11-tool.
pub fn softhsm_token(d: &Path, label: &str) -> Option<(&'static str, PathBuf)> {
    peer("softhsm2-util")?;
    peer("pkcs11-tool")?;
    let module = [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())?;
    std::fs::create_dir_all(d.join("tokens")).unwrap();
    let conf = d.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            d.join("tokens").display()
        ),
    )
    .unwrap();
    let hsm = |program: &str, args: &[&str]| {
        let o = std::process::Command::new(program)
            .current_dir(d)
            .env("SOFTHSM2_CONF", &conf)
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    hsm(
        "softhsm2-util",
        &[
            "--init-token",
            "--free",
            "--label",
            "signet",
            "--pin",
            "1234",
            "--so-pin",
            "12345678",
        ],
    );
    hsm(
        "pkcs11-tool",
        &[
            "--module",
            module,
            "--token-label",
            "signet",
            "--login",
            "--pin",
            "1234",
            "--keypairgen",
            "--key-type",
            "EC:prime256v1",
            "--label",
            label,
            "--id",
            "01",
        ],
    );
    Some((module, conf))
}

const SPEC: &str = "Name: signet-hello
Version: 1.0
Release: 1
Summary: signet test package
License: MIT
BuildArch: noarch

%description
A test package.

%install
mkdir -p %{buildroot}/usr/share/signet-hello
echo hello > %{buildroot}/usr/share/signet-hello/hello.txt

%files
/usr/share/signet-hello/hello.txt
";

/// A noarch RPM of one text file, built by rpmbuild in `d`.
pub fn build_rpm(d: &Path) -> PathBuf {
    std::fs::write(d.join("hello.spec"), SPEC).unwrap();
    let top = d.join("top");
    let o = sh(
        d,
        "rpmbuild",
        &[
            "-bb",
            "--nodeps",
            "--define",
            &format!("_topdir {}", top.display()),
            "--define",
            &format!("_tmppath {}", d.join("tmp").display()),
            "hello.spec",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    top.join("RPMS/noarch/signet-hello-1.0-1.noarch.rpm")
}

/// A Debian package of one 100 kB file, built by dpkg-deb in `d`.
pub fn build_deb(d: &Path, name: &str) -> std::path::PathBuf {
    let root = d.join(format!("build-{name}"));
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/share/doc/signet-deb")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        "Package: signet-deb\nVersion: 1.0\nArchitecture: all\nMaintainer: Signet <signet@example.com>\nDescription: debsigs test\n",
    )
    .unwrap();
    std::fs::write(
        root.join("usr/share/doc/signet-deb/readme"),
        vec![b'x'; 100_000],
    )
    .unwrap();
    let out = d.join(name);
    let o = sh(
        d,
        "dpkg-deb",
        &[
            "--root-owner-group",
            "--build",
            root.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    out
}

/// A repository on a test server, spoken to as the admin: created with a
/// type, files put (201) and got (200) with their status checked.
pub struct FileRepo {
    client: reqwest::blocking::Client,
    /// `.../api/v1/repositories/<name>/files`.
    pub base: String,
    /// The admin token.
    pub token: String,
}

impl FileRepo {
    /// Creates repository `name` of type `kind` on `server` (whose data
    /// directory is `data`).
    pub fn create(server: &Server, data: &Path, name: &str, kind: &str) -> FileRepo {
        let token = std::fs::read_to_string(data.join("admin-token"))
            .unwrap()
            .trim()
            .to_owned();
        let client = reqwest::blocking::Client::new();
        let r = client
            .post(format!("{}/api/v1/repositories", server.url))
            .basic_auth("admin", Some(&token))
            .json(&serde_json::json!({"name": name, "type": kind}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
        FileRepo {
            client,
            base: format!("{}/api/v1/repositories/{name}/files", server.url),
            token,
        }
    }

    /// PUTs `bytes` at `path`; the status.
    pub fn try_put(&self, path: &str, bytes: Vec<u8>) -> u16 {
        self.client
            .put(format!("{}/{path}", self.base))
            .basic_auth("admin", Some(&self.token))
            .body(bytes)
            .send()
            .unwrap()
            .status()
            .as_u16()
    }

    /// PUTs `bytes` at `path`, expecting 201.
    pub fn put(&self, path: &str, bytes: Vec<u8>) {
        assert_eq!(self.try_put(path, bytes), 201, "PUT {path}");
    }

    /// GETs `path`, expecting 200.
    pub fn get(&self, path: &str) -> Vec<u8> {
        let r = self
            .client
            .get(format!("{}/{path}", self.base))
            .basic_auth("admin", Some(&self.token))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.bytes().unwrap().to_vec()
    }

    /// DELETEs `path`; the status.
    pub fn delete(&self, path: &str) -> u16 {
        self.client
            .delete(format!("{}/{path}", self.base))
            .basic_auth("admin", Some(&self.token))
            .send()
            .unwrap()
            .status()
            .as_u16()
    }
}
