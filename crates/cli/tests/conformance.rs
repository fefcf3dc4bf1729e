//! `signet conformance verify-bundle` driven exactly as the
//! sigstore-conformance harness drives a client: every bundle-verify case,
//! with the artifact as a path and as `sha256:<hex>`, offline against the
//! case's trusted root (or the public-good one); `_fail` cases must exit
//! non-zero with a one-line reason, the others exit 0. None is skipped.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn suite() -> PathBuf {
    vector("sigstore-conformance/assets/bundle-verify")
}

fn args_for(dir: &Path, by_digest: bool) -> Vec<String> {
    let mut a = vec![
        "conformance".to_owned(),
        "verify-bundle".to_owned(),
        "--bundle".to_owned(),
        dir.join("bundle.sigstore.json").display().to_string(),
    ];
    let text = |name: &str, default: &str| {
        std::fs::read_to_string(dir.join(name)).map_or(default.to_owned(), |s| s.trim().to_owned())
    };
    if dir.join("key.pub").exists() {
        a.extend([
            "--key".to_owned(),
            dir.join("key.pub").display().to_string(),
        ]);
    } else {
        a.extend([
            "--certificate-identity".to_owned(),
            text("identity", IDENTITY),
            "--certificate-oidc-issuer".to_owned(),
            text("issuer", ISSUER),
        ]);
    }
    let root = if dir.join("trusted_root.json").exists() {
        dir.join("trusted_root.json")
    } else {
        vector("trust-roots/public-good/trusted_root.json")
    };
    a.extend(["--trusted-root".to_owned(), root.display().to_string()]);
    let artifact = if dir.join("artifact").exists() {
        dir.join("artifact")
    } else {
        suite().join("a.txt")
    };
    if by_digest {
        let d = signet_crypto::digest::Digest::of(
            signet_crypto::digest::DigestAlgorithm::Sha256,
            &std::fs::read(&artifact).unwrap(),
        );
        a.push(format!("sha256:{}", d.to_hex()));
    } else {
        a.push(artifact.display().to_string());
    }
    a
}

