#![no_main]
//! Image references, signature manifests, Simple Signing payloads, bundle
//! referrers, in-toto statements: parse without panicking.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = signet_oci::legacy::parse(data);
    let _ = signet_oci::simple_signing::parse(data);
    let _ = signet_oci::referrer::bundle_referrers(data);
    let _ = signet_oci::referrer::bundle_layer(data);
    let _ = signet_oci::referrer::parse_statement(data);
    let _ = signet_oci::references(data);
    let _ = signet_oci::index_children(data);
    let _ = signet_oci::referrer::add_to_index(Some(data), serde_json::json!({"digest": "x"}));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = signet_oci::reference::Reference::parse(text);
        let _ = signet_oci::predicate::build(text, data, "");
    }
});
