//! A Fulcio-like test CA: a P-384 root and intermediate (as Sigstore's),
//! leaf certificates with Fulcio's profile (one critical SAN, code signing,
//! the OIDC issuer extensions) and an SCT embedded by a test CT log, and
//! the `trusted_root.json` parts that trust them.
//!
//! The SCT is computed as a CT log does for a precertificate: over the TBS
//! certificate without the SCT extension, which rcgen encodes identically
//! when the same parameters are signed again with the SCT appended last.

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType,
};
use signet_crypto::{KeyAlgorithm, Message, PrivateKey};
use signet_types::b64;
use signet_types::trust_root::unix_to_rfc3339;
use signet_verify::sct::{Sct, signed_data};
use signet_verify::x509::Cert;

/// A P-256 subject key given as DER SPKI (the signer's own key).
struct Subject(Vec<u8>);

impl PublicKeyData for Subject {
    fn der_bytes(&self) -> &[u8] {
        // The uncompressed point: the last 65 bytes of a P-256 SPKI.
        &self.0[self.0.len().saturating_sub(65)..]
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

/// A test CA with its CT log.
pub struct TestCa {
    root_params: CertificateParams,
    root_key: KeyPair,
    root_der: Vec<u8>,
    intermediate_params: CertificateParams,
    intermediate_key: KeyPair,
    intermediate_der: Vec<u8>,
    ct_key: PrivateKey,
    serial: std::sync::atomic::AtomicU64,
}

fn time(t: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t).expect("a valid unix time")
}

fn ca_params(cn: &str, from: i64, to: i64) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "signet-test");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = time(from);
    p.not_after = time(to);
    p
}

/// DER `UTF8String`.
fn utf8(s: &str) -> Vec<u8> {
    let mut v = vec![0x0c];
    push_len(&mut v, s.len());
    v.extend_from_slice(s.as_bytes());
    v
}

/// DER `OCTET STRING`.
fn octets(b: &[u8]) -> Vec<u8> {
    let mut v = vec![0x04];
    push_len(&mut v, b.len());
    v.extend_from_slice(b);
    v
}

fn push_len(v: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        v.push(n as u8);
    } else if n < 0x100 {
        v.extend_from_slice(&[0x81, n as u8]);
    } else {
        v.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
}

impl TestCa {
    /// A CA valid from 2020 to 2040.
    pub fn new() -> Self {
        let (from, to) = (1_577_836_800, 2_208_988_800);
        let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("root key");
        let root_params = ca_params("signet-test-root", from, to);
        let root = root_params
            .self_signed(&root_key)
            .expect("root certificate");
        let intermediate_key =
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("intermediate key");
        let intermediate_params = ca_params("signet-test-intermediate", from, to);
        let issuer = Issuer::new(root_params.clone(), &root_key);
        let intermediate = intermediate_params
            .signed_by(&intermediate_key, &issuer)
            .expect("intermediate certificate");
        Self {
            root_der: root.der().to_vec(),
            intermediate_der: intermediate.der().to_vec(),
            root_params,
            root_key,
            intermediate_params,
            intermediate_key,
            ct_key: PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("CT key"),
            serial: std::sync::atomic::AtomicU64::new(1000),
        }
    }

