//! Building roots and proofs from stored node hashes, following the
//! recursive definitions of RFC 6962 §2.1 (MTH, PATH, PROOF/SUBPROOF).
//!
//! A log stores the hashes of *complete* subtrees only (that is what tiles
//! hold); every other hash is recomputed. [`HashReader`] is the one thing a
//! store must provide.

use crate::hash::{Hash, empty_root, node_hash};
use crate::{Error, Result};

/// Access to stored complete-subtree hashes.
pub trait HashReader {
    /// The hash of the complete subtree at `level` covering leaves
    /// `[index·2^level, (index+1)·2^level)`.
    fn node(&self, level: u8, index: u64) -> Result<Hash>;
}

/// The largest power of two strictly below `n` (`n > 1`).
fn split(n: u64) -> u64 {
    debug_assert!(n > 1);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[start:end])` for `start < end`.
pub fn subtree_root(r: &impl HashReader, start: u64, end: u64) -> Result<Hash> {
    let n = end - start;
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return r.node(n.trailing_zeros() as u8, start / n);
    }
    let k = split(n);
    Ok(node_hash(
        &subtree_root(r, start, start + k)?,
        &subtree_root(r, start + k, end)?,
    ))
}

/// The root of the tree of the first `size` leaves.
pub fn root(r: &impl HashReader, size: u64) -> Result<Hash> {
    if size == 0 {
        Ok(empty_root())
    } else {
        subtree_root(r, 0, size)
    }
}

/// The audit path for leaf `index` in the tree of size `size`, ordered from
/// the leaf's sibling up to the root's child.
pub fn inclusion_proof(r: &impl HashReader, index: u64, size: u64) -> Result<Vec<Hash>> {
    if index >= size {
        return Err(Error::OutOfRange { index, size });
    }
    let mut out = Vec::with_capacity(64);
    path(r, index, 0, size, &mut out)?;
    Ok(out)
}

fn path(r: &impl HashReader, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) -> Result<()> {
    if end - start == 1 {
        return Ok(());
    }
    let k = split(end - start);
    if m < start + k {
        path(r, m, start, start + k, out)?;
        out.push(subtree_root(r, start + k, end)?);
    } else {
        path(r, m, start + k, end, out)?;
        out.push(subtree_root(r, start, start + k)?);
    }
    Ok(())
}

/// The consistency proof between the trees of sizes `old` and `new`
/// (empty when `old == new` or `old == 0`).
pub fn consistency_proof(r: &impl HashReader, old: u64, new: u64) -> Result<Vec<Hash>> {
    if old > new {
        return Err(Error::OutOfRange {
            index: old,
            size: new,
        });
    }
    let mut out = Vec::with_capacity(64);
    if old > 0 && old < new {
        subproof(r, old, 0, new, true, &mut out)?;
    }
    Ok(out)
}

fn subproof(
    r: &impl HashReader,
    m: u64,
    start: u64,
    end: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<()> {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(subtree_root(r, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(r, m, start, start + k, whole, out)?;
        out.push(subtree_root(r, start + k, end)?);
    } else {
        subproof(r, m - k, start + k, end, false, out)?;
        out.push(subtree_root(r, start, start + k)?);
    }
    Ok(())
}

/// A whole tree in memory: `levels[l][i]` is the complete subtree at level
/// `l`, index `i`. Used by tests, tools and the sequencer's working state.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// Appends a leaf hash, completing any subtrees it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut h = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(h);
            let len = self.levels[level].len();
            if len % 2 == 1 {
                break;
            }
            h = node_hash(&self.levels[level][len - 2], &self.levels[level][len - 1]);
            level += 1;
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The stored hashes of one level.
    pub fn level(&self, level: u8) -> &[Hash] {
        self.levels
            .get(level as usize)
            .map_or(&[], |v| v.as_slice())
    }

    /// Root of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash> {
        root(self, size)
    }

    /// Inclusion proof for `index` in the tree of size `size`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        inclusion_proof(self, index, size)
    }

    /// Consistency proof from `old` to `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        consistency_proof(self, old, new)
    }
}

impl HashReader for MemoryTree {
    fn node(&self, level: u8, index: u64) -> Result<Hash> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(usize::try_from(index).ok()?))
            .copied()
            .ok_or(Error::MissingHash { level, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn rfc6962_reference_root() {
        // transparency-dev/merkle testonly: the eight reference leaves.
        let leaves: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[
                0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                0x6e, 0x6f,
            ],
        ];
        let mut t = MemoryTree::default();
        for l in leaves {
            t.push(leaf_hash(l));
        }
        assert_eq!(
            t.root(8).unwrap().to_hex(),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
        assert_eq!(t.root(0).unwrap(), empty_root());
        assert!(t.inclusion_proof(8, 8).is_err());
    }
}
