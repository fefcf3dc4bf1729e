//! Whole-bundle verification (Sigstore client spec §4; sigstore-go's
//! `Verifier.Verify` order): material, signature, transparency-log entries,
//! signed timestamps, then the certificate at every verified time (chain to
//! a trusted CA, SCT, code-signing usage, identity). Offline and clock-free:
//! the only times used are those the log and timestamp authorities signed.

use signet_crypto::digest::{Digest, DigestAlgorithm, Hasher};
use signet_crypto::{Message, PublicKey};
use signet_types::bundle::{Bundle, BundleVersion};
use signet_types::trust_root::{TrustedRoot, unix_to_rfc3339};
use thiserror::Error;

use crate::identity::{CertIdentity, IdentityPolicy};
use crate::tlog::{Content, Signer, Subject, VerifiedEntry, entry_for};
use crate::tsa::{self, VerifiedTimestamp};
use crate::x509::{Cert, EKU_CODE_SIGNING, path_valid_at, verify_path_signatures};
use crate::{Rejection, sct};

/// At most this many signed timestamps are looked at.
const MAX_TIMESTAMPS: usize = 32;

/// The artifact a bundle is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// Only its digest (`sha256:<hex>` on the command line).
    Digest(&'a Digest),
}

/// What the caller trusts to have signed.
#[derive(Debug, Clone, Copy)]
pub enum Policy<'a> {
    /// A public key (`--key`).
    Key(&'a PublicKey),
    /// A certificate identity (`--certificate-identity` + issuer).
    Identity(&'a IdentityPolicy),
}

/// Checks that may be waived by explicit caller choice.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Check the bundle's log entries (cosign: unless `--insecure-ignore-tlog`).
    pub check_tlog: bool,
    /// At least one verified log entry.
    pub require_tlog: bool,
    /// At least one verified SCT for certificates (unless `--insecure-ignore-sct`).
    pub require_sct: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            check_tlog: true,
            require_tlog: true,
            require_sct: true,
        }
    }
}

/// Who signed, as verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifiedSigner {
    /// The caller's key.
    Key {
        /// Hex SHA-256 of the key's SPKI.
        fingerprint: String,
    },
    /// A certificate that chained to a trusted CA.
    Certificate {
        /// The identity and issuer it proves.
        identity: CertIdentity,
        /// The certificate's subject (RFC 4514 string).
        subject: String,
        /// Its issuer.
        issuer: String,
        /// Validity start, unix seconds.
        not_before: i64,
        /// Validity end.
        not_after: i64,
        /// The CA's URI from the trusted root.
        ca: String,
    },
}

/// A verified bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Who signed.
    pub signer: VerifiedSigner,
    /// Log entries that verified.
    pub tlog: Vec<VerifiedEntry>,
    /// Timestamps that verified.
    pub timestamps: Vec<VerifiedTimestamp>,
    /// The earliest verified signing time, if any.
    pub signed_at: Option<i64>,
    /// For DSSE bundles: the payload type and payload.
    pub payload: Option<(String, Vec<u8>)>,
}

/// Why a bundle failed. Each names the failing check.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Failure {
    /// The bundle's shape is wrong.
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// Key and bundle material do not fit together.
    #[error("{0}")]
    Material(String),
    /// The artifact is not the one signed.
    #[error("artifact mismatch: {0}")]
    Artifact(String),
    /// The signature does not verify.
    #[error("signature check failed: {0}")]
    Signature(String),
    /// A log entry failed.
    #[error("transparency log entry {index}: {rejection}")]
    Tlog {
        /// Entry index in the bundle.
        index: usize,
        /// What failed.
        rejection: Rejection,
    },
    /// A requirement on log entries or times is not met.
    #[error("{0}")]
    Evidence(String),
    /// A signed timestamp failed.
    #[error("RFC 3161 timestamp {index}: {reason}")]
    Timestamp {
        /// Timestamp index in the bundle.
        index: usize,
        /// What failed.
        reason: String,
    },
    /// The certificate does not chain, has no valid SCT, or wrong usage.
    #[error("certificate check failed: {0}")]
    Certificate(String),
    /// The certificate names someone else.
    #[error("identity check failed: {0}")]
    Identity(String),
}

