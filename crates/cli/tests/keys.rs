//! Key generation, import and loading through the CLI.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::*;

#[test]
fn generate_writes_cosign_envelope_and_spki() {
    let t = tempfile::tempdir().unwrap();
    keypair(t.path(), "signet");
    let key = std::fs::read_to_string(t.path().join("signet.key")).unwrap();
    let public = std::fs::read_to_string(t.path().join("signet.pub")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(t.path().join("signet.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The envelope parameters are cosign's: scrypt N=2^16 r=8 p=1, secretbox.
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    let json = String::from_utf8(signet_types::b64::decode(body).unwrap()).unwrap();
    assert!(
        json.starts_with(r#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":""#),
        "{json}"
    );
    assert!(json.contains(r#""cipher":{"name":"nacl/secretbox","nonce":""#));
}

#[test]
fn key_types_and_prefix() {
    let t = tempfile::tempdir().unwrap();
    for (ty, spki_start) in [
        ("ecdsa-p384", "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE"),
        ("ed25519", "MCowBQYDK2VwAyEA"),
    ] {
        let o = run(signet(t.path()).env("SIGNET_PASSWORD", "").args([
            "generate-key-pair",
            "--type",
            ty,
            "--output-key-prefix",
            ty,
        ]));
        assert_eq!(o.code, 0, "{}", o.stderr);
        let public = std::fs::read_to_string(t.path().join(format!("{ty}.pub"))).unwrap();
        assert!(public.contains(spki_start), "{ty}: {public}");
        // Sign and verify a blob with each.
        std::fs::write(t.path().join("blob"), b"data").unwrap();
        let o = run(signet(t.path()).env("SIGNET_PASSWORD", "").args([
            "sign-blob",
            "--key",
            &format!("{ty}.key"),
            "--output-signature",
            "blob.sig",
            "blob",
        ]));
        assert_eq!(o.code, 0, "{}", o.stderr);
        let o = run(signet(t.path()).args([
            "verify-blob",
            "--key",
            &format!("{ty}.pub"),
            "--signature",
            "blob.sig",
            "blob",
        ]));
        assert_eq!(
            (o.code, o.stdout.trim()),
            (0, "Verified OK"),
            "{ty}: {}",
            o.stderr
        );
    }
}

#[test]
fn password_sources() {
    let t = tempfile::tempdir().unwrap();
    // COSIGN_PASSWORD is used when SIGNET_PASSWORD is unset.
    let o = run(signet(t.path()).env("COSIGN_PASSWORD", "cosign-pw").args([
        "generate-key-pair",
        "--output-key-prefix",
        "a",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    std::fs::write(t.path().join("f"), b"x").unwrap();
    let sign = |envs: &[(&str, &str)]| {
        let mut c = signet(t.path());
        for (k, v) in envs {
            c.env(k, v);
        }
        run(c.args(["sign-blob", "--key", "a.key", "f"]))
    };
    assert_eq!(sign(&[("SIGNET_PASSWORD", "cosign-pw")]).code, 0);
    assert_eq!(sign(&[("COSIGN_PASSWORD", "cosign-pw")]).code, 0);
    // SIGNET_PASSWORD wins over COSIGN_PASSWORD.
    let o = sign(&[
        ("SIGNET_PASSWORD", "nope"),
        ("COSIGN_PASSWORD", "cosign-pw"),
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("wrong password"), "{}", o.stderr);
    // No password and no terminal: a clear error naming the variables.
    let o = sign(&[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("SIGNET_PASSWORD"), "{}", o.stderr);
    // Set-but-empty means the empty password.
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "").args([
        "generate-key-pair",
        "--output-key-prefix",
        "empty",
    ]));
    assert_eq!(o.code, 0);
    let o = run(signet(t.path()).env("COSIGN_PASSWORD", "").args([
        "sign-blob",
        "--key",
        "empty.key",
        "f",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn generate_refuses_to_overwrite() {
    let t = tempfile::tempdir().unwrap();
    keypair(t.path(), "k");
    let before = std::fs::read(t.path().join("k.key")).unwrap();
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "pw").args([
        "generate-key-pair",
        "--output-key-prefix",
        "k",
    ]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("already exists"), "{}", o.stderr);
    assert_eq!(std::fs::read(t.path().join("k.key")).unwrap(), before);
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "pw").args([
        "generate-key-pair",
        "--output-key-prefix",
        "k",
        "--force",
    ]));
    assert_eq!(o.code, 0);
    assert_ne!(std::fs::read(t.path().join("k.key")).unwrap(), before);
}

#[test]
fn sigstore_rs_vector_keys_sign_through_the_cli() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("f"), b"vector payload").unwrap();
    let dir = "sigstore-rs/tests/data/keys";
    for (file, pw) in [
        ("ecdsa_encrypted_private.key", Some("123")),
        ("cosign_generated_encrypted_empty_private.key", Some("")),
        ("ed25519_encrypted_private.key", Some("123")),
        ("rsa_encrypted_private.key", Some("123")),
        ("ecdsa_private.key", None),
        ("ed25519_private.key", None),
        ("rsa_private.key", None),
    ] {
        let key = vector(&format!("{dir}/{file}"));
        let key = key.to_str().unwrap();
        let mut c = signet(t.path());
        if let Some(pw) = pw {
            c.env("COSIGN_PASSWORD", pw);
        }
        let o = run(c.args([
            "sign-blob",
            "--key",
            key,
            "--output-signature",
            "f.sig",
            "f",
        ]));
        assert_eq!(o.code, 0, "{file}: {}", o.stderr);
        let mut c = signet(t.path());
        if let Some(pw) = pw {
            c.env("COSIGN_PASSWORD", pw);
        }
        // Verifying with the private key file uses its public half.
        let o = run(c.args(["verify-blob", "--key", key, "--signature", "f.sig", "f"]));
        assert_eq!(o.code, 0, "{file}: {}", o.stderr);
    }
    // And import into our format.
    let key = vector(&format!("{dir}/ecdsa_encrypted_private.key"));
    let o = run(signet(t.path())
        .env("SIGNET_IMPORT_PASSWORD", "123")
        .env("SIGNET_PASSWORD", "new")
        .args([
            "import-key-pair",
            "--key",
            key.to_str().unwrap(),
            "-o",
            "imp",
        ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "new").args([
        "public-key",
        "--key",
        "imp.key",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        std::fs::read_to_string(t.path().join("imp.pub")).unwrap()
    );
}

#[test]
fn env_key_reference() {
    let t = tempfile::tempdir().unwrap();
    keypair(t.path(), "k");
    std::fs::write(t.path().join("f"), b"x").unwrap();
    let pem = std::fs::read_to_string(t.path().join("k.key")).unwrap();
    let o = run(signet(t.path())
        .env("SIGNET_PASSWORD", "pw")
        .env("MY_KEY", pem)
        .args([
            "sign-blob",
            "--key",
            "env://MY_KEY",
            "--output-signature",
            "f.sig",
            "f",
        ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o =
        run(signet(t.path()).args(["verify-blob", "--key", "k.pub", "--signature", "f.sig", "f"]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(t.path()).args([
        "verify-blob",
        "--key",
        "env://NOPE_UNSET",
        "--signature",
        "f.sig",
        "f",
    ]));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("NOPE_UNSET") && o.stderr.contains("not set"),
        "{}",
        o.stderr
    );
}

#[test]
fn bad_keys_get_clear_errors() {
    let t = tempfile::tempdir().unwrap();
    keypair(t.path(), "k");
    std::fs::write(t.path().join("f"), b"x").unwrap();
    let key = std::fs::read_to_string(t.path().join("k.key")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.key",
            key.as_bytes()[..key.len() / 2].to_vec(),
            "truncated",
        ),
        ("garbage.key", b"not a key at all".to_vec(), "BEGIN"),
        ("binary.key", vec![0x30, 0x82, 0x01, 0xff, 0xfe], "binary"),
        ("empty.key", Vec::new(), "BEGIN"),
        (
            "badb64.key",
            b"-----BEGIN PRIVATE KEY-----\n@@@@\n-----END PRIVATE KEY-----\n".to_vec(),
            "base64",
        ),
        (
            "public.key",
            std::fs::read(t.path().join("k.pub")).unwrap(),
            "public key",
        ),
        (
            "cert.key",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
            "unsupported PEM block",
        ),
    ];
    for (name, bytes, expect) in cases {
        std::fs::write(t.path().join(name), bytes).unwrap();
        let o = run(signet(t.path()).env("SIGNET_PASSWORD", "pw").args([
            "sign-blob",
            "--key",
            name,
            "--output-signature",
            "out.sig",
            "f",
        ]));
        assert_eq!(o.code, 2, "{name}");
        assert!(o.stderr.contains(expect), "{name}: {}", o.stderr);
        assert!(!o.stderr.contains("panicked"), "{name}: {}", o.stderr);
        assert!(
            !t.path().join("out.sig").exists(),
            "{name}: no output on failure"
        );
    }
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "wrong").args([
        "sign-blob",
        "--key",
        "k.key",
        "--output-signature",
        "out.sig",
        "f",
    ]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("wrong password"), "{}", o.stderr);
    assert!(!t.path().join("out.sig").exists());
    let o = run(signet(t.path()).args(["sign-blob", "--key", "missing.key", "f"]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("missing.key"), "{}", o.stderr);
}

#[test]
fn version_reports_fips_mode() {
    let t = tempfile::tempdir().unwrap();
    let o = run(signet(t.path()).args(["version"]));
    assert_eq!(o.code, 0);
    let expect = if cfg!(feature = "fips") {
        "FIPS mode: on"
    } else {
        "FIPS mode: off"
    };
    assert!(o.stdout.contains(expect), "{}", o.stdout);
}

/// Runs `signet ARGS` on a pseudo-terminal (util-linux `script`), typing
/// `lines` one by one after a pause each.
fn on_terminal(dir: &std::path::Path, args: &str, lines: &[&str]) -> Out {
    use std::io::Write;
    let bin = assert_cmd::cargo::cargo_bin("signet");
    let mut child = std::process::Command::new("script")
        .current_dir(dir)
        .env_remove("SIGNET_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in lines {
        std::thread::sleep(std::time::Duration::from_millis(700));
        writeln!(stdin, "{line}").unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(700));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn terminal_prompts_with_confirmation() {
    if peer("script").is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let o = on_terminal(
        t.path(),
        "generate-key-pair --output-key-prefix t",
        &["typed", "typed"],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("Enter password for private key again"),
        "{}",
        o.stdout
    );
    assert!(
        !o.stdout.contains("typed"),
        "the password is not echoed: {}",
        o.stdout
    );
    let o = on_terminal(
        t.path(),
        "generate-key-pair --output-key-prefix u",
        &["typed", "other"],
    );
    assert_eq!(o.code, 2);
    assert!(o.stdout.contains("passwords do not match"), "{}", o.stdout);
    assert!(!t.path().join("u.key").exists());
    // The typed password opens the key.
    std::fs::write(t.path().join("f"), b"x").unwrap();
    let o = run(signet(t.path()).env("SIGNET_PASSWORD", "typed").args([
        "sign-blob",
        "--key",
        "t.key",
        "f",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
}
