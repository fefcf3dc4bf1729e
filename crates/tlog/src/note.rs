//! C2SP signed notes (`c2sp.org/signed-note`): text, a blank line, then
//! signature lines `— <name> base64(keyID[4] ‖ signature)`.
//!
//! Key types: Ed25519 (0x01; key ID = the first 4 bytes of
//! `SHA-256(name ‖ "\n" ‖ 0x01 ‖ pk)`, signs the text) and ECDSA (0x02, as
//! Rekor and transparency-dev/formats use it; key ID = the first 4 bytes of
//! `SHA-256(DER SPKI)`, signs SHA-256 of the text).
//! Unknown signers are ignored; a known signer whose signature fails makes
//! the note invalid; at least one known signer must verify.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use signet_crypto::digest::sha256_concat;
use signet_crypto::{KeyAlgorithm, Message, PrivateKey, PublicKey};

use crate::{Error, Result};

/// Most signature lines read from one note (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;

const ALG_ED25519: u8 = 0x01;
const ALG_ECDSA: u8 = 0x02;
const DASH: &str = "\u{2014} ";

/// A key that verifies note signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_id: [u8; 4],
    key: PublicKey,
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
        return Err(Error::VerifierKey(format!(
            "key name {name:?} must be non-empty, without spaces or '+'"
        )));
    }
    Ok(())
}

fn ed25519_key_id(name: &str, raw: &[u8; 32]) -> [u8; 32] {
    sha256_concat(&[name.as_bytes(), b"\n", &[ALG_ED25519], raw])
}

impl Verifier {
    /// A verifier for `key` under `name`. Ed25519 and ECDSA keys only.
    pub fn new(name: &str, key: PublicKey) -> Result<Self> {
        check_name(name)?;
        let full = Self::full_id(name, &key)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: [full[0], full[1], full[2], full[3]],
            key,
        })
    }

    fn full_id(name: &str, key: &PublicKey) -> Result<[u8; 32]> {
        match key.algorithm() {
            KeyAlgorithm::Ed25519 => {
                let raw = key
                    .ed25519_raw()
                    .ok_or_else(|| Error::Key("bad Ed25519 key".into()))?;
                Ok(ed25519_key_id(name, &raw))
            }
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 | KeyAlgorithm::EcdsaP521 => {
                Ok(sha256_concat(&[key.spki_der()]))
            }
            other => Err(Error::Key(format!(
                "{other} keys cannot sign notes: use Ed25519 or ECDSA"
            ))),
        }
    }

    /// Parses a verifier key `name+hexid+base64(type ‖ key)`.
    pub fn from_vkey(vkey: &str) -> Result<Self> {
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::VerifierKey("expected name+keyid+key".into()));
        };
        let key_bytes = STANDARD
            .decode(b64)
            .map_err(|e| Error::VerifierKey(format!("key is not base64: {e}")))?;
        let key = match key_bytes.split_first() {
            Some((&ALG_ED25519, raw)) => {
                let raw: &[u8; 32] = raw
                    .try_into()
                    .map_err(|_| Error::VerifierKey("Ed25519 key must be 32 bytes".into()))?;
                PublicKey::from_ed25519_raw(raw)
            }
            Some((&ALG_ECDSA, spki)) => PublicKey::from_spki_der(spki),
            Some((t, _)) => {
                return Err(Error::VerifierKey(format!("unsupported key type {t:#04x}")));
            }
            None => return Err(Error::VerifierKey("empty key".into())),
        }
        .map_err(|e| Error::VerifierKey(e.to_string()))?;
        let v = Self::new(name, key)?;
        if id.len() != 8 || hex4(&v.key_id) != id.to_ascii_lowercase() {
            return Err(Error::VerifierKey(format!(
                "key ID {id} does not match the key (expected {})",
                hex4(&v.key_id)
            )));
        }
        Ok(v)
    }

    /// Formats the verifier key string.
    pub fn to_vkey(&self) -> String {
        let mut material = Vec::new();
        match self.key.algorithm() {
            KeyAlgorithm::Ed25519 => {
                material.push(ALG_ED25519);
                material.extend_from_slice(&self.key.ed25519_raw().unwrap_or_default());
            }
            _ => {
                material.push(ALG_ECDSA);
                material.extend_from_slice(self.key.spki_der());
            }
        }
        format!(
            "{}+{}+{}",
            self.name,
            hex4(&self.key_id),
            STANDARD.encode(material)
        )
    }

    /// The key name (for checkpoints, the log origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID (signature hint).
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The untruncated key ID: what Rekor v2 and trusted roots call the
    /// checkpoint key ID / log ID.
    pub fn full_key_id(&self) -> [u8; 32] {
        // Construction only admits keys full_id accepts.
        Self::full_id(&self.name, &self.key).unwrap_or_default()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// Ed25519 signs the text itself; ECDSA signs its SHA-256, which is
    /// what ECDSA-with-SHA-256 over the text computes.
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        self.key.verify(&Message::Raw(text), sig).is_ok()
    }
}

fn hex4(id: &[u8; 4]) -> String {
    signet_types::hex::encode(id)
}

