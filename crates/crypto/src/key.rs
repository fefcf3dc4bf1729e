//! Private and public keys: parsing every format users bring, signing and
//! verifying with `aws-lc-rs`.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self as lc, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair,
};
use pkcs8::der::asn1::AnyRef;
use pkcs8::der::{Decode, Encode};
use pkcs8::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use pkcs8::{ObjectIdentifier, PrivateKeyInfo};
use zeroize::Zeroizing;

use crate::armor;
use crate::digest::{Digest, DigestAlgorithm};
use crate::envelope::{self, ScryptCost};
use crate::signature::is_der_ecdsa;
use crate::{Error, Result};

const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Key algorithms, each with the signature scheme cosign pairs it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA P-256 with SHA-256 (the default).
    EcdsaP256,
    /// ECDSA P-384 with SHA-384.
    EcdsaP384,
    /// ECDSA P-521 with SHA-512.
    EcdsaP521,
    /// Ed25519 over the whole message.
    Ed25519,
    /// RSA PKCS#1 v1.5 with SHA-256.
    Rsa,
}

impl KeyAlgorithm {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "ecdsa-p256",
            Self::EcdsaP384 => "ecdsa-p384",
            Self::EcdsaP521 => "ecdsa-p521",
            Self::Ed25519 => "ed25519",
            Self::Rsa => "rsa",
        }
    }

    /// The digest signed, or `None` when the scheme signs the whole message.
    pub fn digest(self) -> Option<DigestAlgorithm> {
        match self {
            Self::EcdsaP256 | Self::Rsa => Some(DigestAlgorithm::Sha256),
            Self::EcdsaP384 => Some(DigestAlgorithm::Sha384),
            Self::EcdsaP521 => Some(DigestAlgorithm::Sha512),
            Self::Ed25519 => None,
        }
    }

    /// The protobuf `PublicKeyDetails` name used in trusted roots.
    pub fn key_details(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "PKIX_ECDSA_P256_SHA_256",
            Self::EcdsaP384 => "PKIX_ECDSA_P384_SHA_384",
            Self::EcdsaP521 => "PKIX_ECDSA_P521_SHA_512",
            Self::Ed25519 => "PKIX_ED25519",
            Self::Rsa => "PKIX_RSA_PKCS1V15_2048_SHA256",
        }
    }

    fn ecdsa_signing(self) -> Option<&'static lc::EcdsaSigningAlgorithm> {
        match self {
            Self::EcdsaP256 => Some(&lc::ECDSA_P256_SHA256_ASN1_SIGNING),
            Self::EcdsaP384 => Some(&lc::ECDSA_P384_SHA384_ASN1_SIGNING),
            Self::EcdsaP521 => Some(&lc::ECDSA_P521_SHA512_ASN1_SIGNING),
            _ => None,
        }
    }

    fn verification(self) -> &'static dyn lc::VerificationAlgorithm {
        match self {
            Self::EcdsaP256 => &lc::ECDSA_P256_SHA256_ASN1,
            Self::EcdsaP384 => &lc::ECDSA_P384_SHA384_ASN1,
            Self::EcdsaP521 => &lc::ECDSA_P521_SHA512_ASN1,
            Self::Ed25519 => &lc::ED25519,
            Self::Rsa => &lc::RSA_PKCS1_2048_8192_SHA256,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ecdsa-p256" | "ecdsa-sha2-256-nistp256" => Ok(Self::EcdsaP256),
            "ecdsa-p384" | "ecdsa-sha2-384-nistp384" => Ok(Self::EcdsaP384),
            "ecdsa-p521" | "ecdsa-sha2-512-nistp521" => Ok(Self::EcdsaP521),
            "ed25519" => Ok(Self::Ed25519),
            other => Err(Error::Unsupported(format!(
                "unknown key type {other:?}: use ecdsa-p256, ecdsa-p384 or ed25519"
            ))),
        }
    }
}

