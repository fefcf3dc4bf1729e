//! Serde helpers for padded standard base64 (RFC 4648 §4), as protobuf JSON
//! and cosign use for every byte field, and for int64 fields that protobuf
//! JSON writes as strings.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serializer};

/// Encodes bytes as padded standard base64.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

/// Decodes padded standard base64. Surrounding ASCII whitespace and line
/// breaks inside are ignored, as Go's decoder (and so cosign) ignores them.
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, base64::DecodeError> {
    let text = text.as_ref().trim_ascii();
    if text.iter().any(|b| *b == b'\n' || *b == b'\r') {
        let joined: Vec<u8> = text
            .iter()
            .copied()
            .filter(|b| *b != b'\n' && *b != b'\r')
            .collect();
        return STANDARD.decode(joined);
    }
    STANDARD.decode(text)
}

/// `#[serde(with = "signet_types::b64::bytes")]` for `Vec<u8>` fields.
pub mod bytes {
    use super::*;

    /// Serializes bytes as base64.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(v))
    }

    /// Deserializes base64 into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(text).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "signet_types::b64::int64")]`: written as a JSON string,
/// read from a string or a number (protobuf canonical JSON).
pub mod int64 {
    use super::*;

    /// Serializes an i64 as a decimal string.
    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Deserializes an i64 from a string or number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            N(i64),
            S(String),
        }
        match Either::deserialize(d)? {
            Either::N(n) => Ok(n),
            Either::S(s) => s.trim().parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Like [`int64`] for optional fields (absent means `None`).
pub mod opt_int64 {
    use super::*;

    /// Serializes `Some(i64)` as a string; callers skip `None`.
    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&v.to_string()),
            None => s.serialize_none(),
        }
    }

    /// Deserializes an optional i64 from a string or number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        super::int64::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_whitespace() {
        assert_eq!(decode(" AQID\n").unwrap(), vec![1, 2, 3]);
        assert_eq!(decode("AQ\r\nID").unwrap(), vec![1, 2, 3]);
        assert_eq!(encode([1, 2, 3]), "AQID");
        assert!(decode("AQI").is_err(), "unpadded input is rejected");
    }
}
