//! Interop with real peers: openssl, an independent Python (PyNaCl)
//! implementation of cosign's key envelope, and SoftHSM2 over PKCS#11.
//! Each test needs its peer; under CI a missing peer fails the test.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::path::Path;

use common::*;

fn openssl(dir: &Path, args: &[&str]) -> Out {
    let o = sh(dir, "openssl", args);
    assert_eq!(o.code, 0, "openssl {args:?}: {}", o.stderr);
    o
}

#[test]
fn openssl_accepts_our_signatures() {
    if peer("openssl").is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("pack.tar.zst"), vec![7u8; 3 * 1024 * 1024 + 17]).unwrap();
    for (ty, dgst) in [("ecdsa-p256", "-sha256"), ("ecdsa-p384", "-sha384")] {
        let o = run(signet(d).env("SIGNET_PASSWORD", "pw").args([
            "generate-key-pair",
            "--type",
            ty,
            "--output-key-prefix",
            ty,
        ]));
        assert_eq!(o.code, 0, "{}", o.stderr);
        let o = run(signet(d).env("SIGNET_PASSWORD", "pw").args([
            "sign-blob",
            "--key",
            &format!("{ty}.key"),
            "--output-signature",
            "pack.tar.sig.bin",
            "pack.tar.zst",
        ]));
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(
            openssl_verifies(
                d,
                dgst,
                &format!("{ty}.pub"),
                "pack.tar.sig.bin",
                "pack.tar.zst"
            ),
            "{ty}"
        );
        // And openssl rejects it for other content.
        std::fs::write(d.join("other"), b"x").unwrap();
        assert!(!openssl_verifies(
            d,
            dgst,
            &format!("{ty}.pub"),
            "pack.tar.sig.bin",
            "other"
        ));
    }
}

