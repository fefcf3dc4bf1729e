//! `signet trusted-root update` through a real TUF client (tough) against
//! repositories made by the reference implementation (python-tuf), from a
//! local mirror directory and over HTTP; tampered targets and expired
//! metadata are refused and change nothing; the updated root is then what
//! `verify-blob` uses.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn make_repo(out: &Path, target: &Path, days: i64) -> bool {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/make_tuf_repo.py");
    let ok = Command::new("python3")
        .args(["-c", "import tuf.api.metadata, securesystemslib.signer"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        signet_testkit::missing("python-tuf (pip install sigstore==4.5.1 brings tuf)");
        return false;
    }
    let o = Command::new("python3")
        .arg(script)
        .arg(out)
        .arg(target)
        .arg(days.to_string())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    true
}

#[test]
fn update_from_a_mirror_directory_and_over_http() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let staging = vector("trust-roots/staging/trusted_root.json");
    let repo = d.join("repo");
    if !make_repo(&repo, &staging, 30) {
        return;
    }
    let root = repo.join("1.root.json");
    let update = |source: &str, extra: &[&str]| {
        run(signet(d)
            .env("SIGNET_TUF_CACHE", d.join("cache"))
            .args(["trusted-root", "update", "--tuf-root", source, "--root"])
            .arg(&root)
            .args(extra))
    };
    // From the mirror directory, to a file.
    let o = update(repo.to_str().unwrap(), &["-o", "got.json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        std::fs::read(d.join("got.json")).unwrap(),
        std::fs::read(&staging).unwrap()
    );

    // Over HTTP, into the cache, which verification then uses by default.
    let port = free_port();
    let mut http = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
            "--directory",
        ])
        .arg(&repo)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while reqwest::blocking::get(format!("{url}/timestamp.json")).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "http.server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = update(&url, &[]);
    let _ = http.kill();
    let _ = http.wait();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("now used for public-good"),
        "{}",
        o.stderr
    );
    // Updating again (the datastore of the first update is kept) works.
    let o = update(repo.to_str().unwrap(), &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(d.join("cache/public-good/datastore").is_dir());
    let cached: PathBuf = d.join("cache/public-good/trusted_root.json");
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        std::fs::read(&staging).unwrap()
    );
    // The cached root (staging material under the public-good name) now
    // decides: a staging bundle verifies without --trusted-root or --staging.
    let suite = vector("sigstore-conformance/assets/bundle-verify");
    let verify = |cache: &Path| {
        run(signet(d).env("SIGNET_TUF_CACHE", cache).args([
            "verify-blob",
            "--bundle",
            suite.join("bundle-from-wrong-instance_fail/bundle.sigstore.json").to_str().unwrap(),
            "--certificate-identity",
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
            "--certificate-oidc-issuer",
            "https://token.actions.githubusercontent.com",
            suite.join("a.txt").to_str().unwrap(),
        ]))
    };
    assert_eq!(verify(&d.join("cache")).code, 0);
    assert_eq!(
        verify(&d.join("empty-cache")).code,
        1,
        "the built-in public-good root refuses it"
    );
    // `show` summarizes the cached root.
    let o = run(signet(d)
        .env("SIGNET_TUF_CACHE", d.join("cache"))
        .args(["trusted-root", "show"]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("timestamp authorities: 1"),
        "{}",
        o.stdout
    );
}

#[test]
fn tampered_or_expired_repositories_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let staging = vector("trust-roots/staging/trusted_root.json");
    let repo = d.join("repo");
    if !make_repo(&repo, &staging, 30) {
        return;
    }
    std::fs::write(d.join("got.json"), b"previous").unwrap();
    let update = |repo: &Path| {
        run(signet(d)
            .args([
                "trusted-root",
                "update",
                "--tuf-root",
                repo.to_str().unwrap(),
                "--root",
            ])
            .arg(repo.join("1.root.json"))
            .args(["-o", "got.json"]))
    };
    // A target whose bytes differ from what targets.json signed.
    let target = std::fs::read_dir(repo.join("targets"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&target, &bytes).unwrap();
    let o = update(&repo);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("TUF"), "{}", o.stderr);
    assert_eq!(std::fs::read(d.join("got.json")).unwrap(), b"previous");
    // Metadata signed by another key than the root names.
    let other = d.join("other");
    assert!(make_repo(&other, &staging, 30));
    std::fs::copy(other.join("timestamp.json"), repo.join("timestamp.json")).unwrap();
    let o = update(&repo);
    assert_eq!(o.code, 2, "{}", o.stderr);
    // Expired metadata.
    let old = d.join("old");
    assert!(make_repo(&old, &staging, -1));
    let o = update(&old);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.to_lowercase().contains("expired"), "{}", o.stderr);
    assert_eq!(std::fs::read(d.join("got.json")).unwrap(), b"previous");
    // Not a repository at all.
    let o = update(&d.join("missing"));
    assert_eq!(o.code, 2, "{}", o.stderr);
}
