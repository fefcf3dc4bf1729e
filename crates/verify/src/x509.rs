//! X.509 certificates as Sigstore uses them: parsing (RustCrypto
//! `x509-cert`), signatures checked with aws-lc-rs through
//! [`signet_crypto::PublicKey::verify_scheme`], path validation at a given
//! time against a trusted chain, and the Fulcio identity extensions.

use signet_crypto::{PublicKey, SignatureScheme};
use x509_cert::Certificate;
use x509_cert::der::asn1::{Ia5StringRef, OctetString, Utf8StringRef};
use x509_cert::der::{Decode, Encode, oid::ObjectIdentifier};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};

/// `id-kp-codeSigning`.
pub const EKU_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// `id-kp-timeStamping`.
pub const EKU_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// The embedded SCT list extension (RFC 6962 §3.3).
pub const EXT_SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
const EXT_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXT_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const EXT_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// Fulcio's otherName SAN type (`username!issuer` identities).
const SAN_OTHER_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");
/// Fulcio extension arc `1.3.6.1.4.1.57264.1`.
const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1.";

/// A parsed certificate with its DER.
#[derive(Debug, Clone)]
pub struct Cert {
    der: Vec<u8>,
    cert: Certificate,
    key: Option<PublicKey>,
}

impl PartialEq for Cert {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

/// The identity a certificate names: its subject alternative name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    /// `rfc822Name`.
    Email(String),
    /// `uniformResourceIdentifier`.
    Uri(String),
    /// Fulcio's `otherName` (UTF8String).
    Other(String),
    /// `dNSName`.
    Dns(String),
}

impl San {
    /// The identity string.
    pub fn value(&self) -> &str {
        match self {
            Self::Email(s) | Self::Uri(s) | Self::Other(s) | Self::Dns(s) => s,
        }
    }
}

fn scheme_of(oid: &ObjectIdentifier) -> Option<SignatureScheme> {
    Some(match oid.to_string().as_str() {
        "1.2.840.10045.4.3.2" => SignatureScheme::EcdsaSha256,
        "1.2.840.10045.4.3.3" => SignatureScheme::EcdsaSha384,
        "1.2.840.10045.4.3.4" => SignatureScheme::EcdsaSha512,
        "1.2.840.113549.1.1.11" => SignatureScheme::RsaPkcs1Sha256,
        "1.2.840.113549.1.1.12" => SignatureScheme::RsaPkcs1Sha384,
        "1.2.840.113549.1.1.13" => SignatureScheme::RsaPkcs1Sha512,
        "1.3.101.112" => SignatureScheme::Ed25519,
        _ => return None,
    })
}

/// The signature scheme a CMS signer names: either a full signature OID or a
/// bare key OID whose hash comes from the digest algorithm.
pub(crate) fn cms_scheme(
    signature: &ObjectIdentifier,
    digest: &ObjectIdentifier,
) -> Option<SignatureScheme> {
    if let Some(s) = scheme_of(signature) {
        return Some(s);
    }
    let hash = match digest.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => 256,
        "2.16.840.1.101.3.4.2.2" => 384,
        "2.16.840.1.101.3.4.2.3" => 512,
        _ => return None,
    };
    Some(match (signature.to_string().as_str(), hash) {
        ("1.2.840.10045.2.1", 256) => SignatureScheme::EcdsaSha256,
        ("1.2.840.10045.2.1", 384) => SignatureScheme::EcdsaSha384,
        ("1.2.840.10045.2.1", 512) => SignatureScheme::EcdsaSha512,
        ("1.2.840.113549.1.1.1", 256) => SignatureScheme::RsaPkcs1Sha256,
        ("1.2.840.113549.1.1.1", 384) => SignatureScheme::RsaPkcs1Sha384,
        ("1.2.840.113549.1.1.1", 512) => SignatureScheme::RsaPkcs1Sha512,
        _ => return None,
    })
}

