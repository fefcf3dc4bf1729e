//! Checkpoints (`c2sp.org/tlog-checkpoint`): the signed text of a note,
//! `<origin>\n<size>\n<base64 root>\n[<extension>\n]*`.

use crate::hash::Hash;
use crate::note::{self, Signer, Verifier};
use crate::{Error, Result};

/// A checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log identity, e.g. `log.example.com/2026`.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash of the first `size` leaves.
    pub root: Hash,
    /// Extension lines (kept, not interpreted).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint with no extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Parses the signed text of a checkpoint note.
    pub fn parse(text: &str) -> Result<Self> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| Error::Checkpoint("must end with a newline".into()))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| Error::Checkpoint("missing origin".into()))?;
        let size_line = lines
            .next()
            .ok_or_else(|| Error::Checkpoint("missing tree size".into()))?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(Error::Checkpoint(format!("bad tree size {size_line:?}")));
        }
        let size = size_line
            .parse()
            .map_err(|_| Error::Checkpoint(format!("tree size {size_line} out of range")))?;
        let root_line = lines
            .next()
            .ok_or_else(|| Error::Checkpoint("missing root hash".into()))?;
        let root = Hash::from_base64(root_line)
            .filter(|_| !root_line.contains(char::is_whitespace))
            .ok_or_else(|| Error::Checkpoint("root hash is not 32 bytes of base64".into()))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(Error::Checkpoint("empty extension line".into()));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The signed text.
    pub fn to_text(&self) -> String {
        let mut t = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            t.push_str(e);
            t.push('\n');
        }
        t
    }

    /// Signs the checkpoint as a note.
    pub fn sign(&self, signers: &[&Signer]) -> Result<String> {
        note::sign(&self.to_text(), signers)
    }

    /// Verifies a signed checkpoint note: a trusted key named like the
    /// origin must have signed it.
    pub fn open(note_text: &str, verifiers: &[Verifier]) -> Result<Self> {
        let note = note::Note::parse(note_text)?;
        let cp = Self::parse(&note.text)?;
        let for_origin: Vec<Verifier> = verifiers
            .iter()
            .filter(|v| v.name() == cp.origin)
            .cloned()
            .collect();
        if for_origin.is_empty() {
            return Err(Error::Checkpoint(format!(
                "no trusted key for origin {:?}",
                cp.origin
            )));
        }
        note.verify(&for_origin)?;
        Ok(cp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_crypto::PrivateKey;

    #[test]
    fn round_trip_and_signing() {
        let cp = Checkpoint::new("log.example/1", 42, Hash([9; 32]));
        assert_eq!(Checkpoint::parse(&cp.to_text()).unwrap(), cp);
        let s = Signer::new(
            "log.example/1",
            PrivateKey::from_ed25519_seed(&[3; 32]).unwrap(),
        )
        .unwrap();
        let signed = cp.sign(&[&s]).unwrap();
        assert_eq!(
            Checkpoint::open(&signed, &[s.verifier().clone()]).unwrap(),
            cp
        );
        let other = Signer::new("other", PrivateKey::from_ed25519_seed(&[3; 32]).unwrap()).unwrap();
        assert!(Checkpoint::open(&signed, &[other.verifier().clone()]).is_err());
        let mut ext = cp.clone();
        ext.extensions.push("Timestamp: 1".into());
        assert_eq!(Checkpoint::parse(&ext.to_text()).unwrap(), ext);
    }

    #[test]
    fn malformed() {
        let root = Hash([1; 32]).to_base64();
        for bad in [
            String::new(),
            "origin\n".into(),
            format!("\n5\n{root}\n"),
            format!("o\n05\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            "o\n5\nAAAA\n".into(),
            format!("o\n5\n{root}"),
            format!("o\n5\n{root}\n\n"),
            format!("o\n99999999999999999999999\n{root}\n"),
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
