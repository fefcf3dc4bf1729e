//! Interop with the real peers: GnuPG (`gpg`) and Sequoia (`sq`), both
//! from Debian. Each test runs in its own GNUPGHOME.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use signet_openpgp::{Algorithm, Error, Keyring, SecretKey, generate};

struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        Self { home }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }
    fn run(&self, args: &[&str]) -> Output {
        signet_testkit::gpg(self.home.path(), args)
    }
    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
    /// A key made by gpg itself; its exported certificate (binary) and
    /// long key ID.
    fn keygen(&self, algo: &str, uid: &str) -> (Vec<u8>, String) {
        self.ok(&["--quick-gen-key", uid, algo, "sign", "never"]);
        let cert = self.ok(&["--export", uid]).stdout;
        let colons =
            String::from_utf8(self.ok(&["--with-colons", "--list-keys", uid]).stdout).unwrap();
        let keyid = colons
            .lines()
            .find(|l| l.starts_with("pub:"))
            .and_then(|l| l.split(':').nth(4))
            .unwrap()
            .to_owned();
        (cert, keyid)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// Whether `tool` runs here; if not, the test is skipped (and fails under
/// CI, where .ci/run installs it).
fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().is_ok();
    if !ok {
        signet_testkit::missing(tool);
    }
    ok
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn gpg_and_sq_accept_our_detached_and_clearsigned_signatures() {
    if !["gpg", "sq"].iter().all(|t| have(t)) {
        return;
    }
    for algorithm in [Algorithm::Ed25519, Algorithm::Rsa(2048)] {
        let g = Gpg::new();
        let k = generate(algorithm, "Signet Test <signet@example.com>", "pw").unwrap();
        assert_eq!(k.fingerprint.len(), 40);
        assert!(
            k.secret
                .starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----")
        );
        let key = SecretKey::parse(k.secret.as_bytes()).unwrap();
        assert_eq!(key.fingerprint(), k.fingerprint);
        let cert = g.write("cert.asc", k.public.as_bytes());
        g.ok(&["--import", s(&cert)]);

        let data = g.write("data.bin", &vec![7u8; 300_000]);
        let sig = key
            .sign_detached("pw", std::fs::File::open(&data).unwrap())
            .unwrap();
        assert!(sig.starts_with("-----BEGIN PGP SIGNATURE-----"));
        let sigp = g.write("data.bin.asc", sig.as_bytes());
        let out = g.ok(&["--status-fd", "1", "--verify", s(&sigp), s(&data)]);
        let status = String::from_utf8_lossy(&out.stdout);
        assert!(
            status.contains(&format!("VALIDSIG {}", k.fingerprint)),
            "{status}"
        );
        // sq verifies against the certificate file, no keyring state.
        let sq = Command::new("sq")
            .args([
                "verify",
                "--signer-cert",
                s(&cert),
                "--detached",
                s(&sigp),
                s(&data),
            ])
            .output()
            .unwrap();
        assert!(
            sq.status.success(),
            "sq: {}",
            String::from_utf8_lossy(&sq.stderr)
        );

        // Altered data: both refuse.
        let bad = g.write("bad.bin", &vec![8u8; 300_000]);
        assert!(!g.run(&["--verify", s(&sigp), s(&bad)]).status.success());
        let sq = Command::new("sq")
            .args([
                "verify",
                "--signer-cert",
                s(&cert),
                "--detached",
                s(&sigp),
                s(&bad),
            ])
            .output()
            .unwrap();
        assert!(!sq.status.success());

        // Clearsigned text (what an InRelease file is).
        let text = "Origin: signet\nSuite: stable\n  indented line\ntrailing spaces   \n";
        let signed = key.clearsign("pw", text).unwrap();
        assert!(signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"));
        let p = g.write("InRelease", signed.as_bytes());
        g.ok(&["--verify", s(&p)]);
        let sq = Command::new("sq")
            .args(["verify", "--signer-cert", s(&cert), s(&p)])
            .output()
            .unwrap();
        assert!(
            sq.status.success(),
            "sq: {}",
            String::from_utf8_lossy(&sq.stderr)
        );
        let tampered = signed.replace("Suite: stable", "Suite: evil!");
        let p = g.write("InRelease.bad", tampered.as_bytes());
        assert!(!g.run(&["--verify", s(&p)]).status.success());

        // And we read back our own.
        let ring = Keyring::parse(k.public.as_bytes()).unwrap();
        let who = ring
            .verify_detached(sig.as_bytes(), std::fs::File::open(&data).unwrap())
            .unwrap();
        assert_eq!(who.fingerprint, k.fingerprint);
        assert_eq!(who.user_ids, ["Signet Test <signet@example.com>"]);
        let (body, _) = ring.verify_cleartext(&signed).unwrap();
        assert!(body.contains("Suite: stable"));
        assert!(matches!(
            ring.verify_cleartext(&tampered),
            Err(Error::BadSignature { .. })
        ));
    }
}

#[test]
fn we_verify_gpg_signatures_and_name_the_key_when_refusing() {
    if !["gpg"].iter().all(|t| have(t)) {
        return;
    }
    let g = Gpg::new();
    let (ed_cert, ed_id) = g.keygen("ed25519", "Ed <ed@example.com>");
    let (rsa_cert, rsa_id) = g.keygen("rsa3072", "Rsa <rsa@example.com>");
    let data = g.write("pkg.tar", b"the package bytes\n");
    for (uid, id) in [("ed@example.com", &ed_id), ("rsa@example.com", &rsa_id)] {
        let sigp = g.path(&format!("{uid}.asc"));
        g.ok(&[
            "--local-user",
            uid,
            "--armor",
            "--output",
            s(&sigp),
            "--detach-sign",
            s(&data),
        ]);
        let sig = std::fs::read(&sigp).unwrap();
        // Binary keyring as `gpg --export` writes, and armored.
        let mut ring_bytes = ed_cert.clone();
        ring_bytes.extend_from_slice(&rsa_cert);
        let ring = Keyring::parse(&ring_bytes).unwrap();
        assert_eq!(ring.fingerprints().len(), 2);
        let who = ring
            .verify_detached(&sig, &b"the package bytes\n"[..])
            .unwrap();
        assert!(who.key_id.ends_with(id.as_str()), "{} vs {id}", who.key_id);
        // A binary (unarmored) signature too.
        let binp = g.path(&format!("{uid}.sig"));
        g.ok(&[
            "--local-user",
            uid,
            "--output",
            s(&binp),
            "--detach-sign",
            s(&data),
        ]);
        let bin = std::fs::read(&binp).unwrap();
        ring.verify_detached(&bin, &b"the package bytes\n"[..])
            .unwrap();

        // Bad signature: the key ID is in the message.
        let e = ring
            .verify_detached(&sig, &b"other bytes\n"[..])
            .unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }), "{e}");
        assert!(e.to_string().contains(id.as_str()), "{e}");
        // Unknown key: a ring without the signer.
        let other = generate(Algorithm::Ed25519, "Other <o@example.com>", "").unwrap();
        let ring = Keyring::parse(other.public.as_bytes()).unwrap();
        let e = ring
            .verify_detached(&sig, &b"the package bytes\n"[..])
            .unwrap_err();
        assert!(matches!(e, Error::UnknownKey { .. }), "{e}");
        assert!(e.to_string().contains(id.as_str()), "{e}");
    }
    // gpg's clearsigned text.
    let p = g.path("Release.asc");
    g.ok(&[
        "--local-user",
        "ed@example.com",
        "--output",
        s(&p),
        "--clearsign",
        s(&data),
    ]);
    let armored = g.ok(&["--armor", "--export", "ed@example.com"]).stdout;
    let ring = Keyring::parse(&armored).unwrap();
    let (text, who) = ring
        .verify_cleartext(&std::fs::read_to_string(&p).unwrap())
        .unwrap();
    assert_eq!(text.trim_end(), "the package bytes");
    assert!(who.key_id.ends_with(ed_id.as_str()));
    // A secret key exported by gpg signs with us.
    let sec = g
        .ok(&["--armor", "--export-secret-keys", "ed@example.com"])
        .stdout;
    let key = SecretKey::parse(&sec).unwrap();
    let sig = key.sign_detached("", &b"x"[..]).unwrap();
    ring.verify_detached(sig.as_bytes(), &b"x"[..]).unwrap();
}