    /// The intermediate and root, DER, issuing certificate first.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        vec![self.intermediate_der.clone(), self.root_der.clone()]
    }

    /// Issues a leaf for `spki_der` naming `identity` (an email when it
    /// contains `@` and no scheme, else a URI) and OIDC `issuer`, valid
    /// `[from, to]`, with an SCT at `from`. `sct` false leaves it out.
    pub fn issue(
        &self,
        spki_der: &[u8],
        identity: &str,
        issuer: &str,
        from: i64,
        to: i64,
        sct: bool,
    ) -> Vec<u8> {
        assert_eq!(spki_der.len(), 91, "the test CA issues for P-256 keys");
        let subject = Subject(spki_der.to_vec());
        let mut p = CertificateParams::default();
        p.distinguished_name = DistinguishedName::new();
        let san = if identity.contains('@') && !identity.contains("://") {
            SanType::Rfc822Name(identity.try_into().expect("an email"))
        } else {
            SanType::URI(identity.try_into().expect("a URI"))
        };
        p.subject_alt_names = vec![san];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        p.not_before = time(from);
        p.not_after = time(to);
        p.serial_number = Some(
            self.serial
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .into(),
        );
        p.use_authority_key_identifier_extension = true;
        p.custom_extensions = vec![
            CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 57264, 1, 1],
                issuer.as_bytes().to_vec(),
            ),
            CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 57264, 1, 8], utf8(issuer)),
        ];
        let ca = Issuer::new(self.intermediate_params.clone(), &self.intermediate_key);
        let pre = p.signed_by(&subject, &ca).expect("precertificate");
        if !sct {
            return pre.der().to_vec();
        }
        let pre = Cert::from_der(pre.der()).expect("rcgen output parses");
        let tbs = pre.tbs_without_scts().expect("a TBS");
        let intermediate = Cert::from_der(&self.intermediate_der).expect("intermediate parses");
        let mut s = Sct {
            log_id: self.ct_log_id(),
            timestamp_ms: u64::try_from(from).unwrap_or(0) * 1000,
            extensions: Vec::new(),
            hash: 4,
            sig_alg: 3,
            signature: Vec::new(),
        };
        s.signature = self
            .ct_key
            .sign(&Message::Raw(&signed_data(
                &s,
                &intermediate.spki_der(),
                &tbs,
            )))
            .expect("SCT signature");
        let mut one = vec![0u8];
        one.extend_from_slice(&s.log_id);
        one.extend_from_slice(&s.timestamp_ms.to_be_bytes());
        one.extend_from_slice(&0u16.to_be_bytes());
        one.extend_from_slice(&[s.hash, s.sig_alg]);
        one.extend_from_slice(&(s.signature.len() as u16).to_be_bytes());
        one.extend_from_slice(&s.signature);
        let mut list = (one.len() as u16 + 2).to_be_bytes().to_vec();
        list.extend_from_slice(&(one.len() as u16).to_be_bytes());
        list.extend_from_slice(&one);
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
            octets(&list),
        ));
        p.signed_by(&subject, &ca)
            .expect("certificate")
            .der()
            .to_vec()
    }

    fn ct_log_id(&self) -> [u8; 32] {
        signet_crypto::digest::sha256_concat(&[self.ct_key.public_key().spki_der()])
    }

    /// `certificateAuthorities[0]` and `ctlogs[0]` of a trusted root.
    pub fn trusted_root_parts(&self) -> (serde_json::Value, serde_json::Value) {
        let ca = serde_json::json!({
            "subject": {"organization": "signet-test", "commonName": "signet-test-root"},
            "uri": "https://fulcio.signet.test",
            "certChain": {"certificates": [
                {"rawBytes": b64::encode(&self.intermediate_der)},
                {"rawBytes": b64::encode(&self.root_der)},
            ]},
            "validFor": {"start": unix_to_rfc3339(1_577_836_800)},
        });
        let ct = serde_json::json!({
            "baseUrl": "https://ctfe.signet.test",
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": b64::encode(self.ct_key.public_key().spki_der()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": unix_to_rfc3339(1_577_836_800)},
            },
            "logId": {"keyId": b64::encode(self.ct_log_id())},
        });
        (ca, ct)
    }

    /// Adds this CA and its CT log to a trusted root's JSON.
    pub fn add_to(&self, root: &mut serde_json::Value) {
        let (ca, ct) = self.trusted_root_parts();
        root["certificateAuthorities"] = serde_json::json!([ca]);
        root["ctlogs"] = serde_json::json!([ct]);
    }

    /// The root certificate's parameters and key are kept so that
    /// another intermediate could be issued; unused otherwise.
    pub fn root_key_algorithm(&self) -> &'static str {
        let _ = (&self.root_params, &self.root_key);
        "ECDSA P-384"
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// PEM text of a DER certificate.
pub fn pem(der: &[u8]) -> String {
    let b64 = b64::encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// An unsigned JWT with these claims (the fake CA below does not verify
/// tokens; a real Fulcio does).
pub fn token(claims: &serde_json::Value) -> String {
    use base64::Engine;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.c2ln",
        e.encode(br#"{"alg":"none","typ":"JWT"}"#),
        e.encode(claims.to_string())
    )
}

/// A stand-in for Fulcio's `POST /api/v2/signingCert` (tests run offline):
/// checks the proof of possession and issues a certificate from a
/// [`TestCa`] for the token's `email` (else `sub`) and `iss`.
pub struct FakeFulcio {
    /// Base URL (`http://127.0.0.1:PORT`).
    pub url: String,
}

fn answer(ca: &TestCa, headers: &str, body: &[u8]) -> Result<String, String> {
    use base64::Engine;
    let req: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let token = req["credentials"]["oidcIdentityToken"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            headers
                .lines()
                .find_map(|l| {
                    l.strip_prefix("authorization: Bearer ")
                        .or_else(|| l.strip_prefix("Authorization: Bearer "))
                })
                .map(|t| t.trim().to_owned())
        })
        .ok_or("no token")?;
    let payload = token.split('.').nth(1).ok_or("not a JWT")?;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let identity = claims["email"]
        .as_str()
        .or(claims["sub"].as_str())
        .ok_or("no subject")?;
    let issuer = claims["iss"].as_str().ok_or("no iss")?;
    let key_pem = req["publicKeyRequest"]["publicKey"]["content"]
        .as_str()
        .ok_or("no key")?;
    let key = signet_crypto::PublicKey::from_pem(key_pem.as_bytes()).map_err(|e| e.to_string())?;
    let proof = b64::decode(
        req["publicKeyRequest"]["proofOfPossession"]
            .as_str()
            .unwrap_or(""),
    )
    .map_err(|e| e.to_string())?;
    key.verify(
        &Message::Digest(signet_crypto::digest::Digest::of(
            signet_crypto::digest::DigestAlgorithm::Sha256,
            identity.as_bytes(),
        )),
        &proof,
    )
    .map_err(|_| "proof of possession does not verify".to_string())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let leaf = ca.issue(key.spki_der(), identity, issuer, now - 5, now + 600, true);
    let mut chain = vec![pem(&leaf)];
    chain.extend(ca.chain().iter().map(|c| pem(c)));
    Ok(
        serde_json::json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}})
            .to_string(),
    )
}

