use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::digest::DigestAlgorithm;
use signet_crypto::{PublicKey, signature::decode_signature_file};
use signet_types::bundle::{Bundle, TransparencyLogEntry};
use signet_verify::{Expected, tlog_entry};

use super::Payload;
use super::keyless::{IdentityArgs, TrustArgs, report, verify_bundle_for_file};
use crate::VerificationFailed;
use crate::keyref::load_verifier;

/// Arguments of `signet verify-blob`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("evidence").required(true).args(["signature", "bundle", "clearsigned"])))]
pub(crate) struct Args {
    /// Verification key: a public or private key file, env://VAR or a pkcs11: URI
    /// (for certificate bundles give the identity flags instead).
    #[arg(long)]
    key: Option<String>,
    /// Detached signature: a file (base64 or raw DER, detected) or a base64 string.
    #[arg(long, value_name = "SIG")]
    signature: Option<String>,
    /// A Sigstore bundle (or a legacy cosign bundle).
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// OpenPGP keyring (armored or binary, as `gpg --export` writes it):
    /// verify an OpenPGP signature (--signature F.asc, or --clearsigned).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "bundle"])]
    keyring: Option<PathBuf>,
    /// The file is clearsigned text (needs --keyring).
    #[arg(long, requires = "keyring")]
    clearsigned: bool,
    /// With --clearsigned: write the verified text to FILE.
    #[arg(long, value_name = "FILE", requires = "clearsigned")]
    output_text: Option<PathBuf>,
    /// Check only the signature even if the bundle carries transparency-log entries.
    #[arg(long)]
    insecure_ignore_tlog: bool,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    identity: IdentityArgs,
    /// The file to verify (`-` for stdin; `sha256:<hex>` for a bundle when no such file exists).
    file: PathBuf,
}

/// What a bundle says: the signature, the digest it claims, and log entries.
struct Evidence {
    signature: Vec<u8>,
    claimed_digest: Option<(DigestAlgorithm, Vec<u8>)>,
    tlog_entries: Vec<TransparencyLogEntry>,
    /// Bundles from v0.2 on must carry inclusion proofs, not just SETs.
    require_proof: bool,
}

fn read_signature(arg: &str) -> Result<Vec<u8>> {
    let path = Path::new(arg);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // cosign also takes the base64 signature itself.
            if arg.len() >= 16 && signet_types::b64::decode(arg).is_ok() {
                arg.as_bytes().to_vec()
            } else {
                return Err(e).with_context(|| format!("cannot read signature file {arg}"));
            }
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read signature file {arg}")),
    };
    decode_signature_file(&bytes).with_context(|| format!("cannot use signature {arg}"))
}

