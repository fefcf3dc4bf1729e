//! Keys held in an HSM, addressed by RFC 7512 `pkcs11:` URIs, through
//! `cryptoki`. Tokens such as SoftHSM2 offer only raw `CKM_ECDSA`, so the
//! digest is computed here and the token signs it; its fixed-width `r‖s`
//! answer is re-encoded as DER and checked against the public key before use.
//!
//! The caller supplies what the URI leaves out (the module path, the PIN)
//! with [`Uri::set_module`] and [`Uri::set_pin`]: the CLI from its
//! environment or a prompt, the server from its configuration.

use anyhow::{Context, Result, anyhow, bail};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use signet_crypto::digest::Digest;
use signet_crypto::{Message, PublicKey};
use zeroize::Zeroizing;

/// A parsed `pkcs11:` URI (RFC 7512).
#[derive(Default, Clone)]
pub struct Uri {
    token: Option<String>,
    object: Option<String>,
    id: Option<Vec<u8>>,
    serial: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    slot_id: Option<u64>,
    module_path: Option<String>,
    pin_value: Option<Zeroizing<String>>,
    pin_source: Option<String>,
}

fn pct_decode(s: &str) -> Result<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| anyhow!("bad percent-encoding in pkcs11 URI near {:?}", &s[i..]))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn pct_string(s: &str) -> Result<String> {
    String::from_utf8(pct_decode(s)?).context("pkcs11 URI attribute is not UTF-8")
}

impl Uri {
    /// Parses `pkcs11:…` (path attributes; `module-path`, `pin-value`,
    /// `pin-source` in the query).
    pub fn parse(s: &str) -> Result<Self> {
        let rest = s
            .strip_prefix("pkcs11:")
            .ok_or_else(|| anyhow!("a PKCS#11 URI starts with \"pkcs11:\""))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut uri = Self::default();
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (k, v) = attr
                .split_once('=')
                .ok_or_else(|| anyhow!("pkcs11 URI attribute {attr:?} has no '='"))?;
            match k {
                "token" => uri.token = Some(pct_string(v)?),
                "object" => uri.object = Some(pct_string(v)?),
                "id" => uri.id = Some(pct_decode(v)?),
                "serial" => uri.serial = Some(pct_string(v)?),
                "manufacturer" => uri.manufacturer = Some(pct_string(v)?),
                "model" => uri.model = Some(pct_string(v)?),
                "slot-id" => {
                    uri.slot_id = Some(v.parse().context("pkcs11 URI slot-id is not a number")?)
                }
                "type" if v == "private" || v == "public" => {}
                "library-manufacturer"
                | "library-description"
                | "library-version"
                | "slot-description"
                | "slot-manufacturer" => {}
                other => bail!("unsupported pkcs11 URI attribute {other:?}"),
            }
        }
        for attr in query.split('&').filter(|a| !a.is_empty()) {
            let (k, v) = attr
                .split_once('=')
                .ok_or_else(|| anyhow!("pkcs11 URI query attribute {attr:?} has no '='"))?;
            match k {
                "module-path" => uri.module_path = Some(pct_string(v)?),
                "pin-value" => uri.pin_value = Some(Zeroizing::new(pct_string(v)?)),
                "pin-source" => uri.pin_source = Some(pct_string(v)?),
                "module-name" => {}
                other => bail!("unsupported pkcs11 URI query attribute {other:?}"),
            }
        }
        Ok(uri)
    }

    /// A description without the PIN.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.token {
            parts.push(format!("token={t}"));
        }
        if let Some(o) = &self.object {
            parts.push(format!("object={o}"));
        }
        if let Some(id) = &self.id {
            let hex: String = id.iter().map(|b| format!("%{b:02x}")).collect();
            parts.push(format!("id={hex}"));
        }
        format!("pkcs11:{}", parts.join(";"))
    }

    fn module(&self) -> Result<String> {
        self.module_path.clone().ok_or_else(|| {
            anyhow!("no PKCS#11 module: add ?module-path=/path/to/module.so to the URI")
        })
    }

    fn pin(&self) -> Result<Zeroizing<String>> {
        if let Some(p) = &self.pin_value {
            return Ok(p.clone());
        }
        if let Some(src) = &self.pin_source {
            let path = src.strip_prefix("file:").unwrap_or(src);
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read pin-source {path}"))?;
            return Ok(Zeroizing::new(
                text.trim_end_matches(['\r', '\n']).to_owned(),
            ));
        }
        bail!("the token needs a PIN: add pin-value or pin-source to the URI")
    }

    /// Whether the URI names its module.
    pub fn has_module(&self) -> bool {
        self.module_path.is_some()
    }

    /// Whether the URI carries a PIN (`pin-value` or `pin-source`).
    pub fn has_pin(&self) -> bool {
        self.pin_value.is_some() || self.pin_source.is_some()
    }

    /// Whether the PIN itself is in the URI (`pin-value`).
    pub fn has_pin_value(&self) -> bool {
        self.pin_value.is_some()
    }

    /// Uses module `path` (when the URI names none).
    pub fn set_module(&mut self, path: String) {
        self.module_path = Some(path);
    }

    /// Uses `pin` (when the URI carries none).
    pub fn set_pin(&mut self, pin: Zeroizing<String>) {
        self.pin_value = Some(pin);
    }

    fn key_template(&self, class: ObjectClass) -> Vec<Attribute> {
        let mut t = vec![Attribute::Class(class)];
        if let Some(o) = &self.object {
            t.push(Attribute::Label(o.as_bytes().to_vec()));
        }
        if let Some(id) = &self.id {
            t.push(Attribute::Id(id.clone()));
        }
        t
    }
}

