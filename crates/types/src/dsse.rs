//! DSSE (`secure-systems-lab/dsse`): the pre-authentication encoding that
//! envelope signatures cover.

/// `PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn spec_vector() {
        let expected = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vectors/dsse/derived/protocol-vector.pae.bin"
        ))
        .unwrap();
        assert_eq!(
            super::pae("http://example.com/HelloWorld", b"hello world"),
            expected
        );
    }
}
