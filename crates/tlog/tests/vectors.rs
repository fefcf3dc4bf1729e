//! transparency-dev/merkle proof vectors (shared/vectors/merkle/testdata):
//! every happy case passes, every mutated case fails.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde::Deserialize;
use signet_tlog::{Hash, verify};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/vectors/merkle/testdata"
);

fn hash(s: &str) -> Option<Hash> {
    Hash::from_base64(s)
}

/// Roots in a few vectors are placeholders that are not 32 bytes ("don't
/// care"); they matter only through equality, which a stand-in hash of their
/// bytes preserves. Anything that is not base64 stays an error.
fn root(s: &str) -> Option<Hash> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    Hash::from_slice(&bytes).or_else(|| Some(signet_tlog::hash::leaf_hash(&bytes)))
}

fn size(n: &serde_json::Number) -> Result<u64, &'static str> {
    n.as_u64().ok_or("negative or fractional size")
}

fn hashes(v: &Option<Vec<String>>) -> Option<Vec<Hash>> {
    v.as_deref()
        .unwrap_or_default()
        .iter()
        .map(|s| hash(s))
        .collect()
}

fn files(sub: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(DIR).join(sub)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inclusion {
    leaf_idx: serde_json::Number,
    tree_size: serde_json::Number,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    want_err: bool,
}

#[test]
fn inclusion_vectors() {
    let (mut pass, mut fail) = (0, 0);
    for path in files("inclusion") {
        let v: Inclusion = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let result = (|| {
            let idx = size(&v.leaf_idx)?;
            let size = size(&v.tree_size)?;
            let root = root(&v.root).ok_or("bad root")?;
            let leaf = hash(&v.leaf_hash).ok_or("bad leaf")?;
            let proof = hashes(&v.proof).ok_or("bad proof hash")?;
            verify::inclusion(idx, size, &leaf, &proof, &root).map_err(|_| "does not verify")
        })();
        assert_eq!(
            result.is_err(),
            v.want_err,
            "{}: {result:?}",
            path.display()
        );
        if v.want_err { fail += 1 } else { pass += 1 }
    }
    assert!(
        pass >= 5 && fail >= 50,
        "{pass} happy, {fail} failing cases"
    );
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consistency {
    size1: serde_json::Number,
    size2: serde_json::Number,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    want_err: bool,
}

#[test]
fn consistency_vectors() {
    let (mut pass, mut fail) = (0, 0);
    for path in files("consistency") {
        let v: Consistency = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let result = (|| {
            let s1 = size(&v.size1)?;
            let s2 = size(&v.size2)?;
            let r1 = root(&v.root1).ok_or("bad root1")?;
            let r2 = root(&v.root2).ok_or("bad root2")?;
            let proof = hashes(&v.proof).ok_or("bad proof hash")?;
            verify::consistency(s1, s2, &proof, &r1, &r2).map_err(|_| "does not verify")
        })();
        assert_eq!(
            result.is_err(),
            v.want_err,
            "{}: {result:?}",
            path.display()
        );
        if v.want_err { fail += 1 } else { pass += 1 }
    }
    assert!(
        pass >= 5 && fail >= 50,
        "{pass} happy, {fail} failing cases"
    );
}
