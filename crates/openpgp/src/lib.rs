//! OpenPGP for signet: key generation, detached and cleartext signatures,
//! keyrings and verification, on the `pgp` crate (rPGP).
//!
//! Pure: everything works on bytes and readers; the CLI and the server do
//! the file and network I/O. Keys are v4 (what GnuPG 2.2, rpm and apt
//! read): Ed25519 in its legacy EdDSA encoding, or RSA.
//!
//! Verification names the key: an unknown key or a bad signature is an
//! error that carries the issuer's key ID, so a user can tell which key to
//! fetch or which signer to distrust.

use std::io::{BufReader, Read};

use pgp::composed::{
    ArmorOptions, CleartextSignedMessage, Deserializable, DetachedSignature, EncryptionCaps,
    KeyType, SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::Signature;
use pgp::types::{KeyDetails, Password};
use zeroize::Zeroizing;

/// Largest key or keyring read (a keyring of a few hundred keys).
pub const MAX_KEYRING: usize = 16 << 20;
/// Largest detached signature file read.
pub const MAX_SIGNATURE: usize = 1 << 20;

/// What went wrong, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not the OpenPGP object expected.
    #[error("{what} is not valid OpenPGP data: {detail}")]
    Malformed {
        /// What was being read ("the keyring", "the signature").
        what: &'static str,
        /// The parser's complaint.
        detail: String,
    },
    /// No key in the keyring made the signature.
    #[error(
        "the signature was made by key {key_id}, which is not in the keyring; import that key or check who signed"
    )]
    UnknownKey {
        /// The issuer key ID (16 hex digits) or fingerprint.
        key_id: String,
    },
    /// The signature does not match the data under the key.
    #[error("BAD signature from key {key_id}: the data or the signature was altered")]
    BadSignature {
        /// The key that was tried.
        key_id: String,
    },
    /// The key is revoked or cannot sign.
    #[error("key {key_id} cannot be used: {detail}")]
    Unusable {
        /// The key.
        key_id: String,
        /// Why.
        detail: String,
    },
    /// The key, or the signature, has expired: at the time given, or when
    /// it signed.
    #[error("key {key_id} {detail}; ask the signer for a renewed key or a new signature")]
    Expired {
        /// The key.
        key_id: String,
        /// What expired, and when.
        detail: String,
    },
    /// The secret key is protected and the passphrase does not open it.
    #[error("the passphrase does not unlock secret key {key_id} (wrong passphrase?)")]
    WrongPassphrase {
        /// The key.
        key_id: String,
    },
    /// Anything else the OpenPGP library reported.
    #[error("OpenPGP: {0}")]
    Other(String),
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;

fn malformed(what: &'static str) -> impl FnOnce(pgp::errors::Error) -> Error {
    move |e| Error::Malformed {
        what,
        detail: e.to_string(),
    }
}

fn other(e: pgp::errors::Error) -> Error {
    Error::Other(e.to_string())
}

/// Key algorithms `generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// EdDSA over Ed25519 (legacy v4 encoding, as GnuPG 2.2 writes).
    Ed25519,
    /// RSA of the given modulus size (2048, 3072 or 4096).
    Rsa(u32),
}

impl std::str::FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "ed25519" => Ok(Self::Ed25519),
            "rsa2048" => Ok(Self::Rsa(2048)),
            "rsa" | "rsa3072" => Ok(Self::Rsa(3072)),
            "rsa4096" => Ok(Self::Rsa(4096)),
            _ => Err(format!(
                "unknown OpenPGP key algorithm {s:?}: use ed25519, rsa2048, rsa3072 or rsa4096"
            )),
        }
    }
}

/// A newly generated key pair, armored.
pub struct Generated {
    /// The transferable secret key (protected when a passphrase was given).
    pub secret: Zeroizing<String>,
    /// The certificate (public key), armored.
    pub public: String,
    /// The primary key's fingerprint (40 hex digits, upper case).
    pub fingerprint: String,
}

