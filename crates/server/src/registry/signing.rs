//! Signing policy enforcement: every read of content in a repository a
//! policy protects (manifests by tag or digest, blobs, files, referrers,
//! mounts out of it, promotions into another) goes through
//! [`Registry::gate_manifest`], [`Registry::gate_blob`] or
//! [`Registry::gate_file`]. They gather the signatures the repository holds
//! about the artifact, verify each against the registered keys (or the
//! trusted root, for certificates) with the same verifier as the CLI, and
//! evaluate the policies ([`signet_policy::decide()`]). No client is exempt.
//!
//! Decisions that allow are cached per (repository, digest) and signing
//! epoch; the epoch lives in the database, is read in the same query as
//! the manifest, and is bumped in the transaction of every key, policy or
//! signature removal, so no replica serves a decision made under a policy
//! it has not seen. Denials are not cached: a signature that arrives
//! counts on the next request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use signet_crypto::PublicKey;
use signet_oci::{legacy, referrer};
use signet_policy::evidence::{Findings, Verifier};
use signet_policy::{
    Artifact, ArtifactType, Decision, KeyKind, Outcome, Policy, TrustedKey, decide,
};
use signet_types::trust_root::TrustedRoot;

use super::db::Manifest;
use super::signing_db::{AuditEvent, KeyRow, PolicyRow};
use super::{Registry, auth::now, names};

/// Largest signature payload, envelope or bundle read for verification,
/// and largest layer of a manifest that counts as a signature artifact.
pub const MAX_SIGNATURE_BYTES: u64 = 4 << 20;

/// A registered key with its parsed verifier.
pub(crate) struct LoadedKey {
    pub row: KeyRow,
    pub key: Option<PublicKey>,
    /// The certificate of a `gpg` key.
    pub pgp: Option<signet_openpgp::Keyring>,
    pub trusted: TrustedKey,
}

/// Keys and policies as of one epoch.
pub(crate) struct State {
    pub epoch: i64,
    /// SHA-256 over the policies and keys as stored: equal for states
    /// that trust alike (the epoch also moves on every signature change).
    pub trust: [u8; 32],
    pub policies: Vec<(Policy, i64)>,
    pub keys: Vec<LoadedKey>,
}

impl State {
    /// The policies that protect `repo`.
    pub(crate) fn covering_policies(&self, repo: &str) -> Vec<Policy> {
        self.covering(repo)
    }

    fn covering(&self, repo: &str) -> Vec<Policy> {
        self.policies
            .iter()
            .filter(|(p, _)| p.covers(repo))
            .map(|(p, _)| p.clone())
            .collect()
    }

    fn versions(&self, repo: &str) -> Value {
        self.policies
            .iter()
            .filter(|(p, _)| p.covers(repo))
            .map(|(p, v)| (p.name.clone(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    fn verifiers(&self, repo: &str, at: i64) -> Vec<Verifier<'_>> {
        self.keys
            .iter()
            .filter(|k| k.trusted.trusted(repo, at).is_ok())
            .filter_map(|k| k.key.as_ref().map(|key| Verifier { id: &k.row.id, key }))
            .collect()
    }

    /// The OpenPGP keys trusted for `repo` at `at`.
    fn pgp_keys(&self, repo: &str, at: i64) -> Vec<(&str, &signet_openpgp::Keyring)> {
        self.keys
            .iter()
            .filter(|k| k.trusted.trusted(repo, at).is_ok())
            .filter_map(|k| k.pgp.as_ref().map(|r| (k.row.id.as_str(), r)))
            .collect()
    }

    fn trusted_keys(&self) -> Vec<TrustedKey> {
        self.keys.iter().map(|k| k.trusted.clone()).collect()
    }
}

/// What a cached allow remembers.
#[derive(Clone)]
struct Cached {
    epoch: i64,
    /// Unix seconds after which a key it relied on expires.
    until: i64,
    warning: Option<String>,
}

const CACHE_MAX: usize = 200_000;

/// Per-process signing state (a cache; the database is the truth).
pub(crate) struct Signing {
    /// The transparency log custody events go to (set once the log runs).
    pub(crate) log: std::sync::OnceLock<crate::log::Log>,
    state: Mutex<Option<Arc<State>>>,
    cache: Mutex<HashMap<(String, String), Cached>>,
    /// Artifact summaries of the overview (see `artifacts.rs`).
    summaries: Mutex<HashMap<(String, String), super::artifacts::CachedSummary>>,
    root: Option<TrustedRoot>,
    /// The key-encryption key of server-held keys (from config, or the
    /// file below, created on first use).
    kek: Mutex<Option<zeroize::Zeroizing<String>>>,
    kek_file: std::path::PathBuf,
    pkcs11_module: Option<String>,
    pkcs11_pin: Option<zeroize::Zeroizing<String>>,
}

impl Signing {
    pub(crate) fn new(
        root: Option<TrustedRoot>,
        kek: Option<zeroize::Zeroizing<String>>,
        kek_file: std::path::PathBuf,
        pkcs11: (Option<String>, Option<zeroize::Zeroizing<String>>),
    ) -> Self {
        Self {
            log: std::sync::OnceLock::new(),
            state: Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
            summaries: Mutex::new(HashMap::new()),
            root,
            kek: Mutex::new(kek),
            kek_file,
            pkcs11_module: pkcs11.0,
            pkcs11_pin: pkcs11.1,
        }
    }

    pub(crate) fn summary(
        &self,
        repo: &str,
        subject: &str,
    ) -> Option<super::artifacts::CachedSummary> {
        let m = self.summaries.lock().ok()?;
        m.get(&(repo.to_owned(), subject.to_owned())).cloned()
    }

    pub(crate) fn remember_summary(
        &self,
        repo: &str,
        subject: &str,
        c: super::artifacts::CachedSummary,
    ) {
        if let Ok(mut m) = self.summaries.lock() {
            if m.len() >= CACHE_MAX {
                m.clear();
            }
            m.insert((repo.to_owned(), subject.to_owned()), c);
        }
    }

    /// The key-encryption key (never logged).
    pub(crate) fn kek(&self) -> Result<zeroize::Zeroizing<String>> {
        let mut g = self
            .kek
            .lock()
            .map_err(|_| anyhow::anyhow!("key-encryption key lock poisoned"))?;
        if let Some(k) = g.as_ref() {
            return Ok(k.clone());
        }
        let k = match std::fs::read_to_string(&self.kek_file) {
            Ok(s) => zeroize::Zeroizing::new(s.trim().to_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut raw = zeroize::Zeroizing::new([0u8; 32]);
                signet_crypto::random_bytes(raw.as_mut())?;
                let k = zeroize::Zeroizing::new(signet_types::hex::encode(raw.as_ref()));
                if let Some(dir) = self.kek_file.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                use std::io::Write;
                let mut f = opts
                    .open(&self.kek_file)
                    .with_context(|| format!("cannot create {}", self.kek_file.display()))?;
                f.write_all(k.as_bytes())?;
                f.sync_all()?;
                k
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.kek_file.display()));
            }
        };
        *g = Some(k.clone());
        Ok(k)
    }
}

/// The verdict on one read.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Whether it may go ahead.
    pub allowed: bool,
    /// A `warn` policy is unmet: tell the client.
    pub warning: Option<String>,
    /// The decision, when one was made now (not cached, not exempt).
    pub decision: Option<Decision>,
}

