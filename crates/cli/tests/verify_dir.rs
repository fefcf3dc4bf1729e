//! verify-dir on folders built here: exact lines, summary and exit codes.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::path::Path;

use common::*;

fn sign_to(dir: &Path, file: &str, sig: &str) {
    let o = run(signet(dir).env("SIGNET_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "../k.key",
        "--output-signature",
        sig,
        file,
    ]));
    assert_eq!(o.code, 0, "{file}: {}", o.stderr);
}

/// A download folder with every case, keys one level up.
fn folder() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    keypair(t.path(), "k");
    let d = t.path().join("downloads");
    std::fs::create_dir(&d).unwrap();
    let w = |name: &str, data: &[u8]| std::fs::write(d.join(name), data).unwrap();
    w("kubernetes-1.32.3.zst", b"kubernetes bundle");
    w("pack.tar.zst", b"pack");
    w("ubuntu.iso", b"iso image");
    w("tampered.zst", b"original");
    w("notes.txt", b"notes");
    w("gone.zst", b"will be deleted");
    sign_to(&d, "kubernetes-1.32.3.zst", "kubernetes-1.32.3.sig.bin");
    sign_to(&d, "pack.tar.zst", "pack.tar.sig.bin");
    sign_to(&d, "ubuntu.iso", "ubuntu.sig.bin");
    sign_to(&d, "tampered.zst", "tampered.sig.bin");
    sign_to(&d, "notes.txt", "notes.txt.sig");
    sign_to(&d, "gone.zst", "gone.sig.bin");
    std::fs::remove_file(d.join("gone.zst")).unwrap();
    w("tampered.zst", b"originaL");
    w("unsigned.bin", b"no signature");
    std::fs::copy(t.path().join("k.pub"), d.join("vendor_public_key.pem")).unwrap();
    t
}

fn verify_dir(t: &tempfile::TempDir, extra: &[&str]) -> Out {
    let mut args = vec!["verify-dir", "downloads", "--key", "k.pub"];
    args.extend_from_slice(extra);
    run(signet(t.path()).args(&args))
}

const EXPECTED: &str = "\
gone.zst: ❌ Data file not found
kubernetes-1.32.3.zst: ✅ Signature valid
notes.txt: ✅ Signature valid
pack.tar.zst: ✅ Signature valid
tampered.zst: ❌ Signature invalid
ubuntu.iso: ✅ Signature valid
unsigned.bin: ⚠️ Unsigned
4 valid, 1 invalid, 1 missing
";

#[test]
fn exact_lines_and_exit_code() {
    let t = folder();
    let o = verify_dir(&t, &[]);
    assert_eq!(o.stdout, EXPECTED);
    assert_eq!(o.code, 1, "{}", o.stderr);
    // Same answer with one worker.
    let o = verify_dir(&t, &["--jobs", "1"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, EXPECTED));
}

#[test]
fn all_valid_passes_unless_signatures_are_required() {
    let t = folder();
    let d = t.path().join("downloads");
    std::fs::remove_file(d.join("gone.sig.bin")).unwrap();
    std::fs::write(d.join("tampered.zst"), b"original").unwrap();
    let o = verify_dir(&t, &[]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.ends_with("5 valid, 0 invalid, 0 missing\n"),
        "{}",
        o.stdout
    );
    let o = verify_dir(&t, &["--require-signatures"]);
    assert_eq!(o.code, 1);
    std::fs::remove_file(d.join("unsigned.bin")).unwrap();
    let o = verify_dir(&t, &["--require-signatures"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
}

#[test]
fn plain_and_json() {
    let t = folder();
    let o = verify_dir(&t, &["--plain"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout
            .contains("kubernetes-1.32.3.zst: Signature valid\n"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("tampered.zst: Signature invalid\n"));
    assert!(o.stdout.contains("gone.zst: Data file not found\n"));
    assert!(!o.stdout.contains('✅') && !o.stdout.contains('❌'));

    let o = verify_dir(&t, &["--output", "json"]);
    assert_eq!(o.code, 1);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["summary"]["valid"], 4);
    assert_eq!(v["summary"]["invalid"], 1);
    assert_eq!(v["summary"]["missing"], 1);
    assert_eq!(v["summary"]["unsigned"], 1);
    assert_eq!(v["ok"], false);
    let rows = v["results"].as_array().unwrap();
    let tampered = rows
        .iter()
        .find(|r| r["data_file"] == "tampered.zst")
        .unwrap();
    assert_eq!(tampered["status"], "invalid");
    assert_eq!(tampered["signature"], "tampered.sig.bin");
}

#[test]
fn recursive_walks_subfolders() {
    let t = folder();
    let sub = t.path().join("downloads/sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("inner.zst"), b"inner").unwrap();
    let o = run(signet(&sub).env("SIGNET_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "../../k.key",
        "--output-signature",
        "inner.sig.bin",
        "inner.zst",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = verify_dir(&t, &[]);
    assert!(!o.stdout.contains("inner"), "not recursive by default");
    let o = verify_dir(&t, &["--recursive"]);
    assert!(
        o.stdout.contains("sub/inner.zst: ✅ Signature valid\n"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.ends_with("5 valid, 1 invalid, 1 missing\n"),
        "{}",
        o.stdout
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_dangling_links_and_odd_names() {
    use std::os::unix::ffi::OsStrExt;
    let t = folder();
    let d = t.path().join("downloads");
    std::os::unix::fs::symlink("..", d.join("loop")).unwrap();
    let o = verify_dir(&t, &["--recursive"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("loop"), "{}", o.stderr);
    assert!(!o.stderr.contains("panicked"));
    std::fs::remove_file(d.join("loop")).unwrap();

    // A non-UTF-8 file name with a valid signature.
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.zst");
    std::fs::write(d.join(name), b"latin-1 name").unwrap();
    let o = run(signet(&d)
        .env("SIGNET_PASSWORD", "pw")
        .arg("sign-blob")
        .args(["--key", "../k.key", "--output-signature"])
        .arg(std::ffi::OsStr::from_bytes(b"caf\xe9.sig.bin"))
        .arg(name));
    assert_eq!(o.code, 0, "{}", o.stderr);
    // A dangling symlink as a data file.
    std::os::unix::fs::symlink("nowhere", d.join("dangling.zst")).unwrap();
    let o = verify_dir(&t, &[]);
    assert!(
        o.stdout.contains("caf\u{fffd}.zst: ✅ Signature valid"),
        "{}",
        o.stdout
    );
    assert!(o.stderr.contains("dangling.zst"), "{}", o.stderr);
    assert!(!o.stderr.contains("panicked"));
    assert_eq!(o.code, 1);
}

#[test]
fn bad_arguments() {
    let t = folder();
    let o = run(signet(t.path()).args(["verify-dir", "nope", "--key", "k.pub"]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("nope"), "{}", o.stderr);
    let o = run(signet(t.path()).args(["verify-dir", "k.pub", "--key", "k.pub"]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not a folder"), "{}", o.stderr);
    let o = run(signet(t.path()).args(["verify-dir", "downloads", "--key", "downloads/notes.txt"]));
    assert_eq!(o.code, 2);
}
