//! The transparency log service: one sequencer task (batches submissions
//! into one database transaction each, so an index is acknowledged only
//! once it is durable) and one integrator task (builds tiles and entry
//! bundles from sequenced entries, signs a checkpoint, commits it with a
//! compare-and-swap on the stored tree size, then publishes it).
//!
//! Backends by URL: SQLite + a local directory (one process), or
//! PostgreSQL + S3, where any number of replicas write: sequencing is
//! serialized by the database, one replica at a time holds the integration
//! lease, and every replica picks up checkpoints the others committed.

mod db;
mod fsck;
mod keys;
mod tiles;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::{KeyAlgorithm, Message, PrivateKey, PublicKey};
use signet_tlog::checkpoint::Checkpoint;
use signet_tlog::hash::{Hash, leaf_hash, node_hash};
use signet_tlog::note::Signer;
use signet_tlog::tile::{TileId, TileReader, encode_entries};
use signet_tlog::tree::{self, HashReader};
use tokio::sync::{mpsc, oneshot, watch};

pub use db::StoredEntry;
pub use fsck::{FsckReport, fsck};
pub(crate) use keys::write_secret;
pub use tiles::{TileDir, TileStore};

use crate::Config;

/// An entry ready to be sequenced (already validated).
#[derive(Debug, Clone)]
pub struct Submission {
    /// Canonical body (the leaf data).
    pub body: Vec<u8>,
    /// `kind/version`, e.g. `hashedrekord/0.0.1`.
    pub kind_version: String,
    /// `sha256:<hex>` of the artifact, for search.
    pub artifact: Option<String>,
    /// Hex SHA-256 of the signer's DER SPKI, for search.
    pub key_fingerprint: Option<String>,
}

/// Where a submission landed.
#[derive(Debug, Clone, Copy)]
pub struct Sequenced {
    /// Log index.
    pub index: u64,
    /// Unix seconds when it was sequenced.
    pub integrated_time: i64,
    /// Whether the same body was already in the log.
    pub duplicate: bool,
}

/// The latest published checkpoint.
#[derive(Debug, Clone)]
pub struct Published {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// The signed checkpoint note.
    pub note: Arc<str>,
    /// Inclusion proofs, against this checkpoint, of the entries it added
    /// (computed while integrating, so writers need not rebuild them).
    pub proofs: Arc<HashMap<u64, Vec<Hash>>>,
}

impl Published {
    /// The inclusion proof of `index` in this checkpoint, from the batch
    /// cache or else from tiles.
    pub async fn proof(&self, log: &Log, index: u64) -> Result<Vec<Hash>> {
        match self.proofs.get(&index) {
            Some(p) => Ok(p.clone()),
            None => log.inclusion_proof(index, self.size).await,
        }
    }
}

/// Why a submission was not sequenced.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Too many submissions are waiting: retry later.
    #[error("the log is overloaded; retry later")]
    Overloaded,
    /// The log is shutting down or failed.
    #[error("the log is unavailable: {0}")]
    Unavailable(String),
}

type Reply = oneshot::Sender<std::result::Result<Sequenced, String>>;

