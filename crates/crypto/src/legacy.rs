//! Signatures only old formats need, kept apart: RSA PKCS#1 v1.5 over
//! SHA-1, which abuild-sign writes (`.SIGN.RSA.` in Alpine packages) and
//! apk-tools before 2.12 reads. aws-lc-rs verifies these but does not make
//! them, so signing uses the RustCrypto `rsa` crate; it is refused in FIPS
//! mode. Nothing in signet trusts a SHA-1 signature more than the format
//! it serves requires.

use rsa::pkcs8::DecodePrivateKey;

use crate::{Error, Result};

/// Signs `message` with RSA PKCS#1 v1.5 over SHA-1 with `key` (an RSA key
/// loaded the usual way, [`crate::PrivateKey`]).
pub fn rsa_pkcs1_sha1_sign(key: &crate::PrivateKey, message: &[u8]) -> Result<Vec<u8>> {
    if crate::fips_mode() {
        return Err(Error::Unsupported(
            "SHA-1 signatures in FIPS mode (use RSA256)".into(),
        ));
    }
    if key.algorithm() != crate::KeyAlgorithm::Rsa {
        return Err(Error::Key(format!(
            "SHA-1 RSA signatures need an RSA key, not {}",
            key.algorithm()
        )));
    }
    let key = rsa::RsaPrivateKey::from_pkcs8_der(key.pkcs8_der())
        .map_err(|e| Error::Key(format!("the RSA key: {e}")))?;
    let hashed = crate::digest::sha1_legacy(message);
    key.sign(rsa::Pkcs1v15Sign::new::<sha1::Sha1>(), &hashed)
        .map_err(|e| Error::Key(format!("RSA signing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyAlgorithm, PrivateKey, SignatureScheme};

    #[test]
    fn sha1_signatures_verify_with_aws_lc() {
        let key = PrivateKey::generate(KeyAlgorithm::Rsa).unwrap();
        let sig = rsa_pkcs1_sha1_sign(&key, b"control segment").unwrap();
        key.public_key()
            .verify_scheme(
                SignatureScheme::RsaPkcs1Sha1Legacy,
                b"control segment",
                &sig,
            )
            .unwrap();
        assert!(
            key.public_key()
                .verify_scheme(SignatureScheme::RsaPkcs1Sha1Legacy, b"other", &sig)
                .is_err()
        );
        let ec = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        assert!(rsa_pkcs1_sha1_sign(&ec, b"x").is_err());
    }
}
