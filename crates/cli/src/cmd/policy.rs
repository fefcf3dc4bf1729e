//! `signet policy lint|apply|test`: signing policies for `signet serve`.
//! `lint` needs no server (the same parser the server runs); `apply`
//! stores a policy; `test` asks the server what a policy would decide
//! about an artifact without enforcing or recording anything.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use signet_policy::Policy;

use crate::VerificationFailed;

/// `signet policy` subcommands.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Check policy files (YAML or JSON); problems are printed as
    /// FILE:LINE: message, and the exit code is 1 if there are any.
    Lint {
        /// Policy files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Store a policy on a server (created, or replaced by name).
    Apply {
        /// The policy file.
        file: PathBuf,
        #[command(flatten)]
        server: Server,
    },
    /// Dry run: what the policy in FILE (or, with --stored, the server's
    /// policies) would decide about an artifact; exit 1 when it would
    /// refuse it.
    Test {
        /// The policy file (omit with --stored).
        file: Option<PathBuf>,
        /// The artifact: REPOSITORY:TAG or REPOSITORY@DIGEST for an image
        /// (a leading registry host is ignored), REPOSITORY/files/PATH for
        /// a file.
        #[arg(long)]
        artifact: String,
        /// Evaluate the server's stored policies instead of FILE.
        #[arg(long, conflicts_with = "file")]
        stored: bool,
        #[command(flatten)]
        server: Server,
    },
}