struct Inner {
    origin: String,
    log_id: [u8; 32],
    log_id_hex: String,
    db: db::Db,
    tiles: TileStore,
    ecdsa: PrivateKey,
    note_signers: Vec<Signer>,
    submit: mpsc::Sender<(Submission, Reply)>,
    published: watch::Receiver<Published>,
    public_url: Option<String>,
    max_body: usize,
    stop: watch::Sender<bool>,
    tasks: tokio::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// A handle on the running log (cheap to clone).
#[derive(Clone)]
pub struct Log(Arc<Inner>);

impl Log {
    /// Opens (creating on first start) the log under the data dir and starts
    /// its sequencer and integrator.
    pub async fn open(config: &Config) -> Result<Self> {
        let db = db::Db::open(&config.log_db_url()).await?;
        let password = keys::password(
            &config.data_dir,
            config.log_key_password.as_deref(),
            db.shared(),
        )?;
        let legacy = |name: &str| Some(config.data_dir.join(name)).filter(|_| !db.shared());
        let ecdsa = keys::load_or_create(
            &db,
            "ecdsa",
            KeyAlgorithm::EcdsaP256,
            &password,
            legacy("log-ecdsa.key").as_deref(),
        )
        .await?;
        let ed25519 = keys::load_or_create(
            &db,
            "ed25519",
            KeyAlgorithm::Ed25519,
            &password,
            legacy("log-ed25519.key").as_deref(),
        )
        .await?;
        drop(password);
        let origin = config.log_origin.clone();
        let note_signers = vec![
            Signer::new(&origin, ecdsa_clone(&ecdsa)?).map_err(|e| anyhow!("{e}"))?,
            Signer::new(&origin, ed25519).map_err(|e| anyhow!("{e}"))?,
        ];
        let tiles = TileStore::open(config)?;

        if db.state().await?.is_none() {
            let cp = Checkpoint::new(&origin, 0, signet_tlog::hash::empty_root());
            let refs: Vec<&Signer> = note_signers.iter().collect();
            let note = cp.sign(&refs).map_err(|e| anyhow!("{e}"))?;
            db.init_state(&cp.root, &note).await?;
        }
        // Another replica may have initialised it first: read what won.
        let (size, root, note) = db
            .state()
            .await?
            .context("the log database has no checkpoint row")?;
        let published = Published {
            size,
            root,
            note: note.into(),
            proofs: Arc::default(),
        };
        // The checkpoint object may lag the database after a crash.
        if let Some(lease) = db.try_lease().await? {
            let synced = sync_checkpoint_object(&tiles, size, &published.note).await;
            lease.release().await;
            synced?;
        }

        let (pub_tx, pub_rx) = watch::channel(published);
        let (submit_tx, submit_rx) = mpsc::channel(config.log_max_pending.max(1));
        let (stop_tx, stop_rx) = watch::channel(false);
        let log_id = signet_crypto::digest::sha256_concat(&[ecdsa.public_key().spki_der()]);
        let log = Self(Arc::new(Inner {
            origin,
            log_id,
            log_id_hex: hex(&log_id),
            db,
            tiles,
            ecdsa,
            note_signers,
            submit: submit_tx,
            published: pub_rx,
            public_url: config.public_url.clone(),
            max_body: config.log_max_body,
            stop: stop_tx,
            tasks: tokio::sync::Mutex::new(Vec::new()),
        }));
        let seq = tokio::spawn(sequencer(log.clone(), submit_rx));
        let interval = Duration::from_millis(config.log_checkpoint_ms.clamp(10, 1000));
        let int = tokio::spawn(integrator(log.clone(), pub_tx, interval, stop_rx));
        log.0.tasks.lock().await.extend([seq, int]);
        Ok(log)
    }

    /// Stops the background tasks after a final integration.
    pub async fn shutdown(&self) {
        let _ = self.0.stop.send(true);
        let tasks: Vec<_> = self.0.tasks.lock().await.drain(..).collect();
        for t in tasks {
            t.abort();
            let _ = t.await;
        }
    }

    /// Whether the log's database answers.
    pub async fn ready(&self) -> Result<()> {
        self.0.db.state().await.map(|_| ())
    }

    /// The log origin.
    pub fn origin(&self) -> &str {
        &self.0.origin
    }

    /// Largest accepted body.
    pub fn max_body(&self) -> usize {
        self.0.max_body
    }

    /// Public base URL (for trusted_root.json), if configured.
    pub fn public_url(&self) -> Option<&str> {
        self.0.public_url.as_deref()
    }

    /// The log's public key (SETs and checkpoints).
    pub fn public_key(&self) -> &PublicKey {
        self.0.ecdsa.public_key()
    }

    /// Rekor v1 log ID: SHA-256 of the DER SPKI.
    pub fn log_id(&self) -> [u8; 32] {
        self.0.log_id
    }

    /// [`Self::log_id`] in lowercase hex.
    pub fn log_id_hex(&self) -> &str {
        &self.0.log_id_hex
    }

    /// The note verifier keys (ECDSA and Ed25519) as vkeys.
    pub fn vkeys(&self) -> Vec<String> {
        self.0
            .note_signers
            .iter()
            .map(|s| s.verifier().to_vkey())
            .collect()
    }

    /// The latest published checkpoint.
    pub fn published(&self) -> Published {
        self.0.published.borrow().clone()
    }

