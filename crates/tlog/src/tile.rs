//! tlog-tiles (`c2sp.org/tlog-tiles`): tile coordinates and paths, tile
//! contents, a [`HashReader`] over tiles, and entry bundles.
//!
//! A tile at level `L`, index `N` holds up to 256 hashes of the tree nodes at
//! height `8·L` with indexes `N·256 ..`; a partial tile of width `W` holds the
//! first `W`. Node hashes at other heights are recomputed from the tile below.

use crate::hash::{Hash, node_hash};
use crate::tree::HashReader;
use crate::{Error, Result};

/// Hashes per full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels per tile level.
pub const TILE_HEIGHT: u8 = 8;

/// One tile (or entry bundle) coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Tile level (0 = leaf hashes).
    pub level: u8,
    /// Tile index within the level.
    pub index: u64,
    /// Number of hashes (1..=256; 256 = full).
    pub width: u16,
}

fn encode_index(mut n: u64) -> String {
    let mut groups = Vec::new();
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let last = groups.len() - 1;
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, g)| {
            if i < last {
                format!("x{g:03}")
            } else {
                format!("{g:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn parse_index(parts: &[&str]) -> Result<u64> {
    let bad = || Error::Tile("bad tile index".into());
    let (last, init) = parts.split_last().ok_or_else(bad)?;
    let mut n: u64 = 0;
    for (i, p) in init.iter().chain(std::iter::once(last)).enumerate() {
        let digits = if i < init.len() {
            p.strip_prefix('x').ok_or_else(bad)?
        } else {
            p
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let g: u64 = digits.parse().map_err(|_| bad())?;
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(g))
            .ok_or_else(bad)?;
    }
    Ok(n)
}

impl TileId {
    /// The path below the log prefix: `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, self.index_path())
    }

    /// The entry-bundle path for a level-0 tile: `tile/entries/<N>[.p/<W>]`.
    pub fn entries_path(&self) -> String {
        format!("tile/entries/{}", self.index_path())
    }

    fn index_path(&self) -> String {
        let mut p = encode_index(self.index);
        if u64::from(self.width) < TILE_WIDTH {
            p.push_str(&format!(".p/{}", self.width));
        }
        p
    }

    /// Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`;
    /// returns the id and whether it names an entry bundle.
    pub fn parse_path(path: &str) -> Result<(Self, bool)> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| Error::Tile("path must start with tile/".into()))?;
        let (first, rest) = rest
            .split_once('/')
            .ok_or_else(|| Error::Tile("missing tile level".into()))?;
        let (level, entries) = if first == "entries" {
            (0, true)
        } else {
            if first.is_empty() || (first.len() > 1 && first.starts_with('0')) {
                return Err(Error::Tile("bad tile level".into()));
            }
            let l: u8 = first
                .parse()
                .map_err(|_| Error::Tile("bad tile level".into()))?;
            if l > 63 {
                return Err(Error::Tile("tile level above 63".into()));
            }
            (l, false)
        };
        let mut parts: Vec<&str> = rest.split('/').collect();
        let mut width = TILE_WIDTH as u16;
        if parts.len() >= 2
            && let Some(last_index) = parts[parts.len() - 2].strip_suffix(".p")
        {
            let w = parts[parts.len() - 1];
            if w.is_empty() || w.starts_with('0') {
                return Err(Error::Tile("bad partial width".into()));
            }
            width = w
                .parse()
                .map_err(|_| Error::Tile("bad partial width".into()))?;
            if width == 0 || u64::from(width) >= TILE_WIDTH {
                return Err(Error::Tile("partial width must be 1..255".into()));
            }
            let n = parts.len();
            parts[n - 2] = last_index;
            parts.truncate(n - 1);
        }
        let index = parse_index(&parts)?;
        Ok((
            Self {
                level,
                index,
                width,
            },
            entries,
        ))
    }

    /// The tiles at `level` for a tree of `size` leaves: full tiles plus a
    /// partial one if the level has a remainder.
    pub fn count_at(level: u8, size: u64) -> (u64, u16) {
        let nodes = size >> (u32::from(TILE_HEIGHT) * u32::from(level));
        (nodes / TILE_WIDTH, (nodes % TILE_WIDTH) as u16)
    }

    /// Tiles that exist for a tree of `new` leaves but not (in this exact
    /// width) for `old`: what a writer must store after growing the tree.
    pub fn new_tiles(old: u64, new: u64) -> Vec<Self> {
        let mut out = Vec::new();
        for level in 0..=63u8 {
            let (full_new, part_new) = Self::count_at(level, new);
            if full_new == 0 && part_new == 0 {
                break;
            }
            let (full_old, part_old) = Self::count_at(level, old);
            for index in full_old..full_new {
                out.push(Self {
                    level,
                    index,
                    width: TILE_WIDTH as u16,
                });
            }
            if part_new > 0 && !(full_old == full_new && part_old == part_new) {
                out.push(Self {
                    level,
                    index: full_new,
                    width: part_new,
                });
            }
        }
        out
    }

    /// Reads this tile's hashes from stored node hashes.
    pub fn hashes(&self, r: &impl HashReader) -> Result<Vec<u8>> {
        let height = self.level * TILE_HEIGHT;
        let mut out = Vec::with_capacity(usize::from(self.width) * 32);
        for i in 0..u64::from(self.width) {
            out.extend_from_slice(&r.node(height, self.index * TILE_WIDTH + i)?.0);
        }
        Ok(out)
    }
}

/// A [`HashReader`] over stored tiles for a tree of known size. `fetch`
/// returns a tile's bytes (the store's I/O lives there).
pub struct TileReader<F> {
    size: u64,
    fetch: F,
}

