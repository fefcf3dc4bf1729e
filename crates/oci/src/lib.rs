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

/// What a manifest references: `Index(children)` for an image index, or
/// `Image(blobs)`, the config and layers as `(digest, size)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum References {
    /// Child manifest digests of an index.
    Index(Vec<String>),
    /// Config and layer blobs of an image manifest.
    Image(Vec<(String, u64)>),
}

/// Reads what manifest `bytes` references; an error names the problem.
pub fn references(bytes: &[u8]) -> Result<References, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the manifest is not JSON: {e}"))?;
    if v.get("manifests").is_some() {
        return Ok(References::Index(index_children(bytes)));
    }
    let mut out = Vec::new();
    let layers = v.get("layers").and_then(|l| l.as_array());
    for b in v
        .get("config")
        .into_iter()
        .chain(layers.into_iter().flatten())
    {
        let d = b
            .get("digest")
            .and_then(|d| d.as_str())
            .filter(|d| is_sha256_digest(d))
            .ok_or("the manifest references a blob without a sha256 digest")?;
        out.push((
            d.to_owned(),
            b.get("size").and_then(|s| s.as_u64()).unwrap_or(0),
        ));
    }
    Ok(References::Image(out))
}

/// A manifest's own `mediaType`, if it names one.
pub fn media_type(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()?
        .get("mediaType")?
        .as_str()
        .map(str::to_owned)
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
    fn references() {
        use super::References;
        let d = format!("sha256:{}", "e".repeat(64));
        let m = format!(
            r#"{{"config":{{"digest":"{d}","size":2}},"layers":[{{"digest":"{d}","size":5}}]}}"#
        );
        assert_eq!(
            super::references(m.as_bytes()).unwrap(),
            References::Image(vec![(d.clone(), 2), (d.clone(), 5)])
        );
        let i = format!(r#"{{"manifests":[{{"digest":"{d}"}}]}}"#);
        assert_eq!(
            super::references(i.as_bytes()).unwrap(),
            References::Index(vec![d])
        );
        assert!(super::references(br#"{"layers":[{"digest":"x"}]}"#).is_err());
        assert!(super::references(b"nope").is_err());
    }

    #[test]
    fn index_children() {
        let d = format!("sha256:{}", "e".repeat(64));
        let idx = format!(r#"{{"manifests":[{{"digest":"{d}"}},{{"digest":"bad"}}]}}"#);
        assert_eq!(super::index_children(idx.as_bytes()), vec![d]);
        assert!(super::index_children(b"{}").is_empty());
        assert!(super::index_children(b"nope").is_empty());
    }
}