impl Verdict {
    fn allow() -> Self {
        Self {
            allowed: true,
            warning: None,
            decision: None,
        }
    }
}

/// Whether a manifest is a signature or attestation (cosign's legacy
/// `.sig`/`.att`, a Sigstore bundle referrer, or an index of those): such
/// manifests must stay readable for clients to verify anything, and carry
/// only small signature layers, so they cannot smuggle an image.
pub fn is_signature_artifact(m: &Manifest) -> bool {
    let Ok(doc) = serde_json::from_slice::<Value>(&m.body) else {
        return false;
    };
    let sig_type = |t: &str| {
        t == legacy::SIMPLE_SIGNING
            || t == legacy::DSSE_ENVELOPE
            || t.starts_with("application/vnd.dev.sigstore.bundle")
            || t == referrer::IN_TOTO
    };
    if names::is_index(&m.media_type) {
        let Some(list) = doc.get("manifests").and_then(Value::as_array) else {
            return false;
        };
        return !list.is_empty()
            && list.iter().all(|d| {
                d.get("artifactType")
                    .and_then(Value::as_str)
                    .is_some_and(sig_type)
            });
    }
    let Some(layers) = doc.get("layers").and_then(Value::as_array) else {
        return false;
    };
    !layers.is_empty()
        && layers.iter().all(|l| {
            l.get("mediaType")
                .and_then(Value::as_str)
                .is_some_and(sig_type)
                && l.get("size")
                    .and_then(Value::as_u64)
                    .is_some_and(|s| s <= MAX_SIGNATURE_BYTES)
        })
}

/// Files that are detached signatures of another file.
pub fn is_signature_file(path: &str) -> bool {
    signed_file(path).is_some()
}

/// The file a signature file signs (`a.tar.sig` → `a.tar`), if `path` is
/// one.
pub fn signed_file(path: &str) -> Option<&str> {
    [".sig.bin", ".sigstore.json", ".sig", ".asc"]
        .iter()
        .find_map(|s| path.strip_suffix(s))
}

/// The policy artifact type of a manifest (Docker or OCI media types).
pub(crate) fn artifact_type(m: &Manifest) -> ArtifactType {
    if m.media_type.starts_with("application/vnd.docker.") {
        ArtifactType::Docker
    } else {
        ArtifactType::Oci
    }
}

fn outcome_name(d: &Decision) -> &'static str {
    match d.outcome {
        Outcome::Unprotected => "unprotected",
        Outcome::Allow => "allow",
        Outcome::AllowUnmet if d.warning().is_some() => "warn",
        Outcome::AllowUnmet => "audit",
        Outcome::Deny => "deny",
    }
}

/// The message every refused read carries.
pub fn denied_message(repo: &str) -> String {
    format!("Signature required for repository \"{repo}\"")
}

impl Registry {
    pub(crate) fn signing(&self) -> &Signing {
        &self.0.signing
    }

    /// Keys and policies as of `epoch` (reloaded when it moved).
    pub(crate) async fn signing_state(&self, epoch: i64) -> Result<Arc<State>> {
        if let Some(s) = self.signing().state.lock().ok().and_then(|g| g.clone())
            && s.epoch == epoch
        {
            return Ok(s);
        }
        let policies = self.db().policies().await?;
        let keys = self.db().keys().await?;
        // Read the epoch again: if it moved while loading, the next
        // request reloads (the state is labelled with the older epoch).
        let trust =
            signet_crypto::digest::sha256_concat(&[format!("{policies:?}\n{keys:?}").as_bytes()]);
        let state = Arc::new(State {
            epoch,
            trust,
            policies: policies
                .iter()
                .filter_map(|r| match Policy::parse(&r.document) {
                    Ok(p) => Some((p, r.version)),
                    Err(e) => {
                        tracing::error!(policy = %r.name, problems = ?e, "stored policy no longer parses; it is ignored");
                        None
                    }
                })
                .collect(),
            keys: keys.into_iter().map(load_key).collect(),
        });
        if let Ok(mut g) = self.signing().state.lock() {
            *g = Some(state.clone());
        }
        Ok(state)
    }

    /// The current state (one query for the epoch).
    pub(crate) async fn current_signing_state(&self) -> Result<Arc<State>> {
        let epoch = self.db().signing_epoch().await?;
        self.signing_state(epoch).await
    }

    fn cached(&self, repo: &str, key: &str, epoch: i64) -> Option<Cached> {
        let c = self.signing().cache.lock().ok()?;
        c.get(&(repo.to_owned(), key.to_owned()))
            .filter(|c| c.epoch == epoch && c.until > now())
            .cloned()
    }

    fn remember(&self, repo: &str, key: &str, c: Cached) {
        if let Ok(mut m) = self.signing().cache.lock() {
            if m.len() >= CACHE_MAX {
                m.clear();
            }
            m.insert((repo.to_owned(), key.to_owned()), c);
        }
    }

    /// May `m` (in `repo`, read at signing `epoch`) be served to `actor`?
    pub async fn gate_manifest(
        &self,
        repo: &str,
        m: &Manifest,
        epoch: i64,
        actor: &str,
    ) -> Result<Verdict> {
        let state = self.signing_state(epoch).await?;
        self.gate_manifest_in(&state, repo, m, actor, 0).await
    }

