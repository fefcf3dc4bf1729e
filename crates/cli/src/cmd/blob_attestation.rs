//! `signet attest-blob` and `signet verify-blob-attestation`: an in-toto
//! statement about a file (its SHA-256 as the subject, its base name as
//! the subject name), signed as a DSSE envelope, kept as the envelope JSON
//! (`--output-signature`, what cosign writes) and/or a Sigstore bundle.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use signet_crypto::digest::DigestAlgorithm;
use signet_oci::referrer;
use signet_types::bundle::{Bundle, Envelope};

use super::{bundle_of, envelope, message_for};
use crate::VerificationFailed;
use crate::keyref::{load_signer, load_verifier};
use crate::output::write_atomic;

/// Arguments of `signet attest-blob`.
#[derive(clap::Args)]
pub(crate) struct AttestArgs {
    /// Signing key: a path, env://VAR or a pkcs11: URI.
    #[arg(long)]
    key: String,
    /// The predicate file.
    #[arg(long, value_name = "FILE")]
    predicate: PathBuf,
    /// Predicate type: a cosign shortcut or a URI.
    #[arg(long = "type", default_value = "custom")]
    kind: String,
    /// Write the DSSE envelope (JSON) to FILE.
    #[arg(long, value_name = "FILE")]
    output_signature: Option<PathBuf>,
    /// Write a Sigstore bundle v0.3 to FILE.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// The file the statement is about.
    file: PathBuf,
}

/// Arguments of `signet verify-blob-attestation`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("evidence").required(true).args(["signature", "bundle"])))]
pub(crate) struct VerifyArgs {
    /// Public key the envelope must verify with.
    #[arg(long)]
    key: String,
    /// The DSSE envelope file.
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,
    /// A Sigstore bundle holding the envelope.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// Required predicate type (shortcut or URI).
    #[arg(long = "type")]
    kind: Option<String>,
    /// The file the statement must be about.
    file: PathBuf,
}

fn sha256_hex(path: &std::path::Path) -> Result<String> {
    Ok(crate::hash::hash_path(path, DigestAlgorithm::Sha256)
        .with_context(|| format!("cannot read {}", path.display()))?
        .to_hex())
}

pub(crate) fn attest(args: AttestArgs) -> Result<ExitCode> {
    if args.output_signature.is_none() && args.bundle.is_none() {
        return Err(anyhow!("give --output-signature FILE and/or --bundle FILE"));
    }
    let predicate_type = signet_oci::predicate::type_uri(&args.kind)
        .ok_or_else(|| anyhow!("unknown --type {:?}", args.kind))?
        .to_owned();
    let file = std::fs::read(&args.predicate)
        .with_context(|| format!("cannot read {}", args.predicate.display()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    let predicate = signet_oci::predicate::build(
        &args.kind,
        &file,
        &signet_types::trust_root::unix_to_rfc3339(now),
    )
    .map_err(|e| anyhow!("{}: {e}", args.predicate.display()))?;
    let hex = sha256_hex(&args.file)?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut statement: serde_json::Value = serde_json::from_slice(&referrer::statement(
        &format!("sha256:{hex}"),
        &predicate_type,
        &predicate,
        &BTreeMap::new(),
    ))?;
    statement["subject"][0]["name"] = serde_json::Value::String(name);
    let payload = serde_json::to_vec(&statement)?;
    let signer = load_signer(&args.key)?;
    let env = envelope(&signer, payload)?;
    if let Some(f) = &args.output_signature {
        write_atomic(f, &serde_json::to_vec(&env)?, 0o644, true)?;
    }
    if let Some(f) = &args.bundle {
        write_atomic(
            f,
            &serde_json::to_vec(&bundle_of(&signer, env))?,
            0o644,
            true,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let key = load_verifier(&args.key)?;
    let env: Envelope = match (&args.signature, &args.bundle) {
        (Some(f), _) => {
            let b = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
            serde_json::from_slice(&b)
                .with_context(|| format!("{} is not a DSSE envelope", f.display()))?
        }
        (None, Some(f)) => {
            let b = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
            Bundle::from_json(&b)
                .with_context(|| format!("{} is not a Sigstore bundle", f.display()))?
                .dsse_envelope
                .ok_or_else(|| anyhow!("{} holds no DSSE envelope", f.display()))?
        }
        (None, None) => return Err(anyhow!("give --signature or --bundle")),
    };
    let fail = |why: String| anyhow!(VerificationFailed).context(why);
    if env.payload_type != referrer::IN_TOTO {
        return Err(fail(format!(
            "the envelope's payload type is {:?}, not in-toto",
            env.payload_type
        )));
    }
    let pae = signet_types::dsse::pae(&env.payload_type, &env.payload);
    if !env
        .signatures
        .iter()
        .any(|s| key.verify(&message_for(&key, &pae), &s.sig).is_ok())
    {
        return Err(fail("no envelope signature verifies with this key".into()));
    }
    let statement = referrer::parse_statement(&env.payload).map_err(fail)?;
    let hex = sha256_hex(&args.file)?;
    if !statement.subjects.contains(&hex) {
        return Err(fail(format!(
            "no matching subject digest found: the statement is not about {} (sha256:{hex})",
            args.file.display()
        )));
    }
    if let Some(k) = &args.kind {
        let want =
            signet_oci::predicate::type_uri(k).ok_or_else(|| anyhow!("unknown --type {k:?}"))?;
        if statement.predicate_type != want {
            return Err(fail(format!(
                "the attestation is of type {}, not {want}",
                statement.predicate_type
            )));
        }
    }
    eprintln!("Verified OK");
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `signet provenance`.
#[derive(clap::Args)]
pub(crate) struct ProvenanceArgs {
    /// Write the predicate to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `signet provenance`: a SLSA v1 provenance predicate for the CI run it
/// runs in, for `attest --type slsaprovenance1 --predicate`.
pub(crate) fn provenance(args: ProvenanceArgs) -> Result<ExitCode> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    let p = signet_oci::predicate::provenance(
        &crate::env::ci,
        &signet_types::trust_root::unix_to_rfc3339(now),
    )
    .map_err(|e| anyhow!(e))?;
    let text = serde_json::to_vec_pretty(&p)?;
    match &args.output {
        Some(f) => write_atomic(f, &text, 0o644, true)?,
        None => println!("{}", String::from_utf8_lossy(&text)),
    }
    Ok(ExitCode::SUCCESS)
}