    /// The tile store (static read path).
    pub fn tiles(&self) -> &TileStore {
        &self.0.tiles
    }

    /// Queues a submission and waits until it is durably sequenced.
    pub async fn submit(&self, s: Submission) -> std::result::Result<Sequenced, SubmitError> {
        let (tx, rx) = oneshot::channel();
        self.0.submit.try_send((s, tx)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SubmitError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => {
                SubmitError::Unavailable("sequencer stopped".into())
            }
        })?;
        rx.await
            .map_err(|_| SubmitError::Unavailable("sequencer stopped".into()))?
            .map_err(SubmitError::Unavailable)
    }

    /// Waits until a published checkpoint covers `index`.
    pub async fn wait_for(&self, index: u64, timeout: Duration) -> Result<Published> {
        let mut rx = self.0.published.clone();
        let fut = rx.wait_for(|p| p.size > index);
        match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(p)) => Ok(p.clone()),
            Ok(Err(_)) => bail!("the log stopped"),
            Err(_) => bail!("timed out waiting for a checkpoint covering index {index}"),
        }
    }

    /// The signed entry timestamp (Rekor v1 SET) for an entry.
    pub fn set(&self, body: &[u8], integrated_time: i64, index: u64) -> Result<Vec<u8>> {
        let payload = signet_types::rekor::set_payload(
            body,
            integrated_time,
            self.log_id_hex(),
            i64::try_from(index)?,
        )?;
        Ok(self.0.ecdsa.sign(&Message::Raw(&payload))?)
    }

    /// Inclusion proof of `index` in the tree of `size`, read from tiles.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        let tiles = self.0.tiles.clone();
        tokio::task::spawn_blocking(move || {
            let reader = store_reader(&tiles, size);
            tree::inclusion_proof(&reader, index, size).map_err(|e| anyhow!("{e}"))
        })
        .await?
    }

    /// Consistency proof between two published sizes, read from tiles.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        let tiles = self.0.tiles.clone();
        tokio::task::spawn_blocking(move || {
            let reader = store_reader(&tiles, new);
            tree::consistency_proof(&reader, old, new).map_err(|e| anyhow!("{e}"))
        })
        .await?
    }

    /// Root hash of the tree of `size` (≤ the published size), from tiles.
    pub async fn root_at(&self, size: u64) -> Result<Hash> {
        let tiles = self.0.tiles.clone();
        tokio::task::spawn_blocking(move || {
            let reader = store_reader(&tiles, size);
            tree::root(&reader, size).map_err(|e| anyhow!("{e}"))
        })
        .await?
    }

    /// An entry by index.
    pub async fn entry(&self, index: u64) -> Result<Option<StoredEntry>> {
        self.0.db.entry_by_index(index).await
    }

    /// An entry by leaf hash.
    pub async fn entry_by_leaf(&self, leaf: &Hash) -> Result<Option<StoredEntry>> {
        self.0.db.entry_by_leaf(leaf).await
    }

    /// Leaf hashes of entries matching an artifact digest or key fingerprint.
    pub async fn search(&self, artifact: Option<&str>, key: Option<&str>) -> Result<Vec<Hash>> {
        self.0.db.search(artifact, key).await
    }
}

fn ecdsa_clone(k: &PrivateKey) -> Result<PrivateKey> {
    Ok(PrivateKey::from_pkcs8_der(k.pkcs8_der())?)
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    signet_types::hex::encode(b)
}

/// A tile reader over the store, for blocking code (`spawn_blocking`).
fn store_reader(
    tiles: &TileStore,
    size: u64,
) -> TileReader<impl Fn(TileId) -> signet_tlog::Result<Vec<u8>> + '_> {
    TileReader::new(size, move |id: TileId| read_tile(tiles, id))
}

fn read_tile(tiles: &TileStore, id: TileId) -> signet_tlog::Result<Vec<u8>> {
    match tiles.get_blocking(&id.path()) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(signet_tlog::Error::Tile(format!("missing {}", id.path()))),
        Err(e) => Err(signet_tlog::Error::Tile(format!("{e:#}"))),
    }
}

