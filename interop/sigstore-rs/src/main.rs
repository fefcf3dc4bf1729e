//! `sigstore-rs-peer sign|verify`: the sigstore-rs cosign client as a peer for
//! signet's image interop test.
//!
//! ```text
//! sigstore-rs-peer sign   KEY PASSWORD IMAGE [USER PASSWORD]
//! sigstore-rs-peer verify PUBKEY      IMAGE [USER PASSWORD]
//! ```
//!
//! Plain HTTP (the test registries listen on 127.0.0.1). `verify` prints the
//! number of signature layers that satisfied the key and exits 0 only if at
//! least one did; every failure exits 1 with sigstore-rs's error.
use std::process::ExitCode;

use sigstore::cosign::constraint::PrivateKeySigner;
use sigstore::cosign::verification_constraint::{PublicKeyVerifier, VerificationConstraintVec};
use sigstore::cosign::{ClientBuilder, Constraint, CosignCapabilities, SignatureLayer};
use sigstore::crypto::SigningScheme;
use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn client() -> Result<sigstore::cosign::Client> {
    let config = ClientConfig {
        protocol: ClientProtocol::Http,
        ..Default::default()
    };
    Ok(ClientBuilder::default()
        .with_oci_client_config(config)
        .build()?)
}

fn auth(rest: &[String]) -> Auth {
    match rest {
        [user, password] => Auth::Basic(user.clone(), password.clone()),
        _ => Auth::Anonymous,
    }
}

async fn sign(key: &str, password: &str, image: &str, rest: &[String]) -> Result<()> {
    let image: OciReference = image.parse()?;
    let auth = auth(rest);
    let mut client = client()?;
    let (sig_image, digest) = client.triangulate(&image, &auth).await?;
    let mut layer = SignatureLayer::new_unsigned(&image, &digest)?;
    let key = zeroize::Zeroizing::new(std::fs::read(key)?);
    let password = zeroize::Zeroizing::new(password.as_bytes().to_vec());
    let signer =
        PrivateKeySigner::new_with_raw(key, password, &SigningScheme::ECDSA_P256_SHA256_ASN1)?;
    signer.add_constraint(&mut layer)?;
    client
        .push_signature(None, &auth, &sig_image, vec![layer])
        .await?;
    println!("signed {digest} into {sig_image}");
    Ok(())
}

async fn verify(pubkey: &str, image: &str, rest: &[String]) -> Result<usize> {
    let image: OciReference = image.parse()?;
    let auth = auth(rest);
    let mut client = client()?;
    let layers = client.trusted_signature_layers(&auth, &image).await?;
    let key = std::fs::read(pubkey)?;
    let verifier = PublicKeyVerifier::try_from(&key)?;
    let constraints: VerificationConstraintVec = vec![Box::new(verifier)];
    sigstore::cosign::verify_constraints(&layers, constraints.iter()).map_err(|e| {
        format!(
            "{} constraint(s) unsatisfied",
            e.unsatisfied_constraints.len()
        )
    })?;
    let ok = layers
        .iter()
        .filter(|l| constraints.iter().all(|c| c.verify(l).unwrap_or(false)))
        .count();
    Ok(ok)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.as_slice() {
        [cmd, key, password, image, rest @ ..] if cmd == "sign" => {
            sign(key, password, image, rest).await
        }
        [cmd, pubkey, image, rest @ ..] if cmd == "verify" => {
            verify(pubkey, image, rest).await.map(|n| {
                println!("verified {n} signature layer(s)");
            })
        }
        _ => Err("usage: sigstore-rs-peer sign KEY PASSWORD IMAGE [USER PASSWORD] | verify PUBKEY IMAGE [USER PASSWORD]".into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sigstore-rs-peer: {e}");
            ExitCode::FAILURE
        }
    }
}
