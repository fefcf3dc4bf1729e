//! sign-blob and verify-blob: formats, bundles, failures.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::*;

fn setup() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    keypair(t.path(), "k");
    std::fs::write(t.path().join("pack.tar.zst"), b"some bundle bytes").unwrap();
    t
}

fn sign(t: &tempfile::TempDir, extra: &[&str]) -> Out {
    let mut args = vec!["sign-blob", "--key", "k.key"];
    args.extend_from_slice(extra);
    args.push("pack.tar.zst");
    run(signet(t.path()).env("SIGNET_PASSWORD", "pw").args(&args))
}

fn verify(t: &tempfile::TempDir, extra: &[&str], file: &str) -> Out {
    let mut args = vec!["verify-blob", "--key", "k.pub"];
    args.extend_from_slice(extra);
    args.push(file);
    run(signet(t.path()).args(&args))
}

#[test]
fn stdout_is_base64_and_file_formats_follow_the_name() {
    let t = setup();
    let o = sign(&t, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let sig = signet_types::b64::decode(o.stdout.trim()).unwrap();
    assert_eq!(sig[0], 0x30, "DER inside the base64");
    assert!(o.stdout.ends_with('\n'));

    assert_eq!(
        sign(&t, &["--output-signature", "pack.tar.sig.bin"]).code,
        0
    );
    let der = std::fs::read(t.path().join("pack.tar.sig.bin")).unwrap();
    assert_eq!(der[0], 0x30, ".sig.bin is raw DER");

    assert_eq!(sign(&t, &["--output-signature", "pack.sig"]).code, 0);
    let text = std::fs::read_to_string(t.path().join("pack.sig")).unwrap();
    assert!(!text.ends_with('\n'), "cosign writes no newline to files");
    assert!(signet_types::b64::decode(&text).is_ok());

    assert_eq!(
        sign(
            &t,
            &[
                "--output-signature",
                "forced.sig",
                "--signature-format",
                "der"
            ]
        )
        .code,
        0
    );
    assert_eq!(std::fs::read(t.path().join("forced.sig")).unwrap()[0], 0x30);

    for sig in ["pack.tar.sig.bin", "pack.sig", "forced.sig"] {
        let o = verify(&t, &["--signature", sig], "pack.tar.zst");
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (0, "Verified OK\n"),
            "{sig}: {}",
            o.stderr
        );
    }
    // The base64 string itself is accepted too, as cosign does.
    let o = verify(&t, &["--signature", &text], "pack.tar.zst");
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn stdin_and_empty_files() {
    let t = setup();
    std::fs::write(t.path().join("empty"), b"").unwrap();
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "k.key",
        "--output-signature",
        "empty.sig",
        "empty",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(verify(&t, &["--signature", "empty.sig"], "empty").code, 0);
    let o = run(signet(t.path())
        .args([
            "verify-blob",
            "--key",
            "k.pub",
            "--signature",
            "empty.sig",
            "-",
        ])
        .write_stdin(""));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(t.path())
        .args([
            "verify-blob",
            "--key",
            "k.pub",
            "--signature",
            "empty.sig",
            "-",
        ])
        .write_stdin("x"));
    assert_eq!(o.code, 1);
}

#[test]
fn failures_exit_one_with_a_reason() {
    let t = setup();
    assert_eq!(sign(&t, &["--output-signature", "s.sig.bin"]).code, 0);
    std::fs::write(t.path().join("other"), b"some bundle byteS").unwrap();
    let o = verify(&t, &["--signature", "s.sig.bin"], "other");
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("signature"), "{}", o.stderr);
    assert!(!o.stdout.contains("Verified OK"));

    // Another key of the same curve, and a key of another curve.
    keypair(t.path(), "other");
    let o = run(signet(t.path()).args([
        "verify-blob",
        "--key",
        "other.pub",
        "--signature",
        "s.sig.bin",
        "pack.tar.zst",
    ]));
    assert_eq!(o.code, 1);
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "pw").args([
        "generate-key-pair",
        "--type",
        "ecdsa-p384",
        "--output-key-prefix",
        "p384",
    ]));
    assert_eq!(o.code, 0);
    let o = run(signet(t.path()).args([
        "verify-blob",
        "--key",
        "p384.pub",
        "--signature",
        "s.sig.bin",
        "pack.tar.zst",
    ]));
    assert_eq!(o.code, 1, "{}", o.stderr);

    // Truncated and non-DER signatures.
    let der = std::fs::read(t.path().join("s.sig.bin")).unwrap();
    std::fs::write(t.path().join("trunc.sig.bin"), &der[..der.len() - 5]).unwrap();
    let o = verify(&t, &["--signature", "trunc.sig.bin"], "pack.tar.zst");
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("not a DER-encoded ECDSA signature"),
        "{}",
        o.stderr
    );
    std::fs::write(t.path().join("junk.sig"), b"hello world, not a signature").unwrap();
    let o = verify(&t, &["--signature", "junk.sig"], "pack.tar.zst");
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("malformed signature"), "{}", o.stderr);
    std::fs::write(t.path().join("empty.sig"), b"").unwrap();
    let o = verify(&t, &["--signature", "empty.sig"], "pack.tar.zst");
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("empty"), "{}", o.stderr);

    // Unreadable inputs are errors (2), naming the file.
    let o = verify(&t, &["--signature", "s.sig.bin"], "no-such-file");
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no-such-file"), "{}", o.stderr);
    let o = verify(&t, &["--signature", "s.sig.bin"], ".");
    assert_eq!(o.code, 2, "a directory is not a file: {}", o.stderr);
}

