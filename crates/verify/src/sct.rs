//! Embedded Signed Certificate Timestamps (RFC 6962 §3.2–3.3): the CT log
//! promised to publish the precertificate the leaf was made from.

use signet_crypto::digest::sha256_concat;
use signet_crypto::{PublicKey, SignatureScheme};
use signet_types::trust_root::TrustedRoot;

use crate::x509::Cert;

/// One parsed SCT (v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// SHA-256 of the CT log's key.
    pub log_id: [u8; 32],
    /// Milliseconds since the epoch.
    pub timestamp_ms: u64,
    /// Opaque extensions (non-empty for static CT logs).
    pub extensions: Vec<u8>,
    /// TLS `HashAlgorithm`.
    pub hash: u8,
    /// TLS `SignatureAlgorithm`.
    pub sig_alg: u8,
    /// The signature.
    pub signature: Vec<u8>,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("SCT list is truncated".into());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<usize, String> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
    fn vec16(&mut self) -> Result<&'a [u8], String> {
        let n = self.u16()?;
        self.take(n)
    }
}

/// Parses a TLS `SignedCertificateTimestampList`.
pub fn parse_list(bytes: &[u8]) -> Result<Vec<Sct>, String> {
    let mut outer = Reader(bytes);
    let list = outer.vec16()?;
    if !outer.0.is_empty() {
        return Err("trailing bytes after the SCT list".into());
    }
    let mut r = Reader(list);
    let mut out = Vec::new();
    while !r.0.is_empty() {
        let mut s = Reader(r.vec16()?);
        let version = s.u8()?;
        if version != 0 {
            return Err(format!("unsupported SCT version {version}"));
        }
        let mut log_id = [0u8; 32];
        log_id.copy_from_slice(s.take(32)?);
        let ts = s.take(8)?;
        let timestamp_ms = u64::from_be_bytes(ts.try_into().map_err(|_| "bad SCT timestamp")?);
        let extensions = s.vec16()?.to_vec();
        let hash = s.u8()?;
        let sig_alg = s.u8()?;
        let signature = s.vec16()?.to_vec();
        if !s.0.is_empty() {
            return Err("trailing bytes inside an SCT".into());
        }
        out.push(Sct {
            log_id,
            timestamp_ms,
            extensions,
            hash,
            sig_alg,
            signature,
        });
    }
    Ok(out)
}

fn scheme(hash: u8, sig_alg: u8) -> Option<SignatureScheme> {
    Some(match (hash, sig_alg) {
        (4, 3) => SignatureScheme::EcdsaSha256,
        (5, 3) => SignatureScheme::EcdsaSha384,
        (6, 3) => SignatureScheme::EcdsaSha512,
        (4, 1) => SignatureScheme::RsaPkcs1Sha256,
        (8, 7) => SignatureScheme::Ed25519,
        _ => return None,
    })
}

/// The bytes a CT log signs for a precertificate entry.
pub fn signed_data(sct: &Sct, issuer_spki: &[u8], tbs: &[u8]) -> Vec<u8> {
    let mut d = Vec::with_capacity(tbs.len() + 64);
    d.push(0); // v1
    d.push(0); // certificate_timestamp
    d.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
    d.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
    d.extend_from_slice(&sha256_concat(&[issuer_spki]));
    let n = tbs.len();
    d.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    d.extend_from_slice(tbs);
    d.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
    d.extend_from_slice(&sct.extensions);
    d
}

/// Counts the leaf's embedded SCTs that verify with a CT log key of the
/// trusted root valid at the SCT's time. `issuer` signed the leaf.
pub fn verified_count(leaf: &Cert, issuer: &Cert, root: &TrustedRoot) -> Result<usize, String> {
    let list = leaf
        .sct_list()
        .ok_or("the certificate carries no embedded SCT")?;
    let scts = parse_list(&list)?;
    let tbs = leaf
        .tbs_without_scts()
        .ok_or("cannot re-encode the certificate without its SCTs")?;
    let issuer_spki = issuer.spki_der();
    let mut ok = 0;
    for sct in &scts {
        let Some(log) = root.ctlog(&sct.log_id) else {
            continue;
        };
        let secs = i64::try_from(sct.timestamp_ms / 1000).unwrap_or(i64::MAX);
        let in_window = log
            .public_key
            .valid_for
            .as_ref()
            .is_some_and(|w| w.contains(secs).unwrap_or(false));
        if !in_window {
            continue;
        }
        let (Ok(key), Some(scheme)) = (
            PublicKey::from_spki_der(&log.public_key.raw_bytes),
            scheme(sct.hash, sct.sig_alg),
        ) else {
            continue;
        };
        if key
            .verify_scheme(
                scheme,
                &signed_data(sct, &issuer_spki, &tbs),
                &sct.signature,
            )
            .is_ok()
        {
            ok += 1;
        }
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_lists_are_errors_not_panics() {
        for bad in [
            &b""[..],
            &[0, 5, 0, 3, 0][..],
            &[0, 2, 0, 0, 9][..],
            &[0, 4, 0, 2, 1, 0][..],
        ] {
            assert!(parse_list(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_list(&[0, 0]).unwrap(), vec![]);
    }
}
