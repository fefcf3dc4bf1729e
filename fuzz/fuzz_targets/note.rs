#![no_main]
//! Signed notes: parse, and verify against a fixed key without panicking.
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use signet_tlog::note::{Note, Verifier};

static V: OnceLock<Verifier> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let v = V.get_or_init(|| {
        Verifier::from_vkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").expect("vkey")
    });
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(n) = Note::parse(text) {
            let _ = n.verify(std::slice::from_ref(v));
            let _ = n.verify_with_key(v.public_key());
        }
        let _ = Verifier::from_vkey(text);
        let _ = signet_tlog::note::Signer::from_skey(text);
    }
});
