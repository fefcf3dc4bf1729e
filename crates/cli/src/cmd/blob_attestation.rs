//! `signet attest-blob` and `signet verify-blob-attestation`: an in-toto
//! statement about a file (its SHA-256 as the subject, its base name as
//! the subject name), signed as a DSSE envelope, kept as the envelope JSON
//! (`--output-signature`, what cosign writes) and/or a Sigstore bundle.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::digest::DigestAlgorithm;
use signet_oci::referrer;
use signet_types::bundle::{Bundle, Envelope};

use super::keyless::{IdentityArgs, TrustArgs, report, verify_bundle_for_file};
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
    /// Public key the envelope must verify with (for certificate bundles
    /// give the identity flags instead).
    #[arg(long)]
    key: Option<String>,
    /// The DSSE envelope file.
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,
    /// A Sigstore bundle holding the envelope.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// Required predicate type (shortcut or URI).
    #[arg(long = "type")]
    kind: Option<String>,
    /// Check only the signature even if the bundle carries transparency-log entries.
    #[arg(long)]
    insecure_ignore_tlog: bool,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    identity: IdentityArgs,
    /// The file the statement must be about (`sha256:<hex>` for a bundle
    /// when no such file exists, e.g. an image digest).
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
    let payload = referrer::statement(
        &name,
        &format!("sha256:{hex}"),
        &predicate_type,
        &predicate,
        &BTreeMap::new(),
    );
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
    let key = args.key.as_deref().map(load_verifier).transpose()?;
    let fail = |why: String| anyhow!(VerificationFailed).context(why);
    if let Some(f) = &args.bundle {
        // A bundle: the whole-bundle verifier checks signature, subject,
        // log entries and (for certificates) chain, SCT and identity.
        let b = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let bundle = Bundle::from_json(&b)
            .with_context(|| format!("{} is not a Sigstore bundle", f.display()))?;
        if bundle.dsse_envelope.is_none() {
            bail!("{} holds no DSSE envelope (an attestation)", f.display());
        }
        let v = verify_bundle_for_file(
            &bundle,
            &args.file,
            key.as_ref(),
            &args.identity,
            &args.trust,
            args.insecure_ignore_tlog,
        )?;
        let (payload_type, payload) = v
            .payload
            .clone()
            .ok_or_else(|| anyhow!("internal: a DSSE bundle without payload"))?;
        if payload_type != referrer::IN_TOTO {
            return Err(fail(format!(
                "the envelope's payload type is {payload_type:?}, not in-toto"
            )));
        }
        let statement = referrer::parse_statement(&payload).map_err(fail)?;
        check_type(&statement, args.kind.as_deref())?;
        report(&v);
        eprintln!("Verified OK");
        return Ok(ExitCode::SUCCESS);
    }
    let key = key.ok_or_else(|| anyhow!("a DSSE envelope file is verified with --key"))?;
    let env: Envelope = match &args.signature {
        Some(f) => {
            let b = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
            serde_json::from_slice(&b)
                .with_context(|| format!("{} is not a DSSE envelope", f.display()))?
        }
        None => return Err(anyhow!("give --signature or --bundle")),
    };
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
    check_type(&statement, args.kind.as_deref())?;
    eprintln!("Verified OK");
    Ok(ExitCode::SUCCESS)
}

/// The statement's predicate type must be `kind` (a shortcut or URI).
fn check_type(statement: &referrer::Statement, kind: Option<&str>) -> Result<()> {
    if let Some(k) = kind {
        let want =
            signet_oci::predicate::type_uri(k).ok_or_else(|| anyhow!("unknown --type {k:?}"))?;
        if statement.predicate_type != want {
            return Err(anyhow!(VerificationFailed).context(format!(
                "the attestation is of type {}, not {want}",
                statement.predicate_type
            )));
        }
    }
    Ok(())
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
