#![no_main]
//! RFC 3161 timestamp responses checked against the public-good root.
use libfuzzer_sys::fuzz_target;
use signet_types::trust_root::TrustedRoot;

static ROOT: &[u8] =
    include_bytes!("../../crates/cli/data/trust-roots/public-good/trusted_root.json");

fuzz_target!(|data: &[u8]| {
    let root = TrustedRoot::from_json(ROOT).expect("built-in root");
    assert!(signet_verify::tsa::verify(data, b"signature", &root).is_err());
});
