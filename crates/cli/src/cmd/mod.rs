//! One module per subcommand: an `Args` struct and `run(args)`.

pub(crate) mod apk;
pub(crate) mod apt;
pub(crate) mod archive;
pub(crate) mod blob_attestation;
pub(crate) mod conformance;
pub(crate) mod copy;
pub(crate) mod custody;
pub(crate) mod deb;
pub(crate) mod generate_key_pair;
pub(crate) mod image;
pub(crate) mod import_key_pair;
pub(crate) mod keyless;
pub(crate) mod log;
pub(crate) mod package;
pub(crate) mod pgp;
pub(crate) mod policy;
pub(crate) mod public_key;
pub(crate) mod registry;
pub(crate) mod rpm;
pub(crate) mod serve;
pub(crate) mod sign_blob;
pub(crate) mod trusted_root;
pub(crate) mod verify_blob;
pub(crate) mod verify_dir;
pub(crate) mod version;

use std::path::Path;

use anyhow::{Context, Result};
use signet_crypto::digest::Digest;
use signet_crypto::{KeyAlgorithm, Message};

/// What `key` signs for `bytes`: their digest in the key's algorithm, or
/// the bytes themselves (Ed25519).
pub(crate) fn message_for<'a>(key: &signet_crypto::PublicKey, bytes: &'a [u8]) -> Message<'a> {
    match key.algorithm().digest() {
        Some(alg) => Message::Digest(Digest::of(alg, bytes)),
        None => Message::Raw(bytes),
    }
}

/// A DSSE envelope over `statement` signed by `signer`.
pub(crate) fn envelope(
    signer: &crate::keyref::Signer,
    statement: Vec<u8>,
) -> Result<signet_types::bundle::Envelope> {
    let pae = signet_types::dsse::pae(signet_oci::referrer::IN_TOTO, &statement);
    let sig = signer.sign(&message_for(signer.public_key(), &pae))?;
    Ok(signet_types::bundle::Envelope {
        payload: statement,
        payload_type: signet_oci::referrer::IN_TOTO.to_owned(),
        signatures: vec![signet_types::bundle::EnvelopeSignature {
            sig,
            keyid: String::new(),
        }],
    })
}

/// A Sigstore bundle v0.3 carrying `env`, naming the key by its hint.
pub(crate) fn bundle_of(
    signer: &crate::keyref::Signer,
    env: signet_types::bundle::Envelope,
) -> signet_types::bundle::Bundle {
    signet_types::bundle::Bundle {
        media_type: signet_types::bundle::MEDIA_TYPE_V0_3.to_owned(),
        verification_material: signet_types::bundle::VerificationMaterial {
            public_key: Some(signet_types::bundle::PublicKeyIdentifier {
                hint: signer.public_key().key_hint(),
            }),
            ..Default::default()
        },
        message_signature: None,
        dsse_envelope: Some(env),
    }
}

/// What a key signs for a file: its digest (read once, streamed) or, for
/// Ed25519, its bytes.
pub(crate) enum Payload {
    Digest(Digest),
    Raw(Vec<u8>),
}

impl Payload {
    /// Reads `path` (`-` for stdin) as `algorithm` needs it.
    pub(crate) fn load(path: &Path, algorithm: KeyAlgorithm) -> Result<Self> {
        let what = if path == Path::new("-") {
            "standard input".to_owned()
        } else {
            path.display().to_string()
        };
        match algorithm.digest() {
            Some(alg) => crate::hash::hash_path(path, alg)
                .map(Self::Digest)
                .with_context(|| format!("cannot read {what}")),
            None => crate::hash::read_all(path)
                .map(Self::Raw)
                .with_context(|| format!("cannot read {what}")),
        }
    }

    pub(crate) fn message(&self) -> Message<'_> {
        match self {
            Self::Digest(d) => Message::Digest(*d),
            Self::Raw(r) => Message::Raw(r),
        }
    }

    /// The digest of the content with `alg`, if it can be had without
    /// reading the file again.
    pub(crate) fn digest(&self, alg: signet_crypto::digest::DigestAlgorithm) -> Option<Digest> {
        match self {
            Self::Digest(d) if d.algorithm() == alg => Some(*d),
            Self::Digest(_) => None,
            Self::Raw(r) => Some(Digest::of(alg, r)),
        }
    }
}
