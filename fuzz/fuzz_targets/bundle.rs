#![no_main]
//! Sigstore bundle JSON.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = signet_types::bundle::Bundle::from_json(data) {
        let again = b.to_json_pretty();
        let back = signet_types::bundle::Bundle::from_json(again.as_bytes()).expect("round trip");
        assert_eq!(back, b);
    }
});
