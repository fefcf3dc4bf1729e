//! `signet log fsck`: re-derives every leaf hash, tile, entry bundle and
//! the root from the stored entries and reports any difference.

use anyhow::{Result, bail};
use signet_tlog::checkpoint::Checkpoint;
use signet_tlog::hash::leaf_hash;
use signet_tlog::tile::{TileId, encode_entries};
use signet_tlog::tree::MemoryTree;

use super::checkpoint_size;
use super::db::Db;
use super::tiles::TileStore;
use crate::Config;

/// What fsck found.
#[derive(Debug, Default)]
pub struct FsckReport {
    /// Published tree size.
    pub size: u64,
    /// Entries sequenced beyond the published size (not an error).
    pub pending: u64,
    /// Tiles and bundles checked.
    pub tiles_checked: u64,
    /// Damage found; empty when the log is sound.
    pub problems: Vec<String>,
}

/// Checks the log that `config` names (database and tile storage URLs, or
/// the embedded default under its data dir). Reads only.
pub async fn fsck(config: &Config) -> Result<FsckReport> {
    let url = config.log_db_url();
    if let Some(path) = url.strip_prefix("sqlite://")
        && !std::path::Path::new(path).exists()
    {
        bail!("no log database at {path}");
    }
    let db = Db::open(&url).await?;
    let tiles = TileStore::open(config)?;
    let Some((size, root, note)) = db.state().await? else {
        bail!("the log database has no checkpoint");
    };
    let mut report = FsckReport {
        size,
        ..Default::default()
    };
    let mut tree = MemoryTree::default();
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    let mut next = 0u64;
    loop {
        let rows = db.leaves_from(next, 65_536).await?;
        if rows.is_empty() {
            break;
        }
        for (idx, leaf, body) in rows {
            if idx != next {
                report
                    .problems
                    .push(format!("entry index gap: expected {next}, found {idx}"));
            }
            if leaf_hash(&body) != leaf {
                report.problems.push(format!(
                    "entry {idx}: stored leaf hash does not match its body"
                ));
            }
            if idx < size {
                tree.push(leaf);
                bodies.push(body);
            } else {
                report.pending += 1;
            }
            next = idx + 1;
        }
    }
    if tree.size() < size {
        report.problems.push(format!(
            "checkpoint size {size} but only {} entries stored",
            tree.size()
        ));
        return Ok(report);
    }
    match tree.root(size) {
        Ok(r) if r == root => {}
        Ok(r) => report.problems.push(format!(
            "stored root {} but entries give {}",
            root.to_hex(),
            r.to_hex()
        )),
        Err(e) => report.problems.push(format!("cannot compute root: {e}")),
    }
    for id in TileId::new_tiles(0, size) {
        report.tiles_checked += 1;
        let want = id.hashes(&tree)?;
        match tiles.get(&id.path()).await? {
            Some(got) if got == want => {}
            Some(_) => report
                .problems
                .push(format!("{} differs from the entries", id.path())),
            None => report.problems.push(format!("{} is missing", id.path())),
        }
        if id.level == 0 {
            let start = usize::try_from(id.index * 256)?;
            let want = encode_entries(&bodies[start..start + usize::from(id.width)])?;
            match tiles.get(&id.entries_path()).await? {
                Some(got) if got == want => {}
                Some(_) => report
                    .problems
                    .push(format!("{} differs from the entries", id.entries_path())),
                None => report
                    .problems
                    .push(format!("{} is missing", id.entries_path())),
            }
        }
    }
    match tiles.get("checkpoint").await? {
        Some(c) if c == note.as_bytes() => {}
        Some(c) if checkpoint_size(&c).is_some_and(|s| s > size) => report.problems.push(
            "the public checkpoint is ahead of the database (a rollback of the database?)".into(),
        ),
        // Behind or re-signed: the next integration rewrites it.
        Some(_) => report
            .problems
            .push("the checkpoint file differs from the database".into()),
        None => report
            .problems
            .push("the checkpoint file is missing".into()),
    }
    match signet_tlog::note::Note::parse(&note).and_then(|n| Checkpoint::parse(&n.text)) {
        Ok(cp) if cp.size == size && cp.root == root => {}
        Ok(_) => report
            .problems
            .push("the signed checkpoint disagrees with the stored size/root".into()),
        Err(e) => report
            .problems
            .push(format!("the stored checkpoint is malformed: {e}")),
    }
    Ok(report)
}
