//! `signet sign IMAGE` and `signet verify IMAGE`: cosign's key-based image
//! signatures in the legacy layout (`sha256-<hex>.sig`, Simple Signing
//! payloads), byte-compatible with what cosign writes and reads, with
//! cosign's output and exit codes (10 no signatures, 11 image not found,
//! 12 no matching signatures).

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use base64::Engine;
use signet_crypto::digest::Digest;
use signet_crypto::{Message, PublicKey};
use signet_oci::legacy::{self, SigLayer};
use signet_oci::reference::{Reference, signature_tag};
use signet_oci::simple_signing;

use crate::keyref::{load_signer, load_verifier};
use crate::oci::{NotFound, Registry, RegistryArgs};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn parse_annotation(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("annotation {s:?} is not key=value"))
}

/// Arguments of `signet sign`.
#[derive(clap::Args)]
pub(crate) struct SignArgs {
    /// Signing key: a path, env://VAR or a pkcs11: URI.
    #[arg(long)]
    key: String,
    /// Annotation to put in the signed payload (`optional`), key=value.
    #[arg(short = 'a', long = "annotations", value_parser = parse_annotation)]
    annotations: Vec<(String, String)>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image: registry/repository:tag or @sha256:digest.
    image: String,
}

/// Arguments of `signet verify`.
#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// Public key (or private key, or pkcs11: URI) the signature must verify with.
    #[arg(long)]
    key: String,
    /// Annotation the signed payload must carry, key=value.
    #[arg(short = 'a', long = "annotations", value_parser = parse_annotation)]
    annotations: Vec<(String, String)>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image: registry/repository:tag or @sha256:digest.
    image: String,
}

fn message_for<'a>(key: &PublicKey, payload: &'a [u8]) -> Message<'a> {
    match key.algorithm().digest() {
        Some(alg) => Message::Digest(Digest::of(alg, payload)),
        None => Message::Raw(payload),
    }
}

/// Resolves the image to its manifest digest; `None` when not found.
fn resolve(reg: &Registry, r: &Reference) -> Result<Option<String>> {
    match reg.manifest(&r.repository, r.identifier()) {
        Ok(m) => Ok(Some(m.digest)),
        Err(e) if e.chain().any(|c| c.is::<NotFound>()) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) fn sign(args: SignArgs) -> Result<ExitCode> {
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let signer = load_signer(&args.key)?;
    let digest =
        resolve(&reg, &r)?.ok_or_else(|| anyhow!("image tag not found: {}", args.image))?;
    if r.digest.is_none() {
        eprintln!(
            "WARNING: {} names a tag, not a digest; signing what it points to now, {digest}. Sign by digest (@{digest}) so that what you sign cannot change under you.",
            args.image
        );
    }
    let annotations: BTreeMap<String, String> = args.annotations.into_iter().collect();
    let payload = simple_signing::payload(&r.name(), &digest, &annotations);
    let signature = signer.sign(&message_for(signer.public_key(), &payload))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&signature);

    let tag = signature_tag(&digest, "sig");
    let mut layers = match reg.manifest(&r.repository, &tag) {
        Ok(m) => legacy::parse(&m.bytes)?,
        Err(e) if e.chain().any(|c| c.is::<NotFound>()) => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut layer_annotations = BTreeMap::new();
    layer_annotations.insert(legacy::SIGNATURE_ANNOTATION.to_owned(), b64.clone());
    let layer = SigLayer {
        media_type: legacy::SIMPLE_SIGNING.to_owned(),
        digest: signet_oci::sha256_digest(&payload),
        size: payload.len() as u64,
        annotations: layer_annotations,
    };
    if layers.iter().any(|l| l == &layer) {
        eprintln!("This signature is already attached to {digest}; nothing to do.");
        return Ok(ExitCode::SUCCESS);
    }
    layers.push(layer);
    reg.put_blob(&r.repository, &payload)?;
    let config = legacy::config(&layers);
    reg.put_blob(&r.repository, &config)?;
    let manifest = legacy::manifest(&layers, &config);
    eprintln!("Pushing signature to: {}:{tag}", r.name());
    reg.put_manifest(&r.repository, &tag, OCI_MANIFEST, &manifest)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let key = load_verifier(&args.key)?;
    let annotations: BTreeMap<String, String> = args.annotations.into_iter().collect();
    let Some(digest) = resolve(&reg, &r)? else {
        eprintln!("Error: image tag not found: {}", args.image);
        return Ok(ExitCode::from(11));
    };
    let tag = signature_tag(&digest, "sig");
    let layers = match reg.manifest(&r.repository, &tag) {
        Ok(m) => legacy::parse(&m.bytes),
        Err(e) if e.chain().any(|c| c.is::<NotFound>()) => {
            eprintln!("Error: no signatures found for {} ({digest})", args.image);
            return Ok(ExitCode::from(10));
        }
        Err(e) => return Err(e),
    };
    let layers = match layers {
        Ok(l) => l,
        Err(e) => {
            eprintln!("Error: no matching signatures: {e}");
            return Ok(ExitCode::from(12));
        }
    };
    if layers.len() > legacy::MAX_SIGNATURES {
        return Err(anyhow!(
            "maximum number of signatures on an image is {}, found {}",
            legacy::MAX_SIGNATURES,
            layers.len()
        ));
    }
    let mut verified = Vec::new();
    let mut reasons = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        match check_layer(&reg, &r, &key, &digest, &annotations, l) {
            Ok(v) => verified.push(v),
            Err(e) => reasons.push(format!("signature {i}: {e:#}")),
        }
    }
    if verified.is_empty() {
        eprintln!(
            "Error: no matching signatures for the key with SHA-256 fingerprint {} on {} ({digest}):\n {}",
            key.fingerprint(),
            args.image,
            reasons.join("\n ")
        );
        return Ok(ExitCode::from(12));
    }
    eprintln!("\nVerification for {} --", args.image);
    eprintln!("The following checks were performed on each of these signatures:");
    eprintln!("  - The cosign claims were validated");
    if !annotations.is_empty() {
        eprintln!("  - The specified annotations were verified.");
    }
    eprintln!("  - The signatures were verified against the specified public key");
    println!("\n{}", serde_json::to_string(&verified)?);
    Ok(ExitCode::SUCCESS)
}

/// One signature layer: its payload blob, the signature over it with
/// `key`, and the claims (digest, annotations).
fn check_layer(
    reg: &Registry,
    r: &Reference,
    key: &PublicKey,
    digest: &str,
    annotations: &BTreeMap<String, String>,
    l: &SigLayer,
) -> Result<serde_json::Value> {
    let sig_b64 = l
        .signature()
        .ok_or_else(|| anyhow!("the layer has no signature annotation"))?;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig_b64.trim())
        .map_err(|_| anyhow!("the signature annotation is not base64"))?;
    let payload = reg.blob(&r.repository, &l.digest)?;
    key.verify(&message_for(key, &payload), &sig).map_err(|_| {
        anyhow!("the signature does not verify with this key (another key, or a changed payload)")
    })?;
    let claims = simple_signing::parse(&payload)?;
    if claims.digest != digest {
        return Err(anyhow!(
            "invalid or missing digest in claim: the payload names {}, the image is {digest}",
            claims.digest
        ));
    }
    if !claims.has_annotations(annotations) {
        return Err(anyhow!("the payload lacks the required annotations"));
    }
    Ok(serde_json::from_slice(&payload)?)
}