/// Generates a v4 signing key (primary key that certifies and signs, no
/// subkeys), with one user ID, protected by `passphrase` when not empty.
pub fn generate(algorithm: Algorithm, user_id: &str, passphrase: &str) -> Result<Generated> {
    let key_type = match algorithm {
        Algorithm::Ed25519 => KeyType::Ed25519Legacy,
        Algorithm::Rsa(bits @ (2048 | 3072 | 4096)) => KeyType::Rsa(bits),
        Algorithm::Rsa(bits) => {
            return Err(Error::Other(format!(
                "RSA keys are 2048, 3072 or 4096 bits, not {bits}"
            )));
        }
    };
    let mut params = SecretKeyParamsBuilder::default();
    params
        .key_type(key_type)
        .can_certify(true)
        .can_sign(true)
        .can_encrypt(EncryptionCaps::None)
        .primary_user_id(user_id.to_owned())
        .passphrase((!passphrase.is_empty()).then(|| passphrase.to_owned()))
        .subkeys(Vec::<pgp::composed::SubkeyParams>::new());
    let params = params
        .build()
        .map_err(|e| Error::Other(format!("key parameters: {e}")))?;
    let secret = params.generate(rand_core::OsRng).map_err(other)?;
    let public = secret.to_public_key();
    Ok(Generated {
        secret: Zeroizing::new(
            secret
                .to_armored_string(ArmorOptions::default())
                .map_err(other)?,
        ),
        public: public
            .to_armored_string(ArmorOptions::default())
            .map_err(other)?,
        fingerprint: hex_upper(secret.fingerprint().as_bytes()),
    })
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn is_armored(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes[start..].starts_with(b"-----BEGIN PGP ")
}

/// Splits armored text into its `-----BEGIN PGP ...` blocks.
fn armor_blocks(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = find(rest, b"-----BEGIN PGP ") {
        let block = &rest[i..];
        let end = find(block, b"-----END PGP ")
            .and_then(|e| find(&block[e + 5..], b"-----").map(|f| e + 5 + f + 5))
            .unwrap_or(block.len());
        out.push(&block[..end]);
        rest = &block[end..];
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A secret key that signs.
pub struct SecretKey {
    key: SignedSecretKey,
}

impl SecretKey {
    /// Reads a transferable secret key (armored, or binary as
    /// `gpg --export-secret-keys` writes it).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_KEYRING {
            return Err(Error::Malformed {
                what: "the secret key",
                detail: format!("larger than {MAX_KEYRING} bytes"),
            });
        }
        let (key, _) =
            SignedSecretKey::from_reader_single(bytes).map_err(malformed("the secret key"))?;
        key.verify_bindings().map_err(|e| Error::Unusable {
            key_id: hex_upper(key.fingerprint().as_bytes()),
            detail: format!("its self-signatures do not verify: {e}"),
        })?;
        Ok(Self { key })
    }

    /// The primary key's fingerprint.
    pub fn fingerprint(&self) -> String {
        hex_upper(self.key.fingerprint().as_bytes())
    }

    /// The certificate (public key) of this key, armored.
    pub fn public_armored(&self) -> Result<String> {
        self.key
            .to_public_key()
            .to_armored_string(ArmorOptions::default())
            .map_err(other)
    }

    /// The OpenPGP public-key algorithm id of the key that signs (1 RSA,
    /// 17 DSA, 19 ECDSA, 22 EdDSA, ...).
    pub fn signing_algorithm(&self) -> u8 {
        match self.signing_subkey() {
            Some(sub) => u8::from(sub.key.algorithm()),
            None => u8::from(self.key.primary_key.algorithm()),
        }
    }

    /// Checks `passphrase` opens the key that signs.
    pub fn unlock(&self, passphrase: &str) -> Result<()> {
        self.detached(passphrase, &b""[..]).map(|_| ())
    }

    fn signing_subkey(&self) -> Option<&pgp::composed::SignedSecretSubKey> {
        self.key
            .secret_subkeys
            .iter()
            .find(|s| s.signatures.iter().any(|sig| sig.key_flags().sign()))
    }

    /// Fails with [`Error::WrongPassphrase`] unless `pw` opens the key
    /// that signs.
    fn check(&self, pw: &Password) -> Result<()> {
        let opened = match self.signing_subkey() {
            Some(sub) => sub.key.unlock(pw, |_, _| Ok(())),
            None => self.key.primary_key.unlock(pw, |_, _| Ok(())),
        };
        match opened {
            Ok(Ok(())) => Ok(()),
            _ => Err(Error::WrongPassphrase {
                key_id: self.fingerprint(),
            }),
        }
    }

    fn detached<R: Read>(&self, passphrase: &str, data: R) -> Result<DetachedSignature> {
        let pw = Password::from(passphrase);
        self.check(&pw)?;
        let data = BufReader::with_capacity(1 << 20, data);
        let res = match self.signing_subkey() {
            Some(sub) => DetachedSignature::sign_binary_data(
                rand_core::OsRng,
                &sub.key,
                &pw,
                HashAlgorithm::Sha256,
                data,
            ),
            None => DetachedSignature::sign_binary_data(
                rand_core::OsRng,
                &self.key.primary_key,
                &pw,
                HashAlgorithm::Sha256,
                data,
            ),
        };
        res.map_err(|e| self.sign_error(e))
    }

    fn sign_error(&self, e: pgp::errors::Error) -> Error {
        Error::Other(format!("signing with key {}: {e}", self.fingerprint()))
    }

    /// A detached signature (binary document, SHA-256) over everything
    /// `data` yields, read in a stream; armored (`.asc`).
    pub fn sign_detached<R: Read>(&self, passphrase: &str, data: R) -> Result<String> {
        self.detached(passphrase, data)?
            .to_armored_string(ArmorOptions::default())
            .map_err(other)
    }

    /// The same signature as raw OpenPGP packet bytes (for package headers).
    pub fn sign_detached_binary<R: Read>(&self, passphrase: &str, data: R) -> Result<Vec<u8>> {
        use pgp::ser::Serialize;
        self.detached(passphrase, data)?.to_bytes().map_err(other)
    }

    /// `text` clearsigned (`-----BEGIN PGP SIGNED MESSAGE-----`), as
    /// `gpg --clearsign` writes it and apt reads `InRelease`.
    ///
    /// Trailing spaces and tabs are dropped from every line first: the
    /// format (RFC 9580 section 7.2) ignores them when hashing, and GnuPG
    /// would otherwise hash a different text than the one signed here.
    pub fn clearsign(&self, passphrase: &str, text: &str) -> Result<String> {
        let text: String = text
            .split_inclusive('\n')
            .map(|l| {
                let (body, nl) = match l.strip_suffix('\n') {
                    Some(b) => (b.strip_suffix('\r').unwrap_or(b), "\n"),
                    None => (l, ""),
                };
                format!("{}{nl}", body.trim_end_matches([' ', '\t']))
            })
            .collect();
        let text = text.as_str();
        let pw = Password::from(passphrase);
        self.check(&pw)?;
        let msg = match self.signing_subkey() {
            Some(sub) => CleartextSignedMessage::sign(rand_core::OsRng, text, &sub.key, &pw),
            None => {
                CleartextSignedMessage::sign(rand_core::OsRng, text, &self.key.primary_key, &pw)
            }
        }
        .map_err(|e| self.sign_error(e))?;
        msg.to_armored_string(ArmorOptions::default())
            .map_err(other)
    }
}

/// Who made a signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The fingerprint of the certificate's primary key.
    pub fingerprint: String,
    /// The fingerprint of the (sub)key that signed.
    pub signing_fingerprint: String,
    /// Its 16-hex-digit key ID.
    pub key_id: String,
    /// The certificate's user IDs.
    pub user_ids: Vec<String>,
    /// When the signature says it was made (Unix seconds).
    pub created: Option<u64>,
    /// When the signing key (or the certificate it belongs to) expires,
    /// by its newest self-signatures (Unix seconds).
    pub key_expires: Option<u64>,
    /// When the signature itself expires (Unix seconds).
    pub signature_expires: Option<u64>,
}

