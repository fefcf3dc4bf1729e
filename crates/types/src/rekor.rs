//! Rekor entry bodies: `hashedrekord` 0.0.1 (Rekor v1) and 0.0.2 (Rekor
//! v2), as proposed by clients and as stored (JCS-canonical JSON, whose
//! RFC 6962 leaf hash is the entry's UUID).

use serde::{Deserialize, Serialize};

use crate::{Error, Result, b64, jcs};

/// A Rekor v1 proposed entry (`POST /api/v1/log/entries`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposedEntry {
    /// Entry kind, e.g. `hashedrekord`.
    pub kind: String,
    /// Kind version, e.g. `0.0.1`.
    pub api_version: String,
    /// Kind-specific content.
    pub spec: serde_json::Value,
}

/// `hashedrekord` 0.0.1 spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedRekordV001 {
    /// The signature and its key.
    pub signature: V001Signature,
    /// The signed artifact's digest.
    pub data: V001Data,
}

/// Signature part of hashedrekord 0.0.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V001Signature {
    /// DER signature.
    #[serde(with = "b64::bytes")]
    pub content: Vec<u8>,
    /// The verification key.
    pub public_key: V001PublicKey,
}

/// Public key part of hashedrekord 0.0.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V001PublicKey {
    /// PEM of the key (or certificate).
    #[serde(with = "b64::bytes")]
    pub content: Vec<u8>,
}

/// Data part of hashedrekord 0.0.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V001Data {
    /// The digest.
    pub hash: V001Hash,
}

/// Digest of hashedrekord 0.0.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V001Hash {
    /// `sha256`, `sha384` or `sha512`.
    pub algorithm: String,
    /// Lowercase hex.
    pub value: String,
}

impl HashedRekordV001 {
    /// The canonical stored body (what the leaf hash covers).
    pub fn canonical_body(&self) -> Result<Vec<u8>> {
        let v = serde_json::json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": self,
        });
        jcs::canonicalize(&v)
    }

    /// Parses the spec of a proposed entry or stored body.
    pub fn from_spec(spec: &serde_json::Value) -> Result<Self> {
        // Deserializing from the borrowed value avoids copying the tree.
        Self::deserialize(spec).map_err(|source| Error::Json {
            what: "hashedrekord 0.0.1 spec",
            source,
        })
    }
}

/// A Rekor v2 create-entry request body (`POST /api/v2/log/entries`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateEntryRequest {
    /// The only supported request kind.
    pub hashed_rekord_request_v002: HashedRekordRequestV002,
}

/// hashedrekord 0.0.2 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedRekordRequestV002 {
    /// Artifact digest (raw bytes).
    #[serde(with = "b64::bytes")]
    pub digest: Vec<u8>,
    /// Signature with verifier.
    pub signature: V002Signature,
}

/// hashedrekord 0.0.2 signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V002Signature {
    /// Signature bytes.
    #[serde(with = "b64::bytes")]
    pub content: Vec<u8>,
    /// The verifier.
    pub verifier: V002Verifier,
}

/// hashedrekord 0.0.2 verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V002Verifier {
    /// DER SPKI of the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<RawBytes>,
    /// DER certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate: Option<RawBytes>,
    /// `PublicKeyDetails` name, e.g. `PKIX_ECDSA_P256_SHA_256`.
    pub key_details: String,
}

/// Raw bytes wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawBytes {
    /// The bytes.
    #[serde(with = "b64::bytes")]
    pub raw_bytes: Vec<u8>,
}

impl HashedRekordRequestV002 {
    /// Digest algorithm name used in the stored body for this key.
    pub fn canonical_body(&self, digest_algorithm: &str) -> Result<Vec<u8>> {
        let v = serde_json::json!({
            "apiVersion": "0.0.2",
            "kind": "hashedrekord",
            "spec": {"hashedRekordV002": {
                "data": {"algorithm": digest_algorithm, "digest": b64::encode(&self.digest)},
                "signature": self.signature,
            }},
        });
        jcs::canonicalize(&v)
    }
}

/// One verified DSSE signature for a `dsse` 0.0.1 body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseSignature {
    /// The signature's base64 text exactly as in the envelope.
    pub signature: String,
    /// PEM of the key (or certificate) that verified it.
    pub verifier_pem: Vec<u8>,
}

/// The canonical `dsse` 0.0.1 body: SHA-256 (hex) of the envelope exactly
/// as submitted and of the payload, and the signatures (sorted by their
/// base64 text) with the verifiers that verified them.
pub fn dsse_v001_body(
    envelope_sha256_hex: &str,
    payload_sha256_hex: &str,
    signatures: &[DsseSignature],
) -> Result<Vec<u8>> {
    let mut sigs: Vec<&DsseSignature> = signatures.iter().collect();
    sigs.sort_by(|a, b| a.signature.cmp(&b.signature));
    jcs::canonicalize(&serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": envelope_sha256_hex},
            "payloadHash": {"algorithm": "sha256", "value": payload_sha256_hex},
            "signatures": sigs.iter().map(|s| serde_json::json!({
                "signature": s.signature,
                "verifier": b64::encode(&s.verifier_pem),
            })).collect::<Vec<_>>(),
        },
    }))
}