/// Which server, as whom.
#[derive(clap::Args)]
pub(crate) struct Server {
    /// The server's base URL (`http://127.0.0.1:5000`).
    #[arg(long, env = "SIGNET_SERVER")]
    server: String,
    /// User name.
    #[arg(long, env = "SIGNET_USERNAME", default_value = "admin")]
    username: String,
    /// API token or password.
    #[arg(long, env = "SIGNET_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl Server {
    fn base(&self) -> &str {
        self.server.trim_end_matches('/')
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<reqwest::blocking::RequestBuilder> {
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        let rb = client.request(method, format!("{}{path}", self.base()));
        Ok(match &self.token {
            Some(t) => rb.basic_auth(&self.username, Some(t.trim())),
            None => rb,
        })
    }
}

fn read_policy(file: &Path) -> Result<String> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if meta.len() > signet_policy::document::MAX_DOCUMENT as u64 {
        bail!(
            "{} is {} bytes; policies are limited to {}",
            file.display(),
            meta.len(),
            signet_policy::document::MAX_DOCUMENT
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    String::from_utf8(bytes).map_err(|_| anyhow!("{} is not UTF-8 text", file.display()))
}

/// The server's error message, from the OCI error shape.
fn server_error(r: reqwest::blocking::Response) -> anyhow::Error {
    let status = r.status();
    let body: Value = r.json().unwrap_or(Value::Null);
    let e = &body["errors"][0];
    let mut msg = e["message"].as_str().unwrap_or("no message").to_owned();
    if let Some(problems) = e["detail"]["problems"].as_array() {
        msg = problems
            .iter()
            .map(|p| match p["line"].as_u64() {
                Some(l) if l > 0 => format!("line {l}: {}", p["message"].as_str().unwrap_or("")),
                _ => p["message"].as_str().unwrap_or("").to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    anyhow!("the server answered {status}: {msg}")
}

/// REPOSITORY:TAG, REPOSITORY@DIGEST or REPOSITORY/files/PATH as the
/// server's artifact object.
fn artifact_json(reference: &str) -> Result<Value> {
    if let Some((repo, path)) = reference.split_once("/files/") {
        return Ok(json!({"repository": strip_host(repo), "name": path}));
    }
    let r = signet_oci::reference::Reference::parse(reference)
        .map_err(|e| anyhow!("{reference} is not an image reference: {e}"))?;
    Ok(match &r.digest {
        Some(d) => json!({"repository": r.repository, "digest": d}),
        None => {
            json!({"repository": r.repository, "version": r.tag.clone().unwrap_or_else(|| "latest".into())})
        }
    })
}

fn strip_host(repo: &str) -> &str {
    match repo.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            rest
        }
        _ => repo,
    }
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Lint { files } => {
            let mut bad = 0;
            for f in &files {
                let text = read_policy(f)?;
                match Policy::parse(&text) {
                    Ok(p) => println!(
                        "{}: ok (policy {}, mode {}, {} rules, repositories {})",
                        f.display(),
                        p.name,
                        p.mode.as_str(),
                        p.rules.len(),
                        p.repositories.join(", ")
                    ),
                    Err(problems) => {
                        bad += problems.len();
                        for p in problems {
                            if p.line > 0 {
                                eprintln!("{}:{}: {}", f.display(), p.line, p.message);
                            } else {
                                eprintln!("{}: {}", f.display(), p.message);
                            }
                        }
                    }
                }
            }
            if bad > 0 {
                return Err(anyhow!(VerificationFailed))
                    .context(format!("{bad} problem(s) in the policy file(s)"));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply { file, server } => {
            let text = read_policy(&file)?;
            let p = Policy::parse(&text).map_err(|problems| {
                anyhow!(
                    "{} is not a valid policy (nothing was sent):\n{}",
                    file.display(),
                    problems
                        .iter()
                        .map(|p| format!("{}:{}: {}", file.display(), p.line, p.message))
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })?;
            let r = server
                .request(
                    reqwest::Method::PUT,
                    &format!("/api/v1/signing/policies/{}", p.name),
                )?
                .header("content-type", "application/yaml")
                .body(text)
                .send()
                .with_context(|| format!("cannot reach {}", server.base()))?;
            if !r.status().is_success() {
                return Err(server_error(r));
            }
            let v: Value = r.json()?;
            println!(
                "policy {} version {} applied (mode {}, repositories {})",
                p.name,
                v["version"],
                p.mode.as_str(),
                p.repositories.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Test {
            file,
            artifact,
            stored,
            server,
        } => {
            let policy = match (&file, stored) {
                (Some(f), false) => {
                    let text = read_policy(f)?;
                    if let Err(problems) = Policy::parse(&text) {
                        bail!(
                            "{} is not a valid policy:\n{}",
                            f.display(),
                            problems
                                .iter()
                                .map(|p| p.to_string())
                                .collect::<Vec<_>>()
                                .join("\n")
                        );
                    }
                    Some(text)
                }
                (None, true) => None,
                _ => bail!("give a policy FILE, or --stored for the server's policies"),
            };
            let body = json!({"policy": policy, "artifact": artifact_json(&artifact)?});
            let r = server
                .request(reqwest::Method::POST, "/api/v1/signing/evaluate")?
                .json(&body)
                .send()
                .with_context(|| format!("cannot reach {}", server.base()))?;
            if !r.status().is_success() {
                return Err(server_error(r));
            }
            let v: Value = r.json()?;
            for c in v["checks"].as_array().into_iter().flatten() {
                eprintln!(
                    "  {} {}: {}",
                    if c["ok"].as_bool() == Some(true) {
                        "ok  "
                    } else {
                        "fail"
                    },
                    c["source"].as_str().unwrap_or(""),
                    c["detail"].as_str().unwrap_or("")
                );
            }
            for p in v["decision"]["policies"].as_array().into_iter().flatten() {
                for r in p["rules"].as_array().into_iter().flatten() {
                    eprintln!(
                        "  policy {} rule {}: {} ({})",
                        p["policy"].as_str().unwrap_or(""),
                        r["rule"].as_str().unwrap_or(""),
                        if r["satisfied"].as_bool() == Some(true) {
                            "met"
                        } else {
                            "NOT met"
                        },
                        r["reason"].as_str().unwrap_or("")
                    );
                }
            }
            let outcome = v["decision"]["outcome"]
                .as_str()
                .unwrap_or("unknown")
                .to_owned();
            println!("{outcome}");
            if v["allowed"].as_bool() == Some(true) {
                Ok(ExitCode::SUCCESS)
            } else {
                Err(anyhow!(VerificationFailed))
                    .context(format!("the policy would refuse {artifact}"))
            }
        }
    }
}
