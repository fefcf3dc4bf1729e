#![no_main]
//! Signature files (base64 or DER) checked against a fixed key.
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use signet_crypto::{KeyAlgorithm, Message, PrivateKey};

static KEY: OnceLock<PrivateKey> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let key = KEY.get_or_init(|| PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("keygen"));
    if let Ok(sig) = signet_crypto::signature::decode_signature_file(data) {
        assert!(key.public_key().verify(&Message::Raw(b"fuzz"), &sig).is_err());
    }
    if data.len() <= 132 && data.len() % 2 == 0 && !data.is_empty() {
        let der = signet_crypto::signature::ecdsa_fixed_to_der(data).expect("even length converts");
        assert!(signet_crypto::signature::is_der_ecdsa(&der));
    }
});