fn sha256_of(a: Artifact<'_>) -> Result<Digest, Failure> {
    match a {
        Artifact::Bytes(b) => Ok(Digest::of(DigestAlgorithm::Sha256, b)),
        Artifact::Digest(d) if d.algorithm() == DigestAlgorithm::Sha256 => Ok(*d),
        Artifact::Digest(d) => Err(Failure::Artifact(format!(
            "in-toto subjects are matched by sha256; a {} digest was given",
            d.algorithm().name()
        ))),
    }
}

/// The leaf certificate, refusing chains that carry a root.
fn leaf_of(bundle: &Bundle) -> Result<Option<Cert>, Failure> {
    let vm = &bundle.verification_material;
    if let Some(c) = &vm.certificate {
        return Cert::from_der(&c.raw_bytes)
            .map(Some)
            .map_err(|e| Failure::Malformed(format!("bundle certificate: {e}")));
    }
    let Some(chain) = &vm.x509_certificate_chain else {
        return Ok(None);
    };
    let certs: Vec<Cert> = chain
        .certificates
        .iter()
        .map(|c| Cert::from_der(&c.raw_bytes))
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::Malformed(format!("bundle certificate chain: {e}")))?;
    let Some((leaf, rest)) = certs.split_first() else {
        return Err(Failure::Malformed("the certificate chain is empty".into()));
    };
    if rest.iter().any(Cert::is_self_signed) {
        return Err(Failure::Certificate(
            "the bundle's chain contains a root certificate; roots come only from the trusted root"
                .into(),
        ));
    }
    Ok(Some(leaf.clone()))
}

fn check_message(
    key: &PublicKey,
    bundle: &Bundle,
    artifact: Artifact<'_>,
) -> Result<(Vec<u8>, Digest), Failure> {
    let Some(ms) = &bundle.message_signature else {
        return Err(Failure::Malformed("no message signature".into()));
    };
    // The digest algorithm the key signs with (SHA-256 for P-256 and
    // Ed25519 bundles), or the one the bundle names.
    let alg = match &ms.message_digest {
        Some(h) => DigestAlgorithm::from_bundle_name(&h.algorithm).ok_or_else(|| {
            Failure::Malformed(format!("unknown message digest algorithm {}", h.algorithm))
        })?,
        None => key.algorithm().digest().unwrap_or(DigestAlgorithm::Sha256),
    };
    let digest = match artifact {
        Artifact::Bytes(b) => {
            let mut h = Hasher::new(alg);
            h.update(b);
            h.finish()
        }
        Artifact::Digest(d) if d.algorithm() == alg => *d,
        Artifact::Digest(d) => {
            return Err(Failure::Artifact(format!(
                "the bundle signs a {} digest; a {} digest was given",
                alg.name(),
                d.algorithm().name()
            )));
        }
    };
    if let Some(h) = &ms.message_digest
        && h.digest != digest.as_bytes()
    {
        return Err(Failure::Artifact(
            "the bundle's message digest is not the artifact's digest".into(),
        ));
    }
    let message = match artifact {
        Artifact::Bytes(b) if key.algorithm().digest().is_none() => Message::Raw(b),
        _ => Message::Digest(digest),
    };
    key.verify(&message, &ms.signature).map_err(|e| {
        Failure::Signature(format!(
            "the signature does not verify over the artifact ({e})"
        ))
    })?;
    Ok((ms.signature.clone(), digest))
}

fn check_dsse(
    key: &PublicKey,
    bundle: &Bundle,
    artifact: Artifact<'_>,
) -> Result<Vec<u8>, Failure> {
    let Some(env) = &bundle.dsse_envelope else {
        return Err(Failure::Malformed("no DSSE envelope".into()));
    };
    let [sig] = env.signatures.as_slice() else {
        return Err(Failure::Malformed(format!(
            "a DSSE envelope must carry exactly one signature, this one has {}",
            env.signatures.len()
        )));
    };
    let pae = signet_types::dsse::pae(&env.payload_type, &env.payload);
    key.verify(&Message::Raw(&pae), &sig.sig)
        .map_err(|e| Failure::Signature(format!("the DSSE signature does not verify ({e})")))?;
    if env.payload_type == "application/vnd.in-toto+json" {
        let statement: serde_json::Value = serde_json::from_slice(&env.payload)
            .map_err(|e| Failure::Malformed(format!("the in-toto statement is not JSON: {e}")))?;
        let want = sha256_of(artifact)?.to_hex();
        let subjects = statement["subject"].as_array().cloned().unwrap_or_default();
        if !subjects
            .iter()
            .any(|s| s["digest"]["sha256"].as_str() == Some(want.as_str()))
        {
            return Err(Failure::Artifact(format!(
                "no subject of the in-toto statement has the artifact's digest sha256:{want}"
            )));
        }
    }
    Ok(sig.sig.clone())
}

