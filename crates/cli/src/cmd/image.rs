//! `signet sign IMAGE` and `signet verify IMAGE`: cosign's key-based image
//! signatures in both layouts: legacy (`sha256-<hex>.sig`, Simple Signing
//! payloads, byte-compatible with cosign) and cosign v3's Sigstore bundle
//! v0.3 referrer (DSSE over an in-toto statement naming the image), with
//! the `sha256-<hex>` fallback index on registries without the referrers
//! API; cosign's output and exit codes (10 no signatures, 11 image not
//! found, 12 no matching signatures).

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use base64::Engine;
use signet_crypto::PublicKey;
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_oci::legacy::{self, SigLayer};
use signet_oci::reference::{Reference, signature_tag};
use signet_oci::{referrer, simple_signing};
use signet_types::bundle::{Bundle, Envelope};

use super::keyless::{
    CERT_ANNOTATION, CHAIN_ANNOTATION, CertificateArgs, Checker, IdentityArgs, LegacyContent,
    REKOR_BUNDLE_ANNOTATION, SigningCert, TrustArgs, cert_pem,
};
use super::{bundle_of, envelope, message_for};
use crate::keyref::load_signer;
use crate::oci::{Registry, RegistryArgs};
use crate::output::write_atomic;

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
    /// For an index (multi-arch image), also sign every image it lists.
    #[arg(long)]
    recursive: bool,
    /// Replace earlier signatures by the same key instead of adding one
    /// (what pipelines that re-sign expect).
    #[arg(long)]
    replace: bool,
    /// Set to false to attach nothing to the registry (write the files
    /// below instead).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    upload: bool,
    /// Write the base64 signature of the Simple Signing payload to FILE.
    #[arg(long, value_name = "FILE")]
    output_signature: Option<std::path::PathBuf>,
    /// Write the signed Simple Signing payload to FILE.
    #[arg(long, value_name = "FILE")]
    output_payload: Option<std::path::PathBuf>,
    /// Write the Sigstore bundle (DSSE over the in-toto statement) to FILE.
    #[arg(long, value_name = "FILE")]
    bundle: Option<std::path::PathBuf>,
    /// Signing key: a path, env://VAR or a pkcs11: URI.
    #[arg(long)]
    key: String,
    /// Annotation to put in the signed payload (`optional`), key=value.
    #[arg(short = 'a', long = "annotations", value_parser = parse_annotation)]
    annotations: Vec<(String, String)>,
    #[command(flatten)]
    certificate: CertificateArgs,
    /// Transparency log to record the signatures in (the legacy layer gets
    /// cosign's `dev.sigstore.cosign/bundle` annotation, the bundle its entry).
    #[arg(long, env = "SIGNET_TLOG_URL", value_name = "URL")]
    tlog_url: Option<String>,
    /// Set to false to not log the signatures even when a log is configured.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    tlog_upload: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image: registry/repository:tag or @sha256:digest.
    image: String,
}

/// The Sigstore bundle for one image signature: the key hint or the
/// certificate, and the log entry of the envelope when a log is configured.
fn make_bundle(
    signer: &crate::keyref::Signer,
    cert: &SigningCert,
    env: Envelope,
    tlog: Option<&str>,
) -> Result<Bundle> {
    let mut tlog_entries = Vec::new();
    if let Some(url) = tlog {
        let text = serde_json::to_string(&env)?;
        let entry =
            crate::tlog::upload_dsse(url, &text, &env, &cert.verifier_pem(signer.public_key()))?;
        eprintln!("tlog entry created with index: {}", entry.log_index);
        tlog_entries.push(entry);
    }
    let mut bundle = bundle_of(signer, env);
    bundle.verification_material = signet_types::bundle::VerificationMaterial {
        tlog_entries,
        ..cert.material(signer.public_key())
    };
    Ok(bundle)
}

/// Arguments of `signet verify`.
#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// Public key (or private key, or pkcs11: URI) the signature must verify
    /// with (for certificate signatures give the identity flags instead).
    #[arg(long)]
    key: Option<String>,
    /// Annotation the signed payload must carry, key=value.
    #[arg(short = 'a', long = "annotations", value_parser = parse_annotation)]
    annotations: Vec<(String, String)>,
    /// Do not check transparency-log entries attached to the signatures.
    #[arg(long)]
    insecure_ignore_tlog: bool,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    identity: IdentityArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image: registry/repository:tag or @sha256:digest.
    image: String,
}

