#![no_main]
//! OpenPGP armor, keyrings, secret keys, detached and cleartext
//! signatures: parse and verify; never a panic, whatever the bytes.
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use signet_openpgp::{Keyring, SecretKey};

fn ring() -> &'static Keyring {
    static RING: OnceLock<Keyring> = OnceLock::new();
    RING.get_or_init(|| {
        Keyring::parse(include_bytes!("../corpus/openpgp/key.asc")).expect("the seed key parses")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Keyring::parse(data) {
        let _ = r.fingerprints();
        let _ = r.verify_detached(data, &b"Origin: fuzz\n"[..]);
    }
    let _ = SecretKey::parse(data);
    let _ = ring().verify_detached(data, &b"Origin: fuzz\nSuite: stable\n"[..]);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ring().verify_cleartext(text);
    }
});