/// An open HSM key.
pub struct HsmKey {
    session: Session,
    key: ObjectHandle,
    public: PublicKey,
}

fn open_session(uri: &Uri, login: bool) -> Result<Session> {
    let module = uri.module()?;
    let ctx =
        Pkcs11::new(&module).with_context(|| format!("cannot load PKCS#11 module {module}"))?;
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .context("cannot initialise the PKCS#11 module")?;
    let slot = find_slot(&ctx, uri)?;
    let session = ctx
        .open_ro_session(slot)
        .context("cannot open a PKCS#11 session")?;
    if login {
        let pin = uri.pin()?;
        session
            .login(UserType::User, Some(&AuthPin::from(pin.as_str())))
            .context("PKCS#11 login failed (wrong PIN?)")?;
    }
    Ok(session)
}

fn find_slot(ctx: &Pkcs11, uri: &Uri) -> Result<Slot> {
    let slots = ctx
        .get_slots_with_token()
        .context("cannot list PKCS#11 slots")?;
    let mut seen = Vec::new();
    for slot in slots {
        if uri.slot_id.is_some_and(|id| id != slot.id()) {
            continue;
        }
        let info = ctx.get_token_info(slot).context("cannot read token info")?;
        let label = info.label().trim().to_owned();
        let matches = uri.token.as_deref().is_none_or(|t| t == label)
            && uri
                .serial
                .as_deref()
                .is_none_or(|s| s == info.serial_number().trim())
            && uri
                .manufacturer
                .as_deref()
                .is_none_or(|m| m == info.manufacturer_id().trim())
            && uri
                .model
                .as_deref()
                .is_none_or(|m| m == info.model().trim());
        if matches {
            return Ok(slot);
        }
        seen.push(label);
    }
    bail!(
        "no PKCS#11 token matches {} (tokens present: {})",
        uri.describe(),
        if seen.is_empty() {
            "none".to_owned()
        } else {
            seen.join(", ")
        }
    )
}

fn find_one(session: &Session, uri: &Uri, class: ObjectClass, what: &str) -> Result<ObjectHandle> {
    let found = session
        .find_objects(&uri.key_template(class))
        .context("PKCS#11 object search failed")?;
    match found.as_slice() {
        [one] => Ok(*one),
        [] => bail!("no {what} matches {}", uri.describe()),
        many => bail!(
            "{} {what}s match {}: add object= or id= to the URI",
            many.len(),
            uri.describe()
        ),
    }
}

