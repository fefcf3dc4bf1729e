use thiserror::Error;

/// Errors from log maths, notes and tiles.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An inclusion proof does not lead to the root.
    #[error("inclusion proof does not verify: {0}")]
    InclusionProof(&'static str),
    /// A consistency proof does not connect the two trees.
    #[error("consistency proof does not verify: {0}")]
    ConsistencyProof(&'static str),
    /// A requested index or size is outside the tree.
    #[error("index {index} is outside a tree of size {size}")]
    OutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A node hash the proof builder needs is not available.
    #[error("missing hash for node at level {level}, index {index}")]
    MissingHash {
        /// Tree level (0 = leaves).
        level: u8,
        /// Index within the level.
        index: u64,
    },
    /// A signed note is malformed.
    #[error("malformed signed note: {0}")]
    Note(String),
    /// No trusted key produced a valid signature on the note.
    #[error("no trusted key signed this note (signers seen: {0})")]
    NoTrustedSignature(String),
    /// A trusted key's signature on the note is invalid.
    #[error("the signature by {0} on this note is invalid")]
    BadSignature(String),
    /// A verifier key (vkey) string is malformed.
    #[error("malformed verifier key: {0}")]
    VerifierKey(String),
    /// A checkpoint body is malformed.
    #[error("malformed checkpoint: {0}")]
    Checkpoint(String),
    /// A tile path or tile body is malformed.
    #[error("malformed tile: {0}")]
    Tile(String),
    /// A key could not be used for signing or verification.
    #[error("key error: {0}")]
    Key(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
