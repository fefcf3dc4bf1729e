//! Streaming message digests. Callers feed chunks as they read them, so a
//! file is hashed once, in constant memory.

use aws_lc_rs::digest;

/// Digest algorithms signet signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-256
    Sha256,
    /// SHA-384
    Sha384,
    /// SHA-512
    Sha512,
}

impl DigestAlgorithm {
    fn lc(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        }
    }

    /// The protobuf enum name used in Sigstore bundles (`SHA2_256`, ...).
    pub fn bundle_name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA2_256",
            Self::Sha384 => "SHA2_384",
            Self::Sha512 => "SHA2_512",
        }
    }

    /// Parses a bundle enum name.
    pub fn from_bundle_name(name: &str) -> Option<Self> {
        match name {
            "SHA2_256" => Some(Self::Sha256),
            "SHA2_384" => Some(Self::Sha384),
            "SHA2_512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The short name (`sha256`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }
}

/// SHA-256 over the concatenation of `parts`, without allocating (the
/// Merkle-tree hash primitive).
pub fn sha256_concat(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// SHA-1, for legacy formats that name content by it (Alpine's APKINDEX
/// `C:` checksums); never used to sign or to decide trust.
pub fn sha1_legacy(data: &[u8]) -> [u8; 20] {
    let d = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    let mut out = [0u8; 20];
    out.copy_from_slice(d.as_ref());
    out
}

/// An incremental hasher.
#[derive(Clone)]
pub struct Hasher {
    algorithm: DigestAlgorithm,
    ctx: digest::Context,
}

impl Hasher {
    /// Starts a hash.
    pub fn new(algorithm: DigestAlgorithm) -> Self {
        Self {
            algorithm,
            ctx: digest::Context::new(algorithm.lc()),
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.ctx.update(data);
    }

    /// Finishes the hash.
    pub fn finish(self) -> Digest {
        Digest {
            algorithm: self.algorithm,
            inner: self.ctx.finish(),
        }
    }
}

/// A finished digest.
#[derive(Clone, Copy)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    inner: digest::Digest,
}

impl Digest {
    /// Hashes a whole buffer at once.
    pub fn of(algorithm: DigestAlgorithm, data: &[u8]) -> Self {
        let mut h = Hasher::new(algorithm);
        h.update(data);
        h.finish()
    }

    /// A digest computed elsewhere (e.g. sent to a log); `None` when the
    /// length does not fit the algorithm.
    pub fn from_bytes(algorithm: DigestAlgorithm, bytes: &[u8]) -> Option<Self> {
        if bytes.len() != algorithm.output_len() {
            return None;
        }
        Some(Self {
            algorithm,
            inner: digest::Digest::import_less_safe(bytes, algorithm.lc()).ok()?,
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.inner.as_ref()
    }

    /// Lowercase hex of the digest bytes.
    pub fn to_hex(&self) -> String {
        signet_types::hex::encode(self.as_bytes())
    }

    pub(crate) fn lc(&self) -> &digest::Digest {
        &self.inner
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.to_hex())
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        self.algorithm == other.algorithm && self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Digest {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_and_chunking() {
        let d = Digest::of(DigestAlgorithm::Sha256, b"abc");
        assert_eq!(
            d.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut h = Hasher::new(DigestAlgorithm::Sha256);
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish(), d);
    }
}