    async fn gate_manifest_in(
        &self,
        state: &State,
        repo: &str,
        m: &Manifest,
        actor: &str,
        depth: u8,
    ) -> Result<Verdict> {
        // The hot path: no policy here, or an allow cached at this epoch.
        if !state.policies.iter().any(|(p, _)| p.covers(repo)) {
            return Ok(Verdict::allow());
        }
        if let Some(c) = self.cached(repo, &m.digest, state.epoch) {
            return Ok(Verdict {
                allowed: true,
                warning: c.warning,
                decision: None,
            });
        }
        if is_signature_artifact(m) {
            return Ok(Verdict::allow());
        }
        let policies = state.covering(repo);
        let at = now();
        let started = std::time::Instant::now();
        let findings = self.manifest_findings(state, repo, &m.digest, at).await?;
        let keys = state.trusted_keys();
        let mut decision = decide(
            &policies,
            Artifact {
                repository: repo,
                artifact_type: artifact_type(m),
            },
            &findings.evidence,
            &keys,
            at,
        );
        metrics::histogram!("signet_policy_verify_seconds").record(started.elapsed().as_secs_f64());
        // A manifest inside an index that is allowed (a signed multi-arch
        // image) is allowed with it.
        let mut via = None;
        if !decision.allowed() && depth == 0 {
            for parent in self.db().parents(repo, &m.digest).await? {
                if let Some(pm) = self.db().manifest(repo, &parent).await?
                    && names::is_index(&pm.media_type)
                    && Box::pin(self.gate_manifest_in(state, repo, &pm, actor, 1))
                        .await?
                        .allowed
                {
                    via = Some(parent);
                    decision.outcome = Outcome::Allow;
                    break;
                }
            }
        }
        self.record_decision(
            state,
            repo,
            &m.digest,
            actor,
            &decision,
            &findings,
            via.as_deref(),
        )
        .await;
        let v = Verdict {
            allowed: decision.allowed(),
            warning: decision.warning(),
            decision: Some(decision),
        };
        if v.allowed {
            let until = expiry_of(state, &findings, at);
            self.remember(
                repo,
                &m.digest,
                Cached {
                    epoch: state.epoch,
                    until,
                    warning: v.warning.clone(),
                },
            );
        }
        Ok(v)
    }