impl FakeFulcio {
    /// Serves `ca` on a free loopback port until the process ends.
    pub fn start(ca: std::sync::Arc<TestCa>) -> Self {
        use std::io::{BufRead, BufReader, Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", l.local_addr().expect("addr"));
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let ca = ca.clone();
                std::thread::spawn(move || {
                    let Ok(read_half) = s.try_clone() else { return };
                    let mut r = BufReader::new(read_half);
                    let mut w = s;
                    loop {
                        let mut head = String::new();
                        loop {
                            let mut line = String::new();
                            if r.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            head.push_str(&line);
                        }
                        let len = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse().ok())?
                            })
                            .unwrap_or(0usize);
                        let mut body = vec![0u8; len];
                        if r.read_exact(&mut body).is_err() {
                            return;
                        }
                        let (status, text) = if head.starts_with("POST /api/v2/signingCert ") {
                            match answer(&ca, &head, &body) {
                                Ok(t) => ("201 Created", t),
                                Err(e) => (
                                    "400 Bad Request",
                                    serde_json::json!({"message": e}).to_string(),
                                ),
                            }
                        } else {
                            ("404 Not Found", "{}".to_owned())
                        };
                        let resp = format!(
                            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                            text.len()
                        );
                        if w.write_all(resp.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { url }
    }
}
