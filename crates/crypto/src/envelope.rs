//! cosign's encrypted private key envelope (go-securesystemslib `encrypted`):
//! scrypt derives a 32-byte key from the password, nacl/secretbox
//! (XSalsa20-Poly1305, tag first) seals the PKCS#8 DER, and the parameters
//! travel in a compact JSON document that is the PEM body.

use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Nonce, XSalsa20Poly1305};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// PEM label cosign ≥ 2.0.1 writes (and signet writes).
pub const LABEL_SIGSTORE: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// PEM label cosign ≤ 2.0.0 wrote; still read.
pub const LABEL_COSIGN: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// scrypt cost parameters cosign accepts (readers accept exactly these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScryptCost {
    /// N = 2^15 (cosign ≤ 2.1).
    Legacy,
    /// N = 2^16 (cosign ≥ 2.2; what signet writes).
    Standard,
    /// N = 2^17 (OWASP).
    Owasp,
}

impl ScryptCost {
    fn log_n(self) -> u8 {
        match self {
            Self::Legacy => 15,
            Self::Standard => 16,
            Self::Owasp => 17,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Document {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "b64")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: KdfParams,
    #[serde(with = "b64")]
    salt: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct KdfParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "b64")]
    nonce: Vec<u8>,
}

mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.trim())
            .map_err(serde::de::Error::custom)
    }
}

fn derive_key(password: &[u8], salt: &[u8], log_n: u8) -> Result<Zeroizing<[u8; 32]>> {
    let params = scrypt::Params::new(log_n, 8, 1, 32)
        .map_err(|_| Error::Envelope("invalid scrypt parameters".into()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, key.as_mut())
        .map_err(|_| Error::Envelope("scrypt failed".into()))?;
    Ok(key)
}

/// Seals `plaintext` (PKCS#8 DER) with `password`; returns the JSON document
/// that becomes the PEM body. `salt` and `nonce` must be fresh random bytes.
pub fn seal(
    plaintext: &[u8],
    password: &[u8],
    cost: ScryptCost,
    salt: [u8; 32],
    nonce: [u8; 24],
) -> Result<Vec<u8>> {
    let key = derive_key(password, &salt, cost.log_n())?;
    let cipher = XSalsa20Poly1305::new(key.as_ref().into());
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext)
        .map_err(|_| Error::Provider("secretbox seal failed"))?;
    let doc = Document {
        kdf: Kdf {
            name: "scrypt".into(),
            params: KdfParams {
                n: 1 << cost.log_n(),
                r: 8,
                p: 1,
            },
            salt: salt.to_vec(),
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce: nonce.to_vec(),
        },
        ciphertext,
    };
    serde_json::to_vec(&doc).map_err(|_| Error::Provider("envelope encoding failed"))
}

/// Opens a sealed document with `password`; returns the PKCS#8 DER.
pub fn open(document: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let doc: Document = serde_json::from_slice(document)
        .map_err(|e| Error::Envelope(format!("the key document is not valid: {e}")))?;
    if doc.kdf.name != "scrypt" {
        return Err(Error::Envelope(format!("unknown kdf {:?}", doc.kdf.name)));
    }
    let KdfParams { n, r, p } = doc.kdf.params;
    let log_n = match (n, r, p) {
        (32768, 8, 1) => 15,
        (65536, 8, 1) => 16,
        (131072, 8, 1) => 17,
        _ => {
            return Err(Error::Envelope(format!(
                "unsupported scrypt parameters N={n} r={r} p={p} (cosign accepts N=2^15..2^17, r=8, p=1)"
            )));
        }
    };
    if doc.cipher.name != "nacl/secretbox" {
        return Err(Error::Envelope(format!(
            "unknown cipher {:?}",
            doc.cipher.name
        )));
    }
    if doc.cipher.nonce.len() != 24 {
        return Err(Error::Envelope("incorrect nonce size".into()));
    }
    if doc.ciphertext.len() < 16 {
        return Err(Error::Envelope("ciphertext too short".into()));
    }
    let key = derive_key(password, &doc.kdf.salt, log_n)?;
    let cipher = XSalsa20Poly1305::new(key.as_ref().into());
    cipher
        .decrypt(
            Nonce::from_slice(&doc.cipher.nonce),
            doc.ciphertext.as_slice(),
        )
        .map(Zeroizing::new)
        .map_err(|_| Error::WrongPassword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_wrong_password() {
        let sealed = seal(b"secret der", b"pw", ScryptCost::Legacy, [7; 32], [9; 24]).unwrap();
        let text = String::from_utf8(sealed.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"#)
        );
        assert_eq!(open(&sealed, b"pw").unwrap().as_slice(), b"secret der");
        assert!(matches!(open(&sealed, b"px"), Err(Error::WrongPassword)));
    }

    #[test]
    fn rejects_other_parameters() {
        let sealed = seal(b"x", b"", ScryptCost::Legacy, [1; 32], [2; 24]).unwrap();
        let text = String::from_utf8(sealed).unwrap().replace("32768", "1024");
        let err = open(text.as_bytes(), b"").unwrap_err().to_string();
        assert!(err.contains("unsupported scrypt parameters"), "{err}");
        assert!(open(b"{}", b"").is_err());
        assert!(open(b"\xff", b"").is_err());
    }
}