#[test]
fn conformance_protocol_gives_every_expected_outcome() {
    let t = tempfile::tempdir().unwrap();
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
            let o = run(signet(t.path()).args(args_for(dir, by_digest)));
            let reason = o.stderr.lines().last().unwrap_or_default().to_owned();
            match (o.code, must_fail) {
                (0, false) => assert_eq!(o.stdout, "OK\n"),
                (1 | 2, true) => {
                    assert!(
                        reason.starts_with("signet: "),
                        "[{mode}-{name}] {}",
                        o.stderr
                    );
                    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
                }
                (0, true) => wrong.push(format!("[{mode}-{name}] passed but must fail")),
                (c, _) => wrong.push(format!("[{mode}-{name}] exit {c}: {reason}")),
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

/// `verify-blob` takes the same bundles with cosign's flags; without
/// identity flags a certificate bundle is refused with cosign's message.
#[test]
fn verify_blob_checks_certificate_identities() {
    let t = tempfile::tempdir().unwrap();
    let bundle = suite().join("happy-path-v0.3/bundle.sigstore.json");
    let a = suite().join("a.txt");
    let base = |extra: &[&str]| {
        let mut cmd = signet(t.path());
        cmd.args(["verify-blob", "--bundle", bundle.to_str().unwrap()])
            .args(extra)
            .arg(&a);
        run(&mut cmd)
    };
    // The built-in public-good root is the default.
    let o = base(&[
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "Verified OK\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("Certificate identity: https://github.com/sigstore-conformance/"),
        "{}",
        o.stderr
    );
    let o = base(&[
        "--certificate-identity-regexp",
        "^https://github\\.com/sigstore-conformance/",
        "--certificate-oidc-issuer-regexp",
        "token\\.actions",
        "--certificate-github-workflow-repository",
        "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = base(&[
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
        "--certificate-github-workflow-trigger",
        "pull_request_target",
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("github-workflow-trigger"), "{}", o.stderr);
    let o = base(&[
        "--certificate-identity",
        "someone@example.com",
        "--certificate-oidc-issuer",
        ISSUER,
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("does not match the expected"),
        "{}",
        o.stderr
    );
    let o = base(&["--certificate-identity", IDENTITY]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required"),
        "{}",
        o.stderr
    );
    let o = base(&[]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("give --key, or --certificate-identity"),
        "{}",
        o.stderr
    );
    // The staging root does not vouch for a production certificate.
    let o = base(&[
        "--staging",
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    // A bad regular expression is a usage error.
    let o = base(&[
        "--certificate-identity-regexp",
        "(",
        "--certificate-oidc-issuer",
        ISSUER,
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("invalid regular expression"),
        "{}",
        o.stderr
    );
}

/// cosign's own image attestation bundle (DSSE, Rekor dsse 0.0.1, Fulcio
/// certificate, from sigstore/cosign's tests) verifies for its image
/// digest under cosign's test trusted root, and only for that identity,
/// digest and predicate type.
#[test]
fn cosign_image_attestation_bundle_verifies() {
    let t = tempfile::tempdir().unwrap();
    let dir = vector("cosign/pkg/cosign/testdata");
    let digest = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
    let check = |identity: &str, subject: &str, kind: &str| {
        run(signet(t.path()).args([
            "verify-blob-attestation",
            "--bundle",
            dir.join("oci-attestation.sigstore.json").to_str().unwrap(),
            "--trusted-root",
            dir.join("trusted_root_pgi.json").to_str().unwrap(),
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            "https://github.com/login/oauth",
            "--type",
            kind,
            subject,
        ]))
    };
    let o = check("cody@soyland.com", digest, "custom");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("Certificate identity: cody@soyland.com"),
        "{}",
        o.stderr
    );
    let o = check("mallory@example.com", digest, "custom");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let other = format!("sha256:{}", "0".repeat(64));
    let o = check("cody@soyland.com", &other, "custom");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("no subject of the in-toto statement"),
        "{}",
        o.stderr
    );
    let o = check("cody@soyland.com", digest, "slsaprovenance");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("not https://slsa.dev/provenance"),
        "{}",
        o.stderr
    );
}

/// `signet conformance sign-bundle` signs keylessly, as the harness drives
/// it: a certificate from the signing config's CA (a Fulcio stand-in issuing
/// from a test CA with a CT log, since Fulcio itself needs the internet and
/// a live OIDC token) and an entry in the config's Rekor v1 log (signet
/// serve); `verify-bundle` then accepts the bundle for the token's identity
/// only, for a blob and for an in-toto statement.
#[test]
fn sign_bundle_signs_keylessly_and_verify_bundle_accepts_it() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let server = Server::start(&d.join("srv"), free_port());
    let ca = std::sync::Arc::new(signet_testkit::fulcio::TestCa::new());
    let fulcio = signet_testkit::fulcio::FakeFulcio::start(ca.clone());
    let config = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": [{"url": fulcio.url, "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}}],
        "rekorTlogUrls": [{"url": server.url, "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}}],
        "tsaUrls": [],
        "rekorTlogConfig": {"selector": "ANY"},
    });
    std::fs::write(d.join("signing.json"), config.to_string()).unwrap();
    let o = run(signet(d).args([
        "trusted-root",
        "create",
        "--tlog-url",
        &server.url,
        "-o",
        "log.json",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mut root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("log.json")).unwrap()).unwrap();
    ca.add_to(&mut root);
    std::fs::write(d.join("root.json"), root.to_string()).unwrap();
    let issuer = "https://oidc.example";
    let token = signet_testkit::fulcio::token(&serde_json::json!({
        "iss": issuer, "sub": "1234", "email": "signer@example.com", "aud": "sigstore"
    }));
    std::fs::write(d.join("a.txt"), b"artifact to sign\n").unwrap();
    let digest = format!(
        "sha256:{}",
        signet_crypto::digest::Digest::of(
            signet_crypto::digest::DigestAlgorithm::Sha256,
            b"artifact to sign\n"
        )
        .to_hex()
    );
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "a.txt", "digest": {"sha256": digest.trim_start_matches("sha256:")}}],
        "predicateType": "https://slsa.dev/provenance/v1", "predicate": {}
    });
    std::fs::write(d.join("statement.json"), statement.to_string()).unwrap();
    for (in_toto, input, bundle) in [
        (false, "a.txt", "a.sigstore.json"),
        (true, "statement.json", "st.sigstore.json"),
    ] {
        let mut cmd = signet(d);
        cmd.args(["conformance", "sign-bundle"]);
        if in_toto {
            cmd.arg("--in-toto");
        }
        let o = run(cmd.args([
            "--identity-token",
            &token,
            "--bundle",
            bundle,
            "--trusted-root",
            "root.json",
            "--signing-config",
            "signing.json",
            input,
        ]));
        assert_eq!(o.code, 0, "{}", o.stderr);
        let verify = |id: &str, artifact: &str| {
            run(signet(d).args([
                "conformance",
                "verify-bundle",
                "--bundle",
                bundle,
                "--certificate-identity",
                id,
                "--certificate-oidc-issuer",
                issuer,
                "--trusted-root",
                "root.json",
                artifact,
            ]))
        };
        for artifact in ["a.txt", digest.as_str()] {
            let o = verify("signer@example.com", artifact);
            assert_eq!(
                (o.code, o.stdout.as_str()),
                (0, "OK\n"),
                "{bundle} {artifact}: {}",
                o.stderr
            );
        }
        assert_eq!(verify("other@example.com", "a.txt").code, 1);
        assert_eq!(
            verify("signer@example.com", "statement.json").code,
            1,
            "{bundle}: wrong artifact"
        );
    }
    // `sign-blob --identity-token` is the same flow for users.
    let o = run(signet(d).args([
        "sign-blob",
        "--identity-token",
        &token,
        "--signing-config",
        "signing.json",
        "--bundle",
        "kb.json",
        "--output-signature",
        "kb.sig",
        "a.txt",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(d.join("kb.sig").exists());
    let o = run(signet(d).args([
        "verify-blob",
        "--bundle",
        "kb.json",
        "--trusted-root",
        "root.json",
        "--certificate-identity",
        "signer@example.com",
        "--certificate-oidc-issuer",
        issuer,
        "a.txt",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(d).args(["sign-blob", "--identity-token", &token, "a.txt"]));
    assert_eq!(o.code, 2, "keyless signing needs --bundle: {}", o.stderr);
    // A token the CA cannot use is a clear error, and nothing is written.
    let o = run(signet(d).args([
        "conformance",
        "sign-bundle",
        "--identity-token",
        "not-a-jwt",
        "--bundle",
        "x.json",
        "--signing-config",
        "signing.json",
        "a.txt",
    ]));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("not a JWT"), "{}", o.stderr);
    assert!(!d.join("x.json").exists());
}

/// Verification reads no network: inside a network namespace with no
/// interfaces (`unshare -n`), a keyless bundle with an expired certificate
/// (valid for ten minutes in 2024) verifies from the built-in root, its
/// time taken from the log's signed entry timestamp.
#[test]
fn verification_needs_no_network_and_no_wall_clock() {
    let probe = std::process::Command::new("unshare")
        .args(["-n", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        signet_testkit::missing(
            "unshare -n (util-linux, and the right to make a network namespace)",
        );
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("signet");
    let bundle = suite().join("happy-path-v0.3/bundle.sigstore.json");
    let o = run(assert_cmd::Command::new("unshare")
        .current_dir(t.path())
        .env("SIGNET_TUF_CACHE", t.path().join("no-cache"))
        .arg("-n")
        .arg(&bin)
        .args([
            "verify-blob",
            "--offline",
            "--bundle",
            bundle.to_str().unwrap(),
        ])
        .args([
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ])
        .arg(suite().join("a.txt")));
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "Verified OK\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("valid 2024-03-19T17:26:26Z to 2024-03-19T17:36:26Z"),
        "{}",
        o.stderr
    );
}