    /// Whether `repo` shows anything in a catalog: unprotected, or some tag
    /// (of the first thousand) may be read.
    pub async fn has_visible_tag(&self, repo: &str, actor: &str) -> Result<bool> {
        let state = self.current_signing_state().await?;
        if state.covering(repo).is_empty() {
            return Ok(true);
        }
        for t in self.db().tags(repo, None, 1000).await? {
            if t.starts_with("sha256-") {
                continue; // signatures, attestations, fallback indexes
            }
            let (m, epoch) = self.db().manifest_with_epoch(repo, &t).await?;
            if let Some(m) = m
                && self.gate_manifest(repo, &m, epoch, actor).await?.allowed
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// May blob `digest` be read from `repo`? In a protected repository,
    /// only when a manifest there that references it may be.
    pub async fn gate_blob(&self, repo: &str, digest: &str, actor: &str) -> Result<Verdict> {
        let state = self.current_signing_state().await?;
        if state.covering(repo).is_empty() {
            return Ok(Verdict::allow());
        }
        let key = format!("blob:{digest}");
        if let Some(c) = self.cached(repo, &key, state.epoch) {
            return Ok(Verdict {
                allowed: true,
                warning: c.warning,
                decision: None,
            });
        }
        let mut last = None;
        for parent in self.db().parents(repo, digest).await? {
            let Some(pm) = self.db().manifest(repo, &parent).await? else {
                continue;
            };
            let v = self.gate_manifest_in(&state, repo, &pm, actor, 0).await?;
            if v.allowed {
                self.remember(
                    repo,
                    &key,
                    Cached {
                        epoch: state.epoch,
                        until: i64::MAX,
                        warning: v.warning.clone(),
                    },
                );
                return Ok(v);
            }
            last = Some(v);
        }
        Ok(last.unwrap_or(Verdict {
            allowed: false,
            warning: None,
            decision: None,
        }))
    }

    /// May file `path` (content `digest`) be read from `repo`?
    pub async fn gate_file(
        &self,
        repo: &str,
        path: &str,
        digest: &str,
        actor: &str,
    ) -> Result<Verdict> {
        let state = self.current_signing_state().await?;
        let policies = state.covering(repo);
        if policies.is_empty() {
            return Ok(Verdict::allow());
        }
        if is_signature_file(path)
            && self
                .db()
                .file(repo, path)
                .await?
                .is_some_and(|f| f.size <= MAX_SIGNATURE_BYTES)
        {
            return Ok(Verdict::allow());
        }
        let key = format!("file:{path}@{digest}");
        if let Some(c) = self.cached(repo, &key, state.epoch) {
            return Ok(Verdict {
                allowed: true,
                warning: c.warning,
                decision: None,
            });
        }
        let at = now();
        let findings = self.file_findings(&state, repo, path, digest, at).await?;
        let decision = decide(
            &policies,
            Artifact {
                repository: repo,
                artifact_type: ArtifactType::of_file(path),
            },
            &findings.evidence,
            &state.trusted_keys(),
            at,
        );
        self.record_decision(&state, repo, path, actor, &decision, &findings, None)
            .await;
        let v = Verdict {
            allowed: decision.allowed(),
            warning: decision.warning(),
            decision: Some(decision),
        };
        if v.allowed {
            self.remember(
                repo,
                &key,
                Cached {
                    epoch: state.epoch,
                    until: expiry_of(&state, &findings, at),
                    warning: v.warning.clone(),
                },
            );
        }
        Ok(v)
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_decision(
        &self,
        state: &State,
        repo: &str,
        subject: &str,
        actor: &str,
        d: &Decision,
        findings: &Findings,
        via: Option<&str>,
    ) {
        let outcome = outcome_name(d);
        let mut details = json!({
            "policies": state.versions(repo),
            "decision": d,
            "evidence": findings.evidence,
            "checks": findings.checks,
        });
        if let Some(v) = via {
            details["allowed_via_index"] = json!(v);
        }
        metrics::counter!("signet_policy_decisions_total", "outcome" => outcome).increment(1);
        tracing::info!(target: "signet::audit", repository = repo, subject, actor, outcome, "policy decision");
        let ev = AuditEvent::new(actor, "policy.decision", repo, subject, outcome, details);
        if let Err(e) = self.db().audit(&ev).await {
            tracing::error!(error = %format!("{e:#}"), "cannot record a policy decision");
        }
    }

    /// A small blob's bytes (signature payloads, bundles), if `repo` links
    /// it and it is at most [`MAX_SIGNATURE_BYTES`].
    pub(crate) async fn small_blob(&self, repo: &str, digest: &str) -> Result<Option<Vec<u8>>> {
        let Some(size) = self.db().repo_blob(repo, digest).await? else {
            return Ok(None);
        };
        self.small_blob_any(digest, size).await
    }

    /// Every signature and attestation `repo` holds about manifest
    /// `digest`, verified.
    pub(crate) async fn manifest_findings(
        &self,
        state: &State,
        repo: &str,
        digest: &str,
        at: i64,
    ) -> Result<Findings> {
        let verifiers = state.verifiers(repo, at);
        let root = self.signing().root.as_ref();
        let mut f = Findings::default();
        let Some(hex) = names::sha256_hex(digest) else {
            return Ok(f);
        };
        // One query for every manifest that may carry a signature: cosign's
        // legacy `sha256-<hex>.sig` and `.att` tags, the referrers fallback
        // index, and the Sigstore bundle referrers.
        let sig_tag = format!("sha256-{hex}.sig");
        let att_tag = format!("sha256-{hex}.att");
        let fallback = referrer::fallback_tag(digest);
        let rows = self
            .db()
            .signature_manifests(repo, digest, [&sig_tag, &att_tag, &fallback])
            .await?;
        // What to read, in the order the evidence lists it: the legacy
        // signature layers, the legacy attestation layers, the bundles.
        enum Kind {
            Signature(std::collections::BTreeMap<String, String>),
            Attestation(std::collections::BTreeMap<String, String>),
            Bundle,
        }
        let mut jobs: Vec<(String, String, Kind)> = Vec::new();
        for (tag, attest) in [(&sig_tag, false), (&att_tag, true)] {
            let Some((_, sm)) = rows.iter().find(|(t, _)| t == tag) else {
                continue;
            };
            match legacy::parse(&sm.body) {
                Ok(layers) => {
                    for l in layers {
                        let source = format!("tag {tag} layer {}", l.digest);
                        let kind = if attest {
                            Kind::Attestation(l.annotations)
                        } else {
                            Kind::Signature(l.annotations)
                        };
                        jobs.push((source, l.digest, kind));
                    }
                }
                Err(e) => f.fail(&format!("tag {tag}"), e.to_string()),
            }
        }
        let mut bundles: Vec<&Manifest> = rows
            .iter()
            .filter(|(t, _)| t.is_empty())
            .map(|(_, m)| m)
            .collect();
        // Referrers listed only in the fallback index (pushed by a client
        // to a registry without the referrers API, then copied here).
        let mut extra = Vec::new();
        if let Some((_, index)) = rows.iter().find(|(t, _)| *t == fallback)
            && let Ok(list) = referrer::bundle_referrers(&index.body)
        {
            for md in list.into_iter().take(signet_policy::evidence::MAX_SOURCES) {
                if bundles.iter().any(|m| m.digest == md)
                    || extra.iter().any(|m: &Manifest| m.digest == md)
                {
                    continue;
                }
                if let Some(rm) = self.db().manifest(repo, &md).await? {
                    extra.push(rm);
                }
            }
        }
        bundles.extend(extra.iter());
        for rm in bundles {
            let source = format!("referrer {}", rm.digest);
            match referrer::bundle_layer(&rm.body) {
                Ok((layer, _)) => jobs.push((source, layer, Kind::Bundle)),
                Err(e) => f.fail(&source, e),
            }
        }
        jobs.truncate(signet_policy::evidence::MAX_SOURCES);
        // The blobs are read concurrently (each is a link check and a read).
        let blobs = futures_util::future::try_join_all(
            jobs.iter()
                .map(|(_, layer, _)| self.small_blob(repo, layer)),
        )
        .await?;
        for ((source, _, kind), bytes) in jobs.into_iter().zip(blobs) {
            let Some(bytes) = bytes else {
                let what = match kind {
                    Kind::Bundle => "the bundle blob is missing or too large",
                    _ => "the layer's blob is missing or too large",
                };
                f.fail(&source, what);
                continue;
            };
            match kind {
                Kind::Signature(a) => {
                    f.legacy_signature(&source, digest, &bytes, &a, &verifiers, root)
                }
                Kind::Attestation(a) => {
                    f.legacy_attestation(&source, digest, &bytes, &a, &verifiers, root)
                }
                Kind::Bundle => f.bundle(&source, digest, &bytes, &verifiers, root),
            }
        }
        Ok(f)
    }

    /// The detached signatures beside file `path` (`.sig`, `.sig.bin`,
    /// `.sigstore.json`), verified against its `digest`.
    pub(crate) async fn file_findings(
        &self,
        state: &State,
        repo: &str,
        path: &str,
        digest: &str,
        at: i64,
    ) -> Result<Findings> {
        let verifiers = state.verifiers(repo, at);
        let root = self.signing().root.as_ref();
        let mut f = Findings::default();
        for ext in [".sig", ".sig.bin", ".sigstore.json", ".asc"] {
            let sp = format!("{path}{ext}");
            let Some(row) = self.db().file(repo, &sp).await? else {
                continue;
            };
            let source = format!("file {sp}");
            if ext == ".asc" {
                self.pgp_file_signature(state, repo, &source, &row, digest, at, &mut f)
                    .await?;
                continue;
            }
            match self.small_blob_any(&row.digest, row.size).await? {
                Some(bytes) => f.file_signature(&source, digest, &bytes, &verifiers, root),
                None => f.fail(&source, "the signature file is too large"),
            }
        }
        self.package_signature(state, repo, path, digest, at, &mut f)
            .await?;
        Ok(f)
    }

    /// An OpenPGP detached signature (`.asc`) of a file, checked against the
    /// `gpg` keys trusted for `repo`. The signature covers the file's bytes
    /// (not a digest), so the file is streamed through the verifier on a
    /// blocking thread.
    #[allow(clippy::too_many_arguments)]
    async fn pgp_file_signature(
        &self,
        state: &State,
        repo: &str,
        source: &str,
        sig_file: &super::db::FileRow,
        digest: &str,
        at: i64,
        f: &mut Findings,
    ) -> Result<()> {
        let keys = state.pgp_keys(repo, at);
        if keys.is_empty() {
            record_pgp(
                f,
                &keys,
                source,
                Err("no OpenPGP (gpg) key is registered for this repository".into()),
                at,
            );
            return Ok(());
        }
        let Some(sig) = self.small_blob_any(&sig_file.digest, sig_file.size).await? else {
            record_pgp(
                f,
                &keys,
                source,
                Err("the signature file is too large".into()),
                at,
            );
            return Ok(());
        };
        let ring = signet_openpgp::Keyring::merge(keys.iter().map(|(_, r)| *r));
        let res = self
            .with_blob_reader(digest, move |r| {
                ring.verify_detached(&sig, r).map_err(|e| e.to_string())
            })
            .await?;
        record_pgp(f, &keys, source, res, at);
        Ok(())
    }

    /// OpenPGP signatures inside a package (an RPM's header signature, a
    /// .deb's debsigs `_gpgorigin`), checked against the `gpg` keys trusted
    /// for `repo`: the header signature and the payload digest it covers,
    /// or the signed members, streamed from the blob.
    pub(crate) async fn package_signature(
        &self,
        state: &State,
        repo: &str,
        path: &str,
        digest: &str,
        at: i64,
        f: &mut Findings,
    ) -> Result<()> {
        use signet_packages::deb;
        let keys = state.pgp_keys(repo, at);
        if keys.is_empty() {
            return Ok(());
        }
        let ring = signet_openpgp::Keyring::merge(keys.iter().map(|(_, r)| *r));
        let (source, res) = if path.ends_with(".rpm") {
            let res = self
                .with_blob_reader(digest, move |r| rpm_signer(&ring, r))
                .await?;
            (format!("package {path} (header signature)"), res)
        } else if path.ends_with(".deb") {
            let scanned = self
                .with_blob_reader(digest, |mut r| deb::scan(&mut r).map_err(|e| e.to_string()))
                .await?;
            let res = match scanned {
                Err(e) => Err(e),
                Ok((members, sigs)) => match sigs.into_iter().find(|(n, _)| n == "_gpgorigin") {
                    None => Err("the package has no debsigs _gpgorigin signature".to_owned()),
                    Some((_, sig)) => {
                        self.with_blob_reader(digest, move |r| {
                            let signed =
                                deb::signed_members(&members).map_err(|e| e.to_string())?;
                            ring.verify_detached(&sig, deb::SignedContent::new(r, &signed))
                                .map_err(|e| e.to_string())
                        })
                        .await?
                    }
                },
            };
            (format!("package {path} (_gpgorigin)"), res)
        } else {
            return Ok(());
        };
        record_pgp(f, &keys, &source, res, at);
        Ok(())
    }

    /// Runs `work` on a blocking thread with a reader over blob `digest`
    /// (streamed from the store, never whole in memory).
    pub(crate) async fn with_blob_reader<T: Send + 'static>(
        &self,
        digest: &str,
        work: impl FnOnce(ChunkReader) -> T + Send + 'static,
    ) -> Result<T> {
        use futures_util::StreamExt;
        let mut stream = self.blob_stream(digest, None).await?;
        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<axum::body::Bytes>>(4);
        let task = tokio::task::spawn_blocking(move || {
            work(ChunkReader {
                rx,
                buf: axum::body::Bytes::new(),
            })
        });
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| std::io::Error::other(format!("{e:#}")));
            if tx.send(chunk).await.is_err() {
                break; // the reader has stopped reading
            }
        }
        drop(tx);
        task.await.context("the blob reader stopped")
    }

