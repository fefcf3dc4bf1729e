//! `signet trusted-root`: pin a signet log's root, show what a root trusts,
//! and update the Sigstore roots through TUF (tough) from the CDN or from a
//! local mirror directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use signet_types::trust_root::{CertificateAuthority, TransparencyLogInstance, TrustedRoot};

use super::keyless::TrustArgs;
use crate::output::write_atomic;

/// `signet trusted-root` subcommands.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Save the trusted_root.json a signet log publishes, to pin it.
    Create(CreateArgs),
    /// Print what a trusted root trusts: logs, CAs, CT logs, TSAs and their validity.
    Show(ShowArgs),
    /// Fetch trusted_root.json through TUF (verified metadata chain from a root.json).
    Update(UpdateArgs),
}

/// Arguments of `signet trusted-root create`.
#[derive(clap::Args)]
pub(crate) struct CreateArgs {
    /// Base URL of the log (`signet serve`).
    #[arg(long, env = "SIGNET_TLOG_URL", value_name = "URL")]
    tlog_url: String,
    /// Output file.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,
}

/// Arguments of `signet trusted-root show`.
#[derive(clap::Args)]
pub(crate) struct ShowArgs {
    #[command(flatten)]
    trust: TrustArgs,
    /// Print the trusted root JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Arguments of `signet trusted-root update`.
#[derive(clap::Args)]
pub(crate) struct UpdateArgs {
    /// The TUF repository: an https:// URL or a local mirror directory
    /// (metadata at its top, targets under `targets/`). Default: Sigstore's CDN.
    #[arg(long, value_name = "DIR_OR_URL")]
    tuf_root: Option<String>,
    /// The TUF root.json to start from (default: the one built in for
    /// public good or staging, or the newest one an earlier update stored).
    #[arg(long, value_name = "FILE")]
    root: Option<PathBuf>,
    /// Update the staging instance's root.
    #[arg(long)]
    staging: bool,
    /// Write trusted_root.json here instead of signet's cache.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

const PUBLIC_GOOD_TUF: &str = "https://tuf-repo-cdn.sigstore.dev/";
const STAGING_TUF: &str = "https://tuf-repo-cdn.sigstage.dev/";
const PUBLIC_GOOD_TUF_ROOT: &[u8] = include_bytes!("../../data/trust-roots/public-good/root.json");
const STAGING_TUF_ROOT: &[u8] = include_bytes!("../../data/trust-roots/staging/root.json");
/// Largest trusted_root.json accepted from a repository.
const MAX_TARGET: usize = 4 << 20;

/// Where `update` keeps an instance's TUF state and trusted root:
/// `$SIGNET_TUF_CACHE/<instance>`, else `~/.signet/tuf/<instance>`.
fn cache_dir(instance: &str) -> Option<PathBuf> {
    let base = match crate::env::get(crate::env::SIGNET_TUF_CACHE) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(crate::env::get(crate::env::HOME)?).join(".signet/tuf"),
    };
    Some(base.join(instance))
}

/// The trusted root `signet trusted-root update` stored for `instance`.
pub(crate) fn cached_root(instance: &str) -> Result<Option<TrustedRoot>> {
    let Some(dir) = cache_dir(instance) else {
        return Ok(None);
    };
    let path = dir.join("trusted_root.json");
    match std::fs::read(&path) {
        Ok(bytes) => TrustedRoot::from_json(&bytes).map(Some).with_context(|| {
            format!(
                "the cached trusted root {} is unusable: run `signet trusted-root update`",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Create(args) => create(args),
        Command::Show(args) => show(args),
        Command::Update(args) => update(args),
    }
}

fn create(args: CreateArgs) -> Result<ExitCode> {
    let bytes = crate::tlog::fetch_trusted_root(&args.tlog_url)?;
    let root =
        TrustedRoot::from_json(&bytes).context("the log published an unusable trusted root")?;
    anyhow::ensure!(
        !root.tlogs.is_empty(),
        "the published trusted root names no log"
    );
    write_atomic(&args.output, &bytes, 0o644, true)?;
    eprintln!(
        "Trusted root with {} log(s) written to {}",
        root.tlogs.len(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn window(v: Option<&signet_types::trust_root::ValidFor>) -> String {
    match v {
        Some(w) => format!(
            "{} .. {}",
            w.start.as_deref().unwrap_or("(no start: invalid)"),
            w.end.as_deref().unwrap_or("")
        ),
        None => "(no validity: invalid)".into(),
    }
}

fn show(args: ShowArgs) -> Result<ExitCode> {
    let root = args.trust.load()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&root)?);
        return Ok(ExitCode::SUCCESS);
    }
    let logs = |title: &str, list: &[TransparencyLogInstance]| {
        println!("{title}: {}", list.len());
        for l in list {
            println!(
                "  {}  key {} id {}  valid {}",
                l.base_url,
                l.public_key.key_details,
                signet_types::b64::encode(&l.log_id.key_id),
                window(l.public_key.valid_for.as_ref())
            );
        }
    };
    let cas = |title: &str, list: &[CertificateAuthority]| {
        println!("{title}: {}", list.len());
        for c in list {
            println!(
                "  {}  {} certificate(s)  valid {}",
                c.uri,
                c.cert_chain.certificates.len(),
                window(c.valid_for.as_ref())
            );
        }
    };
    println!("media type: {}", root.media_type);
    logs("transparency logs", &root.tlogs);
    cas("certificate authorities", &root.certificate_authorities);
    logs("CT logs", &root.ctlogs);
    cas("timestamp authorities", &root.timestamp_authorities);
    Ok(ExitCode::SUCCESS)
}

/// A directory or URL as the repository's metadata base URL (with a
/// trailing slash, so that relative names join under it).
fn base_url(repo: &str) -> Result<url::Url> {
    let mut u = if repo.starts_with("http://") || repo.starts_with("https://") {
        url::Url::parse(repo).with_context(|| format!("bad TUF repository URL {repo}"))?
    } else {
        let p = std::fs::canonicalize(repo)
            .with_context(|| format!("TUF repository directory {repo} cannot be opened"))?;
        url::Url::from_directory_path(&p)
            .map_err(|()| anyhow!("cannot use {} as a file URL", p.display()))?
    };
    if !u.path().ends_with('/') {
        let path = format!("{}/", u.path());
        u.set_path(&path);
    }
    Ok(u)
}

fn update(args: UpdateArgs) -> Result<ExitCode> {
    let instance = if args.staging {
        "staging"
    } else {
        "public-good"
    };
    let repo = args.tuf_root.clone().unwrap_or_else(|| {
        if args.staging {
            STAGING_TUF
        } else {
            PUBLIC_GOOD_TUF
        }
        .to_owned()
    });
    let cache = cache_dir(instance);
    // The TUF root to start from: --root, else the newest stored, else built in.
    let stored_root = cache.as_ref().map(|d| d.join("root.json"));
    let root_bytes = match (&args.root, &stored_root) {
        (Some(p), _) => {
            std::fs::read(p).with_context(|| format!("cannot read TUF root {}", p.display()))?
        }
        (None, Some(p)) if p.is_file() && args.output.is_none() => {
            std::fs::read(p).with_context(|| format!("cannot read TUF root {}", p.display()))?
        }
        _ if args.staging => STAGING_TUF_ROOT.to_vec(),
        _ => PUBLIC_GOOD_TUF_ROOT.to_vec(),
    };
    let metadata = base_url(&repo)?;
    let targets = metadata.join("targets/").context("bad TUF targets URL")?;
    // Updating the cache keeps tough's datastore (the last timestamp,
    // snapshot and targets metadata) beside it, so a later update detects a
    // rollback; a one-off `-o FILE` uses a scratch datastore.
    let scratch = tempfile::tempdir().context("cannot create a TUF datastore")?;
    let datastore = match (&args.output, &cache) {
        (None, Some(dir)) => {
            let d = dir.join("datastore");
            std::fs::create_dir_all(&d)
                .with_context(|| format!("cannot create {}", d.display()))?;
            d
        }
        _ => scratch.path().to_path_buf(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (bytes, new_root) = runtime.block_on(async {
        let repository = tough::RepositoryLoader::new(&root_bytes, metadata, targets)
            .datastore(&datastore)
            .load()
            .await
            .map_err(|e| anyhow!("TUF update from {repo} failed: {e}"))?;
        let name = tough::TargetName::new("trusted_root.json").map_err(|e| anyhow!("{e}"))?;
        let stream = repository
            .read_target(&name)
            .await
            .map_err(|e| anyhow!("TUF update from {repo} failed: {e}"))?
            .ok_or_else(|| anyhow!("the TUF repository {repo} has no trusted_root.json target"))?;
        // tough checks length and hashes against the signed targets metadata.
        let bytes = tough::IntoVec::into_vec(stream)
            .await
            .map_err(|e| anyhow!("TUF target download failed: {e}"))?;
        if bytes.len() > MAX_TARGET {
            bail!("trusted_root.json is larger than {MAX_TARGET} bytes");
        }
        let new_root =
            serde_json::to_vec(repository.root()).context("cannot serialize the TUF root")?;
        Ok::<_, anyhow::Error>((bytes, new_root))
    })?;
    let root = TrustedRoot::from_json(&bytes)
        .context("the TUF repository's trusted_root.json is unusable")?;
    match &args.output {
        Some(out) => write_atomic(out, &bytes, 0o644, true)?,
        None => {
            let dir = cache.ok_or_else(|| {
                anyhow!("no cache directory (HOME and SIGNET_TUF_CACHE unset): give -o FILE")
            })?;
            store(&dir, &bytes, &new_root)?;
        }
    }
    eprintln!(
        "trusted_root.json from {repo}: {} log(s), {} CA(s), {} CT log(s), {} TSA(s){}",
        root.tlogs.len(),
        root.certificate_authorities.len(),
        root.ctlogs.len(),
        root.timestamp_authorities.len(),
        match &args.output {
            Some(o) => format!(", written to {}", o.display()),
            None => format!(", now used for {instance}"),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the trusted root and the newest TUF root atomically into `dir`.
fn store(dir: &Path, trusted_root: &[u8], tuf_root: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_atomic(&dir.join("root.json"), tuf_root, 0o644, true)?;
    write_atomic(&dir.join("trusted_root.json"), trusted_root, 0o644, true)
}
