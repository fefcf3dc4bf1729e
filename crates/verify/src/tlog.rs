//! Offline verification of a transparency-log entry: the body describes
//! this signature, key and artifact; the log's SET verifies; the inclusion
//! proof leads to the root of a checkpoint the log signed.

use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_crypto::{Message, PublicKey};
use signet_tlog::checkpoint::Checkpoint;
use signet_tlog::hash::{Hash, leaf_hash};
use signet_tlog::note::Note;
use signet_types::bundle::TransparencyLogEntry;
use signet_types::rekor::{HashedRekordV001, set_payload};
use signet_types::trust_root::TrustedRoot;
use thiserror::Error;

use crate::x509::Cert;

/// What the entry must describe.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The signature in the bundle.
    pub signature: &'a [u8],
    /// The key the caller trusts.
    pub key: &'a PublicKey,
    /// The artifact digest the caller computed.
    pub digest: &'a Digest,
}

/// A verified entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEntry {
    /// Global log index.
    pub log_index: i64,
    /// Integrated time vouched for by a verified SET.
    pub integrated_time: Option<i64>,
    /// Whether an inclusion proof and signed checkpoint were verified.
    pub proven: bool,
    /// The log's base URL from the trusted root.
    pub log_url: String,
}

/// Why an entry was rejected. Each says which check failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No log in the trusted root has this ID.
    #[error("the entry's log (id {0}) is not in the trusted root")]
    UnknownLog(String),
    /// The log key in the trusted root is unusable.
    #[error("the trusted root's log key is unusable: {0}")]
    BadLogKey(String),
    /// The entry kind is not one signet checks.
    #[error("unsupported log entry kind {0}")]
    UnsupportedKind(String),
    /// The body is malformed.
    #[error("malformed log entry body: {0}")]
    MalformedBody(String),
    /// The body describes another signature, key or artifact.
    #[error("the log entry does not match the bundle: {0}")]
    BodyMismatch(&'static str),
    /// The signed entry timestamp does not verify.
    #[error("the signed entry timestamp (SET) does not verify with the log key")]
    BadSet,
    /// The SET's time lies outside the log key's validity.
    #[error("the entry's integrated time is outside the log key's validity window")]
    OutsideValidity,
    /// Neither SET nor inclusion proof is present.
    #[error("the entry has neither an inclusion proof nor a signed entry timestamp")]
    NoEvidence,
    /// An inclusion proof is required but absent.
    #[error("the entry has no inclusion proof")]
    MissingProof,
    /// The inclusion proof does not verify.
    #[error("the inclusion proof does not verify: {0}")]
    InclusionProof(String),
    /// The checkpoint is missing, malformed, unsigned or disagrees with the proof.
    #[error("checkpoint check failed: {0}")]
    Checkpoint(String),
}

fn hex(b: &[u8]) -> String {
    signet_types::hex::encode(b)
}

/// Who signed: a key the caller trusts, or a certificate.
#[derive(Debug, Clone, Copy)]
pub enum Signer<'a> {
    /// A public key.
    Key(&'a PublicKey),
    /// A leaf certificate.
    Certificate(&'a Cert),
}

/// What was signed.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// An artifact, known by its digest (message signatures).
    Message(&'a Digest),
    /// A DSSE envelope's payload.
    Dsse {
        /// `payloadType`.
        payload_type: &'a str,
        /// The payload bytes.
        payload: &'a [u8],
    },
}

/// The signing event a log entry must describe.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The signature (DER for ECDSA).
    pub signature: &'a [u8],
    /// The signer.
    pub signer: Signer<'a>,
    /// The content.
    pub content: Content<'a>,
}

fn pem_matches(pem: &[u8], signer: Signer<'_>) -> bool {
    match signer {
        Signer::Key(key) => {
            PublicKey::from_pem(pem).is_ok_and(|k| &k == key)
                || Cert::from_pem(pem)
                    .ok()
                    .is_some_and(|c| c.public_key().is_ok_and(|k| k == key))
        }
        Signer::Certificate(cert) => Cert::from_pem(pem).is_ok_and(|c| &c == cert),
    }
}

fn b64_field(v: &serde_json::Value) -> Option<Vec<u8>> {
    signet_types::b64::decode(v.as_str()?).ok()
}

fn payload_hash_matches(v: &serde_json::Value, payload: &[u8]) -> bool {
    v["algorithm"].as_str() == Some("sha256")
        && v["value"].as_str()
            == Some(
                Digest::of(DigestAlgorithm::Sha256, payload)
                    .to_hex()
                    .as_str(),
            )
}

