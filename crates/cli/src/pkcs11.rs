//! `pkcs11:` keys for the CLI: the module and PIN come from the URI, else
//! `SIGNET_PKCS11_*` / `COSIGN_PKCS11_*`, else (PIN only) a prompt on a
//! terminal; the token work is `signet_pkcs11`'s.

use std::io::IsTerminal;

use anyhow::{Result, bail};
use zeroize::Zeroizing;

pub(crate) use signet_pkcs11::{HsmKey, Uri};

use crate::env;

/// `uri` with its module (and, to sign, its PIN) filled in.
pub(crate) fn prepare(uri: &Uri, login: bool) -> Result<Uri> {
    let mut uri = uri.clone();
    if !uri.has_module() {
        match env::first(&[
            env::SIGNET_PKCS11_MODULE_PATH,
            env::COSIGN_PKCS11_MODULE_PATH,
        ]) {
            Some((_, v)) => uri.set_module(v.to_string_lossy().into_owned()),
            None => bail!(
                "no PKCS#11 module: add ?module-path=/path/to/module.so to the URI or set {}",
                env::SIGNET_PKCS11_MODULE_PATH
            ),
        }
    }
    if login && !uri.has_pin() {
        if let Some((_, v)) = env::first(&[env::SIGNET_PKCS11_PIN, env::COSIGN_PKCS11_PIN]) {
            uri.set_pin(Zeroizing::new(v.to_string_lossy().into_owned()));
        } else if std::io::stdin().is_terminal() {
            let pin =
                crate::keyref::prompt(crate::keyref::Purpose::Open, "Enter PKCS#11 user PIN")?;
            uri.set_pin(Zeroizing::new(String::from_utf8_lossy(&pin).into_owned()));
        } else {
            bail!(
                "the token needs a PIN: add pin-value or pin-source to the URI, or set {}",
                env::SIGNET_PKCS11_PIN
            );
        }
    }
    Ok(uri)
}
