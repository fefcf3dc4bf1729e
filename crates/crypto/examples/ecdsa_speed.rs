//! ECDSA P-256 verifications per second through signet's verify path
//! (the same `PublicKey::verify` the CLI uses), over digests, for
//! comparison with `openssl speed ecdsap256`. Used by `bench/run.sh`.
//!
//! `cargo run --release -p signet-crypto --example ecdsa_speed [SECONDS]`

use std::time::{Duration, Instant};

use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_crypto::{KeyAlgorithm, Message, PrivateKey};

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("keygen");
    let public = key.public_key().clone();
    let digest = Digest::of(DigestAlgorithm::Sha256, b"signet speed");
    let message = Message::Digest(digest);
    let sig = key.sign(&message).expect("sign");

    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..256 {
            public.verify(&message, &sig).expect("verifies");
        }
        n += 256;
    }
    let verify_rate = n as f64 / start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut s: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..256 {
            std::hint::black_box(key.sign(&message).expect("sign"));
        }
        s += 256;
    }
    let sign_rate = s as f64 / start.elapsed().as_secs_f64();
    println!("sign/s {sign_rate:.1}");
    println!("verify/s {verify_rate:.1}");
}
