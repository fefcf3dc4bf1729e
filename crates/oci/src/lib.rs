//! OCI image references and cosign's image signature formats, as pure
//! data: no I/O. The CLI fetches and pushes; this crate says what the bytes
//! are.
//!
//! - [`reference`](mod@reference): `registry/repository[:tag][@digest]`, with Docker Hub's
//!   defaults made explicit as cosign does.
//! - [`simple_signing`]: the payload cosign signs for an image, byte for byte.
//! - [`legacy`]: the `sha256-<hex>.sig` manifest that carries signatures.
#![forbid(unsafe_code)]

pub mod legacy;
pub mod predicate;
pub mod reference;
pub mod referrer;
pub mod simple_signing;

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[bytes]))
    )
}

/// Whether `d` is `sha256:<64 lowercase hex>`.
pub fn is_sha256_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The child manifest digests of an image index (empty for an image
/// manifest or anything else).
pub fn index_children(manifest: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(manifest) else {
        return Vec::new();
    };
    v.get("manifests")
        .and_then(|m| m.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|m| m.get("digest").and_then(|d| d.as_str()))
                .filter(|d| is_sha256_digest(d))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn index_children() {
        let d = format!("sha256:{}", "e".repeat(64));
        let idx = format!(r#"{{"manifests":[{{"digest":"{d}"}},{{"digest":"bad"}}]}}"#);
        assert_eq!(super::index_children(idx.as_bytes()), vec![d]);
        assert!(super::index_children(b"{}").is_empty());
        assert!(super::index_children(b"nope").is_empty());
    }
}