/// A key that signs notes.
pub struct Signer {
    verifier: Verifier,
    key: PrivateKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({}, [redacted])", self.verifier.to_vkey())
    }
}

impl Signer {
    /// A signer for `key` under `name` (Ed25519 or ECDSA).
    pub fn new(name: &str, key: PrivateKey) -> Result<Self> {
        let verifier = Verifier::new(name, key.public_key().clone())?;
        Ok(Self { verifier, key })
    }

    /// Parses a Go-style Ed25519 note key `PRIVATE+KEY+name+hexid+base64(0x01 ‖ seed)`.
    pub fn from_skey(skey: &str) -> Result<Self> {
        let rest = skey.trim().strip_prefix("PRIVATE+KEY+").ok_or_else(|| {
            Error::VerifierKey("a note signing key starts with PRIVATE+KEY+".into())
        })?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::VerifierKey(
                "expected PRIVATE+KEY+name+keyid+key".into(),
            ));
        };
        let bytes = zeroize::Zeroizing::new(
            STANDARD
                .decode(b64)
                .map_err(|_| Error::VerifierKey("key is not base64".into()))?,
        );
        let seed: &[u8; 32] = match bytes.split_first() {
            Some((&ALG_ED25519, seed)) => seed
                .try_into()
                .map_err(|_| Error::VerifierKey("Ed25519 seed must be 32 bytes".into()))?,
            _ => {
                return Err(Error::VerifierKey(
                    "only Ed25519 signing keys have this form".into(),
                ));
            }
        };
        let key = PrivateKey::from_ed25519_seed(seed).map_err(|e| Error::Key(e.to_string()))?;
        let signer = Self::new(name, key)?;
        if hex4(&signer.verifier.key_id) != id.to_ascii_lowercase() {
            return Err(Error::VerifierKey("key ID does not match the key".into()));
        }
        Ok(signer)
    }

    /// Formats a Go-style Ed25519 note key (secret: store it encrypted).
    pub fn to_skey(&self) -> Option<zeroize::Zeroizing<String>> {
        let seed = self.key.ed25519_seed()?;
        let mut material = zeroize::Zeroizing::new(vec![ALG_ED25519]);
        material.extend_from_slice(seed.as_ref());
        let b64 = zeroize::Zeroizing::new(STANDARD.encode(material.as_slice()));
        Some(zeroize::Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.verifier.name,
            hex4(&self.verifier.key_id),
            b64.as_str()
        )))
    }

    /// The matching verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn sign_line(&self, text: &str) -> Result<String> {
        let sig = self
            .key
            .sign(&Message::Raw(text.as_bytes()))
            .map_err(|e| Error::Key(e.to_string()))?;
        let mut blob = self.verifier.key_id.to_vec();
        blob.extend_from_slice(&sig);
        Ok(format!(
            "{DASH}{} {}\n",
            self.verifier.name,
            STANDARD.encode(blob)
        ))
    }
}

/// Signs `text` (which must end in a newline) with every signer.
pub fn sign(text: &str, signers: &[&Signer]) -> Result<String> {
    check_text(text)?;
    let mut out = String::with_capacity(text.len() + 128 * signers.len());
    out.push_str(text);
    out.push('\n');
    for s in signers {
        out.push_str(&s.sign_line(text)?);
    }
    Ok(out)
}

fn check_text(text: &str) -> Result<()> {
    if !text.ends_with('\n') {
        return Err(Error::Note("text must end with a newline".into()));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::Note("text has control characters".into()));
    }
    Ok(())
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Key name.
    pub name: String,
    /// Key ID hint.
    pub key_id: [u8; 4],
    /// Signature bytes (after the key ID).
    pub sig: Vec<u8>,
}

/// A parsed (not yet verified) note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Signature lines in order.
    pub signatures: Vec<Signature>,
}

