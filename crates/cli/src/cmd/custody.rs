//! `signet custody`: an artifact's chain of custody from `signet serve`
//! (who pushed, signed, verified, promoted it, when, with which key),
//! every event checked against the server's transparency log: the
//! record's checkpoint must be signed by the log key you trust, and each
//! event must hash to a leaf proven in that tree. `--output` saves the
//! record; `--record` verifies a saved one offline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::PublicKey;
use signet_policy::custody::{self, Record};

use crate::VerificationFailed;
use crate::output::write_atomic;

/// `signet custody` options.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The artifact: REPOSITORY@sha256:DIGEST or REPOSITORY:TAG (a leading
    /// registry host is ignored), or REPOSITORY/files/PATH for a file.
    target: Option<String>,
    /// The server's base URL (`http://127.0.0.1:5000`).
    #[arg(long, env = "SIGNET_SERVER")]
    server: Option<String>,
    /// User name.
    #[arg(long, env = "SIGNET_USERNAME", default_value = "admin")]
    username: String,
    /// API token or password.
    #[arg(long, env = "SIGNET_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Verify a saved record instead of fetching one (no network).
    #[arg(long, conflicts_with_all = ["target", "server"])]
    record: Option<PathBuf>,
    /// Save the record fetched to this file.
    #[arg(long)]
    output: Option<PathBuf>,
    /// The log's public key (PEM; `GET /api/v1/log/publicKey`).
    #[arg(long, required_unless_present = "trusted_root")]
    log_key: Option<PathBuf>,
    /// A trusted root whose transparency log keys are tried.
    #[arg(long)]
    trusted_root: Option<PathBuf>,
}

fn log_keys(a: &Args) -> Result<Vec<PublicKey>> {
    let mut keys = Vec::new();
    if let Some(p) = &a.log_key {
        let pem = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        keys.push(
            PublicKey::from_pem(&pem)
                .with_context(|| format!("{} is not a public key", p.display()))?,
        );
    }
    if let Some(p) = &a.trusted_root {
        let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        let root = signet_types::trust_root::TrustedRoot::from_json(&bytes)
            .with_context(|| format!("{} is not a trusted root", p.display()))?;
        for t in &root.tlogs {
            if let Ok(k) = PublicKey::from_spki_der(&t.public_key.raw_bytes) {
                keys.push(k);
            }
        }
        if keys.is_empty() {
            bail!("{} names no usable log key", p.display());
        }
    }
    Ok(keys)
}

/// `(repository, digest or path)` of a target.
fn split_target(
    server: &str,
    target: &str,
    client: &reqwest::blocking::Client,
    auth: &dyn Fn(reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder,
) -> Result<(String, String)> {
    if let Some((repo, path)) = target.split_once("/files/") {
        let repo = match repo.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                rest
            }
            _ => repo,
        };
        return Ok((repo.to_owned(), path.to_owned()));
    }
    let r = signet_oci::reference::Reference::parse(target)
        .map_err(|e| anyhow!("{target} is not an image reference: {e}"))?;
    if let Some(d) = &r.digest {
        return Ok((r.repository.clone(), d.clone()));
    }
    let tag = r.tag.clone().unwrap_or_else(|| "latest".into());
    let resp = auth(client.head(format!("{server}/v2/{}/manifests/{tag}", r.repository)))
        .header("accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json")
        .send()
        .with_context(|| format!("cannot reach {server}"))?;
    if !resp.status().is_success() {
        bail!(
            "cannot resolve {target}: the server answered {}",
            resp.status()
        );
    }
    let d = resp
        .headers()
        .get("docker-content-digest")
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| anyhow!("the server gave no digest for {target}"))?;
    Ok((r.repository.clone(), d.to_owned()))
}

pub(crate) fn run(a: Args) -> Result<ExitCode> {
    let keys = log_keys(&a)?;
    let record: Record = match (&a.record, &a.target, &a.server) {
        (Some(p), _, _) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a custody record", p.display()))?
        }
        (None, Some(target), Some(server)) => {
            let server = server.trim_end_matches('/');
            let client = reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()?;
            let auth = |rb: reqwest::blocking::RequestBuilder| match &a.token {
                Some(t) => rb.basic_auth(&a.username, Some(t.trim())),
                None => rb,
            };
            let (repo, subject) = split_target(server, target, &client, &auth)?;
            let url = if subject.starts_with("sha256:") {
                format!("{server}/api/v1/artifacts/{repo}/{subject}/custody")
            } else {
                format!("{server}/api/v1/artifacts/{repo}/files/{subject}/custody")
            };
            let resp = auth(client.get(&url))
                .send()
                .with_context(|| format!("cannot reach {server}"))?;
            if !resp.status().is_success() {
                let status = resp.status();
                let text: String = resp.text().unwrap_or_default().chars().take(300).collect();
                bail!("the server answered {status}: {text}");
            }
            let bytes = resp.bytes()?;
            if let Some(out) = &a.output {
                write_atomic(out, &bytes, 0o644, true)?;
            }
            serde_json::from_slice(&bytes).context("the server's custody record is malformed")?
        }
        _ => bail!("give TARGET and --server, or --record FILE"),
    };
    let mut last_err = None;
    let mut verified = None;
    for k in &keys {
        match custody::verify(&record, k) {
            Ok(v) => {
                verified = Some(v);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    println!("Custody of {} in {}:", record.subject, record.repository);
    for re in &record.events {
        let e = &re.event;
        let when = signet_types::trust_root::unix_to_rfc3339(e.time_ms / 1000);
        let logged = match &re.log_entry {
            Some(l) => format!("log index {}", l.index),
            None => "not yet in the log".to_owned(),
        };
        let keys: Vec<String> = e.details["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|ev| {
                ev["signer"]["key_id"]
                    .as_str()
                    .or(ev["signer"]["identity"].as_str())
                    .map(str::to_owned)
            })
            .collect();
        let with = if keys.is_empty() {
            String::new()
        } else {
            format!(" [signers: {}]", keys.join(", "))
        };
        println!(
            "  {when}  {:<16} {:<10} by {}{with}  ({logged})",
            e.action, e.outcome, e.actor
        );
    }
    match verified {
        Some(v) => {
            eprintln!(
                "Verified offline against log {} (tree size {}): {} events proven{}",
                v.origin,
                v.size,
                v.proven,
                if v.pending > 0 {
                    format!(", {} not yet logged", v.pending)
                } else {
                    String::new()
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        None => Err(anyhow!(VerificationFailed)).context(format!(
            "the custody record does not verify: {}",
            last_err
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no log key".into())
        )),
    }
}