    async fn small_blob_any(&self, digest: &str, size: u64) -> Result<Option<Vec<u8>>> {
        if size > MAX_SIGNATURE_BYTES {
            return Ok(None);
        }
        Ok(Some(self.small_blob_bytes(digest).await?))
    }

    /// Deletes what has sat unsigned in an `enforce`-protected repository
    /// for longer than `window` seconds; how many manifests went.
    pub async fn sweep_quarantine(&self, window: u64) -> Result<u64> {
        if window == 0 {
            return Ok(0);
        }
        let state = self.current_signing_state().await?;
        let cutoff = now() - i64::try_from(window).unwrap_or(i64::MAX);
        let mut gone = 0;
        for repo in self.db().repository_names().await? {
            let enforce = state
                .covering(&repo)
                .iter()
                .any(|p| p.mode == signet_policy::Mode::Enforce);
            if !enforce {
                continue;
            }
            for digest in self.db().pushed_before(&repo, cutoff).await? {
                let Some(m) = self.db().manifest(&repo, &digest).await? else {
                    continue;
                };
                let v = self
                    .gate_manifest_in(&state, &repo, &m, "server", 0)
                    .await?;
                if v.allowed {
                    continue;
                }
                if self.db().delete_manifest(&repo, &digest).await? {
                    gone += 1;
                    let ev = AuditEvent::new(
                        "server",
                        "quarantine.expire",
                        &repo,
                        &digest,
                        "deleted",
                        json!({"window_secs": window}),
                    );
                    self.db().audit(&ev).await?;
                }
            }
        }
        Ok(gone)
    }
}

impl Registry {
    /// Sends custody events to `log` from now on (see [`Self::publish_custody`]).
    pub fn attach_log(&self, log: crate::log::Log) {
        let _ = self.signing().log.set(log);
    }

