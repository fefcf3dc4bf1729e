#![no_main]
//! PEM armor: any bytes decode or fail cleanly; what decodes re-encodes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = signet_crypto::armor::decode_first(data) {
        let again = signet_crypto::armor::encode(&block.label, &block.contents);
        let back = signet_crypto::armor::decode_first(again.as_bytes()).expect("re-encoded PEM parses");
        assert_eq!(back.contents, block.contents);
    }
});
