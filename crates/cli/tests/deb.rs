//! debsigs signatures against Debian's own tools: debsig-verify accepts a
//! package `signet deb sign` signed (with a policy naming our key, in
//! private policy and keyring directories), and refuses it when altered;
//! `signet deb verify` accepts a package debsigs signed with gpg.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::path::Path;

use common::*;

#[test]
fn debsig_verify_accepts_our_signatures_and_we_accept_debsigs() {
    for tool in ["dpkg-deb", "debsig-verify", "debsigs", "gpg"] {
        if peer(tool).is_none() {
            return signet_testkit::missing("dpkg-deb, debsig-verify, debsigs and gpg");
        }
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let pkg = build_deb(d, "signet-deb_1.0_all.deb");
    let o = run(signet(d)
        .args([
            "generate-key-pair",
            "--type",
            "pgp",
            "--user-id",
            "Origin <origin@example.com>",
            "--output-key-prefix",
            "origin",
        ])
        .env("SIGNET_PASSWORD", "pw"));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(d).args([
        "deb",
        "verify",
        "--keyring",
        "origin.pub.asc",
        pkg.to_str().unwrap(),
    ]));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("no _gpgorigin"), "{}", o.stderr);
    let o = run(signet(d)
        .args([
            "deb",
            "sign",
            "--key",
            "origin.key.asc",
            pkg.to_str().unwrap(),
        ])
        .env("SIGNET_PASSWORD", "pw"));
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Signing twice replaces the signature.
    let o = run(signet(d)
        .args([
            "deb",
            "sign",
            "--key",
            "origin.key.asc",
            pkg.to_str().unwrap(),
        ])
        .env("SIGNET_PASSWORD", "pw"));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let members = sh(d, "ar", &["t", pkg.to_str().unwrap()]).stdout;
    assert_eq!(members.matches("_gpgorigin").count(), 1, "{members}");
    // dpkg still reads it.
    let o = sh(d, "dpkg-deb", &["--info", pkg.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(d).args([
        "deb",
        "verify",
        "--keyring",
        "origin.pub.asc",
        pkg.to_str().unwrap(),
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);

    // debsig-verify with a policy for our key, in private directories.
    let home = d.join("gnupg");
    std::fs::create_dir(&home).unwrap();
    let gpg = |args: &[&str]| signet_testkit::gpg(&home, args);
    assert!(
        gpg(&["--import", d.join("origin.pub.asc").to_str().unwrap()])
            .status
            .success()
    );
    let colons =
        String::from_utf8(gpg(&["--with-colons", "--list-keys", "origin@example.com"]).stdout)
            .unwrap();
    let fpr = colons
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .unwrap()
        .split(':')
        .nth(9)
        .unwrap()
        .to_owned();
    let kid = &fpr[24..];
    let (pol, keys) = (d.join("policies").join(kid), d.join("keyrings").join(kid));
    std::fs::create_dir_all(&pol).unwrap();
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::write(
        keys.join("origin.gpg"),
        gpg(&["--export", "origin@example.com"]).stdout,
    )
    .unwrap();
    std::fs::write(
        pol.join("origin.pol"),
        format!(
            r#"<?xml version="1.0"?>
<!DOCTYPE Policy SYSTEM "https://www.debian.org/debsig/1.0/policy.dtd">
<Policy xmlns="https://www.debian.org/debsig/1.0/">
  <Origin Name="signet" id="{kid}" Description="signet test origin"/>
  <Selection>
    <Required Type="origin" File="origin.gpg" id="{kid}"/>
  </Selection>
  <Verification MinOptional="0">
    <Required Type="origin" File="origin.gpg" id="{kid}"/>
  </Verification>
</Policy>
"#
        ),
    )
    .unwrap();
    let debsig = |p: &Path| {
        sh(
            d,
            "debsig-verify",
            &[
                "--policies-dir",
                d.join("policies").to_str().unwrap(),
                "--keyrings-dir",
                d.join("keyrings").to_str().unwrap(),
                p.to_str().unwrap(),
            ],
        )
    };
    let o = debsig(&pkg);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        format!("{}{}", o.stdout, o.stderr).contains("Verified package"),
        "{}{}",
        o.stdout,
        o.stderr
    );

    // Altered contents: both refuse.
    let mut bytes = std::fs::read(&pkg).unwrap();
    // A byte inside data.tar's contents (past its 60-byte member header).
    let data_at = bytes.windows(8).position(|w| w == b"data.tar").unwrap() + 60 + 20;
    bytes[data_at] ^= 0x20;
    let evil = d.join("evil.deb");
    std::fs::write(&evil, &bytes).unwrap();
    let o = debsig(&evil);
    assert_ne!(
        o.code, 0,
        "debsig-verify accepted an altered package: {}",
        o.stdout
    );
    let o = run(signet(d).args([
        "deb",
        "verify",
        "--keyring",
        "origin.pub.asc",
        evil.to_str().unwrap(),
    ]));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("BAD signature"), "{}", o.stderr);

    // debsigs (gpg) signs; we verify against gpg's export.
    assert!(
        gpg(&[
            "--quick-gen-key",
            "Maint <maint@example.com>",
            "ed25519",
            "sign",
            "never"
        ])
        .status
        .success()
    );
    let theirs = build_deb(d, "theirs.deb");
    let o = std::process::Command::new("debsigs")
        .env("GNUPGHOME", &home)
        .args([
            "--sign=origin",
            "--default-key=maint@example.com",
            theirs.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "debsigs: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(
        d.join("maint.gpg"),
        gpg(&["--export", "maint@example.com"]).stdout,
    )
    .unwrap();
    let o = run(signet(d).args([
        "deb",
        "verify",
        "--keyring",
        "maint.gpg",
        theirs.to_str().unwrap(),
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(d).args([
        "deb",
        "verify",
        "--keyring",
        "origin.pub.asc",
        theirs.to_str().unwrap(),
    ]));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("not in the keyring"), "{}", o.stderr);

    // Junk: a clear error, nothing written.
    std::fs::write(d.join("junk.deb"), b"!<arch>\nshort").unwrap();
    let o = run(signet(d)
        .args(["deb", "sign", "--key", "origin.key.asc", "junk.deb"])
        .env("SIGNET_PASSWORD", "pw"));
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("Debian package"), "{}", o.stderr);
    assert_eq!(
        std::fs::read(d.join("junk.deb")).unwrap(),
        b"!<arch>\nshort"
    );
}