/// Writes the checkpoint object unless it already shows `size` or more
/// (called under the integration lease, so writers never race; the check
/// keeps a late writer from rolling the public checkpoint back).
async fn sync_checkpoint_object(tiles: &TileStore, size: u64, note: &str) -> Result<()> {
    if let Some(current) = tiles.get("checkpoint").await?
        && checkpoint_size(&current).is_some_and(|s| s >= size)
    {
        return Ok(());
    }
    tiles.put("checkpoint", note.as_bytes().to_vec()).await
}

/// The tree size a stored checkpoint note shows (`None` when unreadable;
/// signatures are not checked here: the note came from our own storage).
pub(crate) fn checkpoint_size(note: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(note).ok()?;
    let n = signet_tlog::note::Note::parse(text).ok()?;
    Checkpoint::parse(&n.text).ok().map(|c| c.size)
}

async fn sequencer(log: Log, mut rx: mpsc::Receiver<(Submission, Reply)>) {
    const MAX_BATCH: usize = 4096;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(x) => batch.push(x),
                Err(_) => break,
            }
        }
        let subs: Vec<&Submission> = batch.iter().map(|(s, _)| s).collect();
        let result = log.0.db.sequence(&subs).await;
        match result {
            Ok(seqs) => {
                for ((_, reply), seq) in batch.into_iter().zip(seqs) {
                    let _ = reply.send(Ok(seq));
                }
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "sequencing failed");
                for (_, reply) in batch {
                    let _ = reply.send(Err("sequencing failed".into()));
                }
            }
        }
    }
}