    /// Appends audit events not yet in the transparency log to it (the
    /// audit table is the outbox: an event is written with its change,
    /// then logged here; replicas racing on one event get the same entry,
    /// the log deduplicates identical bodies). How many were logged.
    pub async fn publish_custody(&self) -> Result<usize> {
        let Some(log) = self.signing().log.get() else {
            return Ok(0);
        };
        let pending = self.db().unlogged_audit(512).await?;
        let n = pending.len();
        let subs = pending.iter().map(|ev| {
            let body = signet_policy::custody::leaf_body(&ev.to_custody());
            let artifact = names::sha256_hex(&ev.subject).map(|_| ev.subject.clone());
            let sub = crate::log::Submission {
                body,
                kind_version: signet_policy::custody::KIND_VERSION.to_owned(),
                artifact,
                key_fingerprint: None,
            };
            async move { log.submit(sub).await }
        });
        let results = futures_util::future::join_all(subs).await;
        for (ev, r) in pending.iter().zip(results) {
            match r {
                Ok(seq) => self.db().set_audit_index(&ev.id, seq.index).await?,
                Err(e) => anyhow::bail!("cannot log custody event {}: {e}", ev.id),
            }
        }
        Ok(n)
    }

    /// The custody record of `subject` (a digest, or a file path) in
    /// `repo`: its events with inclusion proofs against the latest
    /// checkpoint (events logged after it have none yet).
    pub async fn custody(
        &self,
        repo: &str,
        subject: &str,
    ) -> Result<signet_policy::custody::Record> {
        use signet_policy::custody::{LogEntry, Record, RecordEvent};
        let log = self
            .signing()
            .log
            .get()
            .context("this server runs no transparency log")?;
        let published = log.published();
        let mut events = Vec::new();
        for (ev, index) in self.db().custody(repo, subject).await? {
            let log_entry = match index.and_then(|i| u64::try_from(i).ok()) {
                Some(i) if i < published.size => Some(LogEntry {
                    index: i,
                    inclusion_proof: log
                        .inclusion_proof(i, published.size)
                        .await?
                        .iter()
                        .map(|h| h.to_hex())
                        .collect(),
                }),
                _ => None,
            };
            events.push(RecordEvent {
                event: ev.to_custody(),
                log_entry,
            });
        }
        Ok(Record {
            repository: repo.to_owned(),
            subject: subject.to_owned(),
            checkpoint: published.note.to_string(),
            events,
        })
    }
}

impl Registry {
    /// Encrypts a server-held private key with the key-encryption key.
    pub(crate) fn seal_key(&self, key: &signet_crypto::PrivateKey) -> Result<String> {
        let kek = self.signing().kek()?;
        Ok(key.to_encrypted_pem(kek.as_bytes())?)
    }

    /// A `pkcs11:` URI of a server-held key with the configured module
    /// and PIN filled in where it names none.
    pub(crate) fn pkcs11_uri(&self, raw: &str) -> Result<signet_pkcs11::Uri> {
        let mut uri = signet_pkcs11::Uri::parse(raw)?;
        if !uri.has_module()
            && let Some(m) = &self.signing().pkcs11_module
        {
            uri.set_module(m.clone());
        }
        if !uri.has_pin()
            && let Some(p) = &self.signing().pkcs11_pin
        {
            uri.set_pin(p.clone());
        }
        Ok(uri)
    }

    /// Signs what `digest`'s legacy `.sig` layer needs with server-held key
    /// `id` (sealed in the database, or in an HSM): `(payload, layer
    /// annotations)`, or `None` when `id` is not server-held.
    pub(crate) async fn server_signature(
        &self,
        id: &str,
        repo: &str,
        digest: &str,
    ) -> Result<Option<(Vec<u8>, std::collections::BTreeMap<String, String>)>> {
        use base64::Engine;
        let Some(held) = self.db().server_key(id).await? else {
            return Ok(None);
        };
        let payload = signet_oci::simple_signing::payload(repo, digest, &Default::default());
        let sig = match held {
            super::signing_db::Held::Sealed(pem) => {
                let kek = self.signing().kek()?;
                let payload = payload.clone();
                tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
                    let key =
                        signet_crypto::PrivateKey::from_pem(pem.as_bytes(), Some(kek.as_bytes()))?;
                    Ok(key.sign(&message_for(key.public_key(), &payload))?)
                })
                .await??
            }
            super::signing_db::Held::Pkcs11(raw) => {
                let uri = self.pkcs11_uri(&raw)?;
                let payload = payload.clone();
                tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
                    let key = signet_pkcs11::HsmKey::open(&uri)?;
                    key.sign(&message_for(key.public_key(), &payload))
                })
                .await??
            }
        };
        let mut ann = std::collections::BTreeMap::new();
        ann.insert(
            legacy::SIGNATURE_ANNOTATION.to_owned(),
            base64::engine::general_purpose::STANDARD.encode(sig),
        );
        Ok(Some((payload, ann)))
    }

    /// Adds a signature layer to `digest`'s `sha256-<hex>.sig` in `repo`
    /// (keeping the layers there), as `actor`.
    pub(crate) async fn add_legacy_signature(
        &self,
        repo: &str,
        digest: &str,
        payload: &[u8],
        annotations: std::collections::BTreeMap<String, String>,
        actor: &str,
    ) -> Result<()> {
        let hex = names::sha256_hex(digest)
            .context("not a sha256 digest")?
            .to_owned();
        let tag = format!("sha256-{hex}.sig");
        let mut layers = match self.db().manifest(repo, &tag).await? {
            Some(m) => legacy::parse(&m.body).unwrap_or_default(),
            None => Vec::new(),
        };
        let payload_digest = self.put_small(repo, payload).await?;
        layers.push(legacy::SigLayer {
            media_type: legacy::SIMPLE_SIGNING.to_owned(),
            digest: payload_digest,
            size: payload.len() as u64,
            annotations,
        });
        let config = legacy::config(&layers);
        self.put_small(repo, &config).await?;
        let body = legacy::manifest(&layers, &config);
        let m = Manifest {
            digest: format!(
                "sha256:{}",
                signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[&body]))
            ),
            media_type: referrer::OCI_MANIFEST.to_owned(),
            body,
        };
        let doc: Value = serde_json::from_slice(&m.body)?;
        let refs = names::manifest_references(&doc, false)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .into_iter()
            .map(str::to_owned)
            .collect();
        let push = super::db::Push {
            refs,
            also: signature_events(actor, repo, &m, Some(&tag), None),
            event: AuditEvent::new(actor, "push", repo, &m.digest, "ok", json!({"tag": tag})),
        };
        self.put_manifest(repo, &m, Some(&tag), None, &push).await
    }

    /// Stores small bytes as a blob of `repo`; their digest.
    async fn put_small(&self, repo: &str, bytes: &[u8]) -> Result<String> {
        let digest = format!(
            "sha256:{}",
            signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[bytes]))
        );
        if self.db().repo_blob(repo, &digest).await?.is_some() {
            return Ok(digest);
        }
        let id = self.start_upload(repo).await?;
        let chunk: std::result::Result<axum::body::Bytes, std::convert::Infallible> =
            Ok(axum::body::Bytes::copy_from_slice(bytes));
        self.finish_upload(repo, &id, &digest, futures_util::stream::iter([chunk]))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(digest)
    }
}