/// Resolves the image to its manifest digest; `None` when not found.
pub(crate) fn resolve(reg: &Registry, r: &Reference) -> Result<Option<String>> {
    Ok(reg
        .head_manifest(&r.repository, r.identifier())?
        .map(|m| m.digest))
}

pub(crate) fn sign(args: SignArgs) -> Result<ExitCode> {
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let signer = load_signer(&args.key)?;
    let cert = args.certificate.load(signer.public_key())?;
    let tlog = args.tlog_url.as_deref().filter(|_| args.tlog_upload);
    let digest =
        resolve(&reg, &r)?.ok_or_else(|| anyhow!("image tag not found: {}", args.image))?;
    if r.digest.is_none() {
        eprintln!(
            "WARNING: {} names a tag, not a digest; signing what it points to now, {digest}. Sign by digest (@{digest}) so that what you sign cannot change under you.",
            args.image
        );
    }
    let annotations: BTreeMap<String, String> = args.annotations.iter().cloned().collect();
    if !args.upload
        && args.output_signature.is_none()
        && args.output_payload.is_none()
        && args.bundle.is_none()
    {
        return Err(anyhow!(
            "--upload=false keeps the signature nowhere: give --output-signature, --output-payload or --bundle"
        ));
    }
    let mut digests = vec![digest.clone()];
    if args.recursive {
        let m = reg.manifest(&r.repository, &digest)?;
        // Every child must exist before anything is signed: a signature
        // for a manifest the registry lacks protects nothing.
        for child in signet_oci::index_children(&m.bytes) {
            if reg.find_manifest(&r.repository, &child)?.is_none() {
                bail!(
                    "the index {digest} lists {child}, which the registry does not have: nothing was signed; push the missing image or sign without --recursive"
                );
            }
            digests.push(child);
        }
    }
    for (i, d) in digests.iter().enumerate() {
        let payload = simple_signing::payload(&r.name(), d, &annotations);
        let signature = signer.sign(&message_for(signer.public_key(), &payload))?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&signature);
        let statement = referrer::statement(
            &r.name(),
            d,
            referrer::SIGN_PREDICATE,
            &serde_json::json!({}),
            &annotations,
        );
        let env = envelope(&signer, statement)?;
        let wants_bundle = (args.upload && args.layout != Layout::Legacy) || args.bundle.is_some();
        let bundle = if wants_bundle {
            Some(make_bundle(&signer, &cert, env, tlog)?)
        } else {
            None
        };
        if i == 0 {
            // Files describe the image named on the command line.
            if let Some(f) = &args.output_signature {
                write_atomic(f, b64.as_bytes(), 0o644, true)?;
            }
            if let Some(f) = &args.output_payload {
                write_atomic(f, &payload, 0o644, true)?;
            }
            if let (Some(f), Some(b)) = (&args.bundle, &bundle) {
                write_atomic(f, &serde_json::to_vec(b)?, 0o644, true)?;
            }
        }
        if !args.upload {
            continue;
        }
        if args.replace {
            drop_own_signatures(&reg, &r, signer.public_key(), d)?;
        }
        if args.layout != Layout::Bundle {
            let mut layer_annotations = BTreeMap::new();
            layer_annotations.insert(legacy::SIGNATURE_ANNOTATION.to_owned(), b64);
            if let Some(der) = &cert.der {
                layer_annotations.insert(CERT_ANNOTATION.to_owned(), cert_pem(der));
                if let Some(chain) = &cert.chain_pem {
                    layer_annotations.insert(CHAIN_ANNOTATION.to_owned(), chain.clone());
                }
            }
            if let Some(url) = tlog {
                let digest = Digest::of(DigestAlgorithm::Sha256, &payload);
                let entry = crate::tlog::upload(
                    url,
                    &digest,
                    &signature,
                    &cert.verifier_pem(signer.public_key()),
                )?;
                eprintln!("tlog entry created with index: {}", entry.log_index);
                layer_annotations.insert(
                    REKOR_BUNDLE_ANNOTATION.to_owned(),
                    crate::tlog::legacy_bundle(&entry)?,
                );
            }
            push_legacy_layer(
                &reg,
                &r,
                d,
                "sig",
                legacy::SIMPLE_SIGNING,
                &payload,
                layer_annotations,
                false,
            )?;
        }
        if let (true, Some(b)) = (args.layout != Layout::Legacy, &bundle) {
            push_bundle(&reg, &r, d, b, referrer::SIGN_PREDICATE)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Removes the signatures `key` made on `digest`: legacy layers whose
/// signature verifies with it (the manifest is rewritten without them) and
/// bundle referrers it signed (deleted where the registry allows).
fn drop_own_signatures(reg: &Registry, r: &Reference, key: &PublicKey, digest: &str) -> Result<()> {
    let tag = signature_tag(digest, "sig");
    let layers = match reg.find_manifest(&r.repository, &tag)? {
        Some(m) => legacy::parse(&m.bytes)?,
        None => Vec::new(),
    };
    let mine = |l: &SigLayer| -> bool {
        let Some(sig) = l
            .signature()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        else {
            return false;
        };
        reg.blob(&r.repository, &l.digest)
            .is_ok_and(|p| key.verify(&message_for(key, &p), &sig).is_ok())
    };
    let kept: Vec<SigLayer> = layers.iter().filter(|l| !mine(l)).cloned().collect();
    if kept.len() != layers.len() {
        eprintln!(
            "Replacing {} earlier signature(s) by this key",
            layers.len() - kept.len()
        );
        if !kept.is_empty() {
            let config = legacy::config(&kept);
            reg.put_blob(&r.repository, &config)?;
            reg.put_manifest(
                &r.repository,
                &tag,
                OCI_MANIFEST,
                &legacy::manifest(&kept, &config),
            )?;
        } else if let Ok(m) = reg.manifest(&r.repository, &tag) {
            reg.delete_manifest(&r.repository, &m.digest)?;
        }
    }
    let mut deleted = Vec::new();
    for b in bundle_referrers(reg, &r.repository, digest)? {
        let Ok(m) = reg.manifest(&r.repository, &b) else {
            continue;
        };
        let Ok((layer, _)) = referrer::bundle_layer(&m.bytes) else {
            continue;
        };
        let Ok(bundle) = reg
            .blob(&r.repository, &layer)
            .and_then(|x| Ok(Bundle::from_json(&x)?))
        else {
            continue;
        };
        let Some(env) = bundle.dsse_envelope else {
            continue;
        };
        if !open_envelope(key, digest, &env)
            .is_ok_and(|st| st.predicate_type == referrer::SIGN_PREDICATE)
        {
            continue;
        }
        if reg.delete_manifest(&r.repository, &b)? {
            deleted.push(b);
        } else {
            eprintln!(
                "The registry does not allow deleting referrer {b}; it stays (and still verifies)"
            );
        }
    }
    // Without a referrers API the fallback index lists them: drop them there too.
    if !deleted.is_empty()
        && reg
            .referrers(&r.repository, digest, referrer::BUNDLE_V03)?
            .is_none()
    {
        let tag = referrer::fallback_tag(digest);
        if let Ok(m) = reg.manifest(&r.repository, &tag) {
            let index = referrer::remove_from_index(&m.bytes, &deleted).map_err(|e| anyhow!(e))?;
            reg.put_manifest(&r.repository, &tag, referrer::OCI_INDEX, &index)?;
        }
    }
    Ok(())
}

/// Appends a layer (`bytes` with `annotations`) to the legacy
/// `sha256-<hex>.<suffix>` manifest of `digest`; with `replace_same_type`,
/// first drops layers with the same `predicateType` annotation.
#[allow(clippy::too_many_arguments)]
fn push_legacy_layer(
    reg: &Registry,
    r: &Reference,
    digest: &str,
    suffix: &str,
    media_type: &str,
    bytes: &[u8],
    annotations: BTreeMap<String, String>,
    replace_same_type: bool,
) -> Result<()> {
    let tag = signature_tag(digest, suffix);
    let mut layers = match reg.find_manifest(&r.repository, &tag)? {
        Some(m) => legacy::parse(&m.bytes)?,
        None => Vec::new(),
    };
    if replace_same_type {
        let kind = annotations.get(legacy::PREDICATE_TYPE_ANNOTATION);
        layers.retain(|l| l.annotations.get(legacy::PREDICATE_TYPE_ANNOTATION) != kind);
    }
    let layer = SigLayer {
        media_type: media_type.to_owned(),
        digest: signet_oci::sha256_digest(bytes),
        size: bytes.len() as u64,
        annotations,
    };
    if layers.iter().any(|l| l == &layer) {
        eprintln!("This signature is already attached to {digest}; nothing to do.");
        return Ok(());
    }
    layers.push(layer);
    reg.put_blob(&r.repository, bytes)?;
    let config = legacy::config(&layers);
    reg.put_blob(&r.repository, &config)?;
    let manifest = legacy::manifest(&layers, &config);
    eprintln!("Pushing to: {}:{tag}", r.name());
    reg.put_manifest(&r.repository, &tag, OCI_MANIFEST, &manifest)
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0)
}

/// Stores `env` in a Sigstore bundle v0.3 as a referrer of `digest` (and
/// in the fallback index where the registry has no referrers API).
fn push_bundle(
    reg: &Registry,
    r: &Reference,
    digest: &str,
    bundle: &Bundle,
    predicate_type: &str,
) -> Result<()> {
    let image = reg
        .head_manifest(&r.repository, digest)?
        .ok_or_else(|| anyhow!("manifest {digest} is not in {}", r.repository))?;
    let bundle_bytes = serde_json::to_vec(bundle)?;
    let bundle_digest = reg.put_blob(&r.repository, &bundle_bytes)?;
    reg.put_blob(&r.repository, referrer::EMPTY_CONFIG)?;
    let media_type = if image.media_type.is_empty() {
        OCI_MANIFEST.to_owned()
    } else {
        image.media_type.clone()
    };
    let subject = referrer::descriptor(&media_type, digest, image.size);
    let manifest = referrer::manifest(
        &bundle_digest,
        bundle_bytes.len(),
        &subject,
        predicate_type,
        &signet_types::trust_root::unix_to_rfc3339(now_unix()),
    );
    let manifest_digest = signet_oci::sha256_digest(&manifest);
    eprintln!("Pushing bundle referrer to: {}@{manifest_digest}", r.name());
    reg.put_manifest(&r.repository, &manifest_digest, OCI_MANIFEST, &manifest)?;
    index_referrer(reg, &r.repository, digest, &manifest_digest, &manifest)
}

/// On a registry without the referrers API, lists bundle referrer
/// `referrer` (a manifest of `size` bytes) of `subject` in the
/// `sha256-<hex>` fallback index; where the API exists, does nothing.
pub(crate) fn index_referrer(
    reg: &Registry,
    repo: &str,
    subject: &str,
    referrer: &str,
    manifest: &[u8],
) -> Result<()> {
    if reg
        .referrers(repo, subject, referrer::BUNDLE_V03)?
        .is_some()
    {
        return Ok(());
    }
    let tag = referrer::fallback_tag(subject);
    let old = reg.find_manifest(repo, &tag)?.map(|m| m.bytes);
    // The descriptor carries the referrer's artifactType and annotations,
    // as a referrers API answer would (clients filter on the predicate type).
    let mut desc = referrer::descriptor(OCI_MANIFEST, referrer, manifest.len());
    desc["artifactType"] = serde_json::json!(referrer::BUNDLE_V03);
    if let Some(a) = serde_json::from_slice::<serde_json::Value>(manifest)
        .ok()
        .and_then(|m| m.get("annotations").cloned())
    {
        desc["annotations"] = a;
    }
    let index = referrer::add_to_index(old.as_deref(), desc).map_err(|e| anyhow!(e))?;
    reg.put_manifest(repo, &tag, referrer::OCI_INDEX, &index)
}

pub(crate) fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let checker = Checker::new(
        args.key.as_deref(),
        &args.identity,
        &args.trust,
        args.insecure_ignore_tlog,
    )?;
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
        match check_bundle(&reg, &r, &checker, &digest, &annotations, m, &args.image) {
            Ok(v) => verified.push(v),
            Err(e) => reasons.push(format!("bundle {i}: {e:#}")),
        }
    }
    let tag = signature_tag(&digest, "sig");
    if let Some(m) = reg.find_manifest(&r.repository, &tag)? {
        match legacy::parse(&m.bytes) {
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
                    match check_layer(&reg, &r, &checker, &digest, &annotations, l) {
                        Ok(v) => verified.push(v),
                        Err(e) => reasons.push(format!("signature {i}: {e:#}")),
                    }
                }
            }
            Err(e) => {
                found += 1;
                reasons.push(e.to_string());
            }
        }
    }
    if found == 0 {
        eprintln!("Error: no signatures found for {} ({digest})", args.image);
        return Ok(ExitCode::from(10));
    }
    if verified.is_empty() {
        eprintln!(
            "Error: no matching signatures for {} on {} ({digest}):\n {}",
            checker.expected(),
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
    eprintln!("{}", checker.check_line());
    println!("\n{}", serde_json::to_string(&verified)?);
    Ok(ExitCode::SUCCESS)
}

/// One signature layer: its payload blob, the signature over it with
/// `key`, and the claims (digest, annotations).
fn check_layer(
    reg: &Registry,
    r: &Reference,
    checker: &Checker,
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
    checker
        .legacy(
            &l.annotations,
            LegacyContent::Message {
                payload: &payload,
                signature: &sig,
            },
            digest,
        )
        .map_err(|e| anyhow!("{e:#} (another key or identity, or a changed payload)"))?;
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
pub(crate) fn bundle_referrers(reg: &Registry, repo: &str, digest: &str) -> Result<Vec<String>> {
    let index = match reg.referrers(repo, digest, referrer::BUNDLE_V03)? {
        Some(i) => i,
        None => match reg.find_manifest(repo, &referrer::fallback_tag(digest))? {
            Some(m) => m.bytes,
            None => return Ok(Vec::new()),
        },
    };
    referrer::bundle_referrers(&index).map_err(|e| anyhow!(e))
}

/// Opens one bundle referrer: fetches its bundle, checks the DSSE
/// signature with `key` and that the statement names `digest`.
fn open_bundle(
    reg: &Registry,
    r: &Reference,
    checker: &Checker,
    digest: &str,
    manifest_digest: &str,
) -> Result<(Envelope, referrer::Statement)> {
    let m = reg.manifest(&r.repository, manifest_digest)?;
    let (layer, _) = referrer::bundle_layer(&m.bytes).map_err(|e| anyhow!(e))?;
    let bytes = reg.blob(&r.repository, &layer)?;
    let bundle = Bundle::from_json(&bytes)?;
    let Some(env) = bundle.dsse_envelope.clone() else {
        bail!("the bundle holds a message signature, not a DSSE envelope");
    };
    checker.bundle(&bundle, digest)?;
    let statement = statement_about(digest, &env)?;
    Ok((env, statement))
}

/// The in-toto statement of a verified envelope; it must name `digest`.
fn statement_about(digest: &str, env: &Envelope) -> Result<referrer::Statement> {
    if env.payload_type != referrer::IN_TOTO {
        bail!(
            "the envelope's payload type is {:?}, not in-toto",
            env.payload_type
        );
    }
    let statement = referrer::parse_statement(&env.payload).map_err(|e| anyhow!(e))?;
    let hex = digest.trim_start_matches("sha256:");
    if !statement.subjects.iter().any(|s| s == hex) {
        bail!("no matching subject digest found: the statement does not name {digest}");
    }
    Ok(statement)
}

/// Checks a DSSE envelope's signature with `key` and that its in-toto
/// statement names `digest`.
fn open_envelope(key: &PublicKey, digest: &str, env: &Envelope) -> Result<referrer::Statement> {
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
    Ok(statement)
}

/// A signature bundle (predicate `https://sigstore.dev/cosign/sign/v1`) as
/// cosign v3 reports it: simple-signing shape, the predicate type as type.
fn check_bundle(
    reg: &Registry,
    r: &Reference,
    checker: &Checker,
    digest: &str,
    annotations: &BTreeMap<String, String>,
    manifest_digest: &str,
    image: &str,
) -> Result<serde_json::Value> {
    let (_, statement) = open_bundle(reg, r, checker, digest, manifest_digest)?;
    if statement.predicate_type != referrer::SIGN_PREDICATE {
        return Err(anyhow!(
            "an attestation ({}), not a signature",
            statement.predicate_type
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

/// Arguments of `signet attest`.
#[derive(clap::Args)]
pub(crate) struct AttestArgs {
    /// Signing key: a path, env://VAR or a pkcs11: URI.
    #[arg(long)]
    key: String,
    /// The predicate file (JSON, or any text for --type custom).
    #[arg(long, value_name = "FILE")]
    predicate: std::path::PathBuf,
    /// custom, slsaprovenance, slsaprovenance02, slsaprovenance1, spdx,
    /// spdxjson, cyclonedx, vuln, openvex, link, or a predicate type URI.
    #[arg(long = "type", default_value = "custom")]
    kind: String,
    /// Replace earlier attestations of the same type (legacy layout)
    /// instead of adding to them.
    #[arg(long)]
    replace: bool,
    /// Which layout(s) to write.
    #[arg(long, value_enum, default_value = "both")]
    layout: Layout,
    #[command(flatten)]
    certificate: CertificateArgs,
    /// Transparency log to record the attestation in.
    #[arg(long, env = "SIGNET_TLOG_URL", value_name = "URL")]
    tlog_url: Option<String>,
    /// Set to false to not log the attestation even when a log is configured.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    tlog_upload: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image.
    image: String,
}

/// Arguments of `signet verify-attestation`.
#[derive(clap::Args)]
pub(crate) struct VerifyAttestationArgs {
    /// Public key the attestation must verify with (for certificate
    /// signatures give the identity flags instead).
    #[arg(long)]
    key: Option<String>,
    /// Do not check transparency-log entries attached to the attestations.
    #[arg(long)]
    insecure_ignore_tlog: bool,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    identity: IdentityArgs,
    /// Only attestations of this type (shortcut or URI); any when absent.
    #[arg(long = "type")]
    kind: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image.
    image: String,
}

pub(crate) fn attest(args: AttestArgs) -> Result<ExitCode> {
    let predicate_type = signet_oci::predicate::type_uri(&args.kind)
        .ok_or_else(|| anyhow!("unknown --type {:?}", args.kind))?
        .to_owned();
    let file = std::fs::read(&args.predicate)
        .map_err(|e| anyhow!("cannot read {}: {e}", args.predicate.display()))?;
    let predicate = signet_oci::predicate::build(
        &args.kind,
        &file,
        &signet_types::trust_root::unix_to_rfc3339(now_unix()),
    )
    .map_err(|e| anyhow!("{}: {e}", args.predicate.display()))?;
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let signer = load_signer(&args.key)?;
    let cert = args.certificate.load(signer.public_key())?;
    let tlog = args.tlog_url.as_deref().filter(|_| args.tlog_upload);
    let digest =
        resolve(&reg, &r)?.ok_or_else(|| anyhow!("image tag not found: {}", args.image))?;
    let statement = referrer::statement(
        &r.name(),
        &digest,
        &predicate_type,
        &predicate,
        &BTreeMap::new(),
    );
    let env = envelope(&signer, statement)?;
    // One log entry serves both layouts: the same envelope is stored twice.
    let bundle = make_bundle(&signer, &cert, env.clone(), tlog)?;
    if args.layout != Layout::Bundle {
        let mut a = BTreeMap::new();
        a.insert(legacy::SIGNATURE_ANNOTATION.to_owned(), String::new());
        a.insert(
            legacy::PREDICATE_TYPE_ANNOTATION.to_owned(),
            predicate_type.clone(),
        );
        if let Some(der) = &cert.der {
            a.insert(CERT_ANNOTATION.to_owned(), cert_pem(der));
            if let Some(chain) = &cert.chain_pem {
                a.insert(CHAIN_ANNOTATION.to_owned(), chain.clone());
            }
        }
        if let Some(entry) = bundle.verification_material.tlog_entries.first() {
            a.insert(
                REKOR_BUNDLE_ANNOTATION.to_owned(),
                crate::tlog::legacy_bundle(entry)?,
            );
        }
        let layer = serde_json::to_vec(&env)?;
        push_legacy_layer(
            &reg,
            &r,
            &digest,
            "att",
            legacy::DSSE_ENVELOPE,
            &layer,
            a,
            args.replace,
        )?;
    }
    if args.layout != Layout::Legacy {
        push_bundle(&reg, &r, &digest, &bundle, &predicate_type)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn verify_attestation(args: VerifyAttestationArgs) -> Result<ExitCode> {
    let want = match &args.kind {
        Some(k) => Some(
            signet_oci::predicate::type_uri(k)
                .ok_or_else(|| anyhow!("unknown --type {k:?}"))?
                .to_owned(),
        ),
        None => None,
    };
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let checker = Checker::new(
        args.key.as_deref(),
        &args.identity,
        &args.trust,
        args.insecure_ignore_tlog,
    )?;
    let Some(digest) = resolve(&reg, &r)? else {
        eprintln!("Error: image tag not found: {}", args.image);
        return Ok(ExitCode::from(11));
    };
    // Every attestation found, opened (signature and subject checked) or not.
    let mut opened: Vec<(String, Result<(Envelope, referrer::Statement)>)> = Vec::new();
    for (i, m) in bundle_referrers(&reg, &r.repository, &digest)?
        .iter()
        .enumerate()
    {
        opened.push((
            format!("bundle {i}"),
            open_bundle(&reg, &r, &checker, &digest, m),
        ));
    }
    if let Some(m) = reg.find_manifest(&r.repository, &signature_tag(&digest, "att"))? {
        for (i, l) in legacy::parse(&m.bytes)?.iter().enumerate() {
            let o = reg
                .blob(&r.repository, &l.digest)
                .and_then(|b| Ok(serde_json::from_slice::<Envelope>(&b)?))
                .and_then(|env| {
                    checker.legacy(&l.annotations, LegacyContent::Dsse(&env), &digest)?;
                    statement_about(&digest, &env).map(|st| (env, st))
                });
            opened.push((format!("attestation {i}"), o));
        }
    }
    let mut found = 0usize;
    let mut verified: Vec<String> = Vec::new();
    let mut reasons = Vec::new();
    for (what, o) in opened {
        match o {
            // Image signatures are bundles too; they are not attestations.
            Ok((_, st)) if st.predicate_type == referrer::SIGN_PREDICATE => {}
            Ok((_, st)) if want.as_ref().is_some_and(|w| w != &st.predicate_type) => {
                found += 1;
                reasons.push(format!("{what}: of type {}", st.predicate_type));
            }
            Ok((env, _)) => {
                found += 1;
                let line = serde_json::to_string(&env)?;
                if !verified.contains(&line) {
                    verified.push(line);
                }
            }
            Err(e) => {
                found += 1;
                reasons.push(format!("{what}: {e:#}"));
            }
        }
    }
    if found == 0 {
        eprintln!("Error: no attestations found for {} ({digest})", args.image);
        return Ok(ExitCode::from(10));
    }
    if verified.is_empty() {
        eprintln!("Error: no matching attestations:\n {}", reasons.join("\n "));
        return Ok(ExitCode::from(12));
    }
    eprintln!("\nVerification for {} --", args.image);
    eprintln!("The following checks were performed on each of these signatures:");
    eprintln!("  - The cosign claims were validated");
    eprintln!("{}", checker.check_line());
    for line in verified {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// What `triangulate` and `download` address.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Kind {
    /// `sha256-<hex>.sig`.
    Signature,
    /// `sha256-<hex>.att`.
    Attestation,
    /// `sha256-<hex>.sbom`.
    Sbom,
}

impl Kind {
    fn suffix(self) -> &'static str {
        match self {
            Kind::Signature => "sig",
            Kind::Attestation => "att",
            Kind::Sbom => "sbom",
        }
    }
}

/// Arguments of `signet triangulate`.
#[derive(clap::Args)]
pub(crate) struct TriangulateArgs {
    /// Which legacy tag to name.
    #[arg(long = "type", value_enum, default_value = "signature")]
    kind: Kind,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image.
    image: String,
}

/// `signet triangulate`: the reference of an image's legacy signature
/// (attestation, SBOM) tag.
pub(crate) fn triangulate(args: TriangulateArgs) -> Result<ExitCode> {
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let digest =
        resolve(&reg, &r)?.ok_or_else(|| anyhow!("image tag not found: {}", args.image))?;
    println!(
        "{}:{}",
        r.name(),
        signature_tag(&digest, args.kind.suffix())
    );
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `signet tree`.
#[derive(clap::Args)]
pub(crate) struct TreeArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image.
    image: String,
}

/// `signet tree`: the supply-chain artifacts attached to an image.
pub(crate) fn tree(args: TreeArgs) -> Result<ExitCode> {
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let Some(digest) = resolve(&reg, &r)? else {
        eprintln!("Error: image tag not found: {}", args.image);
        return Ok(ExitCode::from(11));
    };
    println!(
        "📦 Supply Chain Security Related artifacts for an image: {}@{digest}",
        r.name()
    );
    for (kind, title) in [
        (Kind::Signature, "🔐 Signatures"),
        (Kind::Attestation, "💾 Attestations"),
        (Kind::Sbom, "📦 SBOMs"),
    ] {
        let tag = signature_tag(&digest, kind.suffix());
        if let Some(m) = reg.find_manifest(&r.repository, &tag)? {
            println!("└── {title} for an image tag: {}:{tag}", r.name());
            for l in legacy::parse(&m.bytes)? {
                println!("   └── 🍒 {}", l.digest);
            }
        }
    }
    let bundles = bundle_referrers(&reg, &r.repository, &digest)?;
    if !bundles.is_empty() {
        println!("└── 🔗 Sigstore bundle referrers:");
        for b in bundles {
            println!("   └── 🍒 {b}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `signet download signature`.
#[derive(clap::Args)]
pub(crate) struct DownloadArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image.
    image: String,
}

/// `signet download signature|attestation`: each legacy signature layer as
/// one JSON line (`Base64Signature`, base64 `Payload`, as cosign prints).
pub(crate) fn download(args: DownloadArgs, kind: Kind) -> Result<ExitCode> {
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let Some(digest) = resolve(&reg, &r)? else {
        eprintln!("Error: image tag not found: {}", args.image);
        return Ok(ExitCode::from(11));
    };
    let Some(m) = reg.find_manifest(&r.repository, &signature_tag(&digest, kind.suffix()))? else {
        eprintln!("Error: no {} found for {}", kind.suffix(), args.image);
        return Ok(ExitCode::from(10));
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    for l in legacy::parse(&m.bytes)? {
        let payload = reg.blob(&r.repository, &l.digest)?;
        println!(
            "{}",
            serde_json::json!({
                "Base64Signature": l.signature().unwrap_or(""),
                "Payload": b64.encode(&payload),
                "MediaType": l.media_type,
                "Annotations": l.annotations,
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `signet attach signature`.
#[derive(clap::Args)]
pub(crate) struct AttachArgs {
    /// The signed Simple Signing payload (e.g. from `sign --upload=false`).
    #[arg(long, value_name = "FILE")]
    payload: std::path::PathBuf,
    /// Its signature: a file, base64 or raw DER.
    #[arg(long, value_name = "FILE")]
    signature: std::path::PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image.
    image: String,
}

/// `signet attach signature`: adds a signature made elsewhere to the
/// image's legacy `.sig` manifest, after checking the payload names this
/// image's digest.
pub(crate) fn attach_signature(args: AttachArgs) -> Result<ExitCode> {
    let payload = std::fs::read(&args.payload)
        .map_err(|e| anyhow!("cannot read {}: {e}", args.payload.display()))?;
    let sig = std::fs::read(&args.signature)
        .map_err(|e| anyhow!("cannot read {}: {e}", args.signature.display()))?;
    let der = signet_crypto::signature::decode_signature_file(&sig)
        .map_err(|e| anyhow!("{}: {e}", args.signature.display()))?;
    let claims =
        simple_signing::parse(&payload).map_err(|e| anyhow!("{}: {e}", args.payload.display()))?;
    let r = Reference::parse(&args.image)?;
    let reg = Registry::new(&r, &args.registry)?;
    let digest =
        resolve(&reg, &r)?.ok_or_else(|| anyhow!("image tag not found: {}", args.image))?;
    if claims.digest != digest {
        return Err(anyhow!(
            "the payload names {}, but {} is {digest}; refusing to attach it",
            claims.digest,
            args.image
        ));
    }
    let mut a = BTreeMap::new();
    a.insert(
        legacy::SIGNATURE_ANNOTATION.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(der),
    );
    push_legacy_layer(
        &reg,
        &r,
        &digest,
        "sig",
        legacy::SIMPLE_SIGNING,
        &payload,
        a,
        false,
    )?;
    Ok(ExitCode::SUCCESS)
}