#[test]
fn bad_input_is_a_clear_error() {
    let k = generate(Algorithm::Ed25519, "K <k@example.com>", "right").unwrap();
    let key = SecretKey::parse(k.secret.as_bytes()).unwrap();
    let e = key.sign_detached("wrong", &b"x"[..]).unwrap_err();
    assert!(matches!(e, Error::WrongPassphrase { .. }), "{e}");
    assert!(key.unlock("right").is_ok());

    for junk in [
        &b""[..],
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all!!\n-----END PGP PUBLIC KEY BLOCK-----\n",
        b"\x99\x01\x0d\x04",
        b"hello",
    ] {
        match Keyring::parse(junk) {
            Err(Error::Malformed { .. }) => {}
            other => panic!("{junk:?}: {:?}", other.map(|r| r.fingerprints())),
        }
    }
    // Truncated armor of a real certificate.
    let cut = &k.public.as_bytes()[..k.public.len() / 2];
    assert!(Keyring::parse(cut).is_err());
    let ring = Keyring::parse(k.public.as_bytes()).unwrap();
    for junk in [
        &b""[..],
        b"-----BEGIN PGP SIGNATURE-----\n\n=abcd\n-----END PGP SIGNATURE-----\n",
        b"\x88",
    ] {
        assert!(ring.verify_detached(junk, &b"x"[..]).is_err());
    }
    assert!(ring.verify_cleartext("no signature here").is_err());
    assert!(SecretKey::parse(k.public.as_bytes()).is_err());
    assert!("rsa1024".parse::<Algorithm>().is_err());
}

