#![no_main]
//! Private key PEM of every supported kind (and DER PKCS#8): parse or fail.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = signet_crypto::PrivateKey::from_pem(data, Some(b"pw"));
    let _ = signet_crypto::PrivateKey::from_pkcs8_der(data);
});