#[test]
fn openssl_keys_and_signatures_work_with_signet() {
    if peer("openssl").is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("f.iso"), b"an iso image, more or less").unwrap();
    let keys: &[(&str, &[&str])] = &[
        (
            "sec1.pem",
            &[
                "ecparam",
                "-genkey",
                "-name",
                "prime256v1",
                "-out",
                "sec1.pem",
            ],
        ),
        (
            "pkcs8.pem",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "pkcs8.pem",
            ],
        ),
        (
            "enc.pem",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-aes-256-cbc",
                "-pass",
                "pass:secret",
                "-out",
                "enc.pem",
            ],
        ),
    ];
    for (key, gen_args) in keys {
        openssl(d, gen_args);
        let pass: &[&str] = if *key == "enc.pem" {
            &["-passin", "pass:secret"]
        } else {
            &[]
        };
        let mut a = vec!["pkey", "-in", key, "-pubout", "-out", "pub.pem"];
        a.extend_from_slice(pass);
        openssl(d, &a);
        // openssl signs, signet verifies (DER and base64).
        let mut a = vec!["dgst", "-sha256", "-sign", key, "-out", "f.sig.bin"];
        a.extend_from_slice(pass);
        a.push("f.iso");
        openssl(d, &a);
        let o = run(signet(d).args([
            "verify-blob",
            "--key",
            "pub.pem",
            "--signature",
            "f.sig.bin",
            "f.iso",
        ]));
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (0, "Verified OK\n"),
            "{key}: {}",
            o.stderr
        );
        let o = openssl(d, &["base64", "-A", "-in", "f.sig.bin"]);
        std::fs::write(d.join("f.sig"), o.stdout).unwrap();
        let o = run(signet(d).args([
            "verify-blob",
            "--key",
            "pub.pem",
            "--signature",
            "f.sig",
            "f.iso",
        ]));
        assert_eq!(o.code, 0, "{key}: {}", o.stderr);
        // signet signs with the openssl key file directly; openssl verifies.
        let o = run(signet(d).env("SIGNET_PASSWORD", "secret").args([
            "sign-blob",
            "--key",
            key,
            "--output-signature",
            "ours.sig.bin",
            "f.iso",
        ]));
        assert_eq!(o.code, 0, "{key}: {}", o.stderr);
        assert!(openssl_verifies(
            d,
            "-sha256",
            "pub.pem",
            "ours.sig.bin",
            "f.iso"
        ));
        // import-key-pair converts it; the public key is unchanged.
        let o = run(signet(d)
            .env("SIGNET_IMPORT_PASSWORD", "secret")
            .env("SIGNET_PASSWORD", "new")
            .args(["import-key-pair", "--key", key, "-o", "imported", "--force"]));
        assert_eq!(o.code, 0, "{key}: {}", o.stderr);
        let expected = openssl(d, &["pkey", "-pubin", "-in", "pub.pem"]).stdout;
        assert_eq!(
            std::fs::read_to_string(d.join("imported.pub")).unwrap(),
            expected,
            "{key}"
        );
    }
    // A wrong password on an openssl-encrypted key is reported as such.
    let o = run(signet(d).env("SIGNET_PASSWORD", "not-it").args([
        "sign-blob",
        "--key",
        "enc.pem",
        "f.iso",
    ]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("wrong password"), "{}", o.stderr);

    // Ed25519 from openssl genpkey: signed over the raw message (pkeyutl -rawin).
    openssl(d, &["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"]);
    openssl(d, &["pkey", "-in", "ed.pem", "-pubout", "-out", "ed.pub"]);
    openssl(
        d,
        &[
            "pkeyutl", "-sign", "-rawin", "-inkey", "ed.pem", "-in", "f.iso", "-out", "ed.sig",
        ],
    );
    let o = run(signet(d).args([
        "verify-blob",
        "--key",
        "ed.pub",
        "--signature",
        "ed.sig",
        "f.iso",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
}

fn python_with_nacl() -> Option<&'static str> {
    peer("python3")?;
    let ok = std::process::Command::new("python3")
        .args(["-c", "import nacl.secret"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(!under_ci(), "PyNaCl is required under CI");
        eprintln!("SKIP: PyNaCl not installed (pip install pynacl)");
        return None;
    }
    Some("python3")
}

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/cosign_envelope.py"
);

#[test]
fn independent_envelope_implementation_agrees() {
    let Some(py) = python_with_nacl() else { return };
    if peer("openssl").is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keypair(d, "k");
    // Python opens our key; the key inside matches our public key.
    let o = sh(d, py, &[SCRIPT, "decrypt", "k.key", "pw", "k.der"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("\"N\": 65536"), "{}", o.stdout);
    assert!(o.stdout.contains("ENCRYPTED SIGSTORE PRIVATE KEY"));
    let derived = openssl(d, &["pkey", "-inform", "DER", "-in", "k.der", "-pubout"]).stdout;
    assert_eq!(derived, std::fs::read_to_string(d.join("k.pub")).unwrap());
    // A wrong password fails in Python too.
    assert_ne!(
        sh(d, py, &[SCRIPT, "decrypt", "k.key", "px", "x.der"]).code,
        0
    );
    // Python writes keys with every accepted cost and both labels; signet loads them.
    for (log2n, label) in [
        ("15", "ENCRYPTED COSIGN PRIVATE KEY"),
        ("16", "ENCRYPTED SIGSTORE PRIVATE KEY"),
        ("17", "ENCRYPTED SIGSTORE PRIVATE KEY"),
    ] {
        let o = sh(
            d,
            py,
            &[SCRIPT, "encrypt", "k.der", "py-pw", "py.key", log2n, label],
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        let o =
            run(signet(d)
                .env("SIGNET_PASSWORD", "py-pw")
                .args(["public-key", "--key", "py.key"]));
        assert_eq!(o.code, 0, "N=2^{log2n}: {}", o.stderr);
        assert_eq!(o.stdout, derived);
    }
    // Other costs are refused with the reason.
    let o = sh(
        d,
        py,
        &[
            SCRIPT,
            "encrypt",
            "k.der",
            "py-pw",
            "py.key",
            "14",
            "ENCRYPTED SIGSTORE PRIVATE KEY",
        ],
    );
    assert_eq!(o.code, 0);
    let o = run(signet(d)
        .env("SIGNET_PASSWORD", "py-pw")
        .args(["public-key", "--key", "py.key"]));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unsupported scrypt parameters"),
        "{}",
        o.stderr
    );
}

#[test]
fn softhsm_key_signs_through_pkcs11_uri() {
    if peer("openssl").is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let Some((module, conf)) = softhsm_token(d, "release") else {
        return;
    };
    std::fs::write(d.join("f.zst"), vec![3u8; 5 << 20]).unwrap();
    let uri = format!("pkcs11:token=signet;object=release?module-path={module}");
    let o = run(signet(d).env("SOFTHSM2_CONF", &conf).args([
        "public-key",
        "--key",
        &uri,
        "--output-file",
        "hsm.pub",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(d).env("SOFTHSM2_CONF", &conf).args([
        "sign-blob",
        "--key",
        &format!("{uri}&pin-value=1234"),
        "--output-signature",
        "f.sig.bin",
        "f.zst",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(openssl_verifies(
        d,
        "-sha256",
        "hsm.pub",
        "f.sig.bin",
        "f.zst"
    ));
    // The PIN may come from the environment; the URI with id= works too.
    let o = run(signet(d)
        .env("SOFTHSM2_CONF", &conf)
        .env("SIGNET_PKCS11_PIN", "1234")
        .args([
            "sign-blob",
            "--key",
            &format!("pkcs11:token=signet;id=%01?module-path={module}"),
            "f.zst",
        ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    // verify-blob straight from the token.
    let o = run(signet(d).env("SOFTHSM2_CONF", &conf).args([
        "verify-blob",
        "--key",
        &uri,
        "--signature",
        "f.sig.bin",
        "f.zst",
    ]));
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "Verified OK\n"),
        "{}",
        o.stderr
    );
    // Wrong PIN and unknown objects are clear errors.
    let o = run(signet(d).env("SOFTHSM2_CONF", &conf).args([
        "sign-blob",
        "--key",
        &format!("{uri}&pin-value=9999"),
        "f.zst",
    ]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("wrong PIN"), "{}", o.stderr);
    let o = run(signet(d).env("SOFTHSM2_CONF", &conf).args([
        "sign-blob",
        "--key",
        &format!("pkcs11:token=signet;object=nope?module-path={module}&pin-value=1234"),
        "f.zst",
    ]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no private key matches"), "{}", o.stderr);
    assert!(
        !o.stderr.contains("1234"),
        "the PIN never appears in messages"
    );
}