#[test]
fn we_verify_sq_signatures_made_by_a_signing_subkey() {
    if !["sq"].iter().all(|t| have(t)) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n);
    let sq = |args: &[&str]| {
        let o = Command::new("sq")
            .args(args)
            .output()
            .expect("sq (apt install sq) runs");
        assert!(
            o.status.success(),
            "sq {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    sq(&[
        "key",
        "generate",
        "--userid",
        "<sq@example.com>",
        "--export",
        s(&p("sq.pgp")),
    ]);
    let cert = sq(&["key", "extract-cert", s(&p("sq.pgp"))]);
    std::fs::write(p("data.txt"), "Origin: sq\nSuite: stable\n").unwrap();
    let sig = sq(&[
        "sign",
        "--detached",
        "--signer-key",
        s(&p("sq.pgp")),
        s(&p("data.txt")),
    ]);
    let clear = sq(&[
        "sign",
        "--cleartext-signature",
        "--signer-key",
        s(&p("sq.pgp")),
        s(&p("data.txt")),
    ]);
    let ring = Keyring::parse(&cert).unwrap();
    let who = ring
        .verify_detached(&sig, &b"Origin: sq\nSuite: stable\n"[..])
        .unwrap();
    // sq signs with a subkey: the signer names it and its certificate.
    assert_ne!(who.signing_fingerprint, who.fingerprint);
    assert_eq!(who.user_ids, ["<sq@example.com>"]);
    let (text, _) = ring
        .verify_cleartext(&String::from_utf8(clear).unwrap())
        .unwrap();
    assert_eq!(text.trim_end(), "Origin: sq\nSuite: stable");
    let e = ring
        .verify_detached(&sig, &b"Origin: evil\n"[..])
        .unwrap_err();
    assert!(matches!(e, Error::BadSignature { .. }), "{e}");
    // sq's secret key signs with us (its signing subkey).
    let key = SecretKey::parse(&std::fs::read(p("sq.pgp")).unwrap()).unwrap();
    let ours = key.sign_detached("", &b"x"[..]).unwrap();
    ring.verify_detached(ours.as_bytes(), &b"x"[..]).unwrap();
}

/// 2020-01-01T00:00:00Z, when gpg is told these keys were made.
const Y2020: u64 = 1_577_836_800;

/// The fingerprint of the key gpg knows as `uid`.
fn fingerprint_of(g: &Gpg, uid: &str) -> String {
    let colons = String::from_utf8(g.ok(&["--with-colons", "--list-keys", uid]).stdout).unwrap();
    colons
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_owned()
}

fn expired_message(e: &Error) -> String {
    assert!(matches!(e, Error::Expired { .. }), "{e:?}");
    e.to_string()
}