/// A signature scheme named by the signer (an X.509 `signatureAlgorithm`,
/// a CMS `signatureAlgorithm`), where the hash is not implied by the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureScheme {
    /// ECDSA (DER signature) over a SHA-256 hash.
    EcdsaSha256,
    /// ECDSA over SHA-384.
    EcdsaSha384,
    /// ECDSA over SHA-512.
    EcdsaSha512,
    /// RSA PKCS#1 v1.5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSA PKCS#1 v1.5 with SHA-384.
    RsaPkcs1Sha384,
    /// RSA PKCS#1 v1.5 with SHA-512.
    RsaPkcs1Sha512,
    /// Ed25519 (pure).
    Ed25519,
    /// RSA PKCS#1 v1.5 with SHA-1: verification of legacy formats only
    /// (Alpine's `.SIGN.RSA.` package signatures); never made here.
    RsaPkcs1Sha1Legacy,
}

impl SignatureScheme {
    fn verification(self, key: KeyAlgorithm) -> Option<&'static dyn lc::VerificationAlgorithm> {
        use KeyAlgorithm as K;
        use SignatureScheme as S;
        Some(match (self, key) {
            (S::EcdsaSha256, K::EcdsaP256) => &lc::ECDSA_P256_SHA256_ASN1,
            (S::EcdsaSha384, K::EcdsaP256) => &lc::ECDSA_P256_SHA384_ASN1,
            (S::EcdsaSha512, K::EcdsaP256) => &lc::ECDSA_P256_SHA512_ASN1,
            (S::EcdsaSha256, K::EcdsaP384) => &lc::ECDSA_P384_SHA256_ASN1,
            (S::EcdsaSha384, K::EcdsaP384) => &lc::ECDSA_P384_SHA384_ASN1,
            (S::EcdsaSha512, K::EcdsaP384) => &lc::ECDSA_P384_SHA512_ASN1,
            (S::EcdsaSha256, K::EcdsaP521) => &lc::ECDSA_P521_SHA256_ASN1,
            (S::EcdsaSha384, K::EcdsaP521) => &lc::ECDSA_P521_SHA384_ASN1,
            (S::EcdsaSha512, K::EcdsaP521) => &lc::ECDSA_P521_SHA512_ASN1,
            (S::RsaPkcs1Sha256, K::Rsa) => &lc::RSA_PKCS1_2048_8192_SHA256,
            (S::RsaPkcs1Sha384, K::Rsa) => &lc::RSA_PKCS1_2048_8192_SHA384,
            (S::RsaPkcs1Sha512, K::Rsa) => &lc::RSA_PKCS1_2048_8192_SHA512,
            (S::RsaPkcs1Sha1Legacy, K::Rsa) => &lc::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            (S::Ed25519, K::Ed25519) => &lc::ED25519,
            _ => return None,
        })
    }
}

/// What is signed: a digest computed while streaming, or the raw message
/// (Ed25519 needs the whole message).
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// A precomputed digest.
    Digest(Digest),
    /// The message bytes.
    Raw(&'a [u8]),
}

/// Whether a PEM file holds an encrypted private key (so a password is needed).
pub fn is_encrypted_pem(pem: &[u8]) -> bool {
    armor::decode_first(pem).is_ok_and(|b| {
        matches!(
            b.label.as_str(),
            envelope::LABEL_SIGSTORE | envelope::LABEL_COSIGN | "ENCRYPTED PRIVATE KEY"
        )
    })
}

enum Inner {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A private key. Its PKCS#8 DER is zeroized on drop and never printed.
pub struct PrivateKey {
    inner: Inner,
    pkcs8: Zeroizing<Vec<u8>>,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, [redacted])", self.public.algorithm)
    }
}

fn rejected(what: &str) -> impl Fn(aws_lc_rs::error::KeyRejected) -> Error + '_ {
    move |e| Error::Key(format!("{what}: {e}"))
}

