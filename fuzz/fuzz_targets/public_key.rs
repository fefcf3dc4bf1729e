#![no_main]
//! Public keys as PEM or DER SPKI.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(k) = signet_crypto::PublicKey::from_pem(data) {
        let _ = k.to_pem();
    }
    if let Ok(k) = signet_crypto::PublicKey::from_spki_der(data) {
        assert_eq!(k.spki_der(), data);
    }
});
