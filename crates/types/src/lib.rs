//! Wire formats for signet, as plain data.
//!
//! Nothing here does I/O: these are the serde shapes of the documents signet
//! reads and writes, with the encoding rules of their specifications
//! (protobuf canonical JSON for Sigstore bundles: lowerCamelCase keys, padded
//! standard base64 for bytes, int64 as strings on output, strings or numbers
//! on input).
//!
//! ```
//! use signet_types::bundle::Bundle;
//! let json = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",
//!   "verificationMaterial":{"publicKey":{"hint":"abc="},"tlogEntries":[]},
//!   "messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAA"},
//!   "signature":"MEUCIQ=="}}"#;
//! let bundle = Bundle::from_json(json.as_bytes()).unwrap();
//! assert_eq!(bundle.version().unwrap(), signet_types::bundle::BundleVersion::V0_3);
//! ```
#![forbid(unsafe_code)]

pub mod b64;
pub mod bundle;
pub mod dsse;
mod error;
pub mod hex;
pub mod jcs;
pub mod rekor;
pub mod trust_root;

pub use error::{Error, Result};
