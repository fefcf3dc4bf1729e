//! `signet sign IMAGE` and `signet verify IMAGE`: cosign's key-based image
//! signatures in both layouts: legacy (`sha256-<hex>.sig`, Simple Signing
//! payloads, byte-compatible with cosign) and cosign v3's Sigstore bundle
//! v0.3 referrer (DSSE over an in-toto statement naming the image), with
//! the `sha256-<hex>` fallback index on registries without the referrers
//! API; cosign's output and exit codes (10 no signatures, 11 image not
//! found, 12 no matching signatures).

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use base64::Engine;
use signet_crypto::digest::Digest;
use signet_crypto::{Message, PublicKey};
use signet_oci::legacy::{self, SigLayer};
use signet_oci::reference::{Reference, signature_tag};
use signet_oci::{referrer, simple_signing};
use signet_types::bundle::{
    Bundle, Envelope, EnvelopeSignature, MEDIA_TYPE_V0_3, PublicKeyIdentifier, VerificationMaterial,
};

use crate::keyref::{load_signer, load_verifier};
use crate::oci::{NotFound, Registry, RegistryArgs};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn parse_annotation(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("annotation {s:?} is not key=value"))
}

/// Where `signet sign` stores the signature.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Layout {
    /// `sha256-<hex>.sig` (what Podman, Skopeo, CRI-O and older cosign read).
    Legacy,
    /// A Sigstore bundle as an OCI 1.1 referrer (cosign v3).
    Bundle,
    /// Both.
    Both,
}

