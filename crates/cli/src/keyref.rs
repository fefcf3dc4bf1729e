//! `--key` references (a path, `env://VAR`, or an RFC 7512 `pkcs11:` URI)
//! and the passwords that open them.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::{Message, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::env;
use crate::pkcs11;

/// Where a key lives.
pub(crate) enum KeyRef {
    Path(PathBuf),
    Env(String),
    Pkcs11(Box<pkcs11::Uri>),
}

impl KeyRef {
    pub(crate) fn parse(s: &str) -> Result<Self> {
        if let Some(var) = s.strip_prefix("env://") {
            if var.is_empty() {
                bail!("env:// needs a variable name, e.g. env://SIGNET_KEY");
            }
            Ok(Self::Env(var.to_owned()))
        } else if s.starts_with("pkcs11:") {
            Ok(Self::Pkcs11(Box::new(pkcs11::Uri::parse(s)?)))
        } else if s.contains("://") {
            bail!("unsupported key reference {s:?}: use a file path, env://VAR or a pkcs11: URI")
        } else {
            Ok(Self::Path(PathBuf::from(s)))
        }
    }

    /// The key's bytes, for file and environment references.
    fn material(&self) -> Result<Zeroizing<Vec<u8>>> {
        match self {
            Self::Path(p) => std::fs::read(p)
                .map(Zeroizing::new)
                .with_context(|| format!("cannot read key file {}", p.display())),
            Self::Env(var) => {
                let value = env::get(var).ok_or_else(|| {
                    anyhow!("environment variable {var} (from env://{var}) is not set")
                })?;
                Ok(Zeroizing::new(value.into_encoded_bytes()))
            }
            Self::Pkcs11(_) => bail!("internal: pkcs11 keys have no file material"),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Path(p) => p.display().to_string(),
            Self::Env(v) => format!("env://{v}"),
            Self::Pkcs11(u) => u.describe(),
        }
    }
}

/// What a password is for (changes prompts and confirmation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Opening an existing key.
    Open,
    /// Protecting a new key: ask twice on a terminal.
    Create,
}

/// The key password: `SIGNET_PASSWORD`, else `COSIGN_PASSWORD` (set but
/// empty means empty), else a prompt on a terminal, else an error.
pub(crate) fn password(purpose: Purpose) -> Result<Zeroizing<Vec<u8>>> {
    if let Some((_, value)) = env::first(&[env::SIGNET_PASSWORD, env::COSIGN_PASSWORD]) {
        return Ok(Zeroizing::new(value.into_encoded_bytes()));
    }
    prompt(purpose, "Enter password for private key")
}

pub(crate) fn prompt(purpose: Purpose, text: &str) -> Result<Zeroizing<Vec<u8>>> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "a password is needed but none was given: set {} (or {}), or run in a terminal to be prompted",
            env::SIGNET_PASSWORD,
            env::COSIGN_PASSWORD
        );
    }
    let first = Zeroizing::new(
        rpassword::prompt_password(format!("{text}: ")).context("cannot read the password")?,
    );
    if purpose == Purpose::Create {
        let again = Zeroizing::new(
            rpassword::prompt_password(format!("{text} again: "))
                .context("cannot read the password")?,
        );
        if *first != *again {
            bail!("passwords do not match");
        }
    }
    Ok(Zeroizing::new(first.as_bytes().to_vec()))
}

/// A key that can sign: in memory, or held in an HSM.
pub(crate) enum Signer {
    Local(PrivateKey),
    Hsm(pkcs11::HsmKey),
}

impl Signer {
    pub(crate) fn public_key(&self) -> &PublicKey {
        match self {
            Self::Local(k) => k.public_key(),
            Self::Hsm(k) => k.public_key(),
        }
    }

    pub(crate) fn sign(&self, message: &Message<'_>) -> Result<Vec<u8>> {
        match self {
            Self::Local(k) => k.sign(message).context("signing failed"),
            Self::Hsm(k) => k.sign(message),
        }
    }
}

/// Loads a private key from PEM bytes, asking for a password only if needed.
pub(crate) fn open_private_pem(pem: &[u8], what: &str) -> Result<PrivateKey> {
    let password = if signet_crypto::is_encrypted_pem(pem) {
        Some(password(Purpose::Open)?)
    } else {
        None
    };
    PrivateKey::from_pem(pem, password.as_deref().map(|p| p.as_slice()))
        .with_context(|| format!("cannot load private key {what}"))
}

/// Loads a signing key from `--key`.
pub(crate) fn load_signer(key: &str) -> Result<Signer> {
    let keyref = KeyRef::parse(key)?;
    if let KeyRef::Pkcs11(uri) = &keyref {
        return Ok(Signer::Hsm(pkcs11::HsmKey::open(&pkcs11::prepare(
            uri, true,
        )?)?));
    }
    let pem = keyref.material()?;
    open_private_pem(&pem, &keyref.describe()).map(Signer::Local)
}

/// Loads a verification key from `--key`: a public key (PEM or DER SPKI),
/// a private key (its public half), an `env://` PEM or a `pkcs11:` key.
pub(crate) fn load_verifier(key: &str) -> Result<PublicKey> {
    let keyref = KeyRef::parse(key)?;
    if let KeyRef::Pkcs11(uri) = &keyref {
        return pkcs11::HsmKey::open_public(&pkcs11::prepare(uri, false)?);
    }
    let what = keyref.describe();
    let bytes = keyref.material()?;
    let label = signet_crypto::armor::decode_first(&bytes).map(|b| b.label.clone());
    match label {
        Ok(label) if label == "PUBLIC KEY" => {
            PublicKey::from_pem(&bytes).with_context(|| format!("cannot load public key {what}"))
        }
        Ok(label) if label.contains("PRIVATE KEY") => {
            Ok(open_private_pem(&bytes, &what)?.public_key().clone())
        }
        Ok(label) => {
            bail!("{what} holds a {label:?} PEM block; expected a PUBLIC KEY (or a private key)")
        }
        Err(pem_err) => PublicKey::from_spki_der(&bytes)
            .map_err(|_| pem_err)
            .with_context(|| format!("cannot load public key {what}")),
    }
}
