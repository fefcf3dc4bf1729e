//! Turning what a registry holds about an artifact into [`Evidence`]:
//! every signature and attestation is checked cryptographically against
//! the artifact's digest and the registered keys (or, for certificates,
//! the trusted root) before it counts. Pure: the caller fetches the bytes.
//!
//! Sources: cosign's legacy layout (`sha256-<hex>.sig` simple-signing
//! layers, `.att` DSSE layers), Sigstore bundle referrers (cosign v3), and
//! detached signatures of files (`<file>.sig`, `.sig.bin`,
//! `.sigstore.json`).

use std::collections::BTreeMap;

use base64::Engine;
use serde::Serialize;
use signet_crypto::PublicKey;
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_types::bundle::{
    Bundle, Certificate, CertificateChain, MessageSignature, PublicKeyIdentifier,
    VerificationMaterial,
};
use signet_types::trust_root::TrustedRoot;
use signet_verify::bundle::{self as vb, Options, VerifiedSigner};
use signet_verify::identity::{IdentityPolicy, Matcher};

use crate::decide::{Claim, Evidence, Signer};
use crate::document::SignatureType;

/// A registered key that can verify signatures.
#[derive(Debug, Clone, Copy)]
pub struct Verifier<'a> {
    /// The key's id.
    pub id: &'a str,
    /// The key.
    pub key: &'a PublicKey,
}

/// One check made, for the verification API and audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Where the signature was found.
    pub source: String,
    /// Whether it verified.
    pub ok: bool,
    /// What verified, or why not.
    pub detail: String,
}

/// The certificate of a keyless signature that verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateInfo {
    /// Its subject (RFC 4514).
    pub subject: String,
    /// Its issuer (RFC 4514).
    pub issuer: String,
    /// Unix seconds.
    pub valid_from: i64,
    /// Unix seconds.
    pub valid_to: i64,
}

/// Everything found about one artifact.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    /// What verified.
    pub evidence: Vec<Evidence>,
    /// Every check, passed or failed.
    pub checks: Vec<Check>,
    /// Certificates of keyless evidence, in `evidence` order where present.
    pub certificates: Vec<CertificateInfo>,
    /// The earliest time (Unix seconds) some evidence stops counting for a
    /// reason the verifier saw in it (an OpenPGP key or signature expiry):
    /// what is worked out from these findings holds until then at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<i64>,
}

/// Most signature sources examined per artifact (a flood of junk
/// signatures costs the pusher, not every reader).
pub const MAX_SOURCES: usize = 64;

const CERT_ANNOTATION: &str = "dev.sigstore.cosign/certificate";

/// The log entry (with its SET) that cosign's `rekorBundle` annotation of
/// a legacy layer carries, if any: what lets a keyless legacy signature
/// verify offline.
fn legacy_log_entry(
    annotations: &BTreeMap<String, String>,
) -> Result<Vec<signet_types::bundle::TransparencyLogEntry>, String> {
    let Some(text) = annotations.get(signet_oci::legacy::BUNDLE_ANNOTATION) else {
        return Ok(Vec::new());
    };
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "the {} annotation is not JSON: {e}",
            signet_oci::legacy::BUNDLE_ANNOTATION
        )
    })?;
    signet_types::rekor::entry_from_legacy(&v)
        .map(|e| vec![e])
        .map_err(|e| {
            format!(
                "the {} annotation: {e}",
                signet_oci::legacy::BUNDLE_ANNOTATION
            )
        })
}

impl Findings {
    /// Records a signature the caller verified itself (OpenPGP, which
    /// this crate does not read): one piece of evidence per registered key
    /// `key_ids` that made it, and one check.
    pub fn key_signature(
        &mut self,
        source: &str,
        signature_type: SignatureType,
        key_ids: &[&str],
        detail: String,
        valid_until: Option<i64>,
    ) {
        if let Some(t) = valid_until {
            self.valid_until = Some(self.valid_until.map_or(t, |v| v.min(t)));
        }
        for id in key_ids {
            let e = Evidence {
                claim: Claim::Signature { signature_type },
                signer: Signer::Key {
                    key_id: (*id).to_owned(),
                },
                time: None,
                source: source.to_owned(),
            };
            if !self.evidence.contains(&e) {
                self.evidence.push(e);
            }
        }
        self.checks.push(Check {
            source: source.to_owned(),
            ok: true,
            detail,
        });
    }

