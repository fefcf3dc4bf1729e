use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use signet_crypto::digest::DigestAlgorithm;
use signet_types::bundle::{
    Bundle, HashOutput, MEDIA_TYPE_V0_3, MessageSignature, VerificationMaterial,
};

use super::Payload;
use super::keyless::CertificateArgs;
use crate::keyref::load_signer;
use crate::output::write_atomic;

/// Encoding of a detached signature.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SignatureFormat {
    /// Base64 text (cosign's `.sig`).
    Base64,
    /// Raw DER bytes (openssl's `.sig.bin`).
    Der,
}

/// Arguments of `signet sign-blob`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Signing key: a path, env://VAR or a pkcs11: URI. Without one, sign
    /// keylessly with --identity-token.
    #[arg(long, required_unless_present_any = ["identity_token", "pgp_key"])]
    key: Option<String>,
    /// Sign with an OpenPGP secret key (armored or binary, as
    /// `gpg --export-secret-keys` writes it): an armored detached
    /// signature (`.asc`) that `gpg --verify` accepts.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "identity_token", "bundle", "signature_format"])]
    pgp_key: Option<PathBuf>,
    /// With --pgp-key: write the file clearsigned (as `gpg --clearsign`).
    #[arg(long, requires = "pgp_key")]
    clearsign: bool,
    /// Sign keylessly: an OIDC identity token for the CA (Fulcio) of the
    /// signing config; the bundle then holds a short-lived certificate.
    #[arg(
        long,
        value_name = "TOKEN",
        conflicts_with = "key",
        requires = "bundle"
    )]
    identity_token: Option<String>,
    /// Signing config (CA and log URLs) for keyless signing (default: the
    /// built-in public-good one, or staging with --staging).
    #[arg(long, value_name = "FILE")]
    signing_config: Option<PathBuf>,
    /// Keyless signing against Sigstore's staging instance.
    #[arg(long)]
    staging: bool,
    /// Write the signature to FILE (DER by default when FILE ends in .sig.bin).
    #[arg(long, value_name = "FILE")]
    output_signature: Option<PathBuf>,
    /// Signature encoding.
    #[arg(long, value_enum)]
    signature_format: Option<SignatureFormat>,
    /// Also write a Sigstore bundle (v0.3 JSON) to FILE.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// Transparency log to record the signature in (its entry, SET,
    /// inclusion proof and checkpoint go into the bundle).
    #[arg(long, env = "SIGNET_TLOG_URL", value_name = "URL")]
    tlog_url: Option<String>,
    /// Set to false to not log the signature even when a log is configured.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    tlog_upload: bool,
    #[command(flatten)]
    certificate: CertificateArgs,
    /// The file to sign (`-` for stdin).
    file: PathBuf,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    if let Some(k) = &args.pgp_key {
        return super::pgp::sign(
            k,
            &args.file,
            args.clearsign,
            args.output_signature.as_deref(),
        );
    }
    let Some(key) = &args.key else {
        return keyless(&args);
    };
    let signer = load_signer(key)?;
    let cert = args.certificate.load(signer.public_key())?;
    let algorithm = signer.public_key().algorithm();
    let payload = Payload::load(&args.file, algorithm)?;
    let signature = signer.sign(&payload.message())?;

    let mut tlog_entries = Vec::new();
    if let (Some(url), true) = (&args.tlog_url, args.tlog_upload) {
        let alg = algorithm.digest().ok_or_else(|| {
            anyhow::anyhow!(
                "{algorithm} signatures cannot be logged by digest; use an ECDSA key or --tlog-upload=false"
            )
        })?;
        let digest = payload
            .digest(alg)
            .ok_or_else(|| anyhow::anyhow!("internal: no {} digest", alg.name()))?;
        let entry = crate::tlog::upload(
            url,
            &digest,
            &signature,
            &cert.verifier_pem(signer.public_key()),
        )?;
        eprintln!("tlog entry created with index: {}", entry.log_index);
        tlog_entries.push(entry);
    }

    if let Some(path) = &args.bundle {
        let digest_alg = algorithm.digest().unwrap_or(DigestAlgorithm::Sha256);
        let digest = payload.digest(digest_alg);
        let bundle = Bundle {
            media_type: MEDIA_TYPE_V0_3.to_owned(),
            verification_material: VerificationMaterial {
                tlog_entries,
                ..cert.material(signer.public_key())
            },
            message_signature: Some(MessageSignature {
                message_digest: digest.map(|d| HashOutput {
                    algorithm: d.algorithm().bundle_name().to_owned(),
                    digest: d.as_bytes().to_vec(),
                }),
                signature: signature.clone(),
            }),
            dsse_envelope: None,
        };
        write_atomic(path, bundle.to_json_pretty().as_bytes(), 0o644, true)?;
        eprintln!("Wrote bundle to file {}", path.display());
    }

    match &args.output_signature {
        Some(path) => {
            let der_by_name = path.to_string_lossy().ends_with(".sig.bin");
            let format = args.signature_format.unwrap_or(if der_by_name {
                SignatureFormat::Der
            } else {
                SignatureFormat::Base64
            });
            let bytes = match format {
                SignatureFormat::Der => signature,
                // cosign writes base64 without a trailing newline to files.
                SignatureFormat::Base64 => signet_types::b64::encode(&signature).into_bytes(),
            };
            write_atomic(path, &bytes, 0o644, true)?;
            eprintln!("Signature written to {}", path.display());
        }
        None if args.bundle.is_none() || args.signature_format.is_some() => {
            match args.signature_format.unwrap_or(SignatureFormat::Base64) {
                SignatureFormat::Base64 => println!("{}", signet_types::b64::encode(&signature)),
                SignatureFormat::Der => {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    out.write_all(&signature)?;
                    out.flush()?;
                }
            }
        }
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// `sign-blob --identity-token`: the keyless flow of the conformance
/// adapter, written to `--bundle` (and `--output-signature` if given).
fn keyless(args: &Args) -> Result<ExitCode> {
    let token = args
        .identity_token
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("give --key or --identity-token"))?;
    let path = args
        .bundle
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("keyless signing writes a bundle: give --bundle FILE"))?;
    let bundle = super::conformance::keyless_bundle(
        &args.file,
        false,
        token,
        args.signing_config.as_deref(),
        args.staging,
    )?;
    write_atomic(path, bundle.to_json_pretty().as_bytes(), 0o644, true)?;
    eprintln!("Wrote bundle to file {}", path.display());
    if let (Some(out), Some(ms)) = (&args.output_signature, &bundle.message_signature) {
        write_atomic(
            out,
            signet_types::b64::encode(&ms.signature).as_bytes(),
            0o644,
            true,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
