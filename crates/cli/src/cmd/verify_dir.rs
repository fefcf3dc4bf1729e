//! `signet verify-dir`: every detached signature in a folder, in parallel,
//! with one key loaded once.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use signet_crypto::digest::Digest;
use signet_crypto::signature::decode_signature_file;
use signet_crypto::{Message, PublicKey};

use crate::keyref::load_verifier;

/// Output format.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    /// One line per signature and a summary.
    Text,
    /// A JSON document.
    Json,
}

/// Arguments of `signet verify-dir`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The folder to check.
    dir: PathBuf,
    /// Verification key: a public key file, env://VAR or a pkcs11: URI.
    #[arg(long)]
    key: String,
    /// Descend into subfolders.
    #[arg(long, short = 'r')]
    recursive: bool,
    /// Parallel workers (default: all cores).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    output: Output,
    /// No emoji in text output.
    #[arg(long)]
    plain: bool,
    /// Fail when a data file has no signature.
    #[arg(long)]
    require_signatures: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Valid,
    Invalid,
    Missing,
    Unsigned,
}

#[derive(Serialize)]
struct Row {
    data_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// One signature to check.
struct Job {
    sig: PathBuf,
    data: Option<PathBuf>,
    /// Name shown for the data file (the expected name when it is missing).
    data_name: PathBuf,
    size: u64,
}

/// Files that are neither data nor signatures: keys and bundles.
fn is_side_file(name: &str) -> bool {
    [
        ".pub",
        ".pem",
        ".key",
        ".crt",
        ".asc",
        ".bundle",
        ".sigstore.json",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

fn strip_suffix_os(name: &Path, suffix: &str) -> Option<PathBuf> {
    let s = name.as_os_str().as_encoded_bytes();
    let stripped = s.strip_suffix(suffix.as_bytes())?;
    if stripped.is_empty() || stripped.ends_with(b"/") {
        return None;
    }
    // Stripping an ASCII suffix keeps the encoded bytes valid.
    let os = OsString::from(String::from_utf8_lossy(stripped).into_owned());
    match std::str::from_utf8(stripped) {
        Ok(_) => Some(PathBuf::from(os)),
        Err(_) => Some(lossless_strip(name, suffix.len())),
    }
}

#[cfg(unix)]
fn lossless_strip(name: &Path, n: usize) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let b = name.as_os_str().as_bytes();
    PathBuf::from(std::ffi::OsStr::from_bytes(&b[..b.len() - n]))
}

#[cfg(not(unix))]
fn lossless_strip(name: &Path, n: usize) -> PathBuf {
    let s = name.to_string_lossy();
    PathBuf::from(&s[..s.len() - n])
}

fn with_suffix(base: &Path, suffix: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Lists regular files under `dir` (paths relative to it), and any errors met.
fn list_files(dir: &Path, recursive: bool) -> Result<(BTreeMap<PathBuf, u64>, Vec<String>)> {
    let meta = std::fs::metadata(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    if !meta.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let mut files = BTreeMap::new();
    let mut problems = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .min_depth(1)
        .max_depth(if recursive { usize::MAX } else { 1 });
    for entry in walker {
        match entry {
            Ok(e) => {
                let path = e.path();
                let rel = path.strip_prefix(dir).unwrap_or(path).to_path_buf();
                if e.file_type().is_file() {
                    let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                    files.insert(rel, size);
                } else if e.path_is_symlink() && std::fs::metadata(path).is_err() {
                    problems.push(format!("{}: broken symbolic link", rel.display()));
                }
            }
            Err(e) => {
                let what = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| dir.display().to_string());
                if e.loop_ancestor().is_some() {
                    problems.push(format!("{what}: symbolic link loop, not followed"));
                } else if let Some(io) = e.io_error() {
                    // A dangling symlink found while walking: report, go on.
                    problems.push(format!("{what}: {io}"));
                } else {
                    problems.push(format!("{what}: {e}"));
                }
            }
        }
    }
    Ok((files, problems))
}

fn plan(files: &BTreeMap<PathBuf, u64>, key_file: Option<&Path>) -> (Vec<Job>, Vec<PathBuf>) {
    let mut jobs = Vec::new();
    let mut signed = BTreeSet::new();
    let mut sigs = BTreeSet::new();
    for name in files.keys() {
        let candidates: Vec<PathBuf> = if let Some(base) = strip_suffix_os(name, ".sig.bin") {
            vec![with_suffix(&base, ".zst"), with_suffix(&base, ".iso"), base]
        } else if let Some(base) = strip_suffix_os(name, ".sig") {
            vec![base]
        } else {
            continue;
        };
        sigs.insert(name.clone());
        let found = candidates.iter().find(|c| files.contains_key(*c)).cloned();
        let data_name = match &found {
            Some(f) => f.clone(),
            None => {
                // Report the name the publisher most likely meant.
                let last = candidates.last().cloned().unwrap_or_default();
                let s = last.to_string_lossy();
                if candidates.len() > 1 && !s.ends_with(".zst") && !s.ends_with(".iso") {
                    candidates[0].clone()
                } else {
                    last
                }
            }
        };
        if let Some(f) = &found {
            signed.insert(f.clone());
        }
        jobs.push(Job {
            size: found
                .as_ref()
                .and_then(|f| files.get(f))
                .copied()
                .unwrap_or(0),
            sig: name.clone(),
            data: found,
            data_name,
        });
    }
    let unsigned = files
        .keys()
        .filter(|f| !sigs.contains(*f) && !signed.contains(*f))
        .filter(|f| !is_side_file(&f.to_string_lossy()))
        .filter(|f| key_file != Some(f.as_path()))
        .cloned()
        .collect();
    (jobs, unsigned)
}

/// Checks one signature. `pipelined` adds a reader thread for large files,
/// worth it only when there are idle cores (fewer files than workers).
fn check(
    dir: &Path,
    job: &Job,
    key: &PublicKey,
    buf: &mut [u8],
    pipelined: bool,
) -> (Status, Option<String>) {
    let Some(data) = &job.data else {
        return (Status::Missing, None);
    };
    let result = (|| -> Result<()> {
        let sig_path = dir.join(&job.sig);
        let sig_bytes = std::fs::read(&sig_path)
            .with_context(|| format!("cannot read {}", job.sig.display()))?;
        let sig = decode_signature_file(&sig_bytes)?;
        let data_path = dir.join(data);
        let read_err = || format!("cannot read {}", data.display());
        match key.algorithm().digest() {
            Some(alg) => {
                let digest: Digest = if !pipelined || job.size < (4 << 20) {
                    let mut f = File::open(&data_path).with_context(read_err)?;
                    crate::hash::hash_simple(&mut f, alg, buf).with_context(read_err)?
                } else {
                    let f = File::open(&data_path).with_context(read_err)?;
                    crate::hash::hash_stream(f, alg, None).with_context(read_err)?
                };
                key.verify(&Message::Digest(digest), &sig)?;
            }
            None => {
                let bytes = std::fs::read(&data_path).with_context(read_err)?;
                key.verify(&Message::Raw(&bytes), &sig)?;
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => (Status::Valid, None),
        Err(e) => {
            let quiet = matches!(
                e.downcast_ref::<signet_crypto::Error>(),
                Some(signet_crypto::Error::InvalidSignature)
            );
            (Status::Invalid, (!quiet).then(|| format!("{e:#}")))
        }
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let key = load_verifier(&args.key)?;
    let (files, problems) = list_files(&args.dir, args.recursive)?;
    let key_file = std::fs::canonicalize(&args.key).ok().and_then(|k| {
        std::fs::canonicalize(&args.dir)
            .ok()
            .and_then(|d| k.strip_prefix(d).ok().map(Path::to_path_buf))
    });
    let (mut jobs, unsigned) = plan(&files, key_file.as_deref());
    // Largest first keeps the workers busy to the end.
    jobs.sort_by_key(|j| std::cmp::Reverse(j.size));

    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 256)
        .min(jobs.len().max(1));
    let pipelined = jobs.len() < workers;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Status, Option<String>)>> =
        Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                // 64 KiB stays in L2 between the copy and the hash: measured
                // 1.6x faster than 1 MiB on 500 x 1 MiB files.
                let mut buf = vec![0u8; 64 << 10];
                let mut local = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let (status, err) = check(&args.dir, job, &key, &mut buf, pipelined);
                    local.push((i, status, err));
                }
                if let Ok(mut r) = results.lock() {
                    r.extend(local);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();

    let mut rows: Vec<Row> = results
        .into_iter()
        .map(|(i, status, error)| Row {
            data_file: jobs[i].data_name.to_string_lossy().into_owned(),
            signature: Some(jobs[i].sig.to_string_lossy().into_owned()),
            status,
            error,
        })
        .collect();
    rows.extend(unsigned.iter().map(|f| Row {
        data_file: f.to_string_lossy().into_owned(),
        signature: None,
        status: Status::Unsigned,
        error: None,
    }));
    rows.sort_by(|a, b| (&a.data_file, &a.signature).cmp(&(&b.data_file, &b.signature)));

    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let (valid, invalid, missing, unsigned_n) = (
        count(Status::Valid),
        count(Status::Invalid),
        count(Status::Missing),
        count(Status::Unsigned),
    );
    let ok = invalid == 0
        && missing == 0
        && problems.is_empty()
        && !(args.require_signatures && unsigned_n > 0);

    match args.output {
        Output::Json => {
            let doc = serde_json::json!({
                "results": rows,
                "problems": problems,
                "summary": {"valid": valid, "invalid": invalid, "missing": missing, "unsigned": unsigned_n},
                "ok": ok,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Output::Text => {
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for row in &rows {
                let (icon, text) = match row.status {
                    Status::Valid => ("✅", "Signature valid"),
                    Status::Invalid => ("❌", "Signature invalid"),
                    Status::Missing => ("❌", "Data file not found"),
                    Status::Unsigned => ("⚠️", "Unsigned"),
                };
                if args.plain {
                    writeln!(out, "{}: {text}", row.data_file)?;
                } else {
                    writeln!(out, "{}: {icon} {text}", row.data_file)?;
                }
                if let Some(err) = &row.error {
                    eprintln!("signet: {}: {err}", row.signature.as_deref().unwrap_or(""));
                }
            }
            writeln!(out, "{valid} valid, {invalid} invalid, {missing} missing")?;
            out.flush()?;
            for p in &problems {
                eprintln!("signet: {p}");
            }
            if rows.is_empty() {
                eprintln!(
                    "signet: no signatures or data files found in {}",
                    args.dir.display()
                );
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else if !problems.is_empty() && invalid == 0 && missing == 0 {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> BTreeMap<PathBuf, u64> {
        names.iter().map(|n| (PathBuf::from(n), 1)).collect()
    }

    #[test]
    fn pairs_signatures_with_data() {
        let f = files(&[
            "a.sig.bin",
            "a.zst",
            "b.sig.bin",
            "b.iso",
            "c.tar.sig.bin",
            "c.tar",
            "d.txt.sig",
            "d.txt",
            "e.sig.bin",
            "lonely.bin",
            "vendor.pem",
        ]);
        let (jobs, unsigned) = plan(&f, None);
        let pairs: Vec<(String, String)> = jobs
            .iter()
            .map(|j| {
                (
                    j.sig.display().to_string(),
                    j.data_name.display().to_string(),
                )
            })
            .collect();
        assert!(pairs.contains(&("a.sig.bin".into(), "a.zst".into())));
        assert!(pairs.contains(&("b.sig.bin".into(), "b.iso".into())));
        assert!(pairs.contains(&("c.tar.sig.bin".into(), "c.tar".into())));
        assert!(pairs.contains(&("d.txt.sig".into(), "d.txt".into())));
        assert!(pairs.contains(&("e.sig.bin".into(), "e.zst".into())));
        assert!(
            jobs.iter()
                .any(|j| j.data.is_none() && j.sig == Path::new("e.sig.bin"))
        );
        assert_eq!(unsigned, vec![PathBuf::from("lonely.bin")]);
    }
}