impl Signer {
    /// Whether the key and the signature are still valid at `now` (Unix
    /// seconds): an expired key or signature is an error, as for apt and
    /// rpm. (That the key was valid when it signed is checked by the
    /// verification itself.)
    pub fn alive_at(&self, now: u64) -> Result<&Self> {
        if let Some(x) = self.key_expires.filter(|x| *x <= now) {
            return Err(Error::Expired {
                key_id: self.key_id.clone(),
                detail: format!("expired on {}", utc(x)),
            });
        }
        if let Some(x) = self.signature_expires.filter(|x| *x <= now) {
            return Err(Error::Expired {
                key_id: self.key_id.clone(),
                detail: format!("made a signature that expired on {}", utc(x)),
            });
        }
        Ok(self)
    }
}

fn utc(secs: u64) -> String {
    signet_types::trust_root::unix_to_rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// The newest of `sigs` (by creation time) that `issued` says the key
/// itself made.
fn newest<'a>(
    sigs: impl IntoIterator<Item = &'a Signature>,
    issued: impl Fn(&Signature) -> bool,
) -> Option<&'a Signature> {
    sigs.into_iter()
        .filter(|s| issued(s))
        .max_by_key(|s| s.created().map(|t| t.as_secs()).unwrap_or(0))
}

/// When `created` + the key expiration time `sig` states runs out (a
/// zero duration means never).
fn expiry(created: u32, sig: Option<&Signature>) -> Option<u64> {
    sig.and_then(|s| s.key_expiration_time())
        .map(|d| d.as_secs())
        .filter(|d| *d > 0)
        .map(|d| u64::from(created) + u64::from(d))
}