impl Cert {
    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let cert = Certificate::from_der(der).map_err(|e| format!("not a DER certificate: {e}"))?;
        let key = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .ok()
            .and_then(|spki| PublicKey::from_spki_der(&spki).ok());
        Ok(Self {
            der: der.to_vec(),
            cert,
            key,
        })
    }

    /// Parses the first certificate of a PEM text.
    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(pem).map_err(|_| "certificate PEM is not UTF-8")?;
        let body: String = text
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        if body.is_empty() {
            return Err("no CERTIFICATE block in the PEM".into());
        }
        let der = signet_types::b64::decode(body.trim())
            .map_err(|_| "the certificate PEM's base64 is malformed".to_string())?;
        Self::from_der(&der)
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The parsed certificate.
    pub fn inner(&self) -> &Certificate {
        &self.cert
    }

    /// The subject's public key, if signet can use it.
    pub fn public_key(&self) -> Result<&PublicKey, String> {
        self.key
            .as_ref()
            .ok_or_else(|| "the certificate's public key type is not supported".to_string())
    }

    /// Validity as unix seconds `(not_before, not_after)`, inclusive.
    pub fn validity(&self) -> (i64, i64) {
        let v = &self.cert.tbs_certificate.validity;
        let secs = |t: x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        (secs(v.not_before), secs(v.not_after))
    }

    /// Whether unix time `t` is inside the validity period.
    pub fn valid_at(&self, t: i64) -> bool {
        let (from, to) = self.validity();
        from <= t && t <= to
    }

    /// Whether `issuer` signed this certificate (names chain and the
    /// signature over the TBS verifies with the issuer's key).
    pub fn signed_by(&self, issuer: &Cert) -> bool {
        if self.cert.tbs_certificate.issuer != issuer.cert.tbs_certificate.subject {
            return false;
        }
        let Some(scheme) = scheme_of(&self.cert.signature_algorithm.oid) else {
            return false;
        };
        let Ok(key) = issuer.public_key() else {
            return false;
        };
        let Ok(tbs) = self.cert.tbs_certificate.to_der() else {
            return false;
        };
        let Some(sig) = self.cert.signature.as_bytes() else {
            return false;
        };
        key.verify_scheme(scheme, &tbs, sig).is_ok()
    }

    /// Whether the certificate is self-issued and self-signed (a root).
    pub fn is_self_signed(&self) -> bool {
        self.signed_by(self)
    }

    fn extension(&self, oid: &ObjectIdentifier) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| &e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes())
    }

    /// Whether basicConstraints says this is a CA.
    pub fn is_ca(&self) -> bool {
        self.extension(&EXT_BASIC_CONSTRAINTS)
            .and_then(|v| BasicConstraints::from_der(v).ok())
            .is_some_and(|b| b.ca)
    }

    /// Whether the extended key usage lists `purpose`.
    pub fn has_eku(&self, purpose: &ObjectIdentifier) -> bool {
        self.extension(&EXT_EKU)
            .and_then(|v| ExtendedKeyUsage::from_der(v).ok())
            .is_some_and(|e| e.0.contains(purpose))
    }

    /// Subject alternative names, in order.
    pub fn sans(&self) -> Vec<San> {
        let Some(san) = self
            .extension(&EXT_SAN)
            .and_then(|v| SubjectAltName::from_der(v).ok())
        else {
            return Vec::new();
        };
        san.0
            .iter()
            .filter_map(|n| match n {
                GeneralName::Rfc822Name(s) => Some(San::Email(s.to_string())),
                GeneralName::UniformResourceIdentifier(s) => Some(San::Uri(s.to_string())),
                GeneralName::DnsName(s) => Some(San::Dns(s.to_string())),
                GeneralName::OtherName(o) if o.type_id == SAN_OTHER_NAME => o
                    .value
                    .decode_as::<Utf8StringRef<'_>>()
                    .ok()
                    .map(|s| San::Other(s.to_string())),
                _ => None,
            })
            .collect()
    }

    /// The identity Sigstore verifiers match: the first URI SAN, else the
    /// first email, else Fulcio's otherName.
    pub fn identity(&self) -> Option<San> {
        let sans = self.sans();
        let pick = |f: fn(&San) -> bool| sans.iter().find(|s| f(s)).cloned();
        pick(|s| matches!(s, San::Uri(_)))
            .or_else(|| pick(|s| matches!(s, San::Email(_))))
            .or_else(|| pick(|s| matches!(s, San::Other(_))))
    }

    /// A Fulcio extension `1.3.6.1.4.1.57264.1.<n>` as text: DER UTF8String
    /// for n ≥ 8, raw bytes for the deprecated 1–6.
    pub fn fulcio_extension(&self, n: u32) -> Option<String> {
        let oid = ObjectIdentifier::new(&format!("{FULCIO_ARC}{n}")).ok()?;
        let raw = self.extension(&oid)?;
        if n >= 8 {
            Utf8StringRef::from_der(raw)
                .ok()
                .map(|s| s.to_string())
                .or_else(|| Ia5StringRef::from_der(raw).ok().map(|s| s.to_string()))
        } else {
            String::from_utf8(raw.to_vec()).ok()
        }
    }

    /// The OIDC issuer: extension .1.8 (DER), else the deprecated .1.1 (raw).
    pub fn oidc_issuer(&self) -> Option<String> {
        self.fulcio_extension(8)
            .or_else(|| self.fulcio_extension(1))
    }

    /// The TLS-encoded SCT list of the embedded SCT extension.
    pub fn sct_list(&self) -> Option<Vec<u8>> {
        let v = self.extension(&EXT_SCT_LIST)?;
        OctetString::from_der(v).ok().map(|o| o.as_bytes().to_vec())
    }

    /// The TBS certificate re-encoded without the SCT extension: the
    /// precertificate body CT logs signed.
    pub fn tbs_without_scts(&self) -> Option<Vec<u8>> {
        let mut tbs = self.cert.tbs_certificate.clone();
        let exts = tbs.extensions.as_mut()?;
        exts.retain(|e| e.extn_id != EXT_SCT_LIST);
        tbs.to_der().ok()
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap_or_default()
    }
}

