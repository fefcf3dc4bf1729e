#![no_main]
//! Policy documents (YAML and JSON) and custody records: parse, lint,
//! evaluate, verify; never a panic, whatever the bytes.
use libfuzzer_sys::fuzz_target;
use signet_policy::{Artifact, ArtifactType, Policy, decide};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(p) = Policy::parse(text)
    {
        let _ = decide(
            std::slice::from_ref(&p),
            Artifact {
                repository: "production/app",
                artifact_type: ArtifactType::Oci,
            },
            &[],
            &[],
            0,
        );
    }
    if let Ok(record) = serde_json::from_slice::<signet_policy::custody::Record>(data) {
        for e in &record.events {
            let _ = signet_policy::custody::leaf_body(&e.event);
        }
    }
});