/// When the certificate's primary key expires: by its newest
/// self-signature (direct-key or user ID binding).
fn primary_expiry(cert: &SignedPublicKey) -> Option<u64> {
    let (fp, id) = (cert.fingerprint(), cert.legacy_key_id());
    let own = |s: &Signature| {
        s.issuer_fingerprint().iter().any(|f| **f == fp)
            || s.issuer_key_id().iter().any(|k| **k == id)
    };
    let sigs = cert
        .details
        .direct_signatures
        .iter()
        .chain(cert.details.users.iter().flat_map(|u| u.signatures.iter()));
    expiry(cert.created_at().as_secs(), newest(sigs, own))
}

/// A set of certificates to verify against.
#[derive(Default)]
pub struct Keyring {
    certs: Vec<SignedPublicKey>,
}

impl Keyring {
    /// Reads certificates: armored (one or several blocks) or binary (as
    /// `gpg --export` writes), public or secret keys (only the public
    /// parts are kept). Certificates whose self-signatures do not verify
    /// are refused.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_KEYRING {
            return Err(Error::Malformed {
                what: "the keyring",
                detail: format!("larger than {MAX_KEYRING} bytes"),
            });
        }
        let mut ring = Keyring::default();
        if is_armored(bytes) {
            for block in armor_blocks(bytes) {
                if find(block, b"PRIVATE KEY BLOCK").is_some() {
                    let (keys, _) = SignedSecretKey::from_armor_many(block)
                        .map_err(malformed("the keyring"))?;
                    for k in keys {
                        ring.add(k.map_err(malformed("the keyring"))?.to_public_key())?;
                    }
                } else {
                    let (keys, _) = SignedPublicKey::from_armor_many(block)
                        .map_err(malformed("the keyring"))?;
                    for k in keys {
                        ring.add(k.map_err(malformed("the keyring"))?)?;
                    }
                }
            }
        } else {
            let keys = SignedPublicKey::from_bytes_many(bytes).map_err(malformed("the keyring"))?;
            for k in keys {
                match k {
                    Ok(k) => ring.add(k)?,
                    // A binary secret keyring: read it as secret keys.
                    Err(_) if ring.certs.is_empty() => {
                        let keys = SignedSecretKey::from_bytes_many(bytes)
                            .map_err(malformed("the keyring"))?;
                        for k in keys {
                            ring.add(k.map_err(malformed("the keyring"))?.to_public_key())?;
                        }
                        break;
                    }
                    Err(e) => return Err(malformed("the keyring")(e)),
                }
            }
        }
        if ring.certs.is_empty() {
            return Err(Error::Malformed {
                what: "the keyring",
                detail: "it holds no OpenPGP public key".into(),
            });
        }
        Ok(ring)
    }

    fn add(&mut self, cert: SignedPublicKey) -> Result<()> {
        cert.verify_bindings().map_err(|e| Error::Unusable {
            key_id: hex_upper(cert.fingerprint().as_bytes()),
            detail: format!("its self-signatures do not verify: {e}"),
        })?;
        self.certs.push(cert);
        Ok(())
    }

    /// One keyring holding the certificates of all `rings` (to read a
    /// signed stream once against several registered keys).
    pub fn merge<'a>(rings: impl IntoIterator<Item = &'a Keyring>) -> Keyring {
        Keyring {
            certs: rings
                .into_iter()
                .flat_map(|r| r.certs.iter().cloned())
                .collect(),
        }
    }

    /// Whether a certificate with primary fingerprint `fp` is here.
    pub fn contains(&self, fp: &str) -> bool {
        self.certs
            .iter()
            .any(|c| hex_upper(c.fingerprint().as_bytes()).eq_ignore_ascii_case(fp))
    }

    /// The primary fingerprints of the certificates, in order.
    pub fn fingerprints(&self) -> Vec<String> {
        self.certs
            .iter()
            .map(|c| hex_upper(c.fingerprint().as_bytes()))
            .collect()
    }

    /// The user IDs of the first certificate.
    pub fn user_ids(&self) -> Vec<String> {
        self.certs.first().map(user_ids).unwrap_or_default()
    }

    /// Verifies a detached signature (armored or binary) over the bytes
    /// `data` yields (read once, in a stream).
    pub fn verify_detached<R: Read>(&self, signature: &[u8], data: R) -> Result<Signer> {
        if signature.len() > MAX_SIGNATURE {
            return Err(Error::Malformed {
                what: "the signature",
                detail: format!("larger than {MAX_SIGNATURE} bytes"),
            });
        }
        let (sigs, _) =
            DetachedSignature::from_reader_many(signature).map_err(malformed("the signature"))?;
        let sigs: Vec<DetachedSignature> = sigs
            .collect::<std::result::Result<_, _>>()
            .map_err(malformed("the signature"))?;
        if sigs.is_empty() {
            return Err(Error::Malformed {
                what: "the signature",
                detail: "it holds no signature packet".into(),
            });
        }
        // The data can be read once: verify the first signature whose key
        // is here.
        let mut unknown = Vec::new();
        for s in &sigs {
            match self.issuer(&s.signature) {
                Some((cert, key)) => {
                    let data = BufReader::with_capacity(1 << 20, data);
                    return verify_with(cert, key, &s.signature, data);
                }
                None => unknown.push(issuer_name(&s.signature)),
            }
        }
        Err(Error::UnknownKey {
            key_id: unknown.join(", "),
        })
    }

    /// Verifies a cleartext-signed message; the signed text and the signer.
    pub fn verify_cleartext(&self, message: &str) -> Result<(String, Signer)> {
        if message.len() > MAX_KEYRING * 4 {
            return Err(Error::Malformed {
                what: "the signed message",
                detail: "too large".into(),
            });
        }
        let (msg, _) = CleartextSignedMessage::from_string(message)
            .map_err(malformed("the signed message"))?;
        let mut unknown = Vec::new();
        for s in msg.signatures() {
            match self.issuer(s) {
                Some((cert, key)) => {
                    let signed = msg.signed_text();
                    let who = verify_with(cert, key, s, signed.as_bytes())?;
                    return Ok((msg.text().to_owned(), who));
                }
                None => unknown.push(issuer_name(s)),
            }
        }
        if unknown.is_empty() {
            return Err(Error::Malformed {
                what: "the signed message",
                detail: "it holds no signature".into(),
            });
        }
        Err(Error::UnknownKey {
            key_id: unknown.join(", "),
        })
    }

    /// The certificate and (sub)key that issued `sig`, if here.
    fn issuer(&self, sig: &Signature) -> Option<(&SignedPublicKey, Issuer<'_>)> {
        let fps: Vec<Vec<u8>> = sig
            .issuer_fingerprint()
            .iter()
            .map(|f| f.as_bytes().to_vec())
            .collect();
        let ids: Vec<Vec<u8>> = sig
            .issuer_key_id()
            .iter()
            .map(|k| k.as_ref().to_vec())
            .collect();
        let hit = |fp: &[u8], id: &[u8]| fps.iter().any(|f| f == fp) || ids.iter().any(|i| i == id);
        for c in &self.certs {
            if hit(c.fingerprint().as_bytes(), c.legacy_key_id().as_ref()) {
                return Some((c, Issuer::Primary(c)));
            }
            for s in &c.public_subkeys {
                if hit(
                    s.key.fingerprint().as_bytes(),
                    s.key.legacy_key_id().as_ref(),
                ) {
                    return Some((c, Issuer::Sub(s)));
                }
            }
        }
        None
    }
}

