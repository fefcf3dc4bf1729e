//! The sigstore-conformance managed-key bundle (a real Rekor v1 entry with
//! SET, inclusion proof and checkpoint) verifies offline against the
//! public-good trusted root; every mutation of its log evidence fails.
#![allow(clippy::unwrap_used)]

use signet_crypto::PublicKey;
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_types::bundle::{Bundle, TransparencyLogEntry};
use signet_types::trust_root::TrustedRoot;
use signet_verify::{Expected, Rejection, tlog_entry};

const V: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors");

struct Case {
    entry: TransparencyLogEntry,
    sig: Vec<u8>,
    key: PublicKey,
    digest: Digest,
    root: TrustedRoot,
}

fn case() -> Case {
    let read = |p: &str| std::fs::read(format!("{V}/{p}")).unwrap();
    let bundle = Bundle::from_json(&read(
        "sigstore-conformance/assets/bundle-verify/managed-key-happy-path/bundle.sigstore.json",
    ))
    .unwrap();
    Case {
        entry: bundle.verification_material.tlog_entries[0].clone(),
        sig: bundle.message_signature.unwrap().signature,
        key: PublicKey::from_pem(&read(
            "sigstore-conformance/derived/managed-key-legacy/key.pub",
        ))
        .unwrap(),
        digest: Digest::of(
            DigestAlgorithm::Sha256,
            &read("sigstore-conformance/derived/managed-key-legacy/a.txt"),
        ),
        root: TrustedRoot::from_json(&read("trust-roots/public-good/trusted_root.json")).unwrap(),
    }
}

fn check(c: &Case, e: &TransparencyLogEntry) -> Result<signet_verify::VerifiedEntry, Rejection> {
    tlog_entry(
        e,
        &c.root,
        &Expected {
            signature: &c.sig,
            key: &c.key,
            digest: &c.digest,
        },
        true,
    )
}

#[test]
fn real_rekor_entry_verifies_offline() {
    let c = case();
    let v = check(&c, &c.entry).unwrap();
    assert_eq!(v.log_index, 771_488_337);
    assert_eq!(v.integrated_time, Some(1_766_077_479));
    assert!(v.proven);
    assert_eq!(v.log_url, "https://rekor.sigstore.dev");
}

#[test]
fn every_mutation_fails() {
    let c = case();
    let mutate = |f: &dyn Fn(&mut TransparencyLogEntry)| {
        let mut e = c.entry.clone();
        f(&mut e);
        check(&c, &e)
    };
    assert!(matches!(
        mutate(&|e| e.inclusion_proof.as_mut().unwrap().hashes[0].0[0] ^= 1),
        Err(Rejection::InclusionProof(_))
    ));
    assert!(matches!(
        mutate(&|e| e.inclusion_proof.as_mut().unwrap().log_index += 1),
        Err(Rejection::InclusionProof(_))
    ));
    assert!(matches!(
        mutate(&|e| {
            let cp = e
                .inclusion_proof
                .as_mut()
                .unwrap()
                .checkpoint
                .as_mut()
                .unwrap();
            cp.envelope = cp.envelope.replacen("649584076", "649584077", 1);
        }),
        Err(Rejection::Checkpoint(_))
    ));
    assert!(matches!(
        mutate(&|e| e.inclusion_proof.as_mut().unwrap().checkpoint = None),
        Err(Rejection::Checkpoint(_))
    ));
    assert!(matches!(
        mutate(&|e| e.inclusion_proof = None),
        Err(Rejection::MissingProof)
    ));
    assert!(matches!(
        mutate(&|e| e.inclusion_promise.as_mut().unwrap().signed_entry_timestamp[10] ^= 1),
        Err(Rejection::BadSet)
    ));
    assert!(matches!(
        mutate(&|e| e.log_index += 1),
        Err(Rejection::BadSet)
    ));
    assert!(matches!(
        mutate(&|e| e.integrated_time = Some(1_766_077_480)),
        Err(Rejection::BadSet)
    ));
    assert!(matches!(
        mutate(&|e| e.log_id.key_id[0] ^= 1),
        Err(Rejection::UnknownLog(_))
    ));
    assert!(mutate(&|e| e.canonicalized_body[40] ^= 1).is_err());
    assert!(matches!(
        mutate(&|e| e.kind_version.version = "0.0.2".into()),
        Err(Rejection::BodyMismatch(_))
    ));
    // The same entry for another artifact, signature or key.
    let other = Digest::of(DigestAlgorithm::Sha256, b"other");
    assert!(matches!(
        tlog_entry(
            &c.entry,
            &c.root,
            &Expected {
                signature: &c.sig,
                key: &c.key,
                digest: &other
            },
            true
        ),
        Err(Rejection::BodyMismatch(_))
    ));
    let mut sig = c.sig.clone();
    sig[8] ^= 1;
    assert!(matches!(
        tlog_entry(
            &c.entry,
            &c.root,
            &Expected {
                signature: &sig,
                key: &c.key,
                digest: &c.digest
            },
            true
        ),
        Err(Rejection::BodyMismatch(_))
    ));
    let other_key =
        signet_crypto::PrivateKey::generate(signet_crypto::KeyAlgorithm::EcdsaP256).unwrap();
    assert!(matches!(
        tlog_entry(
            &c.entry,
            &c.root,
            &Expected {
                signature: &c.sig,
                key: other_key.public_key(),
                digest: &c.digest
            },
            true
        ),
        Err(Rejection::BodyMismatch(_))
    ));
    // The staging root does not know the production log.
    let staging = TrustedRoot::from_json(
        &std::fs::read(format!("{V}/trust-roots/staging/trusted_root.json")).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        tlog_entry(
            &c.entry,
            &staging,
            &Expected {
                signature: &c.sig,
                key: &c.key,
                digest: &c.digest
            },
            true
        ),
        Err(Rejection::UnknownLog(_))
    ));
}
