//! cosign v3's signature layout: a Sigstore bundle v0.3 (a DSSE envelope
//! over an in-toto statement naming the image digest) stored as an OCI 1.1
//! referrer of the image, found through the referrers API or, on
//! registries without it, the `sha256-<hex>` fallback index.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// `artifactType` (and layer media type) of a bundle referrer.
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Predicate type of an image signature statement.
pub const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
/// DSSE payload type of in-toto statements.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
/// The empty config blob `{}` and its digest.
pub const EMPTY_CONFIG: &[u8] = b"{}";
/// `sha256:` of [`EMPTY_CONFIG`].
pub const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
/// Media type of OCI image manifests.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of OCI indexes.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// The in-toto statement cosign signs for an image (`predicate` `{}` for
/// a plain signature). The subject is named (in-toto v1 clients such as
/// sigstore-python require `name`): the repository, as cosign writes it.
pub fn statement(
    name: &str,
    image_digest: &str,
    predicate_type: &str,
    predicate: &Value,
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let hex = image_digest.strip_prefix("sha256:").unwrap_or(image_digest);
    let mut subject = json!({"name": name, "digest": {"sha256": hex}});
    if !annotations.is_empty() {
        subject["annotations"] = json!(annotations);
    }
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [subject],
        "predicateType": predicate_type,
        "predicate": predicate,
    }))
    .unwrap_or_default()
}

/// What a statement says.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// sha256 digests (hex) of its subjects.
    pub subjects: Vec<String>,
    /// Its predicate type.
    pub predicate_type: String,
    /// The annotations of the subjects, merged.
    pub annotations: serde_json::Map<String, Value>,
    /// The whole statement.
    pub json: Value,
}

/// Reads an in-toto statement (v0.1 or v1).
pub fn parse_statement(bytes: &[u8]) -> Result<Statement, String> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the statement is not JSON: {e}"))?;
    let t = v.get("_type").and_then(Value::as_str).unwrap_or("");
    if !t.starts_with("https://in-toto.io/Statement/") {
        return Err(format!("not an in-toto statement (_type {t:?})"));
    }
    let subjects = v
        .get("subject")
        .and_then(Value::as_array)
        .ok_or("the statement has no subject list")?;
    let mut annotations = serde_json::Map::new();
    let mut digests = Vec::new();
    for s in subjects {
        if let Some(h) = s
            .get("digest")
            .and_then(|d| d.get("sha256"))
            .and_then(Value::as_str)
        {
            digests.push(h.to_owned());
        }
        if let Some(a) = s.get("annotations").and_then(Value::as_object) {
            annotations.extend(a.clone());
        }
    }
    Ok(Statement {
        subjects: digests,
        predicate_type: v
            .get("predicateType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        annotations,
        json: v,
    })
}

/// A descriptor: media type, digest, size (and more).
pub fn descriptor(media_type: &str, digest: &str, size: usize) -> Value {
    json!({"mediaType": media_type, "digest": digest, "size": size})
}

/// The referrer manifest for a bundle blob (`bundle_digest`, `bundle_size`)
/// whose subject is the image (`subject` descriptor).
pub fn manifest(
    bundle_digest: &str,
    bundle_size: usize,
    subject: &Value,
    predicate_type: &str,
    created: &str,
) -> Vec<u8> {
    let mut config = descriptor("application/vnd.oci.empty.v1+json", EMPTY_DIGEST, 2);
    config["artifactType"] = json!(BUNDLE_V03);
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": [descriptor(BUNDLE_V03, bundle_digest, bundle_size)],
        "annotations": {
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": predicate_type,
            "org.opencontainers.image.created": created,
        },
        "subject": subject,
        "artifactType": BUNDLE_V03,
    }))
    .unwrap_or_default()
}

/// The tag of the referrers fallback index: `sha256-<hex>`.
pub fn fallback_tag(subject_digest: &str) -> String {
    subject_digest.replace(':', "-")
}

/// Adds `referrer` (a descriptor with artifactType and annotations) to a
/// fallback index (`None`: a new one); returns the new index bytes.
pub fn add_to_index(index: Option<&[u8]>, referrer: Value) -> Result<Vec<u8>, String> {
    let mut v = match index {
        Some(b) => serde_json::from_slice::<Value>(b)
            .map_err(|e| format!("the fallback index is not JSON: {e}"))?,
        None => json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}),
    };
    let list = v
        .get_mut("manifests")
        .and_then(Value::as_array_mut)
        .ok_or("the fallback index has no manifests list")?;
    let d = referrer.get("digest").cloned();
    if !list.iter().any(|m| m.get("digest") == d.as_ref()) {
        list.push(referrer);
    }
    serde_json::to_vec(&v).map_err(|e| e.to_string())
}

