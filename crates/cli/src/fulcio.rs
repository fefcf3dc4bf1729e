//! Keyless signing, client side: pick the CA and log from a Sigstore
//! signing config, prove possession of an ephemeral key to the CA (Fulcio
//! v2 `signingCert`) with an OIDC identity token, and get a short-lived
//! certificate for it.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use signet_crypto::{Message, PrivateKey};
use signet_types::b64;

/// The public-good and staging signing configs built in.
const PUBLIC_GOOD_SIGNING: &[u8] =
    include_bytes!("../data/trust-roots/public-good/signing_config.v0.2.json");
const STAGING_SIGNING: &[u8] =
    include_bytes!("../data/trust-roots/staging/signing_config.v0.2.json");

/// The services a signing config selects.
#[derive(Debug, Clone)]
pub(crate) struct Services {
    /// The certificate authority's base URL.
    pub(crate) ca: String,
    /// A Rekor v1 log's base URL.
    pub(crate) tlog: String,
}

/// Reads a signing config (`--signing-config`, else the built-in one) and
/// picks, among services valid at `now`, a CA and a Rekor v1 log.
pub(crate) fn services(config: Option<&[u8]>, staging: bool, now: i64) -> Result<Services> {
    let bytes = config.unwrap_or(if staging {
        STAGING_SIGNING
    } else {
        PUBLIC_GOOD_SIGNING
    });
    let v: Value = serde_json::from_slice(bytes).context("the signing config is not JSON")?;
    let pick = |field: &str, version: u64| -> Option<String> {
        v[field]
            .as_array()?
            .iter()
            .filter(|s| s["majorApiVersion"].as_u64() == Some(version))
            .filter(|s| {
                let from = s["validFor"]["start"]
                    .as_str()
                    .and_then(|t| signet_types::trust_root::rfc3339_to_unix(t).ok());
                let to = s["validFor"]["end"]
                    .as_str()
                    .and_then(|t| signet_types::trust_root::rfc3339_to_unix(t).ok());
                from.is_some_and(|f| f <= now) && to.is_none_or(|t| now <= t)
            })
            .filter_map(|s| s["url"].as_str().map(str::to_owned))
            .next()
    };
    Ok(Services {
        ca: pick("caUrls", 1).ok_or_else(|| anyhow!("the signing config names no current CA"))?,
        tlog: pick("rekorTlogUrls", 1)
            .ok_or_else(|| anyhow!("the signing config names no current Rekor v1 log"))?,
    })
}

/// The claim Fulcio expects signed as proof of possession: `email` when
/// the token has one, else `sub`. The token is not verified here (the CA
/// does that); a malformed one is an error.
pub(crate) fn token_subject(token: &str) -> Result<String> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| anyhow!("the identity token is not a JWT (header.payload.signature)"))?;
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        payload.trim_end_matches('='),
    )
    .map_err(|_| anyhow!("the identity token's payload is not base64url"))?;
    let claims: Value = serde_json::from_slice(&bytes)
        .map_err(|_| anyhow!("the identity token's payload is not JSON"))?;
    claims["email"]
        .as_str()
        .or_else(|| claims["sub"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the identity token has neither an email nor a sub claim"))
}

/// Asks the CA at `ca` for a certificate for `key`; returns the chain as
/// DER, leaf first.
pub(crate) fn certificate(ca: &str, token: &str, key: &PrivateKey) -> Result<Vec<Vec<u8>>> {
    let subject = token_subject(token)?;
    let proof = key.sign(&Message::Digest(signet_crypto::digest::Digest::of(
        signet_crypto::digest::DigestAlgorithm::Sha256,
        subject.as_bytes(),
    )))?;
    let body = serde_json::json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": key.public_key().to_pem()},
            "proofOfPossession": b64::encode(&proof),
        },
    });
    let url = format!("{}/api/v2/signingCert", ca.trim_end_matches('/'));
    let resp = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .context("cannot build the HTTP client")?
        .post(&url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .with_context(|| format!("cannot reach the certificate authority at {url}"))?;
    let status = resp.status();
    let text = resp.text().context("cannot read the CA's answer")?;
    if !status.is_success() {
        bail!(
            "the certificate authority refused the request ({status}): {}",
            text.trim()
        );
    }
    let v: Value = serde_json::from_str(&text).context("the CA's answer is not JSON")?;
    let chain = v["signedCertificateEmbeddedSct"]["chain"]["certificates"]
        .as_array()
        .or_else(|| v["signedCertificateDetachedSct"]["chain"]["certificates"].as_array())
        .ok_or_else(|| anyhow!("the CA's answer holds no certificate chain"))?;
    let ders: Vec<Vec<u8>> = chain
        .iter()
        .map(|c| {
            let pem = c
                .as_str()
                .ok_or_else(|| anyhow!("a chain entry is not PEM text"))?;
            signet_verify::x509::Cert::from_pem(pem.as_bytes())
                .map(|c| c.der().to_vec())
                .map_err(|e| anyhow!("the CA returned a bad certificate: {e}"))
        })
        .collect::<Result<_>>()?;
    let leaf = ders
        .first()
        .ok_or_else(|| anyhow!("the CA returned an empty chain"))?;
    let leaf_cert = signet_verify::x509::Cert::from_der(leaf).map_err(|e| anyhow!("{e}"))?;
    if leaf_cert.public_key().map_err(|e| anyhow!("{e}"))? != key.public_key() {
        bail!("the CA issued a certificate for another key");
    }
    Ok(ders)
}