/// The earliest expiry among keys that signed what `findings` counted.
pub(crate) fn expiry_of(state: &State, findings: &Findings, at: i64) -> i64 {
    let mut until = findings.valid_until.unwrap_or(i64::MAX);
    for e in &findings.evidence {
        if let signet_policy::Signer::Key { key_id } = &e.signer
            && let Some(k) = state.keys.iter().find(|k| &k.row.id == key_id)
            && let Some(x) = k.row.expires_at
        {
            until = until.min(x);
        }
    }
    until.max(at)
}

impl Registry {
    /// Copies manifest `m` from `from` to `to` (tagged `tag`) with every
    /// signature and attestation about it, blobs first and the image last,
    /// so the tag appears only once its signatures are there. The caller
    /// has checked the target's policy. Digests of the manifests copied.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn promote(
        &self,
        from: &str,
        to: &str,
        m: &Manifest,
        tag: Option<&str>,
        actor: &str,
        details: Value,
        server_signature: Option<(Vec<u8>, std::collections::BTreeMap<String, String>, String)>,
    ) -> Result<Vec<String>> {
        let mut copied = Vec::new();
        let hex = names::sha256_hex(&m.digest)
            .context("a manifest digest is not sha256")?
            .to_owned();
        for suffix in ["sig", "att"] {
            let t = format!("sha256-{hex}.{suffix}");
            if let Some(sm) = self.db().manifest(from, &t).await? {
                self.copy_manifest(
                    from,
                    to,
                    &sm,
                    Some(&t),
                    actor,
                    "promotion.signature",
                    json!({}),
                    &mut copied,
                )
                .await?;
            }
        }
        for r in self.db().referrers(from, &m.digest, None).await? {
            if let Some(rm) = self.db().manifest(from, &r.digest).await? {
                self.copy_manifest(
                    from,
                    to,
                    &rm,
                    None,
                    actor,
                    "promotion.signature",
                    json!({}),
                    &mut copied,
                )
                .await?;
            }
        }
        let fallback = referrer::fallback_tag(&m.digest);
        if let Some(im) = self.db().manifest(from, &fallback).await? {
            self.copy_manifest(
                from,
                to,
                &im,
                Some(&fallback),
                actor,
                "promotion.signature",
                json!({}),
                &mut copied,
            )
            .await?;
        }
        // A server-held key's signature joins the copied ones before the
        // image itself appears.
        if let Some((payload, annotations, signer)) = server_signature {
            self.add_legacy_signature(to, &m.digest, &payload, annotations, &signer)
                .await?;
        }
        self.copy_manifest(from, to, m, tag, actor, "promotion", details, &mut copied)
            .await?;
        Ok(copied)
    }

    #[allow(clippy::too_many_arguments)]
    async fn copy_manifest(
        &self,
        from: &str,
        to: &str,
        m: &Manifest,
        tag: Option<&str>,
        actor: &str,
        action: &str,
        details: Value,
        copied: &mut Vec<String>,
    ) -> Result<()> {
        let doc: Value =
            serde_json::from_slice(&m.body).context("a stored manifest is not JSON")?;
        let index = names::is_index(&m.media_type);
        let refs: Vec<String> = names::manifest_references(&doc, index)
            .map_err(|e| anyhow::anyhow!("a stored manifest: {e}"))?
            .into_iter()
            .map(str::to_owned)
            .collect();
        for d in &refs {
            if index {
                if self.db().manifest(to, d).await?.is_none() {
                    let child =
                        self.db().manifest(from, d).await?.with_context(|| {
                            format!("{from} lacks {d}, which an index there lists")
                        })?;
                    Box::pin(self.copy_manifest(
                        from,
                        to,
                        &child,
                        None,
                        actor,
                        action,
                        json!({}),
                        copied,
                    ))
                    .await?;
                }
            } else if !self.mount(to, from, d).await? {
                anyhow::bail!("{from} lacks blob {d}, which a manifest there references");
            }
        }
        let referrer = doc
            .get("subject")
            .and_then(|s| s.get("digest"))
            .and_then(Value::as_str)
            .map(|sd| super::db::Referrer {
                subject: sd.to_owned(),
                artifact_type: doc
                    .get("artifactType")
                    .and_then(Value::as_str)
                    .or_else(|| {
                        doc.get("config")
                            .and_then(|c| c.get("mediaType"))
                            .and_then(Value::as_str)
                    })
                    .unwrap_or("")
                    .to_owned(),
                annotations: doc.get("annotations").map(Value::to_string),
            });
        let mut details = details;
        details["from"] = json!(from);
        details["tag"] = json!(tag);
        let also = signature_events(actor, to, m, tag, referrer.as_ref());
        let push = super::db::Push {
            refs,
            also,
            event: AuditEvent::new(actor, action, to, &m.digest, "ok", details),
        };
        self.put_manifest(to, m, tag, referrer.as_ref(), &push)
            .await?;
        copied.push(m.digest.clone());
        Ok(())
    }
}

/// The `sign`/`attest` events a signature push adds to the custody of
/// the image it is about: a legacy `sha256-<hex>.sig|.att` tag, or a
/// Sigstore bundle referrer.
pub(crate) fn signature_events(
    actor: &str,
    repo: &str,
    m: &Manifest,
    tag: Option<&str>,
    referrer: Option<&super::db::Referrer>,
) -> Vec<AuditEvent> {
    let mut out = Vec::new();
    if !is_signature_artifact(m) {
        return out;
    }
    let legacy = tag.and_then(|t| {
        let rest = t.strip_prefix("sha256-")?;
        let (hex, kind) = rest.split_once('.')?;
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| (format!("sha256:{hex}"), kind))
    });
    let about = match (legacy, referrer) {
        (Some((d, "att")), _) => Some((d, "attest")),
        (Some((d, "sig")), _) => Some((d, "sign")),
        (_, Some(r))
            if r.artifact_type
                .starts_with("application/vnd.dev.sigstore.bundle") =>
        {
            Some((r.subject.clone(), "sign"))
        }
        _ => None,
    };
    if let Some((subject, action)) = about {
        out.push(AuditEvent::new(
            actor,
            action,
            repo,
            &subject,
            "ok",
            json!({"signature_manifest": m.digest, "tag": tag}),
        ));
    }
    out
}