#[test]
fn bundles_round_trip_and_bind_the_digest() {
    let t = setup();
    let o = sign(&t, &["--bundle", "pack.sigstore.json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "", "bundle only: nothing on stdout");
    let text = std::fs::read_to_string(t.path().join("pack.sigstore.json")).unwrap();
    let bundle = signet_types::bundle::Bundle::from_json(text.as_bytes()).unwrap();
    assert_eq!(
        bundle.media_type,
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let ms = bundle.message_signature.as_ref().unwrap();
    let md = ms.message_digest.as_ref().unwrap();
    assert_eq!(md.algorithm, "SHA2_256");
    assert_eq!(
        md.digest,
        signet_crypto::digest::Digest::of(
            signet_crypto::digest::DigestAlgorithm::Sha256,
            b"some bundle bytes"
        )
        .as_bytes()
    );
    let pem = std::fs::read(t.path().join("k.pub")).unwrap();
    let key = signet_crypto::PublicKey::from_pem(&pem).unwrap();
    assert_eq!(
        bundle
            .verification_material
            .public_key
            .as_ref()
            .unwrap()
            .hint,
        key.key_hint()
    );

    let o = verify(&t, &["--bundle", "pack.sigstore.json"], "pack.tar.zst");
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "Verified OK\n"),
        "{}",
        o.stderr
    );

    // A bundle whose digest claims other content fails, even with a good signature.
    let mut other = bundle.clone();
    other
        .message_signature
        .as_mut()
        .unwrap()
        .message_digest
        .as_mut()
        .unwrap()
        .digest[0] ^= 1;
    std::fs::write(t.path().join("bad.json"), other.to_json_pretty()).unwrap();
    let o = verify(&t, &["--bundle", "bad.json"], "pack.tar.zst");
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("digest"), "{}", o.stderr);

    // Malformed bundles are errors with the parser's reason.
    std::fs::write(t.path().join("broken.json"), &text[..text.len() / 2]).unwrap();
    let o = verify(&t, &["--bundle", "broken.json"], "pack.tar.zst");
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not JSON"), "{}", o.stderr);
    let unknown = text.replace("bundle.v0.3+json", "bundle.v9+json");
    std::fs::write(t.path().join("unknown.json"), unknown).unwrap();
    let o = verify(&t, &["--bundle", "unknown.json"], "pack.tar.zst");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unsupported bundle media type"),
        "{}",
        o.stderr
    );
}

#[test]
fn p384_bundles_carry_and_verify_a_sha384_digest() {
    let t = setup();
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "pw").args([
        "generate-key-pair",
        "--type",
        "ecdsa-p384",
        "--output-key-prefix",
        "p384",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "p384.key",
        "--bundle",
        "p384.json",
        "pack.tar.zst",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read(t.path().join("p384.json")).unwrap();
    let bundle = signet_types::bundle::Bundle::from_json(&text).unwrap();
    let md = bundle.message_signature.as_ref().unwrap();
    assert_eq!(md.message_digest.as_ref().unwrap().algorithm, "SHA2_384");
    let ok = |file: &str| {
        run(signet(t.path()).args([
            "verify-blob",
            "--key",
            "p384.pub",
            "--bundle",
            "p384.json",
            file,
        ]))
    };
    let o = ok("pack.tar.zst");
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "Verified OK\n"),
        "{}",
        o.stderr
    );
    std::fs::write(t.path().join("other"), b"other bytes").unwrap();
    let o = ok("other");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("digest"), "{}", o.stderr);
}

#[test]
fn managed_key_legacy_vectors_verify() {
    let t = tempfile::tempdir().unwrap();
    let dir = vector("sigstore-conformance/derived/managed-key-legacy");
    let d = |f: &str| dir.join(f).to_string_lossy().into_owned();
    for sig in ["a.txt.sig", "a.txt.sig.bin"] {
        let o = run(signet(t.path()).args([
            "verify-blob",
            "--key",
            &d("key.pub"),
            "--signature",
            &d(sig),
            &d("a.txt"),
        ]));
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (0, "Verified OK\n"),
            "{sig}: {}",
            o.stderr
        );
    }
    // The legacy bundle carries a public-good Rekor entry: checked offline
    // against the built-in public-good root by default (SET), refused
    // against a root that does not name the log, never silently passed.
    let o = run(signet(t.path()).args([
        "verify-blob",
        "--key",
        &d("key.pub"),
        "--bundle",
        &d("a.txt.bundle"),
        &d("a.txt"),
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("in https://rekor.sigstore.dev verified offline"),
        "{}",
        o.stderr
    );
    let o = run(signet(t.path()).args([
        "verify-blob",
        "--key",
        &d("key.pub"),
        "--bundle",
        &d("a.txt.bundle"),
        "--staging",
        &d("a.txt"),
    ]));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("--insecure-ignore-tlog"), "{}", o.stderr);
    let o = run(signet(t.path()).args([
        "verify-blob",
        "--key",
        &d("key.pub"),
        "--bundle",
        &d("a.txt.bundle"),
        "--insecure-ignore-tlog",
        &d("a.txt"),
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The conformance v0.3 bundle of the same signature, tlog ignored.
    let v3 = vector(
        "sigstore-conformance/assets/bundle-verify/managed-key-happy-path/bundle.sigstore.json",
    );
    let o = run(signet(t.path()).args([
        "verify-blob",
        "--key",
        &d("key.pub"),
        "--bundle",
        v3.to_str().unwrap(),
        "--insecure-ignore-tlog",
        &d("a.txt"),
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Against other content the same evidence fails.
    std::fs::write(t.path().join("b.txt"), b"not a.txt").unwrap();
    let o = run(signet(t.path()).args([
        "verify-blob",
        "--key",
        &d("key.pub"),
        "--signature",
        &d("a.txt.sig"),
        "b.txt",
    ]));
    assert_eq!(o.code, 1);
}