/// Strips the DER OCTET STRING that PKCS#11 wraps around `CKA_EC_POINT`.
fn unwrap_ec_point(point: &[u8]) -> &[u8] {
    match point {
        [0x04, len, rest @ ..] if *len as usize == rest.len() && *len < 0x80 => rest,
        [0x04, 0x81, len, rest @ ..] if *len as usize == rest.len() => rest,
        _ => point,
    }
}

fn read_public(session: &Session, uri: &Uri) -> Result<PublicKey> {
    let handle = find_one(session, uri, ObjectClass::PUBLIC_KEY, "public key")?;
    let attrs = session
        .get_attributes(
            handle,
            &[
                AttributeType::KeyType,
                AttributeType::EcParams,
                AttributeType::EcPoint,
            ],
        )
        .context("cannot read the public key attributes")?;
    let (mut params, mut point, mut key_type) = (None, None, None);
    for a in attrs {
        match a {
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            Attribute::KeyType(t) => key_type = Some(t),
            _ => {}
        }
    }
    if key_type != Some(KeyType::EC) {
        bail!("only EC keys are supported through PKCS#11");
    }
    let (params, point) = params
        .zip(point)
        .ok_or_else(|| anyhow!("the token did not return CKA_EC_PARAMS and CKA_EC_POINT"))?;
    PublicKey::from_ec_point(&params, unwrap_ec_point(&point))
        .context("the token's public key is not usable")
}

impl HsmKey {
    /// Opens the private key (logs in) and its public key.
    pub fn open(uri: &Uri) -> Result<Self> {
        let session = open_session(uri, true)?;
        let key = find_one(&session, uri, ObjectClass::PRIVATE_KEY, "private key")?;
        let public = read_public(&session, uri)?;
        Ok(Self {
            session,
            key,
            public,
        })
    }

    /// Reads only the public key (no PIN needed).
    pub fn open_public(uri: &Uri) -> Result<PublicKey> {
        let session = open_session(uri, false)?;
        read_public(&session, uri)
    }

    /// The key's public half (read from the token).
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs: the digest is computed here, the token signs it (raw
    /// `CKM_ECDSA`), the answer is re-encoded as DER and checked.
    pub fn sign(&self, message: &Message<'_>) -> Result<Vec<u8>> {
        let alg = self
            .public
            .algorithm()
            .digest()
            .ok_or_else(|| anyhow!("this HSM key type cannot sign digests"))?;
        let digest = match message {
            Message::Digest(d) => *d,
            Message::Raw(m) => Digest::of(alg, m),
        };
        let fixed = self
            .session
            .sign(&Mechanism::Ecdsa, self.key, digest.as_bytes())
            .context("the HSM refused to sign")?;
        let der = signet_crypto::signature::ecdsa_fixed_to_der(&fixed)?;
        self.public
            .verify(&Message::Digest(digest), &der)
            .context("the HSM's signature does not verify with its public key")?;
        Ok(der)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc7512_examples() {
        let u = Uri::parse(
            "pkcs11:token=My%20Token;object=signing%20key;id=%01%02?module-path=/usr/lib/x.so&pin-value=1234",
        )
        .unwrap();
        assert_eq!(u.token.as_deref(), Some("My Token"));
        assert_eq!(u.object.as_deref(), Some("signing key"));
        assert_eq!(u.id.as_deref(), Some(&[1u8, 2][..]));
        assert_eq!(u.module_path.as_deref(), Some("/usr/lib/x.so"));
        assert_eq!(u.pin_value.as_deref().map(|s| s.as_str()), Some("1234"));
        assert!(!u.describe().contains("1234"), "the PIN is never shown");
        assert!(Uri::parse("pkcs11:bogus=1").is_err());
        assert!(Uri::parse("pkcs11:id=%zz").is_err());
    }

    #[test]
    fn unwraps_ec_point() {
        let mut wrapped = vec![0x04, 65, 0x04];
        wrapped.extend([7u8; 64]);
        assert_eq!(unwrap_ec_point(&wrapped).len(), 65);
        let raw = &wrapped[2..];
        assert_eq!(unwrap_ec_point(raw).len(), 65);
    }
}