/// What `key` signs for `bytes`: their digest, or (Ed25519) the bytes.
fn message_for<'a>(key: &PublicKey, bytes: &'a [u8]) -> signet_crypto::Message<'a> {
    match key.algorithm().digest() {
        Some(alg) => signet_crypto::Message::Digest(signet_crypto::digest::Digest::of(alg, bytes)),
        None => signet_crypto::Message::Raw(bytes),
    }
}

/// Parses a stored key; a key that no longer parses verifies nothing.
pub(crate) fn load_key(row: KeyRow) -> LoadedKey {
    let kind = match row.kind.as_str() {
        "gpg" => KeyKind::Gpg,
        "x509" => KeyKind::X509,
        _ => KeyKind::Cosign,
    };
    let key = parse_public_key(&row.kind, &row.public_key).ok();
    let pgp = (kind == KeyKind::Gpg)
        .then(|| parse_gpg_key(&row.public_key).ok().map(|(r, _)| r))
        .flatten();
    let trusted = TrustedKey {
        id: row.id.clone(),
        name: row.name.clone(),
        kind,
        repositories: row.repositories.clone(),
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    };
    LoadedKey {
        row,
        key,
        pgp,
        trusted,
    }
}

/// The verifier of an uploaded key: a PEM public key (`cosign`) or an
/// X.509 certificate (`x509`).
pub fn parse_public_key(kind: &str, pem: &str) -> Result<PublicKey> {
    match kind {
        "cosign" => PublicKey::from_pem(pem.as_bytes())
            .context("public_key is not a PEM public key (ECDSA, Ed25519 or RSA)"),
        "x509" => {
            let cert = signet_verify::x509::Cert::from_pem(pem.as_bytes())
                .map_err(|e| anyhow::anyhow!("public_key is not a PEM X.509 certificate: {e}"))?;
            cert.public_key()
                .cloned()
                .map_err(|e| anyhow::anyhow!("the certificate's key: {e}"))
        }
        "gpg" => anyhow::bail!("an OpenPGP key has no PEM form (read it with parse_gpg_key)"),
        other => anyhow::bail!("unknown key type {other:?}: use cosign, x509 or gpg"),
    }
}

/// An uploaded OpenPGP certificate (armored, as `gpg --armor --export`
/// writes it): its keyring and primary fingerprint. One certificate per key.
pub fn parse_gpg_key(armored: &str) -> Result<(signet_openpgp::Keyring, String)> {
    let ring = signet_openpgp::Keyring::parse(armored.as_bytes())
        .context("public_key is not an OpenPGP certificate (give `gpg --armor --export KEYID`)")?;
    let fps = ring.fingerprints();
    if fps.len() != 1 {
        anyhow::bail!(
            "public_key holds {} OpenPGP certificates: upload one per key",
            fps.len()
        );
    }
    let fp = fps.into_iter().next().unwrap_or_default();
    Ok((ring, fp))
}

/// Policies as stored, parsed (for the API).
pub(crate) fn parse_rows(rows: &[PolicyRow]) -> Vec<(PolicyRow, Option<Policy>)> {
    rows.iter()
        .map(|r| (r.clone(), Policy::parse(&r.document).ok()))
        .collect()
}

/// A blocking reader over chunks sent from the async side.
pub(crate) struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<axum::body::Bytes>>,
    buf: axum::body::Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.buf.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.buf = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf[..n]);
        let _ = self.buf.split_to(n);
        Ok(n)
    }
}

/// The signer of an RPM read from `r`: its header signature verified, and
/// the payload checked against the digest the signed header records.
fn rpm_signer<R: std::io::Read>(
    ring: &signet_openpgp::Keyring,
    mut r: R,
) -> std::result::Result<signet_openpgp::Signer, String> {
    let p = signet_packages::rpm::read_prefix(&mut r).map_err(|e| e.to_string())?;
    let sig = p
        .header_signature()
        .ok_or("the package is not signed (no RSAHEADER or DSAHEADER)")?;
    let who = ring
        .verify_detached(sig, &p.header_bytes[..])
        .map_err(|e| e.to_string())?;
    let want = p
        .payload_sha256()
        .ok_or("the header records no SHA-256 payload digest: the payload is not covered")?;
    let mut h = signet_crypto::digest::Hasher::new(signet_crypto::digest::DigestAlgorithm::Sha256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    if !h.finish().to_hex().eq_ignore_ascii_case(&want) {
        return Err("the payload does not match the signed header's digest".into());
    }
    Ok(who)
}

/// Records an OpenPGP verification outcome: evidence for every registered
/// key whose certificate made the signature, and the check.
fn record_pgp(
    f: &mut Findings,
    keys: &[(&str, &signet_openpgp::Keyring)],
    source: &str,
    res: std::result::Result<signet_openpgp::Signer, String>,
    at: i64,
) {
    // Valid when it signed (checked by the verification) and still now.
    let res = res.and_then(|who| {
        who.alive_at(u64::try_from(at).unwrap_or(0))
            .map_err(|e| e.to_string())?;
        Ok(who)
    });
    match res {
        Ok(who) => {
            let ids: Vec<&str> = keys
                .iter()
                .filter(|(_, r)| r.contains(&who.fingerprint))
                .map(|(id, _)| *id)
                .collect();
            let detail = format!(
                "OpenPGP signature by key {} (certificate {}, registered as {})",
                who.key_id,
                who.fingerprint,
                ids.join(", ")
            );
            let until = who
                .key_expires
                .into_iter()
                .chain(who.signature_expires)
                .min()
                .map(|t| i64::try_from(t).unwrap_or(i64::MAX));
            f.key_signature(
                source,
                signet_policy::document::SignatureType::Gpg,
                &ids,
                detail,
                until,
            );
        }
        Err(detail) => f.fail(source, detail),
    }
}
