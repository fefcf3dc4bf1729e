//! RFC 3161 signed timestamps: a timestamp authority of the trusted root
//! vouches that the signature existed at `genTime`.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_types::trust_root::{CertificateAuthority, TrustedRoot};
use x509_cert::der::asn1::OctetString;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_tsp::{TimeStampResp, TstInfo};

use crate::x509::{Cert, EKU_TIME_STAMPING, cms_scheme, validate_path};

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ATTR_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ATTR_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

fn digest_alg(oid: &ObjectIdentifier) -> Option<DigestAlgorithm> {
    match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => Some(DigestAlgorithm::Sha256),
        "2.16.840.1.101.3.4.2.2" => Some(DigestAlgorithm::Sha384),
        "2.16.840.1.101.3.4.2.3" => Some(DigestAlgorithm::Sha512),
        _ => None,
    }
}

/// A timestamp that verified: the time and the authority's URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTimestamp {
    /// `genTime`, unix seconds.
    pub time: i64,
    /// The authority that signed it.
    pub authority: String,
}

struct Parsed {
    tst: TstInfo,
    tst_der: Vec<u8>,
    signed: SignedData,
}

fn parse(resp_der: &[u8]) -> Result<Parsed, String> {
    // A bare TimeStampToken (ContentInfo) is accepted as well as the
    // TimeStampResp Sigstore bundles carry.
    let token: ContentInfo = match TimeStampResp::from_der(resp_der) {
        Ok(resp) => {
            use cmpv2::status::PkiStatus;
            if !matches!(
                resp.status.status,
                PkiStatus::Accepted | PkiStatus::GrantedWithMods
            ) {
                return Err("the timestamp response is not a granted timestamp".into());
            }
            resp.time_stamp_token
                .ok_or("the timestamp response carries no token")?
        }
        Err(_) => ContentInfo::from_der(resp_der)
            .map_err(|e| format!("not an RFC 3161 timestamp: {e}"))?,
    };
    if token.content_type != ID_SIGNED_DATA {
        return Err("the timestamp token is not CMS SignedData".into());
    }
    let signed: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("malformed timestamp SignedData: {e}"))?;
    if signed.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err("the timestamp token does not hold TSTInfo".into());
    }
    let tst_der = signed
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("the timestamp token has no content")?
        .decode_as::<OctetString>()
        .map_err(|e| format!("malformed timestamp content: {e}"))?
        .as_bytes()
        .to_vec();
    let tst = TstInfo::from_der(&tst_der).map_err(|e| format!("malformed TSTInfo: {e}"))?;
    Ok(Parsed {
        tst,
        tst_der,
        signed,
    })
}

/// Checks the CMS signature with `signer` (signed attributes required:
/// content type TSTInfo, message digest of the TSTInfo).
fn check_signature(p: &Parsed, signer: &Cert) -> Result<(), String> {
    let infos = &p.signed.signer_infos.0;
    if infos.len() != 1 {
        return Err(format!(
            "the timestamp has {} signers, expected one",
            infos.len()
        ));
    }
    let si = infos.get(0).ok_or("no signer")?;
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or("the timestamp has no signed attributes")?;
    let alg = digest_alg(&si.digest_alg.oid).ok_or("unsupported timestamp digest algorithm")?;
    let mut content_type_ok = false;
    let mut digest_ok = false;
    for a in attrs.iter() {
        let Some(v) = a.values.get(0) else { continue };
        if a.oid == ATTR_CONTENT_TYPE {
            content_type_ok = v.decode_as::<ObjectIdentifier>().ok() == Some(ID_CT_TST_INFO);
        } else if a.oid == ATTR_MESSAGE_DIGEST {
            let want = Digest::of(alg, &p.tst_der);
            digest_ok = v
                .decode_as::<OctetString>()
                .is_ok_and(|o| o.as_bytes() == want.as_bytes());
        }
    }
    if !content_type_ok || !digest_ok {
        return Err("the timestamp's signed attributes do not match its content".into());
    }
    let scheme = cms_scheme(&si.signature_algorithm.oid, &si.digest_alg.oid)
        .ok_or("unsupported timestamp signature algorithm")?;
    let signed_bytes = attrs
        .to_der()
        .map_err(|e| format!("cannot encode signed attributes: {e}"))?;
    signer
        .public_key()?
        .verify_scheme(scheme, &signed_bytes, si.signature.as_bytes())
        .map_err(|_| "the timestamp signature does not verify with the authority's key".to_string())
}

fn chain_of(ca: &CertificateAuthority) -> Result<Vec<Cert>, String> {
    ca.cert_chain
        .certificates
        .iter()
        .map(|c| Cert::from_der(&c.raw_bytes))
        .collect()
}

/// Verifies one signed timestamp over `signature` against the trusted
/// root's timestamp authorities.
pub fn verify(
    resp_der: &[u8],
    signature: &[u8],
    root: &TrustedRoot,
) -> Result<VerifiedTimestamp, String> {
    let p = parse(resp_der)?;
    let imprint = &p.tst.message_imprint;
    let alg = digest_alg(&imprint.hash_algorithm.oid)
        .ok_or("unsupported timestamp imprint hash algorithm")?;
    if imprint.hashed_message.as_bytes() != Digest::of(alg, signature).as_bytes() {
        return Err("the timestamp is over another signature (message imprint differs)".into());
    }
    let t = i64::try_from(p.tst.gen_time.to_unix_duration().as_secs())
        .map_err(|_| "timestamp time out of range")?;
    let embedded: Vec<Cert> = p
        .signed
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => c.to_der().ok(),
            CertificateChoices::Other(_) => None,
        })
        .filter_map(|d| Cert::from_der(&d).ok())
        .collect();
    if root.timestamp_authorities.is_empty() {
        return Err("the trusted root has no timestamp authority".into());
    }
    let mut last = String::from("no trusted timestamp authority signed it");
    for ca in &root.timestamp_authorities {
        let chain = match chain_of(ca) {
            Ok(c) if !c.is_empty() => c,
            Ok(_) => continue,
            Err(e) => {
                last = format!("a timestamp authority's chain is malformed: {e}");
                continue;
            }
        };
        let in_window = ca
            .valid_for
            .as_ref()
            .is_some_and(|w| w.contains(t).unwrap_or(false));
        // Signer candidates: the authority's own leaf, or an embedded
        // certificate that the authority's first certificate issued.
        let mut candidates: Vec<(&Cert, &[Cert])> = vec![(&chain[0], &chain[1..])];
        for e in &embedded {
            if e != &chain[0] {
                candidates.push((e, &chain[..]));
            }
        }
        for (signer, rest) in candidates {
            if check_signature(&p, signer).is_err() {
                continue;
            }
            if !in_window {
                last = format!(
                    "the timestamp time {} is outside the authority's validity in the trusted root",
                    signet_types::trust_root::unix_to_rfc3339(t)
                );
                continue;
            }
            if !signer.has_eku(&EKU_TIME_STAMPING) {
                last = "the timestamp signer is not a timestamping certificate".into();
                continue;
            }
            // A one-certificate chain is its own trust anchor.
            let res = if rest.is_empty() {
                if signer.valid_at(t) {
                    Ok(())
                } else {
                    Err("the timestamp signer was not valid at genTime".to_string())
                }
            } else {
                validate_path(signer, rest, t)
            };
            match res {
                Ok(()) => {
                    return Ok(VerifiedTimestamp {
                        time: t,
                        authority: ca.uri.clone(),
                    });
                }
                Err(e) => last = format!("timestamp authority chain: {e}"),
            }
        }
    }
    Err(last)
}
