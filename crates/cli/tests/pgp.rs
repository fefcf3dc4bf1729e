//! OpenPGP through the CLI: `generate-key-pair --type pgp`,
//! `sign-blob --pgp-key` (detached and clearsigned) and
//! `verify-blob --keyring`, against GnuPG in both directions.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use common::*;
use signet_testkit::gpg;

#[test]
fn pgp_keys_sign_and_verify_with_gpg_both_ways() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let home = tempfile::tempdir().unwrap();
    let gh = home.path();
    for (algo, prefix) in [("ed25519", "ed"), ("rsa3072", "rsa")] {
        let out = run(signet(dir)
            .args([
                "generate-key-pair",
                "--type",
                "pgp",
                "--pgp-algorithm",
                algo,
            ])
            .args([
                "--user-id",
                "Release <release@example.com>",
                "--output-key-prefix",
                prefix,
            ])
            .env("SIGNET_PASSWORD", "pw"));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let secret = dir.join(format!("{prefix}.key.asc"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Not overwritten without --force.
        let again = run(signet(dir)
            .args([
                "generate-key-pair",
                "--type",
                "pgp",
                "--output-key-prefix",
                prefix,
            ])
            .env("SIGNET_PASSWORD", "pw"));
        assert_ne!(again.code, 0);
        assert!(again.stderr.contains("--force"), "{}", again.stderr);

        std::fs::write(dir.join("bundle.zst"), vec![3u8; 1 << 20]).unwrap();
        let asc = format!("{prefix}.asc");
        let out = run(signet(dir)
            .args(["sign-blob", "--pgp-key", &format!("{prefix}.key.asc")])
            .args(["--output-signature", &asc, "bundle.zst"])
            .env("SIGNET_PASSWORD", "pw"));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let pubkey = dir.join(format!("{prefix}.pub.asc"));
        assert!(
            gpg(gh, &["--import", pubkey.to_str().unwrap()])
                .status
                .success()
        );
        let v = gpg(
            gh,
            &[
                "--verify",
                dir.join(&asc).to_str().unwrap(),
                dir.join("bundle.zst").to_str().unwrap(),
            ],
        );
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
        // Ours verifies it too; then altered data fails with the key named.
        let ok = run(signet(dir)
            .args(["verify-blob", "--keyring", &format!("{prefix}.pub.asc")])
            .args(["--signature", &asc, "bundle.zst"]));
        assert_eq!(ok.code, 0, "{}", ok.stderr);
        assert!(ok.stdout.contains("Verified OK"));
        std::fs::write(dir.join("bundle.zst"), vec![4u8; 1 << 20]).unwrap();
        let bad = run(signet(dir)
            .args(["verify-blob", "--keyring", &format!("{prefix}.pub.asc")])
            .args(["--signature", &asc, "bundle.zst"]));
        assert_eq!(bad.code, 1, "{}", bad.stderr);
        assert!(
            bad.stderr.contains("BAD signature from key"),
            "{}",
            bad.stderr
        );

        // Wrong passphrase: a clear error, no signature file.
        let out = run(signet(dir)
            .args(["sign-blob", "--pgp-key", &format!("{prefix}.key.asc")])
            .args(["--output-signature", "never.asc", "bundle.zst"])
            .env("SIGNET_PASSWORD", "nope"));
        assert_ne!(out.code, 0);
        assert!(out.stderr.contains("passphrase"), "{}", out.stderr);
        assert!(!dir.join("never.asc").exists());
    }

    // Clearsigned, verified by gpg, and back.
    std::fs::write(
        dir.join("Release"),
        "Origin: signet\nSuite: stable\nComponents: main\n",
    )
    .unwrap();
    let out = run(signet(dir)
        .args([
            "sign-blob",
            "--pgp-key",
            "ed.key.asc",
            "--clearsign",
            "--output-signature",
            "InRelease",
            "Release",
        ])
        .env("SIGNET_PASSWORD", "pw"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        gpg(gh, &["--verify", dir.join("InRelease").to_str().unwrap()])
            .status
            .success()
    );
    let out = run(signet(dir).args([
        "verify-blob",
        "--keyring",
        "ed.pub.asc",
        "--clearsigned",
        "--output-text",
        "text",
        "InRelease",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        std::fs::read_to_string(dir.join("text"))
            .unwrap()
            .contains("Suite: stable")
    );

    // gpg signs, we verify against its binary export; a key not in the
    // ring is refused with its ID.
    assert!(
        gpg(
            gh,
            &[
                "--quick-gen-key",
                "Gpg <gpg@example.com>",
                "ed25519",
                "sign",
                "never"
            ]
        )
        .status
        .success()
    );
    let export = gpg(gh, &["--export", "gpg@example.com"]).stdout;
    std::fs::write(dir.join("gpg.kbx.pub"), export).unwrap();
    let sig = dir.join("gpg.sig");
    assert!(
        gpg(
            gh,
            &[
                "--local-user",
                "gpg@example.com",
                "--output",
                sig.to_str().unwrap(),
                "--detach-sign",
                dir.join("Release").to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    let ok = run(signet(dir).args([
        "verify-blob",
        "--keyring",
        "gpg.kbx.pub",
        "--signature",
        "gpg.sig",
        "Release",
    ]));
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let unknown = run(signet(dir).args([
        "verify-blob",
        "--keyring",
        "ed.pub.asc",
        "--signature",
        "gpg.sig",
        "Release",
    ]));
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("not in the keyring"),
        "{}",
        unknown.stderr
    );
    // A malformed keyring.
    std::fs::write(
        dir.join("junk.asc"),
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n@@@\n-----END PGP PUBLIC KEY BLOCK-----\n",
    )
    .unwrap();
    let junk = run(signet(dir).args([
        "verify-blob",
        "--keyring",
        "junk.asc",
        "--signature",
        "gpg.sig",
        "Release",
    ]));
    assert_ne!(junk.code, 0);
    assert!(junk.stderr.contains("keyring junk.asc"), "{}", junk.stderr);
    assert!(!junk.stderr.contains("panicked"));
}

/// A key gpg made in 2020 that expired a day later: its signature from
/// that day is refused now (exit 1, the key and the date named), and so is
/// an InRelease it signed; lifting the expiry makes both verify.
#[test]
fn expired_pgp_keys_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let home = tempfile::tempdir().unwrap();
    let gh = home.path();
    let ok = |args: &[&str]| {
        let o = gpg(gh, args);
        assert!(
            o.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    let uid = "old@example.com";
    ok(&[
        "--faked-system-time",
        "20200101T000000",
        "--quick-gen-key",
        uid,
        "ed25519",
        "sign",
        "1d",
    ]);
    std::fs::write(dir.join("notes.txt"), "released on the first\n").unwrap();
    ok(&[
        "--faked-system-time",
        "20200101T120000",
        "-u",
        uid,
        "--output",
        dir.join("notes.txt.sig").to_str().unwrap(),
        "--detach-sign",
        dir.join("notes.txt").to_str().unwrap(),
    ]);
    std::fs::write(dir.join("old.pub"), ok(&["--export", uid])).unwrap();
    let verify = || {
        run(signet(dir).args([
            "verify-blob",
            "--keyring",
            "old.pub",
            "--signature",
            "notes.txt.sig",
            "notes.txt",
        ]))
    };
    let refused = verify();
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("expired on 2020-01-02"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("panicked"));
    let colons = String::from_utf8(ok(&["--with-colons", "--list-keys", uid])).unwrap();
    let fpr = colons
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_owned();
    ok(&["--quick-set-expire", &fpr, "0"]);
    std::fs::write(dir.join("old.pub"), ok(&["--export", uid])).unwrap();
    let accepted = verify();
    assert_eq!(accepted.code, 0, "{}", accepted.stderr);
}