impl<F: Fn(TileId) -> Result<Vec<u8>>> TileReader<F> {
    /// Reads node hashes of the tree of `size` leaves from tiles.
    pub fn new(size: u64, fetch: F) -> Self {
        Self { size, fetch }
    }
}

impl<F: Fn(TileId) -> Result<Vec<u8>>> HashReader for TileReader<F> {
    fn node(&self, level: u8, index: u64) -> Result<Hash> {
        let missing = || Error::MissingHash { level, index };
        let tile_level = level / TILE_HEIGHT;
        let sub = u32::from(level % TILE_HEIGHT);
        // The node covers `1 << sub` consecutive hashes of its tile level.
        let first = index.checked_mul(1u64 << sub).ok_or_else(missing)?;
        let tile_index = first / TILE_WIDTH;
        let (full, partial) = TileId::count_at(tile_level, self.size);
        let width = if tile_index < full {
            TILE_WIDTH as u16
        } else if tile_index == full && partial > 0 {
            partial
        } else {
            return Err(missing());
        };
        let start = (first % TILE_WIDTH) as usize;
        let count = 1usize << sub;
        if start + count > usize::from(width) {
            return Err(missing());
        }
        let data = (self.fetch)(TileId {
            level: tile_level,
            index: tile_index,
            width,
        })?;
        if data.len() != usize::from(width) * 32 {
            return Err(Error::Tile(format!(
                "tile {} has {} bytes, expected {}",
                TileId {
                    level: tile_level,
                    index: tile_index,
                    width
                }
                .path(),
                data.len(),
                usize::from(width) * 32
            )));
        }
        let mut layer: Vec<Hash> = data[start * 32..(start + count) * 32]
            .chunks_exact(32)
            .filter_map(Hash::from_slice)
            .collect();
        while layer.len() > 1 {
            layer = layer
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
        }
        layer.pop().ok_or_else(missing)
    }
}

/// Encodes an entry bundle: each entry as a big-endian u16 length and bytes.
pub fn encode_entries<T: AsRef<[u8]>>(entries: &[T]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        let e = e.as_ref();
        let len = u16::try_from(e.len())
            .map_err(|_| Error::Tile(format!("entry of {} bytes exceeds 65535", e.len())))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decodes an entry bundle.
pub fn decode_entries(mut bytes: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let [a, b, rest @ ..] = bytes else {
            return Err(Error::Tile("truncated entry length".into()));
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if rest.len() < len {
            return Err(Error::Tile("truncated entry".into()));
        }
        out.push(&rest[..len]);
        bytes = &rest[len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::{self, MemoryTree};

    #[test]
    fn paths() {
        let t = TileId {
            level: 1,
            index: 1_234_067,
            width: 256,
        };
        assert_eq!(t.path(), "tile/1/x001/x234/067");
        let p = TileId {
            level: 0,
            index: 5,
            width: 17,
        };
        assert_eq!(p.path(), "tile/0/005.p/17");
        assert_eq!(p.entries_path(), "tile/entries/005.p/17");
        for id in [t, p] {
            assert_eq!(TileId::parse_path(&id.path()).unwrap(), (id, false));
            assert!(TileId::parse_path(&id.entries_path()).unwrap().1);
        }
        for bad in [
            "tile/0/5",
            "tile/01/005",
            "tile/0/x005",
            "tile/0/005.p/0",
            "tile/0/005.p/256",
            "tile/64/000",
            "tile/0/x1/000",
            "tiles/0/000",
            "tile/0/005.p/",
        ] {
            assert!(TileId::parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spec_worked_example_70000() {
        // c2sp tlog-tiles: size 70,000 has 273 full level-0 tiles and .p/112,
        // one full level-1 tile and .p/17, and level 2 .p/1.
        assert_eq!(TileId::count_at(0, 70_000), (273, 112));
        assert_eq!(TileId::count_at(1, 70_000), (1, 17));
        assert_eq!(TileId::count_at(2, 70_000), (0, 1));
        assert_eq!(TileId::count_at(3, 70_000), (0, 0));
    }

    #[test]
    fn tile_reader_reproduces_roots_and_proofs() {
        let mut t = MemoryTree::default();
        let n = 70_000u64;
        for i in 0..n {
            t.push(leaf_hash(&i.to_be_bytes()));
        }
        let mut store = std::collections::HashMap::new();
        for id in TileId::new_tiles(0, 1000)
            .into_iter()
            .chain(TileId::new_tiles(1000, n))
        {
            store.insert(id, id.hashes(&t).unwrap());
        }
        let reader = TileReader::new(n, |id| {
            store
                .get(&id)
                .cloned()
                .ok_or(Error::Tile(format!("no {}", id.path())))
        });
        assert_eq!(tree::root(&reader, n).unwrap(), t.root(n).unwrap());
        for i in [0, 255, 256, 65_535, 65_536, 69_999] {
            assert_eq!(
                tree::inclusion_proof(&reader, i, n).unwrap(),
                t.inclusion_proof(i, n).unwrap()
            );
        }
        assert_eq!(
            tree::consistency_proof(&reader, 1000, n).unwrap(),
            t.consistency_proof(1000, n).unwrap()
        );
    }

    #[test]
    fn entry_bundles() {
        let b = encode_entries(&[b"one".as_slice(), b"", b"three"]).unwrap();
        assert_eq!(
            decode_entries(&b).unwrap(),
            vec![b"one".as_slice(), b"", b"three"]
        );
        assert!(decode_entries(&b[..b.len() - 1]).is_err());
        assert!(decode_entries(&[0]).is_err());
        assert!(encode_entries(&[vec![0u8; 65_536]]).is_err());
    }
}
