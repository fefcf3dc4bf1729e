//! Inclusion-proof verifications per second on one core (issue 3 target:
//! ≥ 100,000/s), for a tree of one million leaves (20-hash proofs).
//!
//! `cargo run --release -p signet-tlog --example proof_speed [SECONDS]`

use std::time::{Duration, Instant};

use signet_tlog::hash::leaf_hash;
use signet_tlog::tree::MemoryTree;
use signet_tlog::verify;

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let size = 1u64 << 20;
    let mut tree = MemoryTree::default();
    for i in 0..size {
        tree.push(leaf_hash(&i.to_be_bytes()));
    }
    let root = tree.root(size).expect("root");
    let cases: Vec<_> = (0..1024u64)
        .map(|k| {
            let i = (k * 7919) % size;
            (
                i,
                leaf_hash(&i.to_be_bytes()),
                tree.inclusion_proof(i, size).expect("proof"),
            )
        })
        .collect();
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for (i, leaf, proof) in &cases {
            verify::inclusion(*i, size, leaf, proof, &root).expect("verifies");
        }
        n += cases.len() as u64;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    println!(
        "inclusion proofs verified/s (tree 2^20, {}-hash proofs): {rate:.0}",
        cases[0].2.len()
    );
}
