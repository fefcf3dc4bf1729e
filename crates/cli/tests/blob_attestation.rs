//! `signet attest-blob` / `verify-blob-attestation`: a statement about a
//! file, as a DSSE envelope and a bundle; openssl checks the envelope's
//! signature over DSSE's pre-authentication encoding.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use base64::Engine;
use common::*;
use serde_json::Value;

#[test]
fn attest_a_file_and_verify_it() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    keypair(dir, "k1");
    keypair(dir, "k2");
    std::fs::write(dir.join("pack.tar.zst"), b"the release").unwrap();
    std::fs::write(dir.join("other.zst"), b"something else").unwrap();
    std::fs::write(
        dir.join("prov.json"),
        br#"{"buildDefinition":{"buildType":"x"}}"#,
    )
    .unwrap();
    let o = run(signet(dir).env("SIGNET_PASSWORD", "pw").args([
        "attest-blob",
        "--key",
        "k1.key",
        "--type",
        "slsaprovenance1",
        "--predicate",
        "prov.json",
        "--output-signature",
        "pack.intoto.json",
        "--bundle",
        "pack.bundle.json",
        "pack.tar.zst",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let env: Value =
        serde_json::from_slice(&std::fs::read(dir.join("pack.intoto.json")).unwrap()).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    let st: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(st["subject"][0]["name"], "pack.tar.zst");
    assert_eq!(st["predicateType"], "https://slsa.dev/provenance/v1");
    // openssl checks the signature over PAE(payloadType, payload).
    std::fs::write(
        dir.join("pae.bin"),
        signet_types::dsse::pae("application/vnd.in-toto+json", &payload),
    )
    .unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(env["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    std::fs::write(dir.join("pae.sig.bin"), sig).unwrap();
    if peer("openssl").is_some() {
        assert!(openssl_verifies(
            dir,
            "-sha256",
            "k1.pub",
            "pae.sig.bin",
            "pae.bin"
        ));
    }
    let verify = |args: &[&str]| run(signet(dir).arg("verify-blob-attestation").args(args));
    for evidence in [
        ["--signature", "pack.intoto.json"],
        ["--bundle", "pack.bundle.json"],
    ] {
        let mut a = vec!["--key", "k1.pub", "--type", "slsaprovenance1"];
        a.extend(evidence);
        a.push("pack.tar.zst");
        let o = verify(&a);
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    for (key, kind, file) in [
        ("k2.pub", "slsaprovenance1", "pack.tar.zst"),
        ("k1.pub", "spdxjson", "pack.tar.zst"),
        ("k1.pub", "slsaprovenance1", "other.zst"),
    ] {
        let o = verify(&[
            "--key",
            key,
            "--type",
            kind,
            "--signature",
            "pack.intoto.json",
            file,
        ]);
        assert_eq!(o.code, 1, "{key} {kind} {file}: {}", o.stderr);
    }
    std::fs::write(dir.join("junk.json"), b"{not json").unwrap();
    let o = verify(&[
        "--key",
        "k1.pub",
        "--signature",
        "junk.json",
        "pack.tar.zst",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("not a DSSE envelope"), "{}", o.stderr);
}

/// `signet provenance` in a (simulated) GitHub Actions run, fed to
/// `attest-blob --type slsaprovenance1`; outside CI a clear error.
#[test]
fn provenance_from_the_ci_environment() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let o = run(signet(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .arg("provenance"));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("not running in a CI system"),
        "{}",
        o.stderr
    );
    let o = run(signet(dir)
        .envs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "org/app"),
            ("GITHUB_SHA", "0123abcd"),
            ("GITHUB_REF", "refs/tags/v1.0"),
            (
                "GITHUB_WORKFLOW_REF",
                "org/app/.github/workflows/release.yml@refs/tags/v1.0",
            ),
            ("GITHUB_RUN_ID", "7"),
        ])
        .args(["provenance", "-o", "prov.json"]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let p: Value = serde_json::from_slice(&std::fs::read(dir.join("prov.json")).unwrap()).unwrap();
    assert_eq!(
        p["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"],
        "0123abcd"
    );
    keypair(dir, "k1");
    std::fs::write(dir.join("a.zst"), b"artifact").unwrap();
    let o = run(signet(dir).env("SIGNET_PASSWORD", "pw").args([
        "attest-blob",
        "--key",
        "k1.key",
        "--type",
        "slsaprovenance1",
        "--predicate",
        "prov.json",
        "--bundle",
        "a.bundle.json",
        "a.zst",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(dir).args([
        "verify-blob-attestation",
        "--key",
        "k1.pub",
        "--type",
        "slsaprovenance1",
        "--bundle",
        "a.bundle.json",
        "a.zst",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
}
