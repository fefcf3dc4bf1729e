//! Keys, key envelopes and signatures for signet. No I/O: callers read files,
//! environment and terminals, and pass bytes, passwords and randomness in.
//!
//! Primitives come from `aws-lc-rs` (built as the FIPS 140-3 module with the
//! `fips` feature); formats (PEM, PKCS#8, SPKI, cosign's scrypt + secretbox
//! envelope) are parsed here in Rust.
//!
//! ```
//! use signet_crypto::{KeyAlgorithm, PrivateKey, digest::Hasher};
//! let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
//! let mut hasher = Hasher::new(key.algorithm().digest().unwrap());
//! hasher.update(b"hello");
//! let message = signet_crypto::Message::Digest(hasher.finish());
//! let sig = key.sign(&message).unwrap();
//! key.public_key().verify(&message, &sig).unwrap();
//! ```
#![forbid(unsafe_code)]

pub mod armor;
pub mod digest;
pub mod envelope;
mod error;
mod key;
pub mod legacy;
pub mod signature;

pub use error::{Error, Result};
pub use key::{KeyAlgorithm, Message, PrivateKey, PublicKey, SignatureScheme, is_encrypted_pem};

/// Whether the crypto provider runs as the FIPS 140-3 validated module.
pub fn fips_mode() -> bool {
    aws_lc_rs::try_fips_mode().is_ok()
}

/// Fills `buf` with random bytes from the provider's DRBG.
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| Error::Provider("random number generator failed"))
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use aws_lc_rs::hmac;
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Whether `tag` is the HMAC-SHA256 of `message` under `key` (constant time).
pub fn hmac_sha256_verify(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    use aws_lc_rs::hmac;
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, key), message, tag).is_ok()
}

/// Whether two byte strings are equal, in time independent of their contents.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}