fn check_body(entry: &TransparencyLogEntry, subject: &Subject<'_>) -> Result<(), Rejection> {
    let body: serde_json::Value = serde_json::from_slice(&entry.canonicalized_body)
        .map_err(|e| Rejection::MalformedBody(e.to_string()))?;
    let kind = body["kind"].as_str().unwrap_or_default();
    let version = body["apiVersion"].as_str().unwrap_or_default();
    if kind != entry.kind_version.kind || version != entry.kind_version.version {
        return Err(Rejection::BodyMismatch(
            "body kind/version differs from kindVersion",
        ));
    }
    let spec = &body["spec"];
    let sig_mismatch =
        Rejection::BodyMismatch("the logged signature is not the bundle's signature");
    let signer_mismatch = Rejection::BodyMismatch(match subject.signer {
        Signer::Key(_) => "the logged key is not the verification key",
        Signer::Certificate(_) => "the logged certificate is not the bundle's certificate",
    });
    let digest_mismatch = Rejection::BodyMismatch("the logged digest is not the artifact's digest");
    let payload_mismatch =
        Rejection::BodyMismatch("the logged payload hash is not the envelope payload's");
    match ((kind, version), subject.content) {
        (("hashedrekord", "0.0.1"), Content::Message(digest)) => {
            let spec = HashedRekordV001::from_spec(spec)
                .map_err(|e| Rejection::MalformedBody(e.to_string()))?;
            if spec.signature.content != subject.signature {
                return Err(sig_mismatch);
            }
            if !pem_matches(&spec.signature.public_key.content, subject.signer) {
                return Err(signer_mismatch);
            }
            if spec.data.hash.algorithm != digest.algorithm().name()
                || spec.data.hash.value != digest.to_hex()
            {
                return Err(digest_mismatch);
            }
        }
        (("hashedrekord", "0.0.2"), content) => {
            let v = &spec["hashedRekordV002"];
            let want = match content {
                Content::Message(d) => *d,
                Content::Dsse {
                    payload_type,
                    payload,
                } => Digest::of(
                    DigestAlgorithm::Sha256,
                    &signet_types::dsse::pae(payload_type, payload),
                ),
            };
            if v["data"]["algorithm"].as_str() != Some(want.algorithm().bundle_name())
                || b64_field(&v["data"]["digest"]).as_deref() != Some(want.as_bytes())
            {
                return Err(digest_mismatch);
            }
            if b64_field(&v["signature"]["content"]).as_deref() != Some(subject.signature) {
                return Err(sig_mismatch);
            }
            let verifier = &v["signature"]["verifier"];
            let ok = match subject.signer {
                Signer::Key(key) => {
                    b64_field(&verifier["publicKey"]["rawBytes"]).as_deref() == Some(key.spki_der())
                }
                Signer::Certificate(cert) => {
                    b64_field(&verifier["x509Certificate"]["rawBytes"]).as_deref()
                        == Some(cert.der())
                }
            };
            if !ok {
                return Err(signer_mismatch);
            }
        }
        (("dsse", "0.0.1"), Content::Dsse { payload, .. }) => {
            if !payload_hash_matches(&spec["payloadHash"], payload) {
                return Err(payload_mismatch);
            }
            let sigs = spec["signatures"]
                .as_array()
                .ok_or_else(|| Rejection::MalformedBody("dsse entry without signatures".into()))?;
            let found = sigs.iter().any(|s| {
                b64_field(&s["signature"]).as_deref() == Some(subject.signature)
                    && b64_field(&s["verifier"])
                        .is_some_and(|pem| pem_matches(&pem, subject.signer))
            });
            if !found {
                return Err(sig_mismatch);
            }
        }
        (("intoto", "0.0.2"), Content::Dsse { payload, .. }) => {
            let c = &spec["content"];
            if !payload_hash_matches(&c["payloadHash"], payload) {
                return Err(payload_mismatch);
            }
            let sigs = c["envelope"]["signatures"].as_array().ok_or_else(|| {
                Rejection::MalformedBody("intoto entry without signatures".into())
            })?;
            // intoto 0.0.2 stores the signature base64-encoded twice.
            let found = sigs.iter().any(|s| {
                b64_field(&s["sig"])
                    .and_then(|inner| signet_types::b64::decode(inner).ok())
                    .as_deref()
                    == Some(subject.signature)
                    && b64_field(&s["publicKey"])
                        .is_some_and(|pem| pem_matches(&pem, subject.signer))
            });
            if !found {
                return Err(sig_mismatch);
            }
        }
        ((k @ ("hashedrekord" | "dsse" | "intoto"), v), _) if matches!(v, "0.0.1" | "0.0.2") => {
            return Err(Rejection::UnsupportedKind(format!(
                "{k} {v} does not describe this kind of signature"
            )));
        }
        _ => return Err(Rejection::UnsupportedKind(format!("{kind} {version}"))),
    }
    Ok(())
}

