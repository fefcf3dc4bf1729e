//! `signet conformance`: the sigstore-conformance client CLI protocol
//! (`docs/cli_protocol.md`), so the suite's harness can drive signet.
//!
//! ```text
//! signet conformance verify-bundle [--staging] --bundle FILE
//!     (--certificate-identity ID --certificate-oidc-issuer URL | --key PUBKEY.pem)
//!     [--trusted-root FILE] FILE_OR_DIGEST
//! signet conformance sign-bundle [--staging] [--in-toto] --identity-token TOKEN
//!     --bundle FILE [--trusted-root FILE] [--signing-config FILE] FILE
//! ```
//!
//! `sign-bundle` signs keylessly: an ephemeral P-256 key, a certificate for
//! it from the signing config's CA (Fulcio v2 API) for the token's
//! identity, the signature (or DSSE over an in-toto statement) logged in
//! the config's Rekor v1 log, all in a v0.3 bundle.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use signet_crypto::digest::DigestAlgorithm;
use signet_crypto::{KeyAlgorithm, Message, PrivateKey, PublicKey};
use signet_types::bundle::{
    Bundle, Certificate, Envelope, EnvelopeSignature, HashOutput, MEDIA_TYPE_V0_3,
    MessageSignature, VerificationMaterial,
};

use super::keyless::{ArtifactArg, IdentityArgs, TrustArgs, cert_pem, report, verify_bundle};
use crate::output::write_atomic;

/// `signet conformance` subcommands.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Verify a bundle (exit 0 = verified).
    VerifyBundle(VerifyArgs),
    /// Sign with a Fulcio certificate (needs network access to Sigstore).
    SignBundle(SignArgs),
}

/// Arguments of `verify-bundle`.
#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// The bundle.
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// A PEM public key (managed-key cases).
    #[arg(long, value_name = "PUBKEY")]
    key: Option<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    identity: IdentityArgs,
    /// The artifact, or `sha256:<hex>`.
    file: PathBuf,
}

/// Arguments of `sign-bundle`.
#[derive(clap::Args)]
pub(crate) struct SignArgs {
    /// Use the staging instance.
    #[arg(long)]
    staging: bool,
    /// Sign the file as an in-toto statement (DSSE).
    #[arg(long)]
    in_toto: bool,
    /// The OIDC identity token.
    #[arg(long, value_name = "TOKEN")]
    identity_token: String,
    /// Where to write the bundle.
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// trusted_root.json.
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// signing_config.json.
    #[arg(long, value_name = "FILE")]
    signing_config: Option<PathBuf>,
    /// The file to sign.
    file: PathBuf,
}

pub(crate) fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::VerifyBundle(a) => verify(a),
        Command::SignBundle(a) => sign(a),
    }
}

fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&a.bundle)
        .with_context(|| format!("cannot read bundle {}", a.bundle.display()))?;
    let bundle = Bundle::from_json(&bytes)
        .with_context(|| format!("cannot use bundle {}", a.bundle.display()))?;
    let key = match &a.key {
        Some(p) => Some(
            PublicKey::from_pem(
                &std::fs::read(p).with_context(|| format!("cannot read key {}", p.display()))?,
            )
            .with_context(|| format!("cannot use key {}", p.display()))?,
        ),
        None => None,
    };
    let root = a.trust.load()?;
    let artifact = ArtifactArg::load(&a.file, key.as_ref(), &bundle)?;
    let v = verify_bundle(&bundle, &artifact, key.as_ref(), &a.identity, &root, false)?;
    report(&v);
    println!("OK");
    Ok(ExitCode::SUCCESS)
}

fn sign(a: SignArgs) -> Result<ExitCode> {
    // The trusted root is not needed to sign; it is read only to fail early
    // on a malformed one, as the protocol passes it.
    if let Some(p) = &a.trusted_root {
        signet_types::trust_root::TrustedRoot::from_json(
            &std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        )
        .with_context(|| format!("cannot use trusted root {}", p.display()))?;
    }
    let bundle = keyless_bundle(
        &a.file,
        a.in_toto,
        &a.identity_token,
        a.signing_config.as_deref(),
        a.staging,
    )?;
    write_atomic(&a.bundle, bundle.to_json_pretty().as_bytes(), 0o644, true)?;
    eprintln!("Wrote bundle to file {}", a.bundle.display());
    Ok(ExitCode::SUCCESS)
}

/// Signs `file` keylessly (or, with `in_toto`, the in-toto statement in
/// it as DSSE): an ephemeral P-256 key, a certificate for it from the
/// signing config's CA for the token's identity, an entry in the config's
/// Rekor v1 log; returns the v0.3 bundle.
pub(crate) fn keyless_bundle(
    file: &std::path::Path,
    in_toto: bool,
    token: &str,
    signing_config: Option<&std::path::Path>,
    staging: bool,
) -> Result<Bundle> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    let config = match signing_config {
        Some(p) => Some(
            std::fs::read(p)
                .with_context(|| format!("cannot read signing config {}", p.display()))?,
        ),
        None => None,
    };
    let services = crate::fulcio::services(config.as_deref(), staging, now)?;
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
    let chain = crate::fulcio::certificate(&services.ca, token, &key)?;
    let leaf = chain[0].clone();
    let verifier = cert_pem(&leaf).into_bytes();
    let material = VerificationMaterial {
        certificate: Some(Certificate { raw_bytes: leaf }),
        ..Default::default()
    };
    let bundle = if in_toto {
        let statement =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let payload_type = signet_oci::referrer::IN_TOTO;
        let pae = signet_types::dsse::pae(payload_type, &statement);
        let sig = key.sign(&Message::Digest(signet_crypto::digest::Digest::of(
            DigestAlgorithm::Sha256,
            &pae,
        )))?;
        let env = Envelope {
            payload: statement,
            payload_type: payload_type.to_owned(),
            signatures: vec![EnvelopeSignature {
                sig,
                keyid: String::new(),
            }],
        };
        let text = serde_json::to_string(&env)?;
        let entry = crate::tlog::upload_dsse(&services.tlog, &text, &env, &verifier)?;
        Bundle {
            media_type: MEDIA_TYPE_V0_3.to_owned(),
            verification_material: VerificationMaterial {
                tlog_entries: vec![entry],
                ..material
            },
            message_signature: None,
            dsse_envelope: Some(env),
        }
    } else {
        let digest = crate::hash::hash_path(file, DigestAlgorithm::Sha256)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let signature = key.sign(&Message::Digest(digest))?;
        let entry = crate::tlog::upload(&services.tlog, &digest, &signature, &verifier)?;
        Bundle {
            media_type: MEDIA_TYPE_V0_3.to_owned(),
            verification_material: VerificationMaterial {
                tlog_entries: vec![entry],
                ..material
            },
            message_signature: Some(MessageSignature {
                message_digest: Some(HashOutput {
                    algorithm: digest.algorithm().bundle_name().to_owned(),
                    digest: digest.as_bytes().to_vec(),
                }),
                signature,
            }),
            dsse_envelope: None,
        }
    };
    Ok(bundle)
}
