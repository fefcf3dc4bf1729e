//! In-process verification of a keyless v0.3 bundle with everything a
//! verifier checks: Fulcio certificate path (leaf → intermediate → root),
//! embedded SCT, Rekor v2 inclusion proof and signed checkpoint, RFC 3161
//! timestamp; and, for comparison, a key-signed Rekor v1 bundle.
//!
//! `cargo bench -p signet-verify --bench keyless` (target: ≤ 2 ms).
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use signet_crypto::PublicKey;
use signet_types::bundle::Bundle;
use signet_types::trust_root::TrustedRoot;
use signet_verify::bundle::{Artifact, Options, Policy, verify};
use signet_verify::identity::{IdentityPolicy, Matcher};

const V: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors");

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(V).join(rel)).unwrap()
}

fn bench(c: &mut Criterion) {
    let suite = "sigstore-conformance/assets/bundle-verify";
    let artifact = read(&format!("{suite}/a.txt"));
    let root = TrustedRoot::from_json(&read("trust-roots/public-good/trusted_root.json")).unwrap();
    let staging = TrustedRoot::from_json(&read(&format!(
        "{suite}/rekor2-happy-path/trusted_root.json"
    )))
    .unwrap();
    let keyless = read(&format!("{suite}/rekor2-happy-path/bundle.sigstore.json"));
    let policy = IdentityPolicy {
        identity: Matcher::exact(
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
        ),
        issuer: Matcher::exact("https://token.actions.githubusercontent.com"),
        github: vec![],
    };
    // Checked once outside the timing loop: it verifies, with a timestamp.
    let b = Bundle::from_json(&keyless).unwrap();
    let v = verify(
        &b,
        Artifact::Bytes(&artifact),
        Policy::Identity(&policy),
        &staging,
        Options::default(),
    )
    .unwrap();
    assert_eq!(v.timestamps.len(), 1);
    c.bench_function(
        "keyless v0.3 (chain, SCT, Rekor v2 proof, TSA), parse + verify",
        |bench| {
            bench.iter(|| {
                let b = Bundle::from_json(&keyless).unwrap();
                verify(
                    &b,
                    Artifact::Bytes(&artifact),
                    Policy::Identity(&policy),
                    &staging,
                    Options::default(),
                )
                .unwrap()
            });
        },
    );
    let keyed = read(&format!(
        "{suite}/managed-key-happy-path/bundle.sigstore.json"
    ));
    let key =
        PublicKey::from_pem(&read(&format!("{suite}/managed-key-happy-path/key.pub"))).unwrap();
    c.bench_function(
        "key v0.3 (Rekor v1 SET, proof, checkpoint), parse + verify",
        |bench| {
            bench.iter(|| {
                let b = Bundle::from_json(&keyed).unwrap();
                verify(
                    &b,
                    Artifact::Bytes(&artifact),
                    Policy::Key(&key),
                    &root,
                    Options::default(),
                )
                .unwrap()
            });
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