enum Issuer<'a> {
    Primary(&'a SignedPublicKey),
    Sub(&'a pgp::composed::SignedPublicSubKey),
}

fn issuer_name(sig: &Signature) -> String {
    if let Some(f) = sig.issuer_fingerprint().first() {
        return hex_upper(f.as_bytes());
    }
    sig.issuer_key_id()
        .first()
        .map(|k| hex_upper(k.as_ref()))
        .unwrap_or_else(|| "(no issuer named)".into())
}

fn user_ids(c: &SignedPublicKey) -> Vec<String> {
    c.details
        .users
        .iter()
        .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
        .collect()
}

fn verify_with<R: Read>(
    cert: &SignedPublicKey,
    key: Issuer<'_>,
    sig: &Signature,
    data: R,
) -> Result<Signer> {
    let (fp, id) = match &key {
        Issuer::Primary(k) => (k.fingerprint(), k.legacy_key_id()),
        Issuer::Sub(s) => (s.key.fingerprint(), s.key.legacy_key_id()),
    };
    let key_id = hex_upper(id.as_ref());
    if !cert.details.revocation_signatures.is_empty() {
        return Err(Error::Unusable {
            key_id,
            detail: "the key is revoked".into(),
        });
    }
    if let Issuer::Sub(s) = &key
        && !s.signatures.iter().any(|b| b.key_flags().sign())
    {
        return Err(Error::Unusable {
            key_id,
            detail: "the subkey is not bound for signing".into(),
        });
    }
    let res = match &key {
        Issuer::Primary(k) => sig.verify(*k, data),
        Issuer::Sub(s) => sig.verify(&s.key, data),
    };
    res.map_err(|_| Error::BadSignature {
        key_id: key_id.clone(),
    })?;
    // The key must have been valid when it signed: made before the
    // signature and not yet expired (the certificate's primary key, and a
    // subkey by its own binding too).
    let key_created = match &key {
        Issuer::Primary(k) => k.created_at(),
        Issuer::Sub(s) => s.key.created_at(),
    }
    .as_secs();
    let mut key_expires = primary_expiry(cert);
    if let Issuer::Sub(s) = &key
        && let Some(x) = expiry(key_created, newest(&s.signatures, |_| true))
    {
        key_expires = Some(key_expires.map_or(x, |p| p.min(x)));
    }
    let created = sig.created().map(|t| t.as_secs());
    if let Some(c) = created {
        if c < key_created {
            return Err(Error::Unusable {
                key_id,
                detail: format!(
                    "the signature is dated {}, before the key was made ({})",
                    utc(c.into()),
                    utc(key_created.into())
                ),
            });
        }
        if let Some(x) = key_expires.filter(|x| *x <= u64::from(c)) {
            return Err(Error::Expired {
                key_id,
                detail: format!(
                    "had expired (on {}) when it made this signature (dated {})",
                    utc(x),
                    utc(c.into())
                ),
            });
        }
    }
    let signature_expires = created.and_then(|c| {
        sig.signature_expiration_time()
            .map(|d| d.as_secs())
            .filter(|d| *d > 0)
            .map(|d| u64::from(c) + u64::from(d))
    });
    Ok(Signer {
        fingerprint: hex_upper(cert.fingerprint().as_bytes()),
        signing_fingerprint: hex_upper(fp.as_bytes()),
        key_id,
        user_ids: user_ids(cert),
        created: created.map(u64::from),
        key_expires,
        signature_expires,
    })
}

/// The primary fingerprint of the first certificate in `bytes` (armored or
/// binary): what the keys API shows for a `gpg` key.
pub fn fingerprint(bytes: &[u8]) -> Result<String> {
    let ring = Keyring::parse(bytes)?;
    Ok(ring.fingerprints().remove(0))
}
