//! Published cosign and sigstore-rs key files (passwords from
//! `shared/vectors/MANIFEST.md`) load and sign.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use signet_crypto::{Error, KeyAlgorithm, Message, PrivateKey, PublicKey};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors");

fn read(rel: &str) -> Vec<u8> {
    let path = format!("{VECTORS}/{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn check(rel: &str, password: Option<&[u8]>, expect: KeyAlgorithm) {
    let key = PrivateKey::from_pem(&read(rel), password).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(key.algorithm(), expect, "{rel}");
    let msg = Message::Raw(b"signet vector test");
    let sig = key.sign(&msg).unwrap();
    key.public_key().verify(&msg, &sig).unwrap();
}

#[test]
fn sigstore_rs_keys_load_and_sign() {
    let k = "sigstore-rs/tests/data/keys";
    check(
        &format!("{k}/ecdsa_encrypted_private.key"),
        Some(b"123"),
        KeyAlgorithm::EcdsaP256,
    );
    check(
        &format!("{k}/cosign_generated_encrypted_empty_private.key"),
        Some(b""),
        KeyAlgorithm::EcdsaP256,
    );
    check(
        &format!("{k}/ed25519_encrypted_private.key"),
        Some(b"123"),
        KeyAlgorithm::Ed25519,
    );
    check(
        &format!("{k}/rsa_encrypted_private.key"),
        Some(b"123"),
        KeyAlgorithm::Rsa,
    );
    check(
        &format!("{k}/ecdsa_private.key"),
        None,
        KeyAlgorithm::EcdsaP256,
    );
    check(
        &format!("{k}/ed25519_private.key"),
        None,
        KeyAlgorithm::Ed25519,
    );
    check(&format!("{k}/rsa_private.key"), None, KeyAlgorithm::Rsa);
    check(
        "sigstore-rs/examples/key_interface/key_pair_import/ECDSA_P256_ASN1_ENCRYPTED_PRIVATE_PEM.key",
        Some(b"password"),
        KeyAlgorithm::EcdsaP256,
    );
}

#[test]
fn wrong_password_is_reported_as_such() {
    let pem = read("sigstore-rs/tests/data/keys/ecdsa_encrypted_private.key");
    let err = PrivateKey::from_pem(&pem, Some(b"124")).unwrap_err();
    assert!(matches!(err, Error::WrongPassword), "{err}");
    assert!(err.to_string().contains("wrong password"));
}

#[test]
fn every_encoding_of_the_import_examples_loads() {
    // These files hold unrelated keys (checked with openssl): each must load
    // and match what openssl derives from it.
    let dir = "sigstore-rs/examples/key_interface/key_pair_import";
    let plain = PrivateKey::from_pem(
        &read(&format!("{dir}/ECDSA_P256_ASN1_PRIVATE_PEM.key")),
        None,
    )
    .unwrap();
    let der = PrivateKey::from_pkcs8_der(&read(&format!("{dir}/ECDSA_P256_ASN1_PRIVATE_DER.key")))
        .unwrap();
    let public =
        PublicKey::from_pem(&read(&format!("{dir}/ECDSA_P256_ASN1_PUBLIC_PEM.pub"))).unwrap();
    let public_der =
        PublicKey::from_spki_der(&read(&format!("{dir}/ECDSA_P256_ASN1_PUBLIC_DER.pub"))).unwrap();
    assert!(
        plain
            .public_key()
            .to_pem()
            .contains("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEl3ubRhzB5roOAVphpdh7SCZRvACB")
    );
    assert!(
        der.public_key()
            .to_pem()
            .contains("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEShgaPpxm8/9C8rr1IFqxkm96ILf4")
    );
    assert_eq!(public.algorithm(), KeyAlgorithm::EcdsaP256);
    assert_eq!(public_der.algorithm(), KeyAlgorithm::EcdsaP256);
    assert_ne!(public, public_der);
}

#[test]
fn managed_key_legacy_signature_verifies() {
    let dir = "sigstore-conformance/derived/managed-key-legacy";
    let key = PublicKey::from_pem(&read(&format!("{dir}/key.pub"))).unwrap();
    let artifact = read(&format!("{dir}/a.txt"));
    for sig_file in ["a.txt.sig", "a.txt.sig.bin"] {
        let sig =
            signet_crypto::signature::decode_signature_file(&read(&format!("{dir}/{sig_file}")))
                .unwrap();
        key.verify(&Message::Raw(&artifact), &sig).unwrap();
        let mut tampered = artifact.clone();
        tampered.push(b'!');
        assert!(key.verify(&Message::Raw(&tampered), &sig).is_err());
    }
    // The hint cosign and sigstore-go write for this key (formats.md §2.4).
    assert_eq!(
        key.key_hint(),
        "TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk="
    );
}

#[test]
fn rekor_openssl_signature_verifies() {
    let dir = "rekor/pkg/pki/x509/testdata";
    let key = PublicKey::from_pem(&read(&format!("{dir}/ec.pub"))).unwrap();
    let sig = read(&format!("{dir}/hello_world.txt.sig"));
    key.verify(
        &Message::Raw(&read(&format!("{dir}/hello_world.txt"))),
        &sig,
    )
    .unwrap();
    let rsa_dir = "rekor/cmd/rekor-cli/app/tests";
    let rsa = PublicKey::from_pem(&read(&format!("{rsa_dir}/test_x509_public_key.pem"))).unwrap();
    rsa.verify(
        &Message::Raw(&read(&format!("{rsa_dir}/test_x509_artifact.txt"))),
        &read(&format!("{rsa_dir}/test_x509.sig")),
    )
    .unwrap();
}
