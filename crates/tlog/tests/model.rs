//! Property tests: roots and proofs from stored hashes agree with a naive
//! recursive model of RFC 6962, verify, and fail when mutated.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use signet_tlog::hash::{Hash, empty_root, leaf_hash, node_hash};
use signet_tlog::tree::MemoryTree;
use signet_tlog::verify;

/// MTH straight from the RFC's definition, over leaf hashes.
fn naive_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
        }
    }
}

fn naive_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
    if m < k {
        let mut p = naive_path(m, &leaves[..k]);
        p.push(naive_root(&leaves[k..]));
        p
    } else {
        let mut p = naive_path(m - k, &leaves[k..]);
        p.push(naive_root(&leaves[..k]));
        p
    }
}

fn build(n: usize) -> (MemoryTree, Vec<Hash>) {
    let leaves: Vec<Hash> = (0..n)
        .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
        .collect();
    let mut t = MemoryTree::default();
    for l in &leaves {
        t.push(*l);
    }
    (t, leaves)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn roots_match_the_model(n in 0usize..600, cut in 0usize..600) {
        let (t, leaves) = build(n);
        let size = cut.min(n);
        prop_assert_eq!(t.root(size as u64).unwrap(), naive_root(&leaves[..size]));
    }

    #[test]
    fn inclusion_proofs_verify_and_match(n in 1usize..600, i in 0usize..600, flip in 0usize..64) {
        let (t, leaves) = build(n);
        let i = i % n;
        let size = n as u64;
        let proof = t.inclusion_proof(i as u64, size).unwrap();
        prop_assert_eq!(&proof, &naive_path(i, &leaves));
        let root = t.root(size).unwrap();
        prop_assert!(verify::inclusion(i as u64, size, &leaves[i], &proof, &root).is_ok());
        // Any single-bit change, a wrong index or a wrong leaf fails.
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let j = flip % bad.len();
            bad[j].0[flip % 32] ^= 1;
            prop_assert!(verify::inclusion(i as u64, size, &leaves[i], &bad, &root).is_err());
        }
        if n > 1 {
            let other = (i + 1) % n;
            prop_assert!(verify::inclusion(other as u64, size, &leaves[i], &proof, &root).is_err());
            prop_assert!(verify::inclusion(i as u64, size, &leaves[other], &proof, &root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify(n in 2usize..600, a in 1usize..600, flip in 0usize..64) {
        let (t, _) = build(n);
        let old = (a % (n - 1)) as u64 + 1;
        let new = n as u64;
        let proof = t.consistency_proof(old, new).unwrap();
        let (r1, r2) = (t.root(old).unwrap(), t.root(new).unwrap());
        prop_assert!(verify::consistency(old, new, &proof, &r1, &r2).is_ok());
        if old < new {
            let mut bad = proof.clone();
            let j = flip % bad.len();
            bad[j].0[flip % 32] ^= 0x80;
            prop_assert!(verify::consistency(old, new, &bad, &r1, &r2).is_err());
            prop_assert!(verify::consistency(old, new, &proof, &r2, &r1).is_err());
        }
        // Historic proofs: also from any smaller size to any intermediate size.
        let mid = old + (new - old) / 2;
        let p = t.consistency_proof(old, mid).unwrap();
        prop_assert!(verify::consistency(old, mid, &p, &r1, &t.root(mid).unwrap()).is_ok());
    }
}
