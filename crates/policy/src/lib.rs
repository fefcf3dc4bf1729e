//! Signing policies as pure functions: the document ([`document::Policy`],
//! YAML or JSON, linted with line numbers), the evidence a registry holds
//! about an artifact turned into verified facts ([`evidence::Findings`]),
//! and the decision ([`decide::decide`]). No I/O, no clock: the server
//! fetches bytes and passes the time.

pub mod custody;
pub mod decide;
pub mod document;
pub mod evidence;
pub mod glob;

pub use decide::{
    Artifact, Claim, Decision, Evidence, KeyKind, Outcome, Signer, TrustedKey, decide,
};
pub use document::{ArtifactType, Mode, Policy, Problem, SignatureType};
