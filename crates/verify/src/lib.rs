//! Verification as pure functions of (evidence, expectations, trust root):
//! nothing here fetches, reads files or looks at the clock. The only times
//! used are those a transparency log or timestamp authority signed.
//!
//! - [`bundle::verify`]: a whole Sigstore bundle (v0.1–v0.3, message
//!   signatures and DSSE, keys and Fulcio certificates);
//! - [`tlog`]: one transparency-log entry (Rekor v1 SET, inclusion proof,
//!   checkpoint; Rekor v2 entries);
//! - [`x509`], [`sct`], [`tsa`]: certificate paths, embedded SCTs, RFC 3161
//!   timestamps; [`identity`]: who may have signed.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod identity;
pub mod sct;
pub mod tlog;
pub mod tsa;
pub mod x509;

pub use tlog::{Expected, Rejection, VerifiedEntry, tlog_entry};
