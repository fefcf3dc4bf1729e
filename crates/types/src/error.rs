use thiserror::Error;

/// Errors from parsing wire formats.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The document is not valid JSON for the expected shape.
    #[error("malformed {what}: {source}")]
    Json {
        /// Which document was being read.
        what: &'static str,
        /// The underlying parser error (line and column included).
        #[source]
        source: serde_json::Error,
    },
    /// A bundle declares a media type this version of signet does not know.
    #[error("unsupported bundle media type {0:?}")]
    UnknownMediaType(String),
    /// A value cannot be canonicalized (RFC 8785).
    #[error("cannot canonicalize JSON: {0}")]
    Canonical(&'static str),
    /// A field is missing or has the wrong form.
    #[error("malformed {what}: {detail}")]
    Field {
        /// Which document was being read.
        what: &'static str,
        /// What is wrong.
        detail: &'static str,
    },
    /// A bundle has neither or both of `messageSignature` and `dsseEnvelope`.
    #[error("bundle must hold exactly one of messageSignature and dsseEnvelope")]
    BundleContent,
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
