//! Transparency-log maths, with no I/O: RFC 6962/9162 Merkle hashing,
//! inclusion and consistency proofs (make and check), C2SP signed notes
//! (Ed25519 and ECDSA keys), checkpoints, tlog-tiles paths and tiles, and
//! entry bundles.
//!
//! Storage stays outside: proof builders read node hashes through the
//! [`tree::HashReader`] trait, which a log implements over its tiles.
//!
//! ```
//! use signet_tlog::{hash::leaf_hash, tree::MemoryTree, verify};
//! let mut tree = MemoryTree::default();
//! for i in 0..10u8 {
//!     tree.push(leaf_hash(&[i]));
//! }
//! let root = tree.root(10).unwrap();
//! let proof = tree.inclusion_proof(3, 10).unwrap();
//! verify::inclusion(3, 10, &leaf_hash(&[3]), &proof, &root).unwrap();
//! ```
#![forbid(unsafe_code)]

pub mod checkpoint;
mod error;
pub mod hash;
pub mod note;
pub mod tile;
pub mod tree;
pub mod verify;

pub use error::{Error, Result};
pub use hash::Hash;
