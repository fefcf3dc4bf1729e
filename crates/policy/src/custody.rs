//! Chain of custody: the audit events about an artifact, each appended to
//! the transparency log as a `signet-custody` entry whose body binds
//! every field (and a hash of the details). A record (events, their log
//! entries with inclusion proofs, and a signed checkpoint) verifies
//! offline with the log's public key; an event altered after it was
//! logged no longer hashes to its leaf, and one the server hides from
//! the record is still in the log.

use serde::{Deserialize, Serialize};
use signet_crypto::PublicKey;
use signet_crypto::digest::{DigestAlgorithm, Hasher};
use signet_tlog::Hash;
use signet_tlog::checkpoint::Checkpoint;
use signet_tlog::note::{Note, Verifier};

/// `kind/version` of custody entries in the log.
pub const KIND_VERSION: &str = "signet-custody/0.0.1";

/// One audit event, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Random id.
    pub id: String,
    /// Unix milliseconds.
    pub time_ms: i64,
    /// Who.
    pub actor: String,
    /// What (`push`, `sign`, `policy.decision`, `promotion`, `key.create`, …).
    pub action: String,
    /// Repository (empty for server-wide changes).
    pub repository: String,
    /// Digest, path, key id or policy name.
    pub subject: String,
    /// Outcome.
    pub outcome: String,
    /// Details (JSON).
    pub details: serde_json::Value,
}

#[derive(Serialize)]
struct Body<'a> {
    kind: &'a str,
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    spec: Spec<'a>,
}

#[derive(Serialize)]
struct Spec<'a> {
    id: &'a str,
    time_ms: i64,
    actor: &'a str,
    action: &'a str,
    repository: &'a str,
    subject: &'a str,
    outcome: &'a str,
    details_sha256: String,
}

/// The log entry body of `ev`: canonical JSON (fixed field order, no
/// whitespace; details hashed in serde_json's canonical, key-sorted form).
pub fn leaf_body(ev: &Event) -> Vec<u8> {
    let mut h = Hasher::new(DigestAlgorithm::Sha256);
    h.update(ev.details.to_string().as_bytes());
    let body = Body {
        kind: "signet-custody",
        api_version: "0.0.1",
        spec: Spec {
            id: &ev.id,
            time_ms: ev.time_ms,
            actor: &ev.actor,
            action: &ev.action,
            repository: &ev.repository,
            subject: &ev.subject,
            outcome: &ev.outcome,
            details_sha256: signet_types::hex::encode(h.finish().as_bytes()),
        },
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Where an event sits in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Log index.
    pub index: u64,
    /// Inclusion proof (hex hashes) against the record's checkpoint.
    pub inclusion_proof: Vec<String>,
}

/// An event with its place in the log (`None` while not yet logged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordEvent {
    /// The event.
    #[serde(flatten)]
    pub event: Event,
    /// Its log entry.
    pub log_entry: Option<LogEntry>,
}

/// A custody record as the server serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Repository.
    pub repository: String,
    /// Digest (images) or path (files).
    pub subject: String,
    /// The signed checkpoint the proofs lead to.
    pub checkpoint: String,
    /// Events, oldest first.
    pub events: Vec<RecordEvent>,
}

/// What verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Log origin.
    pub origin: String,
    /// Tree size of the checkpoint.
    pub size: u64,
    /// Events proven in the log (index order as in the record).
    pub proven: usize,
    /// Events not yet in the log.
    pub pending: usize,
}

/// Why a record did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

/// Verifies `record` with the log's public key: the checkpoint is signed
/// by it, and every logged event hashes to a leaf proven in that tree.
/// Events without a log entry are counted as pending, never as proven.
pub fn verify(record: &Record, log_key: &PublicKey) -> Result<Verified, Failure> {
    let note = Note::parse(&record.checkpoint)
        .map_err(|e| Failure(format!("the checkpoint is not a signed note: {e}")))?;
    let cp = Checkpoint::parse(&note.text).map_err(|e| Failure(format!("the checkpoint: {e}")))?;
    let verifier = Verifier::new(&cp.origin, log_key.clone())
        .map_err(|e| Failure(format!("the log key: {e}")))?;
    Checkpoint::open(&record.checkpoint, &[verifier]).map_err(|e| {
        Failure(format!(
            "the checkpoint is not signed by the given log key: {e}"
        ))
    })?;
    let mut proven = 0;
    let mut pending = 0;
    for re in &record.events {
        let ev = &re.event;
        if ev.repository != record.repository {
            return Err(Failure(format!(
                "event {} is about repository {}, not {}",
                ev.id, ev.repository, record.repository
            )));
        }
        let Some(le) = &re.log_entry else {
            pending += 1;
            continue;
        };
        let proof: Vec<Hash> = le
            .inclusion_proof
            .iter()
            .map(|h| {
                Hash::from_hex(h)
                    .ok_or_else(|| Failure(format!("event {}: a proof hash is not hex", ev.id)))
            })
            .collect::<Result<_, _>>()?;
        let leaf = signet_tlog::hash::leaf_hash(&leaf_body(ev));
        signet_tlog::verify::inclusion(le.index, cp.size, &leaf, &proof, &cp.root).map_err(|_| {
            Failure(format!(
                "event {} ({} by {} at {}) does not match log entry {}: the record was altered after it was logged",
                ev.id, ev.action, ev.actor, ev.time_ms, le.index
            ))
        })?;
        proven += 1;
    }
    Ok(Verified {
        origin: cp.origin,
        size: cp.size,
        proven,
        pending,
    })
}