fn read_legacy_bundle(
    value: &serde_json::Value,
    key: &PublicKey,
    ignore_tlog: bool,
) -> Result<Evidence> {
    let sig = value["base64Signature"]
        .as_str()
        .ok_or_else(|| anyhow!("base64Signature is not a string"))?;
    let signature = signet_types::b64::decode(sig)
        .map_err(|e| anyhow!("base64Signature is not base64: {e}"))?;
    if let Some(cert) = value.get("cert").and_then(|c| c.as_str()) {
        let pem = signet_types::b64::decode(cert).unwrap_or_else(|_| cert.as_bytes().to_vec());
        match PublicKey::from_pem(&pem) {
            Ok(bundle_key) if &bundle_key != key => {
                bail!("the bundle names another public key than --key")
            }
            Ok(_) => {}
            Err(_) => bail!(
                "this bundle is signed with a certificate (keyless); verifying certificate identities is not supported by this signet version"
            ),
        }
    }
    let rekor = value.get("rekorBundle").filter(|r| !r.is_null());
    let tlog_entries = match rekor {
        Some(r) if !ignore_tlog => vec![signet_types::rekor::entry_from_legacy(r)?],
        _ => Vec::new(),
    };
    Ok(Evidence {
        signature,
        claimed_digest: None,
        tlog_entries,
        require_proof: false,
    })
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    if let Some(ring) = &args.keyring {
        return match &args.signature {
            _ if args.clearsigned => {
                super::pgp::verify_clearsigned(ring, &args.file, args.output_text.as_deref())
            }
            Some(sig) => super::pgp::verify(ring, sig, &args.file),
            None => anyhow::bail!("--keyring needs --signature FILE.asc or --clearsigned"),
        };
    }
    let key = args.key.as_deref().map(load_verifier).transpose()?;
    let evidence = match (&args.signature, &args.bundle) {
        (Some(sig), _) => Evidence {
            signature: read_signature(sig)?,
            claimed_digest: None,
            tlog_entries: Vec::new(),
            require_proof: false,
        },
        (None, Some(path)) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read bundle {}", path.display()))?;
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| anyhow!("{} is not JSON: {e}", path.display()))?;
            if value.get("base64Signature").is_none() {
                // A Sigstore bundle: the whole-bundle verifier decides.
                let bundle = Bundle::from_json(&bytes)
                    .with_context(|| format!("cannot use bundle {}", path.display()))?;
                let v = verify_bundle_for_file(
                    &bundle,
                    &args.file,
                    key.as_ref(),
                    &args.identity,
                    &args.trust,
                    args.insecure_ignore_tlog,
                )?;
                report(&v);
                println!("Verified OK");
                return Ok(ExitCode::SUCCESS);
            }
            let key = key
                .as_ref()
                .ok_or_else(|| anyhow!("a legacy cosign bundle is verified with --key"))?;
            read_legacy_bundle(&value, key, args.insecure_ignore_tlog)?
        }
        (None, None) => bail!("give --signature or --bundle"),
    };
    let key = key.ok_or_else(|| anyhow!("--signature is verified with --key"))?;
    let trusted_root = if evidence.tlog_entries.is_empty() {
        None
    } else {
        Some(args.trust.load()?)
    };
    let payload = Payload::load(&args.file, key.algorithm())?;
    if let Some((alg, claimed)) = &evidence.claimed_digest {
        let actual = match payload.digest(*alg) {
            Some(d) => d,
            None => crate::hash::hash_path(&args.file, *alg)
                .with_context(|| format!("cannot read {}", args.file.display()))?,
        };
        if actual.as_bytes() != claimed.as_slice() {
            return Err(anyhow!(VerificationFailed)).context(
                "the bundle's message digest does not match the file: it was signed for other content",
            );
        }
    }
    key.verify(&payload.message(), &evidence.signature)
        .with_context(|| format!("{}: signature invalid", args.file.display()))?;
    if let (Some(root), false) = (&trusted_root, evidence.tlog_entries.is_empty()) {
        let alg = key
            .algorithm()
            .digest()
            .ok_or_else(|| anyhow!("{} signatures are not logged by digest", key.algorithm()))?;
        let digest = payload
            .digest(alg)
            .ok_or_else(|| anyhow!("internal: no {} digest", alg.name()))?;
        let expected = Expected {
            signature: &evidence.signature,
            key: &key,
            digest: &digest,
        };
        for entry in &evidence.tlog_entries {
            let v = tlog_entry(entry, root, &expected, evidence.require_proof).map_err(|r| {
                anyhow!(VerificationFailed).context(format!(
                    "transparency log: {r} (give --trusted-root FILE for a private log, or --insecure-ignore-tlog to check the signature alone)"
                ))
            })?;
            let what = match (v.proven, v.integrated_time.is_some()) {
                (true, true) => "inclusion proof, signed checkpoint and SET",
                (true, false) => "inclusion proof and signed checkpoint",
                _ => "SET only (no inclusion proof in this bundle)",
            };
            eprintln!(
                "tlog entry {} in {} verified offline: {what}",
                v.log_index, v.log_url
            );
        }
    }
    println!("Verified OK");
    Ok(ExitCode::SUCCESS)
}
