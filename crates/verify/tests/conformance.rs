//! Every sigstore-conformance bundle-verify case, with the artifact given
//! as bytes (`[PATH-…]`) and as a digest (`[DIGEST-…]`), through the pure
//! verifier: `_fail` cases must fail, all others must pass. None skipped.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use signet_crypto::PublicKey;
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_types::bundle::Bundle;
use signet_types::trust_root::TrustedRoot;
use signet_verify::bundle::{Artifact, Options, Policy, verify};
use signet_verify::identity::{IdentityPolicy, Matcher};

const V: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors");
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn suite() -> PathBuf {
    Path::new(V).join("sigstore-conformance/assets/bundle-verify")
}

/// Runs one case; `Err` carries the verifier's reason.
fn run_case(dir: &Path, by_digest: bool) -> Result<(), String> {
    let read = |name: &str| std::fs::read(dir.join(name)).ok();
    let bundle = Bundle::from_json(&read("bundle.sigstore.json").unwrap_or_default())
        .map_err(|e| e.to_string())?;
    let artifact =
        read("artifact").unwrap_or_else(|| std::fs::read(suite().join("a.txt")).unwrap());
    let root_bytes = read("trusted_root.json").unwrap_or_else(|| {
        std::fs::read(Path::new(V).join("trust-roots/public-good/trusted_root.json")).unwrap()
    });
    let root = TrustedRoot::from_json(&root_bytes).map_err(|e| e.to_string())?;
    let text = |name: &str, default: &str| {
        read(name).map_or(default.to_owned(), |b| {
            String::from_utf8(b).unwrap().trim().to_owned()
        })
    };
    let key;
    let identity;
    let policy = match read("key.pub") {
        Some(pem) => {
            key = PublicKey::from_pem(&pem).map_err(|e| e.to_string())?;
            Policy::Key(&key)
        }
        None => {
            identity = IdentityPolicy {
                identity: Matcher::exact(text("identity", IDENTITY)),
                issuer: Matcher::exact(text("issuer", ISSUER)),
                github: vec![],
            };
            Policy::Identity(&identity)
        }
    };
    let digest = Digest::of(DigestAlgorithm::Sha256, &artifact);
    let a = if by_digest {
        Artifact::Digest(&digest)
    } else {
        Artifact::Bytes(&artifact)
    };
    verify(&bundle, a, policy, &root, Options::default())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn every_bundle_verify_case_gives_its_expected_outcome_in_both_modes() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(suite())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("bundle.sigstore.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 70, "only {} cases", cases.len());
    let mut wrong = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let must_fail = name.ends_with("_fail");
        for by_digest in [false, true] {
            let mode = if by_digest { "DIGEST" } else { "PATH" };
            let outcome = run_case(dir, by_digest);
            match (&outcome, must_fail) {
                (Ok(()), false) | (Err(_), true) => {}
                (Ok(()), true) => wrong.push(format!("[{mode}-{name}] passed but must fail")),
                (Err(e), false) => wrong.push(format!("[{mode}-{name}] failed: {e}")),
            }
            if let Err(e) = &outcome {
                assert!(!e.contains('\n'), "{name}: multi-line reason {e:?}");
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The identity policy is enforced, not just parsed: the happy-path bundle
/// fails under another identity, issuer or workflow, and matches by regexp
/// and by the GitHub workflow extensions Fulcio recorded.
#[test]
fn identity_policy_decides() {
    use signet_verify::identity::GithubField;
    let dir = suite().join("happy-path-v0.3");
    let bundle =
        Bundle::from_json(&std::fs::read(dir.join("bundle.sigstore.json")).unwrap()).unwrap();
    let artifact = std::fs::read(suite().join("a.txt")).unwrap();
    let root = TrustedRoot::from_json(
        &std::fs::read(Path::new(V).join("trust-roots/public-good/trusted_root.json")).unwrap(),
    )
    .unwrap();
    let check = |identity: Matcher, issuer: Matcher, github: Vec<(GithubField, String)>| {
        let p = IdentityPolicy {
            identity,
            issuer,
            github,
        };
        verify(
            &bundle,
            Artifact::Bytes(&artifact),
            Policy::Identity(&p),
            &root,
            Options::default(),
        )
    };
    let ok = check(Matcher::exact(IDENTITY), Matcher::exact(ISSUER), vec![]).unwrap();
    assert!(ok.signed_at.is_some());
    check(
        Matcher::regex("^https://github.com/sigstore-conformance/").unwrap(),
        Matcher::regex("githubusercontent").unwrap(),
        vec![(
            GithubField::Repository,
            "sigstore-conformance/extremely-dangerous-public-oidc-beacon".into(),
        )],
    )
    .unwrap();
    let e = check(
        Matcher::exact("https://example.com/other"),
        Matcher::exact(ISSUER),
        vec![],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("identity check failed: certificate identity"),
        "{e}"
    );
    let e = check(
        Matcher::exact(IDENTITY),
        Matcher::exact("https://accounts.google.com"),
        vec![],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("OIDC issuer"), "{e}");
    let e = check(
        Matcher::exact(IDENTITY),
        Matcher::exact(ISSUER),
        vec![(GithubField::Ref, "refs/heads/evil".into())],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("github-workflow-ref"), "{e}");
    // Another artifact, by bytes or by digest, fails.
    let other = Digest::of(DigestAlgorithm::Sha256, b"other");
    let p = IdentityPolicy {
        identity: Matcher::exact(IDENTITY),
        issuer: Matcher::exact(ISSUER),
        github: vec![],
    };
    for a in [Artifact::Bytes(b"other"), Artifact::Digest(&other)] {
        assert!(verify(&bundle, a, Policy::Identity(&p), &root, Options::default()).is_err());
    }
    // The staging root does not vouch for a production certificate.
    let staging = TrustedRoot::from_json(
        &std::fs::read(Path::new(V).join("trust-roots/staging/trusted_root.json")).unwrap(),
    )
    .unwrap();
    assert!(
        verify(
            &bundle,
            Artifact::Bytes(&artifact),
            Policy::Identity(&p),
            &staging,
            Options::default()
        )
        .is_err()
    );
}