/// Verifies one entry offline. With `require_proof`, an inclusion proof
/// with a signed checkpoint is mandatory (a SET alone is a promise).
pub fn tlog_entry(
    entry: &TransparencyLogEntry,
    root: &TrustedRoot,
    expected: &Expected<'_>,
    require_proof: bool,
) -> Result<VerifiedEntry, Rejection> {
    let subject = Subject {
        signature: expected.signature,
        signer: Signer::Key(expected.key),
        content: Content::Message(expected.digest),
    };
    entry_for(entry, root, &subject, require_proof)
}

/// Verifies one entry offline for any signing event: the body (hashedrekord
/// 0.0.1/0.0.2, dsse 0.0.1, intoto 0.0.2) must describe `subject`; a SET,
/// if present, must verify; an inclusion proof must reach a checkpoint the
/// log signed (mandatory with `require_proof`).
pub fn entry_for(
    entry: &TransparencyLogEntry,
    root: &TrustedRoot,
    subject: &Subject<'_>,
    require_proof: bool,
) -> Result<VerifiedEntry, Rejection> {
    let log = root
        .tlog(&entry.log_id.key_id)
        .ok_or_else(|| Rejection::UnknownLog(hex(&entry.log_id.key_id)))?;
    let key = PublicKey::from_spki_der(&log.public_key.raw_bytes)
        .map_err(|e| Rejection::BadLogKey(e.to_string()))?;
    // A window without a start is a malformed trusted root, never "forever".
    let window = log
        .public_key
        .valid_for
        .as_ref()
        .filter(|w| w.start.is_some())
        .ok_or_else(|| Rejection::BadLogKey("its validity window has no start".into()))?;
    if entry.log_index < 0 {
        return Err(Rejection::MalformedBody("negative log index".into()));
    }
    check_body(entry, subject)?;

    let mut integrated_time = None;
    if let Some(promise) = &entry.inclusion_promise {
        let t = entry.integrated_time.ok_or(Rejection::BadSet)?;
        let payload = set_payload(
            &entry.canonicalized_body,
            t,
            &hex(&entry.log_id.key_id),
            entry.log_index,
        )
        .map_err(|e| Rejection::MalformedBody(e.to_string()))?;
        key.verify(&Message::Raw(&payload), &promise.signed_entry_timestamp)
            .map_err(|_| Rejection::BadSet)?;
        if !window.contains(t).map_err(|_| Rejection::OutsideValidity)? {
            return Err(Rejection::OutsideValidity);
        }
        integrated_time = Some(t);
    }

    let proven = match &entry.inclusion_proof {
        Some(p) => {
            let bad = |m: &str| Rejection::InclusionProof(m.to_owned());
            let index = u64::try_from(p.log_index).map_err(|_| bad("negative index"))?;
            let size = u64::try_from(p.tree_size).map_err(|_| bad("negative tree size"))?;
            let root_hash =
                Hash::from_slice(&p.root_hash).ok_or_else(|| bad("root hash is not 32 bytes"))?;
            let path: Vec<Hash> = p
                .hashes
                .iter()
                .map(|h| Hash::from_slice(&h.0))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("a proof hash is not 32 bytes"))?;
            signet_tlog::verify::inclusion(
                index,
                size,
                &leaf_hash(&entry.canonicalized_body),
                &path,
                &root_hash,
            )
            .map_err(|e| Rejection::InclusionProof(e.to_string()))?;
            let envelope = p
                .checkpoint
                .as_ref()
                .ok_or_else(|| Rejection::Checkpoint("no checkpoint with the proof".into()))?;
            let note = Note::parse(&envelope.envelope)
                .map_err(|e| Rejection::Checkpoint(e.to_string()))?;
            note.verify_with_key(&key)
                .map_err(|e| Rejection::Checkpoint(e.to_string()))?;
            let cp =
                Checkpoint::parse(&note.text).map_err(|e| Rejection::Checkpoint(e.to_string()))?;
            if cp.size != size || cp.root != root_hash {
                return Err(Rejection::Checkpoint(
                    "the signed checkpoint's size or root differs from the proof's".into(),
                ));
            }
            true
        }
        None if require_proof => return Err(Rejection::MissingProof),
        None => false,
    };
    if integrated_time.is_none() && !proven {
        return Err(Rejection::NoEvidence);
    }
    Ok(VerifiedEntry {
        log_index: entry.log_index,
        integrated_time,
        proven,
        log_url: log.base_url.clone(),
    })
}
