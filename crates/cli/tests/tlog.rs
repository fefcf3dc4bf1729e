//! The log as users run it: `signet serve` as a process, `sign-blob
//! --tlog-url`, offline `verify-blob --trusted-root`, and crash safety under
//! `kill -9` during sustained appends.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_crypto::{KeyAlgorithm, Message, PrivateKey};
use signet_testkit::Backend;
use signet_tlog::Hash;
use signet_tlog::checkpoint::Checkpoint;
use signet_tlog::note::Verifier;
use signet_types::b64;

#[test]
fn sign_log_and_verify_offline() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let server = Server::start(&d.join("srv"), free_port());
    keypair(d, "k");
    std::fs::write(d.join("pack.zst"), b"release bits").unwrap();
    let o = run(signet(d).env("SIGNET_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "k.key",
        "--tlog-url",
        &server.url,
        "--bundle",
        "pack.sigstore.json",
        "pack.zst",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("tlog entry created with index: 0"),
        "{}",
        o.stderr
    );
    let o = run(signet(d).args([
        "trusted-root",
        "create",
        "--tlog-url",
        &server.url,
        "-o",
        "root.json",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    server.kill9();

    // No server: everything is checked from the bundle and the pinned root.
    let verify = |bundle: &str, root: &str, file: &str| {
        run(signet(d).args([
            "verify-blob",
            "--key",
            "k.pub",
            "--bundle",
            bundle,
            "--trusted-root",
            root,
            file,
        ]))
    };
    let o = verify("pack.sigstore.json", "root.json", "pack.zst");
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "Verified OK\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("inclusion proof, signed checkpoint and SET"),
        "{}",
        o.stderr
    );

    // Tampering with any part of the log evidence fails, naming the check.
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(d.join("pack.sigstore.json")).unwrap()).unwrap();
    let tamper = |name: &str, f: &dyn Fn(&mut Value)| {
        let mut b = bundle.clone();
        f(&mut b["verificationMaterial"]["tlogEntries"][0]);
        std::fs::write(d.join(name), serde_json::to_vec(&b).unwrap()).unwrap();
        verify(name, "root.json", "pack.zst")
    };
    let o = tamper("t1.json", &|e| {
        e["inclusionPromise"]["signedEntryTimestamp"] =
            json!(b64::encode([0x30, 0x06, 2, 1, 1, 2, 1, 1]))
    });
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("signed entry timestamp"), "{}", o.stderr);
    let o = tamper("t2.json", &|e| {
        e["inclusionProof"]["rootHash"] = json!(b64::encode([7u8; 32]))
    });
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("inclusion proof"), "{}", o.stderr);
    let o = tamper("t3.json", &|e| {
        let env = e["inclusionProof"]["checkpoint"]["envelope"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut lines: Vec<String> = env.lines().map(str::to_owned).collect();
        lines[1] = "5".into();
        e["inclusionProof"]["checkpoint"]["envelope"] = json!(lines.join("\n") + "\n");
    });
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("checkpoint"), "{}", o.stderr);
    // A root that does not name this log, and other content.
    let other_root = std::fs::read_to_string(d.join("root.json"))
        .unwrap()
        .replace("\"keyId\":\"", "\"keyId\":\"AA");
    std::fs::write(d.join("other-root.json"), other_root).unwrap();
    let o = verify("pack.sigstore.json", "other-root.json", "pack.zst");
    assert_ne!(o.code, 0);
    std::fs::write(d.join("other.zst"), b"other bits").unwrap();
    let o = verify("pack.sigstore.json", "root.json", "other.zst");
    assert_eq!(o.code, 1);
}

/// Appends over HTTP, returning (index, leaf hash) of acknowledged entries.
fn append(url: &str, key: &PrivateKey, n: u64) -> Option<(u64, Hash)> {
    let content = n.to_be_bytes();
    let d = Digest::of(DigestAlgorithm::Sha256, &content);
    let sig = key.sign(&Message::Digest(d)).unwrap();
    let entry = json!({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {
        "signature": {"content": b64::encode(&sig), "publicKey": {"content": b64::encode(key.public_key().to_pem())}},
        "data": {"hash": {"algorithm": "sha256", "value": d.to_hex()}}}});
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let resp = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&entry)
        .send()
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let doc: Value = resp.json().ok()?;
    let (uuid, e) = doc.as_object()?.iter().next()?;
    Some((e["logIndex"].as_u64()?, Hash::from_hex(uuid)?))
}

