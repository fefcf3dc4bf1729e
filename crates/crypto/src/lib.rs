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
pub mod signature;

pub use error::{Error, Result};
pub use key::{KeyAlgorithm, Message, PrivateKey, PublicKey, is_encrypted_pem};

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
