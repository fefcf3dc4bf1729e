#![no_main]
//! Whole-bundle verification of arbitrary bundle JSON against the
//! public-good root, by key and by identity: errors, never panics.
use libfuzzer_sys::fuzz_target;
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_types::bundle::Bundle;
use signet_types::trust_root::TrustedRoot;
use signet_verify::bundle::{Artifact, Options, Policy, verify};
use signet_verify::identity::{IdentityPolicy, Matcher};

static ROOT: &[u8] =
    include_bytes!("../../crates/cli/data/trust-roots/public-good/trusted_root.json");

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_json(data) else {
        return;
    };
    let root = TrustedRoot::from_json(ROOT).expect("built-in root");
    let artifact = b"artifact";
    let digest = Digest::of(DigestAlgorithm::Sha256, artifact);
    let policy = IdentityPolicy {
        identity: Matcher::exact("a@example.com"),
        issuer: Matcher::exact("https://accounts.google.com"),
        github: vec![],
    };
    let _ = verify(
        &bundle,
        Artifact::Bytes(artifact),
        Policy::Identity(&policy),
        &root,
        Options::default(),
    );
    let _ = verify(
        &bundle,
        Artifact::Digest(&digest),
        Policy::Identity(&policy),
        &root,
        Options::default(),
    );
});
