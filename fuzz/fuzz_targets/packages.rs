#![no_main]
//! RPM leads and headers, Debian ar archives, APK gzip/tar segments: parse and re-sign;
//! never a panic, whatever the bytes.
use libfuzzer_sys::fuzz_target;
use signet_packages::{apk, deb, rpm};

fuzz_target!(|data: &[u8]| {
    let mut r = data;
    if let Ok(p) = rpm::read_prefix(&mut r) {
        let _ = p.name();
        let _ = p.payload_sha256();
        let _ = p.header_signature();
        let _ = p.signed(rpm::tag::RSA, b"\x88\x00");
    }
    if let Ok(ms) = deb::members(&mut std::io::Cursor::new(data)) {
        let _ = deb::signed_members(&ms);
    }
    if let Ok(p) = apk::read_prefix(data) {
        let _ = p.field("datahash");
    }
});
