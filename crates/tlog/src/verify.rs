//! Proof verification as specified in RFC 9162 §2.1.3.2 (inclusion) and
//! §2.1.4.2 (consistency).

use crate::hash::{Hash, node_hash};
use crate::{Error, Result};

/// Longest proof accepted (a tree of 2^63 leaves needs 63 hashes).
pub const MAX_PROOF_LEN: usize = 63;

/// Checks that `leaf` is at `index` in the tree of `size` with `root`.
pub fn inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<()> {
    let computed = root_from_inclusion(index, size, leaf, proof)?;
    if &computed != root {
        return Err(Error::InclusionProof("computed root differs"));
    }
    Ok(())
}

/// The root an inclusion proof leads to.
pub fn root_from_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash]) -> Result<Hash> {
    if index >= size {
        return Err(Error::InclusionProof("index beyond tree size"));
    }
    if proof.len() > MAX_PROOF_LEN {
        return Err(Error::InclusionProof("proof too long"));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(Error::InclusionProof("proof too long for the tree"));
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(Error::InclusionProof("proof too short for the tree"));
    }
    Ok(r)
}

/// Checks that the tree of size `size1` with `root1` is a prefix of the tree
/// of size `size2` with `root2`. A consistency check from size 0 is refused
/// as meaningless (every tree extends the empty one).
pub fn consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<()> {
    if size1 == 0 {
        return Err(Error::ConsistencyProof("size 0 has no meaningful proof"));
    }
    if size1 > size2 {
        return Err(Error::ConsistencyProof("first tree is larger than second"));
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(Error::ConsistencyProof("equal sizes need an empty proof"));
        }
        if root1 != root2 {
            return Err(Error::ConsistencyProof("equal sizes with different roots"));
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(Error::ConsistencyProof("empty proof"));
    }
    if proof.len() > MAX_PROOF_LEN + 1 {
        return Err(Error::ConsistencyProof("proof too long"));
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(*root1);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (size1 - 1, size2 - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(Error::ConsistencyProof("proof too long for the trees"));
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(Error::ConsistencyProof("proof too short for the trees"));
    }
    if &fr != root1 {
        return Err(Error::ConsistencyProof("first root differs"));
    }
    if &sr != root2 {
        return Err(Error::ConsistencyProof("second root differs"));
    }
    Ok(())
}
