//! Built only with `--features fips`: the FIPS module is active and a
//! sign/verify round trip works in FIPS mode (CI runs this).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns
#![cfg(feature = "fips")]

mod common;

use common::*;

#[test]
fn fips_mode_round_trip() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let o = run(signet(d).args(["version"]));
    assert!(o.stdout.contains("FIPS mode: on"), "{}", o.stdout);
    std::fs::write(d.join("f.zst"), vec![9u8; 6 << 20]).unwrap();
    for ty in ["ecdsa-p256", "ecdsa-p384"] {
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
            "f.sig.bin",
            "--bundle",
            "f.json",
            "f.zst",
        ]));
        assert_eq!(o.code, 0, "{ty}: {}", o.stderr);
        let o = run(signet(d).args([
            "verify-blob",
            "--key",
            &format!("{ty}.pub"),
            "--signature",
            "f.sig.bin",
            "f.zst",
        ]));
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (0, "Verified OK\n"),
            "{ty}: {}",
            o.stderr
        );
        let o = run(signet(d).args([
            "verify-blob",
            "--key",
            &format!("{ty}.pub"),
            "--bundle",
            "f.json",
            "f.zst",
        ]));
        assert_eq!(o.code, 0, "{ty}: {}", o.stderr);
        std::fs::write(d.join("g"), b"other").unwrap();
        let o = run(signet(d).args([
            "verify-blob",
            "--key",
            &format!("{ty}.pub"),
            "--signature",
            "f.sig.bin",
            "g",
        ]));
        assert_eq!(o.code, 1);
        if peer("openssl").is_some() {
            let dgst = if ty == "ecdsa-p256" {
                "-sha256"
            } else {
                "-sha384"
            };
            assert!(
                openssl_verifies(d, dgst, &format!("{ty}.pub"), "f.sig.bin", "f.zst"),
                "openssl rejects our {ty} signature made in FIPS mode"
            );
        }
    }
}
