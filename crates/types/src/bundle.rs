//! Sigstore bundles (`dev.sigstore.bundle.v1.Bundle`) in protobuf JSON form.
//!
//! Readers accept v0.1, v0.2 and v0.3 (both v0.3 media type spellings) and
//! ignore unknown fields; writers emit v0.3. A parsed bundle is never
//! re-serialized for signature checks: no signature covers bundle JSON.

use serde::{Deserialize, Serialize};

use crate::{Error, Result, b64};

/// Media type signet writes (bundle v0.3).
pub const MEDIA_TYPE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// Bundle format versions signet understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`
    V0_1,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.2`
    V0_2,
    /// `application/vnd.dev.sigstore.bundle.v0.3+json` or `...+json;version=0.3`
    V0_3,
}

impl BundleVersion {
    /// Maps a media type string to a version.
    pub fn from_media_type(media_type: &str) -> Result<Self> {
        match media_type {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Ok(Self::V0_1),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Ok(Self::V0_2),
            "application/vnd.dev.sigstore.bundle+json;version=0.3" | MEDIA_TYPE_V0_3 => {
                Ok(Self::V0_3)
            }
            other => Err(Error::UnknownMediaType(other.to_owned())),
        }
    }
}

/// A Sigstore bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// Media type naming the bundle version.
    pub media_type: String,
    /// Key or certificate material plus log entries and timestamps.
    pub verification_material: VerificationMaterial,
    /// A signature over an artifact's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_signature: Option<MessageSignature>,
    /// A DSSE envelope (attestations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsse_envelope: Option<Envelope>,
}

impl Bundle {
    /// Parses bundle JSON and checks the media type and content shape.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let bundle: Bundle = serde_json::from_slice(bytes).map_err(|source| Error::Json {
            what: "sigstore bundle",
            source,
        })?;
        bundle.version()?;
        if bundle.message_signature.is_some() == bundle.dsse_envelope.is_some() {
            return Err(Error::BundleContent);
        }
        Ok(bundle)
    }

    /// The bundle version named by its media type.
    pub fn version(&self) -> Result<BundleVersion> {
        BundleVersion::from_media_type(&self.media_type)
    }

    /// Serializes as pretty JSON (what `sign-blob --bundle` writes).
    pub fn to_json_pretty(&self) -> String {
        // Serializing plain structs of strings and vectors cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Verification material of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    /// Hint naming the public key (key-based signing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyIdentifier>,
    /// Certificate chain (bundle v0.1/v0.2 keyless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate_chain: Option<CertificateChain>,
    /// Leaf certificate (bundle v0.3 keyless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
    /// Transparency-log entries.
    #[serde(default)]
    pub tlog_entries: Vec<TransparencyLogEntry>,
    /// RFC 3161 timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_verification_data: Option<TimestampVerificationData>,
}

/// `publicKey` material: an unauthenticated key hint.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PublicKeyIdentifier {
    /// cosign and sigstore-go write base64(SHA-256(DER SPKI)); others differ.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
}

/// An X.509 certificate as DER.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// DER bytes.
    #[serde(with = "b64::bytes")]
    pub raw_bytes: Vec<u8>,
}

/// A certificate chain, leaf first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CertificateChain {
    /// Certificates, leaf first.
    #[serde(default)]
    pub certificates: Vec<Certificate>,
}

/// A signature over the artifact bytes, with the artifact digest as a hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSignature {
    /// Digest of the artifact (unauthenticated: verifiers hash for themselves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_digest: Option<HashOutput>,
    /// The signature (DER for ECDSA).
    #[serde(with = "b64::bytes")]
    pub signature: Vec<u8>,
}

/// A digest with its algorithm name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashOutput {
    /// `SHA2_256`, `SHA2_384` or `SHA2_512`.
    pub algorithm: String,
    /// Raw digest bytes.
    #[serde(with = "b64::bytes")]
    pub digest: Vec<u8>,
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Payload bytes.
    #[serde(with = "b64::bytes")]
    pub payload: Vec<u8>,
    /// Payload type, e.g. `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// Signatures over PAE(payloadType, payload).
    #[serde(default)]
    pub signatures: Vec<EnvelopeSignature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Signature bytes.
    #[serde(with = "b64::bytes")]
    pub sig: Vec<u8>,
    /// Optional key id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
}