/// Verifies `bundle` for `artifact` under `policy` and `root`.
pub fn verify(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    policy: Policy<'_>,
    root: &TrustedRoot,
    options: Options,
) -> Result<Verified, Failure> {
    let version = bundle
        .version()
        .map_err(|e| Failure::Malformed(e.to_string()))?;
    if bundle.message_signature.is_some() == bundle.dsse_envelope.is_some() {
        return Err(Failure::Malformed(
            "a bundle holds exactly one of messageSignature and dsseEnvelope".into(),
        ));
    }
    let vm = &bundle.verification_material;
    let leaf = leaf_of(bundle)?;
    // The key that checks the signature.
    let key: PublicKey = match (&leaf, policy) {
        (None, Policy::Key(k)) => {
            if vm.public_key.is_none() {
                return Err(Failure::Malformed(
                    "the bundle has no verification material".into(),
                ));
            }
            k.clone()
        }
        (None, Policy::Identity(_)) => {
            return Err(Failure::Material(
                "the bundle was signed with a key, not a certificate: verify it with --key".into(),
            ));
        }
        (Some(c), Policy::Key(k)) => {
            let ck = c
                .public_key()
                .map_err(|e| Failure::Certificate(e.clone()))?;
            if ck != k {
                return Err(Failure::Material(
                    "the bundle's certificate holds another key than --key".into(),
                ));
            }
            k.clone()
        }
        (Some(c), Policy::Identity(_)) => c
            .public_key()
            .map_err(|e| Failure::Certificate(e.clone()))?
            .clone(),
    };

    // The signature, over the artifact or the DSSE PAE.
    let (signature, digest, payload) = if bundle.message_signature.is_some() {
        let (sig, d) = check_message(&key, bundle, artifact)?;
        (sig, Some(d), None)
    } else {
        let sig = check_dsse(&key, bundle, artifact)?;
        let env = bundle
            .dsse_envelope
            .as_ref()
            .ok_or_else(|| Failure::Malformed("no DSSE envelope".into()))?;
        (
            sig,
            None,
            Some((env.payload_type.clone(), env.payload.clone())),
        )
    };

    // Transparency-log entries.
    let signer = match (&leaf, policy) {
        (Some(c), Policy::Identity(_)) => Signer::Certificate(c),
        _ => Signer::Key(&key),
    };
    let content = match (&digest, &payload) {
        (Some(d), _) => Content::Message(d),
        (None, Some((t, p))) => Content::Dsse {
            payload_type: t,
            payload: p,
        },
        (None, None) => return Err(Failure::Malformed("nothing was signed".into())),
    };
    let subject = Subject {
        signature: &signature,
        signer,
        content,
    };
    let mut entries = Vec::new();
    let checked_entries = if options.check_tlog {
        vm.tlog_entries.as_slice()
    } else {
        &[]
    };
    for (index, entry) in checked_entries.iter().enumerate() {
        if version == BundleVersion::V0_1 && entry.inclusion_promise.is_none() {
            return Err(Failure::Tlog {
                index,
                rejection: Rejection::NoEvidence,
            });
        }
        let v = entry_for(entry, root, &subject, version >= BundleVersion::V0_2)
            .map_err(|rejection| Failure::Tlog { index, rejection })?;
        entries.push(v);
    }
    if options.check_tlog && options.require_tlog && entries.is_empty() {
        return Err(Failure::Evidence(
            "the bundle has no transparency log entry".into(),
        ));
    }

    // Signed timestamps.
    let mut timestamps = Vec::new();
    if let Some(tvd) = &vm.timestamp_verification_data {
        if tvd.rfc3161_timestamps.len() > MAX_TIMESTAMPS {
            return Err(Failure::Malformed(format!(
                "{} signed timestamps (at most {MAX_TIMESTAMPS})",
                tvd.rfc3161_timestamps.len()
            )));
        }
        for (index, ts) in tvd.rfc3161_timestamps.iter().enumerate() {
            if tvd.rfc3161_timestamps[..index]
                .iter()
                .any(|o| o.signed_timestamp == ts.signed_timestamp)
            {
                return Err(Failure::Timestamp {
                    index,
                    reason: "duplicate timestamp".into(),
                });
            }
            let v = tsa::verify(&ts.signed_timestamp, &signature, root)
                .map_err(|reason| Failure::Timestamp { index, reason })?;
            timestamps.push(v);
        }
    }
    // Entries without a signed integrated time (Rekor v2) must come from a
    // log whose key was valid when the timestamps say the signing happened.
    for (index, (entry, v)) in checked_entries.iter().zip(&entries).enumerate() {
        if v.integrated_time.is_some() {
            continue;
        }
        let window = root
            .tlog(&entry.log_id.key_id)
            .and_then(|l| l.public_key.valid_for.as_ref());
        for t in &timestamps {
            if !window.is_some_and(|w| w.contains(t.time).unwrap_or(false)) {
                return Err(Failure::Tlog {
                    index,
                    rejection: Rejection::OutsideValidity,
                });
            }
        }
    }
    let mut times: Vec<i64> = entries.iter().filter_map(|e| e.integrated_time).collect();
    times.extend(timestamps.iter().map(|t| t.time));

    let signer = match (&leaf, policy) {
        (Some(cert), Policy::Identity(identity_policy)) => {
            if times.is_empty() {
                return Err(Failure::Evidence(
                    "no verified signing time (no signed entry timestamp and no RFC 3161 timestamp) to check the certificate at".into(),
                ));
            }
            let (ca_uri, issuer) = chain_at_all(cert, root, &times)?;
            if !cert.has_eku(&EKU_CODE_SIGNING) {
                return Err(Failure::Certificate(
                    "the certificate is not for code signing (extended key usage)".into(),
                ));
            }
            if options.require_sct {
                let n = sct::verified_count(cert, &issuer, root)
                    .map_err(|e| Failure::Certificate(format!("SCT: {e}")))?;
                if n == 0 {
                    return Err(Failure::Certificate(
                        "no embedded SCT verifies with a CT log key of the trusted root".into(),
                    ));
                }
            }
            let identity = identity_policy.check(cert).map_err(Failure::Identity)?;
            let (not_before, not_after) = cert.validity();
            VerifiedSigner::Certificate {
                identity,
                subject: cert.inner().tbs_certificate.subject.to_string(),
                issuer: cert.inner().tbs_certificate.issuer.to_string(),
                not_before,
                not_after,
                ca: ca_uri,
            }
        }
        _ => VerifiedSigner::Key {
            fingerprint: key.fingerprint(),
        },
    };
    Ok(Verified {
        signer,
        tlog: entries,
        timestamps,
        signed_at: times.iter().copied().min(),
        payload,
    })
}

