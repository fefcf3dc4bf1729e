#![no_main]
//! cosign's encrypted key document (the JSON inside the PEM).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = signet_crypto::envelope::open(data, b"pw");
});
