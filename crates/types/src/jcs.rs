//! RFC 8785 JSON Canonicalization Scheme for the JSON signet signs and
//! logs: object keys sorted by UTF-16 code units, no whitespace, strings
//! with the minimal escapes, integers only (canonical bodies and SET
//! payloads never carry fractions).

use serde_json::Value;

use crate::{Error, Result};

/// Canonical bytes of `value`.
pub fn canonicalize(value: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out)?;
    Ok(out)
}

fn write(v: &Value, out: &mut Vec<u8>) -> Result<()> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if n.is_f64() {
                return Err(Error::Canonical("fractional numbers are not supported"));
            }
            out.extend_from_slice(n.to_string().as_bytes());
        }
        Value::String(s) => write_str(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write(&m[k.as_str()], out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{0c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_and_escapes() {
        let v: Value = serde_json::from_str(
            r#"{"b":1,"a":{"z":[true,null,"x\ny"],"\u00e9":"\u0001"},"A":-5}"#,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(canonicalize(&v).unwrap()).unwrap(),
            "{\"A\":-5,\"a\":{\"z\":[true,null,\"x\\ny\"],\"\u{e9}\":\"\\u0001\"},\"b\":1}"
        );
        assert!(canonicalize(&serde_json::json!({"f": 1.5})).is_err());
    }

    #[test]
    fn reproduces_a_rekor_canonical_body() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vectors/sigstore-conformance/derived/managed-key-legacy"
        );
        let body = std::fs::read(format!("{dir}/canonicalized-body.json")).unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(canonicalize(&v).unwrap(), body.trim_ascii_end());
        let set = std::fs::read(format!("{dir}/set-payload.json")).unwrap();
        let v: Value = serde_json::from_slice(&set).unwrap();
        assert_eq!(canonicalize(&v).unwrap(), set.trim_ascii_end());
    }
}