/// Arguments of `signet sign`.
#[derive(clap::Args)]
pub(crate) struct SignArgs {
    /// Which signature layout(s) to write.
    #[arg(long, value_enum, default_value = "both")]
    layout: Layout,
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
    if args.layout != Layout::Bundle {
        sign_legacy(&reg, &r, &signer, &digest, &annotations)?;
    }
    if args.layout != Layout::Legacy {
        sign_bundle(&reg, &r, &signer, &digest, &annotations)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn sign_legacy(
    reg: &Registry,
    r: &Reference,
    signer: &crate::keyref::Signer,
    digest: &str,
    annotations: &BTreeMap<String, String>,
) -> Result<()> {
    let payload = simple_signing::payload(&r.name(), digest, annotations);
    let signature = signer.sign(&message_for(signer.public_key(), &payload))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&signature);
    let tag = signature_tag(digest, "sig");
    let mut layers = match reg.manifest(&r.repository, &tag) {
        Ok(m) => legacy::parse(&m.bytes)?,
        Err(e) if e.chain().any(|c| c.is::<NotFound>()) => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut layer_annotations = BTreeMap::new();
    layer_annotations.insert(legacy::SIGNATURE_ANNOTATION.to_owned(), b64);
    let layer = SigLayer {
        media_type: legacy::SIMPLE_SIGNING.to_owned(),
        digest: signet_oci::sha256_digest(&payload),
        size: payload.len() as u64,
        annotations: layer_annotations,
    };
    if layers.iter().any(|l| l == &layer) {
        eprintln!("This signature is already attached to {digest}; nothing to do.");
        return Ok(());
    }
    layers.push(layer);
    reg.put_blob(&r.repository, &payload)?;
    let config = legacy::config(&layers);
    reg.put_blob(&r.repository, &config)?;
    let manifest = legacy::manifest(&layers, &config);
    eprintln!("Pushing signature to: {}:{tag}", r.name());
    reg.put_manifest(&r.repository, &tag, OCI_MANIFEST, &manifest)
}

fn sign_bundle(
    reg: &Registry,
    r: &Reference,
    signer: &crate::keyref::Signer,
    digest: &str,
    annotations: &BTreeMap<String, String>,
) -> Result<()> {
    let image = reg.manifest(&r.repository, digest)?;
    let statement = referrer::statement(
        digest,
        referrer::SIGN_PREDICATE,
        &serde_json::json!({}),
        annotations,
    );
    let pae = signet_types::dsse::pae(referrer::IN_TOTO, &statement);
    let sig = signer.sign(&message_for(signer.public_key(), &pae))?;
    let bundle = Bundle {
        media_type: MEDIA_TYPE_V0_3.to_owned(),
        verification_material: VerificationMaterial {
            public_key: Some(PublicKeyIdentifier {
                hint: signer.public_key().key_hint(),
            }),
            ..Default::default()
        },
        message_signature: None,
        dsse_envelope: Some(Envelope {
            payload: statement,
            payload_type: referrer::IN_TOTO.to_owned(),
            signatures: vec![EnvelopeSignature {
                sig,
                keyid: String::new(),
            }],
        }),
    };
    let bundle_bytes = serde_json::to_vec(&bundle)?;
    let bundle_digest = reg.put_blob(&r.repository, &bundle_bytes)?;
    reg.put_blob(&r.repository, referrer::EMPTY_CONFIG)?;
    let media_type = if image.media_type.is_empty() {
        OCI_MANIFEST.to_owned()
    } else {
        image.media_type.clone()
    };
    let subject = referrer::descriptor(&media_type, digest, image.bytes.len());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let manifest = referrer::manifest(
        &bundle_digest,
        bundle_bytes.len(),
        &subject,
        referrer::SIGN_PREDICATE,
        &signet_types::trust_root::unix_to_rfc3339(now),
    );
    let manifest_digest = signet_oci::sha256_digest(&manifest);
    eprintln!("Pushing bundle referrer to: {}@{manifest_digest}", r.name());
    reg.put_manifest(&r.repository, &manifest_digest, OCI_MANIFEST, &manifest)?;
    if reg
        .referrers(&r.repository, digest, referrer::BUNDLE_V03)?
        .is_none()
    {
        // No referrers API: keep the fallback index (tag sha256-<hex>).
        let tag = referrer::fallback_tag(digest);
        let old = match reg.manifest(&r.repository, &tag) {
            Ok(m) => Some(m.bytes),
            Err(e) if e.chain().any(|c| c.is::<NotFound>()) => None,
            Err(e) => return Err(e),
        };
        let mut desc = referrer::descriptor(OCI_MANIFEST, &manifest_digest, manifest.len());
        desc["artifactType"] = serde_json::json!(referrer::BUNDLE_V03);
        let index = referrer::add_to_index(old.as_deref(), desc).map_err(|e| anyhow!(e))?;
        reg.put_manifest(&r.repository, &tag, referrer::OCI_INDEX, &index)?;
    }
    Ok(())
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
    let mut verified = Vec::new();
    let mut reasons = Vec::new();
    let mut found = 0usize;
    // cosign v3 looks for bundle referrers first, then the legacy tag.
    let bundles = bundle_referrers(&reg, &r.repository, &digest)?;
    found += bundles.len();
    for (i, m) in bundles.iter().enumerate() {
        match check_bundle(&reg, &r, &key, &digest, &annotations, m, &args.image) {
            Ok(v) => verified.push(v),
            Err(e) => reasons.push(format!("bundle {i}: {e:#}")),
        }
    }
    let tag = signature_tag(&digest, "sig");
    match reg.manifest(&r.repository, &tag) {
        Ok(m) => match legacy::parse(&m.bytes) {
            Ok(layers) => {
                if layers.len() > legacy::MAX_SIGNATURES {
                    return Err(anyhow!(
                        "maximum number of signatures on an image is {}, found {}",
                        legacy::MAX_SIGNATURES,
                        layers.len()
                    ));
                }
                found += layers.len().max(1);
                for (i, l) in layers.iter().enumerate() {
                    match check_layer(&reg, &r, &key, &digest, &annotations, l) {
                        Ok(v) => verified.push(v),
                        Err(e) => reasons.push(format!("signature {i}: {e:#}")),
                    }
                }
            }
            Err(e) => {
                found += 1;
                reasons.push(e.to_string());
            }
        },
        Err(e) if e.chain().any(|c| c.is::<NotFound>()) => {}
        Err(e) => return Err(e),
    }
    if found == 0 {
        eprintln!("Error: no signatures found for {} ({digest})", args.image);
        return Ok(ExitCode::from(10));
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

/// Manifest digests of the bundle referrers of `digest` (referrers API, or
/// the fallback index where the registry has none).
fn bundle_referrers(reg: &Registry, repo: &str, digest: &str) -> Result<Vec<String>> {
    let index = match reg.referrers(repo, digest, referrer::BUNDLE_V03)? {
        Some(i) => i,
        None => match reg.manifest(repo, &referrer::fallback_tag(digest)) {
            Ok(m) => m.bytes,
            Err(e) if e.chain().any(|c| c.is::<NotFound>()) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        },
    };
    referrer::bundle_referrers(&index).map_err(|e| anyhow!(e))
}

/// One bundle referrer: its bundle, the DSSE signature with `key`, the
/// statement's subject (the image digest) and annotations. Returns the
/// claim in cosign's simple-signing shape.
fn check_bundle(
    reg: &Registry,
    r: &Reference,
    key: &PublicKey,
    digest: &str,
    annotations: &BTreeMap<String, String>,
    manifest_digest: &str,
    image: &str,
) -> Result<serde_json::Value> {
    let m = reg.manifest(&r.repository, manifest_digest)?;
    let (layer, _) = referrer::bundle_layer(&m.bytes).map_err(|e| anyhow!(e))?;
    let bytes = reg.blob(&r.repository, &layer)?;
    let bundle = Bundle::from_json(&bytes)?;
    let env = bundle
        .dsse_envelope
        .ok_or_else(|| anyhow!("the bundle holds a message signature, not a DSSE envelope"))?;
    if env.payload_type != referrer::IN_TOTO {
        return Err(anyhow!(
            "the envelope's payload type is {:?}, not in-toto",
            env.payload_type
        ));
    }
    let pae = signet_types::dsse::pae(&env.payload_type, &env.payload);
    if !env
        .signatures
        .iter()
        .any(|s| key.verify(&message_for(key, &pae), &s.sig).is_ok())
    {
        return Err(anyhow!("no envelope signature verifies with this key"));
    }
    let statement = referrer::parse_statement(&env.payload).map_err(|e| anyhow!(e))?;
    let hex = digest.trim_start_matches("sha256:");
    if !statement.subjects.iter().any(|s| s == hex) {
        return Err(anyhow!(
            "no matching subject digest found: the statement does not name {digest}"
        ));
    }
    if !annotations
        .iter()
        .all(|(k, v)| statement.annotations.get(k).and_then(|x| x.as_str()) == Some(v.as_str()))
    {
        return Err(anyhow!("the statement lacks the required annotations"));
    }
    Ok(serde_json::json!({
        "critical": {
            "identity": {"docker-reference": image},
            "image": {"docker-manifest-digest": digest},
            "type": statement.predicate_type,
        },
        "optional": statement.annotations,
    }))
}
