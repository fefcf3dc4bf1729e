//! `--type` shortcuts of `cosign attest` and the predicates they build
//! (`cmd/cosign/cli/options/predicate.go`).

use serde_json::{Value, json};

/// The predicate type URI a `--type` names (a URI stands for itself).
pub fn type_uri(t: &str) -> Option<&str> {
    Some(match t {
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "link" => "https://in-toto.io/Link/v1",
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        uri if uri.contains("://") => uri,
        _ => return None,
    })
}

/// The predicate for `--type t` from the file's bytes; `now` (RFC 3339)
/// stamps `custom` predicates.
pub fn build(t: &str, file: &[u8], now: &str) -> Result<Value, String> {
    match t {
        "custom" => Ok(json!({
            "Data": String::from_utf8_lossy(file),
            "Timestamp": now,
        })),
        // cosign's legacy SPDX predicate is the document as a JSON string.
        "spdx" => Ok(Value::String(String::from_utf8_lossy(file).into_owned())),
        _ => {
            if type_uri(t).is_none() {
                return Err(format!(
                    "unknown --type {t:?}: use custom, slsaprovenance, slsaprovenance02, slsaprovenance1, spdx, spdxjson, cyclonedx, vuln, openvex, link, or a predicate type URI"
                ));
            }
            let v: Value = serde_json::from_slice(file)
                .map_err(|e| format!("the predicate file is not JSON: {e}"))?;
            if !v.is_object() {
                return Err("the predicate must be a JSON object".into());
            }
            Ok(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts() {
        assert_eq!(
            type_uri("slsaprovenance1"),
            Some("https://slsa.dev/provenance/v1")
        );
        assert_eq!(
            type_uri("https://example.com/p"),
            Some("https://example.com/p")
        );
        assert_eq!(type_uri("nope"), None);
        let c = build("custom", b"hello", "2026-01-01T00:00:00Z").unwrap();
        assert_eq!(c["Data"], "hello");
        assert_eq!(build("spdx", b"{\"a\":1}", "").unwrap(), json!("{\"a\":1}"));
        assert_eq!(build("spdxjson", b"{\"a\":1}", "").unwrap()["a"], 1);
        assert!(build("cyclonedx", b"[1]", "").is_err());
        assert!(build("openvex", b"nope", "").is_err());
        assert!(build("bogus", b"{}", "").is_err());
    }
}
