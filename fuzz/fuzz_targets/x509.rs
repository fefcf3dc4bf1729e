#![no_main]
//! X.509 certificates: parsing, the identity and Fulcio extensions, the
//! embedded SCT list and the precertificate TBS; never a panic.
use libfuzzer_sys::fuzz_target;
use signet_verify::x509::Cert;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Cert::from_der(data) {
        let _ = c.validity();
        let _ = c.identity();
        let _ = c.oidc_issuer();
        let _ = c.is_self_signed();
        let _ = c.is_ca();
        if let Some(list) = c.sct_list() {
            let _ = signet_verify::sct::parse_list(&list);
        }
        let _ = c.tbs_without_scts();
    }
    let _ = signet_verify::sct::parse_list(data);
});