/// The certificate must chain to one trusted CA at every verified time;
/// returns that CA's URI and the certificate that issued the leaf.
fn chain_at_all(leaf: &Cert, root: &TrustedRoot, times: &[i64]) -> Result<(String, Cert), Failure> {
    if root.certificate_authorities.is_empty() {
        return Err(Failure::Certificate(
            "the trusted root has no certificate authority".into(),
        ));
    }
    let mut last = String::from("no certificate authority of the trusted root issued it");
    'ca: for ca in &root.certificate_authorities {
        let chain: Vec<Cert> = match ca
            .cert_chain
            .certificates
            .iter()
            .map(|c| Cert::from_der(&c.raw_bytes))
            .collect::<Result<_, _>>()
        {
            Ok(c) => c,
            Err(e) => {
                last = format!("a CA chain in the trusted root is malformed: {e}");
                continue;
            }
        };
        let Some(first) = chain.first() else { continue };
        if !leaf.signed_by(first) {
            continue;
        }
        for &t in times {
            let in_window = ca
                .valid_for
                .as_ref()
                .is_some_and(|w| w.contains(t).unwrap_or(false));
            if !in_window {
                last = format!(
                    "signing time {} is outside the validity of CA {} in the trusted root",
                    unix_to_rfc3339(t),
                    ca.uri
                );
                continue 'ca;
            }
            if let Err(e) = path_valid_at(leaf, &chain, t) {
                last = e;
                continue 'ca;
            }
        }
        // The leaf's issuer signature is checked above; the rest of the
        // path once, whatever the number of signing times.
        let rest = if !first.is_ca() {
            Err("the issuing certificate is not a CA".to_string())
        } else if chain.len() == 1 {
            Ok(())
        } else {
            verify_path_signatures(first, &chain[1..])
        };
        if let Err(e) = rest {
            last = e;
            continue;
        }
        return Ok((ca.uri.clone(), first.clone()));
    }
    Err(Failure::Certificate(last))
}