impl PrivateKey {
    /// Generates a fresh key.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self> {
        let der = match algorithm {
            KeyAlgorithm::Ed25519 => Ed25519KeyPair::generate()
                .and_then(|k| k.to_pkcs8v1())
                .map_err(|_| Error::Provider("key generation failed"))?,
            KeyAlgorithm::Rsa => {
                let k = RsaKeyPair::generate(KeySize::Rsa3072)
                    .map_err(|_| Error::Provider("key generation failed"))?;
                let der = k
                    .as_der()
                    .map_err(|_| Error::Provider("key encoding failed"))?;
                return Self::from_pkcs8_der(der.as_ref());
            }
            ec => {
                let alg = ec.ecdsa_signing().ok_or(Error::Provider("not ecdsa"))?;
                EcdsaKeyPair::generate(alg)
                    .and_then(|k| k.to_pkcs8v1())
                    .map_err(|_| Error::Provider("key generation failed"))?
            }
        };
        Self::from_pkcs8_der(der.as_ref())
    }

    /// Loads a PKCS#8 (v1 or v2) DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = PrivateKeyInfo::from_der(der)
            .map_err(|e| Error::Key(format!("not a PKCS#8 private key: {e}")))?;
        let oid = info.algorithm.oid;
        if oid == OID_EC {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|_| Error::Key("EC key without a named curve".into()))?;
            let algorithm = curve_algorithm(curve)?;
            let alg = algorithm
                .ecdsa_signing()
                .ok_or(Error::Provider("not ecdsa"))?;
            let kp = EcdsaKeyPair::from_pkcs8(alg, der).map_err(rejected("EC private key"))?;
            Self::from_ecdsa(algorithm, kp)
        } else if oid == OID_ED25519 {
            let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(rejected("Ed25519 private key"))?;
            let v1 = kp
                .to_pkcs8v1()
                .map_err(|_| Error::Provider("key encoding failed"))?;
            let public = PublicKey::from_spki_der(
                kp.public_key()
                    .as_der()
                    .map_err(|_| Error::Provider("key encoding failed"))?
                    .as_ref(),
            )?;
            Ok(Self {
                inner: Inner::Ed25519(kp),
                pkcs8: Zeroizing::new(v1.as_ref().to_vec()),
                public,
            })
        } else if oid == OID_RSA {
            let kp = RsaKeyPair::from_pkcs8(der).map_err(rejected("RSA private key"))?;
            let public = PublicKey::from_spki_der(
                AsDer::<PublicKeyX509Der>::as_der(kp.public_key())
                    .map_err(|_| Error::Provider("key encoding failed"))?
                    .as_ref(),
            )?;
            Ok(Self {
                inner: Inner::Rsa(kp),
                pkcs8: Zeroizing::new(der.to_vec()),
                public,
            })
        } else {
            Err(Error::Key(format!("unsupported key algorithm {oid}")))
        }
    }

    fn from_ecdsa(algorithm: KeyAlgorithm, kp: EcdsaKeyPair) -> Result<Self> {
        let v1 = kp
            .to_pkcs8v1()
            .map_err(|_| Error::Provider("key encoding failed"))?;
        let spki = kp
            .public_key()
            .as_der()
            .map_err(|_| Error::Provider("key encoding failed"))?;
        let public = PublicKey::from_spki_der(spki.as_ref())?;
        debug_assert_eq!(public.algorithm, algorithm);
        Ok(Self {
            inner: Inner::Ecdsa(kp),
            pkcs8: Zeroizing::new(v1.as_ref().to_vec()),
            public,
        })
    }

    /// An Ed25519 key from its 32-byte seed (signed-note private keys).
    pub fn from_ed25519_seed(seed: &[u8; 32]) -> Result<Self> {
        // PKCS#8 v1: SEQUENCE { 0, { id-Ed25519 }, OCTET STRING { OCTET STRING seed } }
        let mut der = Zeroizing::new(Vec::with_capacity(48));
        der.extend_from_slice(&[
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ]);
        der.extend_from_slice(seed);
        Self::from_pkcs8_der(&der)
    }

    /// The 32-byte seed of an Ed25519 key (for signed-note key files).
    pub fn ed25519_seed(&self) -> Option<Zeroizing<[u8; 32]>> {
        if self.algorithm() != KeyAlgorithm::Ed25519 {
            return None;
        }
        let info = PrivateKeyInfo::from_der(&self.pkcs8).ok()?;
        // privateKey is an OCTET STRING wrapping the 32-byte seed.
        let inner = info.private_key;
        let seed = inner.strip_prefix(&[0x04, 0x20])?;
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(seed.get(..32)?);
        Some(out)
    }

    /// Loads a private key from PEM: cosign's encrypted envelope (either
    /// label), PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`), PKCS#1
    /// (`RSA PRIVATE KEY`) or PKCS#8-encrypted (`ENCRYPTED PRIVATE KEY`).
    /// `password` is needed only for the encrypted forms.
    pub fn from_pem(pem: &[u8], password: Option<&[u8]>) -> Result<Self> {
        let block = armor::decode_first(pem)?;
        match block.label.as_str() {
            envelope::LABEL_SIGSTORE | envelope::LABEL_COSIGN => {
                let password = password.ok_or(Error::PasswordRequired)?;
                let der = envelope::open(&block.contents, password)?;
                Self::from_pkcs8_der(&der)
            }
            "PRIVATE KEY" => Self::from_pkcs8_der(&block.contents),
            "EC PRIVATE KEY" => Self::from_sec1_der(&block.contents),
            "RSA PRIVATE KEY" => {
                RsaKeyPair::from_der(&block.contents).map_err(rejected("RSA private key"))?;
                let info = PrivateKeyInfo::new(
                    AlgorithmIdentifierRef {
                        oid: OID_RSA,
                        parameters: Some(AnyRef::NULL),
                    },
                    &block.contents,
                );
                let der = Zeroizing::new(
                    info.to_der()
                        .map_err(|e| Error::Key(format!("RSA key: {e}")))?,
                );
                Self::from_pkcs8_der(&der)
            }
            "ENCRYPTED PRIVATE KEY" => {
                let password = password.ok_or(Error::PasswordRequired)?;
                let info = pkcs8::EncryptedPrivateKeyInfo::from_der(&block.contents)
                    .map_err(|e| Error::Key(format!("malformed encrypted PKCS#8 key: {e}")))?;
                let doc = info.decrypt(password).map_err(|e| match e {
                    // pkcs5 reports a bad padding (a wrong password) as
                    // DecryptFailed or EncryptFailed depending on the path.
                    pkcs8::Error::EncryptedPrivateKey(
                        pkcs8::pkcs5::Error::DecryptFailed | pkcs8::pkcs5::Error::EncryptFailed,
                    ) => Error::WrongPassword,
                    other => Error::Key(format!("cannot decrypt PKCS#8 key: {other}")),
                })?;
                // A wrong password that happens to pass the padding check
                // yields garbage, which fails to parse: report it plainly.
                Self::from_pkcs8_der(doc.as_bytes()).map_err(|_| Error::WrongPassword)
            }
            "PUBLIC KEY" => Err(Error::UnsupportedLabel {
                label: block.label.clone(),
                expected: "a private key (this file holds a public key)",
            }),
            _ => Err(Error::UnsupportedLabel {
                label: block.label.clone(),
                expected: "ENCRYPTED SIGSTORE PRIVATE KEY, PRIVATE KEY, EC PRIVATE KEY, RSA PRIVATE KEY or ENCRYPTED PRIVATE KEY",
            }),
        }
    }

    fn from_sec1_der(der: &[u8]) -> Result<Self> {
        for algorithm in [
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::EcdsaP521,
        ] {
            let alg = algorithm
                .ecdsa_signing()
                .ok_or(Error::Provider("not ecdsa"))?;
            if let Ok(kp) = EcdsaKeyPair::from_private_key_der(alg, der) {
                return Self::from_ecdsa(algorithm, kp);
            }
        }
        Err(Error::Key(
            "not a SEC1 EC private key on P-256, P-384 or P-521".into(),
        ))
    }

    /// The key algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.public.algorithm
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The PKCS#8 DER (zeroized on drop).
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// Writes the key in cosign's encrypted PEM format
    /// (`ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt N=2^16 r=8 p=1).
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String> {
        let mut salt = [0u8; 32];
        let mut nonce = [0u8; 24];
        crate::random_bytes(&mut salt)?;
        crate::random_bytes(&mut nonce)?;
        let doc = envelope::seal(&self.pkcs8, password, ScryptCost::Standard, salt, nonce)?;
        Ok(armor::encode(envelope::LABEL_SIGSTORE, &doc))
    }

    /// Signs a message or digest; ECDSA signatures are DER.
    pub fn sign(&self, message: &Message<'_>) -> Result<Vec<u8>> {
        let rng = SystemRandom::new();
        match (&self.inner, message) {
            (Inner::Ecdsa(kp), Message::Digest(d)) => {
                self.check_digest(d)?;
                kp.sign_digest(d.lc())
                    .map(|s| s.as_ref().to_vec())
                    .map_err(|_| Error::Provider("ECDSA signing failed"))
            }
            (Inner::Ecdsa(kp), Message::Raw(m)) => kp
                .sign(&rng, m)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| Error::Provider("ECDSA signing failed")),
            (Inner::Ed25519(kp), Message::Raw(m)) => Ok(kp.sign(m).as_ref().to_vec()),
            (Inner::Ed25519(_), Message::Digest(_)) => Err(Error::Unsupported(
                "Ed25519 signs the whole message, not a digest".into(),
            )),
            (Inner::Rsa(kp), msg) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                let res = match msg {
                    Message::Digest(d) => {
                        self.check_digest(d)?;
                        kp.sign_digest(&lc::RSA_PKCS1_SHA256, d.lc(), &mut sig)
                    }
                    Message::Raw(m) => kp.sign(&lc::RSA_PKCS1_SHA256, &rng, m, &mut sig),
                };
                res.map_err(|_| Error::Provider("RSA signing failed"))?;
                Ok(sig)
            }
        }
    }

    fn check_digest(&self, d: &Digest) -> Result<()> {
        if Some(d.algorithm()) != self.algorithm().digest() {
            return Err(Error::Unsupported(format!(
                "a {} key signs {} digests, not {}",
                self.algorithm(),
                self.algorithm().digest().map_or("no", |a| a.name()),
                d.algorithm().name()
            )));
        }
        Ok(())
    }
}

