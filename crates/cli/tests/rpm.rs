//! RPM header signatures against the real rpm 4.18 (Debian's `rpm`):
//! `rpmkeys --checksig` accepts packages `signet rpm sign` signed (Ed25519
//! and RSA keys) after `rpmkeys --import`, and rejects them when altered;
//! `signet rpm verify` accepts a package `rpmsign` signed with gpg.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::path::Path;

use common::*;

#[test]
fn rpm_checksig_accepts_our_signatures_and_we_accept_rpmsign() {
    for tool in ["rpmbuild", "rpmkeys", "rpmsign", "gpg"] {
        if peer(tool).is_none() {
            return signet_testkit::missing("rpm (rpmbuild, rpmkeys, rpmsign) and gpg");
        }
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let built = build_rpm(d);
    let db = d.join("rpmdb");
    std::fs::create_dir(&db).unwrap();
    let dbpath = db.to_str().unwrap();
    let checksig = |pkg: &Path| {
        sh(
            d,
            "rpmkeys",
            &[
                "--dbpath",
                dbpath,
                "--checksig",
                "-v",
                pkg.to_str().unwrap(),
            ],
        )
    };

    for (algo, prefix, header) in [("ed25519", "ed", "EdDSA"), ("rsa3072", "rsa", "RSA")] {
        let o = run(signet(d)
            .args([
                "generate-key-pair",
                "--type",
                "pgp",
                "--pgp-algorithm",
                algo,
            ])
            .args([
                "--user-id",
                "Packager <pkg@example.com>",
                "--output-key-prefix",
                prefix,
            ])
            .env("SIGNET_PASSWORD", "pw"));
        assert_eq!(o.code, 0, "{}", o.stderr);
        let pkg = d.join(format!("{prefix}.rpm"));
        std::fs::copy(&built, &pkg).unwrap();
        // Unsigned: ours refuses.
        let o = run(signet(d).args([
            "rpm",
            "verify",
            "--keyring",
            &format!("{prefix}.pub.asc"),
            pkg.to_str().unwrap(),
        ]));
        assert_eq!(o.code, 1, "{}", o.stderr);
        assert!(o.stderr.contains("not signed"), "{}", o.stderr);
        // Wrong passphrase: the package is untouched.
        let before = std::fs::read(&pkg).unwrap();
        let o = run(signet(d)
            .args([
                "rpm",
                "sign",
                "--key",
                &format!("{prefix}.key.asc"),
                pkg.to_str().unwrap(),
            ])
            .env("SIGNET_PASSWORD", "wrong"));
        assert_ne!(o.code, 0);
        assert!(o.stderr.contains("passphrase"), "{}", o.stderr);
        assert_eq!(std::fs::read(&pkg).unwrap(), before);

        let o = run(signet(d)
            .args([
                "rpm",
                "sign",
                "--key",
                &format!("{prefix}.key.asc"),
                pkg.to_str().unwrap(),
            ])
            .env("SIGNET_PASSWORD", "pw"));
        assert_eq!(o.code, 0, "{}", o.stderr);
        // rpm without the key: NOKEY, not OK.
        let o = checksig(&pkg);
        assert_ne!(o.code, 0, "{}{}", o.stdout, o.stderr);
        let o = sh(
            d,
            "rpmkeys",
            &["--dbpath", dbpath, "--import", &format!("{prefix}.pub.asc")],
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        let o = checksig(&pkg);
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
        assert!(
            o.stdout
                .contains(&format!("Header V4 {header}/SHA256 Signature")),
            "{}",
            o.stdout
        );
        assert!(
            o.stdout.contains("Payload SHA256 digest: OK"),
            "{}",
            o.stdout
        );
        let o = run(signet(d).args([
            "rpm",
            "verify",
            "--keyring",
            &format!("{prefix}.pub.asc"),
            pkg.to_str().unwrap(),
        ]));
        assert_eq!(o.code, 0, "{}", o.stderr);

        // Altered payload: both refuse.
        let mut bytes = std::fs::read(&pkg).unwrap();
        let at = bytes.len() - 20;
        bytes[at] ^= 0x55;
        let evil = d.join(format!("{prefix}-evil.rpm"));
        std::fs::write(&evil, &bytes).unwrap();
        let o = checksig(&evil);
        assert_ne!(o.code, 0, "rpm accepted an altered package: {}", o.stdout);
        let o = run(signet(d).args([
            "rpm",
            "verify",
            "--keyring",
            &format!("{prefix}.pub.asc"),
            evil.to_str().unwrap(),
        ]));
        assert_eq!(o.code, 1, "{}", o.stderr);
        assert!(o.stderr.contains("payload"), "{}", o.stderr);
    }

    // rpmsign (with gpg) signs; we verify against gpg's binary export.
    let home = d.join("gnupg");
    std::fs::create_dir(&home).unwrap();
    let gpg = |args: &[&str]| signet_testkit::gpg(&home, args);
    assert!(
        gpg(&[
            "--quick-gen-key",
            "Rpm <rpm@example.com>",
            "rsa3072",
            "sign",
            "never"
        ])
        .status
        .success()
    );
    std::fs::write(
        d.join("rpm.gpg"),
        gpg(&["--export", "rpm@example.com"]).stdout,
    )
    .unwrap();
    let pkg = d.join("rpmsign.rpm");
    std::fs::copy(&built, &pkg).unwrap();
    let o = std::process::Command::new("rpmsign")
        .env("GNUPGHOME", &home)
        .args([
            "--addsign",
            "--define",
            "_gpg_name rpm@example.com",
            "--define",
            &format!("_gpg_path {}", home.display()),
            "--define",
            "__gpg /usr/bin/gpg",
            "--define",
            "_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback --passphrase ''",
            pkg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(signet(d).args([
        "rpm",
        "verify",
        "--keyring",
        "rpm.gpg",
        pkg.to_str().unwrap(),
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("Rpm <rpm@example.com>"), "{}", o.stderr);
    // Against another keyring: the key ID is named.
    let o = run(signet(d).args([
        "rpm",
        "verify",
        "--keyring",
        "ed.pub.asc",
        pkg.to_str().unwrap(),
    ]));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("not in the keyring"), "{}", o.stderr);
    // Junk and truncated packages: clear errors.
    std::fs::write(d.join("junk.rpm"), b"not an rpm at all").unwrap();
    let o = run(signet(d).args(["rpm", "verify", "--keyring", "rpm.gpg", "junk.rpm"]));
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("RPM package"), "{}", o.stderr);
    let bytes = std::fs::read(&built).unwrap();
    std::fs::write(d.join("cut.rpm"), &bytes[..200]).unwrap();
    let o = run(signet(d)
        .args(["rpm", "sign", "--key", "ed.key.asc", "cut.rpm"])
        .env("SIGNET_PASSWORD", "pw"));
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("truncated"), "{}", o.stderr);
    assert_eq!(std::fs::read(d.join("cut.rpm")).unwrap(), &bytes[..200]);
}

/// A `type: rpm` repository: signet serve writes and signs `repodata/`
/// (repomd.xml.asc with its archive key) on every upload; dnf installs from
/// it with `repo_gpgcheck` (our metadata signature) and `gpgcheck` (the
/// package's header signature by `signet rpm sign`), and refuses altered
/// metadata.
#[test]
fn dnf_installs_from_an_rpm_repository_signet_serve_indexes() {
    for tool in ["rpmbuild", "dnf"] {
        if peer(tool).is_none() {
            return signet_testkit::missing("rpmbuild and dnf for the RPM repository test");
        }
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let pkg = d.join("signet-hello-1.0-1.noarch.rpm");
    std::fs::copy(build_rpm(d), &pkg).unwrap();
    let o = run(signet(d)
        .args([
            "generate-key-pair",
            "--type",
            "pgp",
            "--output-key-prefix",
            "packager",
        ])
        .env("SIGNET_PASSWORD", ""));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(d)
        .args([
            "rpm",
            "sign",
            "--key",
            "packager.key.asc",
            pkg.to_str().unwrap(),
        ])
        .env("SIGNET_PASSWORD", ""));
    assert_eq!(o.code, 0, "{}", o.stderr);

    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let repo = FileRepo::create(&server, &data, "rpm/el9", "rpm");
    let (token, base) = (repo.token.clone(), repo.base.clone());
    let put = |path: &str, bytes: Vec<u8>| repo.put(path, bytes);
    let get = |path: &str| repo.get(path);
    put(
        "Packages/signet-hello-1.0-1.noarch.rpm",
        std::fs::read(&pkg).unwrap(),
    );
    std::fs::write(d.join("archive.asc"), get("signet-archive-key.asc")).unwrap();
    let repomd = get("repodata/repomd.xml");
    std::fs::write(d.join("repomd.xml"), &repomd).unwrap();
    std::fs::write(d.join("repomd.xml.asc"), get("repodata/repomd.xml.asc")).unwrap();
    let o = run(signet(d).args([
        "verify-blob",
        "--keyring",
        "archive.asc",
        "--signature",
        "repomd.xml.asc",
        "repomd.xml",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);

    let conf = d.join("yum.repos.d");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(
        conf.join("signet.repo"),
        format!(
            "[signet]\nname=signet\nbaseurl={base}\nusername=admin\npassword={token}\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=file://{} file://{}\n",
            d.join("archive.asc").display(),
            d.join("packager.pub.asc").display()
        ),
    )
    .unwrap();
    let root = d.join("root");
    let dnf = |cache: &str, args: &[&str]| {
        let o = std::process::Command::new("dnf")
            .args([
                "-y",
                &format!("--setopt=reposdir={}", conf.display()),
                &format!("--setopt=cachedir={}", d.join(cache).display()),
                &format!("--installroot={}", root.display()),
                "--releasever=1",
                "--setopt=skip_if_unavailable=False",
                "--disablerepo=*",
                "--enablerepo=signet",
            ])
            .args(args)
            .output()
            .unwrap();
        (
            o.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    };
    let (ok, out) = dnf("cache", &["install", "signet-hello"]);
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read_to_string(root.join("usr/share/signet-hello/hello.txt")).unwrap(),
        "hello\n"
    );

    // Altered metadata (a revision changed after signing): dnf refuses it.
    let evil = String::from_utf8(repomd)
        .unwrap()
        .replacen("<revision>", "<revision>1", 1);
    put("repodata/repomd.xml", evil.into_bytes());
    let (ok, out) = dnf("cache2", &["makecache"]);
    assert!(!ok, "dnf accepted altered metadata: {out}");
    assert!(out.contains("Bad GPG signature"), "{out}");
}
