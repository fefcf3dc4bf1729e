use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::digest::DigestAlgorithm;
use signet_crypto::{PublicKey, signature::decode_signature_file};
use signet_types::bundle::{Bundle, BundleVersion, TransparencyLogEntry};
use signet_types::trust_root::TrustedRoot;
use signet_verify::{Expected, tlog_entry};

use super::Payload;
use crate::VerificationFailed;
use crate::keyref::load_verifier;

/// Arguments of `signet verify-blob`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("evidence").required(true).args(["signature", "bundle"])))]
pub(crate) struct Args {
    /// Verification key: a public or private key file, env://VAR or a pkcs11: URI.
    #[arg(long)]
    key: String,
    /// Detached signature: a file (base64 or raw DER, detected) or a base64 string.
    #[arg(long, value_name = "SIG")]
    signature: Option<String>,
    /// A Sigstore bundle (or a legacy cosign bundle).
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// Check only the signature even if the bundle carries transparency-log entries.
    #[arg(long)]
    insecure_ignore_tlog: bool,
    /// trusted_root.json naming the transparency logs (checked offline).
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// The file to verify (`-` for stdin).
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

/// How log entries are treated.
#[derive(Clone, Copy)]
struct TlogPolicy {
    ignore: bool,
    have_root: bool,
}

impl TlogPolicy {
    fn check(self, has_entries: bool) -> Result<()> {
        if has_entries && !self.ignore && !self.have_root {
            bail!(
                "this bundle carries transparency-log entries: give --trusted-root FILE to check them offline, or --insecure-ignore-tlog to check the signature alone"
            );
        }
        Ok(())
    }
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

fn read_bundle(path: &Path, key: &PublicKey, tlog: TlogPolicy) -> Result<Evidence> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read bundle {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow!("{} is not JSON: {e}", path.display()))?;
    if value.get("base64Signature").is_some() {
        return read_legacy_bundle(&value, key, tlog);
    }
    let bundle = Bundle::from_json(&bytes)
        .with_context(|| format!("cannot use bundle {}", path.display()))?;
    let vm = &bundle.verification_material;
    if vm.certificate.is_some() || vm.x509_certificate_chain.is_some() {
        bail!(
            "this bundle is signed with a certificate (keyless); verifying certificate identities is not supported by this signet version"
        );
    }
    tlog.check(!vm.tlog_entries.is_empty())?;
    let require_proof = bundle.version()? >= BundleVersion::V0_2;
    let tlog_entries = if tlog.ignore {
        Vec::new()
    } else {
        vm.tlog_entries.clone()
    };
    let Some(ms) = bundle.message_signature else {
        bail!("this bundle holds a DSSE envelope (an attestation), not a blob signature");
    };
    let claimed_digest = match ms.message_digest {
        Some(d) => Some((
            DigestAlgorithm::from_bundle_name(&d.algorithm).ok_or_else(|| {
                anyhow!("unsupported digest algorithm {:?} in bundle", d.algorithm)
            })?,
            d.digest,
        )),
        None => None,
    };
    Ok(Evidence {
        signature: ms.signature,
        claimed_digest,
        tlog_entries,
        require_proof,
    })
}

fn read_legacy_bundle(
    value: &serde_json::Value,
    key: &PublicKey,
    tlog: TlogPolicy,
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
    tlog.check(rekor.is_some())?;
    let tlog_entries = match rekor {
        Some(r) if !tlog.ignore => vec![crate::tlog::entry_from_legacy(r)?],
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
    let key = load_verifier(&args.key)?;
    let trusted_root = match &args.trusted_root {
        Some(p) => Some(
            TrustedRoot::from_json(
                &std::fs::read(p)
                    .with_context(|| format!("cannot read trusted root {}", p.display()))?,
            )
            .with_context(|| format!("cannot use trusted root {}", p.display()))?,
        ),
        None => None,
    };
    let tlog = TlogPolicy {
        ignore: args.insecure_ignore_tlog,
        have_root: trusted_root.is_some(),
    };
    let evidence = match (&args.signature, &args.bundle) {
        (Some(sig), _) => Evidence {
            signature: read_signature(sig)?,
            claimed_digest: None,
            tlog_entries: Vec::new(),
            require_proof: false,
        },
        (None, Some(bundle)) => read_bundle(bundle, &key, tlog)?,
        (None, None) => bail!("give --signature or --bundle"),
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
                anyhow!(VerificationFailed).context(format!("transparency log: {r}"))
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