/// The payload a Rekor v1 SignedEntryTimestamp signs.
pub fn set_payload(
    body: &[u8],
    integrated_time: i64,
    log_id_hex: &str,
    log_index: i64,
) -> Result<Vec<u8>> {
    jcs::canonicalize(&serde_json::json!({
        "body": b64::encode(body),
        "integratedTime": integrated_time,
        "logID": log_id_hex,
        "logIndex": log_index,
    }))
}

/// A legacy cosign `rekorBundle` (the `dev.sigstore.cosign/bundle`
/// annotation of a `.sig` layer, or `--bundle` of `sign-blob` before
/// Sigstore bundles): `{"SignedEntryTimestamp": b64, "Payload": {"body":
/// b64, "integratedTime", "logIndex", "logID": hex}}`, as a bundle log
/// entry that carries the SET and no inclusion proof.
pub fn entry_from_legacy(
    rekor_bundle: &serde_json::Value,
) -> Result<crate::bundle::TransparencyLogEntry> {
    use crate::bundle::{InclusionPromise, KindVersion, LogId, TransparencyLogEntry};
    let bad = |detail| Error::Field {
        what: "rekorBundle",
        detail,
    };
    let p = &rekor_bundle["Payload"];
    let body = b64::decode(p["body"].as_str().ok_or_else(|| bad("no Payload.body"))?)
        .map_err(|_| bad("Payload.body is not base64"))?;
    let parsed: serde_json::Value = serde_json::from_slice(&body).map_err(|e| Error::Json {
        what: "rekorBundle body",
        source: e,
    })?;
    Ok(TransparencyLogEntry {
        log_index: p["logIndex"]
            .as_i64()
            .ok_or_else(|| bad("no Payload.logIndex"))?,
        log_id: LogId {
            key_id: crate::hex::decode(p["logID"].as_str().unwrap_or_default())
                .ok_or_else(|| bad("Payload.logID is not hex"))?,
        },
        kind_version: KindVersion {
            kind: parsed["kind"].as_str().unwrap_or_default().to_owned(),
            version: parsed["apiVersion"].as_str().unwrap_or_default().to_owned(),
        },
        integrated_time: p["integratedTime"].as_i64(),
        inclusion_promise: Some(InclusionPromise {
            signed_entry_timestamp: b64::decode(
                rekor_bundle["SignedEntryTimestamp"]
                    .as_str()
                    .ok_or_else(|| bad("no SignedEntryTimestamp"))?,
            )
            .map_err(|_| bad("SignedEntryTimestamp is not base64"))?,
        }),
        inclusion_proof: None,
        canonicalized_body: body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v001_body_matches_the_conformance_vector() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vectors/sigstore-conformance/derived/managed-key-legacy"
        );
        let body = std::fs::read(format!("{dir}/canonicalized-body.json")).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let spec = HashedRekordV001::from_spec(&v["spec"]).unwrap();
        assert_eq!(spec.canonical_body().unwrap(), body.trim_ascii_end());
        let set: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("{dir}/set-payload.json")).unwrap())
                .unwrap();
        let payload = set_payload(
            body.trim_ascii_end(),
            set["integratedTime"].as_i64().unwrap(),
            set["logID"].as_str().unwrap(),
            set["logIndex"].as_i64().unwrap(),
        )
        .unwrap();
        assert_eq!(
            payload,
            std::fs::read(format!("{dir}/set-payload.json"))
                .unwrap()
                .trim_ascii_end()
        );
    }

    #[test]
    fn legacy_rekor_bundles_read_or_say_what_is_wrong() {
        let body = b64::encode(br#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}"#);
        let good = serde_json::json!({"SignedEntryTimestamp": "AQID",
            "Payload": {"body": body, "integratedTime": 1700000000, "logIndex": 7, "logID": "0a0b"}});
        let e = entry_from_legacy(&good).unwrap();
        assert_eq!((e.log_index, e.integrated_time), (7, Some(1_700_000_000)));
        assert_eq!(e.log_id.key_id, vec![10, 11]);
        assert_eq!(e.kind_version.kind, "hashedrekord");
        assert_eq!(
            e.inclusion_promise.unwrap().signed_entry_timestamp,
            vec![1, 2, 3]
        );
        for (mutate, needle) in [
            ("/Payload/body", "Payload.body"),
            ("/Payload/logIndex", "logIndex"),
            ("/Payload/logID", "logID"),
            ("/SignedEntryTimestamp", "SignedEntryTimestamp"),
        ] {
            let mut bad = good.clone();
            *bad.pointer_mut(mutate).unwrap() = serde_json::json!("@@ not it @@");
            let msg = entry_from_legacy(&bad).unwrap_err().to_string();
            assert!(msg.contains(needle), "{mutate}: {msg}");
        }
        assert!(entry_from_legacy(&serde_json::json!(null)).is_err());
    }
}