fn checkpoint(url: &str, vkeys: &[Verifier]) -> Checkpoint {
    let note = reqwest::blocking::get(format!("{url}/checkpoint"))
        .unwrap()
        .text()
        .unwrap();
    Checkpoint::open(&note, vkeys).unwrap()
}

#[test]
fn kill_9_during_appends_loses_nothing_acknowledged() {
    crash_test(Backend::SqliteFile);
}

#[test]
fn kill_9_during_appends_on_postgres_and_s3() {
    crash_test(Backend::PostgresS3);
}

/// Kills `signet serve` at random moments during sustained appends from 8
/// writers; after each restart every acknowledged entry is there and the
/// checkpoint extends every earlier one; at the end tiles reproduce the
/// root and fsck is clean.
fn crash_test(backend: Backend) {
    // CI sets SIGNET_CRASH_POINTS=200; a local run does fewer.
    let points: usize = std::env::var("SIGNET_CRASH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let Some(started) = backend.start() else {
        return;
    };
    let env = started.env();
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("srv");
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let mut acked: Vec<(u64, Hash)> = Vec::new();
    let mut seen: Vec<Checkpoint> = Vec::new();
    let mut vkeys: Vec<Verifier> = Vec::new();
    let mut next = 0u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..points {
        let server = Server::start_with(&data, free_port(), &env);
        if vkeys.is_empty() {
            let info: Value = reqwest::blocking::get(format!("{}/api/v1/log", server.url))
                .unwrap()
                .json()
                .unwrap();
            vkeys = info["vkeys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| Verifier::from_vkey(v.as_str().unwrap()).unwrap())
                .collect();
        }
        // After the restart: every acknowledged entry is there, and the
        // checkpoint extends every earlier one.
        let cp = checkpoint(&server.url, &vkeys);
        for (idx, _) in &acked {
            assert!(
                *idx < cp.size,
                "round {round}: acknowledged index {idx} beyond checkpoint size {}",
                cp.size
            );
        }
        for (idx, leaf) in acked.iter().rev().take(20) {
            let r = reqwest::blocking::get(format!(
                "{}/api/v1/log/entries/{}",
                server.url,
                leaf.to_hex()
            ))
            .unwrap();
            assert!(r.status().is_success(), "round {round}: entry {idx} lost");
            let doc: Value = r.json().unwrap();
            assert_eq!(
                doc.as_object().unwrap().values().next().unwrap()["logIndex"].as_u64(),
                Some(*idx)
            );
        }
        if let Some(prev) = seen.last() {
            assert!(cp.size >= prev.size, "round {round}: the log shrank");
            if prev.size > 0 && cp.size > prev.size {
                let proof: Value = reqwest::blocking::get(format!(
                    "{}/api/v1/log/proof?firstSize={}&lastSize={}",
                    server.url, prev.size, cp.size
                ))
                .unwrap()
                .json()
                .unwrap();
                let hashes: Vec<Hash> = proof["hashes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap())
                    .collect();
                signet_tlog::verify::consistency(prev.size, cp.size, &hashes, &prev.root, &cp.root)
                    .unwrap_or_else(|e| panic!("round {round}: checkpoints inconsistent: {e}"));
            } else if cp.size == prev.size {
                assert_eq!(
                    cp.root, prev.root,
                    "round {round}: same size, different root"
                );
            }
        }
        seen.push(cp);
        // Sustained appends from two writers, killed at a random moment.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let kill_after = Duration::from_millis(50 + seed % 400);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..8u64 {
            let url = server.url.clone();
            let key = PrivateKey::from_pkcs8_der(key.pkcs8_der()).unwrap();
            let stop = stop.clone();
            let start = next + w * 1_000_000;
            writers.push(std::thread::spawn(move || {
                let mut got = Vec::new();
                let mut n = start;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(a) = append(&url, &key, n) {
                        got.push(a);
                    }
                    n += 1;
                }
                got
            }));
        }
        std::thread::sleep(kill_after);
        server.kill9();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for w in writers {
            acked.extend(w.join().unwrap());
        }
        next += 10_000;
    }
    // Final check: tiles reproduce the last checkpoint's root.
    let server = Server::start_with(&data, free_port(), &env);
    let cp = checkpoint(&server.url, &vkeys);
    let fetch = |id: signet_tlog::tile::TileId| {
        reqwest::blocking::get(format!("{}/{}", server.url, id.path()))
            .ok()
            .filter(|r| r.status().is_success())
            .and_then(|r| r.bytes().ok())
            .map(|b| b.to_vec())
            .ok_or(signet_tlog::Error::Tile(format!("missing {}", id.path())))
    };
    let reader = signet_tlog::tile::TileReader::new(cp.size, fetch);
    assert_eq!(signet_tlog::tree::root(&reader, cp.size).unwrap(), cp.root);
    assert!(
        !acked.is_empty(),
        "the writers got no acknowledgement at all"
    );
    for (idx, leaf) in &acked {
        let r = reqwest::blocking::get(format!(
            "{}/api/v1/log/entries/{}",
            server.url,
            leaf.to_hex()
        ))
        .unwrap();
        assert!(r.status().is_success(), "acknowledged entry {idx} lost");
    }
    drop(server);
    // fsck (against the same database and storage) finds nothing wrong.
    let o = run(signet(t.path())
        .args(["log", "fsck"])
        .arg(&data)
        .env("SIGNET_LOG_KEY_PASSWORD", "crash-test")
        .envs(env.iter().map(|(k, v)| (k, v))));
    assert_eq!(o.code, 0, "fsck: {}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains(" 0 problems"), "{}", o.stdout);
    eprintln!(
        "{backend:?}: {points} kill -9 rounds, {} acknowledged entries, final size {}",
        acked.len(),
        cp.size
    );
}

#[test]
fn monitor_and_fsck_catch_damage() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let o = run(signet(d).args([
        "trusted-root",
        "create",
        "--tlog-url",
        &server.url,
        "-o",
        "root.json",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let monitor = || {
        run(signet(d).args([
            "log",
            "verify",
            "--tlog-url",
            &server.url,
            "--trusted-root",
            "root.json",
            "--state",
            "state.json",
        ]))
    };
    for n in 0..3 {
        assert!(append(&server.url, &key, n).is_some());
    }
    let o = monitor();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("grew from 0 to 3"), "{}", o.stdout);
    for n in 3..300 {
        assert!(append(&server.url, &key, n).is_some());
    }
    let o = monitor();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("grew from 3 to 300"), "{}", o.stdout);
    let o = run(signet(d).args([
        "log",
        "info",
        "--tlog-url",
        &server.url,
        "--trusted-root",
        "root.json",
    ]));
    assert!(o.stdout.contains("tree size: 300"), "{}", o.stdout);
    let o = run(signet(d).args(["log", "get", "--tlog-url", &server.url, "--index", "7"]));
    assert!(o.stdout.contains("\"logIndex\":7"), "{}", o.stdout);
    // A state file that claims another root for this size is a split view;
    // one that claims a larger size is a rollback.
    let state: Value =
        serde_json::from_slice(&std::fs::read(d.join("state.json")).unwrap()).unwrap();
    let mut split = state.clone();
    split["root"] = json!(b64::encode([1u8; 32]));
    std::fs::write(d.join("state.json"), serde_json::to_vec(&split).unwrap()).unwrap();
    let o = monitor();
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("split view"), "{}", o.stderr);
    let mut ahead = state.clone();
    ahead["size"] = json!(1000);
    std::fs::write(d.join("state.json"), serde_json::to_vec(&ahead).unwrap()).unwrap();
    let o = monitor();
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("rollback"), "{}", o.stderr);
    let mut old = state.clone();
    old["size"] = json!(3);
    std::fs::write(d.join("state.json"), serde_json::to_vec(&old).unwrap()).unwrap();
    let o = monitor();
    assert_eq!(
        o.code, 1,
        "a wrong old root at size 3 must not pass the consistency proof"
    );
    // A key the trusted root does not name fails the signature check.
    let other = d.join("other-root.json");
    let mut root: Value =
        serde_json::from_slice(&std::fs::read(d.join("root.json")).unwrap()).unwrap();
    let k2 = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    root["tlogs"][0]["publicKey"]["rawBytes"] = json!(b64::encode(k2.public_key().spki_der()));
    std::fs::write(&other, serde_json::to_vec(&root).unwrap()).unwrap();
    let o = run(signet(d)
        .args(["log", "info", "--tlog-url", &server.url, "--trusted-root"])
        .arg(&other));
    assert_eq!(o.code, 1, "{}", o.stderr);
    drop(server);

    let o = run(signet(d).args(["log", "fsck"]).arg(&data));
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // Damage a tile: fsck names it.
    let tile = data.join("tiles/tile/0/000");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[5] ^= 1;
    std::fs::write(&tile, bytes).unwrap();
    let o = run(signet(d).args(["log", "fsck"]).arg(&data));
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains("tile/0/000 differs"), "{}", o.stdout);
    let o = run(signet(d).args(["log", "fsck", "/nonexistent"]));
    assert_eq!(o.code, 2);
}
