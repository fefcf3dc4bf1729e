//! Verification as pure functions of (evidence, expectations, trust root):
//! nothing here fetches, reads files or looks at the clock.
//!
//! Today: transparency-log entries carried in bundles (Rekor v1 style:
//! signed entry timestamp, inclusion proof, checkpoint), checked offline.
#![forbid(unsafe_code)]

pub mod tlog;

pub use tlog::{Expected, Rejection, VerifiedEntry, tlog_entry};
