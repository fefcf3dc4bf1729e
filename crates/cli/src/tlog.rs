//! Client side of the transparency log: upload a signature as a Rekor v1
//! hashedrekord entry and turn the answer into a bundle `tlogEntries` item,
//! checking that the answer is about what was sent and that its proof is
//! self-consistent. (Trust in the log's key comes from `--trusted-root` at
//! verification time.)

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use signet_crypto::digest::Digest;
use signet_tlog::Hash;
use signet_tlog::hash::leaf_hash;
use signet_types::b64;
use signet_types::bundle::{
    Checkpoint, InclusionPromise, InclusionProof, KindVersion, LogId, ProofHash,
    TransparencyLogEntry,
};
use signet_types::rekor::{HashedRekordV001, V001Data, V001Hash, V001PublicKey, V001Signature};

fn client() -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .user_agent(concat!("signet/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client")
}

fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// Logs a signature over `digest` and returns the bundle entry.
/// `verifier_pem` is the public key or certificate PEM.
pub(crate) fn upload(
    url: &str,
    digest: &Digest,
    signature: &[u8],
    verifier_pem: &[u8],
) -> Result<TransparencyLogEntry> {
    let spec = HashedRekordV001 {
        signature: V001Signature {
            content: signature.to_vec(),
            public_key: V001PublicKey {
                content: verifier_pem.to_vec(),
            },
        },
        data: V001Data {
            hash: V001Hash {
                algorithm: digest.algorithm().name().to_owned(),
                value: digest.to_hex(),
            },
        },
    };
    let body = spec.canonical_body()?;
    let proposed = serde_json::json!({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": spec});
    submit(url, &proposed, &body, ("hashedrekord", "0.0.1"))
}

/// Logs a DSSE envelope (its JSON text, exactly as submitted) as a dsse
/// 0.0.1 entry and returns the bundle entry.
pub(crate) fn upload_dsse(
    url: &str,
    envelope_json: &str,
    envelope: &signet_types::bundle::Envelope,
    verifier_pem: &[u8],
) -> Result<TransparencyLogEntry> {
    use signet_crypto::digest::DigestAlgorithm;
    let sigs: Vec<signet_types::rekor::DsseSignature> = envelope
        .signatures
        .iter()
        .map(|s| signet_types::rekor::DsseSignature {
            signature: b64::encode(&s.sig),
            verifier_pem: verifier_pem.to_vec(),
        })
        .collect();
    let body = signet_types::rekor::dsse_v001_body(
        &Digest::of(DigestAlgorithm::Sha256, envelope_json.as_bytes()).to_hex(),
        &Digest::of(DigestAlgorithm::Sha256, &envelope.payload).to_hex(),
        &sigs,
    )?;
    let proposed = serde_json::json!({"kind": "dsse", "apiVersion": "0.0.1", "spec": {
        "proposedContent": {
            "envelope": envelope_json,
            "verifiers": [b64::encode(verifier_pem)],
        }
    }});
    submit(url, &proposed, &body, ("dsse", "0.0.1"))
}

fn submit(
    url: &str,
    proposed: &Value,
    body: &[u8],
    kind: (&str, &str),
) -> Result<TransparencyLogEntry> {
    let endpoint = format!("{}/api/v1/log/entries", base(url));
    let resp = client()?
        .post(&endpoint)
        .json(proposed)
        .send()
        .with_context(|| format!("cannot reach the transparency log at {endpoint}"))?;
    let status = resp.status();
    let text = resp.text().context("cannot read the log's answer")?;
    if !(status.is_success() || status == reqwest::StatusCode::CONFLICT) {
        bail!(
            "the transparency log refused the entry ({status}): {}",
            text.trim()
        );
    }
    let doc: Value = serde_json::from_str(&text).context("the log's answer is not JSON")?;
    let (uuid, e) = doc
        .as_object()
        .and_then(|m| m.iter().next())
        .ok_or_else(|| anyhow!("the log's answer holds no entry"))?;
    entry_from_v1(uuid, e, body, kind)
}

/// Converts a Rekor v1 `LogEntry` value into a bundle entry, checking it
/// describes `expected_body` and that its proof reaches its root.
fn entry_from_v1(
    uuid: &str,
    e: &Value,
    expected_body: &[u8],
    (kind, version): (&str, &str),
) -> Result<TransparencyLogEntry> {
    let body =
        b64::decode(e["body"].as_str().unwrap_or_default()).context("entry body is not base64")?;
    if body != expected_body {
        bail!("the log answered with an entry for other content");
    }
    let leaf = leaf_hash(&body);
    if !uuid.ends_with(&leaf.to_hex()) {
        bail!("the log's entry UUID does not match its body");
    }
    let log_id = signet_types::hex::decode(e["logID"].as_str().unwrap_or_default())
        .ok_or_else(|| anyhow!("bad logID"))?;
    let index = e["logIndex"]
        .as_i64()
        .ok_or_else(|| anyhow!("missing logIndex"))?;
    let v = &e["verification"];
    let set = b64::decode(v["signedEntryTimestamp"].as_str().unwrap_or_default())
        .context("bad signedEntryTimestamp")?;
    let p = &v["inclusionProof"];
    let root = Hash::from_hex(p["rootHash"].as_str().unwrap_or_default())
        .ok_or_else(|| anyhow!("bad rootHash"))?;
    let hashes = hex_hashes(&p["hashes"])?;
    let proof_index = p["logIndex"]
        .as_u64()
        .ok_or_else(|| anyhow!("missing proof logIndex"))?;
    let size = p["treeSize"]
        .as_u64()
        .ok_or_else(|| anyhow!("missing treeSize"))?;
    signet_tlog::verify::inclusion(proof_index, size, &leaf, &hashes, &root)
        .map_err(|e| anyhow!("the log's inclusion proof is inconsistent: {e}"))?;
    Ok(TransparencyLogEntry {
        log_index: index,
        log_id: LogId { key_id: log_id },
        kind_version: KindVersion {
            kind: kind.into(),
            version: version.into(),
        },
        integrated_time: e["integratedTime"].as_i64(),
        inclusion_promise: Some(InclusionPromise {
            signed_entry_timestamp: set,
        }),
        inclusion_proof: Some(InclusionProof {
            log_index: i64::try_from(proof_index)?,
            root_hash: root.0.to_vec(),
            tree_size: i64::try_from(size)?,
            hashes: hashes.iter().map(|h| ProofHash(h.0.to_vec())).collect(),
            checkpoint: p["checkpoint"].as_str().map(|c| Checkpoint {
                envelope: c.to_owned(),
            }),
        }),
        canonicalized_body: body,
    })
}

/// cosign's legacy `rekorBundle` JSON (the `dev.sigstore.cosign/bundle`
/// annotation) for an entry with a SET.
pub(crate) fn legacy_bundle(entry: &TransparencyLogEntry) -> Result<String> {
    let set = entry
        .inclusion_promise
        .as_ref()
        .ok_or_else(|| anyhow!("the log returned no signed entry timestamp"))?;
    Ok(serde_json::json!({
        "SignedEntryTimestamp": b64::encode(&set.signed_entry_timestamp),
        "Payload": {
            "body": b64::encode(&entry.canonicalized_body),
            "integratedTime": entry.integrated_time,
            "logIndex": entry.log_index,
            "logID": signet_types::hex::encode(&entry.log_id.key_id),
        }
    })
    .to_string())
}

/// Fetches a log's trusted root.
pub(crate) fn fetch_trusted_root(url: &str) -> Result<Vec<u8>> {
    let endpoint = format!("{}/api/v1/trusted-root", base(url));
    let resp = client()?
        .get(&endpoint)
        .send()
        .with_context(|| format!("cannot reach {endpoint}"))?;
    if !resp.status().is_success() {
        bail!("{endpoint} answered {}", resp.status());
    }
    Ok(resp.bytes()?.to_vec())
}

/// A JSON array of hex hashes (Rekor v1 proofs); any bad element is an error.
pub(crate) fn hex_hashes(v: &Value) -> Result<Vec<Hash>> {
    v.as_array()
        .ok_or_else(|| anyhow!("proof hashes are not a list"))?
        .iter()
        .map(|h| {
            h.as_str()
                .and_then(Hash::from_hex)
                .ok_or_else(|| anyhow!("a proof hash is not 32 bytes of hex"))
        })
        .collect()
}

/// GETs a log path and returns the body text.
pub(crate) fn get_text(url: &str, path: &str) -> Result<String> {
    let endpoint = format!("{}{path}", base(url));
    let resp = client()?
        .get(&endpoint)
        .send()
        .with_context(|| format!("cannot reach {endpoint}"))?;
    let status = resp.status();
    let text = resp.text()?;
    if !status.is_success() {
        bail!("{endpoint} answered {status}: {}", text.trim());
    }
    Ok(text)
}
