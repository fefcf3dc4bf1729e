//! PEM armor: tolerant reading (CRLF, leading text, headers as Go's
//! `pem.Decode` allows) and Go-identical writing (64 columns, LF, trailing
//! newline), since Rekor bodies embed the exact PEM bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::{Error, Result};

/// One decoded PEM block.
#[derive(Clone, PartialEq, Eq)]
pub struct Block {
    /// The label, e.g. `PUBLIC KEY`.
    pub label: String,
    /// The decoded body.
    pub contents: Vec<u8>,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies may be private keys: never print them.
        write!(f, "Block({:?}, {} bytes)", self.label, self.contents.len())
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.contents);
    }
}

/// Decodes the first PEM block in `text`, skipping the `EC PARAMETERS`
/// block `openssl ecparam -genkey` writes before the key.
pub fn decode_first(text: &[u8]) -> Result<Block> {
    let text = std::str::from_utf8(text)
        .map_err(|_| Error::Pem("the file is binary, not PEM text (is it DER?)".into()))?;
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r').trim());
    let label = loop {
        let Some(line) = lines.next() else {
            return Err(Error::Pem("no \"-----BEGIN ...-----\" line found".into()));
        };
        if let Some(rest) = line.strip_prefix("-----BEGIN ") {
            let Some(label) = rest.strip_suffix("-----") else {
                return Err(Error::Pem(format!("malformed BEGIN line {line:?}")));
            };
            if label == "EC PARAMETERS" {
                continue;
            }
            break label.to_owned();
        }
    };
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if line == end {
            ended = true;
            break;
        }
        if line.contains(':') && body.is_empty() {
            // RFC 1421 headers (Proc-Type, DEK-Info) before the body.
            continue;
        }
        body.push_str(line);
    }
    if !ended {
        return Err(Error::Pem(format!(
            "no \"{end}\" line: the file is truncated"
        )));
    }
    let contents = STANDARD
        .decode(body.as_bytes())
        .map_err(|e| Error::Pem(format!("bad base64 in {label} block: {e}")))?;
    zeroize::Zeroize::zeroize(&mut body);
    if contents.is_empty() {
        return Err(Error::Pem(format!("empty {label} block")));
    }
    Ok(Block { label, contents })
}

/// Encodes `contents` as PEM exactly as Go's `pem.Encode` does.
pub fn encode(label: &str, contents: &[u8]) -> String {
    let b64 = STANDARD.encode(contents);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_go_layout() {
        let data: Vec<u8> = (0..=200u8).collect();
        let pem = encode("PUBLIC KEY", &data);
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        let block = decode_first(pem.replace('\n', "\r\n").as_bytes()).unwrap();
        assert_eq!(block.label, "PUBLIC KEY");
        assert_eq!(block.contents, data);
    }

    #[test]
    fn skips_ec_parameters() {
        let text = format!(
            "{}{}",
            encode("EC PARAMETERS", b"\x06\x08"),
            encode("EC PRIVATE KEY", b"k")
        );
        assert_eq!(
            decode_first(text.as_bytes()).unwrap().label,
            "EC PRIVATE KEY"
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let pem = encode("PUBLIC KEY", b"abcdef");
        let truncated = &pem[..pem.len() - 10];
        let err = decode_first(truncated.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        let err = decode_first(b"hello").unwrap_err().to_string();
        assert!(err.contains("BEGIN"), "{err}");
        let err = decode_first(&[0x30, 0x82, 0xff, 0xfe])
            .unwrap_err()
            .to_string();
        assert!(err.contains("binary"), "{err}");
        let bad = "-----BEGIN X-----\n!!!!\n-----END X-----\n";
        assert!(
            decode_first(bad.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("base64")
        );
    }
}
