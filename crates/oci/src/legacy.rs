//! cosign's legacy signature storage: an OCI image manifest tagged
//! `sha256-<hex>.sig` whose layers are Simple Signing payloads, each with
//! its signature in the `dev.cosignproject.cosign/signature` annotation.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::simple_signing::go_string;

/// Media type of a signature layer.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The annotation holding a Rekor bundle.
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// Media type of an attestation layer (a DSSE envelope).
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// The annotation naming an attestation layer's predicate type.
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";

/// Most signature layers cosign verifies on one image.
pub const MAX_SIGNATURES: usize = 100;

/// One signature layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigLayer {
    /// Its media type.
    pub media_type: String,
    /// `sha256:` of the payload blob.
    pub digest: String,
    /// Payload size.
    pub size: u64,
    /// Its annotations (the signature among them).
    pub annotations: BTreeMap<String, String>,
}

impl SigLayer {
    /// The base64 signature, if the layer has one.
    pub fn signature(&self) -> Option<&str> {
        self.annotations
            .get(SIGNATURE_ANNOTATION)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// Why a signature manifest was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed signature manifest: {0}")]
pub struct Malformed(pub String);

/// Reads the layers of a `.sig` manifest.
pub fn parse(manifest: &[u8]) -> Result<Vec<SigLayer>, Malformed> {
    let v: Value = serde_json::from_slice(manifest).map_err(|e| Malformed(e.to_string()))?;
    let layers = v
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| Malformed("no layers array".into()))?;
    layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let text = |k: &str| l.get(k).and_then(Value::as_str).map(str::to_owned);
            let digest = text("digest")
                .filter(|d| crate::is_sha256_digest(d))
                .ok_or_else(|| Malformed(format!("layer {i} has no sha256 digest")))?;
            let size = l
                .get("size")
                .and_then(Value::as_u64)
                .ok_or_else(|| Malformed(format!("layer {i} has no size")))?;
            let annotations = match l.get("annotations") {
                None | Some(Value::Null) => BTreeMap::new(),
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| {
                        v.as_str()
                            .map(|s| (k.clone(), s.to_owned()))
                            .ok_or_else(|| {
                                Malformed(format!("layer {i}: annotation {k} is not a string"))
                            })
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => {
                    return Err(Malformed(format!(
                        "layer {i}: annotations is not an object"
                    )));
                }
            };
            Ok(SigLayer {
                media_type: text("mediaType").unwrap_or_default(),
                digest,
                size,
                annotations,
            })
        })
        .collect()
}

fn annotations_json(a: &BTreeMap<String, String>) -> String {
    let fields: Vec<String> = a
        .iter()
        .map(|(k, v)| format!("{}:{}", go_string(k), go_string(v)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// The config blob cosign writes for these layers (go-containerregistry's
/// empty image with one history entry and diff_id per layer).
pub fn config(layers: &[SigLayer]) -> Vec<u8> {
    let history = vec!["{\"created\":\"0001-01-01T00:00:00Z\"}"; layers.len()].join(",");
    let diff_ids: Vec<String> = layers.iter().map(|l| go_string(&l.digest)).collect();
    format!(
        "{{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{history}],\"os\":\"\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[{}]}},\"config\":{{}}}}",
        diff_ids.join(",")
    )
    .into_bytes()
}

/// The `.sig` manifest for `layers` whose config blob is `config` (as
/// [`config`] made it).
pub fn manifest(layers: &[SigLayer], config: &[u8]) -> Vec<u8> {
    let layer_json: Vec<String> = layers
        .iter()
        .map(|l| {
            let mut s = format!(
                "{{\"mediaType\":{},\"size\":{},\"digest\":{}",
                go_string(&l.media_type),
                l.size,
                go_string(&l.digest)
            );
            if !l.annotations.is_empty() {
                s.push_str(&format!(
                    ",\"annotations\":{}",
                    annotations_json(&l.annotations)
                ));
            }
            s.push('}');
            s
        })
        .collect();
    format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":{},\"digest\":{}}},\"layers\":[{}]}}",
        config.len(),
        go_string(&crate::sha256_digest(config)),
        layer_json.join(",")
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(sig: &str) -> SigLayer {
        let mut a = BTreeMap::new();
        a.insert(SIGNATURE_ANNOTATION.to_owned(), sig.to_owned());
        SigLayer {
            media_type: SIMPLE_SIGNING.into(),
            digest: format!("sha256:{}", "1".repeat(64)),
            size: 10,
            annotations: a,
        }
    }

    #[test]
    fn config_is_cosigns_233_bytes_for_one_layer() {
        let c = config(&[layer("x")]);
        assert_eq!(c.len(), 233, "{}", String::from_utf8_lossy(&c));
    }

    #[test]
    fn manifests_round_trip() {
        let layers = vec![layer("c2ln"), layer("b3RoZXI=")];
        let cfg = config(&layers);
        let m = manifest(&layers, &cfg);
        let back = parse(&m).unwrap();
        assert_eq!(back, layers);
        assert_eq!(back[1].signature(), Some("b3RoZXI="));
        let v: Value = serde_json::from_slice(&m).unwrap();
        assert_eq!(v["config"]["digest"], crate::sha256_digest(&cfg));
    }

    #[test]
    fn malformed_manifests_say_why() {
        assert!(parse(b"{").is_err());
        assert!(parse(br#"{"layers":{}}"#).is_err());
        assert!(parse(br#"{"layers":[{"digest":"sha256:short","size":1}]}"#).is_err());
        let d = format!("sha256:{}", "1".repeat(64));
        let bad = format!(r#"{{"layers":[{{"digest":"{d}","size":1,"annotations":{{"a":1}}}}]}}"#);
        assert!(
            parse(bad.as_bytes())
                .unwrap_err()
                .0
                .contains("annotation a")
        );
        let none = format!(r#"{{"layers":[{{"digest":"{d}","size":1}}]}}"#);
        assert_eq!(parse(none.as_bytes()).unwrap()[0].signature(), None);
    }
}
