//! Linux package formats, as far as signing needs them. Pure: bytes and
//! readers in, bytes out; the CLI and the server do the file I/O and the
//! cryptography (`signet-openpgp`, `signet-crypto`).
//!
//! - [`rpm`]: the lead, the signature header and the header of an RPM v3
//!   package file; header-only OpenPGP signatures where rpm 4.18 looks for
//!   them (`RSAHEADER` for RSA keys, `DSAHEADER` for EdDSA and DSA).
//! - [`deb`]: Debian `ar` archives and the members a debsigs signature
//!   covers.
//! - [`apk`]: Alpine packages, concatenated gzip members (signature,
//!   control, data) as abuild writes them.
//!
//! Written here: no maintained Rust crate reads and rewrites the RPM
//! signature header without also pulling in a build toolchain; the format
//! is small (RPM's "Package File Format" and "Signatures and Digests"
//! documents) and every read is bounds-checked.

pub mod apk;
pub mod deb;
pub mod rpm;

/// A package that cannot be read, and why.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {detail}")]
pub struct Malformed {
    /// Which package format ("RPM package", ...).
    pub what: &'static str,
    /// What is wrong, for the user.
    pub detail: String,
}

pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> Malformed {
    Malformed {
        what,
        detail: detail.into(),
    }
}
