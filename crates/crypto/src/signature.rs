//! Signature encodings: the DER `SEQUENCE { r, s }` that ECDSA uses
//! everywhere in cosign and openssl, the fixed `r‖s` form HSMs return, and
//! the base64-or-raw detection cosign applies to signature files.

use crate::{Error, Result};

/// Decodes the contents of a signature file: base64 text (cosign's `.sig`)
/// or raw bytes (openssl's `.sig.bin`). A DER ECDSA signature is recognised
/// first, so a raw signature is never misread as base64.
pub fn decode_signature_file(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.trim_ascii().is_empty() {
        return Err(Error::SignatureFormat("the signature file is empty".into()));
    }
    if is_der_ecdsa(bytes) {
        return Ok(bytes.to_vec());
    }
    let text = bytes.trim_ascii();
    let looks_b64 = text
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\r' | b'\n'));
    if looks_b64
        && let Ok(decoded) = signet_b64_decode(text)
        && !decoded.is_empty()
    {
        return Ok(decoded);
    }
    Ok(bytes.to_vec())
}

fn signet_b64_decode(text: &[u8]) -> std::result::Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine as _;
    let joined: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(joined)
}

/// Reads one DER length at `input[0..]`; returns (length, header bytes used).
fn der_len(input: &[u8]) -> Option<(usize, usize)> {
    let first = *input.first()?;
    if first < 0x80 {
        return Some((first as usize, 1));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 2 || input.len() < 1 + n {
        return None;
    }
    let mut len = 0usize;
    for b in &input[1..=n] {
        len = (len << 8) | *b as usize;
    }
    if len < 0x80 {
        return None; // non-minimal length: not DER
    }
    Some((len, 1 + n))
}

fn der_integer(input: &[u8]) -> Option<(&[u8], &[u8])> {
    if input.first() != Some(&0x02) {
        return None;
    }
    let (len, used) = der_len(&input[1..])?;
    let start = 1 + used;
    let end = start.checked_add(len)?;
    if len == 0 || input.len() < end {
        return None;
    }
    let value = &input[start..end];
    // Minimal encoding, non-negative.
    if value[0] & 0x80 != 0 {
        return None;
    }
    if value.len() > 1 && value[0] == 0 && value[1] & 0x80 == 0 {
        return None;
    }
    Some((value, &input[end..]))
}

/// Whether `sig` is exactly a DER `SEQUENCE { INTEGER r, INTEGER s }`.
pub fn is_der_ecdsa(sig: &[u8]) -> bool {
    parse_der_ecdsa(sig).is_some()
}

fn parse_der_ecdsa(sig: &[u8]) -> Option<(&[u8], &[u8])> {
    if sig.first() != Some(&0x30) {
        return None;
    }
    let (len, used) = der_len(&sig[1..])?;
    let body = sig.get(1 + used..)?;
    if body.len() != len {
        return None;
    }
    let (r, rest) = der_integer(body)?;
    let (s, rest) = der_integer(rest)?;
    rest.is_empty().then_some((r, s))
}

fn push_der_integer(out: &mut Vec<u8>, value: &[u8]) {
    let mut v = value;
    while v.len() > 1 && v[0] == 0 {
        v = &v[1..];
    }
    let pad = v.first().is_some_and(|b| b & 0x80 != 0);
    let len = v.len() + usize::from(pad);
    out.push(0x02);
    push_der_len(out, len);
    if pad {
        out.push(0);
    }
    out.extend_from_slice(v);
}

fn push_der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

/// Converts a fixed-width `r‖s` ECDSA signature (what PKCS#11 returns) to DER.
pub fn ecdsa_fixed_to_der(fixed: &[u8]) -> Result<Vec<u8>> {
    if fixed.is_empty() || !fixed.len().is_multiple_of(2) || fixed.len() > 2 * 66 {
        return Err(Error::SignatureFormat(format!(
            "a fixed-width ECDSA signature has an even length up to 132 bytes, got {}",
            fixed.len()
        )));
    }
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let mut body = Vec::with_capacity(fixed.len() + 8);
    push_der_integer(&mut body, r);
    push_der_integer(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x30);
    push_der_len(&mut out, body.len());
    out.extend_from_slice(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_to_der_is_valid_der() {
        let mut fixed = [0u8; 64];
        fixed[0] = 0x80; // r needs a pad byte
        fixed[32] = 0x00;
        fixed[33] = 0x01; // s has a leading zero to strip
        let der = ecdsa_fixed_to_der(&fixed).unwrap();
        assert!(is_der_ecdsa(&der));
        assert_eq!(&der[..5], &[0x30, 0x44, 0x02, 0x21, 0x00]);
        assert!(ecdsa_fixed_to_der(&[1, 2, 3]).is_err());
    }

    #[test]
    fn detects_raw_and_base64() {
        let der = ecdsa_fixed_to_der(&[5u8; 64]).unwrap();
        assert_eq!(decode_signature_file(&der).unwrap(), der);
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der);
        assert_eq!(
            decode_signature_file(format!("{b64}\n").as_bytes()).unwrap(),
            der
        );
        assert!(!is_der_ecdsa(&der[..der.len() - 1]), "truncated");
        assert!(decode_signature_file(b"  \n").is_err());
    }
}