/// Keys and signatures that expire (gpg makes them at a faked time in
/// 2020): a signature made while its key was valid verifies, but does not
/// count once the key has expired; one dated after the key expired never
/// verifies; a key whose expiry was later lifted counts again (the newest
/// self-signature rules); an expired signature does not count; nor does
/// one by a signing subkey that expired, although its primary key never
/// does.
#[test]
fn expired_keys_and_signatures_do_not_count() {
    if !have("gpg") {
        return;
    }
    let now = Y2020 + 10 * 365 * 86400;
    let g = Gpg::new();
    let uid = "Expiring <expiring@example.com>";
    g.ok(&[
        "--faked-system-time",
        "20200101T000000",
        "--quick-gen-key",
        uid,
        "ed25519",
        "sign",
        "1d",
    ]);
    let data = b"signed on the first day\n";
    let file = g.write("data", data);
    let sig = g.path("data.sig");
    g.ok(&[
        "--faked-system-time",
        "20200101T120000",
        "-u",
        uid,
        "--output",
        s(&sig),
        "--detach-sign",
        s(&file),
    ]);
    let sig = std::fs::read(&sig).unwrap();
    let ring = Keyring::parse(&g.ok(&["--export", uid]).stdout).unwrap();
    let who = ring.verify_detached(&sig, &data[..]).unwrap();
    let expires = who.key_expires.unwrap();
    assert!(
        (Y2020 + 86400..Y2020 + 86400 + 120).contains(&expires),
        "{who:?}"
    );
    assert!(who.alive_at(Y2020 + 3600).is_ok());
    let e = who.alive_at(now).unwrap_err();
    assert!(expired_message(&e).contains("expired on 2020-01-02"), "{e}");

    // Signed today with the expired key (gpg refuses to; our signer does
    // not look): the key was no longer valid when it signed.
    let secret = SecretKey::parse(&g.ok(&["--export-secret-keys", uid]).stdout).unwrap();
    let late = secret.sign_detached("", &data[..]).unwrap();
    let e = ring
        .verify_detached(late.as_bytes(), &data[..])
        .unwrap_err();
    assert!(
        expired_message(&e).contains("when it made this signature"),
        "{e}"
    );

    // The owner lifts the expiry: the newest self-signature says never.
    let fpr = fingerprint_of(&g, uid);
    g.ok(&["--quick-set-expire", &fpr, "0"]);
    let renewed = Keyring::parse(&g.ok(&["--export", uid]).stdout).unwrap();
    let who = renewed.verify_detached(&sig, &data[..]).unwrap();
    assert_eq!(who.key_expires, None);
    assert!(who.alive_at(now).is_ok());
    assert!(renewed.verify_detached(late.as_bytes(), &data[..]).is_ok());

    // A signature that expires a day after it was made.
    let short = g.path("short.sig");
    g.ok(&[
        "--faked-system-time",
        "20200101T120000",
        "-u",
        uid,
        "--default-sig-expire",
        "1d",
        "--output",
        s(&short),
        "--detach-sign",
        s(&file),
    ]);
    let who = renewed
        .verify_detached(&std::fs::read(&short).unwrap(), &data[..])
        .unwrap();
    assert!(who.signature_expires.is_some(), "{who:?}");
    assert!(who.alive_at(Y2020 + 86400).is_ok());
    let e = who.alive_at(now).unwrap_err();
    assert!(
        expired_message(&e).contains("signature that expired on 2020-01-02"),
        "{e}"
    );

    // A primary key that never expires, with a signing subkey that does.
    let uid = "Subkeys <subkeys@example.com>";
    g.ok(&[
        "--faked-system-time",
        "20200101T000000",
        "--quick-gen-key",
        uid,
        "ed25519",
        "cert",
        "never",
    ]);
    let fpr = fingerprint_of(&g, uid);
    g.ok(&[
        "--faked-system-time",
        "20200101T000000",
        "--quick-add-key",
        &fpr,
        "ed25519",
        "sign",
        "1d",
    ]);
    let sub_sig = g.path("sub.sig");
    g.ok(&[
        "--faked-system-time",
        "20200101T120000",
        "-u",
        uid,
        "--output",
        s(&sub_sig),
        "--detach-sign",
        s(&file),
    ]);
    let ring = Keyring::parse(&g.ok(&["--export", uid]).stdout).unwrap();
    let who = ring
        .verify_detached(&std::fs::read(&sub_sig).unwrap(), &data[..])
        .unwrap();
    assert_ne!(
        who.signing_fingerprint, who.fingerprint,
        "the subkey signed"
    );
    assert!(who.key_expires.is_some(), "{who:?}");
    assert!(expired_message(&who.alive_at(now).unwrap_err()).contains("expired on 2020-01-02"));
}