async fn integrator(
    log: Log,
    publish: watch::Sender<Published>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    // Ticks are measured start to start: a slow integration is followed
    // at once by the next one, never by a full extra interval.
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_maintenance = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = ticks.tick() => {},
            _ = stop.changed() => {},
        }
        match integrate_once(&log).await {
            Ok(Some(p)) => {
                let _ = publish.send(p);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "integration failed; will retry");
            }
        }
        if last_maintenance.elapsed() >= MAINTENANCE_EVERY {
            last_maintenance = tokio::time::Instant::now();
            if let Err(e) = log.0.db.maintain().await {
                tracing::warn!(error = %format!("{e:#}"), "database maintenance failed");
            }
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// How often the integrator runs database housekeeping ([`db::Db::maintain`]).
const MAINTENANCE_EVERY: Duration = Duration::from_secs(5);

/// Largest number of new entries integrated into one checkpoint.
const MAX_INTEGRATE: u64 = 65_536;

/// Integrates sequenced entries beyond the stored checkpoint, under the
/// integration lease; returns the checkpoint to publish (ours, or a newer
/// one another replica committed), or `None` when nothing changed.
pub(crate) async fn integrate_once(log: &Log) -> Result<Option<Published>> {
    let Some(lease) = log.0.db.try_lease().await? else {
        return newer_stored(log).await;
    };
    let result = integrate_leased(log).await;
    lease.release().await;
    result
}

/// The stored checkpoint, when it is ahead of the one this process publishes.
async fn newer_stored(log: &Log) -> Result<Option<Published>> {
    let Some((size, root, note)) = log.0.db.state().await? else {
        bail!("the log database lost its checkpoint row");
    };
    if size <= log.published().size {
        return Ok(None);
    }
    Ok(Some(Published {
        size,
        root,
        note: note.into(),
        proofs: Arc::default(),
    }))
}

async fn integrate_leased(log: &Log) -> Result<Option<Published>> {
    let Some((old, _, stored_note)) = log.0.db.state().await? else {
        bail!("the log database lost its checkpoint row");
    };
    let tile_start = old - old % 256;
    let rows = log
        .0
        .db
        .leaves_from(tile_start, old - tile_start + MAX_INTEGRATE)
        .await?;
    let new_size = tile_start + rows.len() as u64;
    if new_size <= old {
        // Nothing new; make sure a checkpoint another replica committed (or
        // one a crash left unwritten) is public and published here.
        sync_checkpoint_object(&log.0.tiles, old, &stored_note).await?;
        return newer_stored(log).await;
    }
    for (i, (idx, _, _)) in rows.iter().enumerate() {
        if *idx != tile_start + i as u64 {
            bail!("sequenced entries are not contiguous at index {idx}");
        }
    }
    let inner = log.0.clone();
    let origin = log.0.origin.clone();
    type Built = (
        Hash,
        String,
        HashMap<u64, Vec<Hash>>,
        Vec<(String, Vec<u8>)>,
    );
    let (root, note, proofs, files) = tokio::task::spawn_blocking(move || -> Result<Built> {
        let fresh: Vec<Hash> = rows[(old - tile_start) as usize..]
            .iter()
            .map(|r| r.1)
            .collect();
        let cache = std::cell::RefCell::new(HashMap::new());
        let old_reader = TileReader::new(old, |id: TileId| {
            if let Some(t) = cache.borrow().get(&id) {
                return Ok::<Vec<u8>, signet_tlog::Error>(Vec::clone(t));
            }
            let t = read_tile(&inner.tiles, id)?;
            cache.borrow_mut().insert(id, t.clone());
            Ok(t)
        });
        let reader = Growing {
            old,
            old_reader: &old_reader,
            fresh: &fresh,
            memo: std::cell::RefCell::new(HashMap::new()),
        };
        let mut files = Vec::new();
        for id in TileId::new_tiles(old, new_size) {
            let hashes = id.hashes(&reader).map_err(|e| anyhow!("{e}"))?;
            files.push((id.path(), hashes));
            if id.level == 0 {
                let start = (id.index * 256 - tile_start) as usize;
                let bodies: Vec<&[u8]> = rows[start..start + usize::from(id.width)]
                    .iter()
                    .map(|r| r.2.as_slice())
                    .collect();
                files.push((id.entries_path(), encode_entries(&bodies)?));
            }
        }
        let root = tree::root(&reader, new_size).map_err(|e| anyhow!("{e}"))?;
        // Proofs for the new entries reuse the memoized node hashes.
        let mut proofs = HashMap::with_capacity(fresh.len());
        for index in old..new_size {
            proofs.insert(
                index,
                tree::inclusion_proof(&reader, index, new_size).map_err(|e| anyhow!("{e}"))?,
            );
        }
        let cp = Checkpoint::new(&origin, new_size, root);
        let refs: Vec<&Signer> = inner.note_signers.iter().collect();
        let note = cp.sign(&refs).map_err(|e| anyhow!("{e}"))?;
        Ok((root, note, proofs, files))
    })
    .await??;
    // Tiles first: a checkpoint is committed only once everything it
    // implies is stored.
    log.0.tiles.put_all(files).await?;
    if !log
        .0
        .db
        .commit_checkpoint(old, new_size, &root, &note)
        .await?
    {
        bail!(
            "another writer moved the log past size {old} while this one held the lease; refusing to publish"
        );
    }
    sync_checkpoint_object(&log.0.tiles, new_size, &note).await?;
    Ok(Some(Published {
        size: new_size,
        root,
        note: note.into(),
        proofs: Arc::new(proofs),
    }))
}

/// Node hashes of a tree growing from `old` to `old + fresh.len()` leaves:
/// complete old subtrees come from tiles, everything else is computed; every
/// node is computed once (memo).
struct Growing<'a, R> {
    old: u64,
    old_reader: &'a R,
    fresh: &'a [Hash],
    memo: std::cell::RefCell<HashMap<(u8, u64), Hash>>,
}

impl<R: HashReader> HashReader for Growing<'_, R> {
    fn node(&self, level: u8, index: u64) -> signet_tlog::Result<Hash> {
        if let Some(h) = self.memo.borrow().get(&(level, index)) {
            return Ok(*h);
        }
        let end = (index + 1) << level;
        let h = if end <= self.old {
            self.old_reader.node(level, index)?
        } else if level == 0 {
            let i = (index - self.old) as usize;
            self.fresh
                .get(i)
                .copied()
                .ok_or(signet_tlog::Error::MissingHash { level, index })?
        } else {
            node_hash(
                &self.node(level - 1, 2 * index)?,
                &self.node(level - 1, 2 * index + 1)?,
            )
        };
        self.memo.borrow_mut().insert((level, index), h);
        Ok(h)
    }
}

/// Recomputes a leaf hash (for checks).
pub fn leaf(body: &[u8]) -> Hash {
    leaf_hash(body)
}