impl Note {
    /// Splits a note at its last blank line and parses the signature lines.
    pub fn parse(note: &str) -> Result<Self> {
        if note.len() > 1 << 20 {
            return Err(Error::Note("note larger than 1 MiB".into()));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| Error::Note("no blank line before the signatures".into()))?;
        let text = &note[..=split];
        check_text(text)?;
        let sigs = &note[split + 2..];
        if !sigs.ends_with('\n') {
            return Err(Error::Note(
                "signature block must end with a newline".into(),
            ));
        }
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            if signatures.len() == MAX_SIGNATURES {
                return Err(Error::Note(format!(
                    "more than {MAX_SIGNATURES} signatures"
                )));
            }
            let rest = line.strip_prefix(DASH).ok_or_else(|| {
                Error::Note(format!(
                    "signature line {line:?} must start with an em dash"
                ))
            })?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| Error::Note("signature line without a key name".into()))?;
            check_name(name).map_err(|e| Error::Note(e.to_string()))?;
            let blob = STANDARD
                .decode(b64)
                .map_err(|_| Error::Note("signature is not base64".into()))?;
            if blob.len() < 5 {
                return Err(Error::Note("signature too short".into()));
            }
            signatures.push(Signature {
                name: name.to_owned(),
                key_id: [blob[0], blob[1], blob[2], blob[3]],
                sig: blob[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(Error::Note("no signatures".into()));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Verifies against trusted keys; returns the names that verified.
    pub fn verify(&self, verifiers: &[Verifier]) -> Result<Vec<String>> {
        let mut ok = Vec::new();
        for s in &self.signatures {
            let Some(v) = verifiers
                .iter()
                .find(|v| v.name == s.name && v.key_id == s.key_id)
            else {
                continue;
            };
            if !v.verify(self.text.as_bytes(), &s.sig) {
                return Err(Error::BadSignature(format!(
                    "{}+{}",
                    s.name,
                    hex4(&s.key_id)
                )));
            }
            if !ok.contains(&s.name) {
                ok.push(s.name.clone());
            }
        }
        if ok.is_empty() {
            let seen: Vec<String> = self
                .signatures
                .iter()
                .map(|s| format!("{}+{}", s.name, hex4(&s.key_id)))
                .collect();
            return Err(Error::NoTrustedSignature(seen.join(", ")));
        }
        Ok(ok)
    }
}

impl Note {
    /// Verifies with one trusted key whatever name the signer used (Rekor
    /// v1 checkpoints name the host, not the origin): a signature line whose
    /// key ID matches the key must verify.
    pub fn verify_with_key(&self, key: &PublicKey) -> Result<()> {
        let mut seen = false;
        for s in &self.signatures {
            let Ok(v) = Verifier::new(&s.name, key.clone()) else {
                continue;
            };
            if v.key_id != s.key_id {
                continue;
            }
            seen = true;
            if v.verify(self.text.as_bytes(), &s.sig) {
                return Ok(());
            }
        }
        if seen {
            Err(Error::BadSignature("the log key".into()))
        } else {
            Err(Error::NoTrustedSignature(
                "no signature carries the log key's ID".into(),
            ))
        }
    }
}

/// Parses and verifies a note; returns its text.
pub fn open(note: &str, verifiers: &[Verifier]) -> Result<String> {
    let n = Note::parse(note)?;
    n.verify(verifiers)?;
    Ok(n.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    // c2sp.org/signed-note example (verified independently; see shared/design/tlog.md §9.3).
    const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

    #[test]
    fn vkey_round_trip_and_key_id() {
        let v = Verifier::from_vkey(SPEC_VKEY).unwrap();
        assert_eq!(v.name(), "example.com/foo");
        assert_eq!(v.to_vkey(), SPEC_VKEY);
        assert!(
            Verifier::from_vkey(
                "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
            )
            .is_err()
        );
        assert!(Verifier::from_vkey("nonsense").is_err());
    }

    #[test]
    fn sign_and_verify_ed25519_and_ecdsa() {
        let ed = Signer::new(
            "log.example",
            PrivateKey::from_ed25519_seed(&[1; 32]).unwrap(),
        )
        .unwrap();
        let ec = Signer::new(
            "log.example",
            PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        )
        .unwrap();
        let text = "log.example\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let note = sign(text, &[&ed, &ec]).unwrap();
        assert!(note.contains("\n\n\u{2014} log.example "));
        let names = Note::parse(&note)
            .unwrap()
            .verify(&[ed.verifier().clone()])
            .unwrap();
        assert_eq!(names, vec!["log.example"]);
        assert_eq!(open(&note, &[ec.verifier().clone()]).unwrap(), text);
        // The ECDSA key ID is SHA-256(SPKI)[:4].
        let spki_hash = sha256_concat(&[ec.verifier().public_key().spki_der()]);
        assert_eq!(
            ec.verifier().key_id(),
            [spki_hash[0], spki_hash[1], spki_hash[2], spki_hash[3]]
        );
        // Tampered text fails with the known key; unknown keys alone fail.
        let tampered = note.replacen("\n5\n", "\n6\n", 1);
        assert!(matches!(
            open(&tampered, &[ed.verifier().clone()]),
            Err(Error::BadSignature(_))
        ));
        let other = Signer::new("other", PrivateKey::from_ed25519_seed(&[2; 32]).unwrap()).unwrap();
        assert!(matches!(
            open(&note, &[other.verifier().clone()]),
            Err(Error::NoTrustedSignature(_))
        ));
        // vkeys round-trip for both types.
        for s in [&ed, &ec] {
            let vk = s.verifier().to_vkey();
            assert_eq!(&Verifier::from_vkey(&vk).unwrap(), s.verifier());
        }
        let skey = ed.to_skey().unwrap();
        let back = Signer::from_skey(&skey).unwrap();
        assert_eq!(back.verifier(), ed.verifier());
    }

    #[test]
    fn malformed_notes() {
        for bad in [
            "",
            "no blank line\n",
            "text\n\nnot a signature\n",
            "text\n\n\u{2014} name !!!\n",
            "text\n\n\u{2014} name AAAA\n",
            "text\n\n",
            "text\u{7}\n\n\u{2014} n AAAAAAAA\n",
        ] {
            assert!(Note::parse(bad).is_err(), "{bad:?}");
        }
    }
}