/// A fallback index without the referrers `gone`.
pub fn remove_from_index(index: &[u8], gone: &[String]) -> Result<Vec<u8>, String> {
    let mut v: Value = serde_json::from_slice(index)
        .map_err(|e| format!("the fallback index is not JSON: {e}"))?;
    let list = v
        .get_mut("manifests")
        .and_then(Value::as_array_mut)
        .ok_or("the fallback index has no manifests list")?;
    list.retain(|m| {
        !m.get("digest")
            .and_then(Value::as_str)
            .is_some_and(|d| gone.iter().any(|g| g == d))
    });
    serde_json::to_vec(&v).map_err(|e| e.to_string())
}

/// Bundle referrers listed in an index (referrers API answer or fallback
/// index): their manifest digests.
pub fn bundle_referrers(index: &[u8]) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_slice(index)
        .map_err(|e| format!("the referrers index is not JSON: {e}"))?;
    let list = v
        .get("manifests")
        .and_then(Value::as_array)
        .ok_or("the referrers index has no manifests list")?;
    Ok(list
        .iter()
        .filter(|m| m.get("artifactType").and_then(Value::as_str) == Some(BUNDLE_V03))
        .filter_map(|m| m.get("digest").and_then(Value::as_str))
        .filter(|d| crate::is_sha256_digest(d))
        .map(str::to_owned)
        .collect())
}

/// The bundle layer of a referrer manifest: `(digest, size)`.
pub fn bundle_layer(manifest: &[u8]) -> Result<(String, u64), String> {
    let v: Value = serde_json::from_slice(manifest)
        .map_err(|e| format!("the referrer manifest is not JSON: {e}"))?;
    let l = v
        .get("layers")
        .and_then(Value::as_array)
        .and_then(|l| l.first())
        .ok_or("the referrer manifest has no layer")?;
    let d = l
        .get("digest")
        .and_then(Value::as_str)
        .filter(|d| crate::is_sha256_digest(d))
        .ok_or("the referrer's layer has no sha256 digest")?;
    let size = l
        .get("size")
        .and_then(Value::as_u64)
        .ok_or("the referrer's layer has no size")?;
    Ok((d.to_owned(), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_round_trip() {
        let d = format!("sha256:{}", "c".repeat(64));
        let mut a = BTreeMap::new();
        a.insert("env".to_owned(), "prod".to_owned());
        let s = parse_statement(&statement("r/a", &d, SIGN_PREDICATE, &json!({}), &a)).unwrap();
        assert_eq!(s.subjects, vec!["c".repeat(64)]);
        assert_eq!(s.predicate_type, SIGN_PREDICATE);
        assert_eq!(s.annotations["env"], "prod");
        assert!(parse_statement(b"{}").is_err());
        assert!(parse_statement(br#"{"_type":"https://in-toto.io/Statement/v1"}"#).is_err());
    }

    #[test]
    fn manifests_and_indexes() {
        let d = format!("sha256:{}", "d".repeat(64));
        let subject = descriptor(OCI_MANIFEST, &d, 10);
        let m = manifest(&d, 5, &subject, SIGN_PREDICATE, "2026-01-01T00:00:00Z");
        assert_eq!(bundle_layer(&m).unwrap(), (d.clone(), 5));
        let md = crate::sha256_digest(&m);
        let mut r = descriptor(OCI_MANIFEST, &md, m.len());
        r["artifactType"] = json!(BUNDLE_V03);
        let idx = add_to_index(None, r.clone()).unwrap();
        let idx = add_to_index(Some(&idx), r).unwrap();
        assert_eq!(bundle_referrers(&idx).unwrap(), vec![md.clone()]);
        let emptied = remove_from_index(&idx, &[md]).unwrap();
        assert!(bundle_referrers(&emptied).unwrap().is_empty());
        assert_eq!(crate::sha256_digest(EMPTY_CONFIG), EMPTY_DIGEST);
        assert!(bundle_layer(b"{}").is_err());
        assert!(bundle_referrers(b"[]").is_err());
    }
}
