//! The Simple Signing payload cosign signs for an image: Go's
//! `json.Marshal` of a fixed struct, reproduced byte for byte so that
//! signatures and digests match cosign's.

use std::collections::BTreeMap;

use serde_json::Value;

/// `critical.type` cosign writes.
pub const COSIGN_TYPE: &str = "cosign container image signature";

/// A JSON string as Go's `encoding/json` writes it (`<`, `>`, `&`, U+2028
/// and U+2029 escaped).
pub fn go_string(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The payload bytes for `docker_reference` (registry/repository) at
/// `digest`, with `annotations` in `optional` (`null` when none).
pub fn payload(
    docker_reference: &str,
    digest: &str,
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let optional = if annotations.is_empty() {
        "null".to_owned()
    } else {
        let fields: Vec<String> = annotations
            .iter()
            .map(|(k, v)| format!("{}:{}", go_string(k), go_string(v)))
            .collect();
        format!("{{{}}}", fields.join(","))
    };
    format!(
        "{{\"critical\":{{\"identity\":{{\"docker-reference\":{}}},\"image\":{{\"docker-manifest-digest\":{}}},\"type\":{}}},\"optional\":{optional}}}",
        go_string(docker_reference),
        go_string(digest),
        go_string(COSIGN_TYPE),
    )
    .into_bytes()
}

/// What a payload claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `critical.image.docker-manifest-digest`.
    pub digest: String,
    /// `critical.identity.docker-reference`.
    pub reference: String,
    /// `critical.type`.
    pub kind: String,
    /// `optional` (an object, or empty).
    pub optional: serde_json::Map<String, Value>,
}

/// Why a payload was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    /// Not JSON, or not an object.
    #[error("the signed payload is not a JSON object: {0}")]
    NotJson(String),
    /// No manifest digest.
    #[error("invalid or missing digest in claim")]
    NoDigest,
}

/// A field of an object by name, ignoring ASCII case (as Go decodes).
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Reads a payload's claims.
pub fn parse(bytes: &[u8]) -> Result<Claims, PayloadError> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    if !v.is_object() {
        return Err(PayloadError::NotJson("not an object".into()));
    }
    let critical = field(&v, "critical");
    let text = |path: &[&str]| -> String {
        let mut cur = critical;
        for p in path {
            cur = cur.and_then(|c| field(c, p));
        }
        cur.and_then(Value::as_str).unwrap_or("").to_owned()
    };
    let digest = text(&["image", "docker-manifest-digest"]);
    if digest.is_empty() {
        return Err(PayloadError::NoDigest);
    }
    Ok(Claims {
        digest,
        reference: text(&["identity", "docker-reference"]),
        kind: text(&["type"]),
        optional: field(&v, "optional")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    })
}

impl Claims {
    /// Whether every `want` annotation is in `optional` with that value.
    pub fn has_annotations(&self, want: &BTreeMap<String, String>) -> bool {
        want.iter()
            .all(|(k, v)| self.optional.get(k).and_then(Value::as_str) == Some(v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_match_cosign() {
        let d = format!("sha256:{}", "0".repeat(64));
        let p = payload("ghcr.io/org/app", &d, &BTreeMap::new());
        assert_eq!(
            String::from_utf8(p).unwrap(),
            format!(
                "{{\"critical\":{{\"identity\":{{\"docker-reference\":\"ghcr.io/org/app\"}},\"image\":{{\"docker-manifest-digest\":\"{d}\"}},\"type\":\"cosign container image signature\"}},\"optional\":null}}"
            )
        );
        let mut a = BTreeMap::new();
        a.insert("b".to_owned(), "<&>".to_owned());
        a.insert("a".to_owned(), "1".to_owned());
        let p = String::from_utf8(payload("r", &d, &a)).unwrap();
        assert!(
            p.ends_with(r#""optional":{"a":"1","b":"\u003c\u0026\u003e"}}"#),
            "{p}"
        );
        let c = parse(p.as_bytes()).unwrap();
        assert_eq!(c.digest, d);
        assert!(c.has_annotations(&a));
        let mut other = a.clone();
        other.insert("a".into(), "2".into());
        assert!(!c.has_annotations(&other));
    }

    #[test]
    fn reads_old_spellings_and_refuses_junk() {
        let c = parse(br#"{"Critical":{"Image":{"Docker-manifest-digest":"sha256:x"}}}"#).unwrap();
        assert_eq!(c.digest, "sha256:x");
        assert_eq!(parse(b"{}"), Err(PayloadError::NoDigest));
        assert!(matches!(parse(b"nope"), Err(PayloadError::NotJson(_))));
        assert!(matches!(parse(b"[1]"), Err(PayloadError::NotJson(_))));
    }
}
