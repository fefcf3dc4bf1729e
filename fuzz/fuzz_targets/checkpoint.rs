#![no_main]
//! Checkpoint bodies: what parses formats back to the same text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cp) = signet_tlog::checkpoint::Checkpoint::parse(text) {
            assert_eq!(cp.to_text(), text);
        }
    }
});
