#![no_main]
//! Entry bundles decode or fail; what decodes re-encodes identically.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = signet_tlog::tile::decode_entries(data) {
        assert_eq!(signet_tlog::tile::encode_entries(&entries).expect("encodes"), data);
    }
});
