use thiserror::Error;

/// Errors from key handling and signature checks.
///
/// Signature failures are one opaque [`Error::InvalidSignature`] on purpose:
/// they say nothing an attacker could use.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The signature does not verify.
    #[error("signature does not verify")]
    InvalidSignature,
    /// The text is not PEM, or its base64 body is damaged.
    #[error("not a valid PEM file: {0}")]
    Pem(String),
    /// A PEM label signet cannot use here.
    #[error("unsupported PEM block {label:?}: expected {expected}")]
    UnsupportedLabel {
        /// The label found.
        label: String,
        /// What was expected instead.
        expected: &'static str,
    },
    /// The password does not open the key.
    #[error("wrong password: the key could not be decrypted")]
    WrongPassword,
    /// The key is encrypted and no password was given.
    #[error("the key is encrypted and needs a password")]
    PasswordRequired,
    /// The encrypted key envelope is malformed.
    #[error("malformed encrypted key: {0}")]
    Envelope(String),
    /// The DER key structure is malformed or of an unsupported algorithm.
    #[error("malformed or unsupported key: {0}")]
    Key(String),
    /// The signature bytes are neither base64 nor a DER signature.
    #[error("malformed signature: {0}")]
    SignatureFormat(String),
    /// The key cannot sign or verify this kind of input.
    #[error("{0}")]
    Unsupported(String),
    /// An internal failure of the crypto provider.
    #[error("crypto provider failure: {0}")]
    Provider(&'static str),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