/// Checks the signatures along `leaf → chain[0] → … → chain[last]`: each
/// certificate signed by the next, every issuer a CA. The last one is the
/// trust anchor, trusted because the trusted root names it; its own
/// self-signature proves nothing and is not checked.
pub fn verify_path_signatures(leaf: &Cert, chain: &[Cert]) -> Result<(), String> {
    if chain.is_empty() {
        return Err("the trusted chain is empty".into());
    }
    let mut child = leaf;
    for (i, issuer) in chain.iter().enumerate() {
        if !issuer.is_ca() {
            return Err(format!("chain certificate {i} is not a CA"));
        }
        if !child.signed_by(issuer) {
            return Err(if i == 0 {
                "the certificate was not issued by this authority".into()
            } else {
                format!("chain certificate {} is not signed by the next one", i - 1)
            });
        }
        child = issuer;
    }
    Ok(())
}

/// Checks that every certificate of the path is valid at unix time `t`.
pub fn path_valid_at(leaf: &Cert, chain: &[Cert], t: i64) -> Result<(), String> {
    if !leaf.valid_at(t) {
        let (a, b) = leaf.validity();
        return Err(format!(
            "the certificate was not valid at {} (valid {} to {})",
            signet_types::trust_root::unix_to_rfc3339(t),
            signet_types::trust_root::unix_to_rfc3339(a),
            signet_types::trust_root::unix_to_rfc3339(b)
        ));
    }
    for (i, c) in chain.iter().enumerate() {
        if !c.valid_at(t) {
            return Err(format!(
                "chain certificate {i} was not valid at {}",
                signet_types::trust_root::unix_to_rfc3339(t)
            ));
        }
    }
    Ok(())
}

/// Validates the path's signatures and its validity at unix time `t`.
pub fn validate_path(leaf: &Cert, chain: &[Cert], t: i64) -> Result<(), String> {
    path_valid_at(leaf, chain, t)?;
    verify_path_signatures(leaf, chain)
}
