//! Differential test against Go's golang.org/x/mod/sumdb/{note,tlog}
//! (Debian golang-golang-x-mod-dev, offline): our Ed25519 checkpoint note
//! opens there, our root matches Go's tree of the same records, and our
//! inclusion and consistency proofs pass Go's CheckRecord and CheckTree.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::fmt::Write as _;
use std::path::Path;

use signet_crypto::PrivateKey;
use signet_tlog::checkpoint::Checkpoint;
use signet_tlog::hash::leaf_hash;
use signet_tlog::note::Signer;
use signet_tlog::tree::MemoryTree;

const GOPATH: &str = "/usr/share/gocode";
const PROGRAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/tlogcheck.go");

fn go_available() -> bool {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    let ok = Path::new(&format!("{GOPATH}/src/golang.org/x/mod/sumdb/tlog")).exists()
        && std::process::Command::new("go")
            .arg("version")
            .output()
            .is_ok();
    if !ok {
        assert!(!ci, "go and golang-golang-x-mod-dev are required under CI");
        eprintln!("SKIP: go or golang-golang-x-mod-dev not installed");
    }
    ok
}

fn run_go(dir: &Path, vkey: &str) -> std::process::Output {
    std::process::Command::new("go")
        .args(["run", PROGRAM, vkey, "note", "proofs"])
        .current_dir(dir)
        .env("GO111MODULE", "off")
        .env("GOPATH", GOPATH)
        .env("GOCACHE", dir.join("gocache"))
        .env("GOFLAGS", "")
        .output()
        .unwrap()
}

#[test]
fn go_sumdb_accepts_our_notes_and_proofs() {
    if !go_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let size = 1_234u64;
    let mut tree = MemoryTree::default();
    for i in 0..size {
        tree.push(leaf_hash(&i.to_be_bytes()));
    }
    let signer = Signer::new(
        "signet.test/log",
        PrivateKey::from_ed25519_seed(&[5; 32]).unwrap(),
    )
    .unwrap();
    let cp = Checkpoint::new("signet.test/log", size, tree.root(size).unwrap());
    std::fs::write(dir.path().join("note"), cp.sign(&[&signer]).unwrap()).unwrap();

    let mut proofs = String::new();
    for i in [0, 1, 255, 256, 700, size - 1] {
        writeln!(proofs, "inclusion {i}").unwrap();
        for h in tree.inclusion_proof(i, size).unwrap() {
            writeln!(proofs, "{}", h.to_base64()).unwrap();
        }
        proofs.push('\n');
    }
    for old in [1, 2, 3, 255, 256, 1000, size - 1] {
        writeln!(
            proofs,
            "consistency {old} {}",
            tree.root(old).unwrap().to_base64()
        )
        .unwrap();
        for h in tree.consistency_proof(old, size).unwrap() {
            writeln!(proofs, "{}", h.to_base64()).unwrap();
        }
        proofs.push('\n');
    }
    std::fs::write(dir.path().join("proofs"), &proofs).unwrap();
    let vkey = signer.verifier().to_vkey();
    let out = run_go(dir.path(), &vkey);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK 13 proofs");

    // Go rejects a tampered proof: the check above can fail.
    let first_hash_line = proofs.lines().nth(1).unwrap().to_owned();
    let mut bad = signet_tlog::Hash::from_base64(&first_hash_line).unwrap();
    bad.0[0] ^= 1;
    std::fs::write(
        dir.path().join("proofs"),
        proofs.replacen(&first_hash_line, &bad.to_base64(), 1),
    )
    .unwrap();
    let out = run_go(dir.path(), &vkey);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("inclusion 0"));
}