/// A public key (SubjectPublicKeyInfo), parsed once for fast verification.
#[derive(Clone)]
pub struct PublicKey {
    algorithm: KeyAlgorithm,
    spki: Vec<u8>,
    parsed: std::sync::Arc<ParsedPublicKey>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.algorithm, self.key_hint())
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}

impl Eq for PublicKey {}

fn curve_algorithm(curve: ObjectIdentifier) -> Result<KeyAlgorithm> {
    if curve == OID_P256 {
        Ok(KeyAlgorithm::EcdsaP256)
    } else if curve == OID_P384 {
        Ok(KeyAlgorithm::EcdsaP384)
    } else if curve == OID_P521 {
        Ok(KeyAlgorithm::EcdsaP521)
    } else {
        Err(Error::Key(format!(
            "unsupported elliptic curve {curve}: use P-256, P-384 or P-521"
        )))
    }
}

impl PublicKey {
    /// Parses DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let info = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| Error::Key(format!("not a SubjectPublicKeyInfo: {e}")))?;
        let oid = info.algorithm.oid;
        let algorithm = if oid == OID_EC {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|_| Error::Key("EC key without a named curve".into()))?;
            curve_algorithm(curve)?
        } else if oid == OID_ED25519 {
            KeyAlgorithm::Ed25519
        } else if oid == OID_RSA {
            KeyAlgorithm::Rsa
        } else {
            return Err(Error::Key(format!(
                "unsupported public key algorithm {oid}"
            )));
        };
        let parsed =
            ParsedPublicKey::new(algorithm.verification(), der).map_err(rejected("public key"))?;
        Ok(Self {
            algorithm,
            spki: der.to_vec(),
            parsed: std::sync::Arc::new(parsed),
        })
    }

    /// Builds an EC public key from a DER `namedCurve` OID and an uncompressed
    /// point, as PKCS#11 tokens return them (`CKA_EC_PARAMS`, `CKA_EC_POINT`
    /// without its OCTET STRING wrapper).
    pub fn from_ec_point(named_curve_der: &[u8], point: &[u8]) -> Result<Self> {
        let parameters = AnyRef::from_der(named_curve_der)
            .map_err(|e| Error::Key(format!("EC parameters are not a named curve: {e}")))?;
        let info = SubjectPublicKeyInfoRef {
            algorithm: AlgorithmIdentifierRef {
                oid: OID_EC,
                parameters: Some(parameters),
            },
            subject_public_key: pkcs8::der::asn1::BitStringRef::from_bytes(point)
                .map_err(|e| Error::Key(format!("EC point: {e}")))?,
        };
        let der = info
            .to_der()
            .map_err(|e| Error::Key(format!("EC public key: {e}")))?;
        Self::from_spki_der(&der)
    }

    /// An Ed25519 public key from its 32 raw bytes.
    pub fn from_ed25519_raw(raw: &[u8; 32]) -> Result<Self> {
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(raw);
        Self::from_spki_der(&der)
    }

    /// The raw 32 bytes of an Ed25519 public key.
    pub fn ed25519_raw(&self) -> Option<[u8; 32]> {
        if self.algorithm != KeyAlgorithm::Ed25519 {
            return None;
        }
        self.spki
            .get(self.spki.len().checked_sub(32)?..)?
            .try_into()
            .ok()
    }

    /// Parses a `PUBLIC KEY` PEM.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let block = armor::decode_first(pem)?;
        if block.label != "PUBLIC KEY" {
            return Err(Error::UnsupportedLabel {
                label: block.label.clone(),
                expected: "PUBLIC KEY",
            });
        }
        Self::from_spki_der(&block.contents)
    }

    /// The key algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// PEM as Go's `pem.Encode` writes it.
    pub fn to_pem(&self) -> String {
        armor::encode("PUBLIC KEY", &self.spki)
    }

    /// base64(SHA-256(DER SPKI)): the key hint cosign puts in bundles.
    pub fn key_hint(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .encode(Digest::of(DigestAlgorithm::Sha256, &self.spki).as_bytes())
    }

    /// Lowercase hex SHA-256 of the DER SPKI.
    pub fn fingerprint(&self) -> String {
        Digest::of(DigestAlgorithm::Sha256, &self.spki).to_hex()
    }

    /// Verifies `signature` over a message or digest.
    pub fn verify(&self, message: &Message<'_>, signature: &[u8]) -> Result<()> {
        if matches!(
            self.algorithm,
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 | KeyAlgorithm::EcdsaP521
        ) && !is_der_ecdsa(signature)
        {
            return Err(Error::SignatureFormat(format!(
                "not a DER-encoded ECDSA signature ({} bytes; truncated or another format?)",
                signature.len()
            )));
        }
        let res = match message {
            Message::Digest(d) => {
                if Some(d.algorithm()) != self.algorithm.digest() {
                    return Err(Error::Unsupported(format!(
                        "a {} key verifies {} digests, not {}",
                        self.algorithm,
                        self.algorithm.digest().map_or("no", |a| a.name()),
                        d.algorithm().name()
                    )));
                }
                self.parsed.verify_digest_sig(d.lc(), signature)
            }
            Message::Raw(m) => self.parsed.verify_sig(m, signature),
        };
        res.map_err(|_| Error::InvalidSignature)
    }

    /// Verifies `signature` over `message` with an explicitly named scheme
    /// (certificates and CMS name the hash; it need not match the curve).
    pub fn verify_scheme(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let alg = scheme.verification(self.algorithm).ok_or_else(|| {
            Error::Unsupported(format!("{scheme:?} signatures by a {} key", self.algorithm))
        })?;
        let parsed = ParsedPublicKey::new(alg, &self.spki).map_err(rejected("public key"))?;
        parsed
            .verify_sig(message, signature)
            .map_err(|_| Error::InvalidSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(alg: KeyAlgorithm) {
        let key = PrivateKey::generate(alg).unwrap();
        assert_eq!(key.algorithm(), alg);
        let msg = Message::Raw(b"payload");
        let sig = key.sign(&msg).unwrap();
        key.public_key().verify(&msg, &sig).unwrap();
        assert!(matches!(
            key.public_key().verify(&Message::Raw(b"payloaD"), &sig),
            Err(Error::InvalidSignature)
        ));
        if let Some(d) = alg.digest() {
            let dm = Message::Digest(Digest::of(d, b"payload"));
            key.public_key().verify(&dm, &sig).unwrap();
            let sig2 = key.sign(&dm).unwrap();
            key.public_key().verify(&msg, &sig2).unwrap();
        }
        let pem = key.to_encrypted_pem(b"pw").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let back = PrivateKey::from_pem(pem.as_bytes(), Some(b"pw")).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert!(matches!(
            PrivateKey::from_pem(pem.as_bytes(), Some(b"wrong")),
            Err(Error::WrongPassword)
        ));
        assert!(matches!(
            PrivateKey::from_pem(pem.as_bytes(), None),
            Err(Error::PasswordRequired)
        ));
        let pub_back = PublicKey::from_pem(key.public_key().to_pem().as_bytes()).unwrap();
        assert_eq!(&pub_back, key.public_key());
    }

    #[test]
    fn p256() {
        round_trip(KeyAlgorithm::EcdsaP256);
    }

    #[test]
    fn p384() {
        round_trip(KeyAlgorithm::EcdsaP384);
    }

    #[test]
    fn ed25519() {
        round_trip(KeyAlgorithm::Ed25519);
    }

    #[test]
    fn ec_point_rebuilds_the_same_key() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let spki = key.public_key().spki_der();
        // P-256 SPKI: 30 59 30 13 <ecPublicKey OID, 9 bytes> <curve OID, 10
        // bytes at 13..23> 03 42 00 <point at 26..>.
        let curve = &spki[13..23];
        assert_eq!(curve[0], 0x06, "OID tag");
        let rebuilt = PublicKey::from_ec_point(curve, &spki[26..]).unwrap();
        assert_eq!(&rebuilt, key.public_key());
        assert!(PublicKey::from_ec_point(b"\x05\x00", &spki[26..]).is_err());
        assert!(PublicKey::from_ec_point(curve, &spki[26..40]).is_err());
    }

    #[test]
    fn ed25519_seed_and_raw_round_trip() {
        let key = PrivateKey::from_ed25519_seed(&[7u8; 32]).unwrap();
        assert_eq!(*key.ed25519_seed().unwrap(), [7u8; 32]);
        let raw = key.public_key().ed25519_raw().unwrap();
        let public = PublicKey::from_ed25519_raw(&raw).unwrap();
        assert_eq!(&public, key.public_key());
        let sig = key.sign(&Message::Raw(b"note")).unwrap();
        public.verify(&Message::Raw(b"note"), &sig).unwrap();
    }

    #[test]
    fn other_key_signature_is_rejected() {
        let a = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let b = PrivateKey::generate(KeyAlgorithm::EcdsaP384).unwrap();
        let sig = a.sign(&Message::Raw(b"x")).unwrap();
        assert!(b.public_key().verify(&Message::Raw(b"x"), &sig).is_err());
        let c = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        assert!(matches!(
            c.public_key().verify(&Message::Raw(b"x"), &sig),
            Err(Error::InvalidSignature)
        ));
    }
}