/// A transparency-log entry carried in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyLogEntry {
    /// Global log index.
    #[serde(with = "b64::int64")]
    pub log_index: i64,
    /// Which log.
    pub log_id: LogId,
    /// Entry kind and version, e.g. hashedrekord 0.0.1.
    pub kind_version: KindVersion,
    /// Unix seconds when the entry was integrated (Rekor v1 only).
    #[serde(
        default,
        with = "b64::opt_int64",
        skip_serializing_if = "Option::is_none"
    )]
    pub integrated_time: Option<i64>,
    /// Signed entry timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion_promise: Option<InclusionPromise>,
    /// Merkle inclusion proof with checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion_proof: Option<InclusionProof>,
    /// The canonical entry body.
    #[serde(default, with = "b64::bytes", skip_serializing_if = "Vec::is_empty")]
    pub canonicalized_body: Vec<u8>,
}

/// A log id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    /// Key id bytes.
    #[serde(with = "b64::bytes")]
    pub key_id: Vec<u8>,
}

/// Kind and version of a log entry body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindVersion {
    /// Kind, e.g. `hashedrekord`.
    pub kind: String,
    /// Version, e.g. `0.0.1`.
    pub version: String,
}

/// A signed entry timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionPromise {
    /// DER signature by the log key.
    #[serde(with = "b64::bytes")]
    pub signed_entry_timestamp: Vec<u8>,
}

/// An inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// Index within the tree.
    #[serde(with = "b64::int64")]
    pub log_index: i64,
    /// Root hash.
    #[serde(with = "b64::bytes")]
    pub root_hash: Vec<u8>,
    /// Tree size.
    #[serde(with = "b64::int64")]
    pub tree_size: i64,
    /// Audit path.
    #[serde(default)]
    pub hashes: Vec<ProofHash>,
    /// Checkpoint (signed note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
}

/// A proof hash (base64 in JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProofHash(#[serde(with = "b64::bytes")] pub Vec<u8>);

/// A checkpoint envelope (signed note text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The signed note.
    pub envelope: String,
}

/// RFC 3161 timestamps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimestampVerificationData {
    /// Timestamp responses.
    #[serde(default)]
    pub rfc3161_timestamps: Vec<Rfc3161Timestamp>,
}

/// One RFC 3161 timestamp response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rfc3161Timestamp {
    /// DER TimeStampResp.
    #[serde(with = "b64::bytes")]
    pub signed_timestamp: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors");

    #[test]
    fn parses_every_conformance_bundle_that_should_parse() {
        let dir = std::path::Path::new(VECTORS).join("sigstore-conformance/assets/bundle-verify");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("vectors missing at {}", dir.display());
        };
        let mut parsed = 0;
        for entry in entries {
            let path = entry.unwrap().path().join("bundle.sigstore.json");
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let name = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let result = Bundle::from_json(&bytes);
            let must_fail_parse = matches!(
                name.as_str(),
                "bundle-malformed-json_fail"
                    | "bundle-unknown-version_fail"
                    | "bundle-invalid-base64-signature_fail"
            );
            assert_eq!(result.is_err(), must_fail_parse, "{name}: {result:?}");
            parsed += 1;
        }
        assert!(parsed > 50, "only {parsed} cases found");
    }

    #[test]
    fn int64_written_as_string_read_from_either() {
        let e: InclusionProof = serde_json::from_str(
            r#"{"logIndex":5,"rootHash":"AA==","treeSize":"6","hashes":["AQ=="]}"#,
        )
        .unwrap();
        assert_eq!((e.log_index, e.tree_size), (5, 6));
        let out = serde_json::to_string(&e).unwrap();
        assert!(out.contains(r#""logIndex":"5""#), "{out}");
    }
}