    fn pass(&mut self, source: &str, e: Evidence, detail: String, cert: Option<CertificateInfo>) {
        self.checks.push(Check {
            source: source.to_owned(),
            ok: true,
            detail,
        });
        if let Some(c) = cert {
            self.certificates.push(c);
        }
        if !self.evidence.contains(&e) {
            self.evidence.push(e);
        }
    }

    /// Records a check that failed (nothing verified at `source`).
    pub fn fail(&mut self, source: &str, detail: impl Into<String>) {
        self.checks.push(Check {
            source: source.to_owned(),
            ok: false,
            detail: detail.into(),
        });
    }

    /// A legacy `.sig` layer: `payload` is the layer's blob, `annotations`
    /// its annotations; `subject` the image digest (`sha256:…`).
    pub fn legacy_signature(
        &mut self,
        source: &str,
        subject: &str,
        payload: &[u8],
        annotations: &BTreeMap<String, String>,
        keys: &[Verifier<'_>],
        root: Option<&TrustedRoot>,
    ) {
        let Some(sig) = annotations
            .get(signet_oci::legacy::SIGNATURE_ANNOTATION)
            .and_then(|s| {
                base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .ok()
            })
        else {
            return self.fail(source, "the layer has no base64 signature annotation");
        };
        match signet_oci::simple_signing::parse(payload) {
            Ok(claims) if claims.digest == subject => {}
            Ok(claims) => {
                return self.fail(
                    source,
                    format!("the payload names {}, not {subject}", claims.digest),
                );
            }
            Err(e) => return self.fail(source, format!("the payload: {e}")),
        }
        let mut vm = VerificationMaterial::default();
        if let Some(pem) = annotations.get(CERT_ANNOTATION) {
            match signet_verify::x509::Cert::from_pem(pem.as_bytes()) {
                Ok(c) => {
                    vm.x509_certificate_chain = Some(CertificateChain {
                        certificates: vec![Certificate {
                            raw_bytes: c.der().to_vec(),
                        }],
                    })
                }
                Err(e) => return self.fail(source, format!("the certificate annotation: {e}")),
            }
        } else {
            vm.public_key = Some(PublicKeyIdentifier::default());
        }
        // Key signatures are not checked against a log here.
        if vm.public_key.is_none() {
            match legacy_log_entry(annotations) {
                Ok(entries) => vm.tlog_entries = entries,
                Err(e) => return self.fail(source, e),
            }
        }
        let bundle = Bundle {
            media_type: "application/vnd.dev.sigstore.bundle+json;version=0.1".into(),
            verification_material: vm,
            message_signature: Some(MessageSignature {
                message_digest: None,
                signature: sig,
            }),
            dsse_envelope: None,
        };
        self.bundle_inner(source, subject, &bundle, Some(payload), keys, root);
    }

    /// A legacy `.att` layer: a DSSE envelope (JSON) about `subject`.
    pub fn legacy_attestation(
        &mut self,
        source: &str,
        subject: &str,
        envelope: &[u8],
        annotations: &BTreeMap<String, String>,
        keys: &[Verifier<'_>],
        root: Option<&TrustedRoot>,
    ) {
        let env: signet_types::bundle::Envelope = match serde_json::from_slice(envelope) {
            Ok(e) => e,
            Err(e) => return self.fail(source, format!("the envelope is not valid JSON: {e}")),
        };
        let mut vm = VerificationMaterial::default();
        match annotations.get(CERT_ANNOTATION) {
            Some(pem) => match signet_verify::x509::Cert::from_pem(pem.as_bytes()) {
                Ok(c) => {
                    vm.x509_certificate_chain = Some(CertificateChain {
                        certificates: vec![Certificate {
                            raw_bytes: c.der().to_vec(),
                        }],
                    })
                }
                Err(e) => return self.fail(source, format!("the certificate annotation: {e}")),
            },
            None => vm.public_key = Some(PublicKeyIdentifier::default()),
        }
        // Key signatures are not checked against a log here.
        if vm.public_key.is_none() {
            match legacy_log_entry(annotations) {
                Ok(entries) => vm.tlog_entries = entries,
                Err(e) => return self.fail(source, e),
            }
        }
        let bundle = Bundle {
            media_type: "application/vnd.dev.sigstore.bundle+json;version=0.1".into(),
            verification_material: vm,
            message_signature: None,
            dsse_envelope: Some(env),
        };
        self.bundle_inner(source, subject, &bundle, None, keys, root);
    }

    /// A Sigstore bundle (a referrer's layer) about `subject`.
    pub fn bundle(
        &mut self,
        source: &str,
        subject: &str,
        bundle_json: &[u8],
        keys: &[Verifier<'_>],
        root: Option<&TrustedRoot>,
    ) {
        match Bundle::from_json(bundle_json) {
            Ok(b) => self.bundle_inner(source, subject, &b, None, keys, root),
            Err(e) => self.fail(source, format!("not a Sigstore bundle: {e}")),
        }
    }

    /// A detached signature of a file whose SHA-256 is `file_digest`: a
    /// cosign `.sig` (base64) or `.sig.bin` (DER), or a `.sigstore.json`
    /// bundle. Keys that sign other digests (P-384, Ed25519) need the
    /// file's bytes and are not tried.
    pub fn file_signature(
        &mut self,
        source: &str,
        file_digest: &str,
        signature: &[u8],
        keys: &[Verifier<'_>],
        root: Option<&TrustedRoot>,
    ) {
        if source.ends_with(".json") {
            return self.bundle(source, file_digest, signature, keys, root);
        }
        let sig = match signet_crypto::signature::decode_signature_file(signature) {
            Ok(s) => s,
            Err(e) => return self.fail(source, format!("not a signature: {e}")),
        };
        let Some(d) = sha256(file_digest) else {
            return self.fail(source, format!("{file_digest} is not a sha256 digest"));
        };
        let bundle = Bundle {
            media_type: "application/vnd.dev.sigstore.bundle.v0.3+json".into(),
            verification_material: VerificationMaterial {
                public_key: Some(PublicKeyIdentifier::default()),
                ..Default::default()
            },
            message_signature: Some(MessageSignature {
                message_digest: None,
                signature: sig,
            }),
            dsse_envelope: None,
        };
        let usable: Vec<Verifier<'_>> = keys
            .iter()
            .copied()
            .filter(|k| k.key.algorithm().digest() == Some(DigestAlgorithm::Sha256))
            .collect();
        // Every registered key that verifies it is a signer (one key
        // material may be registered twice, say as cosign and as x509).
        let empty = empty_root();
        let found: Vec<Verifier<'_>> = usable
            .iter()
            .copied()
            .filter(|k| {
                vb::verify(
                    &bundle,
                    vb::Artifact::Digest(&d),
                    vb::Policy::Key(k.key),
                    root.unwrap_or(&empty),
                    key_options(),
                )
                .is_ok()
            })
            .collect();
        if found.is_empty() {
            return self.fail(
                source,
                format!(
                    "the signature verifies with none of the {} registered keys for this repository",
                    usable.len()
                ),
            );
        }
        for k in found {
            self.pass(
                source,
                Evidence {
                    claim: Claim::Signature {
                        signature_type: SignatureType::Cosign,
                    },
                    signer: Signer::Key {
                        key_id: k.id.to_owned(),
                    },
                    time: None,
                    source: source.to_owned(),
                },
                format!("signature verified with key {}", k.id),
                None,
            );
        }
    }

    fn bundle_inner(
        &mut self,
        source: &str,
        subject: &str,
        bundle: &Bundle,
        legacy_payload: Option<&[u8]>,
        keys: &[Verifier<'_>],
        root: Option<&TrustedRoot>,
    ) {
        let Some(d) = sha256(subject) else {
            return self.fail(source, format!("{subject} is not a sha256 digest"));
        };
        let keyless = bundle.verification_material.public_key.is_none();
        let mut failures = Vec::new();
        let mut oks = Vec::new();
        if keyless {
            let Some(root) = root else {
                return self.fail(
                    source,
                    "a certificate signature, and this registry has no trusted root for certificates",
                );
            };
            let anyone = IdentityPolicy {
                identity: Matcher::regex("").unwrap_or_else(|_| Matcher::exact("")),
                issuer: Matcher::regex("").unwrap_or_else(|_| Matcher::exact("")),
                github: Vec::new(),
            };
            let alg_digest;
            let artifact = match legacy_payload {
                Some(p) => {
                    alg_digest = Digest::of(DigestAlgorithm::Sha256, p);
                    vb::Artifact::Digest(&alg_digest)
                }
                None => vb::Artifact::Digest(&d),
            };
            match vb::verify(
                bundle,
                artifact,
                vb::Policy::Identity(&anyone),
                root,
                Options::default(),
            ) {
                Ok(v) => oks.push((None, v)),
                Err(e) => failures.push(e.to_string()),
            }
        } else {
            let empty = empty_root();
            for k in keys {
                let alg_digest;
                let artifact = match legacy_payload {
                    Some(p) => match k.key.algorithm().digest() {
                        Some(alg) => {
                            alg_digest = Digest::of(alg, p);
                            vb::Artifact::Digest(&alg_digest)
                        }
                        None => vb::Artifact::Bytes(p),
                    },
                    None => vb::Artifact::Digest(&d),
                };
                match vb::verify(
                    bundle,
                    artifact,
                    vb::Policy::Key(k.key),
                    root.unwrap_or(&empty),
                    key_options(),
                ) {
                    Ok(v) => oks.push((Some(*k), v)),
                    Err(e) => failures.push(e.to_string()),
                }
            }
        }
        if oks.is_empty() {
            failures.sort();
            failures.dedup();
            return self.fail(
                source,
                if failures.is_empty() {
                    "no registered key for this repository to verify it with".to_owned()
                } else if keyless {
                    failures.join("; ")
                } else {
                    format!(
                        "verifies with none of the {} registered keys for this repository ({})",
                        keys.len(),
                        failures.join("; ")
                    )
                },
            );
        }
        for (key, v) in oks {
            self.record(source, subject, key, &v);
        }
    }

    /// Records what a verified bundle says, signed by `key` (or by the
    /// certificate `v` names).
    fn record(&mut self, source: &str, subject: &str, key: Option<Verifier<'_>>, v: &vb::Verified) {
        // What it says: a signature, or an attestation of some predicate.
        let claim = match &v.payload {
            None => Claim::Signature {
                signature_type: SignatureType::Cosign,
            },
            Some((ty, payload)) => {
                if ty != signet_oci::referrer::IN_TOTO {
                    return self.fail(source, format!("a DSSE payload of type {ty}, not in-toto"));
                }
                let st = match signet_oci::referrer::parse_statement(payload) {
                    Ok(s) => s,
                    Err(e) => return self.fail(source, e),
                };
                let hex = subject.trim_start_matches("sha256:");
                if !st.subjects.iter().any(|s| s == hex) {
                    return self.fail(source, format!("the statement does not name {subject}"));
                }
                if st.predicate_type == signet_oci::referrer::SIGN_PREDICATE {
                    Claim::Signature {
                        signature_type: SignatureType::Cosign,
                    }
                } else {
                    Claim::Attestation {
                        predicate_type: st.predicate_type,
                    }
                }
            }
        };
        let (signer, cert, detail) = match (&v.signer, key) {
            (_, Some(k)) => (
                Signer::Key {
                    key_id: k.id.to_owned(),
                },
                None,
                format!("verified with key {}", k.id),
            ),
            (
                VerifiedSigner::Certificate {
                    identity,
                    subject,
                    issuer,
                    not_before,
                    not_after,
                    ..
                },
                None,
            ) => (
                Signer::Certificate {
                    identity: identity.identity.clone(),
                    issuer: identity.issuer.clone().unwrap_or_default(),
                },
                Some(CertificateInfo {
                    subject: subject.clone(),
                    issuer: issuer.clone(),
                    valid_from: *not_before,
                    valid_to: *not_after,
                }),
                format!(
                    "certificate for {} (issuer {}) verified",
                    identity.identity,
                    identity.issuer.as_deref().unwrap_or("unknown")
                ),
            ),
            (VerifiedSigner::Key { .. }, None) => {
                return self.fail(source, "verified without a registered key");
            }
        };
        let what = match &claim {
            Claim::Signature { .. } => "signature".to_owned(),
            Claim::Attestation { predicate_type } => format!("{predicate_type} attestation"),
        };
        self.pass(
            source,
            Evidence {
                claim,
                signer,
                time: v.signed_at,
                source: source.to_owned(),
            },
            format!("{what} {detail}"),
            cert,
        );
    }
}

/// Key signatures: the registered key is the trust; log entries, when the
/// bundle has them, are not required (the registry's own log records the
/// push).
fn key_options() -> Options {
    Options {
        check_tlog: false,
        require_tlog: false,
        require_sct: false,
    }
}

fn empty_root() -> TrustedRoot {
    TrustedRoot {
        media_type: String::new(),
        tlogs: Vec::new(),
        certificate_authorities: Vec::new(),
        ctlogs: Vec::new(),
        timestamp_authorities: Vec::new(),
        other: serde_json::Map::new(),
    }
}

fn sha256(digest: &str) -> Option<Digest> {
    digest
        .strip_prefix("sha256:")
        .and_then(signet_types::hex::decode)
        .and_then(|b| Digest::from_bytes(DigestAlgorithm::Sha256, &b))
}
